"""Measured results (data/benchmarks.yaml): shown beside estimates under `measured`, never blended into them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from willitrun.catalog.entry import Entry
from willitrun.catalog.load import Catalog, cached_records, data_dir, revive
from willitrun.errors import CatalogError
from willitrun.estimate.types import Machine, Record


@dataclass(frozen=True, eq=False, repr=False)
class Measured(Record):
    model: str
    gpu: str
    count: int
    quant: str
    test: str
    metric: str  # tg | pp
    tokens_per_s: float
    hardware: str
    source: str


def _build(path: str, raw: Any) -> dict[str, list[Any]]:
    if not isinstance(raw, dict) or not isinstance(raw.get("measured"), list):
        raise CatalogError(f"{path}: must be a mapping with a 'measured:' list")
    out: list[Measured] = []
    for i, r in enumerate(raw["measured"]):
        e = Entry(path, "measured", i, r)
        metric = e.str_("metric", required=True)
        if metric not in ("tg", "pp"):
            raise e.fail("metric", f"must be tg or pp, not {metric!r}")
        out.append(
            Measured(
                model=e.str_("model", required=True),
                gpu=e.str_("gpu", required=True),
                count=e.int_("count", default=1, lo=1, hi=64) or 1,
                quant=e.str_("quant", required=True),
                test=e.str_("test", required=True),
                metric=metric or "tg",
                tokens_per_s=e.num("tokens_per_s", required=True, lo=0.001, hi=1e7),
                hardware=e.str_("hardware") or "",
                source=e.str_("source", required=True),
            )
        )
    return {"measured": out}


def load_measured(path: Path | None = None, model_id: str | None = None) -> list[Measured]:
    """Every measured row, or only one model's (filtered before the rows become objects: start-up matters)."""
    p = path or data_dir() / "benchmarks.yaml"
    rows = cached_records(p, "measured", lambda raw: _build(str(p), raw))["measured"]
    if model_id is not None:
        rows = [r for r in rows if (r.get("model") if isinstance(r, dict) else r.model) == model_id]
    return revive(Measured, rows)


def matching(rows: list[Measured], model_id: str, machine: Machine) -> dict[str, list[Measured]]:
    """Rows for this model on exactly this machine's GPUs (same catalog GPU, same count), by quantization."""
    ids = {d.catalog_id for d in machine.devices}
    if len(ids) != 1 or None in ids:
        return {}
    (gid,) = ids
    out: dict[str, list[Measured]] = {}
    for r in rows:
        if r.model == model_id and r.gpu == gid and r.count == len(machine.devices):
            out.setdefault(r.quant, []).append(r)
    return out


def check_ids(rows: list[Measured], cat: Catalog) -> list[str]:
    """Rows naming a model or GPU the catalog lacks (for the catalog tests)."""
    models = {m.id for m in cat.models}
    gpus = {g.id for g in cat.gpus}
    return [f"{r.model} on {r.gpu}" for r in rows if r.model not in models or r.gpu not in gpus]
