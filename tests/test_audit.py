"""The catalog against a second source: params-from-shapes within 1% of a count read elsewhere (llama.cpp's log,
a published BF16/F16 GGUF's size, Hugging Face's safetensors total, the model card)."""

from __future__ import annotations

import pytest

from willitrun.catalog.load import Catalog, load_catalog
from willitrun.estimate.tensors import parameter_count

_REFERENCED = [m.id for m in load_catalog().models if m.params_reference is not None]


def test_enough_entries_have_a_second_source() -> None:
    assert len(_REFERENCED) >= 45, _REFERENCED


@pytest.mark.parametrize("mid", _REFERENCED)
def test_shapes_match_the_second_source(catalog: Catalog, mid: str) -> None:
    m = catalog.model(mid)
    assert m.params_reference is not None and (m.params_reference_source or "").strip()
    computed = parameter_count(m)
    assert abs(computed / m.params_reference - 1) < 0.01, (mid, computed, m.params_reference)


def test_the_audit_would_have_caught_command_r_08_2024(catalog: Catalog) -> None:
    """v01's FFN width (22528) on the 08-2024 shapes gives 30.3B, 5% under the card's 32B."""
    import dataclasses

    m = catalog.model("command-r-08-2024")
    assert m.params_reference is not None
    wrong = dataclasses.replace(m, intermediate=22528)
    assert abs(parameter_count(wrong) / m.params_reference - 1) > 0.01


# What llama.cpp prints ("model params = %.2f B") for the published GGUFs of the models issue 16 names; `check` prints
# the catalog's params, which must round to the same figure.
_LLAMA_CPP_PRINTS = {
    "gemma-4-31b": 30.70,  # unsloth gemma-4-31B-it BF16/UD-Q4_K_XL/UD-Q8_K_XL; llama.cpp PR #21760's log
    "qwen3.5-35b-a3b": 34.66,  # unsloth Qwen3.5-35B-A3B BF16/UD-Q4_K_XL/UD-Q8_K_XL (no MTP block in the files)
    "qwen3-next-80b-a3b": 79.67,  # unsloth Qwen3-Next-80B-A3B-Instruct UD-Q8_K_XL
    "minimax-m2": 228.69,  # unsloth MiniMax-M2 UD-Q6_K_XL
    # and the architectures added for it since
    "mistral-small-4-119b": 118.97,  # llama-bench on a mistral4 Q3_K_M
    "nemotron-3-super-120b-a12b": 120.67,  # llama-bench on unsloth's UD-Q4_K_XL (no MTP block in the file)
    "glm-5.2": 753.86,  # llama-bench on a glm-dsa Q4_K_M with the MTP block
    "deepseek-v4-flash": 284.33,  # llama.cpp's print_info for a deepseek4 GGUF (issue #22319), no MTP block
    "deepseek-v4-flash-0731": 284.33,  # llama.cpp's print_info for DeepSeek-V4-Flash-0731 (issue #27680)
    "glm-5.3-flash": 320.76,  # llama-bench on a glm5next IQ1_S with the MTP block
    "qwen3.8-flash-next": 176.94,  # llama-bench on qwen4exp files (UD-IQ1_S, UD-Q4_K_XL, Q3_K_M), no MTP block
}


@pytest.mark.parametrize("mid", sorted(_LLAMA_CPP_PRINTS))
def test_check_prints_the_count_llama_cpp_prints(catalog: Catalog, mid: str) -> None:
    m = catalog.model(mid)
    assert round(m.params / 1e9, 2) == _LLAMA_CPP_PRINTS[mid] == round(parameter_count(m) / 1e9, 2)


def test_a_qwen35_file_with_the_mtp_block_counts_it(catalog: Catalog) -> None:
    """Files converted since llama.cpp writes the MTP block print 35.51 B (Qwen3.6-35B-A3B, the same shapes)."""
    import dataclasses

    m = dataclasses.replace(catalog.model("qwen3.5-35b-a3b"), mtp_layers=1)
    assert round(parameter_count(m) / 1e9, 2) == 35.51


def test_the_audit_catches_what_it_fixed(catalog: Catalog) -> None:
    """GLM's MTP layer (and GLM-4.5 Air's own copy of the embedding and head) and Qwen3.5's MTP block, counted the
    way the catalog had them, miss the published files by more than 1%."""
    import dataclasses

    for mid, wrong in (
        ("glm-4.6", {"mtp_layers": 0}),
        ("glm-4.5-air", {"mtp_layers": 0, "mtp_own_head": False}),
        ("glm-4.5-air", {"mtp_own_head": False}),
        ("qwen3.5-35b-a3b", {"mtp_layers": 1}),
        ("qwen3.5-122b-a10b", {"mtp_layers": 1}),
    ):
        m = catalog.model(mid)
        assert m.params_reference is not None
        off = parameter_count(dataclasses.replace(m, **wrong)) / m.params_reference - 1
        assert abs(off) > 0.01, (mid, wrong, off)
