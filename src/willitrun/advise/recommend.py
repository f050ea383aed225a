"""`willitrun recommend`: the best models a machine runs well, per use, with quantization, speed and why."""

from __future__ import annotations

from dataclasses import dataclass

from willitrun.advise.rank import RECOMMEND_QUANTS, dense_equivalent_b, quality, quick_option
from willitrun.estimate.types import Machine, ModelSpec, Option

USES = ("chat", "code", "reasoning", "vision")


@dataclass(frozen=True)
class Pick:
    model: ModelSpec
    option: Option
    score: float
    why: str


def _best_option(m: ModelSpec, machine: Machine, ctx: int, min_tps: float) -> Option | None:
    """The highest-quality quantization that runs at min_tps or faster: on the GPU if any does, else anywhere."""
    opts = []
    for q in RECOMMEND_QUANTS:
        o = quick_option(m, machine, q, ctx)
        if o.verdict != "no" and (o.tokens_per_s or 0) >= min_tps:
            opts.append(o)
            if o.verdict in ("gpu", "cpu"):
                break  # the best quantization that runs without offloading; smaller ones only lose quality
    if not opts:
        return None
    full = [o for o in opts if o.verdict in ("gpu", "cpu")]
    return full[0] if full else opts[0]


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
                picks.append(p)
        picks.sort(
            key=lambda p: (p.option.verdict in ("gpu", "cpu"), p.score, p.option.tokens_per_s or 0), reverse=True
        )
        out[u] = picks[:top]
    return out
