"""The shipped constants against ../shared/calibration (skipped where that folder is absent)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent


def _accuracy() -> ModuleType:
    spec = importlib.util.spec_from_file_location("wir_accuracy", ROOT / "benchmarks" / "accuracy.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules["wir_accuracy"] = mod
    spec.loader.exec_module(mod)
    return mod


def test_calibration_scores() -> None:
    acc = _accuracy()
    # the pinned snapshot ships with the repository: this never skips
    assert (acc.calibration_dir() / "tokens_per_s.csv").is_file(), acc.calibration_dir()
    rows = [r for r in acc.load_rows() if not r.outdated]
    s = acc.score(rows, dict(acc.K.BACKENDS))
    assert s["decode"]["median_ape"] <= 6.0
    assert s["prefill"]["median_ape"] <= 20.0
    assert s["decode_inside_range"] >= 85.0
    assert s["fit_agreement"]["pct"] >= 95.0
