"""How close the estimates come to measured llama.cpp results (../shared/calibration).

    python benchmarks/accuracy.py            # error of the shipped constants, and leave-one-GPU-out
    WILLITRUN_CALIBRATION=../shared/calibration python benchmarks/accuracy.py   # another copy of the data
    python benchmarks/accuracy.py --fit      # refit the speed constants and print them for constants.py
    python benchmarks/accuracy.py --json     # the figures as JSON

Prints, per backend and quantization family, the median and p90 absolute percentage error of decode (tg) and
prefill (pp), the share of measured decode values inside the estimate's low..high range, and fit agreement (the
estimate says a full offload fits exactly when the run did not OOM). Leave-one-GPU-out: for each GPU, the
constants are fitted without that GPU's rows and scored on it, so the figure predicts unmeasured hardware.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import math
import os
import re
import statistics
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from willitrun.catalog.load import load_catalog  # noqa: E402
from willitrun.catalog.resolve import resolve_gpu  # noqa: E402
from willitrun.estimate import constants as K  # noqa: E402
from willitrun.estimate.placement import plan  # noqa: E402
from willitrun.estimate.runtime import LLAMA_CPP  # noqa: E402
from willitrun.estimate.speed import Terms, decode_terms, decode_time, prefill_terms, prefill_time  # noqa: E402
from willitrun.estimate.tensors import active_parameter_count, weights_breakdown  # noqa: E402
from willitrun.estimate.types import GIB, Cpu, Machine, ModelSpec  # noqa: E402
from willitrun.hardware import apple_working_set_bytes, device_from_spec  # noqa: E402

# A pinned copy of the shared calibration data (benchmarks/calibration/SNAPSHOT says from where and when), so the
# figures reproduce from a clone; WILLITRUN_CALIBRATION points at another copy, e.g. a newer ../shared/calibration.
SNAPSHOT = ROOT / "benchmarks" / "calibration"


def calibration_dir() -> Path:
    env = os.environ.get("WILLITRUN_CALIBRATION")
    return Path(env) if env else SNAPSHOT


# LLaMA 1 (2023), used only by the older calibration tables; shapes from Meta's params.json as mirrored in
# the Hugging Face conversions (huggyllama/llama-7b ... llama-65b config.json).
def _llama1(name: str, layers: int, hidden: int, ffn: int, heads: int, params: int) -> ModelSpec:
    return ModelSpec(
        id=name.lower(),
        name=name,
        arch="llama",
        params=params,
        layers=layers,
        hidden=hidden,
        intermediate=ffn,
        heads=heads,
        kv_heads=heads,
        head_dim=hidden // heads,
        vocab=32000,
        context_max=2048,
        source="https://huggingface.co/huggyllama",
    )


EXTRA_MODELS = {
    "LLaMA-7B": _llama1("LLaMA-7B", 32, 4096, 11008, 32, 6738415616),
    "LLaMA-13B": _llama1("LLaMA-13B", 40, 5120, 13824, 40, 13015864320),
    "LLaMA-30B": _llama1("LLaMA-30B", 60, 6656, 17920, 52, 32528943616),
    "LLaMA-65B": _llama1("LLaMA-65B", 80, 8192, 22016, 64, 65285660672),
}
MODEL_IDS = {
    "Meta-Llama-3-8B": "llama3-8b",
    "Meta-Llama-3-70B": "llama3-70b",
    "LLaMA-2-7B": "llama2-7b",
    "LLaMA-2-13B": "llama2-13b",
    "LLaMA-2-70B": "llama2-70b",
    "Qwen2.5-Coder-7B": "qwen2.5-coder-7b",
    "Qwen3-Coder-30B-A3B-Instruct": "qwen3-coder-30b-a3b",
    "gemma-3-4b-it-qat": "gemma3-4b",
    "gpt-oss-120b": "gpt-oss-120b",
    "gpt-oss-20b": "gpt-oss-20b",
}
GPU_IDS = {"A100 80GB": "a100-pcie-80gb", "A100 PCIe 80GB": "a100-pcie-80gb", "M1 8-core GPU": "apple-m1-8c"}


@dataclass
class Row:
    hardware: str
    count: int
    model: str
    quant: str
    test: str
    metric: str  # tg | pp
    measured: float | None  # None = OOM
    terms: Terms | None = None
    fits: bool | None = None
    backend: str = ""
    family: str = ""
    outdated: bool = False  # the Dec 2023 LLaMA 1/2 tables: old ./main, context shifting, weak multi-GPU code


def _machine(cat: Any, hw: str, count: int, specs: dict[str, dict[str, str]]) -> Machine:
    gid = GPU_IDS.get(hw)
    g = cat.gpu(gid) if gid else resolve_gpu(cat, hw)[0]
    mem_gb = specs.get(hw, {}).get("memory_gb") or ""
    bw_s = specs.get(hw, {}).get("memory_bandwidth_gbs") or ""
    mem = float(mem_gb) if mem_gb else g.memory_gib
    bw = float(bw_s) if bw_s else g.bandwidth_gbps
    total = int(mem * GIB)
    dev_mem = apple_working_set_bytes(total) if g.vendor == "apple" else total
    if g.unified_memory and g.vendor != "apple":
        dev_mem = total - 8 * GIB
    dev = replace(device_from_spec(g, mem), memory_bytes=dev_mem, free_bytes=dev_mem, bandwidth_gbps=bw)
    devs = tuple(dev for _ in range(count))
    ram = total if g.unified_memory else 256 * GIB
    # llama-bench sets a fixed -ngl and keeps no fit margin: the question is whether the allocation fits at all
    bw_ram = 100.0 if not g.unified_memory else bw
    return Machine(devs, ram, ram, bw_ram, Cpu("server", 32, 64, ("avx2",)), gpu_margin_bytes=0)


def _parse_test(test: str) -> tuple[int, int]:
    """tgN / ppN / xxN@dD -> (tokens, depth)."""
    m = re.match(r"^(tg|pp)(\d+)(?:@d(\d+))?$", test)
    if not m:
        raise ValueError(test)
    return int(m.group(2)), int(m.group(3) or 0)


def load_rows() -> list[Row]:
    cal = calibration_dir()
    cat = load_catalog()
    with open(cal / "hardware_specs.csv", encoding="utf-8") as fh:
        specs = {r["hardware"]: r for r in csv.DictReader(fh)}
    rows: list[Row] = []
    cache: dict[tuple[str, str], Any] = {}
    with open(cal / "tokens_per_s.csv", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            if "(CPU)" in r["notes"]:
                continue
            model_name = r["model"].split(" (")[0]
            spec = EXTRA_MODELS.get(model_name)
            if spec is None:
                spec = cat.model(MODEL_IDS[model_name])
            quant = r["quant"].split(" ")[0]
            measured = None if r["tokens_per_s"].strip() == "OOM" else float(r["tokens_per_s"])
            count = int(r["gpu_count"])
            machine = _machine(cat, r["hardware"], count, specs)
            key = (spec.id, quant)
            if key not in cache:
                cache[key] = (weights_breakdown(spec, quant), float(active_parameter_count(spec)))
            w, active = cache[key]
            tokens, depth = _parse_test(r["context_or_test"])
            ctx = max(512, tokens + depth)
            p = plan(spec, w, machine, ctx, "f16", 1, LLAMA_CPP, spec.layers + 1)
            row = Row(r["hardware"], count, model_name, quant, r["context_or_test"], r["metric"], measured)
            row.fits = p.fits_gpus
            row.outdated = "outdated" in r["notes"]
            row.backend = machine.devices[0].backend
            if measured is not None:
                # llama-bench ran without flash attention before it became the default (2025); the DGX Spark
                # runs say -fa 1
                fa = "dgx-spark" in r["source"] or "-fa 1" in r["notes"]
                if r["metric"] == "tg":
                    row.terms = decode_terms(
                        spec,
                        w,
                        machine,
                        p,
                        kv_type="f16",
                        depth=depth + tokens // 2,
                        active_params=active,
                        flash_attention=fa,
                    )
                else:
                    row.terms = prefill_terms(
                        spec, w, machine, p, prompt_tokens=tokens, depth=depth, active_params=active, flash_attention=fa
                    )
                row.family = row.terms.family
            rows.append(row)
    return rows


def predict(row: Row, consts: dict[str, K.BackendConstants]) -> float:
    assert row.terms is not None
    if row.metric == "tg":
        return 1.0 / decode_time(row.terms, consts)[0]
    return row.terms.tokens / prefill_time(row.terms, consts)


def _ape(pred: float, meas: float) -> float:
    return abs(pred / meas - 1.0) * 100.0


def _p90(xs: list[float]) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, math.ceil(0.9 * len(s)) - 1)]


def score(rows: list[Row], consts: dict[str, K.BackendConstants]) -> dict[str, Any]:
    out: dict[str, Any] = {"groups": {}, "decode": {}, "prefill": {}}
    by: dict[tuple[str, str, str], list[float]] = {}
    inside = 0
    n_tg = 0
    for r in rows:
        if r.measured is None or r.terms is None:
            continue
        e = _ape(predict(r, consts), r.measured)
        by.setdefault((r.metric, r.backend, r.family), []).append(e)
        if r.metric == "tg":
            n_tg += 1
            pred = predict(r, consts)
            c = consts[r.backend]
            if pred * c.range[0] <= r.measured <= pred * c.range[1]:
                inside += 1
    for (metric, be, fam), errs in sorted(by.items()):
        out["groups"][f"{metric} {be} {fam}"] = {
            "n": len(errs),
            "median_ape": round(statistics.median(errs), 1),
            "p90_ape": round(_p90(errs), 1),
        }
    for metric, name in (("tg", "decode"), ("pp", "prefill")):
        errs = [e for (mt, _, _), es in by.items() if mt == metric for e in es]
        if errs:
            out[name] = {
                "n": len(errs),
                "median_ape": round(statistics.median(errs), 1),
                "p90_ape": round(_p90(errs), 1),
            }
    out["decode_inside_range"] = round(100.0 * inside / max(1, n_tg), 1)
    # fit agreement, one verdict per (hardware, count, model, quant)
    seen: dict[tuple[str, int, str, str], tuple[bool, bool]] = {}
    for r in rows:
        k = (r.hardware, r.count, r.model, r.quant)
        ran = r.measured is not None
        prev = seen.get(k)
        seen[k] = (bool(r.fits), ran or (prev[1] if prev else False))
    agree = sum(1 for fits, ran in seen.values() if fits == ran)
    out["fit_agreement"] = {"configs": len(seen), "agree": agree, "pct": round(100.0 * agree / max(1, len(seen)), 1)}
    out["fit_disagreements"] = [
        f"{k[1]}x {k[0]} {k[2]} {k[3]}: estimate {'fits' if f else 'OOM'}, measured {'ran' if r else 'OOM'}"
        for k, (f, r) in seen.items()
        if f != r
    ]
    return out


# --- fitting ------------------------------------------------------------------------------------------------

FAMILIES = ("float", "q8", "k", "legacy", "iq", "mxfp4")


def _loss(rows: list[Row], consts: dict[str, K.BackendConstants], metric: str) -> float:
    errs = [abs(math.log(predict(r, consts) / r.measured)) for r in rows if r.metric == metric and r.measured]
    return sum(errs) / max(1, len(errs))


def _with(c: K.BackendConstants, field: str, key: str | None, value: float) -> K.BackendConstants:
    if key is None:
        return dataclasses.replace(c, **{field: value})
    d = dict(getattr(c, field))
    for k in [x for x in d if x != "float"] if key == "*quant" else [key]:
        d[k] = value
    return dataclasses.replace(c, **{field: d})


def fit(rows: list[Row], consts: dict[str, K.BackendConstants], rounds: int = 4) -> dict[str, K.BackendConstants]:
    """Coordinate descent on mean |log error|, per backend, over eta/layer_s/token_s/hop_s and compute_eff."""
    consts = dict(consts)
    for be in sorted({r.backend for r in rows if r.measured}):
        mine = [r for r in rows if r.backend == be and r.measured]
        fams = sorted({r.family for r in mine})
        knobs: list[tuple[str, str, str | None, float, float]] = []
        for f in fams:
            knobs.append(("tg", "eta", f, 0.2, 0.92))
            knobs.append(("tg", "dq_ops", f, 0.0, 60.0))
        # prompt processing runs every quantized family through the same int8 matrix path (MMQ): one knob
        knobs.append(("pp", "compute_eff", "float", 0.05, 1.5))
        if any(f != "float" for f in fams):
            knobs.append(("pp", "compute_eff", "*quant", 0.05, 1.5))
        knobs.append(("pp", "kq_bytes", None, 0.0, 200.0))
        knobs += [("tg", "layer_s", None, 0.0, 100e-6), ("tg", "token_s", None, 0.0, 10e-3)]
        knobs += [("tg", "kv_eta", None, 0.1, 1.0), ("tg", "kv_eta_nofa", None, 0.05, 1.0)]
        if any(r.count > 1 for r in mine):
            knobs.append(("tg", "hop_s", None, 0.0, 5e-3))
        for _ in range(rounds):
            for metric, field, key, lo, hi in knobs:
                sub = [
                    r
                    for r in mine
                    if r.metric == metric
                    and (key is None or r.family == key or (key == "*quant" and r.family != "float"))
                ]
                if not sub:
                    continue
                cur = getattr(consts[be], field)
                best_v = cur if key is None else cur["q8"] if key == "*quant" else cur[key]
                best_l = _loss(sub, consts, metric)
                for _step in range(3):
                    span = (hi - lo) / 4
                    for k in range(-8, 9):
                        v = min(hi, max(lo, best_v + k * span / 8))
                        trial = dict(consts)
                        trial[be] = _with(consts[be], field, key, v)
                        loss = _loss(sub, trial, metric)
                        if loss < best_l - 1e-9:
                            best_l, best_v = loss, v
                    consts[be] = _with(consts[be], field, key, best_v)
                    lo, hi = max(lo, best_v - span), min(hi, best_v + span)
    return consts


def ranges_from(ratios: dict[str, list[float]], consts: dict[str, K.BackendConstants]) -> dict[str, K.BackendConstants]:
    """Each backend's low..high multipliers: the 10th and 90th percentiles of measured/estimated decode speed on
    GPUs left out of the fit, never tighter than +-10%."""
    out = dict(consts)
    for be, rs in ratios.items():
        s = sorted(rs)
        if len(s) < 5:
            continue
        lo = min(0.9, s[int(0.1 * (len(s) - 1))])
        hi = max(1.1, s[math.ceil(0.9 * (len(s) - 1))])
        out[be] = dataclasses.replace(out[be], range=(round(lo, 2), round(hi, 2)))
    return out


def prior(consts: dict[str, K.BackendConstants]) -> dict[str, K.BackendConstants]:
    """Neutral starting values for every fit, so a left-out GPU never leaks in through the starting point."""
    fams = dict.fromkeys(FAMILIES, 0.75)
    out = dict(consts)
    for be, c in consts.items():
        if c.calibrated:
            out[be] = dataclasses.replace(
                c,
                eta=dict(fams),
                kv_eta=0.7,
                kv_eta_nofa=0.4,
                dq_ops=dict.fromkeys(FAMILIES, 4.0),
                kq_bytes=12.0,
                layer_s=10e-6,
                token_s=1e-3,
                hop_s=0.3e-3,
                compute_eff=dict.fromkeys(FAMILIES, 0.5),
            )
    return out


def leave_one_gpu_out(rows: list[Row], base: dict[str, K.BackendConstants]) -> dict[str, Any]:
    per_gpu: dict[str, dict[str, float]] = {}
    all_tg: list[float] = []
    all_pp: list[float] = []
    ratios: dict[str, list[float]] = {}
    inside = 0
    for hw in sorted({r.hardware for r in rows if r.measured}):
        train = [r for r in rows if r.hardware != hw]
        test = [r for r in rows if r.hardware == hw and r.measured and r.terms is not None]
        backend = test[0].backend if test else ""
        if not any(r.backend == backend and r.measured for r in train):
            consts = base  # no other GPU of this backend to learn from
        else:
            consts = fit(train, base, rounds=3)
        tg = [_ape(predict(r, consts), r.measured) for r in test if r.metric == "tg" and r.measured]
        pp = [_ape(predict(r, consts), r.measured) for r in test if r.metric == "pp" and r.measured]
        all_tg += tg
        all_pp += pp
        for r in test:
            if r.metric == "tg" and r.measured:
                pred = predict(r, consts)
                ratios.setdefault(r.backend, []).append(r.measured / pred)
                lo, hi = K.BACKENDS[r.backend].range
                inside += pred * lo <= r.measured <= pred * hi
        per_gpu[hw] = {
            "tg_median_ape": round(statistics.median(tg), 1) if tg else float("nan"),
            "pp_median_ape": round(statistics.median(pp), 1) if pp else float("nan"),
        }
    return {
        "per_gpu": per_gpu,
        "decode_median_ape": round(statistics.median(all_tg), 1) if all_tg else None,
        "prefill_median_ape": round(statistics.median(all_pp), 1) if all_pp else None,
        "decode_inside_range": round(100.0 * inside / max(1, len(all_tg)), 1),
        "_ratios": ratios,
    }


def _print_constants(consts: dict[str, K.BackendConstants]) -> None:
    """The fitted constants, ready to paste into constants.py (calibrated backends only)."""
    for be, c in consts.items():
        if not c.calibrated:
            continue
        fields = []
        for f in dataclasses.fields(c):
            v = getattr(c, f.name)
            if isinstance(v, dict):
                v = {k: round(x, 3) for k, x in v.items()}
            elif isinstance(v, float):
                v = float(f"{v:.3g}")
            fields.append(f"{f.name}={v!r}")
        print(f"{be}: " + ", ".join(fields))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fit", action="store_true", help="refit the constants and print them")
    ap.add_argument("--no-logo", action="store_true", help="skip the leave-one-GPU-out run")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    if not (calibration_dir() / "tokens_per_s.csv").is_file():
        print(f"calibration data not found in {calibration_dir()} (set WILLITRUN_CALIBRATION)", file=sys.stderr)
        return 2
    all_rows = load_rows()
    # Fit and judge on current llama.cpp runs; the outdated 2023 tables are scored separately, for shape only.
    rows = [r for r in all_rows if not r.outdated]
    base = dict(K.BACKENDS)
    start = prior(base)
    consts = fit(rows, start) if a.fit else base
    label = "shipped" if not a.fit else "fitted"
    result: dict[str, Any] = {"rows": len(rows)}
    if not a.no_logo:
        lg = leave_one_gpu_out(rows, start)
        ratios = lg.pop("_ratios")
        if a.fit:
            consts = ranges_from(ratios, consts)
        result["leave_one_gpu_out"] = lg
    result[label] = score(rows, consts)
    result["outdated_2023_tables"] = score([r for r in all_rows if r.outdated], consts)
    if a.json:
        print(json.dumps(result, indent=2))
        return 0
    s = result[label]
    print(f"calibration rows: {len(rows)} current + {len(all_rows) - len(rows)} outdated (from {calibration_dir()})")
    print(f"{'group':28s} {'n':>4s} {'median %':>9s} {'p90 %':>7s}")
    for g, v in s["groups"].items():
        print(f"{g:28s} {v['n']:4d} {v['median_ape']:9.1f} {v['p90_ape']:7.1f}")
    for name in ("decode", "prefill"):
        if s.get(name):
            print(f"{name}: n={s[name]['n']} median APE {s[name]['median_ape']}%, p90 {s[name]['p90_ape']}%")
    print(f"decode inside low..high range: {s['decode_inside_range']}%")
    fa = s["fit_agreement"]
    print(f"fit agreement (fits vs ran/OOM): {fa['agree']}/{fa['configs']} = {fa['pct']}%")
    for d in s["fit_disagreements"]:
        print(f"  disagree: {d}")
    od = result["outdated_2023_tables"]
    if od.get("decode"):
        print(
            f"outdated 2023 tables (shape only): decode median APE {od['decode']['median_ape']}%, "
            f"prefill {od.get('prefill', {}).get('median_ape')}%"
        )
    if "leave_one_gpu_out" in result:
        lg = result["leave_one_gpu_out"]
        print(f"leave-one-GPU-out: decode median APE {lg['decode_median_ape']}%, prefill {lg['prefill_median_ape']}%")
        print(f"leave-one-GPU-out decode inside the range: {lg['decode_inside_range']}%")
        for hw, v in lg["per_gpu"].items():
            print(f"  {hw:28s} tg {v['tg_median_ape']:6.1f}%  pp {v['pp_median_ape']:6.1f}%")
    if a.fit:
        _print_constants(consts)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
