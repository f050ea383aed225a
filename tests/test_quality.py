"""What `recommend --use` ranks by: the published results in data/quality.yaml, and the order rank.py builds
from them, the size heuristic, speed and fit."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Result
from willitrun.advise.rank import (
    HEURISTIC_TIE,
    UNMEASURED_LEAD,
    load_benchmarks,
    load_quality,
    measured_as_published,
    order_by_quality,
)
from willitrun.advise.recommend import USES
from willitrun.catalog.load import Catalog
from willitrun.errors import CatalogError

Run = Callable[..., Result]
ROOT = Path(__file__).resolve().parent.parent


def _picks(run: Run, use: str, gpu: str, top: int = 50) -> list[dict[str, Any]]:
    r = run("recommend", "--use", use, "--gpu", gpu, "--top", str(top), "--json")
    assert r.code == 0, r.err
    picks: list[dict[str, Any]] = r.json()["uses"][use]
    return picks


def _published(p: dict[str, Any], label: str) -> float | None:
    m = re.search(rf"; ([0-9.]+) on {re.escape(label)}$", p["why"])
    return float(m.group(1)) if m else None


# --- the data ---------------------------------------------------------------------------------------------


def test_every_use_has_one_dated_sourced_benchmark(catalog: Catalog) -> None:
    benches = load_benchmarks()
    assert set(benches) == set(USES)
    ids = {m.id: m for m in catalog.models}
    for use, b in benches.items():
        assert b.source.startswith("https://github.com/") and re.search(r"/[0-9a-f]{40}/", b.source), b.source
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", b.date) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", b.read)
        assert b.date <= b.read and b.margin > 0 and b.label
        assert len(b.scores) >= 10, use
        for mid, v in b.scores.items():
            assert mid in ids, f"{use}: {mid} is not a catalog model"
            assert "embedding" not in ids[mid].uses
            lo, hi = (800, 1600) if "arena" in b.name.lower() else (0, 100)
            assert lo <= v <= hi, (use, mid, v)
    # one method per use: the reasoning table holds only models the catalog lists for reasoning
    assert all("reasoning" in ids[m].uses for m in benches["reasoning"].scores)
    assert all("vision" in ids[m].uses for m in benches["vision"].scores)


def test_load_quality_keeps_its_shape() -> None:
    scores, what = load_quality()["code"]
    assert scores["qwen2.5-coder-32b"] == 87.2
    assert "EvalPlus" in what and "evalplus.github.io" in what and "2024-12-26" in what


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (
            "benchmarks:\n  chat: {name: x, date: '2025-01-01', read: '2025-02-01', margin: 1, scores: {a: 1}}\n",
            "needs source",
        ),
        (
            "benchmarks:\n  chat: {name: x, source: s, date: soon, read: '2025-02-01', margin: 1, scores: {a: 1}}\n",
            "not a date",
        ),
        (
            "benchmarks:\n  chat: {name: x, source: s, date: '2025-01-01', read: '2025-02-01', margin: 1, "
            "scores: {a: high}}\n",
            "must be numbers",
        ),
        ("uses: []\n", "benchmarks"),
    ],
)
def test_a_malformed_quality_file_is_refused(tmp_path: Path, body: str, why: str) -> None:
    p = tmp_path / "quality.yaml"
    p.write_text(body)
    with pytest.raises(CatalogError, match=why):
        load_benchmarks(str(p))


def test_docs_name_each_benchmark_its_source_and_date() -> None:
    text = (ROOT / "docs" / "data.md").read_text()
    section = text.split("## data/quality.yaml")[1].split("\n## ")[0]
    for use, b in load_benchmarks().items():
        assert f"`{use}`" in section
        assert b.label in section and b.date in section and b.source in section, use


# --- the order ----------------------------------------------------------------------------------------------


@dataclass
class Item:
    name: str
    result: float | None
    heuristic: float
    speed: float
    fits: bool = True


def _order(items: list[Item], margin: float = 5.0) -> list[str]:
    out = order_by_quality(
        items,
        result=lambda i: i.result,
        heuristic=lambda i: i.heuristic,
        speed=lambda i: i.speed,
        fits=lambda i: i.fits,
        margin=margin,
    )
    return [i.name for i in out]


def test_results_decide_unless_within_the_margin() -> None:
    items = [Item("slow-good", 80, 3.0, 10), Item("fast-close", 77, 3.0, 90), Item("fast-worse", 70, 3.0, 200)]
    # 80 and 77 are within 5: the faster first; 70 is meaningfully worse whatever its speed
    assert _order(items) == ["fast-close", "slow-good", "fast-worse"]
    assert _order(items, margin=2) == ["slow-good", "fast-close", "fast-worse"]


def test_without_results_comparable_models_go_by_speed_then_fit() -> None:
    # the 3060 case: a 20B from 2024 at 11 tok/s against gpt-oss-20b at 33, neither measured
    internlm = Item("internlm2.5-20b", None, 3.28, 11, fits=False)
    gpt_oss = Item("gpt-oss-20b", None, 3.18, 33, fits=False)
    assert 3.28 * (1 - HEURISTIC_TIE) <= 3.18
    assert _order([internlm, gpt_oss]) == ["gpt-oss-20b", "internlm2.5-20b"]
    tiny = Item("tiny", None, 0.7, 240)
    assert _order([tiny, internlm, gpt_oss])[-1] == "tiny"  # fast, but not comparable
    same = [Item("split", None, 3.0, 30, fits=False), Item("whole", None, 3.0, 30, fits=True)]
    assert _order(same) == ["whole", "split"]


def test_measured_and_unmeasured_merge() -> None:
    coder = Item("coder-32b-2024", 87.2, 4.15, 38)
    old_small = Item("coder-7b-2023", 71.3, 2.06, 97)
    general = Item("general-32b-2025", None, 4.89, 38)  # not clearly ahead of the measured 32B coder
    big_new = Item("general-70b-2025", None, 5.9, 16)  # clearly ahead of it
    assert 4.89 <= UNMEASURED_LEAD * 4.15 < 5.9
    assert _order([old_small, general, coder]) == ["coder-32b-2024", "general-32b-2025", "coder-7b-2023"]
    assert _order([old_small, general, coder, big_new])[0] == "general-70b-2025"
    # the published order itself is never broken, whatever is inserted
    items = [coder, old_small, general, big_new, Item("mid", 60, 3.0, 50), Item("u2", None, 2.5, 60)]
    names = _order(items)
    measured = [n for n in names if n in ("coder-32b-2024", "coder-7b-2023", "mid")]
    assert measured == ["coder-32b-2024", "coder-7b-2023", "mid"]


def test_published_results_stand_only_down_to_four_bits() -> None:
    assert all(measured_as_published(q) for q in ("Q8_0", "Q6_K", "Q5_K_M", "Q4_K_M", "IQ4_XS", "MXFP4", "F16"))
    assert not any(measured_as_published(q) for q in ("Q3_K_M", "IQ3_M", "Q2_K", "IQ2_M"))


# --- through the CLI ----------------------------------------------------------------------------------------


def test_code_on_a_4090_leads_with_the_measured_specialist(run: Run) -> None:
    picks = _picks(run, "code", "RTX 4090")
    b = load_benchmarks()["code"]
    assert picks[0]["id"] == "qwen2.5-coder-32b"
    assert _published(picks[0], b.label) == 87.2
    ids = [p["id"] for p in picks]
    # general models with a lower HumanEval+ result come after the coder
    for general in ("phi-3-mini", "mixtral-8x7b"):
        if general in ids:
            assert ids.index(general) > 0
    text = run("recommend", "--use", "code", "--gpu", "RTX 4090")
    assert "87.2 on HumanEval+ pass@1" in text.out


@pytest.mark.parametrize("gpu", ["RTX 3060", "RTX 4090", "2x RTX 3090"])
@pytest.mark.parametrize("use", USES)
def test_the_published_order_holds_in_every_list(run: Run, use: str, gpu: str) -> None:
    b = load_benchmarks()[use]
    picks = _picks(run, use, gpu)
    got = [(p["id"], _published(p, b.label), p["quant"]) for p in picks]
    seen = [(i, r) for i, r, _ in got if r is not None]
    for k, (first, r1) in enumerate(seen):
        for later, r2 in seen[k + 1 :]:
            assert r2 - r1 < b.margin, f"{later} ({r2}) is ranked below {first} ({r1}) on {gpu}"
    for p, (i, r, q) in zip(picks, got, strict=True):
        if i in b.scores:  # a result is shown exactly when the planned file keeps it
            assert (r == b.scores[i]) == measured_as_published(q), (i, q)
            assert r is not None or "is for 4-bit files and up: ranked by size" in p["why"]
        else:
            assert r is None and p["why"].endswith(f"no published {b.label}: ranked by size")


def test_gpt_oss_20b_ranks_above_internlm_20b_on_a_3060(run: Run, catalog: Catalog) -> None:
    from willitrun.advise.recommend import recommend
    from willitrun.hardware import machine_for

    for use in ("reasoning", "chat"):
        picks = {p["id"]: (k, p) for k, p in enumerate(_picks(run, use, "RTX 3060"))}
        gpt_k, gpt = picks["gpt-oss-20b"]
        assert gpt["quant"] == "MXFP4" and gpt["tokens_per_s"] >= 25
        if "internlm2.5-20b" in picks:
            assert gpt_k < picks["internlm2.5-20b"][0], use
    # the two alone, so that the order does not depend on how many other models the catalog holds: neither has a
    # reasoning result, the heuristic calls them comparable and the faster goes first
    pair = tuple(m for m in catalog.models if m.id in ("gpt-oss-20b", "internlm2.5-20b"))
    ranked = recommend(pair, machine_for(catalog, gpu="RTX 3060"), use="reasoning", top=2)["reasoning"]
    assert [p.model.id for p in ranked] == ["gpt-oss-20b", "internlm2.5-20b"]


@pytest.mark.parametrize(
    ("model", "gpu"),
    [
        ("gpt-oss-20b", "RTX 3060"),
        ("gpt-oss-20b", "RTX 4090"),
        ("gpt-oss-120b", "2x RTX 3090"),
        ("gpt-oss-120b", "H100"),
        ("gpt-oss-120b", "M2 Ultra 192GB"),
        ("mixtral-8x7b", "RTX 4090"),  # these four once differed: recommend kept to Q3_K_M and above, or to Q8_0
        ("internlm2.5-20b", "RTX 3060"),
        ("qwen2.5-0.5b", "RTX 4090"),
        ("nemotron-3-nano-30b-a3b", "RTX 3090"),
        ("llama3.3-70b", "A100 40GB PCIe"),  # the smallest files (IQ2_M) decode slower than Q3_K_M/IQ4_XS here
        ("llama3.3-70b", "M3 Ultra 80-core"),
    ],
)
def test_recommend_and_check_choose_the_same_file(run: Run, catalog: Catalog, model: str, gpu: str) -> None:
    from willitrun.advise.recommend import recommend
    from willitrun.hardware import machine_for

    m = next(x for x in catalog.models if x.id == model)
    use = next(u for u in USES if u in m.uses)
    (pick,) = recommend((m,), machine_for(catalog, gpu=gpu), use=use, top=1)[use]
    check = run("check", model, "--gpu", gpu, "--ctx", "8192", "--json").json()
    assert pick.option.quant == check["recommended"]
    chosen = next(o for o in check["options"] if o["quant"] == check["recommended"])
    assert pick.option.verdict == chosen["verdict"]
    assert pick.option.tokens_per_s == pytest.approx(chosen["tokens_per_s"], rel=0.01)


def test_recommend_json_carries_the_published_result(run: Run) -> None:
    rows = run("recommend", "--use", "code", "--gpu", "RTX 4090", "--json").json()["uses"]["code"]
    top = rows[0]
    assert top["id"] == "qwen2.5-coder-32b" and top["benchmark"] == 87.2 and "HumanEval+" in top["why"]
    assert all("benchmark" in r for r in rows) and any(r["benchmark"] is None for r in rows)
