"""Serving many users (`capacity`) and plans across nodes: held to recorded batched runs and to the physics."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import Result
from willitrun.advise.capacity import Capacity, capacity, load_at
from willitrun.catalog.load import Catalog
from willitrun.catalog.nodes import split_nodes
from willitrun.catalog.resolve import resolve_model
from willitrun.errors import BadValueError
from willitrun.estimate.batch import batch_range
from willitrun.estimate.types import Cpu
from willitrun.hardware.simulate import build_machine

Run = Callable[..., Result]
RUNS = yaml.safe_load((Path(__file__).parent / "data" / "capacity_runs.yaml").read_text())["runs"]
METRICS = {
    "aggregate_gain",
    "aggregate_tokens_per_s",
    "per_user_tokens_per_s",
    "aggregate_effective_tokens_per_s",
    "per_user_effective_tokens_per_s",
}


def _plan(catalog: Catalog, run: dict[str, Any]) -> Capacity:
    from dataclasses import replace

    machine = build_machine(
        catalog,
        gpu=run.get("gpu"),
        vram_gb=None,
        ram_gb=run.get("ram_gb", 64),
        ram_bandwidth_gbps=run.get("ram_bandwidth_gbps"),
        detected=None,
        headless=True,
    )
    if run.get("cpu_cores"):
        n = run["cpu_cores"]
        machine = replace(machine, cpu=Cpu("as recorded", n, n, tuple(run["cpu_flags"])))
    return capacity(
        resolve_model(catalog, run["model"]),
        machine,
        runtime=run["runtime"],
        quant=run["quant"],
        prompt_tokens=run["prompt_tokens"],
        output_tokens=run["output_tokens"],
        min_tokens_per_s=0.0,
    )


def test_recorded_runs_are_sourced() -> None:
    assert len([r for r in RUNS if r["points"]]) >= 5
    for r in RUNS:
        assert r["metric"] in METRICS, r["id"]
        assert r["source"].startswith(("https://", "measured here")), r["id"]


@pytest.mark.parametrize("run", [r for r in RUNS if r["points"] and not r.get("historical")], ids=lambda r: r["id"])
def test_estimate_range_holds_recorded_runs(catalog: Catalog, run: dict[str, Any]) -> None:
    c = _plan(catalog, run)
    backend = c.machine.devices[0].backend if c.machine.devices else "cpu"
    lo, hi = run.get("range") or batch_range(backend)
    one = load_at(c, 1).aggregate_tokens_per_s
    for p in run["points"]:
        ld = load_at(c, p["users"])
        got = ld.aggregate_tokens_per_s / one if run["metric"] == "aggregate_gain" else getattr(ld, run["metric"])
        assert got * lo <= p["measured"] <= got * hi, (run["id"], p, round(got, 1))


def test_batching_shares_the_weight_read(catalog: Catalog) -> None:
    """More users: each one slower, all together faster, until memory stops it."""
    c = _plan(catalog, next(r for r in RUNS if r["id"] == "vllm-4090-mistral7b"))
    rows = c.rows
    assert [r.users for r in rows][:4] == [1, 2, 4, 8]
    for a, b in itertools.pairwise(rows):
        assert b.load.per_user_tokens_per_s <= a.load.per_user_tokens_per_s
        assert b.load.aggregate_tokens_per_s > a.load.aggregate_tokens_per_s
        assert b.kv_cache_bytes > a.kv_cache_bytes
    # eight users cost far less than eight times one user's step: one weight read serves them all
    assert rows[3].load.step_s < 1.5 * rows[0].load.step_s
    # the cache, not a constant, caps the users: 16-token blocks of prompt + answer in what vLLM keeps for it
    assert c.kv_tokens is not None
    assert c.max_users_memory == min(256, c.kv_tokens // (256 + 128))


def test_prompts_compete_with_generation(catalog: Catalog) -> None:
    c = _plan(catalog, next(r for r in RUNS if r["id"] == "vllm-4090-mistral7b"))
    for r in c.rows:
        assert r.load.per_user_effective_tokens_per_s < r.load.per_user_tokens_per_s
    assert c.rows[-1].load.ttft_s > c.rows[0].load.ttft_s


def test_llamacpp_slots_stop_at_memory(catalog: Catalog) -> None:
    from willitrun.estimate.core import Request, estimate_option

    machine = build_machine(catalog, gpu="RTX 3060 12GB", vram_gb=None, ram_gb=32, ram_bandwidth_gbps=None,
                            detected=None, headless=True)  # fmt: skip
    m = resolve_model(catalog, "llama3.1-8b")
    c = capacity(m, machine, runtime="llama.cpp", quant="Q4_K_M", prompt_tokens=2048, output_tokens=2048,
                 min_tokens_per_s=0.0)  # fmt: skip
    n = c.max_users_memory
    assert 1 <= n < 64

    def verdict(k: int) -> str:
        req = Request(quants=("Q4_K_M",), ctx=4096, parallel=k, max_context=False)
        return estimate_option(m, machine, "Q4_K_M", req, 4096, False).verdict

    assert verdict(n) == "gpu" and verdict(n + 1) != "gpu"
    assert c.rows[-1].users == n


def test_speed_floor_counts_users(catalog: Catalog) -> None:
    run = next(r for r in RUNS if r["id"] == "vllm-4090-mistral7b")
    c = _plan(catalog, run)
    speeds = {n: load_at(c, n).per_user_effective_tokens_per_s for n in range(1, c.max_users_memory + 1)}
    floor = speeds[c.max_users_memory // 2]
    machine, m = c.machine, c.model
    c2 = capacity(
        m, machine, runtime="vllm", quant="BF16", prompt_tokens=256, output_tokens=128, min_tokens_per_s=floor
    )
    assert c2.max_users_at_floor == max(n for n, v in speeds.items() if v >= floor)


def test_split_nodes() -> None:
    assert split_nodes("2 nodes x 8x H100 SXM5 80GB") == (2, "8x H100 SXM5 80GB")
    assert split_nodes("4 nodes of RTX 4090") == (4, "RTX 4090")
    assert split_nodes("3 node: 2x RTX 3090") == (3, "2x RTX 3090")
    assert split_nodes("2x RTX 3090") == (1, "2x RTX 3090")
    with pytest.raises(BadValueError):
        split_nodes("0 nodes x RTX 4090")


def test_deepseek_needs_two_nodes(catalog: Catalog) -> None:
    machine = build_machine(catalog, gpu="8x H100 SXM5 80GB", vram_gb=None, ram_gb=1024, ram_bandwidth_gbps=None,
                            detected=None)  # fmt: skip
    m = resolve_model(catalog, "deepseek-r1")
    one = capacity(m, machine, runtime="vllm", quant="FP8")
    two = capacity(m, machine, runtime="vllm", quant="FP8", nodes=2, interconnect="ib-400")
    assert not one.fits and two.fits
    assert (two.tensor_parallel, two.pipeline_parallel) == (8, 2)
    assert two.roles[0].weights_bytes * 16 <= two.weights_bytes < (two.roles[0].weights_bytes + 1) * 16
    assert all(r.weights_bytes + r.kv_cache_bytes <= r.capacity_bytes for r in two.roles)
    # a slower link between the stages costs speed
    slow = capacity(m, machine, runtime="vllm", quant="FP8", nodes=2, interconnect="eth-1")
    assert load_at(slow, 64).per_user_tokens_per_s < load_at(two, 64).per_user_tokens_per_s


def test_rpc_link_costs_every_step(catalog: Catalog) -> None:
    machine = build_machine(catalog, gpu="2x RTX 3090", vram_gb=None, ram_gb=64, ram_bandwidth_gbps=None,
                            detected=None, headless=True)  # fmt: skip
    m = resolve_model(catalog, "llama3.3-70b")
    fast = capacity(m, machine, runtime="llama.cpp", quant="Q4_K_M", nodes=2, interconnect="ib-400")
    slow = capacity(m, machine, runtime="llama.cpp", quant="Q4_K_M", nodes=2, interconnect="eth-10")
    assert fast.fits and slow.fits
    assert load_at(slow, 1).per_user_tokens_per_s < load_at(fast, 1).per_user_tokens_per_s


def test_cli_capacity_json(run: Run) -> None:
    r = run("capacity", "llama3.1-8b", "--gpu", "RTX 4090", "--runtime", "llama.cpp", "--json")
    assert r.code == 0, r.err
    d = r.json()
    assert set(d) >= {"model", "hardware", "runtime", "quant", "levels", "max_users_memory", "max_users_at_floor",
                      "commands", "node_plan", "interconnect", "prompt_tokens", "output_tokens"}  # fmt: skip
    assert d["levels"][0]["users"] == 1
    assert set(d["levels"][0]) >= {"per_user_tokens_per_s", "aggregate_tokens_per_s", "ttft_s", "kv_cache_bytes"}
    cmd = d["commands"][0]["command"]
    assert cmd.startswith("llama-server ") and f"-np {d['parallel_slots']}" in cmd and "-kvu" in cmd


def test_cli_check_two_nodes(run: Run) -> None:
    r = run("check", "deepseek-r1", "--gpu", "2 nodes x 8x H100 SXM5 80GB", "--runtime", "vllm")
    assert r.code == 0, r.err
    assert "--tensor-parallel-size 8 --pipeline-parallel-size 2" in r.out
    assert "Node 2: ray start --address" in r.out and "node 2 (worker)" in r.out


def test_cli_capacity_bad_interconnect(run: Run) -> None:
    r = run("capacity", "llama3.1-8b", "--gpu", "2 nodes x RTX 4090", "--interconnect", "carrier-pigeon")
    assert r.code == 2 and "interconnect" in r.err
