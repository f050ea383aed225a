"""vLLM and MLX: runtimes that place a model differently from llama.cpp.

vLLM (estimation.md section 5): each GPU may use `gpu_memory_utilization` (default 0.9) of its memory; weights
and the profile run's activation peak come first, CUDA graphs and non-torch allocations (NCCL, cuBLAS) after,
and what remains becomes KV cache blocks. With several GPUs the model is split by tensor parallelism (every
layer on every GPU, each holding 1/N). vLLM refuses to start when the cache cannot hold one sequence of
`max_model_len`; it has no partial offload by default and no Apple backend.

MLX (mlx-lm): Apple Silicon only; the whole model and its fp16 cache must fit in the GPU working set
(`recommendedMaxWorkingSetSize`), beyond which macOS swaps.
"""

from __future__ import annotations

from willitrun.estimate.formats import format_breakdown
from willitrun.estimate.kv import kv_bytes_per_token, kv_cache_bytes, kv_read_bytes
from willitrun.estimate.quants import quant_family
from willitrun.estimate.speed import Part, Terms, decode_time, layer_read_bytes, prefill_time, speed_range
from willitrun.estimate.tensors import WeightsBreakdown, active_parameter_count, parameter_count
from willitrun.estimate.types import GIB, MIB, Device, DevicePlacement, Machine, ModelSpec, Option

VLLM_GPU_MEMORY_UTILIZATION = 0.9
VLLM_MAX_BATCHED_TOKENS = 2048  # the profile run's batch (vLLM's default for online serving)
VLLM_MAX_SEQS = 256
VLLM_CUDA_GRAPHS_BYTES = 512 * MIB
VLLM_NON_TORCH_BYTES = 256 * MIB
VLLM_ALLREDUCE_S = 15e-6  # per all-reduce; two per layer under tensor parallelism
MLX_OVERHEAD_BYTES = 256 * MIB


def _no(m: ModelSpec, fmt: str, ctx: int, why: str, weights: int) -> Option:
    return Option(
        quant=fmt,
        context=ctx,
        weights_bytes=weights,
        kv_cache_bytes=0,
        compute_bytes=0,
        overhead_bytes=0,
        verdict="no",
        gpu_layers=0,
        layers=m.layers + 1,
        placement=(),
        tokens_per_s=None,
        tokens_per_s_low=None,
        tokens_per_s_high=None,
        prefill_tokens_per_s=None,
        max_context=None,
        bits_per_weight=weights * 8 / max(1, parameter_count(m)),
        notes=(why,),
    )


def tp_size(m: ModelSpec, n: int) -> int:
    """The largest power-of-two tensor-parallel size up to n that divides the heads and KV heads (a cache every
    rank keeps whole, MLA's latent one or DeepSeek V4's single shared head, sets no limit)."""
    tp = 1
    while tp * 2 <= n and m.heads % (tp * 2) == 0 and (m.kv_heads % (tp * 2) == 0 or m.is_mla or m.compressed_kv):
        tp *= 2
    return tp


def vllm_activation_bytes(m: ModelSpec) -> int:
    t = VLLM_MAX_BATCHED_TOKENS
    ffn = m.expert_intermediate * m.experts_active if m.is_moe else m.intermediate
    return t * (m.hidden * 8 + ffn * 4) + VLLM_MAX_SEQS * m.vocab * 4


def vllm_terms(
    m: ModelSpec, w: WeightsBreakdown, d0: Device, fmt: str, kv_t: str, tp: int, depth: int = 0
) -> tuple[Terms, Terms]:
    """Decode (with `depth` tokens cached) and prefill terms of one tensor-parallel rank: each reads 1/tp of the
    weights and of the cache, except an MLA latent cache, which every rank keeps whole."""
    active = float(active_parameter_count(m))
    bw = d0.bandwidth_gbps or 100.0
    read = sum(layer_read_bytes(m, w, i) for i in range(m.layers)) + w.output_bytes
    kv_read = sum(kv_read_bytes(m, i, depth, kv_t) for i in range(m.layers))
    part = Part(
        backend=d0.backend,
        read_bytes=read / tp,
        flops=2 * active / tp,
        layers=m.layers,
        bandwidth_gbps=bw,
        tflops=d0.rate("fp32"),
        known=d0.figures_known,
        kv_bytes=kv_read / (1 if m.is_mla else tp),
    )
    dec = Terms(quant_family(fmt), (part,), d0.backend, 1)
    # vLLM's prefill GEMMs run on the tensor cores at 16-bit rate whatever the weight format
    pre_part = Part(
        backend=d0.backend,
        read_bytes=w.total_bytes / tp,
        flops=2 * active * 512 / tp,
        layers=0,
        bandwidth_gbps=bw,
        tflops=d0.rate("acc16"),
    )
    pre = Terms("float", (pre_part,), d0.backend, 1, 512)
    return dec, pre


def vllm_option(m: ModelSpec, machine: Machine, fmt: str, ctx: int, auto: bool, kv_type: str, parallel: int) -> Option:
    w = format_breakdown(m, "vllm", fmt)
    gpus = [d for d in machine.devices if d.backend in ("cuda", "rocm")]
    if not gpus:
        why = "vLLM needs an NVIDIA or AMD GPU" + (" (no Metal backend)" if machine.devices else "")
        return _no(m, fmt, ctx, why, w.total_bytes)
    tp = tp_size(m, len(gpus))
    gpus = gpus[:tp]
    kv_t = "f16" if kv_type in ("f16", "bf16") else "q8_0"  # fp8 cache: one byte per element
    budget = min(int(d.memory_bytes * VLLM_GPU_MEMORY_UTILIZATION) for d in gpus)
    free_ok = all(d.free_bytes >= d.memory_bytes * VLLM_GPU_MEMORY_UTILIZATION for d in gpus)
    fixed = w.total_bytes // tp + vllm_activation_bytes(m) + VLLM_CUDA_GRAPHS_BYTES + VLLM_NON_TORCH_BYTES
    kv_room = budget - fixed
    per_tok = kv_bytes_per_token(m, kv_t) / tp * (17 / 32 if kv_t == "q8_0" else 1)
    notes: list[str] = []
    if kv_room <= 0:
        return _no(m, fmt, ctx, f"the weights need {w.total_bytes / tp / GIB:.1f} GiB per GPU", w.total_bytes)
    fit_tokens = int(kv_room / per_tok) if per_tok > 0 else 10**9
    max_ctx = min(m.context_max, fit_tokens // max(1, parallel))
    use_ctx = ctx
    if max_ctx < ctx:
        if not auto:
            return _no(
                m,
                fmt,
                ctx,
                f"vLLM stops at start-up: the cache holds {fit_tokens} tokens, fewer than --ctx {ctx}; "
                f"use --max-model-len {max_ctx}",
                w.total_bytes,
            )
        use_ctx = max_ctx
        notes.append(f"pass --max-model-len {max_ctx}: the default ({ctx}) does not fit the KV cache")
    if not free_ok:
        notes.append("other processes use GPU memory: vLLM needs 90% of each GPU free at start-up")
    kv_alloc = int(kv_room) * tp  # vLLM hands every remaining byte to the cache
    concurrency = fit_tokens / max(1, use_ctx)
    notes.append(f"cache holds {fit_tokens:,} tokens: {concurrency:.1f} sequences of {use_ctx}")
    if tp > 1:
        notes.append(f"tensor parallel over {tp} GPUs (--tensor-parallel-size {tp})")
    per_gpu = [
        DevicePlacement(
            name=d.name,
            layers=m.layers,
            weights_bytes=w.total_bytes // tp,
            kv_cache_bytes=kv_alloc // tp,
            compute_bytes=vllm_activation_bytes(m),
            overhead_bytes=VLLM_CUDA_GRAPHS_BYTES + VLLM_NON_TORCH_BYTES,
            capacity_bytes=int(d.memory_bytes * VLLM_GPU_MEMORY_UTILIZATION),
        )
        for d in gpus
    ]
    dec, pre = vllm_terms(m, w, gpus[0], fmt, kv_t, tp)
    layer_cost = m.layers * (2 * VLLM_ALLREDUCE_S if tp > 1 else 0.0)
    return _runs(
        m,
        fmt,
        w,
        context=use_ctx,
        kv=kv_alloc,
        compute=vllm_activation_bytes(m) * tp,
        overhead=(VLLM_CUDA_GRAPHS_BYTES + VLLM_NON_TORCH_BYTES) * tp,
        placement=tuple(per_gpu),
        decode=dec,
        extra_s=layer_cost,
        prefill=pre,
        max_ctx=max_ctx,
        notes=notes,
    )


def _runs(
    m: ModelSpec,
    fmt: str,
    w: WeightsBreakdown,
    *,
    context: int,
    kv: int,
    compute: int,
    overhead: int,
    placement: tuple[DevicePlacement, ...],
    decode: Terms,
    extra_s: float,
    prefill: Terms,
    max_ctx: int,
    notes: list[str],
    widen: float = 0.0,
) -> Option:
    """An option that runs entirely on the GPU(s), with its speed from the decode and prefill terms."""
    sec = decode_time(decode)[0] + extra_s
    lo, hi = speed_range(decode, sec)
    lo -= widen
    return Option(
        quant=fmt,
        context=context,
        weights_bytes=w.total_bytes,
        kv_cache_bytes=kv,
        compute_bytes=compute,
        overhead_bytes=overhead,
        verdict="gpu",
        gpu_layers=m.layers + 1,
        layers=m.layers + 1,
        placement=placement,
        tokens_per_s=1 / sec,
        tokens_per_s_low=lo / sec,
        tokens_per_s_high=hi / sec,
        prefill_tokens_per_s=prefill.tokens / prefill_time(prefill),
        max_context=max_ctx,
        bits_per_weight=w.total_bytes * 8 / max(1, parameter_count(m)),
        notes=tuple(notes),
    )


def mlx_option(m: ModelSpec, machine: Machine, fmt: str, ctx: int, auto: bool, kv_type: str, parallel: int) -> Option:
    w = format_breakdown(m, "mlx", fmt)
    macs = [d for d in machine.devices if d.backend == "metal"]
    if not macs:
        return _no(m, fmt, ctx, "MLX runs on Apple Silicon only", w.total_bytes)
    d = macs[0]
    room = d.free_bytes - w.total_bytes - MLX_OVERHEAD_BYTES
    per_tok = kv_bytes_per_token(m) * parallel
    if room <= 0:
        return _no(m, fmt, ctx, f"needs {w.total_bytes / GIB:.1f} GiB beyond the GPU working set", w.total_bytes)
    max_ctx = min(m.context_max, int(room / per_tok) if per_tok else m.context_max)
    notes: list[str] = []
    use_ctx = ctx
    if max_ctx < ctx:
        if not auto:
            return _no(m, fmt, ctx, f"KV cache at {ctx} tokens exceeds the working set; fits up to {max_ctx}", 0)
        use_ctx = max_ctx
        notes.append(f"context limited to {max_ctx} by the GPU working set")
    kv = kv_cache_bytes(m, use_ctx, "f16", parallel)
    active = float(active_parameter_count(m))
    read = sum(layer_read_bytes(m, w, i) for i in range(m.layers)) + w.output_bytes
    kv_read = sum(kv_read_bytes(m, i, 0) for i in range(m.layers))
    bw, tf = d.bandwidth_gbps or 100.0, d.rate("fp16")
    dec = Terms(
        quant_family(fmt),
        (
            Part(
                backend="metal",
                read_bytes=read,
                flops=2 * active,
                layers=m.layers,
                bandwidth_gbps=bw,
                tflops=d.rate("fp32"),
                kv_bytes=kv_read,
            ),
        ),
        "metal",
        1,
    )
    pre_part = Part(
        backend="metal", read_bytes=w.total_bytes, flops=2 * active * 512, layers=0, bandwidth_gbps=bw, tflops=tf
    )
    pre = Terms(quant_family(fmt), (pre_part,), "metal", 1, 512)
    notes.append("MLX speed uses llama.cpp's Metal constants; MLX is often somewhat faster")
    return _runs(
        m,
        fmt,
        w,
        context=use_ctx,
        kv=kv,
        compute=0,
        overhead=MLX_OVERHEAD_BYTES,
        placement=(
            DevicePlacement(
                name=d.name,
                layers=m.layers,
                weights_bytes=w.total_bytes,
                kv_cache_bytes=kv,
                compute_bytes=0,
                overhead_bytes=MLX_OVERHEAD_BYTES,
                capacity_bytes=d.free_bytes,
            ),
        ),
        decode=dec,
        extra_s=0.0,
        prefill=pre,
        max_ctx=max_ctx,
        notes=notes,
        widen=0.1,  # MLX itself is not calibrated
    )
