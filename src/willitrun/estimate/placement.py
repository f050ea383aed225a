"""Where each layer goes: GPUs (split in proportion to free memory, as llama.cpp does), then system RAM.

llama.cpp (estimation.md section 3): `token_embd` always stays on the CPU; `-ngl N` offloads the last N
repeating layers, and the output layer counts as one more, so a full offload is `-ngl layers+1`. Offloaded
layers are split across GPUs in proportion to each device's free memory, the last GPU taking the last layers
and the output layer.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from willitrun.estimate.kv import kv_per_layer
from willitrun.estimate.runtime import RuntimeProfile, compute_buffer_bytes, output_buffer_bytes
from willitrun.estimate.tensors import WeightsBreakdown
from willitrun.estimate.types import Device, DevicePlacement, Machine, ModelSpec, Record


@dataclass(frozen=True, eq=False, repr=False)
class Plan(Record):
    """One placement: the layers of each GPU (by index), and what stays in RAM."""

    ngl: int
    gpu_layers: tuple[tuple[int, ...], ...]  # per device, the layer indices it holds
    output_device: int | None  # index of the GPU holding the output layer, None = CPU
    devices: tuple[DevicePlacement, ...]  # GPUs, then RAM last
    fits_gpus: bool
    fits_ram: bool
    cpu_moe: int = 0  # --n-cpu-moe: the experts of layers below this index stay in system RAM
    cpu_expert_layers: tuple[int, ...] = ()  # GPU layers whose expert tensors stay in RAM

    @property
    def ram(self) -> DevicePlacement:
        return self.devices[-1]


@dataclass(frozen=True, eq=False, repr=False)
class Placing(Record):
    """What every placement of one estimate shares: the model's weights on a machine, its cache at a context
    for `parallel` sequences, under a runtime's buffers. plan() then varies only -ngl and --n-cpu-moe."""

    model: ModelSpec
    weights: WeightsBreakdown
    machine: Machine
    ctx: int
    kv_type: str
    parallel: int
    profile: RuntimeProfile


def _split(sizes: list[int], caps: list[int]) -> list[int]:
    """How many of the consecutive layers (of the given sizes) each device takes, so that each device's share
    of the bytes follows its share of the capacity. With equal sizes this is llama.cpp's default split: layer
    counts in proportion to free memory."""
    n_off = len(sizes)
    total = sum(max(0, c) for c in caps)
    if total <= 0:
        counts = [0] * len(caps)
        counts[-1] = n_off
        return counts
    whole = sum(sizes) or 1
    bounds: list[int] = []
    acc = 0.0
    for c in caps:
        acc += max(0, c) / total
        bounds.append(round(acc * whole))
    counts = [0] * len(caps)
    run = 0
    j = 0
    for s in sizes:
        mid = run + s / 2  # a layer goes to the device whose share its middle falls in
        while j < len(caps) - 1 and mid > bounds[j]:
            j += 1
        counts[j] += 1
        run += s
    return counts


@dataclass(frozen=True, eq=False, repr=False)
class _Split(Record):
    """What one plan() call works with: which layers are offloaded, and which of their experts stay in RAM."""

    first_off: int  # the first offloaded layer; layers below it stay on the CPU
    out_on_gpu: bool
    cpu_exp: tuple[int, ...]
    kv: tuple[int, ...]  # KV bytes per layer
    ctx_cells: int
    pipeline: bool

    def gpu_bytes(self, w: WeightsBreakdown) -> list[int]:
        """Bytes of each layer that live on its GPU: all of it, less the experts kept in RAM (a plan sums runs of
        these per GPU)."""
        out = [lb.bytes_total for lb in w.layers]
        for i in self.cpu_exp:
            out[i] -= w.layers[i].bytes_experts
        return out


def _gpu_placements(q: Placing, sp: _Split) -> tuple[list[DevicePlacement], list[tuple[int, ...]], bool]:
    """Each GPU's share: layers split in proportion to what it can hold after its reserve, compute buffer and
    margin; the last GPU takes the output layer."""
    m, w, machine, prof = q.model, q.weights, q.machine, q.profile
    gpus = machine.devices
    margin = machine.gpu_margin_bytes
    reserves = [prof.device_reserve_bytes.get(d.backend, 400 * 1024**2) for d in gpus]
    computes = [
        compute_buffer_bytes(
            m,
            sp.ctx_cells,
            prof,
            has_layers=True,
            has_output=(j == len(gpus) - 1),
            pipeline=sp.pipeline,
            parallel=q.parallel,
        )
        for j in range(len(gpus))
    ]
    caps = [d.free_bytes - r - c - margin for d, r, c in zip(gpus, reserves, computes, strict=True)]
    offloaded = range(sp.first_off, m.layers)
    gpu_bytes = sp.gpu_bytes(w)
    sizes = [gpu_bytes[i] + sp.kv[i] for i in offloaded] if sp.cpu_exp else [1] * len(offloaded)
    counts = _split(sizes, caps)
    placements: list[DevicePlacement] = []
    layer_sets: list[tuple[int, ...]] = []
    fits = True
    start = sp.first_off
    for j, d in enumerate(gpus):
        idx = tuple(range(start, start + counts[j]))
        start += counts[j]
        holds_out = sp.out_on_gpu and j == len(gpus) - 1
        used = bool(idx) or holds_out
        wb = sum(gpu_bytes[start - counts[j] : start]) + (w.output_bytes if holds_out else 0)
        cb = 0
        if used:
            cb = compute_buffer_bytes(
                m,
                sp.ctx_cells,
                prof,
                has_layers=bool(idx),
                has_output=holds_out,
                pipeline=sp.pipeline,
                parallel=q.parallel,
            )
        kb = sum(sp.kv[start - counts[j] : start])
        rb = reserves[j] if used else 0
        p = DevicePlacement(d.name, len(idx), wb, kb, cb, rb, d.free_bytes, margin if used else 0)
        fits = fits and p.total_bytes + p.margin_bytes <= d.free_bytes
        placements.append(p)
        layer_sets.append(idx)
    return placements, layer_sets, fits


def _ram_placement(q: Placing, sp: _Split, on_gpus: int) -> DevicePlacement:
    """System RAM: the input tables, the layers left on the CPU, the experts kept there, and the host buffers.
    `on_gpus`: what unified-memory GPUs already took from the same RAM."""
    m, w, prof = q.model, q.weights, q.profile
    cpu_idx = range(sp.first_off)
    ram_w = w.input_bytes + sum(w.layers[i].bytes_total for i in cpu_idx)
    ram_w += sum(w.layers[i].bytes_experts for i in sp.cpu_exp)
    if not sp.out_on_gpu:
        ram_w += w.output_bytes - (w.token_embd_bytes if w.output_is_tied else 0)
    ram_kv = sum(sp.kv[i] for i in cpu_idx)
    has_layers = sp.first_off > 0 or bool(sp.cpu_exp)
    ram_cb = compute_buffer_bytes(
        m, sp.ctx_cells, prof, has_layers=has_layers, has_output=not sp.out_on_gpu, pipeline=False, parallel=q.parallel
    )
    ram_ob = output_buffer_bytes(m, q.parallel) + prof.host_footprint_bytes
    ram_cap = q.machine.ram_free_bytes - on_gpus
    return DevicePlacement("RAM", sp.first_off, ram_w, ram_kv, ram_cb, ram_ob, max(0, ram_cap))


@lru_cache(maxsize=1024)
def _moe_layers(m: ModelSpec) -> tuple[bool, ...]:
    """Which layers hold experts, asked for every --n-cpu-moe tried."""
    return tuple(m.layer_is_moe(i) for i in range(m.layers))


def plan(q: Placing, ngl: int, cpu_moe: int = 0) -> Plan:
    """Place `ngl` layers (counting the output layer as the last) on the machine's GPUs; the expert tensors of
    MoE layers below `cpu_moe` stay in system RAM (llama.cpp's --n-cpu-moe). Each GPU must keep the machine's
    margin free."""
    m, machine = q.model, q.machine
    gpus = machine.devices
    n = m.layers
    ngl = max(0, min(ngl, n + 1)) if gpus else 0
    first_off = n - min(ngl, n)
    out_on_gpu = ngl == n + 1
    cpu_exp = tuple(i for i in range(first_off, min(n, cpu_moe)) if _moe_layers(m)[i]) if gpus else ()
    sp = _Split(
        first_off=first_off,
        out_on_gpu=out_on_gpu,
        cpu_exp=cpu_exp,
        kv=kv_per_layer(m, q.ctx, q.kv_type, q.parallel),
        ctx_cells=q.ctx * q.parallel,
        # llama.cpp pipelines micro-batches over several GPUs only with every layer offloaded and no overrides
        pipeline=len(gpus) > 1 and out_on_gpu and not cpu_exp,
    )
    placements, layer_sets, fits = _gpu_placements(q, sp) if gpus else ([], [], True)
    on_gpus = sum(p.total_bytes for p, d in zip(placements, gpus, strict=True) if d.unified)
    ram = _ram_placement(q, sp, on_gpus)
    return Plan(
        ngl=ngl,
        gpu_layers=tuple(layer_sets),
        output_device=(len(gpus) - 1) if out_on_gpu and gpus else None,
        devices=(*placements, ram),
        fits_gpus=fits,
        fits_ram=ram.total_bytes <= machine.ram_free_bytes - on_gpus,
        cpu_moe=cpu_moe if cpu_exp else 0,
        cpu_expert_layers=cpu_exp,
    )


def best_plan(q: Placing) -> Plan:
    """The plan with the most layers on GPU that fits every GPU (ngl = 0 when none fits)."""
    if not q.machine.devices:
        return plan(q, 0)
    full = plan(q, q.model.layers + 1)
    return full if full.fits_gpus else _most_layers(q, 0)


def _most_layers(q: Placing, cpu_moe: int) -> Plan:
    lo, hi = 0, q.model.layers  # fits at lo (0 always "fits" the GPUs), find the largest fitting ngl
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if plan(q, mid, cpu_moe).fits_gpus:
            lo = mid
        else:
            hi = mid - 1
    return plan(q, lo, cpu_moe)


def expert_plan(q: Placing) -> Plan | None:
    """llama.cpp's expert offload for a MoE model that does not fit the GPUs: every layer and the output on the
    GPUs, with the expert tensors of the first N layers in system RAM, N as small as fits (--n-cpu-moe N).
    If even all experts in RAM leave too little room, whole layers go to the CPU as well, as llama.cpp's fit
    does after moving the experts. None for dense models or machines without a GPU."""
    m = q.model
    if not m.is_moe or not q.machine.devices:
        return None
    full = m.layers + 1
    lo, hi = 1, m.layers
    if not plan(q, full, hi).fits_gpus:
        p = _most_layers(q, hi)
        return p if p.ngl > 0 else None
    while lo < hi:  # the smallest N that fits
        mid = (lo + hi) // 2
        if plan(q, full, mid).fits_gpus:
            hi = mid
        else:
            lo = mid + 1
    return plan(q, full, lo)


def device_of(machine: Machine, name: str) -> Device | None:
    for d in machine.devices:
        if d.name == name:
            return d
    return None
