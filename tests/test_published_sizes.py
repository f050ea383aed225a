"""GGUF sizes computed from catalog shapes against files published on Hugging Face and in LM Studio's catalog.

The table (tests/data/published_gguf_sizes.yaml) names each file's repository and the page the size was read
from. A file holds, beside its tensors, metadata (the tokenizer: a few MB), so the comparison allows 1% or
12 MB, whichever is larger, plus the rounding of the displayed figure.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from willitrun.catalog.load import Catalog
from willitrun.estimate.tensors import weights_breakdown

ROWS: list[dict[str, Any]] = yaml.safe_load(
    (Path(__file__).parent / "data" / "published_gguf_sizes.yaml").read_text(encoding="utf-8")
)["files"]


def test_table_is_broad() -> None:
    assert len({r["model"] for r in ROWS}) >= 20
    assert all(r.get("source", "").startswith("http") for r in ROWS)


@pytest.mark.parametrize(
    "row", [r for r in ROWS if not r.get("legacy_mix")], ids=lambda r: f"{r['model']}-{r['quant']}"
)
def test_published_file_size(catalog: Catalog, row: dict[str, Any]) -> None:
    ours = weights_breakdown(catalog.model(row["model"]), row["quant"]).total_bytes
    if row.get("bytes"):
        published, rounding = float(row["bytes"]), 0.0
    else:
        published, rounding = float(row["gb"]) * 1e9, float(row["precision_gb"]) * 1e9 / 2
    allowed = max(0.01 * published, 12e6) + rounding
    assert abs(ours - published) <= allowed, (row["file"], ours, published)
    # the file is never smaller than its tensors
    if row.get("bytes"):
        assert ours <= published
