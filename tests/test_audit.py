"""The catalog against a second source: params-from-shapes within 1% of a count read elsewhere (llama.cpp's log,
a published BF16/F16 GGUF's size, Hugging Face's safetensors total, the model card)."""

from __future__ import annotations

import pytest

from willitrun.catalog.load import Catalog, load_catalog
from willitrun.estimate.tensors import parameter_count

_REFERENCED = [m.id for m in load_catalog().models if m.params_reference is not None]


def test_enough_entries_have_a_second_source() -> None:
    assert len(_REFERENCED) >= 6, _REFERENCED


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
