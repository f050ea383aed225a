"""Architectures of 2025-2026 as llama.cpp builds them: tensors (names, counts, shapes) and cache per layer kind."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from willitrun.catalog.load import Catalog
from willitrun.estimate.kv import (
    compressed_rows,
    compressor_state_bytes,
    kv_bytes_per_token,
    kv_cache_bytes,
    kv_read_bytes,
    kv_tokens,
    layer_kv_bytes,
    recurrent_state_bytes,
)
from willitrun.estimate.tensors import (
    model_tensors,
    mtp_resident_tensors,
    mtp_tensors,
    parameter_count,
    weights_breakdown,
)
from willitrun.estimate.types import ModelSpec


def _names(m: ModelSpec, layer: int) -> set[str]:
    p = f"blk.{layer}."
    return {t.name[len(p) :] for t in model_tensors(m) if t.name.startswith(p)}


def test_gemma4_31b_tensor_list_matches_the_published_gguf(catalog: Catalog) -> None:
    """bartowski's gemma-4-31B-it Q8_0 holds 833 tensors (llama.cpp PR #21760's log)."""
    m = catalog.model("gemma-4-31b")
    assert len(model_tensors(m)) == 833
    # full-attention layers: wider heads, 4 KV heads, no V projection (the keys serve as values)
    full = _names(m, 5)
    assert "attn_v.weight" not in full and "attn_k.weight" in full
    assert "attn_v.weight" in _names(m, 0)
    shapes = {t.name: t.ne for t in model_tensors(m)}
    assert shapes["blk.5.attn_k.weight"] == (5376, 4 * 512)
    assert shapes["blk.0.attn_k.weight"] == (5376, 16 * 256)


def test_gemma4_cache_per_layer_kind(catalog: Catalog) -> None:
    m = catalog.model("gemma-4-31b")
    ctx = 32768
    sliding = layer_kv_bytes(m, 0, ctx)
    full = layer_kv_bytes(m, 5, ctx)
    assert full == 2 * 2 * 4 * 512 * ctx  # K and V, f16, 4 heads of 512
    assert sliding == 2 * 2 * 16 * 256 * (1024 + 512)  # the window plus a batch of cells
    assert kv_cache_bytes(m, ctx) == 50 * sliding + 10 * full


def test_qwen3_next_tensor_list_and_state(catalog: Catalog) -> None:
    """The published Qwen3-Next GGUF holds 807 tensors with one fused ssm_in per delta-net layer; llama.cpp's
    current converter writes attn_qkv + attn_gate instead (one more tensor per layer, same elements)."""
    m = catalog.model("qwen3-next-80b-a3b")
    delta_layers = sum(1 for i in range(m.layers) if m.layer_kind(i) == "recurrent")
    assert delta_layers == 36
    assert len(model_tensors(m)) - delta_layers == 807
    assert {"attn_qkv.weight", "attn_gate.weight", "ssm_ba.weight", "ssm_conv1d.weight"} <= _names(m, 0)
    assert "attn_q.weight" in _names(m, 3)
    shapes = {t.name: t.ne for t in model_tensors(m)}
    assert shapes["blk.3.attn_q.weight"] == (2048, 2 * 16 * 256)  # q and its output gate
    # recurrent state: conv over q,k,v channels (3 cells) + one 128x128 state per value head, F32
    assert recurrent_state_bytes(m) == (3 * (2 * 16 * 128 + 4096) + 128 * 4096) * 4
    assert layer_kv_bytes(m, 0, 100_000) == layer_kv_bytes(m, 0, 4096)  # constant in context


def test_qwen35_mtp_block_counts_but_does_not_load(catalog: Catalog) -> None:
    """A file with the MTP block (llama.cpp's converter since May 2026; the published Qwen3.5 files have none)."""
    m = dataclasses.replace(catalog.model("qwen3.5-35b-a3b"), mtp_layers=1)
    mtp = mtp_tensors(m)
    assert mtp and all(t.layer == m.layers for t in mtp)
    assert any(t.name.endswith("nextn.eh_proj.weight") for t in mtp)
    without = dataclasses.replace(m, mtp_layers=0)
    assert parameter_count(m) - parameter_count(without) == sum(t.elements for t in mtp)
    assert weights_breakdown(m, "Q4_K_M").total_bytes == weights_breakdown(without, "Q4_K_M").total_bytes
    assert {"ssm_beta.weight", "ssm_alpha.weight"} <= _names(m, 0)


def test_minimax_m2_full_width_qk_norms_and_router_bias(catalog: Catalog) -> None:
    m = catalog.model("minimax-m2")
    shapes = {t.name: t.ne for t in model_tensors(m)}
    assert shapes["blk.0.attn_q_norm.weight"] == (48 * 128,)
    assert shapes["blk.0.attn_k_norm.weight"] == (8 * 128,)
    assert shapes["blk.0.exp_probs_b.bias"] == (256,)


def _nemotron_like() -> ModelSpec:
    pattern = "MEM*EME-"
    return ModelSpec(
        id="t",
        name="t",
        arch="nemotron_h_moe",
        params=1,
        layers=len(pattern),
        hidden=256,
        intermediate=512,
        heads=4,
        kv_heads=2,
        head_dim=64,
        vocab=1000,
        context_max=4096,
        source="test",
        experts=8,
        experts_active=2,
        expert_intermediate=128,
        shared_expert_intermediate=256,
        ssm_d_inner=512,
        ssm_d_state=64,
        ssm_d_conv=4,
        ssm_n_group=2,
        layer_pattern=pattern,
    )


def test_layer_pattern_one_block_per_layer() -> None:
    m = _nemotron_like()
    assert [m.layer_kind(i) for i in range(m.layers)] == [
        "recurrent", "ffn", "recurrent", "full", "ffn", "recurrent", "ffn", "ffn"
    ]  # fmt: skip
    assert [m.layer_is_moe(i) for i in range(m.layers)] == [False, True, False, False, True, False, True, False]
    assert "ssm_in.weight" in _names(m, 0) and "attn_q.weight" not in _names(m, 0)
    assert _names(m, 3) == {"attn_norm.weight", "attn_q.weight", "attn_k.weight", "attn_v.weight", "attn_output.weight"}
    assert "ffn_up_shexp.weight" in _names(m, 1) and "ffn_gate_exps.weight" not in _names(m, 1)
    assert _names(m, 7) == {"attn_norm.weight", "ffn_up.weight", "ffn_down.weight"}
    # only the attention layer grows with context; FFN layers keep nothing
    assert layer_kv_bytes(m, 1, 8192) == 0
    assert layer_kv_bytes(m, 3, 8192) == 2 * 2 * 2 * 64 * 8192
    assert kv_cache_bytes(m, 8192) == 3 * recurrent_state_bytes(m) + layer_kv_bytes(m, 3, 8192)


def test_dsa_indexer_adds_tensors_and_a_key_cache(catalog: Catalog) -> None:
    base = catalog.model("deepseek-v3")
    dsa = dataclasses.replace(base, arch="deepseek32", indexer_heads=64, indexer_head_dim=128)
    extra = parameter_count(dsa) - parameter_count(base)
    per_layer = 2 * 128 + base.hidden * 64 + base.hidden * 128 + (base.q_lora_rank or 0) * 64 * 128
    assert extra == per_layer * base.layers
    assert kv_cache_bytes(dsa, 4096) - kv_cache_bytes(base, 4096) == base.layers * 4096 * 128 * 2


def test_gemma4_e2b_per_layer_inputs_shared_kv_and_double_wide_ffn(catalog: Catalog) -> None:
    """unsloth's gemma-4-E2B-it Q4_K_M: 601 tensors, n_ff 6144 on the first 15 layers and 12288 on the 20 that reuse
    an earlier layer's cache, per-layer embeddings of 256 per layer, no AltUp (llama.cpp's gemma4 loader)."""
    m = catalog.model("gemma-4-e2b")
    assert len(model_tensors(m)) == 601
    shapes = {t.name: t.ne for t in model_tensors(m)}
    assert shapes["blk.14.ffn_up.weight"] == (1536, 6144)
    assert shapes["blk.15.ffn_up.weight"] == (1536, 12288)
    assert shapes["per_layer_token_embd.weight"] == (256 * 35, 262144)
    assert {"inp_gate.weight", "proj.weight", "post_norm.weight"} <= _names(m, 0)
    assert not any("altup" in n or "laurel" in n for n in shapes)
    assert [i for i in range(m.layers) if m.layer_kind(i) == "full"] == [4, 9, 14, 19, 24, 29, 34]
    assert [layer_kv_bytes(m, i, 4096) > 0 for i in range(m.layers)] == [i < 15 for i in range(m.layers)]
    assert "attn_v.weight" in _names(m, 4)  # the E models keep V on full-attention layers


def test_gemma4_e4b_tensor_count(catalog: Catalog) -> None:
    m = catalog.model("gemma-4-e4b")
    assert len(model_tensors(m)) == 720
    assert {t.ne for t in model_tensors(m) if t.name.endswith("ffn_up.weight")} == {(2560, 10240)}


def test_gemma4_26b_a4b_dense_ffn_beside_the_moe_block(catalog: Catalog) -> None:
    """unsloth's gemma-4-26B-A4B-it Q5_K_M: 658 tensors; every layer has the dense FFN (2112) and the MoE block
    (128 experts of 704, gate and up fused, a per-expert down scale)."""
    m = catalog.model("gemma-4-26b-a4b")
    assert len(model_tensors(m)) == 658
    shapes = {t.name: t.ne for t in model_tensors(m)}
    assert shapes["blk.0.ffn_gate.weight"] == (2816, 2112)
    assert shapes["blk.0.ffn_gate_up_exps.weight"] == (2816, 2 * 704, 128)
    assert shapes["blk.0.ffn_down_exps.scale"] == (128,)
    assert {"pre_ffw_norm_2.weight", "post_ffw_norm_1.weight", "post_ffw_norm_2.weight"} <= _names(m, 0)
    assert "attn_v.weight" not in _names(m, 5) and shapes["blk.5.attn_k.weight"] == (2816, 2 * 512)
    w = weights_breakdown(m, "Q4_K_M")
    assert w.layers[0].bytes_experts > 0.9 * w.layers[0].bytes_total


def test_mtp_block_with_its_own_embedding_and_head(catalog: Catalog) -> None:
    m = catalog.model("glm-4.5-air")
    names = {t.name for t in mtp_tensors(m)}
    assert {"blk.46.nextn.embed_tokens.weight", "blk.46.nextn.shared_head_head.weight"} <= names
    assert {"blk.46.nextn.eh_proj.weight", "blk.46.ffn_gate_exps.weight"} <= names


def test_deepseek_v32_mtp_block_has_the_indexer(catalog: Catalog) -> None:
    m = catalog.model("deepseek-v3.2")
    assert {"blk.61.indexer.attn_k.weight", "blk.61.nextn.eh_proj.weight"} <= {t.name for t in mtp_tensors(m)}


def test_dots1_router_bias_and_shared_experts(catalog: Catalog) -> None:
    m = catalog.model("dots-llm1")
    assert "ffn_gate.weight" in _names(m, 0) and "ffn_gate_exps.weight" not in _names(m, 0)
    shapes = {t.name: t.ne for t in model_tensors(m)}
    assert shapes["blk.1.exp_probs_b.bias"] == (128,)
    assert shapes["blk.1.ffn_up_shexp.weight"] == (4096, 2 * 1408)


def test_mistral4_is_deepseek2_mla_with_stacked_gate_up_experts(catalog: Catalog) -> None:
    """Mistral Small 4: DeepSeek-V2's layout under the arch mistral4 (llama.cpp PR #20649), the experts' gate and up
    kept stacked as the checkpoint ships them, a softmax router without a correction bias; llama-bench prints
    118.97 B for its GGUF."""
    m = catalog.model("mistral-small-4-119b")
    shapes = {t.name: t.ne for t in model_tensors(m)}
    assert shapes["blk.0.ffn_gate_up_exps.weight"] == (4096, 2 * 2048, 128)
    assert shapes["blk.0.attn_q_b.weight"] == (1024, 32 * (64 + 64))
    assert shapes["blk.0.attn_kv_a_mqa.weight"] == (4096, 256 + 64)
    assert not {"ffn_gate_exps.weight", "ffn_up_exps.weight", "exp_probs_b.bias"} & _names(m, 0)
    assert len(_names(m, 0)) == 16 and len(model_tensors(m)) == 3 + 36 * 16
    assert round(parameter_count(m) / 1e9, 2) == 118.97
    # one latent row of kv_lora_rank + rope per token and layer
    assert kv_bytes_per_token(m) == 36 * 2 * (256 + 64)
    assert kv_cache_bytes(m, 8192) == 36 * 2 * (256 + 64) * 8192


def test_nemotron_super_latent_moe(catalog: Catalog) -> None:
    """Nemotron 3 Super: with moe_latent_size the routed experts (up/down, no gate) work at the latent width between
    ffn_latent_down and ffn_latent_up; router and shared expert stay at the full width. llama-bench prints 120.67 B
    for unsloth's GGUF (the checkpoint's MTP block not in it)."""
    m = catalog.model("nemotron-3-super-120b-a12b")
    shapes = {t.name: t.ne for t in model_tensors(m)}
    assert m.layer_pattern[1] == "E"
    assert shapes["blk.1.ffn_latent_down.weight"] == (4096, 1024)
    assert shapes["blk.1.ffn_latent_up.weight"] == (1024, 4096)
    assert shapes["blk.1.ffn_up_exps.weight"] == (1024, 2688, 512)
    assert shapes["blk.1.ffn_down_exps.weight"] == (2688, 1024, 512)
    assert shapes["blk.1.ffn_gate_inp.weight"] == (4096, 512)
    assert shapes["blk.1.ffn_up_shexp.weight"] == (4096, 5376)
    assert "ffn_gate_exps.weight" not in _names(m, 1)
    # 40 Mamba-2 layers of 9 tensors, 40 latent MoE layers of 9, 8 attention layers of 5, embedding, norm, output
    assert len(model_tensors(m)) == 40 * 9 + 40 * 9 + 8 * 5 + 3
    assert round(parameter_count(m) / 1e9, 2) == 120.67
    # only the 8 attention layers grow with context (2 KV heads of 128, K and V, f16)
    assert kv_bytes_per_token(m) == 8 * 2 * 2 * 2 * 128
    without = dataclasses.replace(m, moe_latent_size=0)
    assert {t.ne for t in model_tensors(without) if t.name == "blk.1.ffn_up_exps.weight"} == {(4096, 2688, 512)}


def test_glm_dsa_is_deepseek32_layout_with_glm_shapes(catalog: Catalog) -> None:
    """GLM-5: DeepSeek-V3.2's MLA, lightning indexer and biased-router MoE under the arch glm-dsa, with the MTP block
    (no own embedding or head). llama-bench prints 753.86 B for a GLM-5.2 GGUF; ik_llama.cpp's log for a GLM-5 GGUF
    prints 751.961 B for the repeating layers (everything but token_embd and output)."""
    m = catalog.model("glm-5")
    shapes = {t.name: t.ne for t in model_tensors(m)}
    moe_layer = {"indexer.attn_q_b.weight", "indexer.proj.weight", "exp_probs_b.bias", "ffn_gate_exps.weight"}
    assert moe_layer <= _names(m, 3)
    assert "ffn_gate.weight" in _names(m, 2) and "exp_probs_b.bias" not in _names(m, 2)
    assert shapes["blk.0.indexer.attn_q_b.weight"] == (2048, 32 * 128)
    assert shapes["blk.0.attn_k_b.weight"] == (192, 512, 64)
    mtp = {t.name for t in mtp_tensors(m)}
    assert "blk.78.nextn.eh_proj.weight" in mtp and "blk.78.nextn.embed_tokens.weight" not in mtp
    assert round(parameter_count(m) / 1e9, 2) == 753.86
    assert round((parameter_count(m) - 2 * 6144 * 154880) / 1e9, 3) == 751.961
    # per token and layer: the 512 + 64 latent and one 128-wide indexer key
    assert kv_bytes_per_token(m) == 78 * 2 * (512 + 64 + 128)


def test_glm52_keeps_indexer_keys_on_its_full_indexer_layers_only(catalog: Catalog) -> None:
    """GLM-5.2's IndexShare: 'full' indexers on layers 0-2 and every fourth layer after; the 'shared' layers reuse that
    selection and cache no indexer keys (llama.cpp's filter on attention.indexer.types). The weights are all there."""
    m = catalog.model("glm-5.2")
    assert m.indexer_layers is not None and len(m.indexer_layers) == 21
    assert parameter_count(m) == parameter_count(catalog.model("glm-5"))
    assert "indexer.attn_k.weight" in _names(m, 4)  # a shared layer still holds its indexer weights
    assert layer_kv_bytes(m, 6, 4096) - layer_kv_bytes(m, 5, 4096) == 4096 * 128 * 2
    assert kv_bytes_per_token(m) == 78 * 2 * (512 + 64) + 21 * 2 * 128


def test_hunyuan_moe_a13b_matches_the_published_gguf(catalog: Catalog) -> None:
    """Hunyuan A13B: per-head q/k norms, 64 experts and a shared expert in every layer, tied embeddings. The published
    Q4_K GGUF holds 482 tensors (llama.cpp PR #14425's log); llama-bench prints 80.39 B."""
    m = catalog.model("hunyuan-a13b")
    assert len(model_tensors(m)) == 482
    names = _names(m, 0)
    assert {"attn_q_norm.weight", "attn_k_norm.weight", "ffn_gate_exps.weight", "ffn_up_shexp.weight"} <= names
    assert "exp_probs_b.bias" not in names and "output.weight" not in {t.name for t in model_tensors(m)}
    shapes = {t.name: t.ne for t in model_tensors(m)}
    assert shapes["blk.0.attn_q_norm.weight"] == (128,)
    assert shapes["blk.0.ffn_down_shexp.weight"] == (3072, 4096)
    assert round(parameter_count(m) / 1e9, 2) == 80.39
    assert kv_bytes_per_token(m) == 32 * 2 * 2 * 8 * 128


def test_hunyuan_dense_is_llama_with_per_head_qk_norms(catalog: Catalog) -> None:
    m = catalog.model("hunyuan-0.5b")
    assert _names(m, 0) == {
        "attn_norm.weight", "attn_q.weight", "attn_k.weight", "attn_v.weight", "attn_output.weight",
        "attn_q_norm.weight", "attn_k_norm.weight", "ffn_norm.weight", "ffn_gate.weight", "ffn_up.weight",
        "ffn_down.weight",
    }  # fmt: skip
    assert len(model_tensors(m)) == 2 + 24 * 11  # tied: token_embd and output_norm besides the layers
    assert kv_bytes_per_token(m) == 24 * 2 * 2 * 8 * 128


def test_lfm2moe_is_lfm2_with_experts_after_its_dense_layers(catalog: Catalog) -> None:
    """LFM2-8B-A1B: LFM2's short-convolution and attention layers, two dense FFN layers, then 32 experts with a
    router bias and no shared expert. The same shapes with LFM2.5's 128,000 vocabulary give exactly the
    8,467,856,832 parameters llama-bench reports for LFM2.5-8B-A1B's GGUF."""
    m = catalog.model("lfm2-8b-a1b")
    assert {"shortconv.in_proj.weight", "ffn_gate.weight"} <= _names(m, 1) and "ffn_gate_inp.weight" not in _names(m, 1)
    assert {"attn_q_norm.weight", "ffn_gate_exps.weight"} <= _names(m, 2) and "ffn_gate.weight" not in _names(m, 2)
    moe = _names(m, 3)
    assert {"shortconv.conv.weight", "ffn_gate_inp.weight", "exp_probs_b.bias", "ffn_down_exps.weight"} <= moe
    assert not any("shexp" in n for n in moe)
    assert "token_embd_norm.weight" in {t.name for t in model_tensors(m)}
    assert parameter_count(catalog.model("lfm2.5-8b-a1b")) == 8_467_856_832
    # six attention layers grow with context; the convolution layers keep (3 - 1) x hidden F32 values each
    assert kv_bytes_per_token(m) == 6 * 2 * 2 * 8 * 64
    assert recurrent_state_bytes(m) == 2 * 2048 * 4
    assert kv_cache_bytes(m, 4096) == 18 * 2 * 2048 * 4 + 6 * 2 * 2 * 8 * 64 * 4096


def test_deepseek4_tensor_list_matches_the_published_gguf(catalog: Catalog) -> None:
    """DeepSeek V4 Flash as llama.cpp's deepseek4 loader builds it: 1328 tensors (the count in the published files'
    headers; the converter leaves the MTP block out), 284.33 B parameters as llama.cpp prints for them. Layers 0-1
    keep only the sliding window, then CSA (ratio 4, with the lightning indexer) and HCA (ratio 128) alternate; the
    first 3 layers route by a token-id table instead of the router's bias."""
    m = catalog.model("deepseek-v4-flash")
    assert len(model_tensors(m)) == 1328
    assert round(parameter_count(m) / 1e9, 2) == 284.33
    assert parameter_count(catalog.model("deepseek-v4-flash-0731")) == parameter_count(m)
    assert [m.layer_kind(i) for i in range(5)] == ["swa", "swa", "csa", "hca", "csa"]
    common = {
        "attn_norm.weight", "attn_sinks.weight", "attn_q_a.weight", "attn_q_a_norm.weight", "attn_q_b.weight",
        "attn_kv.weight", "attn_kv_a_norm.weight", "attn_output_a.weight", "attn_output_b.weight",
        "hc_attn_fn.weight", "hc_attn_base.weight", "hc_attn_scale.weight", "hc_ffn_fn.weight",
        "hc_ffn_base.weight", "hc_ffn_scale.weight", "ffn_norm.weight", "ffn_gate_inp.weight",
        "ffn_gate_exps.weight", "ffn_up_exps.weight", "ffn_down_exps.weight", "ffn_gate_shexp.weight",
        "ffn_up_shexp.weight", "ffn_down_shexp.weight",
    }  # fmt: skip
    compressor = {"attn_compressor_kv.weight", "attn_compressor_gate.weight", "attn_compressor_ape.weight"}
    compressor |= {"attn_compressor_norm.weight"}
    indexer = {"indexer.proj.weight", "indexer.attn_q_b.weight", "indexer_compressor_kv.weight"}
    indexer |= {"indexer_compressor_gate.weight", "indexer_compressor_ape.weight", "indexer_compressor_norm.weight"}
    assert _names(m, 0) == common | {"ffn_gate_tid2eid.weight"}
    assert _names(m, 2) == common | compressor | indexer | {"ffn_gate_tid2eid.weight"}
    assert _names(m, 3) == common | compressor | {"exp_probs_b.bias"}
    shapes = {t.name: t.ne for t in model_tensors(m)}
    assert shapes["blk.0.ffn_gate_tid2eid.weight"] == (6, 129280)
    assert shapes["blk.0.attn_kv.weight"] == (4096, 512)  # one key head, which also serves as the value
    assert shapes["blk.0.attn_q_b.weight"] == (1024, 64 * 512)
    assert shapes["blk.0.attn_output_a.weight"] == (64 * 512 // 8, 1024 * 8)  # 8 groups of rank 1024
    assert shapes["blk.0.attn_output_b.weight"] == (8 * 1024, 4096)
    assert shapes["blk.0.hc_attn_fn.weight"] == (4 * 4096, (2 + 4) * 4)
    assert shapes["blk.2.attn_compressor_kv.weight"] == (4096, 2 * 512)  # CSA windows overlap: twice as wide
    assert shapes["blk.2.attn_compressor_ape.weight"] == (2 * 512, 4)
    assert shapes["blk.2.indexer_compressor_kv.weight"] == (4096, 2 * 128)
    assert shapes["blk.2.indexer.attn_q_b.weight"] == (1024, 64 * 128)
    assert shapes["blk.3.attn_compressor_kv.weight"] == (4096, 512)
    assert shapes["blk.3.attn_compressor_ape.weight"] == (512, 128)
    assert shapes["output_hc_fn.weight"] == (4 * 4096, 4)
    # ggml-org/DeepSeek-V4-Flash-GGUF's DeepSeek-V4-Flash-MXFP4.gguf is 154,991,536,896 bytes, header included
    assert abs(weights_breakdown(m, "MXFP4").total_bytes / 154_991_536_896 - 1) < 0.002
    # a file with the MTP block (llama.cpp's MTP-only export): the block's ratio is the list's 44th entry (0)
    mtp = {t.name for t in mtp_tensors(dataclasses.replace(m, mtp_layers=1))}
    assert {"blk.43.nextn.eh_proj.weight", "blk.43.hc_attn_fn.weight", "blk.43.exp_probs_b.bias"} <= mtp
    assert "blk.43.attn_compressor_kv.weight" not in mtp


def test_deepseek4_pro_shapes(catalog: Catalog) -> None:
    """DeepSeek V4 Pro: 61 layers, HCA on the first two, 16 output groups, 384 experts of 3072. These shapes hold
    1894 tensors and 1,572,999,528,803 parameters (llama.cpp prints 1.57 T for such a file); the card's 1.6T."""
    m = catalog.model("deepseek-v4-pro")
    assert len(model_tensors(m)) == 1894
    assert parameter_count(m) == 1_572_999_528_803
    assert [m.layer_kind(i) for i in (0, 1, 2, 3, 60)] == ["hca", "hca", "csa", "hca", "csa"]
    shapes = {t.name: t.ne for t in model_tensors(m)}
    assert shapes["blk.0.attn_output_a.weight"] == (128 * 512 // 16, 1024 * 16)
    assert shapes["blk.0.ffn_gate_tid2eid.weight"] == (6, 129280)


def test_deepseek4_cache_per_layer_kind(catalog: Catalog) -> None:
    """llama.cpp's deepseek4 cache, keys only: every layer a window of raw 512-wide keys (pad256(128 + 512) = 768
    cells); CSA layers one compressed key and one 128-wide indexer key per 4 tokens, HCA layers one key per 128
    tokens (rows padded to 256); and the F32 compressor states. The totals are llama-fit-params' own for a file
    of these shapes (its debug log: raw 32.25 MiB, CSA 21, HCA 5, indexer 5.25, states 1.31 + 10 + 0.33 at 4096)."""
    m = catalog.model("deepseek-v4-flash")
    ctx = 4096
    window = 768 * 512 * 2
    assert layer_kv_bytes(m, 0, ctx) == window
    assert compressor_state_bytes(m, 2) == 2 * 4 * 8 * 1024 + 2 * 4 * 8 * 256  # CSA and its indexer: 8 rows
    assert compressor_state_bytes(m, 3) == 2 * 4 * 128 * 512  # HCA: the 128-token window, keys and scores
    assert layer_kv_bytes(m, 2, ctx) == window + 1024 * (512 + 128) * 2 + 65536 + 16384
    assert layer_kv_bytes(m, 3, ctx) == window + 256 * 512 * 2 + 524288
    assert kv_cache_bytes(m, ctx) == 78_790_656  # llama-fit-params: 75 MiB of context
    assert (compressed_rows(m, 2, 1000), compressed_rows(m, 3, 1000)) == (256, 256)
    assert (compressed_rows(m, 2, 1 << 20), compressed_rows(m, 3, 1 << 20)) == (262144, 8192)
    assert kv_cache_bytes(m, 1000) == 58_146_816  # 55.45 MiB
    assert kv_cache_bytes(m, 32768, "q8_0") == 149_938_176  # 142.99 MiB (the states stay F32)
    assert kv_cache_bytes(m, 131072, "f16", 4) == 3_791_192_064  # 3615.56 MiB, every sequence its own
    assert kv_cache_bytes(m, 1 << 20) == 7_260_225_536  # 6923.89 MiB at the full million tokens
    # per extra token: 21 CSA layers (512 + 128) x 2 bytes / 4, 20 HCA layers 512 x 2 / 128; the window is fixed
    assert kv_bytes_per_token(m) == 21 * 1280 / 4 + 20 * 1024 / 128
    assert kv_tokens(m, 2, 1 << 20) == 768
    # one decode step at depth 100,000 on a CSA layer reads the window, every compressed row and the state
    assert kv_read_bytes(m, 2, 100_000) == 128 * 1024 + 25_000 * 1280 + 81920
    pro = catalog.model("deepseek-v4-pro")
    assert (kv_cache_bytes(pro, 4096), kv_cache_bytes(pro, 65536)) == (114_130_944, 712_081_408)


def test_deepseek4_catalog_fields_are_checked(tmp_path: Path) -> None:
    """A ratio llama.cpp's loader rejects, too short a list, or deepseek4 without the list, is a catalog error."""
    from willitrun.catalog.load import load_catalog
    from willitrun.errors import CatalogError

    base = """models:
  - id: tiny-dsv4
    name: Tiny
    family: test
    arch: deepseek4
    params: 1000000
    layers: 2
    hidden: 256
    intermediate: 64
    heads: 4
    kv_heads: 1
    head_dim: 64
    vocab: 1000
    context_max: 4096
    experts: 4
    experts_active: 2
    expert_intermediate: 64
    sliding_window: 128
    q_lora_rank: 64
    indexer_heads: 4
    indexer_head_dim: 32
    o_groups: 2
    o_lora_rank: 32
    hc_mult: 4
    hash_layers: 1
    compress_ratios: [0, 4]
    source: "https://example.org/config.json"
"""
    path = tmp_path / "dsv4.yaml"
    path.write_text(base, encoding="utf-8")
    assert load_catalog([str(path)]).model("tiny-dsv4").compress_ratios == (0, 4)
    for old, new, needle in (
        ("[0, 4]", "[0, 8]", "each 0, 4 or 128"),
        ("[0, 4]", "[0]", "for each of the 2 layers"),
        ("    compress_ratios: [0, 4]\n", "", "is required for deepseek4"),
        ("o_groups: 2", "o_groups: 3", "must divide heads"),
    ):
        path.write_text(base.replace(old, new), encoding="utf-8")
        with pytest.raises(CatalogError, match=needle):
            load_catalog([str(path)])


def test_deepseek_v4_compute_buffer_grows_with_context(catalog: Catalog) -> None:
    """llama-fit-params (llama.cpp 0.3.36, CPU) on a synthetic V4-Flash GGUF written from willitrun's tensor list:
    its compute buffer grows with the compressed cache, unlike other models' (recorded 2026-12-03)."""
    from willitrun.estimate.runtime import LLAMA_CPP, compute_buffer_bytes

    m = catalog.model("deepseek-v4-flash")
    measured_mib = {4096: 268, 32768: 300, 65536: 347, 262144: 574, 524288: 1024, 1048576: 1780}
    for ctx, mib in measured_mib.items():
        got = compute_buffer_bytes(m, ctx, LLAMA_CPP, has_layers=True, has_output=True, pipeline=False) / 2**20
        assert abs(got / mib - 1) < 0.11, (ctx, got, mib)
    flat = catalog.model("llama3.1-8b")
    small, large = (
        compute_buffer_bytes(flat, c, LLAMA_CPP, has_layers=True, has_output=True, pipeline=False)
        for c in (4096, 131072)
    )
    assert small == large  # with flash attention the output phase dominates for an ordinary model


def test_minimax_m3_tensor_list_and_msa_cache(catalog: Catalog) -> None:
    """MiniMax M3 (llama.cpp's minimax-m3): per-head q/k norms, 3 dense layers then MoE layers with a shared expert,
    a router bias and MSA's block indexer; its cache keeps K and V of 4 heads of 128 on every layer and, on the 57
    sparse layers, a second one-head cache of indexer keys with K and V rows of 128 (llama-fit-params on a file
    written from this list: 622,854,144 bytes at 4k f16 and 5,294,260,224 at 32k q8_0 with -np 2, exactly)."""
    m = catalog.model("minimax-m3")
    tensors = model_tensors(m)
    # embedding, output norm, output; 11 per dense layer; 20 per MoE layer (7 attention, norm, router, bias,
    # 3 experts, 3 shared, 4 indexer)
    assert len(tensors) == 3 + 3 * 11 + 57 * 20
    dense, moe = _names(m, 0), _names(m, 3)
    assert {"ffn_gate.weight", "attn_q_norm.weight"} <= dense and not any("indexer" in n for n in dense)
    assert {
        "exp_probs_b.bias",
        "ffn_up_shexp.weight",
        "indexer.q_proj.weight",
        "indexer.k_proj.weight",
        "indexer.q_norm.weight",
        "indexer.k_norm.weight",
    } <= moe
    shapes = {t.name: t.ne for t in tensors}
    assert shapes["blk.3.indexer.q_proj.weight"] == (6144, 4 * 128)
    assert shapes["blk.0.attn_q_norm.weight"] == (128,)  # one vector shared by every head
    assert shapes["blk.3.ffn_gate_exps.weight"] == (6144, 3072, 128)
    assert round(parameter_count(m) / 1e9, 2) == 426.17  # the text model; the card's 428B is the checkpoint's
    full_kv = 2 * 2 * 4 * 128
    assert kv_bytes_per_token(m) == 60 * full_kv + 57 * 2 * 2 * 128
    assert layer_kv_bytes(m, 0, 4096) == full_kv * 4096
    assert layer_kv_bytes(m, 3, 4096) == (full_kv + 2 * 2 * 128) * 4096
    assert kv_cache_bytes(m, 4096) == 622_854_144
    assert kv_cache_bytes(m, 32768, "q8_0", parallel=2) == 5_294_260_224
    assert kv_read_bytes(m, 3, 1000) == (full_kv + 512) * 1000


def test_qwen4exp_tensor_list_and_cache(catalog: Catalog) -> None:
    """Qwen3.8-Flash-Next (llama.cpp's qwen4exp): Qwen3.5's delta-net/attention layers with no norms of their own
    (two hyper-connection mixers per layer and a final one carry them), QSA's indexer on the 12 attention layers,
    the PLE injection on layer 1 and the 320M-row n-gram table (160 wide). llama.cpp prints 176.94 B for its files.
    The cache is llama-fit-params' own for a file written from this list (its debug log at 4096, f16: K/V 96 MiB on
    12 layers, indexer keys 12 MiB, R 4.22 + S 108 + PLE history 0.35 MiB: 231,284,736 bytes; and 1,198,669,824 at
    32k q8_0 with -np 2)."""
    m = catalog.model("qwen3.8-flash-next")
    tensors = model_tensors(m)
    # embedding, n-gram table, final mixer (3), output; 8 mixer tensors and 8 MoE per layer; 9 delta-net tensors on
    # 36 layers, 10 attention (q, k, v, o, q/k norms, 4 indexer) on 12; 6 PLE tensors on layer 1
    assert len(tensors) == 6 + 48 * (8 + 8) + 36 * 9 + 12 * 10 + 6 == 1224
    shapes = {t.name: t.ne for t in tensors}
    assert shapes["per_layer_token_embd.weight"] == (160, 320_001_536)
    assert shapes["output_hc_down.weight"] == (4 * 2560, 320)
    assert shapes["blk.0.hc_attn_inject.weight"] == (10240, 4)
    assert shapes["blk.1.ple_key.weight"] == (2560, 10240)
    assert shapes["blk.1.ple_conv1d.weight"] == (4, 10240)
    assert shapes["blk.3.attn_q.weight"] == (2560, 2 * 24 * 256)  # queries and their output gate
    assert shapes["blk.3.indexer.q_proj.weight"] == (2560, 4 * 128)
    assert shapes["blk.0.attn_qkv.weight"] == (2560, 2 * 16 * 128 + 6144)
    assert shapes["blk.0.ssm_alpha.weight"] == (2560, 48)
    assert not ({"attn_norm.weight", "ffn_norm.weight", "post_attention_norm.weight"} & (_names(m, 0) | _names(m, 3)))
    assert "output_norm.weight" not in shapes
    assert "blk.0.ple_key.weight" not in shapes and "blk.0.indexer.k_proj.weight" not in shapes
    assert parameter_count(m) == m.params == 176_943_899_520
    assert mtp_tensors(m) == ()
    ctx = 4096
    assert layer_kv_bytes(m, 3, ctx) == (2 * 512 * 2 + 128 * 2) * ctx  # K, V and the indexer's raw key
    state = (3 * 10240 + 128 * 6144) * 4
    assert recurrent_state_bytes(m) == state
    assert layer_kv_bytes(m, 1, ctx) == state + 3 * 3 * 4 * 2560 * 4  # the PLE convolution's history besides
    assert layer_kv_bytes(m, 0, ctx) == state
    assert kv_cache_bytes(m, ctx) == 231_284_736
    assert kv_cache_bytes(m, 32768, "q8_0", parallel=2) == 1_198_669_824
    assert kv_bytes_per_token(m) == 12 * (2 * 1024 + 256)
    assert kv_read_bytes(m, 3, 1000) == 2304 * 1000
    assert kv_read_bytes(m, 1, 1000) == state + 368_640


def test_glm5_next_tensor_list_and_cache(catalog: Catalog) -> None:
    """GLM-5.3-Flash (llama.cpp's glm5-next): Kimi delta attention on 34 layers and DeepSeek-style MLA without RoPE
    (nope 256) on 11, whose indexer pools its keys (a compressor gate and position table), DeepSeek V4's
    hyper-connection mixers on every layer but no output mixer, 3 dense layers then 288 experts with a router bias,
    and one MTP block (1412 tensors in a file written from this list, as llama.cpp loads it; it prints 320.76 B for
    the published files). The cache is llama-fit-params' own (its debug log at 4096, f16: latent rows 44 MiB and
    indexer rows (key, gate, pooled value) 33 MiB on the 11 MLA layers, R 9.56 + S 136 MiB on the KDA layers:
    233,373,696 bytes; and 991,559,680 at 32k q8_0 with -np 2)."""
    m = catalog.model("glm-5.3-flash")
    tensors = model_tensors(m)
    # norms 2, mixers 6; KDA 15, MLA 8 + indexer 7; dense FFN 3, MoE 8; embedding, output norm, output
    assert len(tensors) == 3 + 3 * (8 + 15 + 3) + 31 * (8 + 15 + 8) + 11 * (8 + 15 + 8) == 1383
    assert len(tensors) + len(mtp_tensors(m)) == 1412
    kda, mla = _names(m, 4), _names(m, 3)
    assert {"ssm_conv1d_q.weight", "ssm_f_a.weight", "ssm_g_b.weight", "hc_attn_fn.weight", "exp_probs_b.bias"} <= kda
    assert {"indexer_compressor_gate.weight", "indexer_compressor_ape.weight", "attn_k_b.weight"} <= mla
    assert not any(n.startswith("output_hc") for n in (t.name for t in tensors))
    assert not any("hc_" in t.name for t in mtp_tensors(m))
    shapes = {t.name: t.ne for t in tensors}
    assert shapes["blk.3.attn_kv_a_mqa.weight"] == (4096, 512)  # the latent and no RoPE part
    assert shapes["blk.3.attn_q_b.weight"] == (1536, 64 * 256)
    assert shapes["blk.3.indexer_compressor_ape.weight"] == (128, 4)
    assert shapes["blk.0.ssm_conv1d_v.weight"] == (4, 1, 8192)
    assert shapes["blk.0.ssm_beta.weight"] == (4096, 64)
    assert shapes["blk.0.hc_ffn_fn.weight"] == (4 * 4096, 24)
    assert parameter_count(m) == m.params and round(m.params / 1e9, 2) == 320.76
    ctx = 4096
    state = (3 * 3 * 8192 + 128 * 8192) * 4
    assert recurrent_state_bytes(m) == state and layer_kv_bytes(m, 0, ctx) == state
    assert layer_kv_bytes(m, 3, ctx) == (512 + 3 * 128) * 2 * ctx
    assert kv_cache_bytes(m, ctx) == 233_373_696
    assert kv_cache_bytes(m, 32768, "q8_0", parallel=2) == 991_559_680
    assert kv_bytes_per_token(m) == 11 * (512 + 384) * 2


def test_afmoe_trinity_tensor_list_and_cache(catalog: Catalog) -> None:
    """Arcee's Trinity (llama.cpp's afmoe): pre- and post-norms around attention and FFN, per-head q/k norms, a
    sigmoid output gate on the attention (attn_gate), 2 dense layers then 128 experts with a router bias and a
    shared expert; three sliding-window layers (2048) to one full. The cache is llama-fit-params' own for files
    written from these lists: Trinity Mini 192,937,984 bytes at 4096 f16 and 704,118,784 at 32k q8_0 with -np 2;
    Nano 168,820,736 and 616,103,936 (its debug log: 476 MiB on the 14 full layers, 111.5625 MiB on the 42 SWA
    layers of 2560 cells per sequence)."""
    mini, nano = catalog.model("trinity-mini"), catalog.model("trinity-nano-preview")
    dense, moe = _names(mini, 0), _names(mini, 2)
    assert {"attn_gate.weight", "post_attention_norm.weight", "post_ffw_norm.weight", "attn_q_norm.weight"} <= dense
    assert {"ffn_gate.weight", "ffn_up.weight"} <= dense and "ffn_gate_inp.weight" not in dense
    assert {"exp_probs_b.bias", "ffn_up_shexp.weight", "ffn_gate_exps.weight"} <= moe
    # 9 attention-side tensors (2 norms, q/k/v/o, q/k norms, gate); dense FFN 3 (+ 2 norms), MoE 8 (+ 2 norms);
    # embedding, output norm, output
    assert len(model_tensors(mini)) == 3 + 2 * (9 + 5) + 30 * (9 + 10) == 601
    assert len(model_tensors(nano)) == 3 + 2 * 14 + 54 * 19 == 1057
    shapes = {t.name: t.ne for t in model_tensors(mini)}
    assert shapes["blk.0.attn_gate.weight"] == (2048, 32 * 128)
    assert shapes["blk.2.ffn_gate_exps.weight"] == (2048, 1024, 128)
    assert parameter_count(mini) == mini.params == 26_123_974_400  # the card's 26B
    assert parameter_count(nano) == nano.params == 6_120_003_328  # the card's 6B
    assert [mini.layer_kind(i) for i in range(4)] == ["swa", "swa", "swa", "full"]
    assert kv_tokens(nano, 0, 32768) == 2560 and kv_tokens(nano, 3, 32768) == 32768
    assert kv_cache_bytes(mini, 4096) == 192_937_984
    assert kv_cache_bytes(mini, 32768, "q8_0", parallel=2) == 704_118_784
    assert kv_cache_bytes(nano, 4096) == 168_820_736
    assert kv_cache_bytes(nano, 32768, "q8_0", parallel=2) == 616_103_936


def test_cohere2moe_north_parallel_block_and_full_first_windows(catalog: Catalog) -> None:
    """Cohere's North Mini Code (llama.cpp's cohere2moe): a parallel block with one norm (no ffn_norm), no q/k
    norms, one dense layer (3072) then 128 experts of 768 with no router bias and no shared expert, a tied
    embedding, and the full-attention layer first in each group of four (0, 4, ..., 48: 13 full, 36 on a 4096
    window). llama.cpp loads a file written from this list (442 tensors, "model params = 30.48 B") and its cache is
    llama-fit-params' own: 13 full layers 104 MiB and 36 SWA layers of 4096 cells 288 MiB at 4096 f16 (411,041,792
    bytes), 1,287,913,472 at 32k q8_0 with -np 2."""
    m = catalog.model("north-mini-code")
    tensors = model_tensors(m)
    assert len(tensors) == 2 + 8 + 48 * 9 == 442  # embedding (tied) and output norm; dense 8, MoE 9 per layer
    assert "ffn_norm.weight" not in _names(m, 0) and "ffn_norm.weight" not in _names(m, 1)
    assert {"ffn_gate_inp.weight", "ffn_gate_exps.weight"} <= _names(m, 1)
    assert not any(n.endswith(("exp_probs_b.bias", "_shexp.weight", "attn_q_norm.weight")) for n in _names(m, 1))
    assert parameter_count(m) == m.params and round(m.params / 1e9, 2) == 30.48
    kinds = [m.layer_kind(i) for i in range(m.layers)]
    assert kinds[:5] == ["full", "swa", "swa", "swa", "full"] and kinds.count("full") == 13
    # Trinity's pattern (full last in each group) is unchanged
    assert catalog.model("trinity-mini").layer_kind(3) == "full"
    assert kv_cache_bytes(m, 4096) == 13 * 4096 * 2048 + 36 * 4096 * 2048 == 411_041_792
    assert kv_cache_bytes(m, 32768, "q8_0", parallel=2) == 1_287_913_472
    assert kv_bytes_per_token(m) == 13 * 2 * 2 * 512


def test_exaone_moe_k_exaone_tensor_list_mtp_and_windows(catalog: Catalog) -> None:
    """K-EXAONE (llama.cpp's exaone-moe): per-head q/k norms, one dense layer (18432) then 128 experts of 2048 with
    a router bias and one shared expert, untied output, three 128-token windowed layers then a global one in each
    group of four, and one MTP block whose FFN is dense (not experts). llama.cpp loads a file written from this
    list, and llama-fit-params' cache is ours: 314,572,800 bytes at 4096 f16, 1,831,600,128 at 32k q8_0 with -np 2."""
    m = catalog.model("k-exaone-236b-a23b")
    tensors = model_tensors(m)
    assert len(tensors) == 3 + 11 + 47 * 16  # embedding, output norm, output; dense 11, MoE 16 per layer
    assert {"attn_q_norm.weight", "attn_k_norm.weight", "ffn_gate.weight"} <= _names(m, 0)
    moe = _names(m, 1)
    assert {"exp_probs_b.bias", "ffn_gate_exps.weight", "ffn_up_shexp.weight", "ffn_gate_inp.weight"} <= moe
    mtp = {t.name: t.ne for t in mtp_tensors(m)}
    assert mtp["blk.48.ffn_gate.weight"] == (6144, 18432) and "blk.48.ffn_gate_exps.weight" not in mtp
    assert "blk.48.nextn.embed_tokens.weight" not in mtp and "blk.48.nextn.eh_proj.weight" in mtp
    assert parameter_count(m) == m.params == 237_099_669_632
    kinds = [m.layer_kind(i) for i in range(m.layers)]
    assert kinds[:4] == ["swa", "swa", "swa", "full"] and kinds.count("full") == 12
    assert kv_cache_bytes(m, 4096) == 12 * 4096 * 4096 + 36 * 768 * 4096 == 314_572_800
    assert kv_cache_bytes(m, 32768, "q8_0", parallel=2) == 1_831_600_128


def test_bailingmoe3_ling3_tiny_tensor_list_and_cache(catalog: Catalog) -> None:
    """Ling 3.0 Tiny (llama.cpp's bailingmoe3): three Kimi delta attention layers then one MLA layer in each group
    of four; the KDA layers project both gates at full width (ssm_f_a, ssm_g_a, no low-rank pair) and keep one decay
    per head, the MLA layers gate their output per head. The checkpoint's 9,283 tensors total the catalog's params
    (7.9B on the card). llama.cpp loads a file written from this list; its cache at 4096 f16 is 46.27 MiB and at
    32k q8_0 with -np 2 268.03 MiB (llama-fit-params, two decimals), which these figures round to."""
    m = catalog.model("ling-3.0-tiny")
    assert [m.layer_kind(i) for i in range(4)] == ["recurrent", "recurrent", "recurrent", "mla"]
    kda = _names(m, 1)
    assert {"ssm_f_a.weight", "ssm_g_a.weight", "ssm_a", "ssm_conv1d_q.weight", "attn_output.weight"} <= kda
    assert not {"ssm_f_b.weight", "ssm_g_b.weight", "attn_gate.weight"} & kda
    shapes = {t.name: t.ne for t in model_tensors(m)}
    assert shapes["blk.1.ssm_f_a.weight"] == (1536, 2048) and shapes["blk.1.ssm_a"] == (1, 16)
    assert shapes["blk.3.attn_gate.weight"] == (1536, 16) and shapes["blk.3.attn_k_b.weight"] == (128, 512, 16)
    assert "exp_probs_b.bias" in _names(m, 1) and "ffn_gate.weight" in _names(m, 0)
    assert not mtp_tensors(m)
    assert parameter_count(m) == m.params == 7_893_392_800
    state = (3 * 3 * 2048 + 128 * 2048) * 4  # three short convolutions' history and a 128x128 state per head
    assert recurrent_state_bytes(m) == state
    mla = 4096 * 576 * 2  # one latent row (kv_lora 512 + rope 64) per cell
    assert kv_cache_bytes(m, 4096) == 18 * state + 6 * mla == 48_513_024
    assert round(kv_cache_bytes(m, 32768, "q8_0", parallel=2) / 2**20, 2) == 268.03


def test_mimo2_v25_narrow_values_window_sinks_and_dense_mtp(catalog: Catalog) -> None:
    """MiMo V2.5 (llama.cpp's mimo2): keys 192 wide and values 128, 4 KV heads on the nine full layers (0, 5, 11,
    ..., 47) and 8 on the 128-token window layers, sink logits on the window layers only, a dense first layer
    (16384) then 256 experts of 2048 with a router bias and no shared expert, and three MTP blocks attending over
    the window with a dense FFN. llama.cpp loads a file written from this list, and llama-fit-params' cache is ours:
    247,726,080 bytes at 4096 f16, 920.39 MiB at 32k q8_0 with -np 2."""
    m = catalog.model("mimo-v2.5")
    assert [m.layer_kind(i) for i in range(7)] == ["full", "swa", "swa", "swa", "swa", "full", "swa"]
    assert [m.layer_kind(i) for i in range(m.layers)].count("full") == 9
    shapes = {t.name: t.ne for t in model_tensors(m)}
    assert shapes["blk.0.attn_k.weight"] == (4096, 4 * 192) and shapes["blk.0.attn_v.weight"] == (4096, 4 * 128)
    assert shapes["blk.1.attn_k.weight"] == (4096, 8 * 192) and shapes["blk.1.attn_v.weight"] == (4096, 8 * 128)
    assert shapes["blk.1.attn_output.weight"] == (64 * 128, 4096) and shapes["blk.1.attn_sinks.weight"] == (64,)
    assert "attn_sinks.weight" not in _names(m, 0) and "exp_probs_b.bias" in _names(m, 1)
    assert not any(n.endswith("_shexp.weight") for n in _names(m, 1))
    mtp = {t.name: t.ne for t in mtp_tensors(m)}
    assert mtp["blk.50.ffn_gate.weight"] == (4096, 16384) and mtp["blk.50.attn_k.weight"] == (4096, 8 * 192)
    assert "blk.48.attn_sinks.weight" in mtp and not any("exps" in n for n in mtp)
    assert parameter_count(m) == m.params == 309_766_601_088
    full, swa = 4 * (192 + 128) * 2, 8 * (192 + 128) * 2  # K and V bytes per token at f16
    assert kv_bytes_per_token(m) == 9 * full  # the window layers do not grow with context
    assert kv_cache_bytes(m, 4096) == 9 * 4096 * full + 39 * 768 * swa == 247_726_080
    assert round(kv_cache_bytes(m, 32768, "q8_0", parallel=2) / 2**20, 2) == 920.39


def test_exaone4_post_norms_only_windows_and_mtp(catalog: Catalog) -> None:
    """EXAONE 4.0/4.5 (llama.cpp's exaone4): no norm before attention or FFN, only after them, per-head q/k norms,
    three 4096-token windowed layers then a global one in each group of four; EXAONE 4.5's file carries one MTP
    block. llama.cpp loads a file written from this list ("model params = 33.06 B") and llama-fit-params' cache is
    ours: 1,073,741,824 bytes at 4096 f16, 3,244,294,144 at 32k q8_0 with -np 2."""
    m = catalog.model("exaone-4.5-33b")
    layer = _names(m, 0)
    assert "attn_norm.weight" not in layer and "ffn_norm.weight" not in layer
    assert {"post_attention_norm.weight", "post_ffw_norm.weight", "attn_q_norm.weight"} <= layer
    assert {t.name: t.ne for t in model_tensors(m)}["blk.0.attn_q_norm.weight"] == (128,)
    assert len(model_tensors(m)) == 3 + 64 * 11
    mtp = {t.name for t in mtp_tensors(m)}
    assert "blk.64.nextn.eh_proj.weight" in mtp and "blk.64.attn_norm.weight" not in mtp
    assert parameter_count(m) == m.params and round(m.params / 1e9, 2) == 33.06
    assert [m.layer_kind(i) for i in range(8)] == ["swa", "swa", "swa", "full"] * 2
    assert kv_cache_bytes(m, 4096) == 1_073_741_824
    assert kv_cache_bytes(m, 32768, "q8_0", parallel=2) == 3_244_294_144
    # EXAONE 4.0 32B: the same layer, no MTP block; the card's 30.95B without embeddings
    base = catalog.model("exaone-4.0-32b")
    assert not mtp_tensors(base)
    assert round((base.params - 2 * base.hidden * base.vocab) / 1e9, 2) == 30.95


def test_olmo2_norms_follow_the_blocks_and_qk_norms_span_the_projection(catalog: Catalog) -> None:
    """OLMo 2 has no attn_norm/ffn_norm (only post-norms), and its q/k norms cover the whole projection; a file
    written from this list loads in llama.cpp ("model params = 7.30 B"); the old list had two norms per layer that
    llama.cpp never creates."""
    m = catalog.model("olmo-2-7b")
    layer = {t.name: t.ne for t in model_tensors(m) if t.name.startswith("blk.0.")}
    assert "blk.0.attn_norm.weight" not in layer and "blk.0.ffn_norm.weight" not in layer
    assert layer["blk.0.attn_q_norm.weight"] == (4096,) and layer["blk.0.attn_k_norm.weight"] == (4096,)
    assert parameter_count(m) == m.params


def test_kimi_k3_kda_and_gated_mla_with_latent_experts(catalog: Catalog) -> None:
    """Kimi K3 (llama.cpp's kimi-k3): 69 Kimi delta attention layers (low-rank forget gate, full-rank output gate
    ssm_g) and 24 MLA layers with a per-channel output gate, every layer with two residual score vectors; the
    first layer dense, then 896 experts working at a 3584-wide latent between routed_down and routed_up, two
    shared experts at the hidden width. llama.cpp loads a file written from this list ("model params = 2.78 T")
    and llama-fit-params' cache (24 MLA latents and 69 recurrent states) is ours: 577,880,064 bytes at 4096 f16
    (its log: 551.11 MiB), 1,891,860,480 at 32k q8_0 with -np 2 (1804.22 MiB)."""
    m = catalog.model("kimi-k3")
    kda, mla, dense = _names(m, 1), _names(m, 3), _names(m, 0)
    assert {"ssm_g.weight", "ssm_f_a.weight", "ssm_f_b.weight", "attn_res_score.weight"} <= kda
    assert "ssm_g_a.weight" not in kda and "attn_gate.weight" not in kda
    assert {"attn_gate.weight", "attn_k_b.weight", "ffn_res_score.weight", "ffn_routed_norm.weight"} <= mla
    assert "ffn_gate.weight" in dense and "ffn_gate_exps.weight" not in dense
    shapes = {t.name: t.ne for t in model_tensors(m)}
    assert shapes["blk.3.ffn_gate_exps.weight"] == (3584, 3072, 896)
    assert shapes["blk.3.ffn_up_shexp.weight"] == (7168, 6144)
    assert shapes["blk.3.attn_gate.weight"] == (7168, 96 * 128) and "output_res_score.weight" in shapes
    assert [m.layer_kind(i) for i in (0, 3, 91, 92)] == ["recurrent", "mla", "mla", "mla"]
    assert parameter_count(m) == m.params and round(m.params / 1e12, 2) == 2.78
    assert m.params_reference and abs(m.params / m.params_reference - 1) < 0.001  # 2779.93 B with the vision tower
    assert kv_cache_bytes(m, 4096) == 577_880_064
    assert kv_cache_bytes(m, 32768, "q8_0", parallel=2) == 1_891_860_480


def test_muse_glimmer_gated_attention_with_post_norms_and_windows(catalog: Catalog) -> None:
    """Meta's Muse Glimmer (llama.cpp's muse-glimmer): a dense model whose every attention output is gated per
    channel (attn_gate), norms before and after attention and FFN, per-head q/k norms, three 2048-token window
    layers then a global one. llama.cpp loads a file written from this list ("model params = 27.85 B"; Ollama
    says 27.9B) and llama-fit-params' cache is ours: 156,762,112 bytes at 4096 f16, 545.59 MiB at 32k q8_0 x2."""
    m = catalog.model("muse-glimmer-30b")
    layer = {t.name: t.ne for t in model_tensors(m) if t.name.startswith("blk.0.")}
    assert layer["blk.0.attn_gate.weight"] == (6656, 32 * 128)
    assert {"blk.0.attn_norm.weight", "blk.0.post_attention_norm.weight", "blk.0.post_ffw_norm.weight"} <= set(layer)
    assert parameter_count(m) == m.params and round(m.params / 1e9, 2) == 27.85
    assert [m.layer_kind(i) for i in range(4)] == ["swa", "swa", "swa", "full"]
    assert kv_cache_bytes(m, 4096) == 156_762_112
    assert round(kv_cache_bytes(m, 32768, "q8_0", parallel=2) / 2**20, 2) == 545.59


def test_step35_heads_per_layer_kind_gates_and_resident_mtp(catalog: Catalog) -> None:
    """Step 3.5 Flash (llama.cpp's step35): 64 query heads on the full-attention layers (first in each group of
    four) and 96 on the 512-token window layers, 8 KV heads on both, a head-wise attention gate, three dense
    layers then 288 experts with a router bias and a shared expert, and three MTP blocks (window attention, dense
    FFN, an output head each). llama.cpp loads a file written from this list ("model params = 199.38 B"), its
    cache is ours to the byte (339,738,624 at 4096 f16; 1,858,338,816 at 32k q8_0 x2), and without MTP decoding it
    still loads each MTP block's FFN, gate, q/k norms and output head: 379,574 MiB of F16 weights, as ours."""
    m = catalog.model("step-3.5-flash")
    shapes = {t.name: t.ne for t in model_tensors(m)}
    assert shapes["blk.0.attn_q.weight"] == (4096, 64 * 128) and shapes["blk.1.attn_q.weight"] == (4096, 96 * 128)
    assert shapes["blk.0.attn_gate.weight"] == (4096, 64) and shapes["blk.1.attn_gate.weight"] == (4096, 96)
    assert "blk.2.ffn_gate.weight" in shapes and "blk.3.ffn_gate_exps.weight" in shapes
    assert "blk.3.exp_probs_b.bias" in shapes and shapes["blk.3.ffn_up_shexp.weight"] == (4096, 1280)
    assert [m.layer_kind(i) for i in (0, 1, 4, 44, 45)] == ["full", "swa", "full", "full", "swa"]
    mtp = {t.name: t.ne for t in mtp_tensors(m)}
    assert mtp["blk.45.nextn.shared_head_head.weight"] == (4096, 128896) and mtp["blk.47.ffn_gate.weight"]
    assert parameter_count(m) == m.params and round(m.params / 1e9, 2) == 199.38
    assert kv_cache_bytes(m, 4096) == 339_738_624
    assert kv_cache_bytes(m, 32768, "q8_0", parallel=2) == 1_858_338_816
    assert round(weights_breakdown(m, "F16").total_bytes / 2**20) == 379_575  # llama.cpp: 379,574 MiB (whole MiB)


def test_laguna_xs2_heads_per_kind_and_head_wise_gate(catalog: Catalog) -> None:
    """Poolside's Laguna XS.2 (llama.cpp's laguna): 48 query heads on the full layers (first of each four) and 64
    on the 512-token window layers, a per-head gate, per-head q/k norms, one dense layer then 256 experts with a
    router bias and a shared expert. llama.cpp loads a file written from this list ("model params = 33.44 B") and
    llama-fit-params agrees with us to the byte: weights (F16) 66,926,500,864, cache 293,601,280 at 4096 f16 and
    1,559,756,800 at 32k q8_0 x2."""
    m = catalog.model("laguna-xs.2")
    shapes = {t.name: t.ne for t in model_tensors(m)}
    assert shapes["blk.0.attn_q.weight"] == (2048, 48 * 128) and shapes["blk.1.attn_q.weight"] == (2048, 64 * 128)
    assert shapes["blk.1.attn_gate.weight"] == (2048, 64) and "blk.1.exp_probs_b.bias" in shapes
    assert "blk.0.ffn_gate.weight" in shapes and shapes["blk.1.ffn_gate_shexp.weight"] == (2048, 512)
    assert parameter_count(m) == m.params and round(m.params / 1e9, 2) == 33.44
    assert weights_breakdown(m, "F16").total_bytes == 66_926_500_864
    assert kv_cache_bytes(m, 4096) == 293_601_280
    assert kv_cache_bytes(m, 32768, "q8_0", parallel=2) == 1_559_756_800


def test_hy3_mtp_block_experts_stay_loaded(catalog: Catalog) -> None:
    """Tencent Hy3 (llama.cpp's hy_v3): q/k norms, one dense layer then 192 experts with a router bias (named
    exp_probs_b, no suffix) and a shared expert, and one MTP block. Without MTP decoding llama.cpp skips the block's
    attention and norms but loads its experts, router and shared expert (3.7 B parameters); a file written from our
    list loads ("model params = 298.79 B") with a model buffer of 569,802 MiB at F16, as ours, and its cache is ours
    to the byte (1,342,177,280 at 4096 f16; 11,408,506,880 at 32k q8_0 x2)."""
    m = catalog.model("hy3")
    assert "exp_probs_b" in _names(m, 1) and "ffn_up_shexp.weight" in _names(m, 1)
    resident = {t.name for t in mtp_resident_tensors(m)}
    assert "blk.80.ffn_gate_exps.weight" in resident and "blk.80.attn_q.weight" not in resident
    assert parameter_count(m) == m.params and round(m.params / 1e9, 2) == 298.79
    assert round(weights_breakdown(m, "F16").total_bytes / 2**20) == 569_803  # llama.cpp: 569,802 (whole MiB)
    assert kv_cache_bytes(m, 4096) == 1_342_177_280
    assert kv_cache_bytes(m, 32768, "q8_0", parallel=2) == 11_408_506_880


def test_kimi_linear_kda_without_hyper_connections(catalog: Catalog) -> None:
    """Kimi Linear 48B-A3B (llama.cpp's kimi-linear): 20 Kimi delta attention layers with low-rank forget and
    output gates (rank one head) and the decay as a [1, heads] row, 7 MLA layers without a q LoRA, a dense first
    layer then 256 experts with a router bias and a shared expert. llama.cpp loads a file written from this list
    ("model params = 49.12 B"; the card rounds to 48B), its F16 weights are ours to the byte (98,278,444,544), and
    its cache is 31.50 MiB of MLA latents plus 42.81 MiB of recurrent state at 4096 f16, as ours."""
    m = catalog.model("kimi-linear-48b-a3b")
    kda = {t.name: t.ne for t in model_tensors(m) if t.name.startswith("blk.0.")}
    assert kda["blk.0.ssm_a"] == (1, 32) and kda["blk.0.ssm_g_b.weight"] == (128, 4096)
    assert not any("hc_" in n for n in kda)
    assert "attn_q.weight" in _names(m, 3) and "attn_gate.weight" not in _names(m, 3)
    assert parameter_count(m) == m.params and round(m.params / 1e9, 2) == 49.12
    assert weights_breakdown(m, "F16").total_bytes == 98_278_444_544
    assert kv_cache_bytes(m, 4096) == round((31.50 + 42.8125) * 2**20)


def test_hy4_mla_with_sinks_gate_owned_indexers_and_mixers(catalog: Catalog) -> None:
    """Tencent Hy4 Preview (llama.cpp's hy_v4): MLA with per-head sinks and a per-channel output gate, the DSA
    indexer's tensors only on the 21 layers that own an indexer, hyper-connection mixers with two weights per
    stream (no stream matrix) and the output's merge, no MTP block. llama.cpp loads a file written from this list
    ("model params = 769.91 B"; Tencent states 770B) and llama-fit-params agrees with us to the byte on the F16
    weights (1,540,059,430,516) and the cache (390,070,272 at 4096 f16; 3,315,597,312 at 32k q8_0 x2)."""
    m = catalog.model("hy4-preview")
    owner, sharer = _names(m, 1), _names(m, 2)
    assert "indexer.attn_k.weight" in owner and "indexer.attn_k.weight" not in sharer
    assert {"attn_sinks.weight", "attn_gate.weight", "hc_attn_fn.weight", "hc_ffn_scale.weight"} <= sharer
    shapes = {t.name: t.ne for t in model_tensors(m)}
    assert shapes["blk.2.hc_attn_fn.weight"] == (4 * 6144, 8) and shapes["output_hc_fn.weight"] == (4 * 6144, 4)
    assert not mtp_tensors(m)
    assert parameter_count(m) == m.params and round(m.params / 1e9, 2) == 769.91
    assert weights_breakdown(m, "F16").total_bytes == 1_540_059_430_516
    assert kv_cache_bytes(m, 4096) == 390_070_272
    assert kv_cache_bytes(m, 32768, "q8_0", parallel=2) == 3_315_597_312


def test_spark2_5_head_wise_gate_and_windows(catalog: Catalog) -> None:
    """XHToken's Spark-X2.5 (llama.cpp's spark2_5): a llama layer with a head-wise attention gate, heads of 256
    (queries wider than the hidden size), three 512-token window layers then a full one, tied embeddings. Our
    count equals Hugging Face's 4,112,079,360; llama.cpp loads a file written from this list ("4.11 B") and
    llama-fit-params agrees to the byte on F16 weights and on the cache (264,241,152 at 4096 f16; 1,403,781,120 at
    32k q8_0 x2)."""
    m = catalog.model("spark-x2.5-4b")
    shapes = {t.name: t.ne for t in model_tensors(m)}
    assert shapes["blk.0.attn_gate.weight"] == (2560, 16) and shapes["blk.0.attn_q.weight"] == (2560, 4096)
    assert parameter_count(m) == m.params == m.params_reference == 4_112_079_360
    assert weights_breakdown(m, "F16").total_bytes == 8_224_532_480
    assert kv_cache_bytes(m, 4096) == 264_241_152
    assert kv_cache_bytes(m, 32768, "q8_0", parallel=2) == 1_403_781_120


def test_bailingmoe2_fused_qkv_and_separate_ffn(catalog: Catalog) -> None:
    """Ling 2.0 (llama.cpp's bailingmoe2): q, k and v fused in attn_qkv while gate and up stay apart, per-head q/k
    norms, one dense layer then experts with a router bias and a shared expert. Ling-flash-2.0's count equals its
    checkpoint's 102,889,705,216 and llama-bench's 102.89 B; llama.cpp loads a file written from this list and
    llama-fit-params agrees to the byte on F16 weights (205,844,986,880) and cache (268,435,456 at 4096 f16)."""
    m = catalog.model("ling-flash-2.0")
    layer = _names(m, 1)
    assert "attn_qkv.weight" in layer and "attn_q.weight" not in layer
    assert {"ffn_gate_exps.weight", "ffn_up_exps.weight", "exp_probs_b.bias", "attn_q_norm.weight"} <= layer
    assert "ffn_gate.weight" in _names(m, 0) and "ffn_up.weight" in _names(m, 0)
    assert parameter_count(m) == m.params == 102_889_705_216
    assert weights_breakdown(m, "F16").total_bytes == 205_844_986_880
    assert kv_cache_bytes(m, 4096) == 268_435_456
    assert kv_cache_bytes(m, 32768, "q8_0", parallel=2) == 2_281_701_376


def test_youtu_llm_dense_mla(catalog: Catalog) -> None:
    """Tencent's Youtu-LLM 2B: DeepSeek-V2's MLA with every layer dense (llama.cpp's deepseek2 with
    leading_dense_block_count = layers and no experts), tied embeddings. Our count equals the checkpoint's
    1,961,560,064; llama.cpp loads a file written from this list ("1.96 B") and llama-fit-params agrees to the byte
    on F16 weights (3,923,517,440) and on the latent cache (150,994,944 at 4096 f16; 1,283,457,024 at 32k q8_0 x2)."""
    m = catalog.model("youtu-llm-2b")
    assert not m.is_moe and m.is_mla
    assert "ffn_gate.weight" in _names(m, 31) and "ffn_gate_inp.weight" not in _names(m, 31)
    assert parameter_count(m) == m.params == 1_961_560_064
    assert weights_breakdown(m, "F16").total_bytes == 3_923_517_440
    assert kv_cache_bytes(m, 4096) == 150_994_944
    assert kv_cache_bytes(m, 32768, "q8_0", parallel=2) == 1_283_457_024


def test_ernie_4_5_dense_and_moe(catalog: Catalog) -> None:
    """Baidu's ERNIE 4.5 (llama.cpp's ernie4_5 and ernie4_5-moe): llama layers; the MoE models put experts with a
    router bias after moe_layer_start_index dense layers, with shared experts on the 21B and none on the 300B.
    llama.cpp loads files written from these lists ("360.75 M", "21.83 B", "299.48 B", as llama-bench prints for
    the published 0.3B and 21B files) and llama-fit-params agrees to the byte on F16 weights and on the cache."""
    small = catalog.model("ernie-4.5-0.3b")
    assert parameter_count(small) == small.params == 360_748_032
    assert weights_breakdown(small, "F16").total_bytes == 721_571_840
    assert kv_cache_bytes(small, 4096) == 75_497_472
    assert kv_cache_bytes(small, 32768, "q8_0", parallel=2) == 641_728_512
    a3b = catalog.model("ernie-4.5-21b-a3b")
    assert "ffn_gate.weight" in _names(a3b, 0) and "ffn_gate_exps.weight" not in _names(a3b, 0)
    assert {"exp_probs_b.bias", "ffn_gate_shexp.weight", "ffn_up_exps.weight"} <= _names(a3b, 1)
    assert {t.name: t.ne for t in model_tensors(a3b)}["blk.1.ffn_up_shexp.weight"] == (2560, 3072)
    assert parameter_count(a3b) == a3b.params == 21_825_437_888
    assert weights_breakdown(a3b, "F16").total_bytes == 43_660_018_432
    assert kv_cache_bytes(a3b, 4096) == 234_881_024
    assert kv_cache_bytes(a3b, 32768, "q8_0", parallel=2) == 1_996_488_704
    big = catalog.model("ernie-4.5-300b-a47b")
    assert "ffn_gate_shexp.weight" not in _names(big, 3) and "ffn_gate_exps.weight" in _names(big, 3)
    assert parameter_count(big) == big.params == 299_484_163_264
    assert weights_breakdown(big, "F16").total_bytes == 599_023_596_288
    assert kv_cache_bytes(big, 4096) == 905_969_664
    assert kv_cache_bytes(big, 32768, "q8_0", parallel=2) == 7_700_742_144


def test_nemotron_nano_2_mamba_heads_of_80(catalog: Catalog) -> None:
    """Nemotron Nano 2 (llama.cpp's nemotron_h): Mamba-2 heads 80 wide (128 of them over an inner width of 10240),
    where the other Nemotron-H models have heads of 64; the head count sizes the input projection (two inner widths,
    two group states and one step per head) and the per-head vectors. llama.cpp rejects the file with heads of 64
    (ssm_in 22688 wide, expected 22656); with these it loads ("8.89 B", as llama-bench prints for the published
    files) and llama-fit-params agrees to the byte on F16 weights and to its printed rounding on the cache."""
    m = catalog.model("nemotron-nano-9b-v2")
    shapes = {t.name: t.ne for t in model_tensors(m)}
    assert shapes["blk.0.ssm_in.weight"] == (4480, 2 * 10240 + 2 * 8 * 128 + 128)
    assert shapes["blk.0.ssm_a"] == (1, 128) and shapes["blk.0.ssm_dt.bias"] == (128,)
    assert shapes["blk.1.ffn_up.weight"] == (4480, 15680) and "blk.1.ffn_gate.weight" not in shapes
    assert parameter_count(m) == m.params == 8_888_227_328
    assert weights_breakdown(m, "F16").total_bytes == 17_780_856_832
    assert kv_cache_bytes(m, 4096) == 212_647_936  # llama-fit-params: 212,651,213 from its rounded MiB lines
    # heads of 64 would be 160 heads here: a different (wrong) file
    assert parameter_count(dataclasses.replace(m, ssm_heads=0)) != m.params
    assert parameter_count(catalog.model("nemotron-h-8b")) == 8_100_852_736  # heads of 64: the default holds


def test_apertus_ungated_ffn_and_qk_norms(catalog: Catalog) -> None:
    """Apertus (llama.cpp's apertus): a llama layer whose FFN is an up and a down projection (xIELU between them,
    its four scalars per layer kept as metadata, not tensors) and per-head q/k norms. llama.cpp loads a file written
    from this list ("8.05 B") and llama-fit-params agrees to the byte on F16 weights (16,107,225,088) and cache."""
    m = catalog.model("apertus-8b")
    layer = _names(m, 0)
    assert {"ffn_up.weight", "ffn_down.weight", "attn_q_norm.weight", "attn_k_norm.weight"} <= layer
    assert "ffn_gate.weight" not in layer
    assert parameter_count(m) == m.params == 8_053_338_112
    assert weights_breakdown(m, "F16").total_bytes == 16_107_225_088
    assert kv_cache_bytes(m, 4096) == 536_870_912
    assert kv_cache_bytes(m, 32768, "q8_0", parallel=2) == 4_563_402_752
    big = catalog.model("apertus-70b")
    assert weights_breakdown(big, "F16").total_bytes == 141_202_407_424  # llama-fit-params: the same


def test_grok_2_residual_ffn_and_no_flash_attention(catalog: Catalog) -> None:
    """xAI's Grok 2 (llama.cpp's grok): norms after attention and after the MoE block, and a dense FFN beside the
    eight experts in every layer. llama.cpp loads a file written from this list ("269.52 B"; two bytes a parameter
    are the 539 GB Unsloth gives for the BF16 weights) and llama-fit-params agrees to the byte on F16 weights and
    cache. It forces flash attention off for Grok: its compute buffer holds the f32 attention scores (633 MB at
    4096, 4.45 GB at 32k x 2 in llama-fit-params; we give 1-2% less), and a quantized V cache does not load."""
    from willitrun.estimate.runtime import compute_buffer_bytes, profile

    m = catalog.model("grok-2")
    layer = _names(m, 0)
    assert {"attn_output_norm.weight", "layer_output_norm.weight", "ffn_gate.weight", "ffn_gate_exps.weight"} <= layer
    assert {t.name: t.ne for t in model_tensors(m)}["blk.0.ffn_up_exps.weight"] == (8192, 16384, 8)
    assert parameter_count(m) == m.params == 269_515_497_472
    assert weights_breakdown(m, "F16").total_bytes == 539_043_594_240
    assert kv_cache_bytes(m, 4096) == 1_073_741_824
    prof = profile("llama.cpp", m)
    assert not prof.flash_attention and profile("llama.cpp").flash_attention
    for ctx, n, ref in ((4096, 1, 633_350_390), (32768, 2, 4_450_167_030)):
        got = compute_buffer_bytes(m, ctx * n, prof, has_layers=True, has_output=True, pipeline=False, parallel=n)
        assert abs(got / ref - 1) < 0.02, (ctx, got, ref)


def test_grok_quantized_kv_is_refused_in_words(run: Callable[..., Any]) -> None:
    r = run("check", "grok-2", "--gpu", "8x H100", "--kv-cache", "q8_0")
    assert r.code == 2 and "without flash attention" in r.err and "--kv-cache f16" in r.err
    assert len(r.err.strip().splitlines()) == 1 and "Traceback" not in r.err
    assert run("check", "grok-2", "--gpu", "8x H100", "--json").code == 0


def test_exaone_3_5_heads_of_80(catalog: Catalog, run: Callable[..., Any]) -> None:
    """EXAONE 3.5 (llama.cpp's exaone, a llama layer): the 2.4B's heads are 80 wide. The published 2.4B files keep a
    separate output layer (274 tensors) and EXAONE Deep 2.4B's ties it (273): llama.cpp loads files written from
    both lists ("2.67 B", "2.41 B") and llama-fit-params agrees to the byte on F16 weights and cache. A q8_0 cache
    is refused by llama.cpp ("block size 32 does not divide n_embd_head_k=80"), and so by check."""
    small, deep = catalog.model("exaone-3.5-2.4b"), catalog.model("exaone-deep-2.4b")
    assert parameter_count(small) == small.params == 2_667_471_360
    assert parameter_count(deep) == deep.params == 2_405_327_360
    assert weights_breakdown(small, "F16").total_bytes == 5_335_255_040
    assert weights_breakdown(deep, "F16").total_bytes == 4_810_967_040
    assert kv_cache_bytes(small, 4096) == 314_572_800
    assert kv_cache_bytes(small, 32768, parallel=2) == 5_033_164_800
    big = catalog.model("exaone-3.5-32b")
    assert weights_breakdown(big, "F16").total_bytes == 64_007_720_960
    assert kv_cache_bytes(big, 32768, "q8_0", parallel=2) == 9_126_805_504
    r = run("check", "exaone-3.5-2.4b", "--gpu", "RTX 3060", "--kv-cache", "q8_0")
    assert r.code == 2 and "head width of 80" in r.err and "--kv-cache f16" in r.err
    assert run("check", "exaone-3.5-32b", "--gpu", "RTX 3090", "--kv-cache", "q8_0", "--json").code == 0


def test_minimax_01_lightning_layers(catalog: Catalog) -> None:
    """MiniMax-M1 (llama.cpp's minimax-01): seven lightning-attention layers (q, k, v fused, an output gate, a norm
    over the heads) then a softmax one, 32 experts in every layer. A lightning layer's state is a 128 x 128 F32
    matrix per head (4 MiB a sequence), whatever the context. llama.cpp loads a file written from this list
    ("456.09 B") and llama-fit-params agrees to the byte on F16 weights and on the cache."""
    m = catalog.model("minimax-m1")
    assert {"attn_qkv.weight", "attn_gate.weight", "attn_norm_2.weight", "attn_output.weight"} <= _names(m, 0)
    assert {"attn_q.weight", "attn_k.weight", "attn_v.weight"} <= _names(m, 7)
    assert "attn_qkv.weight" not in _names(m, 7)
    assert recurrent_state_bytes(m) == 128 * 128 * 64 * 4
    assert parameter_count(m) == m.params == 456_089_655_296
    assert weights_breakdown(m, "F16").total_bytes == 912_213_893_120
    assert kv_cache_bytes(m, 4096) == 461_373_440
    assert kv_cache_bytes(m, 32768, "q8_0", parallel=2) == 2_013_265_920


@pytest.mark.parametrize(
    ("arch", "shape", "count", "f16_bytes"),
    [
        # Phi-2: one LayerNorm per parallel block, biases everywhere, the output layer's included
        (
            "phi2",
            {
                "layers": 32,
                "hidden": 2560,
                "intermediate": 10240,
                "heads": 32,
                "kv_heads": 32,
                "head_dim": 80,
                "vocab": 51200,
                "attn_bias": True,
            },
            2_779_683_840,
            5_561_282_560,
        ),
        # Falcon 7B: multi-query attention, a parallel block on one LayerNorm, an FFN without gate
        (
            "falcon",
            {
                "layers": 32,
                "hidden": 4544,
                "intermediate": 18176,
                "heads": 71,
                "kv_heads": 1,
                "head_dim": 64,
                "vocab": 65024,
                "tied_embeddings": True,
            },
            6_921_720_704,
            13_844_041_216,
        ),
        # Falcon 40B: the new decoder's second LayerNorm, 8 KV groups
        (
            "falcon",
            {
                "layers": 60,
                "hidden": 8192,
                "intermediate": 32768,
                "heads": 128,
                "kv_heads": 8,
                "head_dim": 64,
                "vocab": 65024,
            },
            41_835_970_560,
            83_675_906_048,
        ),
        # StableLM 2 1.6B: LayerNorms with biases, q/k/v biases, gate and up apart
        (
            "stablelm",
            {
                "layers": 24,
                "hidden": 2048,
                "intermediate": 5632,
                "heads": 32,
                "kv_heads": 32,
                "head_dim": 64,
                "vocab": 100352,
                "attn_bias": True,
            },
            1_644_515_328,
            3_289_726_976,
        ),
        # StableLM 2 12B: per-head q/k LayerNorm weights, parallel residual (no ffn_norm)
        (
            "stablelm",
            {
                "layers": 40,
                "hidden": 5120,
                "intermediate": 13824,
                "heads": 32,
                "kv_heads": 8,
                "head_dim": 160,
                "vocab": 100352,
                "qk_norm": True,
            },
            12_143_185_920,
            24_287_723_520,
        ),
    ],
)
def test_layer_norm_layouts_as_llama_cpp_loads_them(
    arch: str, shape: dict[str, Any], count: int, f16_bytes: int
) -> None:
    """Phi-2, Falcon and StableLM as llama.cpp creates their tensors: files written from these lists load in
    llama.cpp (which prints 2.78 B, 6.92 B, 41.84 B, 1.64 B and 12.14 B) and llama-fit-params' model buffer equals
    our F16 bytes. Before, the lists had an ffn_norm these parallel blocks lack, a doubled Falcon FFN, and no
    LayerNorm biases."""
    m = ModelSpec(id="t", name="t", arch=arch, params=1, context_max=4096, source="t", **shape)
    assert parameter_count(m) == count
    assert weights_breakdown(m, "F16").total_bytes == f16_bytes
    names = {t.name for t in model_tensors(m)}
    assert "output_norm.bias" in names and "blk.0.attn_norm.bias" in names
    assert ("blk.0.ffn_norm.weight" in names) == (arch == "stablelm" and not m.qk_norm)
    assert ("blk.0.attn_norm_2.weight" in names) == (arch == "falcon" and m.kv_heads > 1)


def test_windowed_moe_layouts_of_2025_2026(catalog: Catalog) -> None:
    """SmallThinker (smallthinker: a 4096-token window on three layers of four, the full one first), Mellum2
    (mellum: per-head q/k norms, a 1024-token window, the full layer last in each group of four) and Granite SWASH
    (granite_swa: a sink logit per head on every layer; the 3B's shared expert with gate and up in one tensor, its
    full layers at no fixed period). llama.cpp loads files written from these lists ("21.51 B", "12.15 B",
    "2.14 B", "3.02 B") and llama-fit-params agrees to the byte on F16 weights and on the cache at 4096 tokens."""
    cases = {
        "smallthinker-21b-a3b": (43_030_702_080, 436_207_616),
        "mellum2-12b-a2.5b": (24_308_380_672, 124_780_544),
        "granite-swash-2b": (4_289_179_520, 78_643_200),
        "granite-swash-3b-a600m": (6_044_351_680, 49_283_072),
        "minicpm4-8b": (16_371_040_256, 134_217_728),
    }
    for mid, (f16, kv) in cases.items():
        m = catalog.model(mid)
        assert parameter_count(m) == m.params, mid
        assert weights_breakdown(m, "F16").total_bytes == f16, mid
        assert kv_cache_bytes(m, 4096) == kv, mid
    st = catalog.model("smallthinker-21b-a3b")
    assert [st.layer_kind(i) for i in range(5)] == ["full", "swa", "swa", "swa", "full"]
    g3 = catalog.model("granite-swash-3b-a600m")
    shapes = {t.name: t.ne for t in model_tensors(g3)}
    assert shapes["blk.0.attn_sinks.weight"] == (20,) and shapes["blk.0.ffn_up_shexp.weight"] == (1280, 2560)
    assert "blk.0.ffn_gate_shexp.weight" not in shapes
    assert [i for i in range(28) if g3.layer_kind(i) == "full"] == [0, 3, 7, 11, 15, 19, 23, 27]


def test_deci_nas_layers(catalog: Catalog) -> None:
    """Llama-Nemotron (llama.cpp's deci): per-layer KV heads and FFN widths from block_configs. Super 49B: 31 of
    80 layers without attention (no norm, no cache), FFNs from 2816 to 28672 wide; Ultra 253B: 81 layers with
    neither. llama.cpp loads files written from these lists ("49.87 B", "253.40 B"; the published Ultra GGUF
    prints 253.401 B, its rope table on top) and llama-fit-params agrees to the byte on F16 weights and cache."""
    m = catalog.model("llama-3.3-nemotron-super-49b")
    assert m.layer_kv_heads_list.count(-1) == 31 and set(m.layer_ffn_widths) == {2816, 5632, 7168, 14336, 17920, 28672}
    gone = m.layer_kv_heads_list.index(-1)
    assert not any(t.name.startswith(f"blk.{gone}.attn") for t in model_tensors(m))
    assert layer_kv_bytes(m, gone, 4096) == 0 and m.layer_kind(gone) == "ffn"
    assert parameter_count(m) == m.params == 49_867_145_216
    assert weights_breakdown(m, "F16").total_bytes == 99_736_420_352
    assert kv_cache_bytes(m, 4096) == 822_083_584 == 49 * 2 * 8 * 128 * 2 * 4096
    assert kv_cache_bytes(m, 32768, "q8_0", parallel=2) == 6_987_710_464
    ultra = catalog.model("llama-3.1-nemotron-ultra-253b")
    assert ultra.layer_ffn_widths.count(0) == 81
    assert parameter_count(ultra) == ultra.params == 253_401_268_224
    assert weights_breakdown(ultra, "F16").total_bytes == 506_807_320_576
    assert kv_cache_bytes(ultra, 4096) == 1_073_741_824


def test_falcon_h1_mamba_heads_of_128(catalog: Catalog) -> None:
    """Falcon-H1 3B and 7B have Mamba-2 heads 128 wide (mamba_n_heads x mamba_d_head = 32 x 128 and 24 x 128), not
    64: with ssm_heads the count from the shapes is the checkpoint's own (3,149,387,264 and 7,585,648,736; they
    were 2.6M and 3.2M over). The 34B (32 heads of 128, 2 groups) loads in llama.cpp from this list ("33.64 B")
    and llama-fit-params agrees to the byte on F16 weights; the 0.5B's heads are 64 wide (the default)."""
    for mid, heads in (("falcon-h1-3b", 32), ("falcon-h1-7b", 24), ("falcon-h1-34b", 32)):
        m = catalog.model(mid)
        assert m.ssm_heads == heads and parameter_count(m) == m.params, mid
        assert {t.name: t.ne for t in model_tensors(m)}["blk.0.ssm_a"] == (1, heads)
    assert weights_breakdown(catalog.model("falcon-h1-34b"), "F16").total_bytes == 67_290_807_296
    assert catalog.model("falcon-h1-0.5b").ssm_heads == 0


def test_layouts_llama_cpp_refused_until_fixed(catalog: Catalog) -> None:
    """A sweep loading every architecture's file (written from our list) in llama-fit-params found layouts
    llama.cpp refused; each now loads, and its model buffer equals our F16 bytes. Command R and Aya: a parallel block
    without ffn_norm (32-40 extra tensors before) and Command R+'s per-head q/k LayerNorms; GLM-4 (chatglm, glm4):
    gate and up in one ffn_up, GLM-4-0414's post-norms; GLM-4.5 (glm4moe): the router bias and the pre-FFN norm
    named post_attention_norm (Seed-OSS too); OLMoE: q/k norms over the whole width; Qwen2-MoE: the shared
    expert's gate; Phi-3.5-MoE: LayerNorm and projection biases."""

    def names(mid: str, layer: int = 1) -> set[str]:
        return _names(catalog.model(mid), layer)

    assert "ffn_norm.weight" not in names("aya-expanse-8b")
    plus = {t.name: t.ne for t in model_tensors(catalog.model("command-r-plus-104b"))}
    assert plus["blk.0.attn_q_norm.weight"] == (128, 96) and plus["blk.0.attn_k_norm.weight"] == (128, 8)
    assert "ffn_gate.weight" not in names("glm-4-9b") and "ffn_gate.weight" not in names("glm-z1-9b")
    assert {"post_attention_norm.weight", "post_ffw_norm.weight"} <= names("glm-z1-9b")
    assert {"exp_probs_b.bias", "post_attention_norm.weight"} <= names("glm-4.5-air")
    assert "ffn_norm.weight" not in names("glm-4.5-air") and "post_attention_norm.weight" in names("seed-oss-36b")
    olmoe = {t.name: t.ne for t in model_tensors(catalog.model("olmoe-1b-7b"))}
    assert olmoe["blk.0.attn_q_norm.weight"] == (2048,) and olmoe["blk.0.attn_k_norm.weight"] == (2048,)
    assert "ffn_gate_inp_shexp.weight" in names("qwen2-57b-a14b")
    assert {"attn_norm.bias", "attn_output.bias", "ffn_norm.bias"} <= names("phi-3.5-moe")
    # files written from these lists: llama-fit-params' model buffer (F16), byte for byte
    for mid, f16 in (
        ("phi-3.5-moe", 83_752_285_440),
        ("qwen2-57b-a14b", 114_831_030_272),
        ("command-r-plus-104b", 207_624_650_752),
    ):
        assert weights_breakdown(catalog.model(mid), "F16").total_bytes == f16, mid
    # the checkpoints' own totals, which the old lists missed by their extra or absent norms
    for mid in ("phi-3.5-moe", "command-r-35b", "command-r-plus-104b", "olmoe-1b-7b", "glm-z1-9b", "glm-4-32b"):
        m = catalog.model(mid)
        assert parameter_count(m) == m.params, mid


def test_encoder_and_cohere2_layouts(catalog: Catalog) -> None:
    """Embedding encoders as llama.cpp's bert / nomic-bert loaders create them (norms after attention and after the
    FFN, with biases; the embedding norm and token-type rows; no output layer), and Command R7B / Command A
    (cohere2) with one norm per parallel block. Files written from these lists load in llama-fit-params with the
    model buffer equal to our F16 bytes; nomic-embed's and Command R7B's counts equal their checkpoints' totals,
    and the BERT counts are the checkpoints' less the pooler llama.cpp does not load."""
    nomic = catalog.model("nomic-embed-text-v1.5")
    assert parameter_count(nomic) == nomic.params
    assert {"attn_output_norm.bias", "layer_output_norm.weight", "ffn_gate.weight"} <= _names(nomic, 0)
    bert = catalog.model("mxbai-embed-large-v1")
    names = {t.name for t in model_tensors(bert)}
    assert "output_norm.weight" not in names and "position_embd.weight" in names
    assert bert.params - parameter_count(bert) == 1024 * 1024 + 1024  # the pooler's dense layer
    for mid in ("command-r7b", "command-a-111b"):
        m = catalog.model(mid)
        assert parameter_count(m) == m.params and "ffn_norm.weight" not in _names(m, 0), mid


def test_mllama_is_planned_for_ollama(run: Callable[..., Any]) -> None:
    """llama.cpp has no mllama architecture (its loader answers "unknown model architecture: 'mllama'"), so
    check plans Llama 3.2 Vision for Ollama, which runs it, and says so; asked for llama.cpp by name, it refuses."""
    r = run("check", "llama3.2-11b-vision", "--gpu", "RTX 4090", "--json")
    assert r.code == 0 and r.json()["runtime"] == "ollama" and "no 'mllama' architecture" in r.err
    r = run("check", "llama3.2-11b-vision", "--gpu", "RTX 4090", "--runtime", "llama.cpp")
    assert r.code == 2 and "--runtime ollama" in r.err and len(r.err.strip().splitlines()) == 1
    assert run("check", "llama3-8b", "--gpu", "RTX 4090", "--json").json()["runtime"] == "llama.cpp"


def test_mlx_refuses_what_mlx_lm_has_no_model_for(run: Callable[..., Any]) -> None:
    """mlx-lm loads a checkpoint by its model type, from a module of that name or its remapping table: 0.32.2 has
    none for Grok ("git"), Falcon or the encoders, so check does not plan them for MLX."""
    for mid in ("grok-2", "falcon-7b", "nomic-embed-text-v1.5"):
        r = run("check", mid, "--gpu", "M3 Ultra 512GB", "--runtime", "mlx")
        assert r.code == 2 and "mlx-lm (0.32.2) has no model" in r.err and "--runtime llama.cpp" in r.err, mid
    assert run("check", "ernie-4.5-21b-a3b", "--gpu", "M3 Ultra 512GB", "--runtime", "mlx", "--json").code == 0


def test_tensor_lists_are_built_once_per_model(catalog: Catalog) -> None:
    """Placement, speed and cache sizes ask for a model's tensor list many times: it is built once and kept."""
    from willitrun.estimate.tensors import _model_tensors

    m = catalog.model("llama3-8b")
    model_tensors(m)
    hits = _model_tensors.cache_info().hits
    model_tensors(m)
    assert _model_tensors.cache_info().hits == hits + 1


def test_lfm3_layout_matches_its_published_counts(catalog: Catalog) -> None:
    """LFM3 1.7B: 286 tensors (Ollama's count for the checkpoint), 153 matrices (the imatrix entries of an uploaded
    GGUF), 1.73 B parameters (Ollama's figure); a norm after every operator and FFN, a per-head gate on attention."""
    m = catalog.model("lfm3-1.7b")
    ts = model_tensors(m)
    assert len(ts) == 286 and parameter_count(m) == 1_728_801_536
    matrices = [t for t in ts if len(t.ne) == 2 and t.name != "token_embd.weight" and "shortconv.conv" not in t.name]
    assert len(matrices) == 153
    conv = {"attn_norm.weight", "shortconv.in_proj.weight", "shortconv.conv.weight", "shortconv.out_proj.weight"}
    ffn = {"ffn_norm.weight", "ffn_gate.weight", "ffn_up.weight", "ffn_down.weight", "post_ffw_norm.weight"}
    assert _names(m, 0) == conv | ffn | {"post_attention_norm.weight"}
    attn = {f"attn_{x}.weight" for x in ("norm", "q", "k", "v", "output", "q_norm", "k_norm", "gate")}
    assert _names(m, 4) == attn | ffn | {"post_attention_norm.weight"}
    gate = next(t for t in ts if t.name == "blk.2.attn_gate.weight")
    assert gate.ne == (2048, 16)
    assert next(t for t in ts if t.name == "blk.0.shortconv.conv.weight").ne == (7, 2048)


def test_lfm3_cache_per_layer_kind(catalog: Catalog) -> None:
    m = catalog.model("lfm3-1.7b")
    kinds = [m.layer_kind(i) for i in range(m.layers)]
    assert kinds.count("full") == 6 and kinds.count("swa") == 5 and kinds.count("recurrent") == 13
    row = 2 * 4 * 128 * 2  # K and V, 4 heads of 128, f16
    # full layers keep the whole context, windowed ones 256 + a 512-token batch; convolutions their last 6 inputs
    expect = 6 * 4096 * row + 5 * 768 * row + 13 * 6 * 2048 * 4
    assert kv_cache_bytes(m, 4096, "f16") == expect
    assert recurrent_state_bytes(m) == 6 * 2048 * 4


def test_llama_cpp_applies_no_window_on_llama_and_starcoder2(catalog: Catalog) -> None:
    """Mistral 7B v0.1's config declares a 4,096-token window, but llama.cpp runs it as llama with a causal mask
    only and caches the whole context (StarCoder 2 likewise); Gemma 3 keeps its windowed layers."""
    m = catalog.model("mistral-7b-v0.1")
    assert m.sliding_window == 4096 and m.layer_kind(0) == "full"
    assert kv_cache_bytes(m, 32768, "f16") == 32 * 32768 * 2 * 8 * 128 * 2
    sc = next(x for x in catalog.models if x.arch == "starcoder2" and x.sliding_window)
    assert {sc.layer_kind(i) for i in range(sc.layers)} == {"full"}
    g = catalog.model("gemma3-27b")
    assert "swa" in {g.layer_kind(i) for i in range(g.layers)}


def test_starcoder_layout_as_llama_cpp_loads_it(catalog: Catalog) -> None:
    """GPTBigCode files as llama.cpp's starcoder loader reads them. StarCoder 15B's published GGUF: 485 tensors and
    'model params = 15.82 B'. Written from our list and loaded by llama-fit-params (llama.cpp of llama-cpp-python
    0.3.36): a StarCoderBase-1B-shaped file's model buffer is 2,510,397,440 bytes at F16 (its 8192 x 2048 position
    table in F32, as the converter writes it and llama-quantize leaves it), its cache 50,331,648 bytes at 4k f16 and
    106,954,752 at 8k q8_0 with 2 sequences; Granite Code 20B's (tied) model buffer is 40,241,729,536 bytes, 20.07 B."""
    sc = catalog.model("starcoder-15b")
    assert len(model_tensors(sc)) == 485 and round(parameter_count(sc) / 1e9, 2) == 15.82
    one = catalog.model("starcoderbase-1b")
    assert weights_breakdown(one, "F16").total_bytes == 2_510_397_440
    assert kv_cache_bytes(one, 4096, "f16") == 50_331_648
    assert kv_cache_bytes(one, 8192, "q8_0", parallel=2) == 106_954_752
    granite = catalog.model("granite-code-20b")
    assert granite.tied_embeddings and weights_breakdown(granite, "F16").total_bytes == 40_241_729_536
    assert round(parameter_count(granite) / 1e9, 2) == 20.07
    # the position table is never quantized (llama-quantize skips position_embd.weight by name): it stays F32
    from willitrun.estimate.quants import assign_types
    from willitrun.estimate.tensors import mix_context

    tensors = list(model_tensors(one))
    types = {t.name: ty for t, ty in assign_types("Q4_K_M", tensors, mix_context(one, "Q4_K_M", tensors))}
    assert types["position_embd.weight"] == "F32" and types["blk.0.attn_qkv.weight"] != "F32"


def test_nemotron_layout_as_llama_cpp_loads_it(catalog: Catalog) -> None:
    """NVIDIA's Nemotron/Minitron as llama.cpp's nemotron loader reads them: LayerNorm weight and bias on every norm,
    an up/down FFN (squared ReLU, no gate), untied output. A file written from our list for Nemotron Mini 4B loads in
    llama-fit-params (llama.cpp of llama-cpp-python 0.3.36), printing 'model params = 4.19 B', with a model buffer
    of 8,381,816,832 bytes at F16 and a cache of 536,870,912 bytes at 4k f16."""
    m = catalog.model("nemotron-mini-4b")
    names = {t.name for t in model_tensors(m)}
    assert len(model_tensors(m)) == 2 + 2 + 32 * 10
    assert {"output_norm.bias", "blk.0.attn_norm.bias", "blk.0.ffn_norm.bias", "blk.0.ffn_up.weight"} <= names
    assert not any("ffn_gate" in n for n in names)
    assert weights_breakdown(m, "F16").total_bytes == 8_381_816_832 and kv_cache_bytes(m, 4096, "f16") == 536_870_912
    from willitrun.sources.huggingface import config_to_spec

    cfg = {
        "architectures": ["NemotronForCausalLM"],
        "model_type": "nemotron",
        "hidden_size": 3072,
        "intermediate_size": 9216,
        "num_hidden_layers": 32,
        "num_attention_heads": 24,
        "num_key_value_heads": 8,
        "kv_channels": 128,
        "vocab_size": 256000,
        "max_position_embeddings": 4096,
        "tie_word_embeddings": False,
    }
    assert parameter_count(config_to_spec("nvidia/Nemotron-Mini-4B-Instruct", cfg)) == parameter_count(m)
