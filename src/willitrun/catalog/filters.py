"""Filters for `willitrun models` and `willitrun gpus`: pure functions over catalog entries."""

from __future__ import annotations

from willitrun.catalog.load import GPU_KINDS, USES, VENDORS
from willitrun.catalog.types import GpuSpec
from willitrun.errors import BadValueError
from willitrun.estimate.types import ModelSpec


def _text(query: str | None, *fields: str | None) -> bool:
    if not query:
        return True
    hay = " ".join(f for f in fields if f).casefold()
    return all(word in hay for word in query.casefold().split())


def _check_range(opt: str, v: float | None, lo: float, hi: float) -> None:
    if v is not None and not lo <= v <= hi:
        raise BadValueError(f"{opt} {v:g} is out of range", f"allowed: {lo:g} to {hi:g}")


def filter_models(
    models: tuple[ModelSpec, ...],
    *,
    query: str | None = None,
    family: str | None = None,
    use: str | None = None,
    arch: str | None = None,
    min_params_b: float | None = None,
    max_params_b: float | None = None,
    moe: bool | None = None,
) -> list[ModelSpec]:
    if use is not None and use not in USES:
        raise BadValueError(f"--use {use!r} is not a use", "allowed: " + ", ".join(sorted(USES)))
    _check_range("--min-params", min_params_b, 0, 100000)
    _check_range("--max-params", max_params_b, 0, 100000)
    out = []
    for m in models:
        if not _text(query, m.id, m.name, m.family, m.arch, *m.aliases):
            continue
        if (
            family
            and m.family.casefold() != family.casefold()
            and not m.family.casefold().startswith(family.casefold())
        ):
            continue
        if use and use not in m.uses:
            continue
        if arch and m.arch != arch:
            continue
        if min_params_b is not None and m.params < min_params_b * 1e9:
            continue
        if max_params_b is not None and m.params > max_params_b * 1e9:
            continue
        if moe is not None and m.is_moe != moe:
            continue
        out.append(m)
    return out


def filter_gpus(
    gpus: tuple[GpuSpec, ...],
    *,
    query: str | None = None,
    vendor: str | None = None,
    kind: str | None = None,
    min_memory_gb: float | None = None,
    max_price_usd: float | None = None,
    backend: str | None = None,
    laptop: bool | None = None,
) -> list[GpuSpec]:
    if vendor is not None and vendor.casefold() not in VENDORS:
        raise BadValueError(f"--vendor {vendor!r} is not a vendor", "allowed: " + ", ".join(sorted(VENDORS)))
    if kind is not None and kind not in GPU_KINDS:
        raise BadValueError(f"--kind {kind!r} is not a kind", "allowed: " + ", ".join(sorted(GPU_KINDS)))
    _check_range("--min-memory", min_memory_gb, 0, 65536)
    _check_range("--max-price", max_price_usd, 0, 10_000_000)
    out = []
    for g in gpus:
        if not _text(query, g.id, g.name, *g.aliases):
            continue
        if vendor and g.vendor != vendor.casefold():
            continue
        if kind and g.kind != kind:
            continue
        top_mem = max((g.memory_gib, *g.memory_options_gib))
        if min_memory_gb is not None and top_mem < min_memory_gb:
            continue
        if max_price_usd is not None and (g.price_usd is None or g.price_usd > max_price_usd):
            continue
        if backend and backend not in g.backends:
            continue
        if laptop is not None and g.laptop != laptop:
            continue
        out.append(g)
    return out
