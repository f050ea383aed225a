"""`willitrun best-gpu`: hardware within a budget, ranked by what it actually runs.

Configurations are 1 to `max_count` identical discrete GPUs (a price per card times the count) and complete
systems or Apple chips at each memory configuration with a price. New (street or list) and used prices are
weighed together unless `market` says "new" or "used". Without a model they rank by the largest model of a
reference ladder that runs fully on the GPU at a usable speed (Q4_K_M, 8k context), then memory and bandwidth
per dollar; with a model, only configurations that run it fully on the GPU: the fastest first (speeds within
10% count as a tie), then the cheaper. Each option carries the caveats a buyer should know (`caveats`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from willitrun.advise.rank import quick_option
from willitrun.catalog.types import GpuSpec
from willitrun.estimate.types import GIB, Device, Headroom, Machine, ModelSpec, Option, Record
from willitrun.hardware import devices_from_spec, os_reserve_bytes
from willitrun.hardware.simulate import runs_backend, with_backend

# Popular models by size, smallest first: "runs up to X" is the largest of these that fits and is fast enough.
LADDER = (
    "llama3.2-3b",
    "llama3.1-8b",
    "qwen3-14b",
    "mistral-small-24b",
    "qwen3-32b",
    "llama3.3-70b",
    "qwen2.5-72b",
    "mistral-large-2-123b",
    "qwen3-235b-a22b",
    "deepseek-v3",
)
DEFAULT_HEADROOM = Headroom()
HOST_RAM_GIB = 64.0  # RAM of the PC a discrete card goes into (only the CPU-side buffers live there)


@dataclass(frozen=True, eq=False, repr=False)
class Config(Record):
    gpu: GpuSpec
    count: int
    memory_gib: float
    price_usd: float
    price_kind: str
    price_date: str
    price_source: str = ""
    refurbished: bool = False  # a used price for a refurbished unit with the refurbisher's warranty

    @property
    def label(self) -> str:
        mem = f" {self.memory_gib:g}GB" if self.gpu.memory_options_gib else ""
        return f"{self.count}x {self.gpu.name}{mem}" if self.count > 1 else f"{self.gpu.name}{mem}"

    @property
    def vram_bytes(self) -> int:
        return int(self.memory_gib * GIB * self.count)

    @property
    def power_w(self) -> float | None:
        return self.gpu.tdp_w * self.count if self.gpu.tdp_w else None

    def machine(self, headroom: Headroom = DEFAULT_HEADROOM) -> Machine:
        board: tuple[Device, ...] = devices_from_spec(self.gpu, self.memory_gib, headless=headroom.headless)
        if self.gpu.unified_memory:
            ram = int(self.memory_gib * GIB)
            bw = self.gpu.bandwidth_gbps
        else:
            ram = int(HOST_RAM_GIB * GIB)
            bw = 64.0
        devs = board * self.count
        if headroom.backend is not None:
            devs = with_backend(devs, headroom.backend)
        return Machine(devs, ram, ram - os_reserve_bytes(ram), bw, gpu_margin_bytes=headroom.margin_bytes)


@dataclass(frozen=True, eq=False, repr=False)
class Ranked(Record):
    config: Config
    option: Option | None  # the model (or the ladder's largest) on this configuration
    model: ModelSpec | None
    why: str
    caveats: tuple[str, ...] = field(default=())


def configurations(
    gpus: tuple[GpuSpec, ...],
    *,
    budget: float,
    kind: str = "any",
    max_count: int = 4,
    used: bool = False,
    market: str = "any",
) -> list[Config]:
    """Every purchase within budget. market: "any" (new and used), "new" or "used"; `used=True` is "used"."""
    market = "used" if used else market
    out: list[Config] = []
    for g in gpus:
        is_system = g.kind in ("system", "apple") or g.unified_memory
        if (kind == "gpu" and is_system) or (kind == "system" and not is_system) or g.laptop:
            continue
        # (memory, usd, kind, date, source, refurbished)
        priced: list[tuple[float, float, str, str, str, bool]] = []
        if market != "new" and g.used_price_usd and g.used_price_date:
            src = g.used_price_source or ""
            priced.append((g.memory_gib, g.used_price_usd, "used", g.used_price_date, src, g.used_refurbished))
        if market != "used" and g.price_usd and g.price_kind and g.price_date:
            priced.append((g.memory_gib, g.price_usd, g.price_kind, g.price_date, g.price_source or "", False))
        sources = {(m, k): s for m, k, s in g.price_sources}
        for mem, usd, pk, date in g.prices:  # the other memory configurations
            wanted = market == "any" or (market == "used") == (pk == "used")
            if mem != g.memory_gib and wanted:
                priced.append((mem, usd, pk, date, sources.get((mem, pk), "gpus.yaml"), False))
        for mem, usd, pk, date, src, refurb in priced:
            counts = range(1, max_count + 1) if not is_system and g.kind == "gpu" else range(1, 2)
            for n in counts:
                if usd * n <= budget:
                    out.append(Config(g, n, mem, usd * n, pk, date, src, refurbished=refurb))
    return out


def caveats(cfg: Config) -> list[str]:
    """What a buyer should know before acting on this option, from the catalog's facts about the part."""
    from willitrun.catalog.prices import is_stale

    g, n = cfg.gpu, cfg.count
    out: list[str] = []
    if is_stale(cfg.price_date):
        out.append(f"price dated {cfg.price_date} is over a year old (stale): check today's")
    if cfg.price_kind == "used" and cfg.refurbished:
        out.append("refurbished: sold with the refurbisher's warranty; stock of one configuration comes and goes")
    elif cfg.price_kind == "used":
        out.append("used: little or no warranty; test it under load before paying")
    elif cfg.price_kind == "msrp":
        out.append("launch list price, not a price seen in shops: street prices may differ")
    if g.form == "sxm":
        out.append("SXM module: needs a server baseboard, not a PCIe slot")
    if g.cooling == "passive":
        out.append("passive cooling: made for server airflow; a desktop needs a ducted fan on it or it throttles")
    if not g.display and not g.unified_memory and g.kind == "gpu":
        out.append("no display outputs: the screen needs another GPU or the CPU's graphics")
    if g.cuda_until:
        out.append(
            f"CUDA {int(g.cuda_until) + 1} dropped this architecture (CUDA 13.0 release notes): builds stay on "
            f"CUDA {g.cuda_until}.x, and new libraries stop supporting it"
        )
    if g.kind == "gpu" and "cuda" not in g.backends:
        runs_on = ", ".join(b for b in g.backends if b != "cpu") or "vulkan"
        out.append(f"no CUDA: llama.cpp runs on {runs_on}; vLLM and many tools support less")
    if g.tdp_w and g.kind == "gpu":
        total = g.tdp_w * n
        psu = math.ceil((total + 250) / 0.8 / 50) * 50  # + the rest of the PC, with 20% spare
        if n > 1 or g.tdp_w >= 300:
            out.append(
                f"up to {total:.0f} W under load: a power supply of about {psu:,.0f} W, with the connectors for it"
            )
    if n >= 2 and g.kind == "gpu":
        out.append(
            f"{n} cards: {n} spaced x16-size slots (lanes split x8/x8 or x16/x4: fine for inference), "
            "a large case, and their combined heat and noise"
        )
    if n >= 3 and g.kind == "gpu":
        out.append("3 or more cards usually need a workstation or server board, or risers on an open frame")
    return out


def _largest_on_gpu(
    cfg: Config, ladder: list[ModelSpec], min_tps: float, ctx: int, headroom: Headroom
) -> tuple[ModelSpec, Option] | None:
    """Binary search over the ladder (bigger models need more memory and run slower)."""
    machine = cfg.machine(headroom)
    lo, hi, best = 0, len(ladder) - 1, None
    while lo <= hi:
        mid = (lo + hi) // 2
        m = ladder[mid]
        o = quick_option(m, machine, "Q4_K_M", min(ctx, m.context_max))
        if o.verdict == "gpu" and (o.tokens_per_s or 0) >= min_tps:
            best, lo = (m, o), mid + 1
        else:
            hi = mid - 1
    return best


def best_gpu(
    gpus: tuple[GpuSpec, ...],
    ladder: list[ModelSpec],
    *,
    budget: float,
    model: ModelSpec | None = None,
    quant: str = "Q4_K_M",
    ctx: int = 8192,
    min_tps: float | None = None,
    used: bool = False,
    market: str = "any",
    kind: str = "any",
    max_count: int = 4,
    headroom: Headroom = DEFAULT_HEADROOM,
) -> list[Ranked]:
    configs = configurations(gpus, budget=budget, kind=kind, max_count=max_count, used=used, market=market)
    if headroom.backend is not None:  # only hardware that can run the backend asked for
        configs = [c for c in configs if runs_backend(c.gpu.vendor, headroom.backend)]
    ranked: list[Ranked] = []
    if model is None:
        floor = 20.0 if min_tps is None else min_tps
        for cfg in configs:
            got = _largest_on_gpu(cfg, ladder, floor, ctx, headroom)
            if got is None:
                why = f"runs none of the reference models fully on GPU at {floor:g}+ tok/s"
                ranked.append(Ranked(cfg, None, None, why))
                continue
            m, o = got
            per_k = cfg.vram_bytes / GIB / cfg.price_usd * 1000
            why = f"runs {m.id} {quant} on GPU at {o.tokens_per_s or 0:.0f} tok/s; {per_k:.0f} GB per $1000"
            ranked.append(Ranked(cfg, o, m, why))

        def key(r: Ranked) -> tuple[float, float, float, float]:
            size = r.model.params if r.model else 0
            return (
                size,
                r.config.vram_bytes / r.config.price_usd,
                r.config.gpu.bandwidth_gbps * r.config.count / r.config.price_usd,
                -r.config.price_usd,
            )

        ranked.sort(key=key, reverse=True)
        return _with_caveats(_dedupe(ranked))
    floor = 0.0 if min_tps is None else min_tps
    for cfg in configs:
        o = quick_option(model, cfg.machine(headroom), quant, min(ctx, model.context_max))
        if o.verdict != "gpu" or (o.tokens_per_s or 0) < floor:
            continue
        tps = o.tokens_per_s or 0
        why = f"{tps:.0f} tok/s for ${cfg.price_usd:,.0f}: {tps / cfg.price_usd * 1000:.1f} tok/s per $1000"
        ranked.append(Ranked(cfg, o, model, why))

    def speed_then_price(r: Ranked) -> tuple[int, float]:
        tps = r.option.tokens_per_s or 0 if r.option else 0
        tier = int(math.log(max(tps, 0.1)) / math.log(1.1))  # speeds within 10% of each other tie
        return (-tier, r.config.price_usd)

    ranked.sort(key=speed_then_price)
    return _with_caveats(_dedupe(ranked))


def _with_caveats(rows: list[Ranked]) -> list[Ranked]:
    from dataclasses import replace

    return [replace(r, caveats=tuple(caveats(r.config))) for r in rows]


def _dedupe(rows: list[Ranked]) -> list[Ranked]:
    """One row per GPU model (its best count/configuration), keeping the ranking order."""
    seen: set[str] = set()
    out = []
    for r in rows:
        if r.config.gpu.id not in seen:
            seen.add(r.config.gpu.id)
            out.append(r)
    return out
