"""`willitrun recommend`: the best models a machine runs well, per use, with quantization, speed and why.

Each model is planned with the file `check` recommends at the same context (the same files and the same rule,
`estimate.core.recommend`), with --min-tps as the speed floor; models that reach no option at that speed are
left out. Per use they are then ordered by `rank.order_by_quality`: published results for the use
(data/quality.yaml) where a model has one, the size heuristic where it has none, then speed, then fit.
"""

from __future__ import annotations

from dataclasses import dataclass

from willitrun.advise.rank import dense_equivalent_b, measured_as_published, order_by_quality, quality
from willitrun.estimate.types import Machine, ModelSpec, Option

USES = ("chat", "code", "reasoning", "vision")


@dataclass(frozen=True)
class Pick:
    model: ModelSpec
    option: Option
    score: float  # the size heuristic (rank.quality) of this model at this quantization
    why: str
    benchmark: float | None = None  # the published result for the use (data/quality.yaml), None where none


def _best_option(m: ModelSpec, machine: Machine, ctx: int, min_tps: float) -> Option | None:
    """The option `check` recommends for this model at ctx, with min_tps in place of its usefulness floor: among
    the files check weighs (the usual ladder, or the MXFP4-native files), the highest-quality one that runs fully
    (on the GPUs, or on the CPU of a machine without one) at min_tps, where files at or above LOSSLESS_BPW (all of
    them for MXFP4-native models) count as one tier and the faster wins; failing that, the same over the options
    split between GPU and RAM, then over CPU-only ones. None when no option reaches min_tps.

    The first tier that fits fully is found by bisection over one representative per quality tier (its smallest
    file: a tier fits if that one does); from there the tiers are weighed in order until one reaches min_tps. The
    whole ladder is estimated only when nothing runs fully fast enough."""
    from willitrun.catalog.weights_cache import cached_weights
    from willitrun.estimate.core import LOSSLESS_BPW, Request, estimate_option, mixes_for, mxfp4_native
    from willitrun.estimate.tensors import parameter_count

    weights = cached_weights(m, mixes_for(m))  # what check sizes its options with
    lossless = 0.0 if mxfp4_native(m) else LOSSLESS_BPW
    params = max(1, parameter_count(m))
    req = Request(ctx=ctx, max_context=False)
    memo: dict[str, Option] = {}

    def option(i: int) -> Option:
        w = weights[i]
        if w.mix not in memo:
            memo[w.mix] = estimate_option(m, machine, w.mix, req, ctx, False, w)
        return memo[w.mix]

    def tier(i: int) -> float:  # as estimate.core.recommend rounds it
        return round(min(weights[i].total_bytes * 8 / params, lossless), 1)

    def best(idx: list[int], verdicts: tuple[str, ...]) -> Option | None:
        good = [option(i) for i in idx if option(i).verdict in verdicts and (option(i).tokens_per_s or 0) >= min_tps]
        if not good:
            return None
        order = {w.mix: k for k, w in enumerate(weights)}  # check's max() keeps the first of equals: its order
        return max(
            good, key=lambda o: (round(min(o.bits_per_weight, lossless), 1), o.tokens_per_s or 0.0, -order[o.quant])
        )

    full = ("gpu",) if machine.devices else ("cpu",)
    tiers: dict[float, list[int]] = {}
    for i in range(len(weights)):
        tiers.setdefault(tier(i), []).append(i)
    ranked = sorted(tiers, reverse=True)  # best quality first; files shrink along it
    rep = [min(tiers[t], key=lambda i: weights[i].total_bytes) for t in ranked]

    def fits(k: int) -> bool:  # memory only: a smaller file never needs more, so this can be bisected
        return option(rep[k]).verdict in full

    lo, hi, first = 0, len(rep) - 1, None
    if fits(hi):
        while lo <= hi:  # the first (best) tier whose smallest file fits fully
            mid = (lo + hi) // 2
            if fits(mid):
                first, hi = mid, mid - 1
            else:
                lo = mid + 1
    # speed is not monotone in size (IQ files decode slower than K files of the same size): walk down from there
    for k in range(first, len(rep)) if first is not None else ():
        o = best(tiers[ranked[k]], full)
        if o is not None:
            return o
    every = list(range(len(weights)))
    return best(every, ("partial",)) or (best(every, ("cpu",)) if machine.devices else None)


def recommend(
    models: tuple[ModelSpec, ...],
    machine: Machine,
    *,
    use: str | None = None,
    min_tps: float = 10.0,
    ctx: int = 8192,
    top: int = 5,
) -> dict[str, list[Pick]]:
    """Per use (or the one asked for), the models that run at min_tps, best first (rank.order_by_quality)."""
    from dataclasses import replace

    from willitrun.advise.rank import load_benchmarks

    bench = load_benchmarks()
    uses = (use,) if use else USES
    out: dict[str, list[Pick]] = {}
    cache: dict[str, Pick | None] = {}
    for u in uses:
        b = bench.get(u)
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
                got = b.scores.get(m.id) if b else None
                if b is not None and got is not None and measured_as_published(p.option.quant):
                    p = replace(p, benchmark=got, why=f"{p.why}; {got:g} on {b.label}")
                elif b is not None and got is not None:
                    p = replace(p, why=f"{p.why}; its {got:g} on {b.label} is for 4-bit files and up: ranked by size")
                elif b is not None:
                    p = replace(p, why=f"{p.why}; no published {b.label}: ranked by size")
                picks.append(p)
        ranked = order_by_quality(
            picks,
            result=lambda p: p.benchmark,
            heuristic=lambda p: p.score,
            speed=lambda p: p.option.tokens_per_s or 0.0,
            fits=lambda p: p.option.verdict in ("gpu", "cpu"),
            margin=b.margin if b else 0.0,
        )
        out[u] = ranked[:top]
    return out
