"""`willitrun installed`: the models already on this machine (Ollama's, and GGUF files in the usual folders), each
with its verdict and speed here."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from willitrun.errors import WillItRunError
from willitrun.estimate.core import Request, estimate
from willitrun.estimate.types import Record

if TYPE_CHECKING:
    from willitrun.estimate.tensors import WeightsBreakdown
    from willitrun.estimate.types import Machine, ModelSpec


@dataclass(frozen=True, eq=False, repr=False)
class InstalledModel(Record):
    source: Literal["ollama", "file"]
    name: str
    quant: str | None
    size_bytes: int
    verdict: str | None  # None when the architecture is unknown
    tokens_per_s: float | None
    path: str | None = None


@dataclass(frozen=True, eq=False, repr=False)
class Installed(Record):
    models: tuple[InstalledModel, ...]
    notes: tuple[str, ...]


def _judge(spec: ModelSpec, w: WeightsBreakdown, machine: Machine, ctx: int) -> tuple[str, float | None]:
    o = estimate(spec, machine, Request(weights=(w,), ctx=min(ctx, spec.context_max))).options[0]
    return o.verdict, o.tokens_per_s


def _from_ollama(machine: Machine, ctx: int, notes: list[str]) -> list[InstalledModel]:
    from willitrun.estimate.quants import normalize_mix
    from willitrun.estimate.tensors import scaled_to, weights_breakdown
    from willitrun.sources import ollama

    listed = ollama.list_models()
    if listed is None:
        notes.append(f"Ollama is not running at {ollama.ollama_host()}: its models are not listed")
        return []
    out: list[InstalledModel] = []
    for om in listed:
        try:
            full = ollama.show_model(om.name)
        except WillItRunError as e:
            notes.append(f"{om.name}: {e.message}")
            continue
        verdict, tps = None, None
        if full.spec is not None:
            w = scaled_to(weights_breakdown(full.spec, normalize_mix(full.quant or "") or "Q4_K_M"), om.size_bytes)
            verdict, tps = _judge(full.spec, w, machine, ctx)
        out.append(InstalledModel("ollama", om.name, om.quant, om.size_bytes, verdict, tps))
    return out


def _from_files(dirs: list[str], machine: Machine, ctx: int, notes: list[str]) -> list[InstalledModel]:
    from willitrun.sources.gguf_file import read_gguf
    from willitrun.sources.local import gguf_files

    out: list[InstalledModel] = []
    for path in gguf_files(dirs):
        try:
            g = read_gguf(path)
        except WillItRunError as e:
            notes.append(f"skipped {e.message}")
            continue
        verdict, tps = _judge(g.spec, g.weights, machine, ctx)
        out.append(InstalledModel("file", os.path.basename(path), g.quant, g.file_bytes, verdict, tps, path))
    return out


def installed(machine: Machine, dirs: list[str], ctx: int) -> Installed:
    notes: list[str] = []
    models = _from_ollama(machine, ctx, notes) + _from_files(dirs, machine, ctx, notes)
    return Installed(tuple(models), tuple(notes))
