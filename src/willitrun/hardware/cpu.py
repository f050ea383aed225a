"""The CPU (name, cores, SIMD flags) and system RAM (total and available, through psutil)."""

from __future__ import annotations

import os
import platform

from willitrun.estimate.types import Cpu
from willitrun.hardware.probe import Probe

# The SIMD features llama.cpp's CPU backend uses, as /proc/cpuinfo spells them.
SIMD_FLAGS = (
    "avx2",
    "fma",
    "f16c",
    "avx512f",
    "avx512_bf16",
    "avx512_vnni",
    "avx512vnni",
    "amx_tile",
    "amx_bf16",
    "amx_int8",
    "asimd",
    "neon",
    "sve",
    "sve2",
)


def _linux_cpu(probe: Probe) -> tuple[str | None, tuple[str, ...]]:
    text = probe.read("/proc/cpuinfo")
    if not text:
        return None, ()
    name = None
    flags: tuple[str, ...] = ()
    for line in text.splitlines():
        k, _, v = line.partition(":")
        k = k.strip().lower()
        if k in ("model name", "cpu model", "hardware") and v.strip() and name is None:
            name = v.strip()
        elif k in ("flags", "features") and not flags:
            have = set(v.split())
            flags = tuple(f for f in SIMD_FLAGS if f in have)
    if "asimd" in flags and "neon" not in flags:
        flags = (*flags, "neon")  # arm64 lists NEON as asimd
    return name, flags


def _mac_cpu(probe: Probe) -> tuple[str | None, tuple[str, ...]]:
    name = (probe.run(["sysctl", "-n", "machdep.cpu.brand_string"], 3.0) or "").strip() or None
    flags: tuple[str, ...] = ()
    if platform.machine() == "arm64" or (name or "").startswith("Apple"):
        flags = ("neon",)
    else:
        feats = (probe.run(["sysctl", "-n", "machdep.cpu.features", "machdep.cpu.leaf7_features"], 3.0) or "").lower()
        flags = tuple(f for f in SIMD_FLAGS if f in feats.split())
    return name, flags


def detect_cpu(probe: Probe) -> tuple[Cpu, list[str]]:
    notes: list[str] = []
    if probe.platform == "darwin":
        name, flags = _mac_cpu(probe)
    elif probe.platform.startswith("linux"):
        name, flags = _linux_cpu(probe)
    else:
        name, flags = None, ()
    name = name or platform.processor() or platform.machine() or "unknown CPU"
    try:
        import psutil

        cores = psutil.cpu_count(logical=False) or os.cpu_count() or 1
        threads = psutil.cpu_count(logical=True) or cores
    except Exception:
        cores = threads = os.cpu_count() or 1
    return Cpu(name=name, cores=int(cores), threads=int(threads), flags=flags), notes


def detect_ram() -> tuple[int, int, list[str]]:
    """(total, available) bytes; zeros and a note when psutil cannot tell."""
    try:
        import psutil

        vm = psutil.virtual_memory()
        return int(vm.total), int(vm.available), []
    except Exception as exc:
        return 0, 0, [f"could not read RAM ({exc.__class__.__name__}); set --ram"]
