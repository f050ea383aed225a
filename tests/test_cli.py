"""The command line end to end: the contract's JSON, exit codes, and one-line errors."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.conftest import Result

Run = Callable[..., Result]

OPTION_FIELDS = {
    "quant", "weights_bytes", "kv_cache_bytes", "compute_bytes", "overhead_bytes", "total_bytes", "verdict",
    "gpu_layers", "layers", "tokens_per_s", "tokens_per_s_low", "tokens_per_s_high", "prefill_tokens_per_s",
    "measured", "max_context", "command", "notes",
}  # fmt: skip


def test_check_json_contract(run: Run) -> None:
    r = run("check", "llama3-8b", "--gpu", "RTX 4090", "--json")
    assert r.code == 0, r.err
    d = r.json()
    assert set(d) >= {"model", "hardware", "context", "runtime", "options", "recommended"}
    assert set(d["model"]) >= {"id", "name", "params", "active_params", "layers", "context_max", "source"}
    assert set(d["hardware"]) >= {"source", "devices", "ram_bytes", "unified_memory"}
    assert d["hardware"]["source"] == "simulated"
    dev = d["hardware"]["devices"][0]
    assert set(dev) >= {"name", "vendor", "backend", "memory_bytes", "free_bytes", "bandwidth_gbps", "count"}
    assert dev["name"] == "NVIDIA GeForce RTX 4090" and dev["count"] == 1
    for o in d["options"]:
        assert set(o) >= OPTION_FIELDS
        assert isinstance(o["weights_bytes"], int) and isinstance(o["total_bytes"], int)
        assert o["total_bytes"] == o["weights_bytes"] + o["kv_cache_bytes"] + o["compute_bytes"] + o["overhead_bytes"]
        assert o["verdict"] in ("gpu", "partial", "cpu", "no")
        assert isinstance(o["measured"], list)
    q4 = next(o for o in d["options"] if o["quant"] == "Q4_K_M")
    assert abs(q4["weights_bytes"] / 2**30 - 4.58) / 4.58 < 0.01
    assert q4["verdict"] == "gpu"
    assert q4["command"].startswith("llama-server -hf bartowski/Meta-Llama-3-8B-Instruct-GGUF:Q4_K_M ")
    assert "-ngl 33" in q4["command"]
    assert d["recommended"] in {o["quant"] for o in d["options"]}
    assert r.err == ""


def test_check_partial_70b(run: Run) -> None:
    r = run("check", "llama3-70b", "--gpu", "RTX 4090", "--ram", "64", "--quant", "Q4_K_M", "--json")
    assert r.code == 0
    (o,) = r.json()["options"]
    assert o["verdict"] == "partial"
    assert 0 < o["gpu_layers"] < o["layers"]
    gpu, ram = o["placement"]
    assert gpu["layers"] + ram["layers"] == 80 and ram["layers"] > 0
    assert any("system RAM" in n for n in o["notes"])
    assert f"-ngl {o['gpu_layers']}" in o["command"]


def test_check_two_3090s(run: Run) -> None:
    r = run("check", "llama3-70b", "--gpu", "2x RTX 3090", "--ctx", "4096", "--json")
    d = r.json()
    assert d["hardware"]["devices"][0]["count"] == 2
    q4 = next(o for o in d["options"] if o["quant"] == "Q4_K_M")
    assert q4["verdict"] == "gpu" and q4["context"] == 4096


def test_check_cpu_and_no(run: Run) -> None:
    r = run("check", "llama3-8b", "--gpu", "none", "--ram", "32", "--json")
    assert r.code == 0
    assert {o["verdict"] for o in r.json()["options"]} == {"cpu"}
    r = run("check", "llama3-70b", "--gpu", "none", "--ram", "8", "--quant", "F16")
    assert r.code == 1
    assert "no" in r.out and "Nothing runs" in r.out


def test_check_table_reads_at_80_columns(run: Run) -> None:
    r = run("check", "llama3-8b", "--gpu", "RTX 4090")
    assert r.code == 0
    assert "Q4_K_M" in r.out and "Recommended:" in r.out and "Run: llama-server" in r.out
    # commands are never wrapped (they must paste whole); everything else fits
    assert max(len(line) for line in r.out.splitlines() if not line.startswith(("Run: ", " or: "))) <= 80


def test_check_on_detected_cpu_machine(run: Run) -> None:
    r = run("check", "llama3-8b")
    assert r.code == 0
    assert "CPU" in r.out
    assert "no GPU found" in r.err
    d = run("check", "llama3-8b", "--json").json()
    assert d["hardware"]["source"] == "detected"
    assert d["hardware"]["devices"] == []


def test_check_kv_cache_and_parallel(run: Run) -> None:
    f16 = run("check", "llama3-8b", "--gpu", "RTX 4090", "-q", "Q4_K_M", "--ctx", "8192", "--json").json()
    q8 = run("check", "llama3-8b", "--gpu", "RTX 4090", "-q", "Q4_K_M", "--ctx", "8192", "--kv-cache", "q8_0", "--json")
    two = run("check", "llama3-8b", "--gpu", "RTX 4090", "-q", "Q4_K_M", "--ctx", "8192", "--parallel", "2", "--json")
    a = f16["options"][0]["kv_cache_bytes"]
    assert a == 1024 * 2**20
    assert q8.json()["options"][0]["kv_cache_bytes"] == a * 17 // 32
    assert "-ctk q8_0" in q8.json()["options"][0]["command"]
    assert two.json()["options"][0]["kv_cache_bytes"] == 2 * a
    assert "-np 2" in two.json()["options"][0]["command"]


def test_ollama_runtime(run: Run) -> None:
    d = run("check", "llama3.1-8b", "--gpu", "RTX 3060 12GB", "--runtime", "ollama", "--json").json()
    assert d["runtime"] == "ollama" and d["context"] == 4096


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("check", "llama9-999b"), "unknown model 'llama9-999b'"),
        (("check", "lama3-8b"), "did you mean 'llama3-8b'"),
        (("check", ""), "model name is empty"),
        (("check", "llama3-8b", "--gpu", "RTX 4900"), "unknown GPU 'RTX 4900'"),
        (("check", "llama3-8b", "--gpu", ""), "--gpu is empty"),
        (("check", "llama3-8b", "--ctx", "0"), "--ctx 0 is out of range"),
        (("check", "llama3-8b", "--ctx", "-5"), "--ctx -5 is out of range"),
        (("check", "llama3-8b", "--ctx", "abc"), "--ctx"),
        (("check", "llama3-8b", "--quant", "Q9_K"), "--quant 'Q9_K' is not a known quantization"),
        (("check", "llama3-8b", "--ram", "-1"), "--ram -1 is out of range"),
        (("check", "llama3-8b", "--ram", "nan"), "--ram nan is out of range"),
        (("check", "llama3-8b", "--ram", "lots"), "--ram"),
        (("check", "llama3-8b", "--kv-cache", "q3"), "--kv-cache 'q3' is not a cache type"),
        (("check", "llama3-8b", "--parallel", "0"), "--parallel 0 is out of range"),
        (("check", "llama3-8b", "--runtime", "tgi"), "--runtime 'tgi' is not supported"),
        (("check", "llama3-8b", "--vram", "12"), "--vram needs a GPU"),
        (("check", "llama3-8b", "--catalog", "/nonexistent/x.yaml"), "/nonexistent/x.yaml: no such file"),
        (("check",), "Missing argument"),
        (("frobnicate",), "No such command"),
    ],
)
def test_bad_input_one_line_exit_2(run: Run, args: tuple[str, ...], needle: str) -> None:
    r = run(*args)
    assert r.code == 2, (r.out, r.err)
    assert needle in r.err
    assert len(r.err.strip().splitlines()) == 1
    assert "Traceback" not in r.err + r.out
    assert r.out == ""


def test_models_and_gpus_json(run: Run) -> None:
    models = run("models", "--json").json()["models"]
    assert len(models) >= 30
    assert set(models[0]) >= {"id", "name", "params", "layers", "hidden", "heads", "kv_heads", "head_dim", "source"}
    gpus = run("gpus", "4090", "--json").json()["gpus"]
    assert [g["id"] for g in gpus] == ["rtx-4090", "rtx-4090-laptop"]
    assert set(gpus[0]) >= {"memory_bytes", "bandwidth_gbps", "fp16_tflops", "price_usd", "price_date", "source"}


def test_detect_json(run: Run) -> None:
    d = run("detect", "--json").json()
    assert d["devices"] == [] and d["ram_bytes"] == 32 * 2**30
    assert d["cpu"]["cores"] == 8 and "avx2" in d["cpu"]["flags"]


def test_help_and_version(run: Run) -> None:
    r = run("--help")
    assert r.code == 0 and "check" in r.out
    r = run("check", "--help")
    assert r.code == 0 and "--kv-cache" in r.out
    assert run("--version").out.startswith("willitrun ")


def test_runtimes_commands(run: Run) -> None:
    d = run("check", "llama3.1-8b", "--gpu", "2x RTX 4090", "--runtime", "vllm", "-q", "awq", "--json").json()
    (o,) = d["options"]
    assert o["command"].startswith("vllm serve hugging-quants/Meta-Llama-3.1-8B-Instruct-AWQ-INT4 --max-model-len ")
    assert "--tensor-parallel-size 2" in o["command"]
    d = run("check", "llama3.1-8b", "--gpu", "M2 Max 64GB", "--runtime", "mlx", "-q", "4bit", "--json").json()
    assert d["options"][0]["command"] == "mlx_lm.server --model mlx-community/Meta-Llama-3.1-8B-Instruct-4bit"
    r = run("check", "llama3.1-8b", "--runtime", "vllm", "-q", "Q4_K_M")
    assert r.code == 2 and "not a known quantization" in r.err


def test_measured_results_beside_estimates(run: Run) -> None:
    d = run("check", "llama3-8b", "--gpu", "RTX 4090", "-q", "Q4_K_M", "--json").json()
    (o,) = d["options"]
    tg = [m for m in o["measured"] if m["metric"] == "tg"]
    assert tg and all(set(m) >= {"tokens_per_s", "metric", "hardware", "source"} for m in o["measured"])
    assert any(m["test"] == "tg512" and abs(m["tokens_per_s"] - 130.58) < 0.01 for m in tg)
    assert o["tokens_per_s"] != tg[0]["tokens_per_s"]  # the estimate stays an estimate
    two = run("check", "llama3-70b", "--gpu", "2x RTX 3090", "-q", "Q4_K_M", "--ctx", "4096", "--json").json()
    assert any(m["hardware"].startswith("2x ") for m in two["options"][0]["measured"])
    # other hardware or a different count: nothing measured
    assert (
        run("check", "llama3-8b", "--gpu", "RTX 4080", "-q", "Q4_K_M", "--json").json()["options"][0]["measured"] == []
    )
    assert (
        run("check", "llama3-8b", "--gpu", "3x RTX 4090", "-q", "Q4_K_M", "--json").json()["options"][0]["measured"]
        == []
    )
    r = run("check", "llama3-8b", "--gpu", "RTX 4090", "-q", "Q4_K_M")
    assert "Measured on this hardware" in r.out and "130.6 tok/s tg512" in r.out


def test_catalog_filters(run: Run) -> None:
    amd = run("gpus", "--vendor", "amd", "--min-memory", "32", "--json").json()["gpus"]
    assert amd and all(g["vendor"] == "amd" for g in amd)
    assert all(max([g["memory_bytes"], *g["memory_options_bytes"]]) >= 32 * 2**30 for g in amd)
    cheap = run("gpus", "--max-price", "500", "--kind", "gpu", "--json").json()["gpus"]
    assert cheap and all(g["price_usd"] <= 500 for g in cheap)
    macs = run("gpus", "--vendor", "apple", "--json").json()["gpus"]
    assert {g["kind"] for g in macs} <= {"apple", "system"}
    code = run("models", "--use", "code", "--max-params", "10", "--json").json()["models"]
    assert code and all("code" in m["uses"] and m["params"] <= 10e9 for m in code)
    moe = run("models", "--moe", "--json").json()["models"]
    assert moe and all(m["experts"] > 1 for m in moe)
    qwen = run("models", "qwen3", "--family", "qwen3", "--json").json()["models"]
    assert qwen and all(m["family"].startswith("qwen3") for m in qwen)
    assert run("models", "nothing-like-this", "--json").json() == {"schema_version": "2.0", "models": []}
    r = run("models", "nothing-like-this")
    assert r.code == 0 and "no model matches" in r.err
    assert max(len(x) for x in run("gpus").out.splitlines()) <= 80
    assert max(len(x) for x in run("models").out.splitlines()) <= 80


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("gpus", "--vendor", "nvdia"), "--vendor 'nvdia' is not a vendor"),
        (("gpus", "--min-memory", "-4"), "--min-memory -4 is out of range"),
        (("gpus", "--kind", "phone"), "--kind 'phone' is not a kind"),
        (("models", "--use", "poetry"), "--use 'poetry' is not a use"),
        (("models", "--max-params", "nan"), "--max-params nan is out of range"),
    ],
)
def test_filter_errors(run: Run, args: tuple[str, ...], needle: str) -> None:
    r = run(*args)
    assert r.code == 2 and needle in r.err and len(r.err.strip().splitlines()) == 1


def test_only_the_command_asked_for_is_built() -> None:
    from willitrun.cli import _app_for, app

    one = _app_for(["best-gpu", "--budget", "800"])
    assert [c.name for c in one.registered_commands] == ["best-gpu"]
    assert len(_app_for(["check", "llama3-8b"]).registered_commands) == 1
    assert len(app.registered_commands) > 5  # the shared app is left whole
    for args in ([], ["--help"], ["--version"], ["chek"]):
        assert _app_for(args) is app
