"""Detect this machine: one seam per vendor (NVIDIA, AMD, Intel, Apple), CPU and RAM; failures become notes.

Every detected GPU is matched to the catalog (by name, then PCI id and memory size) for its bandwidth and
compute; an unknown GPU still counts with the memory it reported, and says its speed is a guess. Free memory
is what estimates use by default (`--total` plans as if nothing else ran).
"""

from __future__ import annotations

import re
from dataclasses import replace

from willitrun.catalog.load import Catalog
from willitrun.catalog.types import GpuSpec
from willitrun.estimate.constants import DEFAULT_RAM_BANDWIDTH_GBPS
from willitrun.estimate.types import Cpu, Device, Machine
from willitrun.hardware.cpu import detect_cpu, detect_ram
from willitrun.hardware.probe import Probe, RawGpu

__all__ = ["detect", "detect_cpu_ram", "match_catalog", "to_device"]


def detect_cpu_ram(probe: Probe | None = None) -> tuple[Cpu, int, int, list[str]]:
    p = probe or Probe()
    cpu, notes = detect_cpu(p)
    ram, avail, more = detect_ram(p)
    return cpu, ram, avail, notes + more


def match_catalog(cat: Catalog | None, g: RawGpu) -> GpuSpec | None:
    """The catalog entry for a detected GPU: by name, else by PCI id narrowed by memory size."""
    if cat is None:
        return None
    from willitrun.catalog.resolve import resolve_gpu
    from willitrun.errors import WillItRunError

    vendor_gpus = [x for x in cat.gpus if x.vendor == g.vendor]
    gib = g.memory_bytes / 1024**3
    named: list[GpuSpec] = []
    for name in _name_alternatives(g.name):
        try:
            spec, _ = resolve_gpu(cat, name)
        except WillItRunError:
            continue
        if spec.vendor == g.vendor and not spec.from_database:
            named.append(spec)
    if len(named) == 1 or (named and not gib):
        return named[0]
    if named:
        return min(named, key=lambda x: abs(x.memory_gib - gib))
    if g.pci_id:
        same = [x for x in vendor_gpus if g.pci_id in x.pci_ids]
        if len(same) == 1:
            return same[0]
        if same and gib:
            return min(same, key=lambda x: abs(x.memory_gib - gib))
        if same:  # memory unknown (Intel sysfs): the largest variant sold under that id
            return max(same, key=lambda x: x.memory_gib)
    return None


def _name_alternatives(name: str) -> list[str]:
    """A name, or each product a shared-chip name lists: 'Navi 31 [Radeon RX 7900 XT/7900 XTX/7900 GRE]'
    gives 'Radeon RX 7900 XT', 'Radeon RX 7900 XTX', 'Radeon RX 7900 GRE'."""
    if not name:
        return []
    name = re.sub(r"\s+MIG\b.*$", "", name)  # a MIG instance is matched as its parent GPU
    m = re.search(r"\[([^\]]+)\]", name)
    inner = m.group(1) if m else name
    if "/" not in inner:
        return [name] if not m else [inner, name]
    parts = [p.strip() for p in inner.split("/") if p.strip()]
    first = parts[0]
    lead = re.match(r"^(.*?)(\d)", first)
    prefix = lead.group(1) if lead else ""
    return [first] + [p if not p[:1].isdigit() else prefix + p for p in parts[1:]]


def to_device(g: RawGpu, spec: GpuSpec | None) -> Device:
    """A detected GPU with the catalog's speed figures; memory stays what the hardware reported."""
    fp32, acc16, int8 = spec.rates() if spec else (None, None, None)
    how = g.how + (f"; speed from catalog {spec.id}" if spec else "; not in the catalog: speed is a guess")
    return Device(
        name=g.name,
        vendor=g.vendor,
        backend=g.backend,
        memory_bytes=g.memory_bytes,
        free_bytes=g.free_bytes,
        bandwidth_gbps=spec.bandwidth_gbps if spec else None,
        fp16_tflops=spec.fp16_tflops if spec else None,
        unified=g.unified or bool(spec and spec.unified_memory),
        catalog_id=spec.id if spec else None,
        how=how,
        fp32_tflops=fp32,
        int8_tops=int8,
        fp16_acc16_tflops=acc16,
        driver=g.driver,
        pci_id=g.pci_id,
        details=g.details,
    )


def _ram_bandwidth(p: Probe, devices: list[Device]) -> tuple[float, str]:
    """GB/s and how it is known: a unified-memory chip's own (catalog), else the remembered measurement, else a
    measurement made now and remembered, else the flat assumption (said so)."""
    from willitrun.hardware import membw

    for d in devices:
        if d.unified and d.bandwidth_gbps:
            return d.bandwidth_gbps, "the unified memory's bandwidth (catalog)"
    got = membw.load()
    if got is not None:
        return got[0], f"measured {got[1]} on this machine (a timed copy; 'willitrun detect --measure' redoes it)"
    gbps = p.measure_bandwidth()
    if gbps is not None and 0.1 <= gbps <= 10000:
        kept = "remembered for next time" if membw.save(gbps) else "not remembered: the cache is not writable"
        return gbps, f"measured now on this machine (a timed copy over every core; {kept})"
    return DEFAULT_RAM_BANDWIDTH_GBPS, "assumed (dual-channel DDR5); measure it with 'willitrun detect --measure'"


def _with_catalog_cpu(cpu: Cpu) -> Cpu:
    """The detected CPU with what data/cpus.yaml knows of it and the OS does not say (boost clock, core types,
    FMA width); cores, threads and SIMD flags stay as detected (a VM may show fewer)."""
    from willitrun.catalog.cpus import match_detected
    from willitrun.errors import CatalogError

    try:
        spec = match_detected(cpu.name)
    except CatalogError:
        return cpu
    if spec is None:
        return cpu
    same_chip = (cpu.cores, cpu.threads) == (spec.cores, spec.threads)
    return replace(
        cpu,
        catalog_id=spec.id,
        clock_ghz=cpu.clock_ghz or spec.clock_ghz,
        efficiency_cores=spec.efficiency_cores if same_chip else cpu.efficiency_cores,
        flops_per_cycle=spec.flops_per_cycle,
    )


def detect(cat: Catalog | None = None, *, gpus: bool = True, probe: Probe | None = None) -> Machine:
    """This machine; with gpus=False only CPU and RAM (when the GPUs are simulated anyway)."""
    p = probe or Probe()
    cpu, ram, avail, notes = detect_cpu_ram(p)
    cpu = _with_catalog_cpu(cpu)
    devices: list[Device] = []
    if gpus:
        from willitrun.hardware.apple import detect_apple
        from willitrun.hardware.environment import environment_notes
        from willitrun.hardware.nvidia import detect_nvidia
        from willitrun.hardware.sysfs import detect_drm, detect_windows

        raws: list[RawGpu] = []
        for found, more in (detect_nvidia(p), detect_apple(p), detect_windows(p)):
            raws += found
            notes += more
        dgpus, igpus, more = detect_drm(p)
        raws += dgpus
        notes += more
        for g in raws:
            ram = g.system_ram_bytes or ram  # a unified-memory chip knows the whole RAM it shares
            spec = match_catalog(cat, g)
            d = to_device(g, spec)
            if d.memory_bytes == 0 and ram:
                # NVML reports no memory for unified parts (GB10, Jetson): they use system RAM
                d = replace(d, memory_bytes=ram, free_bytes=avail, unified=True)
                notes.append(f"{d.name}: no dedicated memory reported: unified memory, using system RAM")
            if spec is None:
                notes.append(f"{d.name} is not in the catalog: its speed is a guess")
            devices.append(d)
        for g in igpus:
            spec = match_catalog(cat, g)
            if spec is not None and (spec.kind == "gpu" or (spec.unified_memory and spec.memory_gib >= 32)):
                # a discrete Arc card, or a Strix Halo class APU: a real accelerator
                mem = g.memory_bytes or int(spec.memory_gib * 1024**3)
                how = g.how if g.memory_bytes else g.how + ", memory from the catalog by PCI id"
                g = replace(g, name=g.name or spec.name, memory_bytes=mem, free_bytes=g.free_bytes or mem, how=how)
                devices.append(to_device(g, spec))
            else:
                label = g.name or ("Intel graphics" if g.vendor == "intel" else "AMD graphics")
                notes.append(f"integrated {label} found: not counted (it shares system RAM; the CPU estimate applies)")
        notes += environment_notes(p, bool(devices))
        if not devices:
            notes.append("no GPU found: estimating for the CPU")
    bw, bw_how = _ram_bandwidth(p, devices)
    return Machine(
        devices=tuple(devices),
        ram_bytes=ram,
        ram_free_bytes=avail,
        ram_bandwidth_gbps=bw,
        cpu=cpu,
        source="detected",
        notes=tuple(notes),
        ram_bandwidth_how=bw_how,
    )
