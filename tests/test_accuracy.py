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


def test_backends_leave_one_device_out() -> None:
    """Every backend judged on devices left out of its fit (backends.csv with tokens_per_s.csv): the thresholds
    are what leave-one-device-out shows today, with a little slack; none may get worse unnoticed."""
    acc = _accuracy()
    rows = [r for r in acc.load_rows() if not r.outdated]
    for r in rows:
        r.device_key = acc.GPU_IDS.get(r.hardware, r.hardware)
    both = acc.load_backend_rows() + rows
    start = acc.prior(dict(acc.K.BACKENDS))
    t = acc.backend_table(both, acc.leave_one_device_out(both, start), None)
    limits = {  # backend: (decode median %, prefill median %)
        "cuda": (10.0, 24.0),
        "metal": (7.0, 11.0),
        "rocm": (14.0, 16.0),
        "vulkan": (46.0, 80.0),
        "cpu": (38.0, 37.0),
    }
    for be, (tg, pp) in limits.items():
        assert t[be]["decode"][0] <= tg, (be, t[be])
        assert t[be]["prefill"][0] <= pp, (be, t[be])
    assert t["metal"]["devices"] >= 20 and t["cuda"]["devices"] >= 25 and t["cpu"]["devices"] >= 5
