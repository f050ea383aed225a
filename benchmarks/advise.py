"""Timing of the advice hot paths: ranking the whole catalog for a machine, and best-gpu over every configuration.

    python benchmarks/advise.py

Prints the median of a few in-process runs of each (the goal: each well under a second). Start-up is measured
separately by benchmarks/startup.py.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from willitrun.advise.best_gpu import LADDER, best_gpu, configurations  # noqa: E402
from willitrun.advise.recommend import recommend  # noqa: E402
from willitrun.catalog.load import load_catalog  # noqa: E402
from willitrun.estimate import tensors  # noqa: E402
from willitrun.hardware import build_machine  # noqa: E402


def timed(fn: object, runs: int = 5) -> float:
    out = []
    for _ in range(runs):
        # cold caches each run: what one command invocation pays
        tensors.weights_breakdown.cache_clear()
        tensors._model_tensors.cache_clear()
        t = time.perf_counter()
        fn()  # type: ignore[operator]
        out.append(time.perf_counter() - t)
    return statistics.median(out)


def main() -> int:
    cat = load_catalog()
    machine = build_machine(cat, gpu="RTX 4060 Ti 16GB", vram_gb=None, ram_gb=32, ram_bandwidth_gbps=60, detected=None)
    ladder = [cat.model(i) for i in LADDER]
    n_cfg = len(configurations(cat.gpus, budget=4000))
    t_rec = timed(lambda: recommend(cat.models, machine))
    t_best = timed(lambda: best_gpu(cat.gpus, ladder, budget=4000))
    t_model = timed(lambda: best_gpu(cat.gpus, ladder, budget=4000, model=cat.model("llama3.3-70b")))
    print(f"recommend, every use, {len(cat.models)} models:       {t_rec * 1000:7.0f} ms")
    print(f"best-gpu --budget 4000, {n_cfg} configurations:        {t_best * 1000:7.0f} ms")
    print(f"best-gpu --budget 4000 --model llama3.3-70b:           {t_model * 1000:7.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
