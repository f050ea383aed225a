"""Verdicts that hold on a real machine: the fit margin on every GPU, a desktop's share on simulated cards,
expert offload for mixtures of experts, the files gpt-oss really has, Ollama's fixed context, and what would run
when nothing does."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.conftest import Result
from willitrun.catalog.load import Catalog
from willitrun.estimate.placement import Placing, expert_plan, plan
from willitrun.estimate.runtime import LLAMA_CPP
from willitrun.estimate.tensors import weights_breakdown
from willitrun.estimate.types import GIB, MIB, Cpu, Machine
from willitrun.hardware import DESKTOP_VRAM_BYTES, device_from_spec

Run = Callable[..., Result]
ROOT = Path(__file__).resolve().parent.parent

# The everyday checks: each GPU placement that runs must leave the margin free.
EVERYDAY = [
    ("llama3.1-70b", "--gpu", "RTX 4090"),
    ("llama3.1:8b", "--gpu", "RTX 3060 12GB"),
    ("gemma3-27b", "--gpu", "RTX 3090"),
    ("qwen3-30b-a3b", "--gpu", "RTX 3060 12GB", "--ram", "32", "--quant", "Q4_K_M"),
    ("gpt-oss-120b", "--gpu", "RTX 4090", "--ram", "64"),
    ("qwen3-32b", "--gpu", "RTX 4090", "--ctx", "32768"),
    ("llama3.1-8b", "--gpu", "2x RTX 3060 12GB", "--ctx", "65536"),
    ("mixtral-8x7b", "--gpu", "RTX 4090", "--ram", "64"),
]


def _gpu_lefts(option: dict[str, Any]) -> list[int]:
    return [p["left_bytes"] for p in option["placement"][:-1] if p["total_bytes"] > 0]


@pytest.mark.parametrize("args", EVERYDAY, ids=[a[0] + " " + a[2] for a in EVERYDAY])
def test_every_running_option_keeps_the_margin(run: Run, args: tuple[str, ...]) -> None:
    r = run("check", *args, "--json")
    assert r.code == 0, r.err
    d = r.json()
    assert d["hardware"]["gpu_margin_bytes"] == 1024 * MIB
    running = [o for o in d["options"] if o["verdict"] != "no"]
    assert running
    for o in running:
        lefts = _gpu_lefts(o)
        assert lefts, o["quant"]
        assert min(lefts) >= 1024 * MIB, (o["quant"], min(lefts))
        assert o["gpu_left_bytes"] == min(lefts)
        for p in o["placement"][:-1]:
            if p["total_bytes"]:
                assert p["margin_bytes"] == 1024 * MIB
                assert p["left_bytes"] == p["capacity_bytes"] - p["total_bytes"]


def test_margin_option_moves_the_plan(run: Run) -> None:
    def q4(*extra: str) -> dict[str, Any]:
        r = run("check", "llama3.1-8b", "--gpu", "RTX 3060 12GB", "--quant", "Q4_K_M", *extra, "--json")
        assert r.code == 0, r.err
        o: dict[str, Any] = r.json()["options"][0]
        return o

    none, default, wide = q4("--margin", "0"), q4(), q4("--margin", "3")
    assert min(_gpu_lefts(wide)) >= 3 * GIB
    # the fitted context shrinks as the margin grows
    assert none["context"] > default["context"] > wide["context"]
    assert min(_gpu_lefts(none)) < 1024 * MIB


def test_margin_out_of_range_is_one_line(run: Run) -> None:
    r = run("check", "llama3-8b", "--gpu", "RTX 4090", "--margin", "65")
    assert r.code == 2
    assert r.err.count("\n") == 1 and "--margin" in r.err and "0 to 64" in r.err


def test_desktop_share_on_cards_with_displays(run: Run) -> None:
    d = run("check", "llama3-8b", "--gpu", "RTX 4090", "--json").json()
    dev = d["hardware"]["devices"][0]
    assert dev["desktop_bytes"] == DESKTOP_VRAM_BYTES
    assert dev["free_bytes"] == dev["memory_bytes"] - DESKTOP_VRAM_BYTES
    headless = run("check", "llama3-8b", "--gpu", "RTX 4090", "--headless", "--json").json()
    assert headless["hardware"]["devices"][0]["desktop_bytes"] == 0
    h100 = run("check", "llama3-8b", "--gpu", "H100 SXM5 80GB", "--json").json()
    assert h100["hardware"]["devices"][0]["desktop_bytes"] == 0  # no display outputs


def test_detected_gpus_plan_with_their_free_memory(catalog: Catalog) -> None:
    from dataclasses import replace

    from willitrun.hardware import build_machine

    g = catalog.gpu("rtx-4090")
    detected = Machine(
        (replace(device_from_spec(g, 24), free_bytes=20 * GIB, desktop_bytes=0),), 64 * GIB, 60 * GIB, 80
    )
    m = build_machine(catalog, gpu=None, vram_gb=None, ram_gb=None, ram_bandwidth_gbps=None, detected=detected)
    assert m.devices[0].free_bytes == 20 * GIB and m.devices[0].desktop_bytes == 0


def test_moe_on_a_small_gpu_offloads_experts(run: Run) -> None:
    r = run("check", "qwen3-30b-a3b", "--gpu", "RTX 3060 12GB", "--ram", "32", "--quant", "Q4_K_M", "--json")
    o = r.json()["options"][0]
    assert o["verdict"] == "partial" and o["offload"] == "experts"
    n = o["n_cpu_moe"]
    assert 0 < n < 48
    assert f"--n-cpu-moe {n}" in o["command"] and "-ngl 49" in o["command"]
    modes = {c["mode"]: c for c in o["offload_choices"]}
    assert set(modes) == {"layers", "experts"} and modes["experts"]["chosen"]
    assert modes["experts"]["tokens_per_s"] > modes["layers"]["tokens_per_s"]
    assert o["tokens_per_s"] == modes["experts"]["tokens_per_s"]
    text = run("check", "qwen3-30b-a3b", "--gpu", "RTX 3060 12GB", "--ram", "32", "--quant", "Q4_K_M").out
    assert "--n-cpu-moe" in text and "expert offload" in text


def test_expert_plan_is_the_smallest_split_that_fits(catalog: Catalog) -> None:
    m = catalog.model("qwen3-30b-a3b")
    w = weights_breakdown(m, "Q4_K_M")
    g = catalog.gpu("rtx-3060-12gb")
    machine = Machine((device_from_spec(g, 12),), 32 * GIB, 28 * GIB, 64.0, Cpu("x", 8, 16, ("avx2",)))
    p = expert_plan(Placing(m, w, machine, 8192, "f16", 1, LLAMA_CPP))
    assert p is not None and p.fits_gpus and p.ngl == m.layers + 1
    assert p.cpu_expert_layers == tuple(range(p.cpu_moe))
    fewer = plan(Placing(m, w, machine, 8192, "f16", 1, LLAMA_CPP), m.layers + 1, p.cpu_moe - 1)
    assert not fewer.fits_gpus
    # the experts left in RAM are exactly their tensors' bytes, and the GPU holds the rest of those layers
    moved = sum(w.layers[i].bytes_experts for i in p.cpu_expert_layers)
    assert p.ram.weights_bytes == w.input_bytes + moved
    gpu = p.devices[0]
    assert gpu.weights_bytes == w.total_bytes - w.input_bytes - moved
    assert gpu.left_bytes >= machine.gpu_margin_bytes


def test_dense_models_have_no_expert_plan(catalog: Catalog) -> None:
    m = catalog.model("llama3.1-70b")
    g = catalog.gpu("rtx-4090")
    machine = Machine((device_from_spec(g, 24),), 64 * GIB, 60 * GIB, 64.0)
    assert expert_plan(Placing(m, weights_breakdown(m, "Q4_K_M"), machine, 4096, "f16", 1, LLAMA_CPP)) is None


def test_gpt_oss_offers_its_real_files_and_picks_mxfp4(run: Run) -> None:
    r = run("check", "gpt-oss-120b", "--gpu", "RTX 4090", "--ram", "64", "--json")
    assert r.code == 0, r.err
    d = r.json()
    assert [o["quant"] for o in d["options"]] == ["MXFP4", "Q8_0", "F16"]
    assert d["recommended"] == "MXFP4"
    rec = d["options"][0]
    assert rec["offload"] == "experts" and "--n-cpu-moe" in rec["command"]
    assert rec["tokens_per_s"] > 15
    notes = " ".join(n for o in d["options"] for n in o["notes"])
    assert "smaller quantization" not in notes


def test_files_labelled_f16_decode_as_mxfp4(catalog: Catalog) -> None:
    from willitrun.estimate.speed import weights_family

    m = catalog.model("gpt-oss-120b")
    assert weights_family(weights_breakdown(m, "F16")) == "mxfp4"
    assert weights_family(weights_breakdown(catalog.model("llama3.1-8b"), "F16")) == "float"
    assert weights_family(weights_breakdown(catalog.model("llama3.1-8b"), "Q4_K_M")) == "k"


def test_ollama_keeps_its_context_and_offloads_layers(run: Run) -> None:
    args = ("check", "llama3.1-8b", "--gpu", "RTX 3060 12GB", "--quant", "Q4_K_M", "--json")
    llama = run(*args, "--ctx", "65536").json()["options"][0]
    # llama.cpp with a context it was told keeps it too; its fit shrinks only an unset one
    unset = run(*args).json()
    assert unset["options"][0]["context"] < unset["context"]
    ollama = run(*args, "--runtime", "ollama").json()
    assert ollama["options"][0]["context"] == ollama["context"]  # Ollama's default num_ctx, never shrunk
    big = run(*args, "--runtime", "ollama", "--ctx", "65536").json()["options"][0]
    assert big["context"] == 65536 and big["verdict"] == "partial" and big["offload"] == "layers"
    assert big["command"] == "ollama run llama3.1:8b"  # the context is the server's or the session's setting:
    said = " ".join(big["command_notes"])
    assert "/set parameter num_ctx 65536" in said and "OLLAMA_CONTEXT_LENGTH=65536 ollama serve" in said
    assert any("Ollama keeps the context" in n for n in big["notes"])
    assert llama["command"].startswith("llama-server")


def test_nothing_runs_says_what_would(run: Run) -> None:
    r = run("check", "llama3.1-70b", "--gpu", "RTX 3060 12GB", "--ram", "32", "--quant", "Q8_0", "--json")
    assert r.code == 1
    kinds = {x["kind"]: x for x in r.json()["if_nothing_runs"]}
    assert {"quant", "ram", "hardware"} <= set(kinds)
    assert kinds["ram"]["ram_bytes"] % (8 * GIB) == 0
    # each suggestion is checked, not guessed: run it and it runs
    q = kinds["quant"]["quant"]
    assert run("check", "llama3.1-70b", "--gpu", "RTX 3060 12GB", "--ram", "32", "--quant", q).code == 0
    ram_gb = str(kinds["ram"]["ram_bytes"] // GIB)
    assert run("check", "llama3.1-70b", "--gpu", "RTX 3060 12GB", "--ram", ram_gb, "--quant", "Q8_0").code == 0
    text = run("check", "llama3.1-70b", "--gpu", "RTX 3060 12GB", "--ram", "32", "--quant", "Q8_0").out
    assert "What would run:" in text and "--ram" in text


def _offload_bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("wir_offload", ROOT / "benchmarks" / "offload.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules["wir_offload"] = mod
    spec.loader.exec_module(mod)
    return mod


def test_published_offload_runs_fall_inside_the_range() -> None:
    rows = _offload_bench().rows()
    assert len(rows) >= 6
    for r in rows:
        assert r.low <= r.measured <= r.high, (r.model, r.split, r.measured, r.low, r.high)
    moe = [r for r in rows if r.split.startswith("--n-cpu-moe")]
    assert moe and all(abs(r.error_pct) <= 25 for r in moe)
    # willitrun picks expert offload for every MoE row on that machine
    assert all(r.chosen.startswith("--n-cpu-moe") for r in moe)


def test_expert_offload_over_two_gpus_splits_by_bytes(run: Run) -> None:
    r = run("check", "qwen3-235b-a22b", "--gpu", "2x RTX 3090", "--ram", "128", "--quant", "Q4_K_M", "--json")
    o = r.json()["options"][0]
    assert o["offload"] == "experts"
    gpus = o["placement"][:-1]
    assert all(p["left_bytes"] >= 1024 * MIB for p in gpus)
    # the first GPU takes the light layers (experts in RAM), so it holds more of them; the command says so
    assert gpus[0]["layers"] > gpus[1]["layers"]
    assert f"-ts {gpus[0]['layers']},{gpus[1]['layers']}" in o["command"]


def test_nothing_runs_says_when_the_ram_part_is_what_does_not_fit(run: Callable[..., Result]) -> None:
    # Qwen3.8-Flash-Next keeps its n-gram embedding table in system RAM: two H200s hold everything else
    r = run("check", "qwen3.8-flash-next", "--gpu", "2x H200", "--ram", "16", "--json")
    assert r.code == 1, r.err
    notes = r.json()["options"][-1]["notes"]
    assert any(n.startswith("the part that stays in system RAM needs") for n in notes), notes
    assert not any("the GPUs and RAM offer" in n for n in notes)
    big = run("check", "qwen3.8-flash-next", "--gpu", "2x H200", "--ram", "128", "--json").json()
    assert big["recommended"] is not None
