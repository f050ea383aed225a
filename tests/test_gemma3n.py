"""Gemma 3n: per-layer embeddings kept in RAM, AltUp/LAuReL tensors, and layers that share an earlier KV cache."""

from __future__ import annotations

from typing import Any

from willitrun.catalog.load import Catalog
from willitrun.estimate.core import Request, estimate
from willitrun.estimate.kv import kv_cache_bytes, kv_tokens
from willitrun.estimate.placement import Placing, plan
from willitrun.estimate.quants import assign_types
from willitrun.estimate.runtime import LLAMA_CPP
from willitrun.estimate.tensors import mix_context, model_tensors, parameter_count, weights_breakdown
from willitrun.hardware import build_machine
from willitrun.sources.gguf_file import spec_from_gguf_metadata


def _tables(m: Any) -> int:
    """Elements of the two embedding tables (token_embd and the per-layer table)."""
    return m.hidden * m.vocab + m.per_layer_input * m.layers * m.vocab


def test_effective_parameters_match_google(catalog: Catalog) -> None:
    # ai.google.dev/gemma/docs/gemma-3n#parameters: E2B runs with "just under 2 billion (1.91B)" effective
    # parameters: everything but the embedding tables (and the vision/audio encoders, not in the catalog).
    e2b = catalog.model("gemma3n-e2b")
    effective = parameter_count(e2b) - _tables(e2b)
    assert abs(effective - 1.91e9) / 1.91e9 < 0.005
    e4b = catalog.model("gemma3n-e4b")
    effective4 = parameter_count(e4b) - _tables(e4b)
    assert 3.9e9 < effective4 < 4.1e9  # "E4B": 4B effective
    # the stated params are the text decoder's
    for m in (e2b, e4b):
        assert parameter_count(m) == m.params


def test_tensors_follow_llama_cpp_names(catalog: Catalog) -> None:
    m = catalog.model("gemma3n-e4b")
    shapes = {t.name: t.ne for t in model_tensors(m)}
    assert shapes["per_layer_token_embd.weight"] == (256 * 35, 262400)
    assert shapes["per_layer_model_proj.weight"] == (2048, 256 * 35)
    assert shapes["altup_proj.weight"] == (2048, 2048, 3)
    assert shapes["blk.0.altup_predict_coef.weight"] == (4, 16)
    assert shapes["blk.34.laurel_l.weight"] == (2048, 64)
    assert shapes["blk.34.inp_gate.weight"] == (2048, 256)
    assert "output.weight" not in shapes  # tied


def test_per_layer_table_quantized_like_token_embd(catalog: Catalog) -> None:
    m = catalog.model("gemma3n-e2b")
    tensors = model_tensors(m)
    for mix, want in (("Q4_K_M", "Q4_K"), ("IQ2_XXS", "Q2_K"), ("Q8_0", "Q8_0")):
        types = {t.name: ty for t, ty in assign_types(mix, tensors, mix_context(m, mix, tensors))}
        assert types["per_layer_token_embd.weight"] == want
        # AltUp, LAuReL and the per-layer model projection are never quantized by llama-quantize
        assert types["altup_proj.weight"] == "F16"
        assert types["per_layer_model_proj.weight"] == "F16"
        assert types["blk.3.laurel_r.weight"] == "F16"


def test_shared_layers_keep_no_cache(catalog: Catalog) -> None:
    m = catalog.model("gemma3n-e4b")
    ctx = 32768
    # 20 of 35 layers own a cache; every 5th is global. f16 K+V row: 2 heads x 256 x 2 B x 2 = 2048 B/token.
    own = range(m.layers - m.kv_shared_layers)
    full = [i for i in own if (i + 1) % 5 == 0]
    assert len(own) == 20 and len(full) == 4
    swa_cells = kv_tokens(m, 0, ctx)
    assert swa_cells == 1024  # window 512 + ubatch 512
    assert kv_cache_bytes(m, ctx) == 2048 * (4 * ctx + 16 * swa_cells)


def test_per_layer_table_stays_in_ram(catalog: Catalog) -> None:
    m = catalog.model("gemma3n-e4b")
    w = weights_breakdown(m, "Q4_K_M")
    table = m.per_layer_input * m.layers * m.vocab
    assert w.input_extra_bytes == table // 256 * 144  # Q4_K: 144 bytes per 256 weights
    mach = build_machine(catalog, gpu="RTX 3060", vram_gb=None, ram_gb=32, ram_bandwidth_gbps=50, detected=None)
    p = plan(Placing(m, w, mach, 4096, "f16", 1, LLAMA_CPP), m.layers + 1)
    assert p.ram.weights_bytes == w.token_embd_bytes + w.input_extra_bytes
    gpu_weights = sum(d.weights_bytes for d in p.devices if d.name != "RAM")
    assert gpu_weights == w.total_bytes - w.input_extra_bytes  # the tied embedding's copy is counted apart
    est = estimate(m, mach, Request(quants=("Q4_K_M",), ctx=4096))
    assert est.options[0].verdict == "gpu"


def test_gguf_metadata_reads_shared_layers() -> None:
    meta: dict[str, Any] = {
        "general.architecture": "gemma3n",
        "gemma3n.block_count": 30,
        "gemma3n.context_length": 32768,
        "gemma3n.embedding_length": 2048,
        "gemma3n.feed_forward_length": [8192] * 30,
        "gemma3n.attention.head_count": 8,
        "gemma3n.attention.head_count_kv": 2,
        "gemma3n.attention.key_length": 256,
        "gemma3n.attention.sliding_window": 512,
        "gemma3n.attention.shared_kv_layers": 10,
        "gemma3n.embedding_length_per_layer_input": 256,
        "gemma3n.altup.num_inputs": 4,
        "gemma3n.vocab_size": 262400,
    }
    s = spec_from_gguf_metadata(meta, id="x", name="x", source="test", tensor_elements=None)
    assert (s.kv_shared_layers, s.per_layer_input, s.altup_inputs, s.swa_pattern) == (10, 256, 4, 5)
    assert not s.layer_has_kv(20) and s.layer_has_kv(19)


def test_check_points_at_the_glossary(catalog: Catalog) -> None:
    from willitrun.knowledge.glossary import find_term, load_glossary

    mach = build_machine(catalog, gpu="RTX 3060", vram_gb=None, ram_gb=32, ram_bandwidth_gbps=50, detected=None)
    est = estimate(catalog.model("gemma3n-e2b"), mach, Request(quants=("Q4_K_M",)))
    note = next(n for n in est.notes if "per-layer" in n)
    assert "20 of 30 layers" in note
    term = note.split("willitrun explain ")[1].strip("'")
    assert find_term(load_glossary(), term).id == term
