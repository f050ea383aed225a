"""`willitrun check`: one model on one machine, per quantization, with measured runs beside the estimate and, when
nothing runs, what would."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from willitrun.errors import BadValueError
from willitrun.estimate.core import Estimate, Request, estimate
from willitrun.estimate.types import GGUF_RUNTIMES, Record

if TYPE_CHECKING:
    from willitrun.advise.rescue import Suggestion
    from willitrun.catalog.load import Catalog
    from willitrun.catalog.measured import Measured
    from willitrun.estimate.types import Machine
    from willitrun.sources.model import ModelSource


@dataclass(frozen=True, eq=False, repr=False)
class CheckResult(Record):
    est: Estimate
    measured: dict[str, list[Measured]]  # by quantization: llama-bench runs on this very hardware
    rescue: tuple[Suggestion, ...]  # when nothing runs: what would

    @property
    def runs(self) -> bool:
        return any(o.verdict != "no" for o in self.est.options)


def check(cat: Catalog, src: ModelSource, machine: Machine, req: Request) -> CheckResult:
    """Estimate every quantization asked for (`req.quants`, or the usual ladder) of the model on the machine."""
    spec = src.spec
    gguf_runtime = req.runtime in GGUF_RUNTIMES
    weights = src.weights
    if not weights and gguf_runtime:
        from willitrun.catalog.weights_cache import cached_weights
        from willitrun.estimate.core import mixes_for

        weights = cached_weights(spec, req.quants or mixes_for(spec))
    if weights and req.quants:
        weights = tuple(w for w in weights if w.mix in req.quants)
        if not weights:
            raise BadValueError(
                f"--quant {','.join(req.quants)} is not among this model's files", "files: " + ", ".join(src.quants)
            )
    req = replace(req, weights=weights if gguf_runtime else (), extra_bytes=src.extra_bytes, model_file=src.path)
    est = estimate(spec, machine, req)
    if src.notes:
        est = replace(est, notes=(*src.notes, *est.notes))
    measured: dict[str, list[Measured]] = {}
    one_gpu = len({d.catalog_id for d in machine.devices}) == 1 and machine.devices[0].catalog_id is not None
    if gguf_runtime and one_gpu:  # measured rows exist only for one catalog GPU (times a count)
        from willitrun.catalog.measured import load_measured, matching

        measured = matching(load_measured(model_id=spec.id), spec.id, machine)
    rescue: tuple[Suggestion, ...] = ()
    if est.recommended is None:
        from willitrun.advise.rescue import what_would_run

        rescue = what_would_run(est, req, cat.gpus, other_files=not src.weights)
    return CheckResult(est, measured, rescue)
