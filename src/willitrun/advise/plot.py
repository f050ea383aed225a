"""`willitrun check --plot`: how the recommended option's decode speed and time to first token change with the
context already in the cache, each point computed by the estimator at that depth (drawing is render's job)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from willitrun.estimate.types import Record

if TYPE_CHECKING:
    from willitrun.estimate.core import Estimate, Request


@dataclass(frozen=True, eq=False, repr=False)
class CurvePoint(Record):
    context: int  # tokens already in the cache (the prompt so far)
    tokens_per_s: float | None  # decode at that depth
    prefill_tokens_per_s: float | None  # a 512-token chunk of prompt at that depth
    ttft_s: float | None  # time to first token for a prompt of `context` tokens


@dataclass(frozen=True, eq=False, repr=False)
class SpeedCurve(Record):
    quant: str
    runtime: str
    points: tuple[CurvePoint, ...]


def depths(context: int) -> tuple[int, ...]:
    """0, then 1k, 2k, 4k... doubling up to the option's context, which ends the list."""
    out = [0]
    d = 1024
    while d < context:
        out.append(d)
        d *= 2
    if context > 0:
        out.append(context)
    return tuple(out)


def speed_by_context(est: Estimate, req: Request) -> SpeedCurve | None:
    """Decode speed and time to first token at several depths for the recommended option, or None when nothing
    runs. `req` is the request `est` answered (its weights, runtime and cache type). Time to first token adds up
    the prompt's 512-token chunks, each at the prefill rate of its depth (interpolated between the points)."""
    from willitrun.estimate.core import estimate

    rec = next((o for o in est.options if o.quant == est.recommended), None)
    if rec is None:
        return None
    weights = tuple(w for w in req.weights if w.mix == rec.quant)
    base = replace(req, quants=(rec.quant,), ctx=rec.context, weights=weights, max_context=False)
    raw: list[tuple[int, float | None, float | None]] = []
    for d in depths(rec.context):
        o = estimate(est.model, est.machine, replace(base, depth=d)).options[0]
        raw.append((d, o.tokens_per_s, o.prefill_tokens_per_s))
    points: list[CurvePoint] = []
    seconds: float | None = 0.0
    prev: tuple[int, float | None] | None = None
    for d, tps, pp in raw:
        if prev is not None and seconds is not None:
            d0, pp0 = prev
            if pp0 and pp:
                seconds += (d - d0) * (1.0 / pp0 + 1.0 / pp) / 2.0  # trapezoid over seconds per prompt token
            else:
                seconds = None
        points.append(CurvePoint(d, tps, pp, seconds if d > 0 else None))
        prev = (d, pp)
    return SpeedCurve(rec.quant, est.runtime, tuple(points))
