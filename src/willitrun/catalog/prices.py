"""Dated, sourced price tables (data/prices.yaml): cloud GPU rental, hosted APIs for open models, electricity."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from willitrun.catalog.load import _Entry, cached_records, data_dir, revive
from willitrun.catalog.types import GpuSpec
from willitrun.errors import BadValueError, CatalogError


@dataclass(frozen=True)
class CloudPrice:
    gpu: str
    provider: str
    usd_per_hour: float
    kind: str
    date: str
    source: str


@dataclass(frozen=True)
class ApiPrice:
    model: str
    provider: str
    usd_per_m_input: float
    usd_per_m_output: float
    date: str
    source: str


@dataclass(frozen=True)
class Electricity:
    region: str
    usd_per_kwh: float
    date: str
    source: str


def _build(path: str, raw: Any) -> dict[str, list[Any]]:
    if not isinstance(raw, dict):
        raise CatalogError(f"{path}: must be a mapping with cloud_gpus, apis and electricity lists")
    cloud, apis, power = [], [], []
    for i, r in enumerate(raw.get("cloud_gpus") or []):
        e = _Entry(path, "cloud_gpus", i, r)
        cloud.append(
            CloudPrice(
                gpu=e.str_("gpu", required=True) or "",
                provider=e.str_("provider", required=True) or "",
                usd_per_hour=e.num("usd_per_hour", required=True, lo=0.001, hi=10000) or 0.0,
                kind=e.str_("kind") or "on-demand",
                date=e.date("date") or "",
                source=e.str_("source", required=True) or "",
            )
        )
    for i, r in enumerate(raw.get("apis") or []):
        e = _Entry(path, "apis", i, r)
        apis.append(
            ApiPrice(
                model=e.str_("model", required=True) or "",
                provider=e.str_("provider", required=True) or "",
                usd_per_m_input=e.num("usd_per_m_input", required=True, lo=0, hi=10000) or 0.0,
                usd_per_m_output=e.num("usd_per_m_output", required=True, lo=0, hi=10000) or 0.0,
                date=e.date("date") or "",
                source=e.str_("source", required=True) or "",
            )
        )
    for i, r in enumerate(raw.get("electricity") or []):
        e = _Entry(path, "electricity", i, r)
        power.append(
            Electricity(
                region=e.str_("region", required=True) or "",
                usd_per_kwh=e.num("usd_per_kwh", required=True, lo=0.001, hi=10) or 0.0,
                date=e.date("date") or "",
                source=e.str_("source", required=True) or "",
            )
        )
    return {"cloud": cloud, "apis": apis, "electricity": power}


@dataclass(frozen=True)
class Prices:
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
    """The GPUs with the prices of a --prices file applied: `gpus: [{id, price_usd, price_kind, price_date}]`."""
    from dataclasses import replace

    from willitrun.catalog.load import _parse_yaml, _read_bytes

    raw = _parse_yaml(Path(path), _read_bytes(Path(path)))
    rows = raw.get("gpus") if isinstance(raw, dict) else None
    if not isinstance(rows, list):
        raise BadValueError(
            f"{path}: must be a mapping with a 'gpus:' list of {{id, price_usd, price_kind, price_date}}"
        )
    by_id = {g.id: g for g in gpus}
    for i, r in enumerate(rows):
        e = _Entry(path, "price", i, r)
        gid = e.str_("id", required=True) or ""
        if gid not in by_id:
            raise BadValueError(
                f"{path}: price {i + 1} names unknown GPU {gid!r}", "ids as 'willitrun gpus' lists them"
            )
        by_id[gid] = replace(
            by_id[gid],
            price_usd=e.num("price_usd", required=True, lo=1, hi=10_000_000),
            price_kind=e.str_("price_kind") or "street",
            price_date=e.date("price_date") or "given",
        )
    return tuple(by_id.values())
