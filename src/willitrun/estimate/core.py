"""The estimate: per quantization, memory, placement, verdict, speed and the largest context that fits."""

from __future__ import annotations

from dataclasses import dataclass, replace

from willitrun.estimate import constants as K
from willitrun.estimate.kv import kv_bytes_per_token, kv_cache_bytes
from willitrun.estimate.placement import Placing, Plan, best_plan, expert_plan, plan
from willitrun.estimate.quants import DEFAULT_MIXES, MIX_DEFAULT
from willitrun.estimate.runtime import RuntimeProfile, default_context, profile
from willitrun.estimate.speed import Speed, estimate_speed
from willitrun.estimate.tensors import WeightsBreakdown, active_parameter_count, parameter_count, weights_breakdown
from willitrun.estimate.types import (
    GGUF_RUNTIMES,
    GIB,
    DevicePlacement,
    Machine,
    ModelSpec,
    OffloadChoice,
    OffloadMode,
    Option,
    Record,
    Runtime,
    Verdict,
)


@dataclass(frozen=True, eq=False, repr=False)
class Request(Record):
    quants: tuple[str, ...] = ()
    ctx: int | None = None
    kv_type: str = "f16"
    parallel: int = 1
    runtime: Runtime = "llama.cpp"
    depth: int = 0
    # Exact weights, e.g. read from a GGUF file: one option per breakdown, instead of the mix rules.
    weights: tuple[WeightsBreakdown, ...] = ()
    extra_bytes: int = 0  # memory beside the model on the GPU, e.g. a vision projector (mmproj)
    max_context: bool = True  # search the largest context that fits (ranking many models can skip it)
    model_file: str | None = None  # the local .gguf the weights were read from, for the command to run it


@dataclass(frozen=True, eq=False, repr=False)
class Estimate(Record):
    model: ModelSpec
    machine: Machine
    context: int
    context_auto: bool
    runtime: Runtime
    kv_type: str
    parallel: int
    options: tuple[Option, ...]
    recommended: str | None
    notes: tuple[str, ...]
    model_file: str | None = None  # the local .gguf file, when the model came from one


# Files of MXFP4-native models (gpt-oss): the experts are MXFP4 in every published file, so only the other
# tensors differ. ggml-org publishes MXFP4 (the rest Q8_0); F16 and Q8_0 builds keep the experts in MXFP4.
MXFP4_NATIVE_MIXES = ("MXFP4", "Q8_0", "F16")


def mxfp4_native(m: ModelSpec) -> bool:
    """The model was released with MXFP4 experts: no smaller quantization of them exists."""
    return m.arch == "gpt-oss"


def mixes_for(m: ModelSpec) -> tuple[str, ...]:
    """The mixes worth showing for a model: the usual ladder, or the files that exist for MXFP4-native models."""
    if mxfp4_native(m):
        return MXFP4_NATIVE_MIXES
    return DEFAULT_MIXES


def _fits_fully(p: Plan, machine: Machine) -> bool:
    if machine.devices:
        return p.fits_gpus and p.output_device is not None and p.ram.layers == 0 and p.fits_ram
    return p.fits_ram


def _placing(
    m: ModelSpec, w: WeightsBreakdown, machine: Machine, ctx: int, req: Request, prof: RuntimeProfile
) -> Placing:
    return Placing(m, w, machine, ctx, req.kv_type, req.parallel, prof)


def _full_plan(
    m: ModelSpec, w: WeightsBreakdown, machine: Machine, ctx: int, req: Request, prof: RuntimeProfile
) -> Plan:
    return plan(_placing(m, w, machine, ctx, req, prof), m.layers + 1 if machine.devices else 0)


def max_context(m: ModelSpec, w: WeightsBreakdown, machine: Machine, req: Request, prof: RuntimeProfile) -> int | None:
    """The largest context (a multiple of 256, up to the model's maximum) that runs fully on the GPUs
    (or in RAM on a machine without GPUs); None when even 256 tokens do not fit."""

    def fits(ctx: int) -> bool:
        return _fits_fully(_full_plan(m, w, machine, ctx, req, prof), machine)

    lo = 256
    if not fits(lo):
        return None
    hi = max(lo, m.context_max)
    if fits(hi):
        return hi
    lo_s, hi_s = lo // 256, hi // 256
    while lo_s < hi_s:
        mid = (lo_s + hi_s + 1) // 2
        if fits(mid * 256):
            lo_s = mid
        else:
            hi_s = mid - 1
    return lo_s * 256


def _verdict(p: Plan, machine: Machine) -> Verdict:
    if not p.fits_ram:
        return "no"
    if not machine.devices:
        return "cpu"
    if p.ngl == 0:
        return "cpu"
    if p.ram.layers == 0 and p.output_device is not None and not p.cpu_expert_layers:
        return "gpu"
    return "partial"


def _choose(
    m: ModelSpec,
    w: WeightsBreakdown,
    machine: Machine,
    req: Request,
    prof: RuntimeProfile,
    ctx: int,
) -> tuple[Plan, Speed | None, tuple[OffloadChoice, ...]]:
    """The placement to use: everything on the GPUs when it fits; otherwise whole layers on the CPU (-ngl), or for
    a mixture of experts the experts in system RAM (--n-cpu-moe), whichever decodes faster."""
    active = float(active_parameter_count(m))

    def speed_of(p: Plan) -> Speed | None:
        if not p.fits_ram:
            return None
        return estimate_speed(
            m,
            w,
            machine,
            p,
            kv_type=req.kv_type,
            depth=req.depth,
            active_params=active,
            flash_attention=prof.flash_attention,
        )

    q = _placing(m, w, machine, ctx, req, prof)
    layers = best_plan(q)
    layer_speed = speed_of(layers)
    split = machine.devices and (layers.ram.layers > 0 or layers.output_device is None)
    experts = expert_plan(q) if split else None
    if experts is None:
        return layers, layer_speed, ()

    def choice(p: Plan, sp: Speed | None, mode: OffloadMode) -> OffloadChoice:
        tps = sp.tokens_per_s if sp else None
        pre = sp.prefill_tokens_per_s if sp else None
        return OffloadChoice(mode, p.ngl, p.cpu_moe if mode == "experts" else 0, p.fits_ram, tps, pre)

    expert_speed = speed_of(experts)
    alts = (choice(layers, layer_speed, "layers"), choice(experts, expert_speed, "experts"))
    if expert_speed is not None and (layer_speed is None or expert_speed.tokens_per_s >= layer_speed.tokens_per_s):
        return experts, expert_speed, alts
    return layers, layer_speed, alts


def _fmt_gib(n: float) -> str:
    return f"{n / GIB:.1f} GiB"


def _fitted_context(
    m: ModelSpec, w: WeightsBreakdown, machine: Machine, req: Request, prof: RuntimeProfile, ctx: int, auto: bool
) -> tuple[int, int | None, list[str]]:
    """The context to allocate, the largest that runs fully on the GPUs, and a note when it was shrunk.
    llama.cpp's --fit shrinks an unset context to fit, but not below 4096. Ollama passes its num_ctx to the runner
    explicitly, so its context stays and layers move to the CPU instead."""
    mc = max_context(m, w, machine, req, prof) if req.max_context or auto else None
    shrinks = auto and prof.shrinks_context
    if shrinks and mc is not None and mc < ctx:
        use = max(mc, min(prof.min_fit_context, m.context_max))
        if use < ctx:
            return use, mc, [f"context reduced from {ctx} to {use} to fit, as llama.cpp's automatic fit does"]
        return use, mc, []
    if shrinks and mc is None:
        return min(prof.min_fit_context, ctx), mc, []
    return ctx, mc, []


def _split_notes(
    m: ModelSpec, p: Plan, speed: Speed | None, alts: tuple[OffloadChoice, ...], prof: RuntimeProfile, ctx: int
) -> list[str]:
    """What a partial placement means: which part stays in RAM, and how the alternatives compare."""
    notes: list[str] = []
    if p.cpu_expert_layers:
        k = len(p.cpu_expert_layers)
        layers_too = f"; {p.ram.layers} whole layers run on the CPU too" if p.ram.layers else ""
        notes.append(
            f"expert offload: the experts of {k} of {m.layers} layers stay in system RAM "
            f"(--n-cpu-moe {p.cpu_moe}), attention, shared weights and the KV cache on the GPU{layers_too}; "
            "see 'willitrun explain expert-offloading'"
        )
        if prof.name == "ollama":
            notes.append("Ollama's runner places the experts itself (llama.cpp's fit keeps experts in RAM first)")
        layer_alt = next((a for a in alts if a.mode == "layers"), None)
        if layer_alt and layer_alt.tokens_per_s and speed:
            notes.append(
                f"expert offload decodes at {speed.tokens_per_s:.1f} tok/s against {layer_alt.tokens_per_s:.1f} "
                f"with -ngl {layer_alt.gpu_layers} (whole layers on the CPU)"
            )
        return notes
    what = f"{p.ram.layers} of {m.layers} layers stay" if p.ram.layers else "the output layer stays"
    kept = f"; Ollama keeps the context of {ctx} you asked for" if prof.name == "ollama" else ""
    return [f"{what} in system RAM and run on the CPU{kept}; see 'willitrun explain offloading'"]


def _memory_notes(
    m: ModelSpec, machine: Machine, req: Request, p: Plan, verdict: str, mc: int | None, ctx: int
) -> list[str]:
    """Why it does not fit the GPUs (or at all), and the nearest fix."""
    notes: list[str] = []
    if verdict == "no":
        need = sum(d.total_bytes for d in p.devices)
        have = sum(d.capacity_bytes for d in p.devices)
        ram = p.ram
        if need <= have and ram.total_bytes > ram.capacity_bytes:
            # room enough in all, but what must stay in system RAM (input tables, layers or experts left there)
            # does not fit it
            notes.append(
                f"the part that stays in system RAM needs {_fmt_gib(ram.total_bytes)} but "
                f"{_fmt_gib(ram.capacity_bytes)} is free"
            )
        else:
            notes.append(f"needs {_fmt_gib(need)} but the GPUs and RAM offer {_fmt_gib(have)}")
    if machine.devices and verdict in ("partial", "cpu", "no"):
        per_tok = kv_bytes_per_token(m, req.kv_type) * req.parallel
        if per_tok > 0 and mc is not None and mc < ctx:
            kv = kv_cache_bytes(m, ctx, req.kv_type, req.parallel)
            notes.append(f"KV cache at {ctx} context needs {_fmt_gib(kv)}; a context of {mc} fits on the GPU")
        elif mc is None and verdict != "no" and req.max_context and not p.cpu_expert_layers:
            fix = "more VRAM" if mxfp4_native(m) else "a smaller quantization or more VRAM"
            notes.append(f"the weights alone exceed GPU memory; {fix} is needed")
    return notes


def _speed_notes(speed: Speed | None, req: Request, prof: RuntimeProfile) -> list[str]:
    notes: list[str] = []
    if req.kv_type != "f16" and not prof.flash_attention:
        notes.append("a quantized KV cache needs flash attention, which llama.cpp turns off for this architecture")
    if speed and speed.limited_by == "compute":
        notes.append("decode is limited by compute, not memory bandwidth, on this hardware")
    if speed is not None and speed.tokens_per_s < 1.0:
        notes.append("under 1 token/s: usable for batch jobs only")
    return notes


def estimate_option(
    m: ModelSpec,
    machine: Machine,
    mix: str,
    req: Request,
    ctx: int,
    auto_ctx: bool,
    given: WeightsBreakdown | None = None,
) -> Option:
    prof = profile(req.runtime, m)
    w = given if given is not None else weights_breakdown(m, mix)
    if req.extra_bytes:
        # a projector loads beside the output layer on the last GPU: count it with the output weights
        w = replace(w, output_bytes=w.output_bytes + req.extra_bytes, total_bytes=w.total_bytes + req.extra_bytes)
    use_ctx, mc, notes = _fitted_context(m, w, machine, req, prof, ctx, auto_ctx)
    p, speed, alts = _choose(m, w, machine, req, prof, use_ctx)
    verdict = _verdict(p, machine)
    if verdict == "no":
        speed = None
    if verdict == "partial":
        notes += _split_notes(m, p, speed, alts, prof, use_ctx)
    notes += _memory_notes(m, machine, req, p, verdict, mc, use_ctx)
    notes += _speed_notes(speed, req, prof)
    overhead = sum(d.overhead_bytes for d in p.devices)
    if w.output_is_tied and p.output_device is not None:
        overhead += w.token_embd_bytes  # the GPU copy of the tied embedding
    return Option(
        quant=mix,
        context=use_ctx,
        weights_bytes=w.total_bytes,
        kv_cache_bytes=kv_cache_bytes(m, use_ctx, req.kv_type, req.parallel),
        compute_bytes=sum(d.compute_bytes for d in p.devices),
        overhead_bytes=overhead,
        verdict=verdict,
        gpu_layers=p.ngl,
        layers=m.layers + 1,
        placement=p.devices,
        tokens_per_s=speed.tokens_per_s if speed else None,
        tokens_per_s_low=speed.low if speed else None,
        tokens_per_s_high=speed.high if speed else None,
        prefill_tokens_per_s=speed.prefill_tokens_per_s if speed else None,
        max_context=mc,
        bits_per_weight=w.total_bytes * 8 / max(1, parameter_count(m)),
        notes=tuple(notes),
        offload="experts" if p.cpu_expert_layers else ("layers" if verdict == "partial" else "none"),
        cpu_moe_layers=p.cpu_moe,
        alternatives=alts,
    )


# Mixes at or above this many bits per weight are within 0.01 perplexity of F16 (estimation.md 1c(a):
# Q8_0 +0.0026, F16 +0.0020): treated as one lossless tier, where the faster one is the better choice.
LOSSLESS_BPW = 8.0


def recommend(options: tuple[Option, ...], lossless_bpw: float = LOSSLESS_BPW) -> str | None:
    """The highest-quality option that runs on GPU at a useful speed; failing that, the best partial or CPU one.
    Options at or above `lossless_bpw` count as one tier, where the faster wins (0: every option is one tier,
    as for MXFP4-native models whose files differ only outside the experts)."""

    def quality(o: Option) -> float:
        return min(o.bits_per_weight, lossless_bpw)

    def ok(o: Option, verdicts: tuple[str, ...]) -> bool:
        return o.verdict in verdicts and (o.tokens_per_s or 0.0) >= K.USEFUL_TOKENS_PER_S

    for verdicts in (("gpu",), ("partial",), ("cpu",)):
        good = [o for o in options if ok(o, verdicts)]
        if good:
            best = max(good, key=lambda o: (round(quality(o), 1), o.tokens_per_s or 0.0))
            return best.quant
    runnable = [o for o in options if o.verdict != "no" and o.tokens_per_s]
    if runnable:
        # nothing is fast enough: the best quality within 25% of the fastest, not the smallest file at any cost
        fastest = max(o.tokens_per_s or 0.0 for o in runnable)
        near = [o for o in runnable if (o.tokens_per_s or 0.0) >= 0.75 * fastest]
        return max(near, key=lambda o: (round(quality(o), 1), o.tokens_per_s or 0.0)).quant
    return None


def formats_for(runtime: Runtime) -> tuple[str, ...]:
    """Every quantization name a runtime understands."""
    if runtime in ("vllm", "mlx"):
        from willitrun.estimate.formats import MLX_FORMATS, VLLM_FORMATS

        return VLLM_FORMATS if runtime == "vllm" else MLX_FORMATS
    return tuple(MIX_DEFAULT)


def estimate(m: ModelSpec, machine: Machine, req: Request) -> Estimate:
    mixes = req.quants or (mixes_for(m) if req.runtime in GGUF_RUNTIMES else formats_for(req.runtime))
    if req.weights:
        mixes = tuple(w.mix for w in req.weights)
    for q in mixes if not req.weights else ():
        if q not in formats_for(req.runtime):
            raise ValueError(f"unknown quantization {q} for {req.runtime}")
    vram = sum(d.memory_bytes for d in machine.devices)
    auto = req.ctx is None
    ctx = default_context(m, req.runtime, vram) if req.ctx is None else req.ctx
    notes: list[str] = []
    if req.ctx is not None and req.ctx > m.context_max:
        notes.append(f"a context of {req.ctx} is beyond the model's trained context of {m.context_max}")
    if m.per_layer_input and req.runtime in GGUF_RUNTIMES:
        notes.append(
            "the per-layer embedding table stays in system RAM beside token_embd, and only "
            f"{m.layers - m.kv_shared_layers} of {m.layers} layers keep a KV cache (the rest reuse it); "
            "see 'willitrun explain per-layer-embeddings'"
        )
    if req.runtime in ("vllm", "mlx"):
        from willitrun.estimate.engines import mlx_option, vllm_option
    if req.runtime == "vllm":
        kv = req.kv_type
        opts = tuple(vllm_option(m, machine, q, ctx, auto, kv, req.parallel) for q in mixes)
    elif req.runtime == "mlx":
        opts = tuple(mlx_option(m, machine, q, ctx, auto, req.kv_type, req.parallel) for q in mixes)
    elif req.weights:
        opts = tuple(estimate_option(m, machine, w.mix, req, ctx, auto, w) for w in req.weights)
    else:
        opts = tuple(estimate_option(m, machine, q, req, ctx, auto) for q in mixes)
    return Estimate(
        model=m,
        machine=machine,
        context=ctx,
        context_auto=auto,
        runtime=req.runtime,
        kv_type=req.kv_type,
        parallel=req.parallel,
        options=opts,
        recommended=recommend(opts, 0.0 if mxfp4_native(m) else LOSSLESS_BPW),
        notes=tuple(notes),
        model_file=req.model_file,
    )


def ram_placement(o: Option) -> DevicePlacement:
    return o.placement[-1]
