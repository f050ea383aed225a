"""The CPU (name, cores, SIMD flags) and system RAM (total and available, through psutil)."""

from __future__ import annotations

import os

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


def _linux_counts(text: str) -> tuple[int, int] | None:
    """(physical cores, threads) from /proc/cpuinfo, without importing psutil."""
    threads = 0
    cores: set[tuple[str, str]] = set()
    phys = core = ""
    for line in text.splitlines():
        k, _, v = line.partition(":")
        k = k.strip().lower()
        if k == "processor":
            threads += 1
        elif k == "physical id":
            phys = v.strip()
        elif k == "core id":
            core = v.strip()
            cores.add((phys, core))
    if threads == 0:
        return None
    return (len(cores) or threads), threads


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
    import platform

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
    if not name:
        import platform

        name = platform.processor() or platform.machine() or "unknown CPU"
    counts = _linux_counts(probe.read("/proc/cpuinfo") or "") if probe.platform.startswith("linux") else None
    if counts is not None:
        cores, threads = counts
    else:
        try:
            import psutil

            cores = psutil.cpu_count(logical=False) or os.cpu_count() or 1
            threads = psutil.cpu_count(logical=True) or cores
        except Exception:
            cores = threads = os.cpu_count() or 1
    return Cpu(name=name, cores=int(cores), threads=int(threads), flags=flags), notes


def _meminfo(text: str) -> tuple[int, int] | None:
    vals = {}
    for line in text.splitlines():
        k, _, v = line.partition(":")
        parts = v.split()
        if k in ("MemTotal", "MemAvailable") and parts and parts[0].isdigit():
            vals[k] = int(parts[0]) * 1024  # kB
    if "MemTotal" in vals and "MemAvailable" in vals:
        return vals["MemTotal"], vals["MemAvailable"]
    return None


def detect_ram(probe: Probe | None = None) -> tuple[int, int, list[str]]:
    """(total, available) bytes: /proc/meminfo on Linux (no psutil import needed), psutil elsewhere; zeros and a
    note when neither can tell."""
    p = probe or Probe()
    if p.platform.startswith("linux"):
        got = _meminfo(p.read("/proc/meminfo") or "")
        if got is not None:
            return got[0], got[1], []
    try:
        import psutil

        vm = psutil.virtual_memory()
        return int(vm.total), int(vm.available), []
    except Exception as exc:
        return 0, 0, [f"could not read RAM ({exc.__class__.__name__}); set --ram"]
