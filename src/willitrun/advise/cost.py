"""`willitrun cost`: running a model locally versus renting a cloud GPU versus paying an API, per month.

All three are priced for the same work: `tokens_per_day` generated (output) tokens and `input_tokens_per_day`
prompt (input) tokens. Local: the hardware's price spread over `years`, plus electricity: the hours the GPUs
work (prompt tokens over the estimated prefill speed plus generated tokens over the decode speed) at typical
draw under load (LOAD_FRACTION of board power, plus the rest of the PC), and the remaining hours the machine is
on (`hours_on` a day) at idle draw. Cloud: the cheapest listed rental of a GPU the model fits, paid for the same
working hours. API: the cheapest listed price for the model, input and output tokens priced apart.
Every price keeps its date and source.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from willitrun.advise.best_gpu import DEFAULT_HEADROOM, Config
from willitrun.advise.rank import quick_option
from willitrun.catalog.prices import ApiPrice, Prices, is_stale
from willitrun.catalog.types import GpuSpec
from willitrun.errors import BadValueError
from willitrun.estimate.types import Headroom, ModelSpec, Option, Record

if TYPE_CHECKING:
    from willitrun.catalog.load import Catalog
    from willitrun.estimate.types import Machine

SYSTEM_OVERHEAD_W = 100.0  # the rest of the PC (CPU, board, fans, PSU losses) while the GPU works
SYSTEM_IDLE_W = 50.0  # the rest of the PC at idle
GPU_IDLE_W = 20.0  # one discrete GPU at idle with the model loaded (assumed; measure with nvidia-smi)
# Token generation is limited by memory bandwidth, not compute, so cards draw well under their board power;
# an assumption, stated in the output, that --load-fraction changes.
LOAD_FRACTION = 0.7
DAYS_PER_MONTH = 30.4
DEFAULT_INPUT_RATIO = 3.0  # prompt tokens per generated token (chat with history); --input-tokens-per-day


@dataclass(frozen=True, eq=False, repr=False)
class Line(Record):
    what: str
    usd_per_month: float
    usd_per_m_tokens: float
    detail: str
    source: str


@dataclass(frozen=True, eq=False, repr=False)
class Work(Record):
    """A day's tokens and what the machine is on for."""

    output_tokens: float
    input_tokens: float
    hours_on: float = 24.0
    load_fraction: float = LOAD_FRACTION

    def hours(self, o: Option) -> tuple[float, float]:
        """(hours generating, hours reading prompts) a day on this option."""
        gen = self.output_tokens / (o.tokens_per_s or 1) / 3600
        pp = self.input_tokens / o.prefill_tokens_per_s / 3600 if o.prefill_tokens_per_s else 0.0
        return gen, pp


def _per_m(monthly: float, tokens_per_day: float) -> float:
    """USD per million generated tokens."""
    return monthly / (tokens_per_day * DAYS_PER_MONTH / 1e6) if tokens_per_day > 0 else 0.0


def _local_line(model: ModelSpec, local: Config, work: Work, o: Option, kwh_usd: float, years: float) -> Line:
    gen_h, pp_h = work.hours(o)
    busy = gen_h + pp_h
    boxes = max(1, math.ceil(busy / 24))
    n = local.count * boxes
    board = local.power_w or 300.0
    load_w = board * boxes * work.load_fraction + SYSTEM_OVERHEAD_W * boxes
    idle_w = (GPU_IDLE_W * n if local.gpu.kind == "gpu" else 0.0) + SYSTEM_IDLE_W * boxes
    idle_h = max(0.0, work.hours_on - busy / boxes) if boxes == 1 else 0.0
    kwh_day = (load_w * busy / boxes + idle_w * idle_h) / 1000
    power = kwh_day * kwh_usd * DAYS_PER_MONTH
    hw = local.price_usd * boxes / (years * 12)
    monthly = hw + power
    owned = f"{boxes} x ${local.price_usd:,.0f}" if boxes > 1 else f"${local.price_usd:,.0f}"
    return Line(
        f"local: {local.label}" + (f" (x{boxes} to keep up)" if boxes > 1 else ""),
        monthly,
        _per_m(monthly, work.output_tokens),
        f"{owned} over {years:g} years (${hw:,.0f}/month); busy {busy:.1f} h/day ({pp_h:.1f} h reading "
        f"{work.input_tokens:,.0f} prompt tokens at {o.prefill_tokens_per_s or 0:,.0f} tok/s, {gen_h:.1f} h "
        f"generating at {o.tokens_per_s or 0:.0f} tok/s) at about {load_w:.0f} W "
        f"({work.load_fraction:.0%} of {board:.0f} W board power + {SYSTEM_OVERHEAD_W:.0f} W for the PC), "
        f"idle {idle_h:.1f} h/day at {idle_w:.0f} W (on {work.hours_on:g} h/day): {kwh_day:.1f} kWh/day, "
        f"${power:,.2f}/month; {o.verdict}",
        f"{local.price_kind} price {local.price_date}"
        + (" (stale: over a year old)" if is_stale(local.price_date) else "")
        + (f" ({local.price_source})" if local.price_source else ""),
    )


def _cheapest_cloud(
    model: ModelSpec, gpus: dict[str, GpuSpec], prices: Prices, work: Work, quant: str, ctx: int
) -> Line | None:
    """The cheapest listed rental of one GPU that holds the model, paid for the hours the work takes."""
    best: Line | None = None
    for c in prices.cloud:
        g = gpus.get(c.gpu)
        if g is None:
            continue
        cfg = Config(g, 1, g.memory_gib, 0.0, "", "")
        o = quick_option(model, cfg.machine(), quant, min(ctx, model.context_max))
        if o.verdict != "gpu" or not o.tokens_per_s:
            continue
        gen_h, pp_h = work.hours(o)
        monthly = (gen_h + pp_h) * c.usd_per_hour * DAYS_PER_MONTH
        line = Line(
            f"cloud: {g.name} ({c.provider})",
            monthly,
            _per_m(monthly, work.output_tokens),
            f"${c.usd_per_hour:.2f}/h ({c.kind}) x {gen_h + pp_h:.1f} h/day ({pp_h:.1f} h prompts at "
            f"{o.prefill_tokens_per_s or 0:,.0f} tok/s, {gen_h:.1f} h generating at {o.tokens_per_s:.0f} tok/s)",
            f"{c.source} ({c.date})",
        )
        if best is None or line.usd_per_month < best.usd_per_month:
            best = line
    return best


def _cheapest_api(model: ModelSpec, prices: Prices, work: Work) -> Line | None:
    """The cheapest listed API for the model, input and output tokens priced apart."""
    apis = [a for a in prices.apis if a.model == model.id]
    if not apis:
        return None

    def daily(a: ApiPrice) -> float:
        return (a.usd_per_m_input * work.input_tokens + a.usd_per_m_output * work.output_tokens) / 1e6

    a = min(apis, key=daily)
    monthly = daily(a) * DAYS_PER_MONTH
    return Line(
        f"API: {a.provider}",
        monthly,
        _per_m(monthly, work.output_tokens),
        f"{work.input_tokens:,.0f} input tokens/day at ${a.usd_per_m_input:g}/M + "
        f"{work.output_tokens:,.0f} output tokens/day at ${a.usd_per_m_output:g}/M",
        f"{a.source} ({a.date})",
    )


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
    input_tokens_per_day: float | None = None,
    hours_on: float = 24.0,
    load_fraction: float = LOAD_FRACTION,
    setup: Headroom = DEFAULT_HEADROOM,
) -> tuple[list[Line], list[str]]:
    work = Work(
        tokens_per_day,
        tokens_per_day * DEFAULT_INPUT_RATIO if input_tokens_per_day is None else input_tokens_per_day,
        hours_on,
        load_fraction,
    )
    lines: list[Line] = []
    notes: list[str] = []
    if local is not None:
        o = quick_option(model, local.machine(setup), quant, min(ctx, model.context_max))
        if o.verdict == "no" or not o.tokens_per_s:
            notes.append(f"{model.name} {quant} does not run on {local.label}")
        else:
            lines.append(_local_line(model, local, work, o, kwh_usd, years))
            gen_h, pp_h = work.hours(o)
            if gen_h + pp_h > 24:
                notes.append(
                    f"{tokens_per_day:,.0f} tokens a day at one stream's {o.tokens_per_s:.0f} tok/s take "
                    f"{gen_h + pp_h:.0f} GPU-hours: batched serving (llama-server -np N, vLLM) multiplies "
                    "throughput and cuts this"
                )
    cloud = _cheapest_cloud(model, gpus, prices, work, quant, ctx)
    if cloud is not None:
        lines.append(cloud)
    else:
        notes.append("no listed cloud GPU holds this model on one card")
    api = _cheapest_api(model, prices, work)
    if api is not None:
        lines.append(api)
    else:
        notes.append(f"no listed API price for {model.id}")
    return lines, notes


def break_even_months(hardware_usd: float, local_running: float, other_monthly: float) -> float | None:
    """Months until owning beats renting/paying: hardware price over the monthly saving (None if never)."""
    saving = other_monthly - local_running
    return hardware_usd / saving if saving > 0 else None


@dataclass(frozen=True, eq=False, repr=False)
class CostReport(Record):
    model: ModelSpec
    tokens_per_day: float
    input_tokens_per_day: float
    local: Config | None
    lines: tuple[Line, ...]  # local first (when there is local hardware), then cloud, then API
    break_even: float | None  # months until owning beats the cheapest alternative
    notes: tuple[str, ...]


def config_of(g: GpuSpec, count: int, memory_gib: float) -> Config | None:
    """A priced purchase of `count` of this GPU at the lowest dated price known (new or used), or None."""
    offers = []
    if g.price_usd:
        offers.append((g.price_usd, g.price_kind or "", g.price_date or "", g.price_source or ""))
    if g.used_price_usd:
        offers.append((g.used_price_usd, "used", g.used_price_date or "", g.used_price_source or ""))
    if not offers:
        return None
    usd, kind, date, src = min(offers)
    return Config(g, count, memory_gib, usd * count, kind, date, src)


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
    input_tokens_per_day: float | None = None,
    hours_on: float = 24.0,
    load_fraction: float = LOAD_FRACTION,
    setup: Headroom = DEFAULT_HEADROOM,
) -> CostReport:
    """Local (on `local`, set up as `setup` says), the cheapest cloud GPU and the cheapest API, on like terms."""
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
        input_tokens_per_day=input_tokens_per_day,
        hours_on=hours_on,
        load_fraction=load_fraction,
        setup=setup,
    )
    if input_tokens_per_day is None:
        notes.append(
            f"prompt tokens assumed {DEFAULT_INPUT_RATIO:g}x the generated ones "
            f"({tokens_per_day * DEFAULT_INPUT_RATIO:,.0f} a day, chat with history); set --input-tokens-per-day"
        )
    notes.append(
        f"local power assumes {load_fraction:.0%} of board power while working (--load-fraction) and "
        f"{GPU_IDLE_W:g} W per GPU + {SYSTEM_IDLE_W:g} W for the PC at idle, on {hours_on:g} h a day (--hours-on)"
    )
    be = None
    if local is not None and lines and lines[0].what.startswith("local"):
        running = lines[0].usd_per_month - local.price_usd / (years * 12)
        others = [x.usd_per_month for x in lines[1:]]
        if others:
            be = break_even_months(local.price_usd, running, min(others))
    inputs = tokens_per_day * DEFAULT_INPUT_RATIO if input_tokens_per_day is None else input_tokens_per_day
    return CostReport(model, tokens_per_day, inputs, local, tuple(lines), be, (*notes, *more))
