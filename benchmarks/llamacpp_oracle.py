"""llama.cpp as the referee: its own memory figures and CPU speed for synthetic models, beside willitrun's.

    python benchmarks/llamacpp_oracle.py                 # build (once), measure, write tests/data/llamacpp_oracle.json
    python benchmarks/llamacpp_oracle.py --memory-only   # skip llama-bench
    python benchmarks/llamacpp_oracle.py --models llama3.2-1b,gemma3-1b --no-quantize

How it works:
- llama.cpp (CPU backend) is built from the pinned llama-cpp-python source release, whose `vendor/llama.cpp` is a
  fixed llama.cpp commit, into the user cache (`~/.cache/willitrun/llamacpp/build-<version>`), only when that
  build is missing: `pip download --no-deps --no-binary :all: llama-cpp-python==<version>`, then cmake + ninja.
- For each case a GGUF is written with the `gguf` package: the metadata llama.cpp reads for the architecture and
  one tensor info per tensor of willitrun's own tensor list (`estimate/tensors.py`), typed as llama.cpp's
  converter types an F16 file. The file is then extended to its full size without writing data (a sparse file:
  no disk used); llama.cpp loads such a file without complaint, since nothing checks weight values.
- Small models are also quantized with `llama-quantize` (it reads and writes the data for real, so only where
  affordable): llama.cpp's own per-tensor mix rules decide the types.
- `llama-fit-params --fit-print on` loads each file without allocating and prints llama.cpp's memory breakdown
  (model, context, compute per device); the figures are recorded at several contexts, KV types and `-np`.
- `llama-bench` runs the quantized small models for real (pp512, tg128, tg128 at a context depth) beside
  willitrun's `check` estimate for this machine.

The result, `tests/data/llamacpp_oracle.json`, holds llama.cpp's figures (and, for reading only, willitrun's at
the time); tests/test_llamacpp_oracle.py recomputes willitrun's side live and holds it to the recorded figures.
Synthetic files live in the cache and are deleted when done.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import re
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from willitrun.catalog.load import load_catalog  # noqa: E402
from willitrun.estimate.quants import TensorShape, converted_type  # noqa: E402
from willitrun.estimate.tensors import model_tensors  # noqa: E402
from willitrun.estimate.types import ModelSpec  # noqa: E402
from willitrun.paths import cache_dir  # noqa: E402

PIN = "0.3.36"  # llama-cpp-python source release; its vendor/llama.cpp is the llama.cpp we measure
TARGETS = ("llama-fit-params", "llama-quantize", "llama-bench")
CMAKE_FLAGS = (
    "-DCMAKE_BUILD_TYPE=Release",
    "-DGGML_NATIVE=ON",
    "-DBUILD_SHARED_LIBS=OFF",
    "-DLLAMA_CURL=OFF",
    "-DLLAMA_OPENSSL=OFF",
    "-DLLAMA_BUILD_TESTS=OFF",
    "-DLLAMA_BUILD_SERVER=OFF",
)
FIXTURE = ROOT / "tests" / "data" / "llamacpp_oracle.json"
MIB = 1024**2

# ---------------------------------------------------------------------------------------------------------------
# building llama.cpp


def work_dir() -> Path:
    base = cache_dir() or Path(tempfile.gettempdir()) / "willitrun"
    return base / "llamacpp"


def source_dir(version: str = PIN) -> Path:
    return work_dir() / f"llama_cpp_python-{version}" / "vendor" / "llama.cpp"


BACKEND_FLAGS: dict[str, tuple[str, ...]] = {"cpu": (), "cuda": ("-DGGML_CUDA=ON",)}


def bin_dir(version: str = PIN, backend: str = "cpu") -> Path:
    suffix = "" if backend == "cpu" else f"-{backend}"
    return work_dir() / f"build-{version}{suffix}" / "bin"


def _have_build(version: str, backend: str) -> bool:
    return all((bin_dir(version, backend) / t).is_file() for t in TARGETS)


def ensure_llamacpp(version: str = PIN, backend: str = "cpu") -> Path:
    """The bin folder of a build of the pinned llama.cpp (CPU, or CPU+CUDA), building it first when the cache has
    none."""
    if _have_build(version, backend):
        return bin_dir(version, backend)
    wd = work_dir()
    wd.mkdir(parents=True, exist_ok=True)
    if not source_dir(version).is_dir():
        sdist = wd / f"llama_cpp_python-{version}.tar.gz"
        if not sdist.is_file():
            print(f"downloading llama-cpp-python {version} (source) ...", file=sys.stderr)
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "pip",
                    "download",
                    "--no-deps",
                    "--no-binary",
                    ":all:",
                    f"llama-cpp-python=={version}",
                    "-d",
                    str(wd),
                ],
                check=True,
            )
        with tarfile.open(sdist) as tf:
            tf.extractall(wd, filter="data")
    build = bin_dir(version, backend).parent
    print(f"building llama.cpp into {build} (several minutes) ...", file=sys.stderr)
    flags = [*CMAKE_FLAGS, *BACKEND_FLAGS[backend]]
    subprocess.run(["cmake", "-S", str(source_dir(version)), "-B", str(build), "-G", "Ninja", *flags], check=True)
    subprocess.run(["ninja", "-C", str(build), *TARGETS], check=True)
    return bin_dir(version, backend)


def llamacpp_commit(version: str = PIN) -> str:
    src = source_dir(version)
    with contextlib.suppress(OSError, subprocess.CalledProcessError):
        out = subprocess.run(["git", "-C", str(src), "rev-parse", "HEAD"], capture_output=True, text=True, check=True)
        if re.fullmatch(r"[0-9a-f]{40}", out.stdout.strip()):
            return out.stdout.strip()
    info = bin_dir(version).parent / "common" / "build-info.cpp"
    with contextlib.suppress(OSError):
        got = re.search(r'LLAMA_COMMIT = "([0-9a-f]+)"', info.read_text())
        if got:
            return got.group(1)
    return "unknown"


def cpu_name() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


# ---------------------------------------------------------------------------------------------------------------
# synthetic GGUF files


@dataclass(frozen=True)
class Case:
    """One model to measure: a catalog id, the file layout, the mixes to quantize to, the settings to load with."""

    model: str
    family: str
    layout: str = ""  # "" = as current llama.cpp converts it; "mla-kv_b": DeepSeek's older single attn_kv_b
    quants: tuple[str, ...] = ("F16",)
    contexts: tuple[int, ...] = (4096, 32768)
    kv_types: tuple[str, ...] = ("f16", "q8_0")
    parallels: tuple[int, ...] = (1, 4)
    note: str = ""


def converter_type(t: TensorShape, m: ModelSpec) -> str:
    """The type llama.cpp's converter gives a tensor in an F16 file: the estimator's own rule
    (quants.converted_type), with gpt-oss's experts as released, MXFP4."""
    if m.arch == "gpt-oss" and t.name.endswith("_exps.weight"):
        return "MXFP4"
    return converted_type(t)


def file_tensors(m: ModelSpec, layout: str = "") -> list[TensorShape]:
    """willitrun's tensor list, rewritten where a layout differs from the one it sizes (old DeepSeek files)."""
    tensors = model_tensors(m)
    if layout != "mla-kv_b" or not m.is_mla:
        return tensors
    rope = m.qk_rope_head_dim or 64
    nope = m.qk_nope_head_dim or (m.head_dim - rope)
    v_dim = m.v_head_dim or nope
    lora = m.kv_lora_rank or 0
    out: list[TensorShape] = []
    for t in tensors:
        if t.name.endswith("attn_k_b.weight"):
            out.append(TensorShape(f"blk.{t.layer}.attn_kv_b.weight", (lora, m.heads * (nope + v_dim)), t.layer))
        elif t.name.endswith("attn_v_b.weight"):
            continue
        else:
            out.append(t)
    return out


def _per_layer(m: ModelSpec, f: Any) -> list[int]:
    return [int(f(i)) for i in range(m.layers)]


def metadata(m: ModelSpec, layout: str = "") -> dict[str, Any]:
    """The GGUF key/values llama.cpp reads for this architecture. Values: int (uint32), float (float32), str,
    bool, or a list of ints (a per-layer array)."""
    a = m.arch
    kv: dict[str, Any] = {
        "general.name": "synthetic",  # neutral: llama.cpp looks some special tokens up by the model's name
        "general.file_type": 1,
        f"{a}.context_length": m.context_max,
        f"{a}.embedding_length": m.hidden,
        f"{a}.block_count": m.layers,
        f"{a}.feed_forward_length": m.intermediate,
        f"{a}.attention.head_count": m.heads,
        f"{a}.attention.head_count_kv": m.kv_heads,
        f"{a}.attention.layer_norm_rms_epsilon": 1e-6,
        f"{a}.attention.layer_norm_epsilon": 1e-6,
        f"{a}.attention.key_length": m.head_dim,
        f"{a}.attention.value_length": m.head_dim,
        f"{a}.rope.dimension_count": m.head_dim,
        f"{a}.rope.freq_base": 10000.0,
        f"{a}.vocab_size": m.vocab,
        "tokenizer.ggml.model": "none",
    }
    if m.is_moe:
        if a in ("granitemoe", "granitehybrid"):
            kv[f"{a}.feed_forward_length"] = m.expert_intermediate  # Granite's experts are sized by the FFN length
        kv[f"{a}.expert_count"] = m.experts
        kv[f"{a}.expert_used_count"] = m.experts_active
        kv[f"{a}.expert_feed_forward_length"] = m.expert_intermediate
        if m.shared_experts:
            kv[f"{a}.expert_shared_count"] = m.shared_experts
            kv[f"{a}.expert_shared_feed_forward_length"] = m.expert_intermediate * m.shared_experts
        if m.dense_layers:
            kv[f"{a}.leading_dense_block_count"] = m.dense_layers
        if m.moe_layer_step > 1:
            kv[f"{a}.interleave_moe_layer_step"] = m.moe_layer_step
    if m.sliding_window:
        kv[f"{a}.attention.sliding_window"] = m.sliding_window
        if m.swa_pattern:
            kv[f"{a}.attention.sliding_window_pattern"] = m.swa_pattern
    if m.is_mla:
        rope = m.qk_rope_head_dim or 64
        nope = m.qk_nope_head_dim or (m.head_dim - rope)
        v_dim = m.v_head_dim or nope
        lora = m.kv_lora_rank or 0
        kv[f"{a}.attention.kv_lora_rank"] = lora
        if m.q_lora_rank:
            kv[f"{a}.attention.q_lora_rank"] = m.q_lora_rank
        kv[f"{a}.rope.dimension_count"] = rope
        if layout == "mla-kv_b":
            # older files: per-head K and V sizes, every head its own KV head
            kv[f"{a}.attention.key_length"] = nope + rope
            kv[f"{a}.attention.value_length"] = v_dim
            kv[f"{a}.attention.head_count_kv"] = m.heads
        else:
            # current files: the absorbed latent is one KV head of kv_lora + rope (K) and kv_lora (V)
            kv[f"{a}.attention.key_length"] = lora + rope
            kv[f"{a}.attention.value_length"] = lora
            kv[f"{a}.attention.key_length_mla"] = nope + rope
            kv[f"{a}.attention.value_length_mla"] = v_dim
            kv[f"{a}.attention.head_count_kv"] = 1
        kv[f"{a}.expert_weights_scale"] = 1.0
    if m.ssm_d_inner or m.attention_layers is not None:
        kv[f"{a}.ssm.conv_kernel"] = m.ssm_d_conv
        kv[f"{a}.ssm.inner_size"] = m.ssm_d_inner
        kv[f"{a}.ssm.state_size"] = m.ssm_d_state
        heads = m.ssm_heads or max(1, m.ssm_d_inner // 64)
        kv[f"{a}.ssm.time_step_rank"] = heads if a != "jamba" else -(-m.hidden // 16)
        kv[f"{a}.ssm.group_count"] = m.ssm_n_group
        if a == "lfm2":
            kv[f"{a}.shortconv.l_cache"] = m.ssm_d_conv
        if m.attention_layers is not None and not m.parallel_ssm:
            kv[f"{a}.attention.head_count_kv"] = _per_layer(
                m, lambda i: m.kv_heads if m.layer_kind(i) != "recurrent" else 0
            )
    if m.per_layer_input:
        kv[f"{a}.embedding_length_per_layer_input"] = m.per_layer_input
        kv[f"{a}.altup.num_inputs"] = m.altup_inputs
        kv[f"{a}.altup.active_idx"] = 0
        kv[f"{a}.attention.shared_kv_layers"] = m.kv_shared_layers
    return kv


def _ggml_type(name: str) -> Any:
    from gguf import GGMLQuantizationType

    return GGMLQuantizationType[name]


def write_gguf(path: Path, m: ModelSpec, layout: str = "") -> int:
    """Write header, metadata and tensor infos, then extend the file to its full size (sparse). Returns the size."""
    import numpy as np
    from gguf import GGML_QUANT_SIZES, GGUFValueType, GGUFWriter

    w = GGUFWriter(str(path), m.arch)
    for key, value in metadata(m, layout).items():
        if isinstance(value, bool):
            w.add_bool(key, value)
        elif isinstance(value, int):
            if value < 0:
                w.add_int32(key, value)
            else:
                w.add_uint32(key, value)
        elif isinstance(value, float):
            w.add_float32(key, value)
        elif isinstance(value, str):
            w.add_string(key, value)
        elif isinstance(value, list):
            w.add_key_value(key, value, GGUFValueType.ARRAY, sub_type=GGUFValueType.INT32)
        else:
            raise TypeError(f"{key}: {value!r}")
    data_bytes = 0
    for t in file_tensors(m, layout):
        ty = converter_type(t, m)
        block, type_size = GGML_QUANT_SIZES[_ggml_type(ty)]
        nbytes = t.elements // block * type_size
        w.add_tensor_info(t.name, tuple(reversed(t.ne)), np.dtype(np.float16), nbytes, raw_dtype=_ggml_type(ty))
        data_bytes += GGUFWriter.ggml_pad(nbytes, w.data_alignment)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_ti_data_to_file()
    assert w.fout is not None
    fh = w.fout[0]
    fh.flush()
    start = GGUFWriter.ggml_pad(fh.tell(), w.data_alignment)
    w.close()
    size = start + data_bytes
    os.truncate(path, size)
    return size


# ---------------------------------------------------------------------------------------------------------------
# running llama.cpp

QUANTIZE_NAMES = {"MXFP4": "MXFP4_MOE"}  # willitrun's mix name -> llama-quantize's


@dataclass(frozen=True)
class Breakdown:
    """llama.cpp's memory breakdown for the host (CPU) in bytes: model, context (KV and state), compute."""

    model: int
    context: int
    compute: int


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("OMP_NUM_THREADS", str(os.cpu_count() or 1))
    return env


_SIZE = re.compile(r"(llama_kv_cache|llama_memory_recurrent): size =\s*([0-9.]+) MiB")
_COMPUTE = re.compile(r"(\S+) compute buffer size =\s*([0-9.]+) MiB")


def tensor_bytes_in(path: Path) -> int:
    """The bytes of every tensor of a GGUF file, from its tensor infos (what llama.cpp loads)."""
    from gguf import GGUFReader

    return sum(int(t.n_bytes) for t in GGUFReader(str(path)).tensors)


def fit_params(bins: Path, path: Path, ctx: int, kv_type: str, parallel: int) -> Breakdown:
    """Load without allocating (llama-fit-params --fit-print on -v) and read llama.cpp's memory breakdown for the
    CPU. Weight repacking is off (--no-repack): on CPUs with AMX llama.cpp would otherwise put the output layer in
    a repacked buffer and keep a second copy of a tied embedding, a CPU-specific extra. The printed figures are
    whole MiB; the cache sizes and the compute buffer are read from the debug log too (two decimals), and the
    weights from the file's tensor infos, each used where it agrees with the whole MiB. (The debug log is written
    by a thread and may lose its last lines at exit; stdout is not.)"""
    cmd = [
        str(bins / "llama-fit-params"),
        "-m",
        str(path),
        "-c",
        str(ctx * parallel),
        "-np",
        str(parallel),
        "-ctk",
        kv_type,
        "-ctv",
        kv_type,
        "--no-repack",
        "--fit-print",
        "on",
        "-v",
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, env=_env(), timeout=900)
    text = out.stdout + out.stderr
    host = [ln.split() for ln in out.stdout.splitlines() if ln.startswith("Host ")]
    if out.returncode != 0 or not host:
        tail = [ln for ln in text.strip().splitlines() if " D " not in ln[:20]]
        raise RuntimeError(f"llama-fit-params failed on {path.name}: " + "\n".join(tail[-4:]))
    model_mib, context_mib, compute_mib = (int(x) for x in host[-1][1:4])
    sizes = [float(v) for _, v in _SIZE.findall(text)]
    computes = [float(v) for dev, v in _COMPUTE.findall(text) if dev.startswith("CPU")]
    context = round(sum(sizes) * MIB) if sizes else context_mib * MIB
    if abs(context / MIB - context_mib) > 1.01:
        context = context_mib * MIB
    compute = round(computes[-1] * MIB) if computes else compute_mib * MIB
    if abs(compute / MIB - compute_mib) > 1.01:
        compute = compute_mib * MIB
    exact = tensor_bytes_in(path)
    # the file's tensor bytes, when they agree with llama.cpp's model buffer to its whole MiB
    model = exact if abs(exact / MIB - model_mib) <= 1.01 else model_mib * MIB
    return Breakdown(model, context, compute)


def quantize(bins: Path, src: Path, dst: Path, mix: str) -> None:
    cmd = [str(bins / "llama-quantize"), str(src), str(dst), QUANTIZE_NAMES.get(mix, mix), str(os.cpu_count() or 1)]
    out = subprocess.run(cmd, capture_output=True, text=True, env=_env(), timeout=7200)
    if out.returncode != 0:
        tail = "\n".join((out.stdout + out.stderr).strip().splitlines()[-6:])
        raise RuntimeError(f"llama-quantize {mix} failed:\n{tail}")


def bench(bins: Path, path: Path, threads: int, depth: int, reps: int) -> dict[str, float]:
    """llama-bench pp512 and tg128 (and tg128 at a depth): tokens/s by test name, the best repetition (other work
    on a shared machine only ever slows a run down). Weight repacking is off: with
    it, this build's AMX path crashed on quantized files on the machine the fixture was recorded on."""
    cmd = [
        str(bins / "llama-bench"),
        "-m",
        str(path),
        "-t",
        str(threads),
        "-p",
        "512",
        "-n",
        "128",
        "-r",
        str(reps),
        "-o",
        "json",
        "--repack",
        "0",
    ]
    res: dict[str, float] = {}
    out = subprocess.run(cmd, capture_output=True, text=True, env=_env(), timeout=3600)
    if out.returncode != 0:
        raise RuntimeError(f"llama-bench failed: {out.stderr.strip().splitlines()[-3:]}")
    for row in json.loads(out.stdout):
        test = f"pp{row['n_prompt']}" if row["n_prompt"] else f"tg{row['n_gen']}"
        res[test] = max(float(x) for x in row["samples_ts"])
    if depth:
        cmd_d = [*cmd[:3], "-t", str(threads), "-p", "0", "-n", "128", "-d", str(depth), "-r", str(reps), "-o", "json"]
        cmd_d += ["--repack", "0"]
        out = subprocess.run(cmd_d, capture_output=True, text=True, env=_env(), timeout=3600)
        if out.returncode == 0:
            for row in json.loads(out.stdout):
                res[f"tg128@d{depth}"] = max(float(x) for x in row["samples_ts"])
    return res


# ---------------------------------------------------------------------------------------------------------------
# willitrun's side


_SPECS: dict[str, ModelSpec] = {}


def spec_for(model_id: str) -> ModelSpec:
    """The catalog's spec, read once per process (a long run must not see the catalog change under it)."""
    if model_id not in _SPECS:
        _SPECS[model_id] = load_catalog().model(model_id)
    return _SPECS[model_id]


def willitrun_memory(
    m: ModelSpec, quant: str, ctx: int, kv_type: str, parallel: int, layout: str = ""
) -> dict[str, int]:
    """willitrun's weights, KV/state and CPU compute buffer for a CPU-only load of this file."""
    from willitrun.estimate.kv import kv_cache_bytes, legacy_mla_kv_cache_bytes
    from willitrun.estimate.runtime import LLAMA_CPP, compute_buffer_bytes
    from willitrun.estimate.tensors import weights_breakdown

    if layout == "mla-kv_b":
        kv = legacy_mla_kv_cache_bytes(m, ctx, kv_type, parallel)
    else:
        kv = kv_cache_bytes(m, ctx, kv_type, parallel)
    cb = compute_buffer_bytes(
        m, ctx * parallel, LLAMA_CPP, has_layers=True, has_output=True, pipeline=False, parallel=parallel
    )
    return {
        "willitrun_weights_bytes": weights_breakdown(m, quant).total_bytes,
        "willitrun_kv_bytes": kv,
        "willitrun_compute_bytes": cb,
    }


# ---------------------------------------------------------------------------------------------------------------
# the cases: every architecture family of the catalog, small models quantized for real

LONG = (4096, 32768, 131072)
CASES: tuple[Case, ...] = (
    Case("llama3.2-1b", "llama (dense)", quants=("F16", "Q8_0", "Q4_K_M", "Q3_K_M", "Q2_K"), contexts=LONG),
    Case("llama3-8b", "llama (dense)", contexts=(4096, 8192)),
    Case("smollm2-135m", "llama (dense)", quants=("F16", "Q4_K_M"), contexts=(4096, 8192)),
    Case("mixtral-8x7b", "mixtral (MoE)", contexts=(4096, 32768)),
    Case("qwen2.5-0.5b", "qwen2", quants=("F16", "Q8_0", "Q4_K_M")),
    Case("qwen3-0.6b", "qwen3", quants=("F16", "Q4_K_M")),
    Case("qwen3-30b-a3b", "qwen3moe (MoE)", contexts=(4096, 32768)),
    Case("gemma2-2b", "gemma2 (SWA)", quants=("F16", "Q4_K_M"), contexts=(4096, 8192)),
    Case("gemma3-1b", "gemma3 (SWA)", quants=("F16", "Q4_K_M")),
    Case("gemma3-4b", "gemma3 (SWA)", contexts=LONG),
    Case("gemma3n-e2b", "gemma3n", contexts=(4096, 32768)),
    Case("deepseek-v2-lite", "deepseek2 (MLA)", contexts=(4096, 8192, 32768)),
    Case(
        "deepseek-v2-lite", "deepseek2 (MLA)", layout="mla-kv_b", contexts=(4096, 8192), note="older single attn_kv_b"
    ),
    Case("deepseek-v3", "deepseek2 (MLA)", contexts=(4096, 32768)),
    Case("gpt-oss-20b", "gpt-oss", quants=("F16", "MXFP4"), contexts=LONG),
    Case("phi-3-mini", "phi3", quants=("F16", "Q4_K_M"), contexts=(4096,)),
    Case("falcon-h1-3b", "falcon-h1 (hybrid)", contexts=(4096, 32768)),
    Case("granite-4.0-h-micro", "granitehybrid (hybrid)", contexts=(4096, 32768)),
    Case("granite-4.0-h-tiny", "granitehybrid (hybrid)", contexts=(4096, 32768)),
    Case("lfm2-350m", "lfm2 (hybrid)", quants=("F16", "Q4_K_M", "Q8_0")),
    Case("jamba-mini-1.6", "jamba (hybrid)", contexts=(4096, 32768)),
)


def settings(c: Case) -> list[tuple[int, str, int]]:
    """(ctx, kv_type, parallel): every context with an f16 cache, then each other KV type and -np at the first."""
    out = [(ctx, "f16", 1) for ctx in c.contexts]
    out += [(c.contexts[0], kv, 1) for kv in c.kv_types if kv != "f16"]
    out += [(c.contexts[0], "f16", n) for n in c.parallels if n != 1]
    return out


def synthetic_dir() -> Path:
    d = work_dir() / "synthetic"
    d.mkdir(parents=True, exist_ok=True)
    return d


@contextlib.contextmanager
def synthetic(m: ModelSpec, layout: str) -> Iterator[Path]:
    path = synthetic_dir() / f"{m.id}{'-' + layout if layout else ''}-F16.gguf"
    write_gguf(path, m, layout)
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


def _row(c: Case, m: ModelSpec, quant: str, ctx: int, kv: str, n: int, b: Breakdown) -> dict[str, Any]:
    row: dict[str, Any] = {
        "arch": m.arch,
        "family": c.family,
        "model": m.id,
        "layout": c.layout or None,
        "quant": quant,
        "ctx": ctx,
        "kv_type": kv,
        "parallel": n,
        "llama_model_bytes": b.model,
        "llama_context_bytes": b.context,
        "llama_compute_bytes": b.compute,
    }
    row.update(willitrun_memory(m, quant, ctx, kv, n, c.layout))
    return row


def memory_rows(bins: Path, cases: list[Case], quantize_ok: bool) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    rows: list[dict[str, Any]] = []
    failed: list[dict[str, str]] = []
    for c in cases:
        m = spec_for(c.model)
        label = f"{c.model}{' (' + c.layout + ')' if c.layout else ''}"
        try:
            with synthetic(m, c.layout) as f16:
                for quant in c.quants if quantize_ok else ("F16",):
                    path = f16
                    if quant != "F16":
                        path = f16.with_name(f16.name.replace("-F16", f"-{quant}"))
                        print(f"  {label}: llama-quantize {quant} ...", file=sys.stderr)
                        quantize(bins, f16, path, quant)
                    try:
                        for ctx, kv, n in settings(c):
                            b = fit_params(bins, path, ctx, kv, n)
                            rows.append(_row(c, m, quant, ctx, kv, n, b))
                            r = rows[-1]
                            print(
                                f"  {label:34} {quant:7} ctx {ctx:6} {kv:5} np {n}: "
                                f"weights {_pct(r['willitrun_weights_bytes'], b.model):+6.2f}%  "
                                f"kv {_pct(r['willitrun_kv_bytes'], b.context):+6.2f}%  "
                                f"compute {_pct(r['willitrun_compute_bytes'], b.compute):+6.2f}%",
                                file=sys.stderr,
                            )
                    finally:
                        if path != f16:
                            path.unlink(missing_ok=True)
        except (RuntimeError, subprocess.TimeoutExpired) as e:
            print(f"  {label}: {e}", file=sys.stderr)
            failed.append({"model": label, "arch": m.arch, "error": str(e).splitlines()[-1][:300]})
    return rows, failed


def _pct(est: float, ref: float) -> float:
    return 100.0 * (est - ref) / ref if ref else 0.0


# ---------------------------------------------------------------------------------------------------------------
# main


def machine_facts() -> dict[str, Any]:
    """What willitrun detects of this machine (CPU, RAM, RAM bandwidth and how it was obtained): the test rebuilds
    the machine from these to recompute the speed estimate anywhere."""
    from willitrun.hardware.detect import detect

    m = detect(gpus=False)
    return {
        "cpu": cpu_name(),
        "cores": m.cpu.cores,
        "threads": m.cpu.threads,
        "flags": list(m.cpu.flags),
        "ram_bytes": m.ram_bytes,
        "ram_bandwidth_gbps": m.ram_bandwidth_gbps,
        "ram_bandwidth_how": m.ram_bandwidth_how,
    }


# CPU speed: small models, two quantizations each, run for real on this machine
SPEED_MODELS = ("qwen2.5-0.5b", "llama3.2-1b", "gemma3-1b")
SPEED_QUANTS = ("Q4_K_M", "Q8_0")
SPEED_DEPTH = 2048
SPEED_REPS = 3


def willitrun_speed(m: ModelSpec, quant: str, depth: int) -> dict[str, float]:
    """willitrun's `check` estimate for this machine as detected (no GPU): decode tokens/s and its range, and the
    prefill rate, at a cache depth."""
    from willitrun.estimate.core import Request, estimate
    from willitrun.hardware.detect import detect

    machine = detect(gpus=False)
    est = estimate(m, machine, Request(quants=(quant,), ctx=max(4096, depth + 512), depth=depth, max_context=False))
    o = est.options[0]
    return {
        "tokens_per_s": o.tokens_per_s or 0.0,
        "low": o.tokens_per_s_low or 0.0,
        "high": o.tokens_per_s_high or 0.0,
        "prefill": o.prefill_tokens_per_s or 0.0,
        "ram_bandwidth_gbps": machine.ram_bandwidth_gbps,
    }


def speed_rows(bins: Path, models: tuple[str, ...] = SPEED_MODELS) -> list[dict[str, Any]]:
    threads = os.cpu_count() or 1
    rows: list[dict[str, Any]] = []
    for model_id in models:
        m = spec_for(model_id)
        with synthetic(m, "") as f16:
            for quant in SPEED_QUANTS:
                path = f16.with_name(f16.name.replace("-F16", f"-{quant}"))
                try:
                    quantize(bins, f16, path, quant)
                    print(f"  llama-bench {model_id} {quant} ...", file=sys.stderr)
                    got = bench(bins, path, threads, SPEED_DEPTH, SPEED_REPS)
                finally:
                    path.unlink(missing_ok=True)
                for test, tps in got.items():
                    depth = SPEED_DEPTH if "@d" in test else 0
                    est = willitrun_speed(m, quant, depth)
                    prefill = test.startswith("pp")
                    rows.append(
                        {
                            "model": model_id,
                            "quant": quant,
                            "test": test,
                            "threads": threads,
                            "llama_tokens_per_s": round(tps, 3),
                            "willitrun_tokens_per_s": round(est["prefill"] if prefill else est["tokens_per_s"], 3),
                            "willitrun_low": None if prefill else round(est["low"], 3),
                            "willitrun_high": None if prefill else round(est["high"], 3),
                            "willitrun_ram_bandwidth_gbps": est["ram_bandwidth_gbps"],
                        }
                    )
                    r = rows[-1]
                    print(
                        f"  {model_id:14} {quant:7} {test:12} llama {tps:8.2f}  "
                        f"willitrun {r['willitrun_tokens_per_s']:8.2f} ({r['willitrun_low']}-{r['willitrun_high']})",
                        file=sys.stderr,
                    )
    return rows


def table(fixture: dict[str, Any]) -> str:
    """Per architecture family: how many rows, and the largest error of weights, KV/state and the CPU compute
    buffer, willitrun's side recomputed from the estimator as it is now (a Markdown table)."""
    fam: dict[str, list[list[float]]] = {}
    for r in fixture["memory"]:
        m = spec_for(r["model"])
        live = willitrun_memory(m, r["quant"], r["ctx"], r["kv_type"], r["parallel"], r.get("layout") or "")
        key = r["family"] + (" (old attn_kv_b)" if r.get("layout") else "")
        errs = [
            _pct(live["willitrun_weights_bytes"], r["llama_model_bytes"]),
            _pct(live["willitrun_kv_bytes"], r["llama_context_bytes"]),
            _pct(live["willitrun_compute_bytes"], r["llama_compute_bytes"]),
        ]
        fam.setdefault(key, []).append(errs)
    lines = ["| family | rows | weights | KV/state | CPU compute |", "|---|---:|---:|---:|---:|"]
    for key, errs in fam.items():
        cells = []
        for i in range(3):
            lo, hi = min(e[i] for e in errs), max(e[i] for e in errs)
            cells.append(f"{lo:+.2f}%" if abs(hi - lo) < 0.005 else f"{lo:+.2f} to {hi:+.2f}%")
        lines.append(f"| {key} | {len(errs)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--models", help="comma-separated catalog ids (default: every case)")
    ap.add_argument("--memory-only", action="store_true", help="skip llama-bench")
    ap.add_argument("--speed-only", action="store_true", help="skip llama-fit-params (keep the file's memory rows)")
    ap.add_argument("--no-quantize", action="store_true", help="F16 files only (no llama-quantize)")
    ap.add_argument("--out", type=Path, default=FIXTURE)
    ap.add_argument("--dry-run", action="store_true", help="print, do not write the fixture")
    ap.add_argument("--table", action="store_true", help="print the per-family error table of the fixture, then exit")
    args = ap.parse_args(argv)
    if args.table:
        print(table(json.loads(args.out.read_text())))
        return 0

    bins = ensure_llamacpp()
    # everything from willitrun is loaded now: a long run keeps one consistent snapshot of the estimator
    import willitrun.estimate.core
    import willitrun.hardware.detect  # noqa: F401

    for model_id in {c.model for c in CASES} | set(SPEED_MODELS):
        spec_for(model_id)
    cases = list(CASES)
    if args.models:
        wanted = set(args.models.split(","))
        cases = [c for c in cases if c.model in wanted]
    old: dict[str, Any] = {}
    if args.out.is_file():
        old = json.loads(args.out.read_text())
    result: dict[str, Any] = {
        "llamacpp": {
            "commit": llamacpp_commit(),
            "source": f"llama-cpp-python {PIN} (vendor/llama.cpp)",
            "build_flags": list(CMAKE_FLAGS),
            "backend": "CPU",
        },
        "machine": machine_facts(),
        "date": dt.date.today().isoformat(),
        "fit_params_flags": ["--no-repack", "--fit-print on", "-v"],
    }
    if args.speed_only:
        result["memory"] = old.get("memory", [])
        result["not_loaded"] = old.get("not_loaded", [])
    else:
        rows, failed = memory_rows(bins, cases, not args.no_quantize)
        if args.models and old:
            # a partial run replaces only its own models' rows
            keep = [r for r in old.get("memory", []) if r["model"] not in {c.model for c in cases}]
            rows = keep + rows
        result["memory"] = rows
        result["not_loaded"] = failed
    result["cpu_speed"] = old.get("cpu_speed", []) if args.memory_only else speed_rows(bins)
    if not args.dry_run:
        args.out.write_text(json.dumps(result, indent=1) + "\n")
        print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
