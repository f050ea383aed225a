"""Buying advice and recommendations, end to end through the CLI."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest

from tests.conftest import Result

Run = Callable[..., Result]


def test_best_gpu_within_budget(run: Run) -> None:
    r = run("best-gpu", "--budget", "800", "--json")
    assert r.code == 0
    d = r.json()
    opts = d["options"]
    assert d["budget_usd"] == 800 and len(opts) >= 3
    for o in opts:
        assert o["price_usd"] <= 800 and o["price_date"] and o["price_kind"] in ("msrp", "street", "used")
        assert set(o) >= {"gpu", "count", "price_usd", "price_kind", "price_date", "vram_bytes", "why"}
    # ranked by the largest reference model that runs: never a smaller one above a larger one
    sizes = [o.get("runs_up_to") for o in opts]
    assert sizes[0] is not None
    text = run("best-gpu", "--budget", "800")
    assert text.code == 0 and "Within $800" in text.out


def test_best_gpu_for_a_model(run: Run) -> None:
    d = run("best-gpu", "--budget", "4000", "--model", "llama3-70b", "--json").json()
    assert d["model"] == "llama3-70b" and d["options"]
    for o in d["options"]:
        assert o["verdict"] == "gpu" and o["tokens_per_s"] > 0 and o["price_usd"] <= 4000
        assert o["vram_bytes"] >= 40 * 2**30  # 70B Q4_K_M is about 40 GiB of weights
    # fastest first (speeds within 10% tie, and the cheaper of a tie comes first)
    speeds = [o["tokens_per_s"] for o in d["options"]]
    assert all(b <= a * 1.1 for a, b in itertools.pairwise(speeds))


def test_best_gpu_nothing_fits(run: Run) -> None:
    r = run("best-gpu", "--budget", "300", "--model", "llama3.1-405b")
    assert r.code == 1 and "Nothing within" in r.out


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("best-gpu", "--budget", "-5"), "--budget -5 is out of range"),
        (("best-gpu", "--budget", "lots"), "--budget"),
        (("best-gpu", "--budget", "800", "--kind", "boat"), "--kind 'boat'"),
        (("best-gpu", "--budget", "800", "--model", "lama3-70b"), "did you mean"),
        (("compare", "RTX 3090"), "at least two"),
        (("compare", "RTX 3090", "RTX 9999"), "unknown GPU"),
        (("recommend", "--use", "poetry"), "--use 'poetry'"),
        (("recommend", "--min-tps", "-1"), "--min-tps -1"),
    ],
)
def test_advice_errors(run: Run, args: tuple[str, ...], needle: str) -> None:
    r = run(*args)
    assert r.code == 2 and needle in r.err and len(r.err.strip().splitlines()) == 1


def test_compare_reads_at_80_columns(run: Run) -> None:
    r = run("compare", "RTX 3090", "RTX 4090")
    assert r.code == 0
    assert max(len(x) for x in r.out.splitlines()) <= 80
    assert "llama3.1-8b tok/s" in r.out and "*" in r.out
    d = run("compare", "RTX 3090", "2x RTX 3090", "--json").json()
    a, b = d["gpus"]
    assert b["count"] == 2
    ran = {x["model"]: x for x in b["runs"]}
    assert ran["llama3.3-70b"]["verdict"] == "gpu"
    assert {x["model"]: x for x in a["runs"]}["llama3.3-70b"]["verdict"] != "gpu"


def test_best_gpu_reads_at_80_columns_with_a_long_title(run: Run) -> None:
    # the heading names the model, quantization and context: it wraps like the rows under it
    r = run("best-gpu", "--budget", "2500", "--model", "llama3.1-70b", "--top", "2")
    assert r.code == 0 and r.out.startswith("Within $2,500") and "Llama 3.1 70B Instruct" in r.out
    assert max(len(x) for x in r.out.splitlines()) <= 80


def test_recommend(run: Run) -> None:
    r = run("recommend", "--gpu", "RTX 4060 Ti 16GB")
    assert r.code == 0 and "Best for chat" in r.out
    assert max(len(x) for x in r.out.splitlines()) <= 80
    d = run("recommend", "--gpu", "RTX 4060 Ti 16GB", "--use", "code", "--json").json()
    picks = d["uses"]["code"]
    assert picks and all(p["tokens_per_s"] >= 10 for p in picks)
    assert all(p["total_bytes"] < 17 * 2**30 or p["verdict"] != "gpu" for p in picks)
    big = run("recommend", "--gpu", "2x RTX 3090", "--use", "chat", "--json").json()["uses"]["chat"]
    small = run("recommend", "--gpu", "RTX 3060 12GB", "--use", "chat", "--json").json()["uses"]["chat"]
    assert big[0]["total_bytes"] > small[0]["total_bytes"]  # more VRAM recommends a bigger model


def test_bare_command_recommends(run: Run) -> None:
    r = run()
    assert r.code == 0 and "This machine" in r.out and "Best for" in r.out


def test_cost_local_cloud_api(run: Run) -> None:
    d = run("cost", "--model", "llama3.1-8b", "--gpu", "RTX 4090", "--kwh", "0.30", "--json").json()
    kinds = [o["what"].split(":")[0] for o in d["options"]]
    assert kinds == ["local", "cloud", "API"]
    local = d["options"][0]
    # $1,599 over 3 years is $44.42 a month before electricity
    assert local["usd_per_month"] > 1599 / 36
    assert all(o["source"] for o in d["options"])
    per_m = [o["usd_per_million_tokens"] for o in d["options"]]
    assert all(x > 0 for x in per_m)
    more = run(
        "cost", "--model", "llama3.1-8b", "--gpu", "RTX 4090", "--kwh", "0.30", "--tokens-per-day", "2e6", "--json"
    )
    assert more.json()["options"][1]["usd_per_month"] > d["options"][1]["usd_per_month"]
    big = run("cost", "--model", "llama3.3-70b", "--gpu", "2x RTX 3090", "--tokens-per-day", "5e6", "--json").json()
    assert "to keep up" in big["options"][0]["what"]  # one box cannot generate and read prompts that fast
    r = run("cost", "--model", "llama3.1-8b", "--gpu", "RTX 4090")
    assert r.code == 0 and "per M tokens" in r.out


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("cost", "--model", "llama3.1-8b", "--tokens-per-day", "0"), "--tokens-per-day 0"),
        (("cost", "--model", "llama3.1-8b", "--kwh", "-1"), "--kwh -1"),
        (("cost", "--model", "llama3.1-8b", "--years", "0"), "--years 0"),
        (("cost", "--model", "nope-9b"), "unknown model"),
    ],
)
def test_cost_errors(run: Run, args: tuple[str, ...], needle: str) -> None:
    r = run(*args)
    assert r.code == 2 and needle in r.err


def test_prices_are_sourced_and_name_catalog_entries() -> None:
    from willitrun.catalog.load import load_catalog
    from willitrun.catalog.prices import load_prices

    cat = load_catalog()
    p = load_prices()
    gpus = {g.id for g in cat.gpus}
    models = {m.id for m in cat.models}
    assert len(p.cloud) >= 20 and len(p.apis) >= 20 and p.electricity
    assert all(c.gpu in gpus and c.source and c.date for c in p.cloud)
    assert all(a.model in models and a.source and a.date for a in p.apis)


def test_a_two_die_board_runs_as_the_two_gpus_rocm_lists(run: Run) -> None:
    # the MI250X is one board with two GCDs: ROCm lists two 64 GB GPUs, each with half the bandwidth, and a model
    # split over them reads one die's memory at a time, so it runs at about a die's speed, not the board's
    d = run("check", "llama3.1-70b", "--gpu", "MI250X", "--quant", "Q4_K_M", "--json").json()
    (dev,) = d["hardware"]["devices"]
    assert dev["count"] == 2 and dev["memory_bytes"] == 64 * 2**30 and dev["bandwidth_gbps"] == 1638.4
    assert dev["catalog_id"] == "mi250x" and any("2 dies on one board" in n for n in d["notes"])
    two = run("check", "llama3.1-70b", "--gpu", "2x MI250X", "--quant", "Q4_K_M", "--json").json()
    assert two["hardware"]["devices"][0]["count"] == 4
    # the 70B split over both dies runs near what one die's bandwidth gives, well under the board's summed
    # bandwidth: scaled from the MI300X (one 5.3 TB/s device, same backend), 1.64 TB/s against 3.28 TB/s
    one = d["options"][0]
    mi300x = run("check", "llama3.1-70b", "--gpu", "MI300X", "--quant", "Q4_K_M", "--json").json()["options"][0]
    per_die, summed = mi300x["tokens_per_s"] * 1638.4 / 5300, mi300x["tokens_per_s"] * 3276.8 / 5300
    assert one["verdict"] == "gpu" and 0.8 * per_die < one["tokens_per_s"] < 0.75 * summed
    # compare shows the board's totals, and no empty price rows when nothing in it has a price
    out = run("compare", "MI250X", "MI300X").out
    assert "128" in out and not any(x.startswith("  kind") for x in out.splitlines())
