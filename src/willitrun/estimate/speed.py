"""Decode and prefill speed from a placement: bytes each device reads over its effective bandwidth.

Decode (one token, batch 1), per device holding layers:
    t_dev = weight_bytes / (eta[family] x BW) + kv_bytes / (kv_eta x BW)
            + dq_ops[family] x params / FP32 rate + layers x layer_s
    t_token = sum(t_dev) + token_s + (GPUs used - 1) x hop_s
`weight_bytes` is every dense tensor of the device's layers, the `experts_active/experts` share of expert
tensors (llama.cpp multiplies only the routed experts' slices) and the output layer where it lives;
`kv_bytes` the cache read at the current depth (less efficient without flash attention). The `dq_ops` term is
the shader work of dequantising and multiplying each weight: it barely shows on a GeForce card but dominates on
parts with much bandwidth and few FP32 units (the A100). Layers left in system RAM are read by the CPU at its
RAM bandwidth.

Prefill (a prompt of P tokens): 2 x active params x P FLOPs plus attention (4 x heads x head_dim x P x depth
per layer) over the matrix rate llama.cpp uses on that backend (CUDA: INT8 tensor cores for quantized weights,
FP16-accumulate tensor cores for F16/BF16; elsewhere the FP16 rate) times `compute_eff[family]`, plus the
weights read once per 512-token micro-batch; CPU-resident weights are streamed to the GPU over PCIe once per
micro-batch (llama.cpp does this for batches of 32 tokens or more).

The work is split in two: `*_terms` turns a placement into physical quantities (bytes, FLOPs, layers per
device), and `*_time` applies the backend constants. benchmarks/accuracy.py fits the constants through the same
two functions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from willitrun.estimate import constants as K
from willitrun.estimate.kv import kv_read_bytes
from willitrun.estimate.placement import Plan
from willitrun.estimate.quants import quant_family
from willitrun.estimate.tensors import WeightsBreakdown
from willitrun.estimate.types import Device, Machine, ModelSpec, Record

Consts = Mapping[str, K.BackendConstants]


@dataclass(frozen=True, eq=False, repr=False)
class Part(Record):
    """One device's share of a token (decode) or of a prompt (prefill)."""

    backend: str
    read_bytes: float  # weights read
    flops: float  # decode: 2 x parameters touched; prefill: FLOPs of the prompt
    layers: int
    bandwidth_gbps: float
    tflops: float  # decode: FP32 shader rate; prefill: the matrix rate used
    known: bool = True
    link_bytes: float = 0.0  # prefill: weights streamed over PCIe from RAM
    kv_bytes: float = 0.0  # decode: cache bytes read at the current depth; prefill: KQ elements without FA


@dataclass(frozen=True, eq=False, repr=False)
class Terms(Record):
    family: str
    parts: tuple[Part, ...]
    lead_backend: str
    gpus_used: int
    tokens: int = 1
    flash_attention: bool = True


@dataclass(frozen=True, eq=False, repr=False)
class Speed(Record):
    tokens_per_s: float
    low: float
    high: float
    prefill_tokens_per_s: float
    limited_by: str


def cpu_threads(machine: Machine) -> int:
    """Threads llama.cpp computes with: --threads, else its default of one per physical core."""
    c = machine.cpu
    return max(1, c.use_threads or c.cores)


def cpu_tflops(machine: Machine) -> float:
    """Plain FP32 rate of the threads llama.cpp uses: FMA lanes x 2 x clock per physical core busy (a second
    hardware thread on a core adds no arithmetic units)."""
    c = machine.cpu
    flags = set(c.flags)
    if c.flops_per_cycle:
        per = float(c.flops_per_cycle)
    elif "avx512f" in flags or "avx512" in flags:
        per = K.CPU_FLOPS_PER_CYCLE["avx512"]
    elif "avx2" in flags or not flags:
        per = K.CPU_FLOPS_PER_CYCLE["avx2"]
    elif "neon" in flags or "asimd" in flags:
        per = K.CPU_FLOPS_PER_CYCLE["neon"]
    else:
        per = K.CPU_FLOPS_PER_CYCLE["none"]
    busy = min(cpu_threads(machine), c.cores)
    if busy > c.cores - c.efficiency_cores:
        # llama.cpp splits each operation evenly over its threads: once efficiency cores take part, every
        # thread waits for them
        per *= K.CPU_EFFICIENCY_CORE_SPEED
    return busy * per * (c.clock_ghz or K.CPU_CLOCK_GHZ) / 1000.0


def cpu_matrix_tflops(machine: Machine, family: str, *, batch: bool = True) -> float:
    """The rate the CPU multiplies at: quantized weights in int8 (dot-product and matrix extensions: AVX-VNNI,
    AVX512-VNNI, Arm dotprod/i8mm; for a batch, prompt processing, also the matrix tiles of AMX and SME), float
    weights at the FP32 rate."""
    base = cpu_tflops(machine)
    if family == "float":
        return base
    flags = set(machine.cpu.flags)
    tiles = K.CPU_MATRIX_TILES
    gain = max((g for f, g in K.CPU_INT8_GAIN.items() if f in flags and (batch or f not in tiles)), default=1.0)
    return base * gain


def cpu_bandwidth(machine: Machine) -> float:
    """GB/s the CPU threads can pull from RAM: the memory's bandwidth, or what the threads can draw, whichever
    is less (one core cannot fill many channels; a CPU cluster reaches only part of an Apple chip's memory)."""
    return min(machine.ram_bandwidth_gbps, cpu_threads(machine) * K.CPU_THREAD_GBPS)


def layer_read_bytes(m: ModelSpec, w: WeightsBreakdown, i: int, *, part: str = "all") -> float:
    """Weight bytes one token reads from layer i: all of it, or the routed experts' share for MoE layers.
    part: 'all', 'dense' (everything but the expert tensors) or 'experts' (the routed experts' share)."""
    lb = w.layers[i]
    if m.layer_is_moe(i) and m.experts:
        experts = lb.bytes_experts * m.experts_active / m.experts
        return {"dense": float(lb.bytes_dense), "experts": experts}.get(part, lb.bytes_dense + experts)
    return 0.0 if part == "experts" else float(lb.bytes_total)


def expert_flops(m: ModelSpec) -> float:
    """FLOPs one token spends in one layer's routed experts (gate, up and down of each active expert)."""
    return 2.0 * 3 * m.hidden * m.expert_intermediate * m.experts_active


def weights_family(w: WeightsBreakdown) -> str:
    """The speed family of the tensor type that holds most of the bytes, not of the file's label: a gpt-oss
    file labelled F16 or Q8_0 still keeps its experts, nearly all of its bytes, in MXFP4."""
    if not w.types:
        return quant_family(w.mix)
    return quant_family(max(w.types.items(), key=lambda kv: kv[1])[0])


def prefill_rate(d: Device, family: str) -> float:
    """The matrix rate llama.cpp's prompt processing uses on this device for this weight family."""
    if d.backend == "cuda":
        return d.rate("acc16") if family == "float" else d.rate("int8")
    return d.rate("fp16")


def decode_terms(
    m: ModelSpec,
    w: WeightsBreakdown,
    machine: Machine,
    p: Plan,
    *,
    kv_type: str,
    depth: int,
    active_params: float,
    flash_attention: bool = True,
) -> Terms:
    per_layer_flops = 2.0 * active_params / max(1, m.layers)
    out_flops = 2.0 * m.hidden * m.vocab
    cpu_exp = frozenset(p.cpu_expert_layers)
    exp_fl = expert_flops(m)
    parts: list[Part] = []
    for j, d in enumerate(machine.devices):
        idx = p.gpu_layers[j] if j < len(p.gpu_layers) else ()
        holds_out = p.output_device == j
        if not idx and not holds_out:
            continue
        rb = sum(layer_read_bytes(m, w, i, part="dense" if i in cpu_exp else "all") for i in idx)
        rb += w.output_bytes if holds_out else 0
        kb = sum(kv_read_bytes(m, i, depth, kv_type) for i in idx)
        fl = per_layer_flops * len(idx) - exp_fl * len(cpu_exp.intersection(idx)) + (out_flops if holds_out else 0.0)
        known = d.figures_known
        bw = d.bandwidth_gbps or 100.0
        parts.append(Part(d.backend, rb, fl, len(idx), bw, d.rate("fp32"), known, kv_bytes=kb))
    gpus_used = len(parts)
    if p.ram.layers or p.output_device is None or cpu_exp:
        cpu_idx = range(p.ram.layers)
        rb = sum(layer_read_bytes(m, w, i) for i in cpu_idx)
        rb += sum(layer_read_bytes(m, w, i, part="experts") for i in cpu_exp)
        kb = sum(kv_read_bytes(m, i, depth, kv_type) for i in cpu_idx)
        fl = per_layer_flops * p.ram.layers + exp_fl * len(cpu_exp)
        if p.output_device is None:
            rb += w.output_bytes
            fl += out_flops
        ram_bw = cpu_bandwidth(machine)
        # each layer whose experts run on the CPU costs a round trip of its activations: count it as a layer
        n_cpu = p.ram.layers + len(cpu_exp)
        rate = cpu_matrix_tflops(machine, weights_family(w), batch=False)  # int8 dot products, no tiles
        parts.append(Part("cpu", rb, fl, n_cpu, ram_bw, rate, kv_bytes=kb))
    lead = machine.devices[0].backend if gpus_used else "cpu"
    return Terms(weights_family(w), tuple(parts), lead, gpus_used, flash_attention=flash_attention)


def decode_time(t: Terms, consts: Consts | None = None) -> tuple[float, str]:
    """Seconds per generated token, and what limits it."""
    cs = consts or K.BACKENDS
    total = 0.0
    limited = "bandwidth"
    for part in t.parts:
        c = cs.get(part.backend) or cs["vulkan"]
        bw = part.bandwidth_gbps * 1e9
        t_mem = part.read_bytes / (c.eta[t.family] * bw)
        t_kv = part.kv_bytes / ((c.kv_eta if t.flash_attention else c.kv_eta_nofa) * bw)
        t_cmp = c.dq_ops[t.family] * part.flops / 2 / (part.tflops * 1e12)
        total += t_mem + t_kv + t_cmp + part.layers * c.layer_s
        if t_cmp > t_mem:
            limited = "compute"
    if t.gpus_used and any(p.backend == "cpu" and p.layers for p in t.parts):
        limited = "system RAM"
    lead = cs.get(t.lead_backend) or cs["vulkan"]
    total += lead.token_s + max(0, t.gpus_used - 1) * lead.hop_s
    return total, limited


def prefill_terms(
    m: ModelSpec,
    w: WeightsBreakdown,
    machine: Machine,
    p: Plan,
    *,
    prompt_tokens: int,
    depth: int,
    active_params: float,
    flash_attention: bool = True,
) -> Terms:
    family = weights_family(w)
    n_ub = max(1, -(-prompt_tokens // 512))
    attn = 4.0 * m.heads * m.head_dim * prompt_tokens * (depth + prompt_tokens / 2)
    # without flash attention each layer writes and re-reads an f32 KQ matrix of n_kv x n_ubatch x heads
    kq = 0.0 if flash_attention else float(m.heads * prompt_tokens * (depth + prompt_tokens / 2))
    per_layer = 2.0 * active_params * prompt_tokens / max(1, m.layers) + attn
    out = 2.0 * m.hidden * m.vocab * min(prompt_tokens, 512)
    parts: list[Part] = []
    last_gpu: Device | None = None
    for j, d in enumerate(machine.devices):
        idx = p.gpu_layers[j] if j < len(p.gpu_layers) else ()
        holds_out = p.output_device == j
        if not idx and not holds_out:
            continue
        last_gpu = d
        rb = n_ub * (sum(w.layers[i].bytes_total for i in idx) + (w.output_bytes if holds_out else 0))
        fl = per_layer * len(idx) + (out if holds_out else 0.0)
        known = d.figures_known
        rate = prefill_rate(d, family)
        parts.append(Part(d.backend, rb, fl, len(idx), d.bandwidth_gbps or 100.0, rate, known, kv_bytes=kq * len(idx)))
    gpus_used = len(parts)
    if p.ram.layers or p.output_device is None or p.cpu_expert_layers:
        fl = per_layer * p.ram.layers + (out if p.output_device is None else 0.0)
        ram_w = p.ram.weights_bytes - w.input_bytes  # CPU layers and CPU-resident experts alike
        if last_gpu is not None:
            # llama.cpp computes large batches of CPU-resident layers on the GPU, copying the weights across
            d = last_gpu
            link = 0.0 if d.unified else float(n_ub * ram_w)
            parts.append(Part(d.backend, 0.0, fl, 0, d.bandwidth_gbps or 100.0, prefill_rate(d, family), True, link))
        else:
            ram_bw = cpu_bandwidth(machine)
            rate = cpu_matrix_tflops(machine, family)
            parts.append(Part("cpu", float(n_ub * ram_w), fl, p.ram.layers, ram_bw, rate))
    lead = machine.devices[0].backend if gpus_used else "cpu"
    return Terms(family, tuple(parts), lead, gpus_used, prompt_tokens, flash_attention)


def prefill_time(t: Terms, consts: Consts | None = None) -> float:
    """Seconds to process the prompt."""
    cs = consts or K.BACKENDS
    total = 0.0
    for part in t.parts:
        c = cs.get(part.backend) or cs["vulkan"]
        t_cmp = part.flops / (c.compute_eff[t.family] * part.tflops * 1e12)
        t_mem = (part.read_bytes + part.kv_bytes * c.kq_bytes) / (part.bandwidth_gbps * 1e9)
        total += t_cmp + t_mem + part.link_bytes / (K.PCIE_GBPS * 1e9)
    return total


def speed_range(t: Terms, seconds: float, consts: Consts | None = None) -> tuple[float, float]:
    """Multipliers (low, high) on tokens/s: the widest range of the devices that take part."""
    cs = consts or K.BACKENDS
    lo, hi = 1.0, 1.0
    for part in t.parts:
        r = (cs.get(part.backend) or cs["vulkan"]).range if part.known else K.UNKNOWN_DEVICE_RANGE
        lo, hi = min(lo, r[0]), max(hi, r[1])
    return lo, hi


def estimate_speed(
    m: ModelSpec,
    w: WeightsBreakdown,
    machine: Machine,
    p: Plan,
    *,
    kv_type: str,
    active_params: float,
    depth: int = 0,
    prompt_tokens: int = 512,
    flash_attention: bool = True,
) -> Speed:
    fa = flash_attention
    dt = decode_terms(m, w, machine, p, kv_type=kv_type, depth=depth, active_params=active_params, flash_attention=fa)
    sec, limited = decode_time(dt)
    lo, hi = speed_range(dt, sec)
    pt = prefill_terms(
        m, w, machine, p, prompt_tokens=prompt_tokens, depth=depth, active_params=active_params, flash_attention=fa
    )
    tps = 1.0 / sec
    return Speed(tps, tps * lo, tps * hi, prompt_tokens / prefill_time(pt), limited)
