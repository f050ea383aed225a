"""When nothing runs: what would. The smallest quantization, a shorter context, the RAM it needs, or the
cheapest catalog hardware that runs it, each checked with the estimator rather than guessed."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

from willitrun.estimate.core import Estimate, Request, estimate, formats_for, mxfp4_native
from willitrun.estimate.types import GGUF_RUNTIMES, GIB, Option, Record

if TYPE_CHECKING:
    from willitrun.catalog.types import GpuSpec

SuggestionKind = Literal["runtime", "quant", "context", "ram", "hardware"]

# The context a shorter-context suggestion tries: llama.cpp's fit floor.
SHORT_CONTEXT = 4096


@dataclass(frozen=True, eq=False, repr=False)
class Suggestion(Record):
    kind: SuggestionKind
    text: str
    quant: str | None = None
    context: int | None = None
    verdict: str | None = None
    tokens_per_s: float | None = None
    ram_bytes: int | None = None
    gpu_id: str | None = None
    gpu_count: int | None = None
    price_usd: float | None = None


def _runs(o: Option) -> bool:
    return o.verdict != "no"


def _best_running(options: tuple[Option, ...]) -> Option | None:
    """The highest-quality option that runs at all."""
    return max((o for o in options if _runs(o)), key=lambda o: o.bits_per_weight, default=None)


def _speed(o: Option) -> str:
    return f"{o.tokens_per_s:.1f} tok/s" if o.tokens_per_s is not None else "speed unknown"


def _only(req: Request, quants: tuple[str, ...], ctx: int) -> Request:
    """The request for these quantizations at a fixed context: their given weights where the request has them,
    llama.cpp's mix rules otherwise."""
    given = tuple(w for w in req.weights if w.mix in quants)
    return replace(req, quants=() if given else quants, weights=given, ctx=ctx, max_context=False)


def what_would_run(
    est: Estimate, req: Request, gpus: tuple[GpuSpec, ...] = (), *, other_files: bool = True
) -> tuple[Suggestion, ...]:
    """Ways out when no option of `est` runs, most direct first. `gpus`: the catalog's, for the hardware hint;
    other_files: whether other quantizations of the model exist to suggest (not for one given file)."""
    if est.options and not any(o.placement for o in est.options):  # the runtime cannot use this hardware at all
        return _other_runtime(est, req)
    # an unset context is fitted per option (down to 4096): suggest at that context, not the model's maximum
    fitted = min((o.context for o in est.options), default=est.context)
    ctx = min(fitted if est.context_auto else est.context, est.model.context_max)
    found = (
        _smaller_quant(est, req, ctx) if req.runtime in GGUF_RUNTIMES and other_files else None,
        _shorter_context(est, req) if ctx > SHORT_CONTEXT else None,
        _more_ram(est, req),
        _cheapest_hardware(est, req, gpus),
    )
    return tuple(x for x in found if x is not None)


def _suggest(
    kind: SuggestionKind, text: str, o: Option, *, context: int | None = None, ram_bytes: int | None = None
) -> Suggestion:
    """A suggestion backed by the option the estimator gave for it."""
    return Suggestion(
        kind, text, quant=o.quant, context=context, verdict=o.verdict, tokens_per_s=o.tokens_per_s, ram_bytes=ram_bytes
    )


def _smaller_quant(est: Estimate, req: Request, ctx: int) -> Suggestion | None:
    """The best of the quantizations not shown that runs (not for MXFP4-native models: no smaller files exist)."""
    if mxfp4_native(est.model):
        return None
    tried = {o.quant for o in est.options}
    rest = tuple(q for q in formats_for(req.runtime) if q not in tried)
    best = _best_running(estimate(est.model, est.machine, _only(req, rest, ctx)).options) if rest else None
    if best is None:
        return None
    return _suggest(
        "quant", f"--quant {best.quant} runs ({best.verdict}, {_speed(best)}); --quant all lists every type", best
    )


def _shorter_context(est: Estimate, req: Request) -> Suggestion | None:
    short = _only(req, tuple(o.quant for o in est.options), SHORT_CONTEXT)
    best = _best_running(estimate(est.model, est.machine, short).options)
    if best is None:
        return None
    text = f"--ctx {SHORT_CONTEXT} runs {best.quant} ({best.verdict}, {_speed(best)})"
    return _suggest("context", text, best, context=SHORT_CONTEXT)


def _more_ram(est: Estimate, req: Request) -> Suggestion | None:
    """The system RAM (in 8 GB steps, as it is sold) that would hold the smallest option."""
    machine = est.machine
    smallest = min(est.options, key=lambda o: o.total_bytes, default=None)
    if smallest is None or not smallest.placement:
        return None
    ram = smallest.placement[-1]
    short_by = ram.total_bytes - ram.capacity_bytes
    if short_by <= 0:
        return None
    need_gb = math.ceil((machine.ram_bytes + short_by) / GIB / 8) * 8
    bigger = replace(machine, ram_bytes=need_gb * GIB, ram_free_bytes=machine.ram_free_bytes + short_by)
    o = estimate(est.model, bigger, _only(req, (smallest.quant,), smallest.context)).options[0]
    if not _runs(o):
        return None
    text = f"with {need_gb} GB of system RAM, {o.quant} runs ({o.verdict}, {_speed(o)}): --ram {need_gb}"
    return _suggest("ram", text, o, ram_bytes=need_gb * GIB)


def _other_runtime(est: Estimate, req: Request) -> tuple[Suggestion, ...]:
    """MLX off Apple Silicon, vLLM without an NVIDIA or AMD GPU: llama.cpp runs everywhere; what it would run."""
    gguf = estimate(est.model, est.machine, replace(req, runtime="llama.cpp", quants=(), weights=()))
    best = next((o for o in gguf.options if o.quant == gguf.recommended and _runs(o)), None)
    if best is None:
        return ()
    return (_suggest("runtime", f"--runtime llama.cpp runs {best.quant} here ({best.verdict}, {_speed(best)})", best),)


def _cheapest_hardware(est: Estimate, req: Request, gpus: tuple[GpuSpec, ...]) -> Suggestion | None:
    """The cheapest priced catalog configuration (1-4 identical cards, or a system) that runs the model's usual
    quantization entirely on the GPU at a short context."""
    if not gpus or req.runtime not in GGUF_RUNTIMES:
        return None
    from willitrun.advise.best_gpu import configurations
    from willitrun.advise.rank import quick_option

    m = est.model
    quant = "MXFP4" if mxfp4_native(m) else "Q4_K_M"
    ctx = min(SHORT_CONTEXT, m.context_max)
    configs = sorted(configurations(gpus, budget=float("inf"), max_count=4), key=lambda c: c.price_usd)
    need = quick_option(m, configs[0].machine(), quant, ctx).weights_bytes if configs else 0
    for c in configs:
        if c.vram_bytes < need:  # cannot hold the weights: skip the estimate
            continue
        o = quick_option(m, c.machine(), quant, ctx)
        if o.verdict == "gpu":
            price = f"${c.price_usd:,.0f} ({c.price_kind} {c.price_date})"
            return Suggestion(
                "hardware",
                f"the cheapest catalog hardware that runs {quant} on the GPU: {c.label}, {price}, {_speed(o)}",
                quant=quant,
                verdict=o.verdict,
                tokens_per_s=o.tokens_per_s,
                gpu_id=c.gpu.id,
                gpu_count=c.count,
                price_usd=c.price_usd,
            )
    return None
