"""AMD and Intel GPUs on Linux from /sys/class/drm; AMD names from rocm-smi; Windows adapters from the registry.

AMD (vendor 0x1002): `mem_info_vram_total/used` give dedicated memory, `mem_info_gtt_total` the system memory
the GPU may map. An APU has a small carve-out and a large GTT; a Strix Halo (Ryzen AI Max) part is a real
unified-memory accelerator and counts as one, while a small iGPU beside a discrete card, or alone, does not.
Intel (0x8086, i915 or xe): a discrete Arc card is recognised by its PCI id; integrated graphics are noted only.
Windows: the 64-bit registry value `HardwareInformation.qwMemorySize`, never WMI's 32-bit AdapterRAM (which
caps at 4 GB).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from willitrun.hardware.probe import Probe, RawGpu

GIB = 1024**3
AMD, INTEL, NVIDIA = "0x1002", "0x8086", "0x10de"


def _uevent(probe: Probe, card: str) -> dict[str, str]:
    text = probe.read(f"/sys/class/drm/{card}/device/uevent") or ""
    out = {}
    for line in text.splitlines():
        k, _, v = line.partition("=")
        out[k.strip()] = v.strip()
    return out


def drm_cards(probe: Probe) -> list[str]:
    """card0, card1, ... (not the connector entries like card0-DP-1)."""
    names = [p.name for p in probe.glob("/sys/class/drm", "card*")]
    return [n for n in names if n[4:].isdigit()]


def _rocm_names(probe: Probe) -> dict[str, str]:
    text = probe.run(["rocm-smi", "--showproductname", "--json"], 5.0)
    if not text:
        return {}
    try:
        data = json.loads(text[text.find("{") :])
    except ValueError:
        return {}
    out = {}
    if isinstance(data, dict):
        for card, info in data.items():
            if isinstance(info, dict):
                name = info.get("Card Series") or info.get("Card series") or info.get("Card SKU") or ""
                if isinstance(name, str) and name:
                    out[card] = name
    return out


def detect_drm(probe: Probe) -> tuple[list[RawGpu], list[RawGpu], list[str]]:
    """(discrete or unified-memory GPUs, small integrated GPUs, notes) from sysfs; empty off Linux."""
    if not probe.platform.startswith("linux"):
        return [], [], []
    gpus: list[RawGpu] = []
    igpus: list[RawGpu] = []
    notes: list[str] = []
    rocm: dict[str, str] | None = None
    amd_seen = 0
    for card in drm_cards(probe):
        base = f"/sys/class/drm/{card}/device"
        vendor = (probe.read(f"{base}/vendor") or "").lower()
        ue = _uevent(probe, card)
        pci = ue.get("PCI_ID", "").lower() or None
        driver = ue.get("DRIVER")
        if vendor == AMD:
            total = probe.read_int(f"{base}/mem_info_vram_total") or 0
            used = probe.read_int(f"{base}/mem_info_vram_used") or 0
            gtt = probe.read_int(f"{base}/mem_info_gtt_total") or 0
            if rocm is None:
                rocm = _rocm_names(probe)
            # rocm-smi numbers the AMD GPUs it sees from card0, whatever their DRM card number
            from_rocm = rocm.get(card) or rocm.get(f"card{amd_seen}") or ""
            amd_seen += 1
            name = (probe.read(f"{base}/product_name") or from_rocm).strip()
            apu = total < 4 * GIB and gtt > total
            how = "sysfs (amdgpu)" + (", name from rocm-smi" if from_rocm and name == from_rocm.strip() else "")
            if apu:
                name = name or "AMD Radeon integrated graphics"
                g = RawGpu(name, "amd", "rocm", max(total, gtt), max(total, gtt) - used, how, driver, pci, unified=True)
                igpus.append(g)
            elif total:
                gpus.append(
                    RawGpu(name or "AMD Radeon GPU", "amd", "rocm", total, max(0, total - used), how, driver, pci)
                )
            else:
                notes.append(f"{card}: AMD GPU without memory figures in sysfs (amdgpu driver not loaded?)")
        elif vendor == INTEL and driver in ("i915", "xe"):
            name = probe.read(f"{base}/label") or ""
            g = RawGpu(name, "intel", "sycl", 0, 0, f"sysfs ({driver})", driver, pci)
            igpus.append(g)  # the caller promotes it when the PCI id is a discrete Arc card
    return gpus, igpus, notes


Registry = Callable[[], list[tuple[str, int]]]


def _windows_registry() -> list[tuple[str, int]]:
    """(DriverDesc, qwMemorySize) of each display adapter, from HKLM's display-class key."""
    import winreg  # type: ignore[import-not-found,unused-ignore]

    key = r"SYSTEM\ControlSet001\Control\Class\{4d36e968-e325-11ce-bfc1-08002be10318}"
    out: list[tuple[str, int]] = []
    reg: Any = winreg
    with reg.OpenKey(reg.HKEY_LOCAL_MACHINE, key) as cls:
        for i in range(64):
            try:
                sub = reg.EnumKey(cls, i)
            except OSError:
                break
            if not sub.isdigit():
                continue
            try:
                with reg.OpenKey(cls, sub) as k:
                    desc = reg.QueryValueEx(k, "DriverDesc")[0]
                    mem = reg.QueryValueEx(k, "HardwareInformation.qwMemorySize")[0]
            except OSError:
                continue
            out.append((str(desc), int(mem)))
    return out


def detect_windows(probe: Probe, registry: Registry = _windows_registry) -> tuple[list[RawGpu], list[str]]:
    """AMD and Intel adapters on Windows (NVIDIA comes from NVML there too)."""
    if probe.platform != "win32":
        return [], []
    try:
        adapters = registry()
    except Exception as exc:
        return [], [f"could not read the display adapters from the registry ({exc.__class__.__name__})"]
    out = []
    for desc, mem in adapters:
        low = desc.lower()
        vendor = "amd" if ("radeon" in low or "amd" in low) else "intel" if "intel" in low else None
        if vendor is None or mem <= 0:
            continue
        backend = "rocm" if vendor == "amd" else "sycl"
        out.append(RawGpu(desc, vendor, backend, mem, mem, "Windows registry (qwMemorySize)"))
    return out, []
