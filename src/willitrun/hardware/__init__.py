"""The machine an estimate is for: detected here, or simulated from catalog names, or both (detection for
what the options leave open). Detection lives in detect.py and the vendor modules behind one Probe;
simulation in simulate.py.

The only package that imports psutil or pynvml (and only inside the functions that need them).
"""

from __future__ import annotations

from dataclasses import replace

from willitrun.catalog.load import Catalog
from willitrun.estimate.types import Machine
from willitrun.hardware.simulate import (
    DESKTOP_VRAM_BYTES,
    apple_working_set_bytes,
    build_machine,
    device_from_spec,
    devices_from_spec,
    os_reserve_bytes,
)

__all__ = [
    "DESKTOP_VRAM_BYTES",
    "apple_working_set_bytes",
    "build_machine",
    "device_from_spec",
    "devices_from_spec",
    "machine_for",
    "os_reserve_bytes",
]


def machine_for(
    cat: Catalog,
    *,
    gpu: str | None = None,
    vram_gb: float | None = None,
    ram_gb: float | None = None,
    ram_bandwidth_gbps: float | None = None,
    total: bool = False,
    margin_gb: float | None = None,
    headless: bool = False,
    backend: str | None = None,
    cpu: str | None = None,
    threads: int | None = None,
) -> Machine:
    """The machine a command plans for: this one as detected (only the parts the options leave open), with any
    simulated parts applied. `total`: plan with each GPU's total memory, as if nothing else ran."""
    detected = None
    if gpu is None or ram_gb is None or ram_bandwidth_gbps is None:
        from willitrun.hardware.detect import detect

        detected = detect(cat, gpus=gpu is None)
        if total:
            devices = tuple(replace(d, free_bytes=d.memory_bytes) for d in detected.devices)
            detected = replace(detected, devices=devices, ram_free_bytes=detected.ram_bytes)
    return build_machine(
        cat,
        gpu=gpu,
        vram_gb=vram_gb,
        ram_gb=ram_gb,
        ram_bandwidth_gbps=ram_bandwidth_gbps,
        detected=detected,
        margin_gb=margin_gb,
        headless=headless,
        backend=backend,
        cpu_name=cpu,
        threads=threads,
    )
