"""Shared pieces of the advice commands: quality of a model, and a quick estimate of one option."""

from __future__ import annotations

import math

from willitrun.estimate.core import Request, estimate
from willitrun.estimate.types import Machine, ModelSpec, Option

# How much of a model's quality a quantization keeps, relative to Q8_0 (from llama.cpp's published perplexity
# increases on Llama 3 8B, estimation.md 1c(a): Q6_K +0.02, Q5_K_M +0.06, Q4_K_M +0.18, Q3_K_M +0.66, Q2_K +3.5).
QUANT_QUALITY = {
    "F16": 1.0,
    "BF16": 1.0,
    "Q8_0": 1.0,
    "Q6_K": 0.995,
    "Q5_K_M": 0.985,
    "Q4_K_M": 0.96,
    "IQ4_XS": 0.955,
    "Q3_K_M": 0.88,
    "IQ3_M": 0.87,
    "Q2_K": 0.7,
    "IQ2_M": 0.72,
    "MXFP4": 0.97,
}
RECOMMEND_QUANTS = ("Q8_0", "Q6_K", "Q5_K_M", "Q4_K_M", "IQ4_XS", "Q3_K_M")


def dense_equivalent_b(m: ModelSpec) -> float:
    """Billions of parameters a dense model of similar quality would have: for a mixture of experts, the
    geometric mean of total and active parameters (a common rule of thumb)."""
    total = m.params / 1e9
    if m.active_params:
        return math.sqrt(total * m.active_params / 1e9)
    return total


def recency(m: ModelSpec) -> float:
    """Newer model families do more per parameter: 1.0 from 2025, less for older releases."""
    year = int(m.released[:4]) if m.released and m.released[:4].isdigit() else 2024
    return {2025: 1.0, 2024: 0.85, 2023: 0.7}.get(min(max(year, 2023), 2025), 1.0)


def quality(m: ModelSpec, quant: str) -> float:
    """A transparent ranking score: dense-equivalent size (log-scaled), recency, and what the quantization keeps."""
    return math.log2(1 + dense_equivalent_b(m)) * recency(m) * QUANT_QUALITY.get(quant, 0.9)


def quick_option(m: ModelSpec, machine: Machine, quant: str, ctx: int) -> Option:
    """One quantization of one model at a fixed context, without the largest-context search."""
    return estimate(m, machine, Request(quants=(quant,), ctx=ctx, max_context=False)).options[0]


def load_quality(path: str | None = None) -> dict[str, tuple[dict[str, float], str]]:
    """use -> ({model id: published score}, 'benchmark (source, date)') from data/quality.yaml."""
    from pathlib import Path

    from willitrun.catalog.entry import read_yaml
    from willitrun.catalog.load import data_dir
    from willitrun.errors import CatalogError

    p = Path(path) if path else data_dir() / "quality.yaml"
    raw = read_yaml(p)
    out: dict[str, tuple[dict[str, float], str]] = {}
    for use, b in ((raw or {}).get("benchmarks") or {}).items():
        if not isinstance(b, dict) or not b.get("source") or not b.get("date"):
            raise CatalogError(f"{p}: benchmark for {use!r} needs name, source and date")
        scores = {str(k): float(v) for k, v in (b.get("scores") or {}).items()}
        out[str(use)] = (scores, f"{b.get('name', use)} ({b['source']}, read {b['date']})")
    return out
