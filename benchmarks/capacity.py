"""Serving many users: willitrun's batched estimate beside measured batched runs.

    python benchmarks/capacity.py            # the recorded runs (tests/data/capacity_runs.yaml) beside the estimate
    python benchmarks/capacity.py --measure --threads 1  # also run llama-batched-bench on this CPU, print its rows

The recorded runs are published batched/concurrent results (llama.cpp's batched-bench and microbatch tables, vLLM
concurrency sweeps; each with its source) and llama-batched-bench runs made here on a CPU with a synthetic model.
`--measure` writes a synthetic GGUF of a small catalog model (benchmarks/llamacpp_oracle.py's writer: every
tensor, no data, so the file is sparse), quantizes it with llama-quantize, runs llama-batched-bench over 1, 2, 4
and 8 parallel sequences, and prints rows in the YAML's shape. llama.cpp is the build llamacpp_oracle.py makes
(`llama-batched-bench` must be among its targets); nothing here builds it. Synthetic weights compute as fast as
real ones: only their values differ.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

RUNS = ROOT / "tests" / "data" / "capacity_runs.yaml"


def load_runs() -> list[dict[str, Any]]:
    import yaml

    with open(RUNS, encoding="utf-8") as f:
        return list(yaml.safe_load(f)["runs"])


def estimate_for(run: dict[str, Any]) -> dict[int, tuple[float, float, float]]:
    """Per user count of the run: the estimate of the quantity the run measured, and its low-high range."""
    from willitrun.advise.capacity import capacity
    from willitrun.catalog.load import load_catalog
    from willitrun.catalog.resolve import resolve_model
    from willitrun.estimate.batch import batch_range
    from willitrun.hardware.simulate import build_machine

    cat = load_catalog([])
    m = resolve_model(cat, run["model"])
    gpu = run.get("gpu")
    machine = build_machine(
        cat,
        gpu=gpu,
        vram_gb=None,
        ram_gb=run.get("ram_gb", 64),
        ram_bandwidth_gbps=run.get("ram_bandwidth_gbps"),
        detected=None,
        headless=True,
    )
    if gpu is None and run.get("cpu_cores"):
        from dataclasses import replace

        from willitrun.estimate.types import Cpu

        cpu = Cpu(name="as recorded", cores=run["cpu_cores"], threads=run["cpu_cores"], flags=tuple(run["cpu_flags"]))
        machine = replace(machine, cpu=cpu)
    c = capacity(
        m,
        machine,
        runtime=run["runtime"],
        quant=run["quant"],
        prompt_tokens=run["prompt_tokens"],
        output_tokens=run["output_tokens"],
        min_tokens_per_s=0.0,
    )
    from willitrun.advise.capacity import load_at

    backend = machine.devices[0].backend if machine.devices else "cpu"
    lo, hi = run.get("range") or batch_range(backend)
    out: dict[int, tuple[float, float, float]] = {}
    one = load_at(c, 1).aggregate_tokens_per_s
    for point in run["points"]:
        ld = load_at(c, point["users"])
        v = {
            "aggregate_gain": ld.aggregate_tokens_per_s / one,
            "aggregate_tokens_per_s": ld.aggregate_tokens_per_s,
            "per_user_tokens_per_s": ld.per_user_tokens_per_s,
            "aggregate_effective_tokens_per_s": ld.aggregate_effective_tokens_per_s,
            "per_user_effective_tokens_per_s": ld.per_user_effective_tokens_per_s,
        }[run["metric"]]
        out[point["users"]] = (v, v * lo, v * hi)
    return out


def table() -> str:
    lines = [
        "| run | users | measured | estimate (range) | error |",
        "|---|---:|---:|---:|---:|",
    ]
    for run in load_runs():
        if not run["points"]:
            continue
        est = estimate_for(run)
        for p in run["points"]:
            v, lo, hi = est[p["users"]]
            err = (v - p["measured"]) / p["measured"] * 100
            lines.append(
                f"| {run['id']} | {p['users']} | {p['measured']:.1f} | {v:.1f} ({lo:.1f}-{hi:.1f}) | {err:+.0f}% |"
            )
    return "\n".join(lines)


def measure(model_id: str, quant: str, users: str, prompt: int, output: int, threads: int) -> list[dict[str, Any]]:
    import llamacpp_oracle as O

    bins = O.bin_dir()
    exe = bins / "llama-batched-bench"
    if not exe.exists():
        raise SystemExit(f"{exe} is missing: build llama.cpp's llama-batched-bench target in {bins.parent}")
    m = O.spec_for(model_id)
    with tempfile.TemporaryDirectory(dir=O.synthetic_dir()) as tmp:
        f16 = Path(tmp) / f"{model_id}-F16.gguf"
        q = Path(tmp) / f"{model_id}-{quant}.gguf"
        O.write_gguf(f16, m)
        O.quantize(bins, f16, q, quant)
        f16.unlink()
        n_max = max(int(u) for u in users.split(","))
        cmd = [str(exe), "-m", str(q), "-c", str(n_max * (prompt + output) + 256), "-b", "2048", "-ub", "512"]
        cmd += ["-npp", str(prompt), "-ntg", str(output), "-npl", users, "-t", str(threads), "--no-repack"]
        cmd += ["--output-format", "jsonl"]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=3600, env={**os.environ})
        if out.returncode != 0:
            raise SystemExit("llama-batched-bench failed:\n" + "\n".join(out.stderr.splitlines()[-5:]))
    rows = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    return [{"users": r["pl"], "measured": round(r["speed_tg"], 2), "s_pp": round(r["speed_pp"], 2)} for r in rows]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--measure", action="store_true", help="run llama-batched-bench on this CPU")
    ap.add_argument("--model", default="qwen2.5-0.5b")
    ap.add_argument("--quant", default="Q4_K_M")
    ap.add_argument("--users", default="1,2,4,8")
    ap.add_argument("--prompt", type=int, default=64)
    ap.add_argument("--output", type=int, default=16)
    ap.add_argument("--repeat", type=int, default=2, help="runs; the best of them is kept (other load only slows)")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    args = ap.parse_args(argv)
    if args.measure:
        best: dict[int, dict[str, Any]] = {}
        threads = args.threads
        for _ in range(args.repeat):
            for r in measure(args.model, args.quant, args.users, args.prompt, args.output, threads):
                if r["users"] not in best or r["measured"] > best[r["users"]]["measured"]:
                    best[r["users"]] = r
        print(f"# llama-batched-bench, {args.model} {args.quant}, -t {threads}, load {os.getloadavg()[0]:.2f}")
        for u in sorted(best):
            gain = best[u]["measured"] / best[min(best)]["measured"]
            print(f"      - {{users: {u}, measured: {best[u]['measured']}}}  # gain {gain:.2f}, S_PP {best[u]['s_pp']}")
    print(table())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
