"""Detection through fakes at each seam: a fake NVML module, fake sysfs trees, recorded tool outputs."""

from __future__ import annotations

import json
import sys
import types
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

import willitrun.hardware.detect as det
from tests.conftest import Result
from willitrun.catalog.load import Catalog
from willitrun.estimate.types import GIB
from willitrun.hardware import membw
from willitrun.hardware.nvidia import parse_smi
from willitrun.hardware.probe import Probe
from willitrun.hardware.sysfs import detect_windows

ORIGINAL_DETECT = det.detect
FIXTURES = Path(__file__).parent / "data" / "hardware"


class NVMLError(Exception):
    pass


class NVMLError_LibRmVersionMismatch(NVMLError):
    pass


def fake_nvml(
    gpus: list[tuple[str, int | None, int | None]],
    *,
    init_error: type[Exception] | None = None,
    mig: dict[int, list[int]] | None = None,
) -> types.ModuleType:
    """A stand-in for pynvml: (name, total, free) per GPU; None memory raises like NVML's NotSupported;
    mig maps a GPU index to its MIG instances' memory sizes."""
    m = types.ModuleType("pynvml")
    mig = mig or {}

    def init() -> None:
        if init_error is not None:
            raise init_error("init failed")

    def mem(h: Any) -> Any:
        if isinstance(h, tuple):  # a MIG instance handle (gpu, k)
            size = mig[h[0]][h[1]]
            return types.SimpleNamespace(total=size, free=size - GIB, used=GIB)
        _, total, free = gpus[h]
        if total is None:
            raise NVMLError("Not Supported")
        return types.SimpleNamespace(total=total, free=free, used=total - (free or 0))

    def mig_mode(h: int) -> tuple[int, int]:
        return (1, 1) if h in mig else (0, 0)

    def pci(h: int) -> Any:
        ids = {"NVIDIA GeForce RTX 4090": 0x268410DE, "NVIDIA GeForce RTX 3090": 0x220410DE}
        return types.SimpleNamespace(pciDeviceId=ids.get(gpus[h][0], 0x000010DE))

    funcs: dict[str, Any] = {
        "nvmlInit": init,
        "nvmlShutdown": lambda: None,
        "nvmlDeviceGetCount": lambda: len(gpus),
        "nvmlDeviceGetHandleByIndex": lambda i: i,
        "nvmlDeviceGetName": lambda h: gpus[h][0].encode(),
        "nvmlDeviceGetMemoryInfo": mem,
        "nvmlSystemGetDriverVersion": lambda: "580.95.05",
        "nvmlSystemGetCudaDriverVersion_v2": lambda: 13000,
        "nvmlDeviceGetCudaComputeCapability": lambda h: (8, 9),
        "nvmlDeviceGetCurrPcieLinkGeneration": lambda h: 4,
        "nvmlDeviceGetCurrPcieLinkWidth": lambda h: 16,
        "nvmlDeviceGetPciInfo": pci,
        "nvmlDeviceGetMigMode": mig_mode,
        "nvmlDeviceGetMaxMigDeviceCount": lambda h: len(mig.get(h, [])),
        "nvmlDeviceGetMigDeviceHandleByIndex": lambda h, k: (h, k),
    }
    for k, v in funcs.items():
        setattr(m, k, v)
    return m


def no_tools(cmd: list[str], timeout: float) -> str | None:
    return None


def meminfo(root: Path, total: int = 64 * GIB, available: int = 48 * GIB) -> None:
    """The RAM the fake machine reports, where detection reads it on Linux (through the probe)."""
    f = root / "proc" / "meminfo"
    if not f.exists():
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(f"MemTotal: {total // 1024} kB\nMemAvailable: {available // 1024} kB\n", encoding="utf-8")


def probe(tmp_path: Path, platform: str = "linux", run: Callable[[list[str], float], str | None] = no_tools) -> Probe:
    meminfo(tmp_path)
    return Probe(root=tmp_path, run=run, platform=platform, env={}, measure_bandwidth=lambda: None)


def use(monkeypatch: pytest.MonkeyPatch, module: types.ModuleType | None) -> None:
    monkeypatch.setitem(sys.modules, "pynvml", module)  # type: ignore[arg-type]


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        p = root / rel.lstrip("/")
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")


def test_two_different_gpus(monkeypatch: pytest.MonkeyPatch, catalog: Catalog, tmp_path: Path) -> None:
    use(
        monkeypatch,
        fake_nvml([("NVIDIA GeForce RTX 4090", 24 * GIB, 20 * GIB), ("NVIDIA GeForce RTX 3090", 24 * GIB, 23 * GIB)]),
    )
    m = ORIGINAL_DETECT(catalog, probe=probe(tmp_path))
    assert [d.catalog_id for d in m.devices] == ["rtx-4090", "rtx-3090"]
    a = m.devices[0]
    assert a.free_bytes == 20 * GIB and a.bandwidth_gbps == 1008 and a.pci_id == "10de:2684"
    assert a.driver == "580.95.05" and "NVML" in a.how and "catalog rtx-4090" in a.how
    assert dict(a.details) == {"compute_capability": "8.9", "pcie": "gen4 x16", "cuda": "13.0"}
    assert not any("no GPU" in n for n in m.notes)


def test_zero_gpus_and_no_library(monkeypatch: pytest.MonkeyPatch, catalog: Catalog, tmp_path: Path) -> None:
    use(monkeypatch, fake_nvml([]))
    m = ORIGINAL_DETECT(catalog, probe=probe(tmp_path))
    assert m.devices == () and any("no GPU found" in n for n in m.notes)
    use(monkeypatch, None)  # the import fails
    m = ORIGINAL_DETECT(catalog, probe=probe(tmp_path))
    assert m.devices == () and m.ram_bytes == 64 * GIB


def test_driver_library_mismatch_is_a_note(monkeypatch: pytest.MonkeyPatch, catalog: Catalog, tmp_path: Path) -> None:
    use(monkeypatch, fake_nvml([], init_error=NVMLError_LibRmVersionMismatch))
    m = ORIGINAL_DETECT(catalog, probe=probe(tmp_path))
    assert m.devices == ()
    assert any("version mismatch" in n for n in m.notes)


def test_nvidia_smi_fallback(monkeypatch: pytest.MonkeyPatch, catalog: Catalog, tmp_path: Path) -> None:
    smi = (FIXTURES / "nvidia-smi-query.csv").read_text(encoding="utf-8")
    use(monkeypatch, None)

    def run(cmd: list[str], timeout: float) -> str | None:
        return smi if cmd[0] == "nvidia-smi" else None

    m = ORIGINAL_DETECT(catalog, probe=probe(tmp_path, run=run))
    assert [d.catalog_id for d in m.devices] == ["rtx-4090", "a100-pcie-80gb"]
    assert m.devices[0].memory_bytes == 24564 * 2**20 and m.devices[0].free_bytes == 23867 * 2**20
    assert "nvidia-smi" in m.devices[0].how
    assert any("nvidia-smi" in n for n in m.notes)
    assert parse_smi("garbage, more garbage\n\n,,,") == [] or all(g.memory_bytes == 0 for g in parse_smi("x, y, z"))


def test_unified_memory_reported_as_unsupported(
    monkeypatch: pytest.MonkeyPatch, catalog: Catalog, tmp_path: Path
) -> None:
    use(monkeypatch, fake_nvml([("NVIDIA GB10", None, None)]))
    m = ORIGINAL_DETECT(catalog, probe=probe(tmp_path))
    (d,) = m.devices
    assert d.unified and d.memory_bytes == 64 * GIB and d.free_bytes == 48 * GIB
    assert d.catalog_id == "nvidia-gb10"
    assert any("unified memory" in n for n in m.notes)


def test_mig_instances_are_the_devices(monkeypatch: pytest.MonkeyPatch, catalog: Catalog, tmp_path: Path) -> None:
    use(monkeypatch, fake_nvml([("NVIDIA A100-SXM4-80GB", 80 * GIB, 79 * GIB)], mig={0: [40 * GIB, 20 * GIB]}))
    m = ORIGINAL_DETECT(catalog, probe=probe(tmp_path))
    assert [d.memory_bytes for d in m.devices] == [40 * GIB, 20 * GIB]
    assert all("MIG" in d.name and d.catalog_id == "a100-sxm-80gb" for d in m.devices)


def test_unknown_gpu_counts_with_its_memory(monkeypatch: pytest.MonkeyPatch, catalog: Catalog, tmp_path: Path) -> None:
    use(monkeypatch, fake_nvml([("NVIDIA Mystery X1", 16 * GIB, 15 * GIB)]))
    m = ORIGINAL_DETECT(catalog, probe=probe(tmp_path))
    (d,) = m.devices
    assert d.memory_bytes == 16 * GIB and d.bandwidth_gbps is None and not d.figures_known
    assert any("speed is a guess" in n for n in m.notes)


AMD_CARD = "/sys/class/drm/card{n}/device/"


def amd_tree(n: int, device: str, vram: int, gtt: int, used: int = 0, name: str | None = None) -> dict[str, str]:
    base = AMD_CARD.format(n=n)
    files = {
        base + "vendor": "0x1002",
        base + "device": device,
        base + "uevent": f"DRIVER=amdgpu\nPCI_ID=1002:{device[2:].upper()}\n",
        base + "mem_info_vram_total": str(vram),
        base + "mem_info_vram_used": str(used),
        base + "mem_info_gtt_total": str(gtt),
    }
    if name:
        files[base + "product_name"] = name
    return files


def test_amd_rx_7900_xtx(monkeypatch: pytest.MonkeyPatch, catalog: Catalog, tmp_path: Path) -> None:
    use(monkeypatch, None)
    write(tmp_path, amd_tree(1, "0x744c", 24 * GIB, 32 * GIB, used=2 * GIB))
    rocm = (FIXTURES / "rocm-smi-productname.json").read_text(encoding="utf-8")
    m = ORIGINAL_DETECT(catalog, probe=probe(tmp_path, run=lambda c, t: rocm if c[0] == "rocm-smi" else None))
    (d,) = m.devices
    assert d.vendor == "amd" and d.backend == "rocm"
    assert d.memory_bytes == 24 * GIB and d.free_bytes == 22 * GIB
    assert d.catalog_id == "rx-7900-xtx" and d.bandwidth_gbps == 960


def test_strix_halo_apu_is_unified(monkeypatch: pytest.MonkeyPatch, catalog: Catalog, tmp_path: Path) -> None:
    use(monkeypatch, None)
    write(tmp_path, amd_tree(0, "0x1586", 512 * 2**20, 96 * GIB, name="AMD Radeon 8060S"))
    m = ORIGINAL_DETECT(catalog, probe=probe(tmp_path))
    (d,) = m.devices
    assert d.unified and d.memory_bytes == 96 * GIB
    assert d.catalog_id is not None and d.catalog_id.startswith("ryzen-ai-max")


def test_arc_a770_beside_an_igpu(monkeypatch: pytest.MonkeyPatch, catalog: Catalog, tmp_path: Path) -> None:
    use(monkeypatch, None)
    write(
        tmp_path,
        {
            "/sys/class/drm/card0/device/vendor": "0x8086",
            "/sys/class/drm/card0/device/uevent": "DRIVER=i915\nPCI_ID=8086:A780\n",
            "/sys/class/drm/card1/device/vendor": "0x8086",
            "/sys/class/drm/card1/device/uevent": "DRIVER=i915\nPCI_ID=8086:56A0\n",
            "/sys/class/drm/card1-DP-1/status": "connected",
        },
    )
    m = ORIGINAL_DETECT(catalog, probe=probe(tmp_path))
    (d,) = m.devices
    assert d.vendor == "intel" and d.catalog_id and d.catalog_id.startswith("arc-a770")
    assert any("integrated" in n and "not counted" in n for n in m.notes)


def test_small_amd_igpu_beside_nvidia_is_not_counted(
    monkeypatch: pytest.MonkeyPatch, catalog: Catalog, tmp_path: Path
) -> None:
    use(monkeypatch, fake_nvml([("NVIDIA GeForce RTX 4090", 24 * GIB, 23 * GIB)]))
    write(tmp_path, amd_tree(0, "0x15bf", 512 * 2**20, 16 * GIB))  # Radeon 780M
    m = ORIGINAL_DETECT(catalog, probe=probe(tmp_path))
    assert [d.catalog_id for d in m.devices] == ["rtx-4090"]
    assert any("integrated" in n for n in m.notes)


def test_apple_silicon(monkeypatch: pytest.MonkeyPatch, catalog: Catalog, tmp_path: Path) -> None:
    use(monkeypatch, None)
    sp = (FIXTURES / "system_profiler-m2-max.json").read_text(encoding="utf-8")
    answers = {
        "machdep.cpu.brand_string": "Apple M2 Max\n",
        "hw.memsize": f"{96 * GIB}\n",
        "iogpu.wired_limit_mb": "0\n",
    }

    def run(cmd: list[str], timeout: float) -> str | None:
        if cmd[0] == "system_profiler":
            return sp
        if cmd[0] == "sysctl":
            return answers.get(cmd[-1])
        return None

    m = ORIGINAL_DETECT(catalog, probe=probe(tmp_path, platform="darwin", run=run))
    (d,) = m.devices
    assert d.catalog_id == "apple-m2-max-38c" and d.bandwidth_gbps == 400
    assert d.memory_bytes == int(96 * GIB * 3 / 4) and d.unified
    assert m.ram_bytes == 96 * GIB
    answers["iogpu.wired_limit_mb"] = "90000\n"
    (d,) = ORIGINAL_DETECT(catalog, probe=probe(tmp_path, platform="darwin", run=run)).devices
    assert d.memory_bytes == 90000 * 2**20 and "wired_limit" in d.how


def test_windows_registry_uses_the_64bit_value(catalog: Catalog, tmp_path: Path) -> None:
    gpus, _ = detect_windows(
        probe(tmp_path, platform="win32"),
        registry=lambda: [("AMD Radeon RX 7900 XTX", 24 * GIB), ("Microsoft Basic", 0)],
    )
    assert [(g.name, g.memory_bytes) for g in gpus] == [("AMD Radeon RX 7900 XTX", 24 * GIB)]

    def broken() -> list[tuple[str, int]]:
        raise OSError("access denied")

    assert detect_windows(probe(tmp_path, platform="win32"), registry=broken)[0] == []


def test_wsl_and_container_notes(monkeypatch: pytest.MonkeyPatch, catalog: Catalog, tmp_path: Path) -> None:
    use(monkeypatch, None)
    write(tmp_path, {"/proc/version": "Linux 5.15.153.1-microsoft-standard-WSL2", "/usr/lib/wsl/lib/libcuda.so": ""})
    m = ORIGINAL_DETECT(catalog, probe=probe(tmp_path))
    assert any("WSL" in n and "Windows" in n for n in m.notes)
    write(tmp_path, {"/.dockerenv": ""})
    m = ORIGINAL_DETECT(catalog, probe=probe(tmp_path))
    assert not any("--gpus all" in n for n in m.notes)  # no sign of a GPU on the host: no noise
    write(tmp_path, {"/proc/driver/nvidia/version": "NVRM version: NVIDIA UNIX x86_64 Kernel Module  580.95.05"})
    m = ORIGINAL_DETECT(catalog, probe=probe(tmp_path))
    assert any("--gpus all" in n for n in m.notes)


def test_detected_cpu_is_matched_to_the_cpu_catalog(
    monkeypatch: pytest.MonkeyPatch, catalog: Catalog, tmp_path: Path
) -> None:
    use(monkeypatch, None)
    write(tmp_path, {"/proc/cpuinfo": (FIXTURES / "cpuinfo-zen4.txt").read_text(encoding="utf-8")})
    cpu = ORIGINAL_DETECT(catalog, probe=probe(tmp_path)).cpu
    assert cpu.catalog_id == "ryzen-9-7950x" and cpu.clock_ghz > 5 and cpu.flops_per_cycle > 0
    # the 3D V-Cache part is its own entry, and a part the catalog lacks is not taken for its neighbour
    text = (FIXTURES / "cpuinfo-zen4.txt").read_text(encoding="utf-8")
    write(tmp_path, {"/proc/cpuinfo": text.replace("7950X", "7950X3D")})
    assert ORIGINAL_DETECT(catalog, probe=probe(tmp_path)).cpu.catalog_id == "ryzen-9-7950x3d"
    write(tmp_path, {"/proc/cpuinfo": text.replace("7950X", "7900X3D")})
    assert ORIGINAL_DETECT(catalog, probe=probe(tmp_path)).cpu.catalog_id is None


def test_cpu_flags_from_cpuinfo(tmp_path: Path) -> None:
    write(tmp_path, {"/proc/cpuinfo": (FIXTURES / "cpuinfo-zen4.txt").read_text(encoding="utf-8")})
    cpu, _, _, _ = det.detect_cpu_ram(probe(tmp_path))
    assert cpu.name == "AMD Ryzen 9 7950X 16-Core Processor"
    assert {"avx2", "avx512f", "avx512_bf16", "avx512_vnni"} <= set(cpu.flags)
    write(tmp_path, {"/proc/cpuinfo": "processor : 0\nFeatures : fp asimd evtstrm sve\nCPU part : 0xd4f\n"})
    cpu, _, _, _ = det.detect_cpu_ram(probe(tmp_path))
    assert {"neon", "sve"} <= set(cpu.flags)


def test_measured_ram_bandwidth_is_used(monkeypatch: pytest.MonkeyPatch, catalog: Catalog, tmp_path: Path) -> None:
    use(monkeypatch, None)
    monkeypatch.setenv("WILLITRUN_CACHE_DIR", str(tmp_path / "cache"))
    assert membw.load() is None
    assert membw.save(42.5) is not None
    m = ORIGINAL_DETECT(catalog, probe=probe(tmp_path))
    assert m.ram_bandwidth_gbps == 42.5 and "measured" in m.ram_bandwidth_how


def test_detect_command(run: Callable[..., Result], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    use(monkeypatch, fake_nvml([("NVIDIA GeForce RTX 4090", 24 * GIB, 20 * GIB)]))
    monkeypatch.setattr(
        det, "detect", lambda cat=None, gpus=True: ORIGINAL_DETECT(cat, gpus=gpus, probe=probe(tmp_path))
    )
    d = run("detect", "--json").json()
    (dev,) = d["devices"]
    for k in (
        "name",
        "vendor",
        "backend",
        "memory_bytes",
        "free_bytes",
        "bandwidth_gbps",
        "driver",
        "catalog_id",
        "how",
    ):
        assert k in dev
    assert dev["catalog_id"] == "rtx-4090" and dev["free_bytes"] == 20 * GIB
    assert set(d) >= {
        "devices",
        "ram_bytes",
        "ram_free_bytes",
        "ram_bandwidth_gbps",
        "cpu",
        "unified_memory",
        "os",
        "notes",
    }
    # check plans with free memory, --total with all of it
    free = run("check", "qwen2.5-32b", "-q", "Q4_K_M", "--ctx", "8192", "--json").json()["options"][0]
    total = run("check", "qwen2.5-32b", "-q", "Q4_K_M", "--ctx", "8192", "--total", "--json").json()["options"][0]
    assert free["verdict"] == "partial" and total["verdict"] == "gpu"


def test_bandwidth_is_measured_once_and_remembered(
    monkeypatch: pytest.MonkeyPatch, catalog: Catalog, tmp_path: Path
) -> None:
    use(monkeypatch, None)
    monkeypatch.setenv("WILLITRUN_CACHE_DIR", str(tmp_path / "cache"))
    calls: list[int] = []

    def meter() -> float:
        calls.append(1)
        return 23.0

    p = replace(probe(tmp_path), measure_bandwidth=meter)
    first = ORIGINAL_DETECT(catalog, probe=p)
    assert first.ram_bandwidth_gbps == 23.0 and "measured now" in first.ram_bandwidth_how
    second = ORIGINAL_DETECT(catalog, probe=p)
    assert second.ram_bandwidth_gbps == 23.0 and "measured 20" in second.ram_bandwidth_how
    assert len(calls) == 1
    # no measurement possible and nothing remembered: the assumption, said so
    monkeypatch.setenv("WILLITRUN_CACHE_DIR", str(tmp_path / "other"))
    none = ORIGINAL_DETECT(catalog, probe=probe(tmp_path))
    assert none.ram_bandwidth_gbps == 64.0 and none.ram_bandwidth_how.startswith("assumed")


def test_the_real_measurement_runs() -> None:
    gbps = membw.measure(size_mib=16, repeats=1, threads=2)
    assert 0.1 < gbps < 10000


def test_measure_command(run: Callable[..., Result], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("WILLITRUN_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(membw, "measure", lambda size_mib=256, repeats=6: 33.3)
    r = run("detect", "--measure")
    assert r.code == 0 and "33.3 GB/s" in r.out
    assert json.loads((tmp_path / "cache" / "ram_bandwidth.json").read_text())["ram_bandwidth_gbps"] == 33.3


class NVMLError_LibraryNotFound(NVMLError):
    pass


def test_no_driver_is_not_noise(monkeypatch: pytest.MonkeyPatch, catalog: Catalog, tmp_path: Path) -> None:
    use(monkeypatch, fake_nvml([], init_error=NVMLError_LibraryNotFound))
    m = ORIGINAL_DETECT(catalog, probe=probe(tmp_path))
    assert m.notes == ("no GPU found: estimating for the CPU",)


def test_linux_cores_and_ram_without_psutil(tmp_path: Path) -> None:
    from willitrun.hardware.cpu import detect_cpu, detect_ram

    write(tmp_path, {"/proc/cpuinfo": (FIXTURES / "cpuinfo-zen4.txt").read_text(encoding="utf-8")})
    write(tmp_path, {"/proc/meminfo": "MemTotal:       65536000 kB\nMemFree:  1000 kB\nMemAvailable:   60000000 kB\n"})
    cpu, _ = detect_cpu(probe(tmp_path))
    assert (cpu.cores, cpu.threads) == (1, 1)  # the fixture lists one processor entry
    assert detect_ram(probe(tmp_path))[:2] == (65536000 * 1024, 60000000 * 1024)
    many = "".join(f"processor : {i}\nphysical id : 0\ncore id : {i // 2}\n\n" for i in range(16))
    write(tmp_path, {"/proc/cpuinfo": many})
    cpu, _ = detect_cpu(probe(tmp_path))
    assert (cpu.cores, cpu.threads) == (8, 16)


def test_installed_backends_from_their_runtimes(tmp_path: Path) -> None:
    from willitrun.hardware.backends import installed_backends

    def names(p: Probe) -> list[str]:
        return [b.name for b in installed_backends(p)]

    assert names(probe(tmp_path)) == ["cpu"]
    write(
        tmp_path,
        {
            "/usr/lib/x86_64-linux-gnu/libcuda.so.1": "",
            "/usr/lib/x86_64-linux-gnu/libvulkan.so.1": "",
            "/usr/share/vulkan/icd.d/nvidia_icd.json": "{}",
        },
    )
    found = installed_backends(probe(tmp_path))
    assert [b.name for b in found] == ["cuda", "vulkan", "cpu"]
    assert "libcuda.so.1" in found[0].how and "1 driver(s)" in found[1].how
    write(tmp_path, {"/dev/kfd": "", "/opt/rocm/bin/.keep": ""})
    assert names(probe(tmp_path)) == ["cuda", "rocm", "vulkan", "cpu"]
    # a Vulkan loader with no driver behind it runs nothing
    bare = tmp_path / "bare"
    write(bare, {"/usr/lib64/libvulkan.so.1": ""})
    assert names(probe(bare)) == ["cpu"]
    assert names(probe(bare, platform="darwin")) == ["metal", "cpu"]
    win = tmp_path / "win"
    write(win, {"/Windows/System32/nvcuda.dll": "", "/Windows/System32/vulkan-1.dll": ""})
    p = replace(probe(win, platform="win32"), env={"SystemRoot": "/Windows"})
    assert names(p) == ["cuda", "vulkan", "cpu"]


def test_detect_lists_backends(run: Callable[..., Result]) -> None:
    d = run("detect", "--json").json()
    assert d["backends"][-1] == {"name": "cpu", "how": "always"}
    assert "Backends llama.cpp can use here:" in run("detect").out


def test_check_json_says_how_the_ram_bandwidth_is_known(run: Callable[..., Result]) -> None:
    hw = run("check", "llama3-8b", "--json").json()["hardware"]
    assert hw["ram_bandwidth_gbps"] == 60.0 and hw["ram_bandwidth_how"] == "assumed"  # the fixture machine's
    given = run("check", "llama3-8b", "--ram-bandwidth", "31", "--json").json()["hardware"]
    assert given["ram_bandwidth_gbps"] == 31 and given["ram_bandwidth_how"] == "given"
