"""The Qwen3.5 family against the parameter counts of the GGUF files people download.

Unsloth's Qwen3.5 GGUFs (March 2026) were converted before llama.cpp wrote the MTP block into the file, so their
counts are the trunk alone; the catalog describes those files (mtp_layers 0), and its shapes must give their counts
within 1%. This checks
the per-size values (widths, delta-net value heads, tied embeddings) that the catalog took from transcriptions
rather than from the config files themselves. Counts as listed in https://github.com/ggml-org/Llama-macOS/pull/63.
"""

from __future__ import annotations

import dataclasses

import pytest

from willitrun.catalog.load import Catalog
from willitrun.estimate.tensors import model_tensors, parameter_count

GGUF_PARAMS = {
    "qwen3.5-0.8b": 758e6,
    "qwen3.5-2b": 1.89e9,
    "qwen3.5-4b": 4.21e9,
    "qwen3.5-9b": 8.96e9,
    "qwen3.5-27b": 26.9e9,
    "qwen3.5-35b-a3b": 34.7e9,
    "qwen3.5-122b-a10b": 122e9,
    "qwen3.5-397b-a17b": 397e9,
}


def _trunk(catalog: Catalog, mid: str) -> int:
    return sum(t.elements for t in model_tensors(catalog.model(mid)))


@pytest.mark.parametrize("mid", sorted(GGUF_PARAMS))
def test_trunk_matches_the_published_gguf(catalog: Catalog, mid: str) -> None:
    m = catalog.model(mid)
    assert m.mtp_layers == 0 and parameter_count(m) == _trunk(catalog, mid)  # the file holds the trunk alone
    assert abs(_trunk(catalog, mid) / GGUF_PARAMS[mid] - 1) < 0.01, (mid, _trunk(catalog, mid))


def test_the_check_would_catch_an_untied_2b(catalog: Catalog) -> None:
    m = catalog.model("qwen3.5-2b")
    untied = dataclasses.replace(m, tied_embeddings=False)
    n = sum(t.elements for t in model_tensors(untied))
    assert abs(n / GGUF_PARAMS["qwen3.5-2b"] - 1) > 0.2
