"""What each runtime allocates besides weights and cache: compute graphs, output buffers, reserves.

Sources (../shared/reference/estimation.md section 3):
- llama.cpp's scheduler reserves the worst-case graph for `n_ubatch` tokens per backend. With flash attention
  that is the largest of one layer's f32 intermediates and the logits (`4 x n_vocab x n_ubatch`); without it the
  f32 KQ matrix `[n_kv, n_ubatch, n_head]` is added, so the buffer grows with context (logdetective PR #106: 164
  MiB at ctx 2048, 2144 MiB at ctx 32768 for a 32-head model).
- With several GPUs and every layer offloaded, llama.cpp pipelines micro-batches and keeps
  `GGML_SCHED_MAX_COPIES = 4` copies of each split's inputs.
- The output (logits) buffer lives in host memory: `n_vocab x n_seq x 4` bytes.
- Device reserves: the CUDA/ROCm context and cuBLAS workspace that never show in llama.cpp's own log but do in
  nvidia-smi; Ollama reserves `MinimumMemory` = 457 MiB per GPU (512 MiB on Metal); gguf-parser budgets 150 MiB
  of RAM and 250 MiB of VRAM of platform footprint.
"""

from __future__ import annotations

from dataclasses import dataclass

from willitrun.estimate.kv import pad
from willitrun.estimate.types import MIB, ModelSpec

RUNTIMES = ("llama.cpp", "ollama", "vllm", "mlx")


@dataclass(frozen=True)
class RuntimeProfile:
    name: str
    flash_attention: bool
    n_ubatch: int
    # Per accelerator, by backend: memory the runtime's process holds beyond its own buffers.
    device_reserve_bytes: dict[str, int]
    host_footprint_bytes: int
    pipeline_copies: int
    min_fit_context: int  # llama.cpp --fit never shrinks the context below this
    # llama.cpp's fit shrinks a context the user did not set; Ollama always passes num_ctx, so it keeps it
    shrinks_context: bool = True


_GPU_RESERVE = {"cuda": 400 * MIB, "rocm": 400 * MIB, "vulkan": 256 * MIB, "sycl": 400 * MIB, "metal": 0}

LLAMA_CPP = RuntimeProfile(
    name="llama.cpp",
    flash_attention=True,  # llama.cpp's default since 2025 is 'auto', which turns it on where supported
    n_ubatch=512,
    device_reserve_bytes=_GPU_RESERVE,
    host_footprint_bytes=150 * MIB,
    pipeline_copies=4,
    min_fit_context=4096,
)

OLLAMA = RuntimeProfile(
    name="ollama",
    flash_attention=True,
    n_ubatch=512,
    device_reserve_bytes={
        "cuda": 457 * MIB,
        "rocm": 457 * MIB,
        "vulkan": 457 * MIB,
        "sycl": 457 * MIB,
        "metal": 512 * MIB,
    },
    host_footprint_bytes=150 * MIB,
    pipeline_copies=4,
    min_fit_context=4096,
    shrinks_context=False,
)


def profile(runtime: str) -> RuntimeProfile:
    return OLLAMA if runtime == "ollama" else LLAMA_CPP


def default_context(m: ModelSpec, runtime: str, total_vram_bytes: int) -> int:
    """The context a runtime allocates when the user names none (before llama.cpp's --fit shrinks it)."""
    if runtime == "ollama":
        gib = total_vram_bytes / 1024**3
        ctx = 262144 if gib >= 47 else 32768 if gib >= 23 else 4096
        return min(ctx, m.context_max)
    return m.context_max


def _layer_intermediates(m: ModelSpec, ub: int, n_kv: int, flash_attention: bool) -> int:
    hd = m.head_dim
    attn = 4 * ub * (m.heads * hd + 2 * m.kv_heads * hd + 2 * m.hidden)
    if not flash_attention:
        attn += 4 * n_kv * ub * m.heads
    if m.is_moe:
        ffn = 4 * ub * (m.experts_active * (2 * m.expert_intermediate + m.hidden) + m.experts)
        ffn = max(ffn, 4 * ub * (2 * m.intermediate + m.hidden))
    else:
        ffn = 4 * ub * (2 * m.intermediate + m.hidden)
    return max(attn, ffn)


def compute_buffer_bytes(
    m: ModelSpec,
    ctx_cells: int,
    prof: RuntimeProfile,
    *,
    has_layers: bool,
    has_output: bool,
    pipeline: bool,
) -> int:
    """One backend's compute buffer. ctx_cells: KV cells of the largest layer (all sequences)."""
    ub = min(prof.n_ubatch, max(1, ctx_cells))
    n_kv = pad(ctx_cells)
    need = 0
    if has_layers:
        need = _layer_intermediates(m, ub, n_kv, prof.flash_attention)
    if has_output:
        need = max(need, 4 * m.vocab * ub)
    inputs = 4 * ub * m.hidden + 2 * n_kv * ub  # activations entering the split, and the f16 KQ mask
    need += inputs + 4 * ub * m.hidden
    if pipeline:
        need += inputs * (prof.pipeline_copies - 1)
    return need


def output_buffer_bytes(m: ModelSpec, parallel: int) -> int:
    return 4 * m.vocab * max(1, parallel)
