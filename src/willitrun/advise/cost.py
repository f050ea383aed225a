"""`willitrun cost`: running a model locally versus renting a cloud GPU versus paying an API, per month.

Local: the hardware's price spread over `years`, plus electricity for the hours the GPUs work (the tokens a day
over the estimated speed) at board power plus 100 W for the rest of the PC. Cloud: the cheapest listed rental
of a GPU the model fits, paid for the same working hours. API: the cheapest listed price for the model, with
`input_ratio` prompt tokens per generated token (chat-like use). Every price keeps its date and source.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from willitrun.advise.best_gpu import Config
from willitrun.advise.rank import quick_option
from willitrun.catalog.prices import ApiPrice, Prices
from willitrun.catalog.types import GpuSpec
from willitrun.errors import BadValueError
from willitrun.estimate.types import ModelSpec

if TYPE_CHECKING:
    from willitrun.catalog.load import Catalog
    from willitrun.estimate.types import Machine

SYSTEM_OVERHEAD_W = 100.0
DAYS_PER_MONTH = 30.4


@dataclass(frozen=True)
class Line:
    what: str
    usd_per_month: float
    usd_per_m_tokens: float
    detail: str
    source: str


def _per_m(monthly: float, tokens_per_day: float) -> float:
    return monthly / (tokens_per_day * DAYS_PER_MONTH / 1e6) if tokens_per_day > 0 else 0.0


def cost(
    model: ModelSpec,
    local: Config | None,
    gpus: dict[str, GpuSpec],
    prices: Prices,
    *,
    tokens_per_day: float,
    kwh_usd: float,
    years: float,
    quant: str = "Q4_K_M",
    ctx: int = 8192,
    input_ratio: float = 3.0,
) -> tuple[list[Line], list[str]]:
    lines: list[Line] = []
    notes: list[str] = []
    if local is not None:
        o = quick_option(model, local.machine(), quant, min(ctx, model.context_max))
        if o.verdict == "no" or not o.tokens_per_s:
            notes.append(f"{model.name} {quant} does not run on {local.label}")
        else:
            hours = tokens_per_day / o.tokens_per_s / 3600
            boxes = max(1, math.ceil(hours / 24))
            watts = (local.power_w or 300.0) + SYSTEM_OVERHEAD_W
            power = watts / 1000 * hours * kwh_usd * DAYS_PER_MONTH
            hw = local.price_usd * boxes / (years * 12)
            monthly = hw + power
            owned = f"{boxes} x ${local.price_usd:,.0f}" if boxes > 1 else f"${local.price_usd:,.0f}"
            lines.append(
                Line(
                    f"local: {local.label}" + (f" (x{boxes} to keep up)" if boxes > 1 else ""),
                    monthly,
                    _per_m(monthly, tokens_per_day),
                    f"{owned} over {years:g} years (${hw:,.0f}/month) + {hours:.1f} h/day at "
                    f"{watts:.0f} W (${power:,.2f}/month); {o.tokens_per_s:.0f} tok/s, {o.verdict}",
                    f"{local.price_kind} price {local.price_date}",
                )
            )
            if boxes > 1:
                notes.append(
                    f"{tokens_per_day:,.0f} tokens a day at one stream's {o.tokens_per_s:.0f} tok/s take {hours:.0f} "
                    "GPU-hours: batched serving (llama-server -np N, vLLM) multiplies throughput and cuts this"
                )
    best_cloud: Line | None = None
    for c in prices.cloud:
        g = gpus.get(c.gpu)
        if g is None:
            continue
        cfg = Config(g, 1, g.memory_gib, 0.0, "", "")
        o = quick_option(model, cfg.machine(), quant, min(ctx, model.context_max))
        if o.verdict != "gpu" or not o.tokens_per_s:
            continue
        hours = tokens_per_day / o.tokens_per_s / 3600
        monthly = hours * c.usd_per_hour * DAYS_PER_MONTH
        line = Line(
            f"cloud: {g.name} ({c.provider})",
            monthly,
            _per_m(monthly, tokens_per_day),
            f"${c.usd_per_hour:.2f}/h ({c.kind}) x {hours:.1f} h/day at {o.tokens_per_s:.0f} tok/s",
            f"{c.source} ({c.date})",
        )
        if best_cloud is None or line.usd_per_month < best_cloud.usd_per_month:
            best_cloud = line
    if best_cloud is not None:
        lines.append(best_cloud)
    else:
        notes.append("no listed cloud GPU holds this model on one card")
    apis = [a for a in prices.apis if a.model == model.id]
    if apis:

        def blended(a: ApiPrice) -> float:
            return (a.usd_per_m_input * input_ratio + a.usd_per_m_output) / (input_ratio + 1)

        a = min(apis, key=blended)
        per_m = blended(a)
        monthly = per_m * tokens_per_day * DAYS_PER_MONTH / 1e6
        lines.append(
            Line(
                f"API: {a.provider}",
                monthly,
                per_m,
                f"${a.usd_per_m_input:g} in / ${a.usd_per_m_output:g} out per M tokens, {input_ratio:g}:1 in:out",
                f"{a.source} ({a.date})",
            )
        )
    else:
        notes.append(f"no listed API price for {model.id}")
    return lines, notes


def break_even_months(hardware_usd: float, local_running: float, other_monthly: float) -> float | None:
    """Months until owning beats renting/paying: hardware price over the monthly saving (None if never)."""
    saving = other_monthly - local_running
    return hardware_usd / saving if saving > 0 else None


@dataclass(frozen=True)
class CostReport:
    model: ModelSpec
    tokens_per_day: float
    local: Config | None
    lines: tuple[Line, ...]  # local first (when there is local hardware), then cloud, then API
    break_even: float | None  # months until owning beats the cheapest alternative
    notes: tuple[str, ...]


def config_of(g: GpuSpec, count: int, memory_gib: float) -> Config | None:
    """A priced purchase of `count` of this GPU, or None without a price."""
    if not g.price_usd:
        return None
    return Config(g, count, memory_gib, g.price_usd * count, g.price_kind or "", g.price_date or "")


def local_config(cat: Catalog, gpus: tuple[GpuSpec, ...], gpu: str | None, detected: Machine | None) -> Config | None:
    """The hardware to price: --gpu (one kind, with a price), else the detected GPUs when they have a price.
    `gpus`: the catalog's GPUs with any --prices applied."""
    from willitrun.catalog.resolve import parse_hardware

    priced = {g.id: g for g in gpus}
    if gpu is not None:
        items = parse_hardware(cat, gpu)
        if len(items) != 1:
            raise BadValueError("--gpu must name one kind of GPU here", "e.g. --gpu '2x RTX 3090'")
        it = items[0]
        cfg = config_of(priced.get(it.gpu.id, it.gpu), it.count, it.memory_gib)
        if cfg is None:
            raise BadValueError(f"{it.gpu.name} has no price in the catalog", "pick another GPU")
        return cfg
    if detected is None:
        return None
    ids = {d.catalog_id for d in detected.devices}
    if len(ids) != 1 or None in ids:
        return None
    gid = str(next(iter(ids)))
    g = priced.get(gid) or cat.gpu(gid)
    return config_of(g, len(detected.devices), g.memory_gib)


def cost_report(
    gpus: tuple[GpuSpec, ...],
    model: ModelSpec,
    local: Config | None,
    prices: Prices,
    *,
    tokens_per_day: float,
    kwh_usd: float | None,
    years: float,
    quant: str,
) -> CostReport:
    notes: list[str] = []
    if local is None:
        notes.append("no priced GPU detected here: name one with --gpu to compare running locally")
    power = kwh_usd
    if power is None:
        us = next((e for e in prices.electricity if e.region == "US"), None)
        power = us.usd_per_kwh if us else 0.17
        notes.append(f"electricity at ${power:g}/kWh ({us.source if us else 'assumed'}); set --kwh")
    lines, more = cost(
        model,
        local,
        {g.id: g for g in gpus},
        prices,
        tokens_per_day=tokens_per_day,
        kwh_usd=power,
        years=years,
        quant=quant,
    )
    be = None
    if local is not None and lines and lines[0].what.startswith("local"):
        running = lines[0].usd_per_month - local.price_usd / (years * 12)
        others = [x.usd_per_month for x in lines[1:]]
        if others:
            be = break_even_months(local.price_usd, running, min(others))
    return CostReport(model, tokens_per_day, local, tuple(lines), be, (*notes, *more))
