"""Runtime buffers against llama.cpp's logged compute buffers (estimation.md section 3)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from tests.conftest import Result
from willitrun.catalog.load import Catalog
from willitrun.estimate.runtime import LLAMA_CPP, OLLAMA, compute_buffer_bytes, default_context
from willitrun.estimate.types import GIB, MIB


def test_flash_attention_buffer_is_the_logits(catalog: Catalog) -> None:
    m = catalog.model("llama3-8b")
    # llama.cpp logs "CUDA0 compute buffer size = 258.50 MiB" for Llama 3 8B with flash attention
    b = compute_buffer_bytes(m, 8192, LLAMA_CPP, has_layers=True, has_output=True, pipeline=False)
    assert abs(b / MIB - 258.5) / 258.5 < 0.10


def test_without_flash_attention_grows_with_context(catalog: Catalog) -> None:
    m = catalog.model("mistral-7b")
    no_fa = replace(LLAMA_CPP, flash_attention=False)
    # logdetective PR #106: 164 MiB at ctx 2048, 2144 MiB at ctx 32768 (32 heads, ubatch 512)
    small = compute_buffer_bytes(m, 2048, no_fa, has_layers=True, has_output=False, pipeline=False)
    big = compute_buffer_bytes(m, 32768, no_fa, has_layers=True, has_output=False, pipeline=False)
    assert abs(big / MIB - 2144) / 2144 < 0.10
    assert abs(small / MIB - 164) / 164 < 0.25
    fa = compute_buffer_bytes(m, 32768, LLAMA_CPP, has_layers=True, has_output=False, pipeline=False)
    assert fa < big / 5


def test_pipeline_copies_add_inputs(catalog: Catalog) -> None:
    m = catalog.model("llama3-70b")
    one = compute_buffer_bytes(m, 4096, LLAMA_CPP, has_layers=True, has_output=False, pipeline=False)
    pp = compute_buffer_bytes(m, 4096, LLAMA_CPP, has_layers=True, has_output=False, pipeline=True)
    assert pp > one


def test_ollama_default_context_by_vram(catalog: Catalog) -> None:
    m = catalog.model("llama3.1-8b")
    assert default_context(m, "ollama", 8 * GIB) == 4096
    assert default_context(m, "ollama", 24 * GIB) == 32768
    assert default_context(m, "ollama", 48 * GIB) == 131072  # 262144 capped at the model's maximum
    assert default_context(m, "llama.cpp", 8 * GIB) == 131072
    assert OLLAMA.device_reserve_bytes["metal"] == 512 * MIB


def test_a_runtime_that_cannot_use_the_hardware_points_to_one_that_can(run: Callable[..., Result]) -> None:
    for args in (("--runtime", "mlx", "--gpu", "RTX 4090"), ("--runtime", "vllm", "--gpu", "M4 Max 64GB")):
        r = run("check", "llama3-8b", *args, "--json")
        assert r.code == 1, r.err  # nothing runs: not an internal error
        (hint,) = r.json()["if_nothing_runs"]
        assert hint["kind"] == "runtime" and hint["verdict"] == "gpu" and "--runtime llama.cpp" in hint["text"]
        again = run("check", "llama3-8b", "--runtime", "llama.cpp", *args[2:], "--json").json()
        assert again["recommended"] == hint["quant"]


def test_vllm_splits_a_cache_every_rank_keeps_whole(catalog: Catalog) -> None:
    from willitrun.estimate.engines import tp_size

    v4 = catalog.model("deepseek-v4-flash")  # one key/value head shared by all query heads
    assert v4.kv_heads == 1 and tp_size(v4, 8) == 8
    assert tp_size(catalog.model("deepseek-v3"), 8) == 8  # MLA
    assert tp_size(catalog.model("llama3-8b"), 16) == 8  # 8 KV heads cap it
