"""KV cache per layer kind against logged llama.cpp sizes (estimation.md section 2)."""

from __future__ import annotations

from dataclasses import replace

from willitrun.catalog.load import Catalog
from willitrun.estimate.kv import kv_bytes_per_token, kv_cache_bytes, kv_tokens, layer_kv_bytes
from willitrun.estimate.types import MIB, ModelSpec


def test_dense_128_kib_per_token(catalog: Catalog) -> None:
    m = catalog.model("llama3-8b")
    assert kv_bytes_per_token(m) == 128 * 1024
    # llama-server log: "KV buffer size = 4096.00 MiB" at n_ctx 32768, 256 MiB at 2048 (logdetective PR #106)
    assert kv_cache_bytes(m, 32768) == 4096 * MIB
    assert kv_cache_bytes(m, 2048) == 256 * MIB


def test_quantized_cache(catalog: Catalog) -> None:
    m = catalog.model("mistral-7b")
    assert kv_bytes_per_token(m, "q8_0") == 68 * 1024
    assert kv_bytes_per_token(m, "q4_0") == 36 * 1024


def test_context_padded_to_256(catalog: Catalog) -> None:
    m = catalog.model("llama3-8b")
    assert kv_cache_bytes(m, 1000) == kv_cache_bytes(m, 1024)
    assert kv_cache_bytes(m, 1025) == kv_cache_bytes(m, 1280)


def test_parallel_multiplies(catalog: Catalog) -> None:
    m = catalog.model("llama3-8b")
    assert kv_cache_bytes(m, 4096, parallel=4) == 4 * kv_cache_bytes(m, 4096)


def test_mla_latent_deepseek_v3(catalog: Catalog) -> None:
    m = catalog.model("deepseek-v3")
    # 61 layers x 576 latent elements x 2 B = 70,272 B/token; ik_llama.cpp logs 2196.00 MiB at ctx 32768
    assert kv_bytes_per_token(m) == 70272
    assert kv_cache_bytes(m, 32768) == 2196 * MIB


def test_sliding_window_gemma3(catalog: Catalog) -> None:
    m = catalog.model("gemma3-27b")
    kinds = [m.layer_kind(i) for i in range(m.layers)]
    assert kinds[:6] == ["swa"] * 5 + ["full"]
    assert kinds.count("full") == m.layers // 6
    # SWA layers keep pad256(window + n_ubatch) cells; global layers the whole context
    assert kv_tokens(m, 0, 32768) == 1536
    assert kv_tokens(m, 5, 32768) == 32768
    full = 2 * m.kv_heads * m.head_dim * 2
    expect = (m.layers // 6) * 32768 * full + (m.layers - m.layers // 6) * 1536 * full
    assert kv_cache_bytes(m, 32768) == expect
    # the window never exceeds the context itself
    assert kv_tokens(m, 0, 512) == 512


def test_gemma2_alternates(catalog: Catalog) -> None:
    m = catalog.model("gemma2-9b")
    assert [m.layer_kind(i) for i in range(4)] == ["swa", "full", "swa", "full"]


def test_recurrent_state_does_not_grow_with_context() -> None:
    base = ModelSpec("h", "h", "granitehybrid", 1, 8, 4096, 14336, 32, 8, 128, 65536, 262144, "test")
    m = replace(base, ssm_d_inner=8192, ssm_d_state=16, ssm_d_conv=4, attention_layers=(3, 7))
    assert m.layer_kind(0) == "recurrent"
    assert m.layer_kind(3) == "full"
    assert layer_kv_bytes(m, 0, 4096) == layer_kv_bytes(m, 0, 65536)
    assert layer_kv_bytes(m, 0, 4096) == ((4 - 1) * (8192 + 2 * 16) + 16 * 8192) * 4
    assert layer_kv_bytes(m, 3, 65536) == 16 * layer_kv_bytes(m, 3, 4096)
    # Mamba-1 (Jamba): conv over d_inner only, state d_state x d_inner
    jamba = replace(m, arch="jamba")
    assert layer_kv_bytes(jamba, 0, 4096) == ((4 - 1) * 8192 + 16 * 8192) * 4
    # Falcon-H1: a cache that grows with context plus a fixed state, in every layer
    fh = replace(m, arch="falcon-h1", attention_layers=tuple(range(8)))
    assert fh.layer_kind(0) == "full" and fh.parallel_ssm
    assert layer_kv_bytes(fh, 0, 4096) == layer_kv_bytes(m, 3, 4096) + layer_kv_bytes(m, 0, 4096)
