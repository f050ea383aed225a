"""Where each layer goes: GPUs (split in proportion to free memory, as llama.cpp does), then system RAM.

llama.cpp (estimation.md section 3): `token_embd` always stays on the CPU; `-ngl N` offloads the last N
repeating layers, and the output layer counts as one more, so a full offload is `-ngl layers+1`. Offloaded
layers are split across GPUs in proportion to each device's free memory, the last GPU taking the last layers
and the output layer.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from willitrun.estimate.kv import layer_kv_bytes
from willitrun.estimate.runtime import RuntimeProfile, compute_buffer_bytes, output_buffer_bytes
from willitrun.estimate.tensors import WeightsBreakdown
from willitrun.estimate.types import Device, DevicePlacement, Machine, ModelSpec


@dataclass(frozen=True)
class Plan:
    """One placement: the layers of each GPU (by index), and what stays in RAM."""

    ngl: int
    gpu_layers: tuple[tuple[int, ...], ...]  # per device, the layer indices it holds
    output_device: int | None  # index of the GPU holding the output layer, None = CPU
    devices: tuple[DevicePlacement, ...]  # GPUs, then RAM last
    fits_gpus: bool
    fits_ram: bool

    @property
    def ram(self) -> DevicePlacement:
        return self.devices[-1]


def _split(n_off: int, caps: list[int]) -> list[int]:
    """How many of n_off consecutive layers each device takes, in proportion to its capacity."""
    total = sum(max(0, c) for c in caps)
    if total <= 0:
        counts = [0] * len(caps)
        counts[-1] = n_off
        return counts
    counts = []
    acc = 0.0
    done = 0
    for c in caps:
        acc += max(0, c) / total
        upto = round(acc * n_off)
        counts.append(max(0, upto - done))
        done = max(done, upto)
    counts[-1] += n_off - sum(counts)
    return counts


@lru_cache(maxsize=256)
def _kv_per_layer(m: ModelSpec, ctx: int, kv_type: str, parallel: int) -> tuple[int, ...]:
    return tuple(layer_kv_bytes(m, i, ctx, kv_type, parallel) for i in range(m.layers))


def plan(
    m: ModelSpec,
    w: WeightsBreakdown,
    machine: Machine,
    ctx: int,
    kv_type: str,
    parallel: int,
    prof: RuntimeProfile,
    ngl: int,
) -> Plan:
    """Place `ngl` layers (counting the output layer as the last) on the machine's GPUs."""
    gpus = machine.devices
    n = m.layers
    ngl = max(0, min(ngl, n + 1)) if gpus else 0
    n_off = min(ngl, n)
    first_off = n - n_off
    out_on_gpu = ngl == n + 1
    kv = _kv_per_layer(m, ctx, kv_type, parallel)
    ctx_cells = ctx * parallel
    pipeline = len(gpus) > 1 and out_on_gpu

    reserves = [prof.device_reserve_bytes.get(d.backend, 400 * 1024**2) for d in gpus]
    computes = [
        compute_buffer_bytes(m, ctx_cells, prof, has_layers=True, has_output=(j == len(gpus) - 1), pipeline=pipeline)
        for j in range(len(gpus))
    ]
    caps = [d.free_bytes - r - c for d, r, c in zip(gpus, reserves, computes, strict=True)]
    counts = _split(n_off, caps) if gpus else []

    placements: list[DevicePlacement] = []
    layer_sets: list[tuple[int, ...]] = []
    fits = True
    start = first_off
    used_on_gpus = 0
    for j, d in enumerate(gpus):
        idx = tuple(range(start, start + counts[j]))
        start += counts[j]
        holds_out = out_on_gpu and j == len(gpus) - 1
        wb = sum(w.layers[i].bytes_total for i in idx) + (w.output_bytes if holds_out else 0)
        kb = sum(kv[i] for i in idx)
        used = bool(idx) or holds_out
        cb = (
            compute_buffer_bytes(m, ctx_cells, prof, has_layers=bool(idx), has_output=holds_out, pipeline=pipeline)
            if used
            else 0
        )
        rb = reserves[j] if used else 0
        p = DevicePlacement(d.name, len(idx), wb, kb, cb, rb, d.free_bytes)
        if p.total_bytes > d.free_bytes:
            fits = False
        used_on_gpus += p.total_bytes if d.unified else 0
        placements.append(p)
        layer_sets.append(idx)

    cpu_idx = range(first_off)
    ram_w = w.input_bytes + sum(w.layers[i].bytes_total for i in cpu_idx)
    if not out_on_gpu:
        ram_w += w.output_bytes - (w.token_embd_bytes if w.output_is_tied else 0)
    ram_kv = sum(kv[i] for i in cpu_idx)
    ram_cb = compute_buffer_bytes(
        m, ctx_cells, prof, has_layers=first_off > 0, has_output=not out_on_gpu, pipeline=False
    )
    ram_ob = output_buffer_bytes(m, parallel) + prof.host_footprint_bytes
    ram_cap = machine.ram_free_bytes - used_on_gpus
    ram = DevicePlacement("RAM", first_off, ram_w, ram_kv, ram_cb, ram_ob, max(0, ram_cap))
    fits_ram = ram.total_bytes <= ram_cap
    placements.append(ram)
    return Plan(
        ngl=ngl,
        gpu_layers=tuple(layer_sets),
        output_device=(len(gpus) - 1) if out_on_gpu and gpus else None,
        devices=tuple(placements),
        fits_gpus=fits,
        fits_ram=fits_ram,
    )


def best_plan(
    m: ModelSpec,
    w: WeightsBreakdown,
    machine: Machine,
    ctx: int,
    kv_type: str,
    parallel: int,
    prof: RuntimeProfile,
) -> Plan:
    """The plan with the most layers on GPU that fits every GPU (ngl = 0 when none fits)."""
    if not machine.devices:
        return plan(m, w, machine, ctx, kv_type, parallel, prof, 0)
    full = plan(m, w, machine, ctx, kv_type, parallel, prof, m.layers + 1)
    if full.fits_gpus:
        return full
    lo, hi = 0, m.layers  # fits at lo (0 always "fits" the GPUs), find the largest fitting ngl
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if plan(m, w, machine, ctx, kv_type, parallel, prof, mid).fits_gpus:
            lo = mid
        else:
            hi = mid - 1
    return plan(m, w, machine, ctx, kv_type, parallel, prof, lo)


def device_of(machine: Machine, name: str) -> Device | None:
    for d in machine.devices:
        if d.name == name:
            return d
    return None
