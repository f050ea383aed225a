"""`willitrun compare`: hardware side by side, with what each runs (reference models, Q4_K_M, 8k context)."""

from __future__ import annotations

from dataclasses import dataclass

from willitrun.advise.best_gpu import DEFAULT_HEADROOM, Config
from willitrun.advise.rank import quick_option
from willitrun.catalog.types import GpuSpec
from willitrun.estimate.types import Headroom, ModelSpec, Option, Record

REFERENCE = ("llama3.1-8b", "qwen3-14b", "qwen3-32b", "llama3.3-70b")


@dataclass(frozen=True, eq=False, repr=False)
class Column(Record):
    gpu: GpuSpec
    count: int
    memory_gib: float
    runs: tuple[tuple[ModelSpec, Option], ...]

    @property
    def label(self) -> str:
        return f"{self.count}x {self.gpu.name}" if self.count > 1 else self.gpu.name


def compare(
    items: list[tuple[GpuSpec, int, float]],
    models: list[ModelSpec],
    ctx: int = 8192,
    headroom: Headroom = DEFAULT_HEADROOM,
) -> list[Column]:
    cols = []
    for g, count, mem in items:
        price = (g.price_usd or 0) * count
        cfg = Config(g, count, mem, price, g.price_kind or "", g.price_date or "")
        machine = cfg.machine(headroom)
        runs = tuple((m, quick_option(m, machine, "Q4_K_M", min(ctx, m.context_max))) for m in models)
        cols.append(Column(g, count, mem, runs))
    return cols


def better(values: list[float | None], higher: bool = True) -> int | None:
    """Index of the best value of a row (None when fewer than two are known or all tie)."""
    known = [(v, i) for i, v in enumerate(values) if v is not None]
    if len(known) < 2 or len({v for v, _ in known}) == 1:
        return None
    return (max if higher else min)(known)[1]
