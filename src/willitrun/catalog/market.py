"""Street and used prices (data/street_prices.yaml) merged into the GPU entries as they are read.

Every GPU the catalog hands out goes through here, `check` included, so this module stays small: the rows come
back from the catalog cache as plain dicts, and the validating parser (catalog.prices) is imported only when the
file has changed and must be parsed again.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from willitrun.catalog.load import cached_records, data_dir
from willitrun.catalog.types import GpuSpec

# id -> (prices as {kind, usd, date, source}, buying facts as {cooling, form, cuda_until} or None)
Market = dict[str, tuple[list[dict[str, Any]], dict[str, Any] | None]]


def _fields(rec: Any) -> dict[str, Any]:
    return rec if isinstance(rec, dict) else dict(rec.__dict__)


def load_market(path: Path | None = None) -> Market:
    """Each GPU's street/used prices and buying facts, by id."""
    p = path or data_dir() / "street_prices.yaml"

    def build(raw: Any) -> dict[str, list[Any]]:
        from willitrun.catalog.prices import build_market

        return build_market(str(p), raw)

    doc = cached_records(p, "market", build)
    out: Market = {}
    for row in doc["prices"]:
        mp = _fields(row)
        out.setdefault(mp["gpu"], ([], None))[0].append(mp)
    for row in doc["facts"]:
        f = _fields(row)
        out[f["gpu"]] = (out.get(f["gpu"], ([], None))[0], f)
    return out


def _variant_prices(g: GpuSpec, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The other memory configurations' prices with street_prices.yaml's applied: a newer street price replaces
    a configuration's new price (a list price always), a used one is added beside it; with their sources."""
    table = {(mem, kind == "used"): (usd, kind, date) for mem, usd, kind, date in g.prices}
    sources = {(mem, kind): src for mem, kind, src in g.price_sources}
    for mp in rows:
        mem, used = float(mp["memory_gib"]), mp["kind"] == "used"
        old = table.get((mem, used))
        if old is None or mp["date"] >= old[2] or old[1] == "msrp":
            table[(mem, used)] = (mp["usd"], mp["kind"], mp["date"])
            sources[(mem, mp["kind"])] = mp["source"]
    rows_out = tuple(sorted((mem, usd, kind, date) for (mem, _), (usd, kind, date) in table.items()))
    return {"prices": rows_out, "price_sources": tuple(sorted((m, k, s) for (m, k), s in sources.items()))}


def merge_market(g: GpuSpec, market: Market) -> GpuSpec:
    """The entry with its street price (when newer than its own) and used price applied, and its buying facts.
    The launch MSRP stays in launch_price_usd."""
    prices, facts = market.get(g.id, ([], None))
    changes: dict[str, Any] = {"price_source": "gpus.yaml" if g.price_usd else ""}
    variants = [mp for mp in prices if mp.get("memory_gib") and mp["memory_gib"] != g.memory_gib]
    if variants:
        changes |= _variant_prices(g, variants)
    for mp in prices:
        if mp in variants:
            continue
        kind, usd, date, source = mp["kind"], mp["usd"], mp["date"], mp["source"]
        if kind == "street" and (not g.price_date or date >= g.price_date or g.price_kind == "msrp"):
            changes |= {"price_usd": usd, "price_kind": "street", "price_date": date, "price_source": source}
        if kind == "used" and (not g.used_price_date or date >= g.used_price_date):
            changes |= {"used_price_usd": usd, "used_price_date": date, "used_price_source": source}
            changes["used_refurbished"] = bool(mp.get("refurbished", False))
    if g.used_price_usd and "used_price_source" not in changes and not g.used_price_source:
        changes["used_price_source"] = "gpus.yaml"
    if facts is not None:
        changes |= {"cooling": facts["cooling"], "form": facts["form"], "cuda_until": facts["cuda_until"]}
    return replace(g, **changes)
