"""Shared pieces of the advice commands: quality of a model (published results, else a size heuristic), the order
recommend ranks by, and a quick estimate of one option."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

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
T = TypeVar("T")


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


# A published result was measured on the full-precision model. Down to about 4 bits a GGUF keeps 95% or more of
# it (QUANT_QUALITY), and the result stands for the file; below that (Q3_K_M and smaller) the file is a noticeably
# weaker model, so its result is not used and the heuristic, which counts the quantization, places it.
PUBLISHED_HOLDS = 0.95


def measured_as_published(quant: str) -> bool:
    """Whether a published result still describes the model at this quantization."""
    return QUANT_QUALITY.get(quant, 0.0) >= PUBLISHED_HOLDS


def quality(m: ModelSpec, quant: str) -> float:
    """A transparent ranking score: dense-equivalent size (log-scaled), recency, and what the quantization keeps."""
    return math.log2(1 + dense_equivalent_b(m)) * recency(m) * QUANT_QUALITY.get(quant, 0.9)


def quick_option(m: ModelSpec, machine: Machine, quant: str, ctx: int) -> Option:
    """One quantization of one model at a fixed context, without the largest-context search."""
    return estimate(m, machine, Request(quants=(quant,), ctx=ctx, max_context=False)).options[0]


# How recommend orders models for a use (docs/data.md, "data/quality.yaml"). Quality first, then speed, then fit:
# - a model with a published result for the use (at a quantization that keeps it, `measured_as_published`) is
#   compared with the others that have one by that result, and results closer than the benchmark's `margin`
#   count as equal;
# - a model without one is compared with the others without one by `quality` (the size heuristic above), and
#   heuristics within HEURISTIC_TIE of each other count as equal (one release year alone, the recency step of
#   0.85, is not a meaningful difference for so coarse a guess);
# - equal quality: the faster first (tok/s at the planned context), then the one that fits on the GPU (or runs on
#   the CPU of a machine without one) before one split between GPU and RAM;
# - between the two kinds: the published order is never broken, and each model without a result is inserted
#   among those with one where it contradicts the fewest comparisons. It should follow every measured model the
#   heuristic does not put clearly below it, and precede every one it does: clearly = by more than
#   UNMEASURED_LEAD, about twice the size of the same year and quantization (16B against 8B, 32B against 14B) or
#   the same size two release years newer. So a measured model keeps its place against unmeasured ones of its
#   class, and an old small model with a result does not hold a current larger one back just because a
#   leaderboard once listed it; the fewest-contradictions rule keeps one weak measured model of a class from
#   dragging an unmeasured one below all the measured models ranked above it.
HEURISTIC_TIE = 0.15
UNMEASURED_LEAD = 1.25


@dataclass(frozen=True)
class Benchmark:
    """One use's published results (data/quality.yaml)."""

    use: str
    name: str  # what was measured; the part before " (" labels the number
    source: str  # where the table is, pinned to a commit where the leaderboard lives in git
    date: str  # the date of the table itself
    read: str  # when it was read for willitrun
    margin: float  # results closer than this count as a tie
    scores: dict[str, float]

    @property
    def label(self) -> str:
        return self.name.split(" (")[0]

    def describe(self) -> str:
        return f"{self.name} ({self.source}, table of {self.date}, read {self.read})"


def load_benchmarks(path: str | None = None) -> dict[str, Benchmark]:
    """use -> its Benchmark, from data/quality.yaml (or path); a malformed entry is a CatalogError."""
    from pathlib import Path

    from willitrun.catalog.entry import DATE_RE, parse_yaml, read_yaml_bytes
    from willitrun.catalog.load import data_dir
    from willitrun.errors import CatalogError

    p = Path(path) if path else data_dir() / "quality.yaml"
    raw = parse_yaml(p, read_yaml_bytes(p))
    benches = (raw or {}).get("benchmarks") if isinstance(raw, dict) else None
    if not isinstance(benches, dict):
        raise CatalogError(f"{p}: needs a 'benchmarks' mapping of use -> benchmark")
    out: dict[str, Benchmark] = {}
    for use, b in benches.items():
        if not isinstance(b, dict):
            raise CatalogError(f"{p}: benchmark for {use!r} is not a mapping")
        for field in ("name", "source", "date", "read", "margin", "scores"):
            if b.get(field) in (None, ""):
                raise CatalogError(f"{p}: benchmark for {use!r} needs {field}")
        for field in ("date", "read"):
            if not DATE_RE.match(str(b[field])):
                raise CatalogError(f"{p}: benchmark for {use!r}: {field} {b[field]!r} is not a date (YYYY-MM-DD)")
        if not isinstance(b["scores"], dict):
            raise CatalogError(f"{p}: benchmark for {use!r}: scores must map model ids to numbers")
        try:
            scores = {str(k): float(v) for k, v in b["scores"].items()}
            margin = float(b["margin"])
        except (TypeError, ValueError):
            raise CatalogError(f"{p}: benchmark for {use!r}: scores and margin must be numbers") from None
        out[str(use)] = Benchmark(
            str(use), str(b["name"]), str(b["source"]), str(b["date"]), str(b["read"]), margin, scores
        )
    return out


def load_quality(path: str | None = None) -> dict[str, tuple[dict[str, float], str]]:
    """use -> ({model id: published result}, 'benchmark (source, table date, read date)')."""
    return {u: (b.scores, b.describe()) for u, b in load_benchmarks(path).items()}


def _banded(items: list[T], value: Callable[[T], float], close: Callable[[float, float], bool]) -> list[list[T]]:
    """items from the highest value down, grouped: each group holds the items `close` to its first (highest)."""
    groups: list[list[T]] = []
    for it in sorted(items, key=value, reverse=True):
        if groups and close(value(groups[-1][0]), value(it)):
            groups[-1].append(it)
        else:
            groups.append([it])
    return groups


def order_by_quality(
    items: list[T],
    *,
    result: Callable[[T], float | None],
    heuristic: Callable[[T], float],
    speed: Callable[[T], float],
    fits: Callable[[T], bool],
    margin: float,
) -> list[T]:
    """items best first, by the rules above: measured ones by result (ties within margin), unmeasured ones by the
    heuristic (ties within HEURISTIC_TIE), equal quality by speed then fit; then each unmeasured one inserted
    into the measured order where it contradicts the heuristic's comparisons with them the least."""

    def within(groups: list[list[T]]) -> list[T]:
        return [it for g in groups for it in sorted(g, key=lambda it: (speed(it), fits(it)), reverse=True)]

    measured = [it for it in items if result(it) is not None]
    unmeasured = [it for it in items if result(it) is None]
    m = within(_banded(measured, lambda it: result(it) or 0.0, lambda top, v: top - v < margin))
    u = within(_banded(unmeasured, heuristic, lambda top, v: v >= top * (1 - HEURISTIC_TIE)))
    out: list[T] = []
    at = i = 0  # where the previous unmeasured model went: the next one never goes before it
    for it in u:
        h = heuristic(it)
        held = [h <= UNMEASURED_LEAD * heuristic(x) for x in m]  # x should stay ahead of it
        # contradictions if it goes after the first k measured models: models it clearly beats left ahead of it,
        # plus models that should stay ahead of it put behind it; the fewest wins, the earliest of equals
        cost = [sum(not y for y in held[:k]) + sum(held[k:]) for k in range(len(m) + 1)]
        at = max(at, min(range(len(m) + 1), key=lambda k: (cost[k], k)))
        out += m[i:at]
        i = max(i, at)
        out.append(it)
    return out + m[i:]
