"""`willitrun cost`: running a model locally versus renting a cloud GPU versus paying an API, per month.

Local: the hardware's price spread over `years`, plus electricity for the hours the GPUs work (the tokens a day
over the estimated speed) at board power plus 100 W for the rest of the PC. Cloud: the cheapest listed rental
of a GPU the model fits, paid for the same working hours. API: the cheapest listed price for the model, with
`input_ratio` prompt tokens per generated token (chat-like use). Every price keeps its date and source.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from willitrun.advise.best_gpu import Config
from willitrun.advise.rank import quick_option
from willitrun.catalog.prices import ApiPrice, Prices
from willitrun.catalog.types import GpuSpec
from willitrun.estimate.types import ModelSpec

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
