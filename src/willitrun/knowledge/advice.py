"""Concrete fixes for an out-of-memory: the context, -ngl, quantization or cache type that fits this machine."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from willitrun.estimate.core import Request, estimate
from willitrun.estimate.quants import MIX_DEFAULT
from willitrun.estimate.tensors import weights_breakdown
from willitrun.estimate.types import GIB, Machine, ModelSpec

if TYPE_CHECKING:
    from willitrun.catalog.load import Catalog
    from willitrun.knowledge.troubleshoot import LogFacts, Match

# Smaller quantizations worth suggesting, best first.
_LADDER = ("Q8_0", "Q6_K", "Q5_K_M", "Q4_K_M", "IQ4_XS", "Q3_K_M", "IQ3_M", "Q2_K")


def hardware_words(machine: Machine) -> str:
    if not machine.devices:
        return f"this machine ({machine.ram_bytes / GIB:.0f} GiB RAM, no GPU)"
    d = machine.devices[0]
    n = len(machine.devices)
    return f"{n}x {d.name}" if n > 1 else f"{d.name} ({d.memory_bytes / GIB:.0f} GiB)"


def oom_advice(spec: ModelSpec, machine: Machine, quant: str | None, ctx: int | None, file: str | None) -> list[str]:
    """What would fit instead, from the estimator, for the model/quantization/context a log showed."""
    q = quant if quant in MIX_DEFAULT else "Q4_K_M"
    c = ctx or min(spec.context_max, 8192)
    where = hardware_words(machine)
    model_file = file or f"{spec.id}-{q}.gguf"
    o = estimate(spec, machine, Request(quants=(q,), ctx=c)).options[0]
    out: list[str] = []
    if not machine.devices:
        if o.verdict == "no":
            out.append(f"{spec.name} {q} at context {c} needs {o.total_bytes / GIB:.1f} GiB; {where} has less.")
        return out
    if o.verdict == "gpu":
        out.append(
            f"By our estimate {q} at context {c} needs {o.total_bytes / GIB:.1f} GiB and fits {where}: something "
            "else is probably holding GPU memory (check nvidia-smi / `willitrun detect`)."
        )
        return out
    layers = spec.layers + 1
    if o.max_context is not None and o.max_context >= 1024:
        out.append(
            f"On {where}, {q} runs entirely on the GPU up to context {o.max_context}: "
            f"llama-server -m {model_file} -ngl {layers} -c {o.max_context}"
        )
    if o.verdict == "partial":
        tps = f", about {o.tokens_per_s:.1f} tok/s" if o.tokens_per_s else ""
        out.append(
            f"To keep context {c}, offload {o.gpu_layers} of {layers} layers: "
            f"llama-server -m {model_file} -ngl {o.gpu_layers} -c {c}{tps}"
        )
    q8 = estimate(spec, machine, Request(quants=(q,), ctx=c, kv_type="q8_0")).options[0]
    if q8.verdict == "gpu":
        out.append(f"Or quantize the KV cache to fit context {c} on the GPU: add -fa on -ctk q8_0 -ctv q8_0")
    size = weights_breakdown(spec, q).total_bytes
    smaller = [x for x in _LADDER if weights_breakdown(spec, x).total_bytes < size]
    if smaller:
        opts = estimate(spec, machine, Request(quants=tuple(smaller), ctx=c)).options
        fit = next((x for x in opts if x.verdict == "gpu"), None)
        if fit is not None:
            size_gib = fit.weights_bytes / GIB
            out.append(f"Or a smaller quantization: {fit.quant} ({size_gib:.1f} GiB) fits entirely at context {c}")
    return out


# Problems that are an out-of-memory: for these, the fixes are sized with the estimator.
OOM_IDS = frozenset(
    {
        "cuda-out-of-memory",
        "metal-out-of-memory",
        "rocm-out-of-memory",
        "vulkan-out-of-memory",
        "llama-cpp-kv-cache-alloc-failed",
        "model-too-big-for-ram",
        "ollama-model-needs-more-ram",
        "mlx-metal-oom",
    }
)


def oom_fixes(
    cat: Catalog, matches: list[Match], facts: LogFacts, machine: Callable[[], Machine]
) -> dict[str, list[str]]:
    """For an out-of-memory on a model the log names: what fits this (or the --gpu) machine instead, by problem id.
    `machine` is called only when there is such a problem and a model to size."""
    from willitrun.catalog.resolve import resolve_model
    from willitrun.errors import WillItRunError

    oom = [m for m in matches if m.problem.id in OOM_IDS]
    if not oom:
        return {}
    spec = None
    for name in facts.model_names():
        try:
            spec = resolve_model(cat, name)
            break
        except WillItRunError:
            continue
    if spec is None:
        return {}
    tips = oom_advice(spec, machine(), facts.quant or facts.quant_from_file(), facts.ctx, facts.file)
    return {m.problem.id: tips for m in oom} if tips else {}
