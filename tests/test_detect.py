"""First detection: CPU/RAM through psutil, NVIDIA through a fake NVML module; failures become notes."""

from __future__ import annotations

import sys
import types
from collections.abc import Callable
from typing import Any

import pytest

import willitrun.hardware.detect as det
from tests.conftest import Result
from willitrun.catalog.load import Catalog
from willitrun.estimate.types import GIB

ORIGINAL_DETECT = det.detect


class NVMLError(Exception):
    pass


def fake_nvml(gpus: list[tuple[str, int | None, int | None]], *, init_fails: bool = False) -> types.ModuleType:
    """A stand-in for pynvml: (name, total, free) per GPU; None memory raises like NotSupported."""
    m = types.ModuleType("pynvml")

    def init() -> None:
        if init_fails:
            raise NVMLError("Driver/library version mismatch")

    def mem(h: int) -> Any:
        _, total, free = gpus[h]
        if total is None:
            raise NVMLError("Not Supported")
        return types.SimpleNamespace(total=total, free=free, used=total - (free or 0))

    m.nvmlInit = init  # type: ignore[attr-defined]
    m.nvmlShutdown = lambda: None  # type: ignore[attr-defined]
    m.nvmlDeviceGetCount = lambda: len(gpus)  # type: ignore[attr-defined]
    m.nvmlDeviceGetHandleByIndex = lambda i: i  # type: ignore[attr-defined]
    m.nvmlDeviceGetName = lambda h: gpus[h][0].encode()  # type: ignore[attr-defined]
    m.nvmlDeviceGetMemoryInfo = mem  # type: ignore[attr-defined]
    m.nvmlSystemGetDriverVersion = lambda: "580.95.05"  # type: ignore[attr-defined]
    return m


def test_two_different_gpus(monkeypatch: pytest.MonkeyPatch, catalog: Catalog) -> None:
    monkeypatch.setitem(
        sys.modules,
        "pynvml",
        fake_nvml([("NVIDIA GeForce RTX 4090", 24 * GIB, 20 * GIB), ("NVIDIA GeForce RTX 3090", 24 * GIB, 23 * GIB)]),
    )
    devices, notes = det.detect_nvidia(catalog)
    assert [d.catalog_id for d in devices] == ["rtx-4090", "rtx-3090"]
    assert devices[0].free_bytes == 20 * GIB and devices[0].bandwidth_gbps == 1008
    assert "580.95.05" in devices[0].how
    assert notes == []


def test_unknown_gpu_counts_with_its_memory(monkeypatch: pytest.MonkeyPatch, catalog: Catalog) -> None:
    monkeypatch.setitem(sys.modules, "pynvml", fake_nvml([("NVIDIA Mystery X1", 16 * GIB, 15 * GIB)]))
    (d,), notes = det.detect_nvidia(catalog)
    assert d.memory_bytes == 16 * GIB and d.bandwidth_gbps is None and d.catalog_id is None
    assert any("speed is a guess" in n for n in notes)


def test_no_library_and_broken_driver(monkeypatch: pytest.MonkeyPatch, catalog: Catalog) -> None:
    monkeypatch.setitem(sys.modules, "pynvml", None)  # import fails
    devices, notes = det.detect_nvidia(catalog)
    assert devices == [] and "not importable" in notes[0]
    monkeypatch.setitem(sys.modules, "pynvml", fake_nvml([], init_fails=True))
    devices, notes = det.detect_nvidia(catalog)
    assert devices == [] and "NVML could not start" in notes[0]


def test_unsupported_memory_falls_back_to_ram(monkeypatch: pytest.MonkeyPatch, catalog: Catalog) -> None:
    monkeypatch.setitem(sys.modules, "pynvml", fake_nvml([("NVIDIA GB10", None, None)]))
    monkeypatch.setattr(det, "detect_cpu_ram", lambda: (det.Cpu("Grace", 20, 20, ("asimd",)), 128 * GIB, 100 * GIB, []))
    m = ORIGINAL_DETECT(catalog)
    (d,) = m.devices
    assert d.unified and d.memory_bytes == 128 * GIB and d.free_bytes == 100 * GIB
    assert any("unified memory" in n for n in m.notes)


def test_check_uses_detected_free_memory(
    monkeypatch: pytest.MonkeyPatch, run: Callable[..., Result], catalog: Catalog
) -> None:
    monkeypatch.setitem(sys.modules, "pynvml", fake_nvml([("NVIDIA GeForce RTX 3060", 12 * GIB, 5 * GIB)]))
    monkeypatch.setattr(det, "detect_cpu_ram", lambda: (det.Cpu("x", 8, 16, ("avx2",)), 32 * GIB, 24 * GIB, []))
    monkeypatch.setattr(det, "detect", ORIGINAL_DETECT)
    d = run("check", "llama3-8b", "--quant", "Q8_0", "--json").json()
    assert d["hardware"]["source"] == "detected"
    dev = d["hardware"]["devices"][0]
    assert dev["free_bytes"] == 5 * GIB and dev["catalog_id"] == "rtx-3060-12gb"
    # 8 GiB of Q8_0 does not fit in 5 GiB free, though it would in 12 GiB total
    assert d["options"][0]["verdict"] == "partial"


def test_cpu_flags_and_ram() -> None:
    cpu, ram, avail, notes = det.detect_cpu_ram()
    assert cpu.cores >= 1 and cpu.threads >= cpu.cores
    assert ram > 0 and 0 < avail <= ram
    assert notes == []
