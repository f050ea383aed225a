"""llama.cpp as the referee on a GPU machine: the per-GPU memory breakdown of the same synthetic models.

    python benchmarks/llamacpp_oracle_gpu.py            # CUDA build (once), writes tests/data/llamacpp_oracle_gpu.json
    python benchmarks/llamacpp_oracle_gpu.py --models llama3.2-1b,gemma3-4b

What the CPU oracle (benchmarks/llamacpp_oracle.py) cannot check: on a GPU llama.cpp's compute buffer holds the
same graph but the CUDA backend keeps its own copies (flash attention's f16 conversions, the pipeline copies of
each split's inputs with several GPUs), the output layer's logits sit on the GPU that holds it, and the CUDA
context and cuBLAS workspace never show in llama.cpp's log. `llama-fit-params --fit-print on` prints one line
per device (model, context, compute in MiB) and one for the host, which this script records beside willitrun's
figures for a full offload (`-ngl 999`) to the first GPU: weights of the offloaded layers and the output layer,
KV cache, and `compute_buffer_bytes(has_layers=True, has_output=True)`. The CUDA context itself is checked with
nvidia-smi's used memory minus llama.cpp's breakdown while a llama-server holds the model (not automated).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "data" / "llamacpp_oracle_gpu.json"
MIB = 1024**2


def _oracle() -> Any:
    spec = importlib.util.spec_from_file_location("llamacpp_oracle", Path(__file__).with_name("llamacpp_oracle.py"))
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules["llamacpp_oracle"] = mod
    spec.loader.exec_module(mod)
    return mod


def gpu_breakdown(bins: Path, path: Path, ctx: int, kv_type: str, parallel: int) -> dict[str, list[int]]:
    """Device name -> [model, context, compute] bytes (whole MiB, as llama-fit-params prints them)."""
    cmd = [str(bins / "llama-fit-params"), "-m", str(path), "-c", str(ctx * parallel), "-np", str(parallel)]
    cmd += ["-ctk", kv_type, "-ctv", kv_type, "-ngl", "999", "--fit-print", "on"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    if out.returncode != 0:
        raise RuntimeError(out.stderr.strip().splitlines()[-1:])
    got: dict[str, list[int]] = {}
    for line in out.stdout.splitlines():
        parts = line.split()
        if len(parts) == 4 and all(p.isdigit() for p in parts[1:]):
            got[parts[0]] = [int(p) * MIB for p in parts[1:]]
    return got


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", help="comma-separated catalog ids (default: the CPU oracle's F16 cases)")
    args = ap.parse_args()
    o = _oracle()
    from willitrun.estimate.runtime import LLAMA_CPP, compute_buffer_bytes
    from willitrun.estimate.tensors import weights_breakdown

    bins = o.ensure_llamacpp(backend="cuda")
    cases = [c for c in o.CASES if not args.models or c.model in args.models.split(",")]
    rows: list[dict[str, Any]] = []
    for c in cases:
        m = o.spec_for(c.model)
        with o.synthetic(m, c.layout) as f16:
            for ctx, kv, n in o.settings(c):
                dev = gpu_breakdown(bins, f16, ctx, kv, n)
                w = weights_breakdown(m, "F16")
                live = o.willitrun_memory(m, "F16", ctx, kv, n, c.layout)
                gpu_cb = compute_buffer_bytes(
                    m, ctx * n, LLAMA_CPP, has_layers=True, has_output=True, pipeline=False, parallel=n
                )
                rows.append(
                    {
                        "arch": m.arch,
                        "model": m.id,
                        "layout": c.layout or None,
                        "ctx": ctx,
                        "kv_type": kv,
                        "parallel": n,
                        "llama": dev,
                        "willitrun_gpu_weights_bytes": w.total_bytes
                        - w.input_bytes
                        + (w.output_bytes if w.output_is_tied else 0),
                        "willitrun_kv_bytes": live["willitrun_kv_bytes"],
                        "willitrun_gpu_compute_bytes": gpu_cb,
                    }
                )
                print(json.dumps(rows[-1]), file=sys.stderr)
    OUT.write_text(json.dumps({"llamacpp": o.llamacpp_commit(), "memory": rows}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
