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
    m, machine = est.model, est.machine
    if est.options and not any(o.placement for o in est.options):  # the runtime cannot use this hardware at all
        return _other_runtime(est, req)
    out: list[Suggestion] = []
    # an unset context is fitted per option (down to 4096): suggest at that context, not the model's maximum
    fitted = min((o.context for o in est.options), default=est.context)
    ctx = min(fitted if est.context_auto else est.context, m.context_max)
    if req.runtime in GGUF_RUNTIMES and other_files and not mxfp4_native(m):
        tried = {o.quant for o in est.options}
        rest = tuple(q for q in formats_for(req.runtime) if q not in tried)
        if rest:
            best = _best_running(estimate(m, machine, _only(req, rest, ctx)).options)
            if best is not None:
                out.append(
                    Suggestion(
                        "quant",
                        f"--quant {best.quant} runs ({best.verdict}, {_speed(best)}); --quant all lists every type",
                        quant=best.quant,
                        verdict=best.verdict,
                        tokens_per_s=best.tokens_per_s,
                    )
                )
    if ctx > SHORT_CONTEXT:
        short = _only(req, tuple(o.quant for o in est.options), SHORT_CONTEXT)
        best = _best_running(estimate(m, machine, short).options)
        if best is not None:
            out.append(
                Suggestion(
                    "context",
                    f"--ctx {SHORT_CONTEXT} runs {best.quant} ({best.verdict}, {_speed(best)})",
                    quant=best.quant,
                    context=SHORT_CONTEXT,
                    verdict=best.verdict,
                    tokens_per_s=best.tokens_per_s,
                )
            )
    smallest = min(est.options, key=lambda o: o.total_bytes, default=None)
    if smallest is not None and smallest.placement:  # no placement: the runtime cannot use this hardware at all
        ram = smallest.placement[-1]
        short_by = ram.total_bytes - ram.capacity_bytes
        if short_by > 0:
            need_gb = math.ceil((machine.ram_bytes + short_by) / GIB / 8) * 8  # RAM is sold in steps of 8 GB
            bigger = replace(machine, ram_bytes=need_gb * GIB, ram_free_bytes=machine.ram_free_bytes + short_by)
            o = estimate(m, bigger, _only(req, (smallest.quant,), smallest.context)).options[0]
            if _runs(o):
                out.append(
                    Suggestion(
                        "ram",
                        f"with {need_gb} GB of system RAM, {o.quant} runs ({o.verdict}, {_speed(o)}): --ram {need_gb}",
                        quant=o.quant,
                        verdict=o.verdict,
                        tokens_per_s=o.tokens_per_s,
                        ram_bytes=need_gb * GIB,
                    )
                )
    hw = _cheapest_hardware(est, req, gpus)
    if hw is not None:
        out.append(hw)
    return tuple(out)


def _other_runtime(est: Estimate, req: Request) -> tuple[Suggestion, ...]:
    """MLX off Apple Silicon, vLLM without an NVIDIA or AMD GPU: llama.cpp runs everywhere; what it would run."""
    gguf = estimate(est.model, est.machine, replace(req, runtime="llama.cpp", quants=(), weights=()))
    best = next((o for o in gguf.options if o.quant == gguf.recommended and _runs(o)), None)
    if best is None:
        return ()
    return (
        Suggestion(
            "runtime",
            f"--runtime llama.cpp runs {best.quant} here ({best.verdict}, {_speed(best)})",
            quant=best.quant,
            verdict=best.verdict,
            tokens_per_s=best.tokens_per_s,
        ),
    )


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
