"""Detect this machine: CPU and RAM through psutil, NVIDIA GPUs through NVML; anything that fails is a note.

A first, deliberately small detector (the detection issue widens it to AMD, Intel and Apple): one seam per
vendor, each returning devices and notes, never raising.
"""

from __future__ import annotations

import os
import platform
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from willitrun.catalog.load import Catalog
from willitrun.estimate.constants import DEFAULT_RAM_BANDWIDTH_GBPS
from willitrun.estimate.types import Cpu, Device, Machine

SIMD_FLAGS = (
    "avx2",
    "avx512f",
    "avx512_bf16",
    "avx512_vnni",
    "avx512vnni",
    "amx_tile",
    "amx_bf16",
    "neon",
    "asimd",
    "sve",
    "fma",
    "f16c",
)


def _cpuinfo() -> tuple[str, tuple[str, ...]]:
    name = platform.processor() or platform.machine() or "unknown CPU"
    flags: tuple[str, ...] = ()
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh:
            text = fh.read(1_000_000)
    except OSError:
        return name, flags
    for line in text.splitlines():
        k, _, v = line.partition(":")
        k = k.strip().lower()
        if k == "model name" and v.strip():
            name = v.strip()
        elif k in ("flags", "features") and not flags:
            have = set(v.split())
            flags = tuple(f for f in SIMD_FLAGS if f in have)
    return name, flags


def detect_cpu_ram() -> tuple[Cpu, int, int, list[str]]:
    notes: list[str] = []
    name, flags = _cpuinfo()
    try:
        import psutil

        cores = psutil.cpu_count(logical=False) or os.cpu_count() or 1
        threads = psutil.cpu_count(logical=True) or cores
        vm = psutil.virtual_memory()
        ram, avail = int(vm.total), int(vm.available)
    except Exception as exc:  # psutil missing or failing: degrade to a note
        cores = threads = os.cpu_count() or 1
        ram = avail = 0
        notes.append(f"could not read RAM ({exc.__class__.__name__}); use --ram")
    return Cpu(name=name, cores=int(cores), threads=int(threads), flags=flags), ram, avail, notes


class Nvml:
    """Every NVML call goes through `call`: a failing field becomes None."""

    def __init__(self, module: Any) -> None:
        self.m = module

    def call(self, fn: str, *args: Any) -> Any:
        try:
            f: Callable[..., Any] = getattr(self.m, fn)
            return f(*args)
        except Exception:
            return None


def _text(v: Any) -> str | None:
    if v is None:
        return None
    return v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)


def detect_nvidia(cat: Catalog | None) -> tuple[list[Device], list[str]]:
    try:
        import pynvml
    except Exception:
        return [], ["no NVIDIA GPU: the NVML library (nvidia-ml-py) is not importable"]
    nv = Nvml(pynvml)
    try:
        pynvml.nvmlInit()
    except Exception as exc:
        return [], [f"no NVIDIA GPU: NVML could not start ({exc.__class__.__name__})"]
    devices: list[Device] = []
    notes: list[str] = []
    try:
        count = nv.call("nvmlDeviceGetCount") or 0
        driver = _text(nv.call("nvmlSystemGetDriverVersion"))
        for i in range(int(count)):
            h = nv.call("nvmlDeviceGetHandleByIndex", i)
            if h is None:
                continue
            name = _text(nv.call("nvmlDeviceGetName", h)) or f"NVIDIA GPU {i}"
            mem = nv.call("nvmlDeviceGetMemoryInfo", h)
            total = int(getattr(mem, "total", 0) or 0) if mem is not None else 0
            free = int(getattr(mem, "free", 0) or 0) if mem is not None else 0
            spec = _match(cat, name, total)
            fp32, acc16, int8 = spec.rates() if spec else (None, None, None)
            devices.append(
                Device(
                    name=name,
                    vendor="nvidia",
                    backend="cuda",
                    memory_bytes=total,
                    free_bytes=free,
                    bandwidth_gbps=spec.bandwidth_gbps if spec else None,
                    fp16_tflops=spec.fp16_tflops if spec else None,
                    unified=bool(spec.unified_memory) if spec else False,
                    catalog_id=spec.id if spec else None,
                    how=f"NVML (driver {driver})" if driver else "NVML",
                    fp32_tflops=fp32,
                    int8_tops=int8,
                    fp16_acc16_tflops=acc16,
                )
            )
            if spec is None:
                notes.append(f"{name} is not in the catalog: its speed is a guess")
            if total == 0:
                notes.append(f"{name}: NVML reports no memory size (unified memory?); using system RAM")
    finally:
        nv.call("nvmlShutdown")
    return devices, notes


def _match(cat: Catalog | None, name: str, total_bytes: int) -> Any:
    if cat is None:
        return None
    from willitrun.catalog.resolve import resolve_gpu
    from willitrun.errors import WillItRunError

    try:
        g, _ = resolve_gpu(cat, name)
    except WillItRunError:
        return None
    return g


def detect(cat: Catalog | None = None, *, gpus: bool = True) -> Machine:
    """This machine; with gpus=False only CPU and RAM (when the GPUs are simulated anyway)."""
    cpu, ram, avail, notes = detect_cpu_ram()
    devices, nv_notes = detect_nvidia(cat) if gpus else ([], [])
    fixed: list[Device] = []
    for d in devices:
        if d.memory_bytes == 0 and ram:
            d = replace(d, memory_bytes=ram, free_bytes=avail, unified=True)
        fixed.append(d)
    if not devices and gpus:
        notes.append("no GPU found: estimating for the CPU")
    return Machine(
        devices=tuple(fixed),
        ram_bytes=ram,
        ram_free_bytes=avail,
        ram_bandwidth_gbps=DEFAULT_RAM_BANDWIDTH_GBPS,
        cpu=cpu,
        source="detected",
        notes=tuple(notes + [n for n in nv_notes if devices or "not importable" not in n]),
        ram_bandwidth_how="assumed",
    )
