"""Dated, sourced price tables (data/prices.yaml): cloud GPU rental, hosted APIs for open models, electricity."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from willitrun.catalog.entry import Entry
from willitrun.catalog.load import cached_records, data_dir, revive
from willitrun.catalog.types import GpuSpec
from willitrun.errors import BadValueError, CatalogError
from willitrun.estimate.types import Record

if TYPE_CHECKING:
    from willitrun.catalog.market import Market


@dataclass(frozen=True, eq=False, repr=False)
class CloudPrice(Record):
    gpu: str
    provider: str
    usd_per_hour: float
    kind: str
    date: str
    source: str


@dataclass(frozen=True, eq=False, repr=False)
class ApiPrice(Record):
    model: str
    provider: str
    usd_per_m_input: float
    usd_per_m_output: float
    date: str
    source: str


@dataclass(frozen=True, eq=False, repr=False)
class Electricity(Record):
    region: str
    usd_per_kwh: float
    date: str
    source: str


def _build(path: str, raw: Any) -> dict[str, list[Any]]:
    if not isinstance(raw, dict):
        raise CatalogError(f"{path}: must be a mapping with cloud_gpus, apis and electricity lists")
    cloud, apis, power = [], [], []
    for i, r in enumerate(raw.get("cloud_gpus") or []):
        e = Entry(path, "cloud_gpus", i, r)
        cloud.append(
            CloudPrice(
                gpu=e.str_("gpu", required=True),
                provider=e.str_("provider", required=True),
                usd_per_hour=e.num("usd_per_hour", required=True, lo=0.001, hi=10000),
                kind=e.str_("kind") or "on-demand",
                date=e.date("date") or "",
                source=e.str_("source", required=True),
            )
        )
    for i, r in enumerate(raw.get("apis") or []):
        e = Entry(path, "apis", i, r)
        apis.append(
            ApiPrice(
                model=e.str_("model", required=True),
                provider=e.str_("provider", required=True),
                usd_per_m_input=e.num("usd_per_m_input", required=True, lo=0, hi=10000),
                usd_per_m_output=e.num("usd_per_m_output", required=True, lo=0, hi=10000),
                date=e.date("date") or "",
                source=e.str_("source", required=True),
            )
        )
    for i, r in enumerate(raw.get("electricity") or []):
        e = Entry(path, "electricity", i, r)
        power.append(
            Electricity(
                region=e.str_("region", required=True),
                usd_per_kwh=e.num("usd_per_kwh", required=True, lo=0.001, hi=10),
                date=e.date("date") or "",
                source=e.str_("source", required=True),
            )
        )
    return {"cloud": cloud, "apis": apis, "electricity": power}


@dataclass(frozen=True, eq=False, repr=False)
class Prices(Record):
    cloud: tuple[CloudPrice, ...]
    apis: tuple[ApiPrice, ...]
    electricity: tuple[Electricity, ...]


def load_prices(path: Path | None = None) -> Prices:
    p = path or data_dir() / "prices.yaml"
    doc = cached_records(p, "prices", lambda raw: _build(str(p), raw))
    return Prices(
        tuple(revive(CloudPrice, doc["cloud"])),
        tuple(revive(ApiPrice, doc["apis"])),
        tuple(revive(Electricity, doc["electricity"])),
    )


def apply_price_file(gpus: tuple[GpuSpec, ...], path: str) -> tuple[GpuSpec, ...]:
    """The GPUs with the prices of a --prices file applied:
    `gpus: [{id, price_usd, price_kind, price_date, used_price_usd, used_price_date, source}]`.
    A row gives a new price (price_kind street/msrp), a used one (price_kind used, or used_price_usd), or both."""
    from dataclasses import replace

    from willitrun.catalog.entry import read_yaml

    raw = read_yaml(Path(path))
    rows = raw.get("gpus") if isinstance(raw, dict) else None
    if not isinstance(rows, list):
        raise BadValueError(
            f"{path}: must be a mapping with a 'gpus:' list of {{id, price_usd, price_kind, price_date}}"
        )
    by_id = {g.id: g for g in gpus}
    for i, r in enumerate(rows):
        e = Entry(path, "price", i, r)
        gid = e.str_("id", required=True)
        if gid not in by_id:
            raise BadValueError(
                f"{path}: price {i + 1} names unknown GPU {gid!r}", "ids as 'willitrun gpus' lists them"
            )
        src = e.str_("source") or path
        kind = e.str_("price_kind") or "street"
        if kind not in ("street", "used", "msrp"):
            raise BadValueError(f"{path}: price {i + 1}: price_kind must be street, used or msrp")
        usd = e.num("price_usd", lo=1, hi=10_000_000)
        date = e.date("price_date") or "given"
        used = e.num("used_price_usd", lo=1, hi=10_000_000)
        if usd is None and used is None:
            raise BadValueError(f"{path}: price {i + 1} needs price_usd or used_price_usd")
        g = by_id[gid]
        if usd is not None and kind == "used":
            g = replace(g, used_price_usd=usd, used_price_date=date, used_price_source=src, used_refurbished=False)
        elif usd is not None:
            g = replace(g, price_usd=usd, price_kind=kind, price_date=date, price_source=src)
        if used is not None:
            g = replace(
                g,
                used_price_usd=used,
                used_price_date=e.date("used_price_date") or date,
                used_price_source=src,
                used_refurbished=False,
            )
        by_id[gid] = g
    return tuple(by_id.values())


# --- street and used prices (data/street_prices.yaml) -------------------------------------------------------

MARKET_KEYS = frozenset({"street", "used", "variants", "cooling", "form", "cuda_until"})
STALE_DAYS = 365  # a price older than this is marked stale wherever it is shown


@dataclass(frozen=True, eq=False, repr=False)
class MarketPrice(Record):
    gpu: str
    kind: str  # "street" or "used"
    usd: float
    date: str
    source: str
    memory_gib: float = 0.0  # a memory configuration other than the entry's own (0: the entry's)
    refurbished: bool = False  # a used price for a refurbished unit sold with the refurbisher's warranty


@dataclass(frozen=True, eq=False, repr=False)
class MarketFacts(Record):
    gpu: str
    cooling: str | None
    form: str | None
    cuda_until: str | None


def build_market(path: str, raw: Any) -> dict[str, list[Any]]:
    if not isinstance(raw, dict) or not isinstance(raw.get("gpus"), dict):
        raise CatalogError(f"{path}: must be a mapping with 'sources' and a 'gpus' mapping of id -> prices")
    sources = raw.get("sources") or {}
    if not isinstance(sources, dict):
        raise CatalogError(f"{path}: 'sources' must map keys to URLs")
    prices: list[MarketPrice] = []
    facts: list[MarketFacts] = []
    for gid, r in raw["gpus"].items():
        e = Entry(path, "gpu", 0, r if isinstance(r, dict) else {})
        if not isinstance(r, dict):
            raise CatalogError(f"{path}: gpu {gid}: must be a mapping")
        unknown = set(r) - MARKET_KEYS
        if unknown:
            raise CatalogError(f"{path}: gpu {gid}: unknown field {sorted(unknown)[0]!r}")
        prices += _market_prices(path, str(gid), r, sources, 0.0)
        variants = r.get("variants") or []
        if not isinstance(variants, list):
            raise CatalogError(f"{path}: gpu {gid}: variants must be a list of {{memory_gib, street, used}}")
        for i, v in enumerate(variants):
            ve = Entry(path, f"{gid} variant", i, v)
            mem = ve.num("memory_gib", required=True, lo=1, hi=100_000)
            if set(v) - {"memory_gib", "street", "used"}:
                raise ve.fail(sorted(set(v) - {"memory_gib", "street", "used"})[0], "is not a variant field")
            prices += _market_prices(path, str(gid), v, sources, mem)
        cooling, form = e.str_("cooling"), e.str_("form")
        if cooling not in (None, "passive") or form not in (None, "sxm"):
            raise CatalogError(f"{path}: gpu {gid}: cooling may be 'passive', form 'sxm'")
        cuda = r.get("cuda_until")
        if cooling or form or cuda is not None:
            facts.append(MarketFacts(str(gid), cooling, form, None if cuda is None else str(cuda)))
    return {"prices": prices, "facts": facts}


def _market_prices(path: str, gid: str, r: dict[str, Any], sources: Any, memory_gib: float) -> list[MarketPrice]:
    """The street and used prices of one entry (or of one of its memory configurations)."""
    out: list[MarketPrice] = []
    for kind in ("street", "used"):
        p = r.get(kind)
        if p is None:
            continue
        pe = Entry(path, f"{gid} {kind}", 0, p)
        if not isinstance(p, dict):
            raise CatalogError(f"{path}: gpu {gid}: {kind} must be a mapping of usd, date and source")
        allowed = {"usd", "date", "source"} | ({"refurbished"} if kind == "used" and not memory_gib else set())
        if set(p) - allowed:
            raise pe.fail(sorted(set(p) - allowed)[0], f"is not a field of a {kind} price here")
        src = pe.str_("source", required=True)
        date = pe.date("date")
        if not date:
            raise CatalogError(f"{path}: gpu {gid}: {kind} needs a date")
        usd = pe.num("usd", required=True, lo=1, hi=10_000_000)
        refurbished = p.get("refurbished", False)
        if not isinstance(refurbished, bool):
            raise pe.fail("refurbished", "must be true or false")
        out.append(MarketPrice(gid, kind, usd, date, str(sources.get(src, src)), memory_gib, refurbished))
    return out


def load_market(path: Path | None = None) -> Market:
    """Each GPU's street/used prices and buying facts, by id (see catalog.market)."""
    from willitrun.catalog.market import load_market as load

    return load(path)


def is_stale(date: str | None, today: str | None = None) -> bool:
    """A price dated more than STALE_DAYS before today (dates may be YYYY-MM or YYYY-MM-DD)."""
    import datetime as dt

    if not date or not date[:4].isdigit():
        return False
    parts = [int(x) for x in date.split("-")[:3]] + [1, 1]
    try:
        d = dt.date(parts[0], parts[1], parts[2])
        now = dt.date.fromisoformat(today) if today else dt.date.today()
    except ValueError:
        return False
    return (now - d).days > STALE_DAYS
