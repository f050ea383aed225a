"""Offloaded runs: the estimate beside published llama.cpp speeds with experts or layers in system RAM.

    python benchmarks/offload.py          # a table
    python benchmarks/offload.py --json   # the same as JSON

The runs (tests/data/offload_runs.yaml) come from one machine, an RTX 2080 8 GB with quad-channel DDR4. Each is
estimated at the split it was run with (`--n-cpu-moe N` or `-ngl N`), and the split willitrun itself picks for
that machine is shown beside it. None of these runs were used to fit the constants.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from willitrun.catalog.load import load_catalog  # noqa: E402
from willitrun.estimate.core import Request, estimate  # noqa: E402
from willitrun.estimate.placement import Placing, plan  # noqa: E402
from willitrun.estimate.runtime import LLAMA_CPP  # noqa: E402
from willitrun.estimate.speed import estimate_speed  # noqa: E402
from willitrun.estimate.tensors import active_parameter_count, weights_breakdown  # noqa: E402
from willitrun.estimate.types import GIB, Cpu, Machine  # noqa: E402
from willitrun.hardware import device_from_spec, os_reserve_bytes  # noqa: E402

DATA = ROOT / "tests" / "data" / "offload_runs.yaml"
CONTEXT = 4096


@dataclass(frozen=True)
class Row:
    model: str
    quant: str
    split: str  # "--n-cpu-moe 36" or "-ngl 16"
    measured: float
    estimate: float
    low: float
    high: float
    chosen: str  # what willitrun picks for that machine
    chosen_tokens_per_s: float | None
    source: str

    @property
    def error_pct(self) -> float:
        return (self.estimate - self.measured) / self.measured * 100


def _machine(doc: dict[str, Any]) -> Machine:
    cat = load_catalog([])
    mc = doc["machine"]
    g = cat.gpu(mc["gpu"])
    dev = device_from_spec(g, g.memory_gib, headless=True)  # the runs were tuned to the card's free memory
    ram = int(mc["ram_gib"] * GIB)
    cpu = Cpu(mc["cpu"], mc["cores"], mc["cores"] * 2, tuple(mc["flags"]))
    return Machine((dev,), ram, ram - os_reserve_bytes(ram), float(mc["ram_bandwidth_gbps"]), cpu)


def rows() -> list[Row]:
    doc = yaml.safe_load(DATA.read_text(encoding="utf-8"))
    machine = _machine(doc)
    cat = load_catalog([])
    out: list[Row] = []
    for r in doc["runs"]:
        m = cat.model(r["model"])
        w = weights_breakdown(m, r["quant"])
        if "n_cpu_moe" in r:
            p = plan(Placing(m, w, machine, CONTEXT, "f16", 1, LLAMA_CPP), m.layers + 1, int(r["n_cpu_moe"]))
            split = f"--n-cpu-moe {r['n_cpu_moe']}"
        else:
            p = plan(Placing(m, w, machine, CONTEXT, "f16", 1, LLAMA_CPP), int(r["ngl"]))
            split = f"-ngl {r['ngl']}"
        s = estimate_speed(m, w, machine, p, kv_type="f16", active_params=float(active_parameter_count(m)))
        o = estimate(m, machine, Request(quants=(r["quant"],), ctx=CONTEXT)).options[0]
        chosen = f"--n-cpu-moe {o.cpu_moe_layers}" if o.offload == "experts" else f"-ngl {o.gpu_layers}"
        out.append(
            Row(
                m.id,
                r["quant"],
                split,
                float(r["tokens_per_s"]),
                s.tokens_per_s,
                s.low,
                s.high,
                chosen,
                o.tokens_per_s,
                r["source"],
            )
        )
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    got = rows()
    if args.json:
        print(json.dumps([{**r.__dict__, "error_pct": round(r.error_pct, 1)} for r in got], indent=2))
        return
    print(f"{'model':24} {'quant':7} {'run with':15} {'measured':>8} {'estimate':>8} {'range':>11} {'err':>6}  picks")
    for r in got:
        rng = f"{r.low:.1f}-{r.high:.1f}"
        pick = f"{r.chosen} ({r.chosen_tokens_per_s or 0:.1f})"
        print(
            f"{r.model:24} {r.quant:7} {r.split:15} {r.measured:8.1f} {r.estimate:8.1f} {rng:>11} "
            f"{r.error_pct:+5.0f}%  {pick}"
        )
    inside = sum(1 for r in got if r.low <= r.measured <= r.high)
    print(f"measured inside the estimate's range: {inside}/{len(got)}")


if __name__ == "__main__":
    main()
