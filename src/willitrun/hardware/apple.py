"""Apple Silicon: the chip (sysctl), its GPU core count (system_profiler), memory (hw.memsize) and the GPU
working-set limit (iogpu.wired_limit_mb when set, else macOS's default share of RAM, estimation.md section 6)."""

from __future__ import annotations

import json

from willitrun.hardware.probe import Probe, RawGpu

GIB = 1024**3


def default_working_set(total: int) -> int:
    """macOS's recommendedMaxWorkingSetSize when nothing overrides it: 2/3 of RAM up to 36 GiB, 3/4 above
    (estimation.md section 6). Newer macOS versions give more on some machines; a detected Mac reports its own
    limit (iogpu.wired_limit_mb) instead. The one formula: simulated Macs use it too."""
    return int(total * (2 / 3 if total <= 36 * GIB else 3 / 4))


def detect_apple(probe: Probe) -> tuple[list[RawGpu], list[str]]:
    if probe.platform != "darwin":
        return [], []
    chip = (probe.run(["sysctl", "-n", "machdep.cpu.brand_string"], 3.0) or "").strip()
    if not chip.startswith("Apple"):
        return [], []  # an Intel Mac: its GPU is not one llama.cpp's Metal backend favours; CPU estimate
    notes: list[str] = []
    try:
        total = int((probe.run(["sysctl", "-n", "hw.memsize"], 3.0) or "0").strip())
    except ValueError:
        total = 0
    if total <= 0:
        return [], ["could not read the memory size (sysctl hw.memsize)"]
    cores = None
    sp = probe.run(["system_profiler", "SPDisplaysDataType", "-json"], 10.0)
    if sp:
        try:
            for d in json.loads(sp).get("SPDisplaysDataType", []):
                if str(d.get("sppci_cores", "")).isdigit():
                    cores = int(d["sppci_cores"])
                    break
        except (ValueError, AttributeError):
            notes.append("system_profiler printed something unexpected: GPU core count unknown")
    limit_text = (probe.run(["sysctl", "-n", "iogpu.wired_limit_mb"], 3.0) or "").strip()
    limit = int(limit_text) * 1024**2 if limit_text.isdigit() and int(limit_text) > 0 else 0
    if limit:
        how = f"sysctl (hw.memsize; iogpu.wired_limit_mb = {limit_text})"
    else:
        limit = default_working_set(total)
        how = "sysctl (hw.memsize; macOS default GPU working set)"
    name = f"{chip} ({cores}-core GPU)" if cores else chip
    gpu = RawGpu(name, "apple", "metal", limit, limit, how, unified=True, system_ram_bytes=total)
    return [gpu], notes
