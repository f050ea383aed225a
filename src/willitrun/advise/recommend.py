"""`willitrun recommend`: the best models a machine runs well, per use, with quantization, speed and why.

Per use, models with a published benchmark result for that use (data/quality.yaml) rank first, by that result
times what their quantization keeps; models without one follow, by the size heuristic (`rank.quality`). Within
each, what runs without offloading comes first, then the faster. gpt-oss and other MXFP4-native models are
planned with their MXFP4 file, as `check` recommends.
"""

from __future__ import annotations

from dataclasses import dataclass

from willitrun.advise.rank import QUANT_QUALITY, RECOMMEND_QUANTS, dense_equivalent_b, quality, quick_option
from willitrun.estimate.types import Machine, ModelSpec, Option

USES = ("chat", "code", "reasoning", "vision")


@dataclass(frozen=True)
class Pick:
    model: ModelSpec
    option: Option
    score: float
    why: str
    benchmark: float | None = None  # the published result for the use (data/quality.yaml), None where none


def _best_option(m: ModelSpec, machine: Machine, ctx: int, min_tps: float) -> Option | None:
    """The highest-quality quantization that runs at min_tps or faster without offloading (on the GPU, or on
    the CPU of a machine without one); failing that, the best partial offload that is fast enough."""

    def ok(o: Option, full: bool) -> bool:
        good = o.verdict != "no" and (o.tokens_per_s or 0) >= min_tps
        return good and (o.verdict in ("gpu", "cpu") if full else True)

    from willitrun.estimate.core import mxfp4_native

    # best first; smaller quantizations need less memory and run faster. MXFP4-native models: the MXFP4 file
    # (their Q8_0/F16 builds keep MXFP4 experts, count as the same quality and are larger, so slower)
    ladder = ("MXFP4",) if mxfp4_native(m) else RECOMMEND_QUANTS
    smallest = quick_option(m, machine, ladder[-1], ctx)
    if smallest.verdict == "no":
        return None
    if not ok(smallest, full=True):
        # nothing runs without offloading: the best partial option that is fast enough, if any
        for q in ladder:
            o = smallest if q == ladder[-1] else quick_option(m, machine, q, ctx)
            if ok(o, full=False):
                return o
        return None
    lo, hi, best = 0, len(ladder) - 2, smallest  # binary search: the first (best) quantization that runs fully
    while lo <= hi:
        mid = (lo + hi) // 2
        o = quick_option(m, machine, ladder[mid], ctx)
        if ok(o, full=True):
            best, hi = o, mid - 1
        else:
            lo = mid + 1
    return best


def recommend(
    models: tuple[ModelSpec, ...],
    machine: Machine,
    *,
    use: str | None = None,
    min_tps: float = 10.0,
    ctx: int = 8192,
    top: int = 5,
) -> dict[str, list[Pick]]:
    """Per use (or the one asked for), the models ranked by quality among those that run at min_tps."""
    from dataclasses import replace

    from willitrun.advise.rank import load_quality

    bench = load_quality()
    uses = (use,) if use else USES
    out: dict[str, list[Pick]] = {}
    cache: dict[str, Pick | None] = {}
    for u in uses:
        picks: list[Pick] = []
        for m in models:
            if u not in m.uses or "embedding" in m.uses:
                continue
            if m.id not in cache:
                o = _best_option(m, machine, min(ctx, m.context_max), min_tps)
                if o is None:
                    cache[m.id] = None
                else:
                    where = {"gpu": "all on the GPU", "partial": "partly in RAM", "cpu": "on the CPU"}[o.verdict]
                    why = (
                        f"~{dense_equivalent_b(m):.0f}B-class model, {o.quant} {where} at "
                        f"{o.tokens_per_s or 0:.0f} tok/s"
                    )
                    cache[m.id] = Pick(m, o, quality(m, o.quant), why)
            p = cache[m.id]
            if p is not None:
                scores, what = bench.get(u, ({}, ""))
                got = scores.get(m.id)
                if got is not None:
                    kept = QUANT_QUALITY.get(p.option.quant, 0.9)
                    p = replace(p, benchmark=got, why=f"{p.why}; {got:g} on {what.split(' (')[0]}")
                    p = replace(p, score=got * kept)
                picks.append(p)
        picks.sort(
            key=lambda p: (
                p.benchmark is not None,
                p.option.verdict in ("gpu", "cpu"),
                p.score,
                p.option.tokens_per_s or 0,
            ),
            reverse=True,
        )
        out[u] = picks[:top]
    return out
