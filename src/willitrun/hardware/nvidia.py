"""NVIDIA GPUs through NVML (the nvidia-ml-py package, imported as pynvml), nvidia-smi when NVML cannot load.

Every NVML call goes through `Nvml.call`: a field that fails becomes None. A missing library means "no NVIDIA
GPU" plus a note. Parts whose memory NVML does not report (GB10, Jetson: unified memory) are flagged so the
caller gives them system RAM. MIG instances are reported as the devices a program can actually use.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from willitrun.hardware.probe import Probe, RawGpu

SMI_QUERY = "name,memory.total,memory.free,driver_version,pci.device_id,compute_cap"


class Nvml:
    """The one wrapper all NVML calls go through."""

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


def _pci(nv: Nvml, h: Any) -> str | None:
    info = nv.call("nvmlDeviceGetPciInfo", h)
    dev = getattr(info, "pciDeviceId", None) if info is not None else None
    if not isinstance(dev, int):
        return None
    return f"{dev & 0xFFFF:04x}:{(dev >> 16) & 0xFFFF:04x}"


def _device(nv: Nvml, h: Any, idx: int, driver: str | None, cuda: str | None) -> list[RawGpu]:
    name = _text(nv.call("nvmlDeviceGetName", h)) or f"NVIDIA GPU {idx}"
    mem = nv.call("nvmlDeviceGetMemoryInfo", h)
    total = int(getattr(mem, "total", 0) or 0) if mem is not None else 0
    free = int(getattr(mem, "free", 0) or 0) if mem is not None else 0
    details: list[tuple[str, str]] = []
    cc = nv.call("nvmlDeviceGetCudaComputeCapability", h)
    if isinstance(cc, tuple) and len(cc) == 2:
        details.append(("compute_capability", f"{cc[0]}.{cc[1]}"))
    gen = nv.call("nvmlDeviceGetCurrPcieLinkGeneration", h)
    width = nv.call("nvmlDeviceGetCurrPcieLinkWidth", h)
    if gen and width:
        details.append(("pcie", f"gen{gen} x{width}"))
    if cuda:
        details.append(("cuda", cuda))
    how = f"NVML, driver {driver}" if driver else "NVML"
    pci = _pci(nv, h)
    mig = nv.call("nvmlDeviceGetMigMode", h)
    if isinstance(mig, (tuple, list)) and mig and mig[0] == 1:
        out: list[RawGpu] = []
        for k in range(int(nv.call("nvmlDeviceGetMaxMigDeviceCount", h) or 0)):
            mh = nv.call("nvmlDeviceGetMigDeviceHandleByIndex", h, k)
            if mh is None:
                continue
            mm = nv.call("nvmlDeviceGetMemoryInfo", mh)
            mt = int(getattr(mm, "total", 0) or 0) if mm is not None else 0
            mf = int(getattr(mm, "free", 0) or 0) if mm is not None else 0
            out.append(
                RawGpu(f"{name} MIG {k}", "nvidia", "cuda", mt, mf, how + ", MIG instance", driver, pci, tuple(details))
            )
        if out:
            return out
    return [RawGpu(name, "nvidia", "cuda", total, free, how, driver, pci, tuple(details), unified=total == 0)]


def _cuda_version(nv: Nvml) -> str | None:
    v = nv.call("nvmlSystemGetCudaDriverVersion_v2") or nv.call("nvmlSystemGetCudaDriverVersion")
    if isinstance(v, int) and v > 0:
        return f"{v // 1000}.{(v % 1000) // 10}"
    return None


def via_nvml() -> tuple[list[RawGpu], list[str]] | None:
    """GPUs from NVML; None when NVML cannot be used at all (then nvidia-smi may still answer)."""
    try:
        import pynvml
    except Exception:
        return None
    nv = Nvml(pynvml)
    try:
        pynvml.nvmlInit()
    except Exception as exc:
        name = type(exc).__name__
        if "LibraryNotFound" in name:
            return None  # no NVIDIA driver installed: the normal case on most machines, not worth a note
        hint = " (driver/library version mismatch: reboot after a driver update)" if "Mismatch" in name else ""
        return [], [f"NVML could not start: {name}{hint}"]
    try:
        driver = _text(nv.call("nvmlSystemGetDriverVersion"))
        cuda = _cuda_version(nv)
        gpus: list[RawGpu] = []
        for i in range(int(nv.call("nvmlDeviceGetCount") or 0)):
            h = nv.call("nvmlDeviceGetHandleByIndex", i)
            if h is not None:
                gpus += _device(nv, h, i, driver, cuda)
        return gpus, []
    finally:
        nv.call("nvmlShutdown")


def parse_smi(text: str) -> list[RawGpu]:
    """`nvidia-smi --query-gpu=<SMI_QUERY> --format=csv,noheader,nounits` output (memory in MiB)."""
    out: list[RawGpu] = []
    for line in text.splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) < 3 or not parts[0]:
            continue
        try:
            total = int(float(parts[1])) * 1024**2
            free = int(float(parts[2])) * 1024**2
        except ValueError:
            total = free = 0  # "[N/A]" on unified-memory parts
        driver = parts[3] if len(parts) > 3 and parts[3] not in ("", "[N/A]") else None
        pci = None
        if len(parts) > 4 and parts[4].lower().startswith("0x") and len(parts[4]) == 10:
            raw = int(parts[4], 16)
            pci = f"{raw & 0xFFFF:04x}:{(raw >> 16) & 0xFFFF:04x}"
        details = (("compute_capability", parts[5]),) if len(parts) > 5 and parts[5] not in ("", "[N/A]") else ()
        how = f"nvidia-smi, driver {driver}" if driver else "nvidia-smi"
        out.append(RawGpu(parts[0], "nvidia", "cuda", total, free, how, driver, pci, details, unified=total == 0))
    return out


def detect_nvidia(
    probe: Probe, nvml: Callable[[], tuple[list[RawGpu], list[str]] | None] = via_nvml
) -> tuple[list[RawGpu], list[str]]:
    notes: list[str] = []
    got = nvml()
    if got is not None and got[0]:
        return got
    if got is not None:
        notes += got[1]
    text = probe.run(["nvidia-smi", f"--query-gpu={SMI_QUERY}", "--format=csv,noheader,nounits"], 5.0)
    if text:
        gpus = parse_smi(text)
        if gpus:
            if got is None:
                notes.append("NVML (nvidia-ml-py) unavailable: read the GPUs from nvidia-smi")
            return gpus, notes
    return [], notes
