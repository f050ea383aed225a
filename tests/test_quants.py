"""GGUF sizes from tensor shapes and llama.cpp's mix rules, against llama.cpp's published figures."""

from __future__ import annotations

import pytest

from willitrun.catalog.load import Catalog
from willitrun.estimate.quants import GGML_TYPES, normalize_mix, quant_family
from willitrun.estimate.tensors import model_tensors, parameter_count, weights_breakdown
from willitrun.estimate.types import GIB, ModelSpec

# ggml-org/llama.cpp tools/quantize/README.md@f4a71e707: Llama-3.1-8B, bits/weight of the whole file and GiB
# (estimation.md 1c(b)); Q3_K_M from the llama-quantize help text (1c(a)), which the README lacks.
LLAMA31_8B = {
    "IQ1_S": (2.0042, 1.87),
    "IQ1_M": (2.1460, 2.01),
    "IQ2_XXS": (2.3824, 2.23),
    "IQ2_XS": (2.5882, 2.42),
    "IQ2_S": (2.7403, 2.56),
    "IQ2_M": (2.9294, 2.74),
    "IQ3_XXS": (3.2548, 3.04),
    "IQ3_XS": (3.4977, 3.27),
    "IQ3_S": (3.6606, 3.42),
    "IQ3_M": (3.7628, 3.52),
    "IQ4_XS": (4.4597, 4.17),
    "IQ4_NL": (4.6818, 4.38),
    "Q2_K_S": (2.9697, 2.78),
    "Q2_K": (3.1593, 2.95),
    "Q3_K_S": (3.6429, 3.41),
    "Q3_K_M": (None, 3.74),
    "Q3_K_L": (4.2979, 4.02),
    "Q4_K_S": (4.6672, 4.36),
    "Q4_K_M": (4.8944, 4.58),
    "Q5_K_S": (5.5704, 5.21),
    "Q5_K_M": (5.7036, 5.33),
    "Q6_K": (6.5633, 6.14),
    "Q8_0": (8.5008, 7.95),
    "F16": (16.0005, 14.96),
}


@pytest.mark.parametrize("mix", sorted(LLAMA31_8B))
def test_llama31_8b_published_sizes(catalog: Catalog, mix: str) -> None:
    m = catalog.model("llama3.1-8b")
    bpw, gib = LLAMA31_8B[mix]
    w = weights_breakdown(m, mix)
    assert abs(w.total_bytes / GIB / gib - 1) < 0.005, (mix, w.total_bytes / GIB)
    if bpw is not None:
        assert round(w.total_bytes * 8 / parameter_count(m), 4) == pytest.approx(bpw, abs=1e-4)


def test_help_text_sizes_llama3_8b(catalog: Catalog) -> None:
    # llama-quantize's help text (1c(a)), "G" = GiB, two decimals
    m = catalog.model("llama3-8b")
    for mix, gib in {"Q4_0": 4.34, "Q4_1": 4.78, "Q5_0": 5.21, "Q5_1": 5.65, "Q4_K_M": 4.58, "Q6_K": 6.14}.items():
        assert round(weights_breakdown(m, mix).total_bytes / GIB, 2) == pytest.approx(gib, abs=0.011), mix


def test_block_sizes() -> None:
    expect = {"Q8_0": 8.5, "Q6_K": 6.5625, "Q5_K": 5.5, "Q4_K": 4.5, "Q4_0": 4.5, "IQ4_XS": 4.25, "MXFP4": 4.25}
    expect |= {"Q3_K": 3.4375, "IQ3_XXS": 3.0625, "Q2_K": 2.625, "IQ2_XXS": 2.0625, "IQ1_S": 1.5625}
    for name, bpw in expect.items():
        assert GGML_TYPES[name].bits_per_weight == bpw


def test_more_bits_is_never_smaller(catalog: Catalog) -> None:
    m = catalog.model("qwen2.5-7b")
    ladder = ["IQ1_S", "IQ2_XXS", "IQ2_M", "Q2_K", "IQ3_M", "Q3_K_M", "IQ4_XS", "Q4_K_M", "Q5_K_M", "Q6_K", "Q8_0"]
    sizes = [weights_breakdown(m, q).total_bytes for q in ladder]
    assert sizes == sorted(sizes)


def test_rows_not_divisible_by_block_fall_back() -> None:
    # hidden 896 (Qwen2.5-0.5B) is not a multiple of 256: K-quants fall back per llama.cpp
    m = ModelSpec("t", "t", "qwen2", 1, 2, 896, 4864, 14, 2, 64, 151936, 32768, "test", tied_embeddings=True)
    from willitrun.estimate.quants import assign_types
    from willitrun.estimate.tensors import mix_context

    ts = model_tensors(m)
    types = {t.name: ty for t, ty in assign_types("Q4_K_M", ts, mix_context(m, "Q4_K_M", ts))}
    assert types["blk.0.attn_q.weight"] == "Q5_0"  # Q4_K -> Q5_0
    assert types["token_embd.weight"] == "Q8_0"  # tied output: Q8_0 when the row is not a block multiple
    # ffn_down rows are 4864 = 19 x 256 wide, so K-quants stay; the last layer gets more bits (use_more_bits)
    assert types["blk.0.ffn_down.weight"] == "Q4_K"
    assert types["blk.1.ffn_down.weight"] == "Q6_K"


def test_moe_experts_mxfp4_and_router_f32(catalog: Catalog) -> None:
    m = catalog.model("gpt-oss-20b")
    from willitrun.estimate.quants import assign_types
    from willitrun.estimate.tensors import mix_context

    ts = model_tensors(m)
    types = {t.name: ty for t, ty in assign_types("MXFP4", ts, mix_context(m, "MXFP4", ts))}
    assert types["blk.0.ffn_down_exps.weight"] == "MXFP4"
    assert types["blk.0.attn_q.weight"] == "Q8_0"
    assert types["blk.0.ffn_gate_inp.weight"] == "F32"
    assert types["output.weight"] == "Q8_0"
    # ggml-org/gpt-oss-20b-GGUF's MXFP4 file is 12.1 GB (about 11.3 GiB)
    gib = weights_breakdown(m, "MXFP4").total_bytes / GIB
    assert 10.5 < gib < 12.0


def test_mixtral_eight_expert_rules(catalog: Catalog) -> None:
    m = catalog.model("mixtral-8x7b")
    from willitrun.estimate.quants import assign_types
    from willitrun.estimate.tensors import mix_context

    ts = model_tensors(m)
    types = {t.name: ty for t, ty in assign_types("Q4_K_M", ts, mix_context(m, "Q4_K_M", ts))}
    assert types["blk.5.attn_v.weight"] == "Q8_0"
    assert types["blk.5.attn_k.weight"] == "Q8_0"
    assert types["blk.5.attn_output.weight"] == "Q5_K"


def test_mix_names() -> None:
    assert normalize_mix("q4_k_m") == "Q4_K_M"
    assert normalize_mix("fp16") == "F16"
    assert normalize_mix("Q4-K-M") == "Q4_K_M"
    assert normalize_mix("Q9_K") is None
    assert quant_family("IQ2_M") == "iq"
    assert quant_family("IQ4_XS") == "k"
    assert quant_family("Q4_K_M") == "k"
    assert quant_family("Q4_0") == "legacy"
