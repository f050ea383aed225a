"""Which llama.cpp backends this machine has what it takes to run: the driver or runtime each one loads.

`willitrun detect` lists them with the evidence found. This looks for the libraries and device files a backend
needs at run time, not for a llama.cpp build: a release binary or a pip wheel picks its backend itself. All of it
goes through the Probe (files under its root, its PATH), so tests hand in fake trees.
"""

from __future__ import annotations

from dataclasses import dataclass

from willitrun.estimate.types import Record
from willitrun.hardware.probe import Probe

_LIB_DIRS = (
    "/usr/lib/x86_64-linux-gnu",
    "/usr/lib/aarch64-linux-gnu",
    "/usr/lib64",
    "/usr/lib",
    "/usr/local/lib",
    "/usr/lib/wsl/lib",  # WSL2: the Windows driver's libraries
)


@dataclass(frozen=True, eq=False, repr=False)
class SeenBackend(Record):
    name: str  # cuda, rocm, vulkan, sycl, metal, cpu
    how: str  # the evidence: a file, a folder, a command on PATH


def _lib(p: Probe, names: tuple[str, ...]) -> str | None:
    for d in _LIB_DIRS:
        for n in names:
            if p.exists(f"{d}/{n}"):
                return f"{d}/{n}"
    return None


def _on_path(p: Probe, cmd: str) -> str | None:
    for d in p.env.get("PATH", "").split(":" if p.platform != "win32" else ";"):
        if d and p.exists(f"{d}/{cmd}"):
            return f"{d}/{cmd}"
    return None


def _windows_dll(p: Probe, name: str) -> str | None:
    root = p.env.get("SystemRoot") or p.env.get("SYSTEMROOT") or "C:/Windows"
    path = f"{root}/System32/{name}"
    return path if p.exists(path) else None


def _cuda(p: Probe) -> str | None:
    if p.platform == "win32":
        return _windows_dll(p, "nvcuda.dll")
    return _lib(p, ("libcuda.so.1", "libcuda.so")) or ("/dev/nvidiactl" if p.exists("/dev/nvidiactl") else None)


def _rocm(p: Probe) -> str | None:
    if p.platform == "win32":
        hip = p.env.get("HIP_PATH")
        return f"HIP SDK at {hip}" if hip else None
    if not p.exists("/dev/kfd"):  # the kernel driver ROCm talks to
        return None
    root = p.env.get("ROCM_PATH") or "/opt/rocm"
    return f"/dev/kfd and {root}" if p.exists(root) else None


def _vulkan(p: Probe) -> str | None:
    if p.platform == "win32":
        return _windows_dll(p, "vulkan-1.dll")
    if p.platform == "darwin":
        return _lib(p, ("libMoltenVK.dylib", "libvulkan.1.dylib"))
    loader = _lib(p, ("libvulkan.so.1",))
    if loader is None:
        return None
    drivers = p.glob("/usr/share/vulkan/icd.d", "*.json") + p.glob("/etc/vulkan/icd.d", "*.json")
    return f"{loader} with {len(drivers)} driver(s) listed" if drivers else None


def _sycl(p: Probe) -> str | None:
    default = "C:/Program Files (x86)/Intel/oneAPI" if p.platform == "win32" else "/opt/intel/oneapi"
    root = p.env.get("ONEAPI_ROOT") or default
    if not p.exists(root):
        return None
    level_zero = _lib(p, ("libze_loader.so.1",)) if p.platform != "win32" else _windows_dll(p, "ze_loader.dll")
    if level_zero is None:  # SYCL reaches Intel GPUs through Level Zero
        return None
    return f"oneAPI at {root} and {level_zero}"


def installed_backends(p: Probe | None = None) -> tuple[SeenBackend, ...]:
    """The backends whose runtime is present here, in llama.cpp's order of preference; `cpu` always."""
    p = p or Probe()
    found: list[SeenBackend] = []
    if p.platform == "darwin":
        found.append(SeenBackend("metal", "macOS (Metal is part of the system)"))
    for name, look in (("cuda", _cuda), ("rocm", _rocm), ("sycl", _sycl), ("vulkan", _vulkan)):
        how = look(p)
        if how is not None:
            found.append(SeenBackend(name, how))
    found.append(SeenBackend("cpu", "always"))
    return tuple(found)
