"""Decode and prefill speed from a placement: bytes each device reads over its effective bandwidth.

Decode (one token, batch 1), per device holding layers:
    t_dev = max(bytes_read / (eta x bandwidth), 2 x active_params / (compute_eff x FLOPS)) + layers x layer_s
    t_token = sum(t_dev) + token_s + (GPUs used - 1) x hop_s
`bytes_read` is every dense tensor of the device's layers, the `experts_active/experts` share of expert tensors
(llama.cpp multiplies only the routed experts' slices), the output layer where it lives, and the KV cache read
at the current depth. Layers left in system RAM are read by the CPU at its RAM bandwidth.

Prefill (a prompt of P tokens): 2 x active params x P FLOPs plus attention (4 x heads x head_dim x P x depth
per layer), over effective compute, plus the weights read once per 512-token micro-batch; CPU-resident weights
are streamed to the GPU over PCIe once per micro-batch (llama.cpp does this for batches of 32 tokens or more).

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
from willitrun.estimate.types import Machine, ModelSpec

Consts = Mapping[str, K.BackendConstants]


@dataclass(frozen=True)
class Part:
    """One device's share of a token (decode) or of a prompt (prefill)."""

    backend: str
    read_bytes: float
    flops: float
    layers: int
    bandwidth_gbps: float
    tflops: float
    known: bool = True
    link_bytes: float = 0.0  # prefill: weights streamed over PCIe from RAM


@dataclass(frozen=True)
class Terms:
    family: str
    parts: tuple[Part, ...]
    lead_backend: str
    gpus_used: int
    tokens: int = 1


@dataclass(frozen=True)
class Speed:
    tokens_per_s: float
    low: float
    high: float
    prefill_tokens_per_s: float
    limited_by: str


def cpu_tflops(machine: Machine) -> float:
    flags = set(machine.cpu.flags)
    if "avx512f" in flags or "avx512" in flags:
        per = K.CPU_FLOPS_PER_CYCLE["avx512"]
    elif "avx2" in flags or not flags:
        per = K.CPU_FLOPS_PER_CYCLE["avx2"]
    elif "neon" in flags or "asimd" in flags:
        per = K.CPU_FLOPS_PER_CYCLE["neon"]
    else:
        per = K.CPU_FLOPS_PER_CYCLE["none"]
    return machine.cpu.cores * per * K.CPU_CLOCK_GHZ / 1000.0


def layer_read_bytes(m: ModelSpec, w: WeightsBreakdown, i: int) -> float:
    """Weight bytes one token reads from layer i: all of it, or the routed experts' share for MoE layers."""
    lb = w.layers[i]
    if m.layer_is_moe(i) and m.experts:
        return lb.bytes_dense + lb.bytes_experts * m.experts_active / m.experts
    return float(lb.bytes_total)


def decode_terms(
    m: ModelSpec, w: WeightsBreakdown, machine: Machine, p: Plan, *, kv_type: str, depth: int, active_params: float
) -> Terms:
    per_layer_flops = 2.0 * active_params / max(1, m.layers)
    out_flops = 2.0 * m.hidden * m.vocab
    parts: list[Part] = []
    for j, d in enumerate(machine.devices):
        idx = p.gpu_layers[j] if j < len(p.gpu_layers) else ()
        holds_out = p.output_device == j
        if not idx and not holds_out:
            continue
        rb = sum(layer_read_bytes(m, w, i) + kv_read_bytes(m, i, depth, kv_type) for i in idx)
        rb += w.output_bytes if holds_out else 0
        fl = per_layer_flops * len(idx) + (out_flops if holds_out else 0.0)
        known = d.bandwidth_gbps is not None and d.fp16_tflops is not None
        parts.append(Part(d.backend, rb, fl, len(idx), d.bandwidth_gbps or 100.0, d.fp16_tflops or 10.0, known))
    gpus_used = len(parts)
    if p.ram.layers or p.output_device is None:
        cpu_idx = range(p.ram.layers)
        rb = sum(layer_read_bytes(m, w, i) + kv_read_bytes(m, i, depth, kv_type) for i in cpu_idx)
        fl = per_layer_flops * p.ram.layers
        if p.output_device is None:
            rb += w.output_bytes
            fl += out_flops
        parts.append(Part("cpu", rb, fl, p.ram.layers, machine.ram_bandwidth_gbps, cpu_tflops(machine)))
    lead = machine.devices[0].backend if gpus_used else "cpu"
    return Terms(quant_family(w.mix), tuple(parts), lead, gpus_used)


def decode_time(t: Terms, consts: Consts | None = None) -> tuple[float, str]:
    """Seconds per generated token, and what limits it."""
    cs = consts or K.BACKENDS
    total = 0.0
    limited = "bandwidth"
    for part in t.parts:
        c = cs.get(part.backend) or cs["vulkan"]
        t_mem = part.read_bytes / (c.eta[t.family] * part.bandwidth_gbps * 1e9)
        t_cmp = part.flops / (c.compute_eff[t.family] * part.tflops * 1e12)
        total += max(t_mem, t_cmp) + part.layers * c.layer_s
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
) -> Terms:
    n_ub = max(1, -(-prompt_tokens // 512))
    attn = 4.0 * m.heads * m.head_dim * prompt_tokens * (depth + prompt_tokens / 2)
    per_layer = 2.0 * active_params * prompt_tokens / max(1, m.layers) + attn
    out = 2.0 * m.hidden * m.vocab * min(prompt_tokens, 512)
    parts: list[Part] = []
    last_gpu: int | None = None
    for j, d in enumerate(machine.devices):
        idx = p.gpu_layers[j] if j < len(p.gpu_layers) else ()
        holds_out = p.output_device == j
        if not idx and not holds_out:
            continue
        last_gpu = j
        rb = n_ub * (sum(w.layers[i].bytes_total for i in idx) + (w.output_bytes if holds_out else 0))
        fl = per_layer * len(idx) + (out if holds_out else 0.0)
        known = d.bandwidth_gbps is not None and d.fp16_tflops is not None
        parts.append(Part(d.backend, rb, fl, len(idx), d.bandwidth_gbps or 100.0, d.fp16_tflops or 10.0, known))
    gpus_used = len(parts)
    if p.ram.layers or p.output_device is None:
        fl = per_layer * p.ram.layers + (out if p.output_device is None else 0.0)
        ram_w = p.ram.weights_bytes - w.token_embd_bytes
        if last_gpu is not None:
            # llama.cpp computes large batches of CPU-resident layers on the GPU, copying the weights across
            d = machine.devices[last_gpu]
            link = 0.0 if d.unified else float(n_ub * ram_w)
            parts.append(Part(d.backend, 0.0, fl, 0, d.bandwidth_gbps or 100.0, d.fp16_tflops or 10.0, True, link))
        else:
            parts.append(
                Part("cpu", float(n_ub * ram_w), fl, p.ram.layers, machine.ram_bandwidth_gbps, cpu_tflops(machine))
            )
    lead = machine.devices[0].backend if gpus_used else "cpu"
    return Terms(quant_family(w.mix), tuple(parts), lead, gpus_used, prompt_tokens)


def prefill_time(t: Terms, consts: Consts | None = None) -> float:
    """Seconds to process the prompt."""
    cs = consts or K.BACKENDS
    total = 0.0
    for part in t.parts:
        c = cs.get(part.backend) or cs["vulkan"]
        t_cmp = part.flops / (c.compute_eff[t.family] * part.tflops * 1e12)
        t_mem = part.read_bytes / (part.bandwidth_gbps * 1e9)
        total += t_cmp + t_mem + part.link_bytes / (K.PCIE_GBPS * 1e9)
    return total


def speed_range(t: Terms, seconds: float, consts: Consts | None = None) -> tuple[float, float]:
    """Multipliers (low, high) on tokens/s: the widest range of the devices that take a real share of time."""
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
) -> Speed:
    dt = decode_terms(m, w, machine, p, kv_type=kv_type, depth=depth, active_params=active_params)
    sec, limited = decode_time(dt)
    lo, hi = speed_range(dt, sec)
    pt = prefill_terms(m, w, machine, p, prompt_tokens=prompt_tokens, depth=depth, active_params=active_params)
    tps = 1.0 / sec
    return Speed(tps, tps * lo, tps * hi, prompt_tokens / prefill_time(pt), limited)
