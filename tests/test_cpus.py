"""The CPU catalog (data/cpus.yaml), --cpu/--threads/--backend on a simulated machine, and the CPU speed terms."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from tests.conftest import Result
from willitrun.catalog.cpus import load_cpus, resolve_cpu
from willitrun.catalog.load import load_catalog
from willitrun.errors import BadValueError, UnknownNameError
from willitrun.estimate.speed import cpu_bandwidth, cpu_matrix_tflops, cpu_tflops
from willitrun.hardware.simulate import build_machine


def test_every_cpu_is_sourced_and_plausible() -> None:
    cpus = load_cpus()
    assert len(cpus) >= 15
    assert len({c.id for c in cpus}) == len(cpus)
    for c in cpus:
        assert c.source.strip(), c.id
        assert 1 <= c.cores <= c.threads <= 512, c.id
        assert 1.0 <= c.clock_ghz <= 6.5, c.id
        assert 5.0 <= c.bandwidth_gbps <= 1000.0, c.id


def test_resolve_by_name_alias_and_id() -> None:
    assert resolve_cpu("Ryzen 9 7950X").id == "ryzen-9-7950x"
    assert resolve_cpu("raspberry pi 5").id == "raspberry-pi-5"
    assert resolve_cpu("AMD Ryzen 9 7950X").id == "ryzen-9-7950x"
    assert resolve_cpu("epyc-9654").cores == 96
    with pytest.raises(UnknownNameError):
        resolve_cpu("Pentium Pro 200")
    # the name the OS reports (lscpu, Task Manager) resolves too, and a 3D V-Cache part is not its plain sibling
    assert resolve_cpu("AMD Ryzen 9 7950X3D 16-Core Processor").id == "ryzen-9-7950x3d"
    assert resolve_cpu("12th Gen Intel(R) Core(TM) i7-12700K").id == "core-i7-12700k"
    assert resolve_cpu("AMD Ryzen 5 5600X 6-Core Processor").id == "ryzen-5-5600x"
    with pytest.raises(UnknownNameError):
        resolve_cpu("Intel(R) Core(TM) i7-14700KF")


def test_common_cpus_are_known() -> None:
    # the desktop, laptop, workstation and server CPUs people name most, across vendors and generations
    names = [
        "Ryzen 5 5600X", "Ryzen 7 5800X", "Ryzen 9 5950X", "Ryzen 5 7600", "Ryzen 7 9800X3D", "Ryzen 9 9950X3D",
        "Ryzen 7 8845HS", "Ryzen AI 9 HX 370", "Threadripper 7980X", "EPYC 7763", "Core i5-12400", "Core i7-13700K",
        "Core i9-13900K", "Core i7-14700K", "Core Ultra 9 285K", "Core Ultra 7 258V", "Core i7-1360P", "Xeon 6980P",
        "Xeon w9-3495X", "Graviton4", "Ampere Altra Q80-30", "Snapdragon X2 Elite",
    ]  # fmt: skip
    assert [n for n in names if _known(n) is None] == []


def _known(name: str) -> str | None:
    try:
        return resolve_cpu(name).id
    except UnknownNameError:
        return None


def test_peak_bandwidth_from_the_memory_configuration() -> None:
    # dual-channel DDR5-5200: 128 bits x 5200 MT/s = 83.2 GB/s; the Pi 5's 32-bit LPDDR4X-4267 = 17.1 GB/s
    assert resolve_cpu("Ryzen 9 7950X").bandwidth_gbps == pytest.approx(83.2)
    assert resolve_cpu("Raspberry Pi 5").bandwidth_gbps == pytest.approx(17.07, abs=0.01)


def test_cpu_option_describes_that_machine() -> None:
    cat = load_catalog()
    m = build_machine(
        cat, gpu="none", vram_gb=None, ram_gb=64, ram_bandwidth_gbps=None, detected=None, cpu_name="7950X", threads=16
    )
    assert m.devices == ()
    assert m.cpu.name == "AMD Ryzen 9 7950X" and m.cpu.use_threads == 16
    assert m.ram_bandwidth_gbps == pytest.approx(83.2)
    assert "CPU catalog" in m.ram_bandwidth_how
    pi = build_machine(
        cat, gpu="none", vram_gb=None, ram_gb=8, ram_bandwidth_gbps=None, detected=None, cpu_name="Raspberry Pi 5"
    )
    assert pi.ram_bandwidth_gbps < 20 and pi.cpu.cores == 4


def test_flat_assumption_says_so() -> None:
    m = build_machine(load_catalog(), gpu="none", vram_gb=None, ram_gb=16, ram_bandwidth_gbps=None, detected=None)
    assert m.ram_bandwidth_how == "assumed"
    assert any("RAM bandwidth unknown" in n for n in m.notes)


def test_threads_scale_compute_and_cap_bandwidth() -> None:
    cat = load_catalog()
    m = build_machine(
        cat, gpu="none", vram_gb=None, ram_gb=64, ram_bandwidth_gbps=None, detected=None, cpu_name="7950X"
    )
    one = replace(m, cpu=replace(m.cpu, use_threads=1))
    assert cpu_tflops(one) == pytest.approx(cpu_tflops(m) / 16)
    assert cpu_bandwidth(one) < cpu_bandwidth(m) == pytest.approx(83.2)
    # hyperthreads add no arithmetic units
    smt = replace(m, cpu=replace(m.cpu, use_threads=32))
    assert cpu_tflops(smt) == pytest.approx(cpu_tflops(m))
    # int8 dot products (AVX512-VNNI) speed up quantized prompt processing, not F16
    assert cpu_matrix_tflops(m, "k") > cpu_matrix_tflops(m, "float") == pytest.approx(cpu_tflops(m))


def test_backend_option() -> None:
    cat = load_catalog()
    m = build_machine(cat, gpu="RTX 3090", vram_gb=None, ram_gb=64, ram_bandwidth_gbps=None, detected=None)
    assert m.devices[0].backend == "cuda"
    vk = build_machine(
        cat, gpu="RTX 3090", vram_gb=None, ram_gb=64, ram_bandwidth_gbps=None, detected=None, backend="vulkan"
    )
    assert vk.devices[0].backend == "vulkan"
    cpu_only = build_machine(
        cat, gpu="RTX 3090", vram_gb=None, ram_gb=64, ram_bandwidth_gbps=None, detected=None, backend="cpu"
    )
    assert cpu_only.devices == ()
    with pytest.raises(BadValueError):
        build_machine(
            cat, gpu="RTX 3090", vram_gb=None, ram_gb=64, ram_bandwidth_gbps=None, detected=None, backend="rocm"
        )
    with pytest.raises(BadValueError):
        build_machine(cat, gpu="RTX 3090", vram_gb=None, ram_gb=64, ram_bandwidth_gbps=None, detected=None, backend="x")


def test_backend_on_compare_best_gpu_and_cost(run: Callable[..., Result]) -> None:
    def speeds(*extra: str) -> list[float | None]:
        r = run("compare", "RTX 3090", "RX 7900 XTX", *extra, "--json")
        assert r.code == 0, r.err
        return [x["tokens_per_s"] for g in r.json()["gpus"] for x in g["runs"]]

    default, vulkan = speeds(), speeds("--backend", "vulkan")
    assert len(default) == len(vulkan) and default != vulkan  # the 3090 leaves CUDA, the 7900 XTX ROCm
    bad = run("compare", "RTX 3090", "RX 7900 XTX", "--backend", "cuda")
    assert bad.code == 2 and "RX 7900 XTX cannot run it" in bad.err and len(bad.err.strip().splitlines()) == 1
    amd = run("best-gpu", "--budget", "1500", "--backend", "rocm", "--json").json()["options"]
    assert amd and all("AMD" in o["gpu"] or "Radeon" in o["gpu"] or "Instinct" in o["gpu"] for o in amd)
    nope = run("best-gpu", "--budget", "1500", "--backend", "directx")
    assert nope.code == 2 and "--backend 'directx' is not a backend" in nope.err

    def local(*extra: str) -> str:
        r = run("cost", "--model", "llama3.1-8b", "--gpu", "RTX 4090", *extra, "--json")
        assert r.code == 0, r.err
        line: str = r.json()["options"][0]["detail"]
        return line

    assert local() != local("--backend", "vulkan")


def test_a_cpu_named_as_the_gpu_points_to_cpu(run: Callable[..., Result]) -> None:
    """--gpu "Snapdragon X Elite" is a processor: say so and how to ask for it, one line, exit 2."""
    r = run("check", "llama3-8b", "--gpu", "Snapdragon X Elite")
    assert r.code == 2 and len(r.err.strip().splitlines()) == 1
    assert "is a CPU (Qualcomm Snapdragon X Elite X1E-78-100)" in r.err
    assert "--gpu none --cpu 'Qualcomm Snapdragon X Elite X1E-78-100'" in r.err
    following = run("check", "llama3-8b", "--gpu", "none", "--cpu", "Qualcomm Snapdragon X Elite X1E-78-100")
    assert following.code == 0, following.err
    # a name that is neither still gets GPU suggestions
    typo = run("check", "llama3-8b", "--gpu", "RTX 4090x")
    assert typo.code == 2 and "did you mean 'RTX 4090'" in typo.err
