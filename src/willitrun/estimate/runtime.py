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

from dataclasses import dataclass, replace

from willitrun.estimate.kv import compressed_rows, pad
from willitrun.estimate.tensors import FUSED_GATE_UP
from willitrun.estimate.types import MIB, ModelSpec, Record, layer_kinds

RUNTIMES = ("llama.cpp", "ollama", "vllm", "mlx")


@dataclass(frozen=True, eq=False, repr=False)
class RuntimeProfile(Record):
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


# Architectures llama.cpp runs without flash attention whatever is asked (llama_init_from_model: "flash_attn is
# not compatible with Grok - forcing off"); their KV cache must then stay f16, a quantized V cache failing to load
NO_FLASH_ATTENTION = frozenset({"grok"})
# Architectures llama.cpp cannot load at all ("unknown model architecture"): Llama 3.2 Vision's mllama, which
# Ollama runs with its own engine
LLAMA_CPP_LACKS = frozenset({"mllama"})
# Architectures mlx-lm has no model for: the model types their checkpoints declare have no module in mlx_lm/models
# and no entry in its MODEL_REMAPPING (mlx-lm 0.32.2 on PyPI, 2026-10-16, the newest release; its module list and
# utils.MODEL_REMAPPING read from the wheel); encoders (embedding models) are not mlx-lm's either
MLX_LM_VERSION = "0.32.2"
MLX_LM_LACKS = frozenset(
    {
        "grok",  # model_type "git" (Grok1ForCausalLM)
        "falcon",
        "smallthinker",
        "granite_swa",  # granite_swa, granitemoe_swa
        "chatglm",
        "cohere2moe",
        "hy_v3",
        "hy_v4",
        "glm5-next",
        "qwen4exp",
        "minimax-01",  # minimax_m1, minimax_text_01 (its minimax module is MiniMax M2's)
        "deepseek4",  # deepseek_v4 (it has deepseek_v32 and deepseek_v41)
        "lfm3",  # it has lfm2 and lfm2_moe
        "mllama",
        "bert",
        "nomic-bert",
        "gemma-embedding",
    }
)


def profile(runtime: str, m: ModelSpec | None = None) -> RuntimeProfile:
    """The runtime's settings, with flash attention off for a model llama.cpp runs without it."""
    prof = OLLAMA if runtime == "ollama" else LLAMA_CPP
    if m is not None and m.arch in NO_FLASH_ATTENTION:
        return replace(prof, flash_attention=False)
    return prof


def default_context(m: ModelSpec, runtime: str, total_vram_bytes: int) -> int:
    """The context a runtime allocates when the user names none (before llama.cpp's --fit shrinks it)."""
    if runtime == "ollama":
        gib = total_vram_bytes / 1024**3
        ctx = 262144 if gib >= 47 else 32768 if gib >= 23 else 4096
        return min(ctx, m.context_max)
    return m.context_max


def _ffn_width(m: ModelSpec) -> int:
    """The widest FFN activation of a layer per token: the dense FFN, or the routed experts a token uses (each
    expert's gate/up output is a separate row) and any shared expert, computed after them."""
    width = m.intermediate if (not m.is_moe or m.dense_layers or m.moe_layer_step > 1) else 0
    if m.is_moe:
        width = max(width, m.experts_active * m.expert_intermediate, m.shared_experts * m.expert_intermediate)
    return width


def _attention_width(m: ModelSpec) -> int:
    """f32 values per token that an attention block keeps live at its peak, besides the hidden-wide ones: the
    query and the attention output plus three hidden-wide tensors; for absorbed MLA (DeepSeek) per head the
    projected query, its nope part taken into the latent space and the latent query fed to attention, plus six
    hidden-wide tensors (fitted on DeepSeek V3's buffer)."""
    if m.is_mla:
        rope = m.qk_rope_head_dim or 64
        nope = m.qk_nope_head_dim or (m.head_dim - rope)
        lora = m.kv_lora_rank or 0
        return m.heads * ((nope + rope) + lora + (lora + rope)) + 6 * m.hidden
    return 2 * m.heads * m.head_dim + 3 * m.hidden


def _layer_intermediates(m: ModelSpec, ub: int, n_kv: int, flash_attention: bool) -> int:
    """Peak f32 intermediates of one repeating layer for a micro-batch of ub tokens (the KQ mask aside).

    Measured against llama.cpp's CPU compute buffer (tests/data/llamacpp_oracle.json): a gated FFN keeps three
    FFN-wide tensors live (gate, up and their product; four with a fused gate+up) plus about four hidden-wide ones;
    a mixture of experts the same per routed expert; attention what `_attention_width` counts. Without flash
    attention the f32 KQ matrix `[n_kv, ub, heads]` comes on top."""
    h = m.hidden
    attn = 4 * ub * _attention_width(m)
    if not flash_attention:
        attn += 4 * n_kv * ub * m.heads
    # a fused gate+up projection (Phi-3) writes one double-width tensor before splitting it: four FFN widths
    n_wide = 4 if m.arch in FUSED_GATE_UP else 3
    ffn = 4 * ub * (n_wide * _ffn_width(m) + 4 * h)
    return max(attn, ffn)


def _compressed_attention_bytes(m: ModelSpec, ub: int, n_kv: int) -> int:
    """DeepSeek V4's attention, which runs outside the flash-attention kernel: the f32 scores of every head over
    the raw window, and three f32 `[rows, ub]` tensors over the largest compressed cache (the indexer's scores and
    the selection over them). Against llama-fit-params' CPU compute buffer for V4-Flash: 268, 300, 347, 574, 1024
    and 1780 MiB at 4k, 32k, 64k, 256k, 512k and 1M tokens; this gives 268, 296, 344, 632, 1016 and 1784."""
    if not m.compressed_kv:
        return 0
    window = min(n_kv, pad(m.sliding_window + ub)) if m.sliding_window else n_kv
    rows = max(compressed_rows(m, i, n_kv) for i in range(m.layers))
    return 4 * window * ub * m.heads + 3 * 4 * ub * rows


def _mask_bytes(m: ModelSpec, ub: int, n_kv: int) -> int:
    """The f16 KQ masks [n_kv, ub] of one sequence's cache: one per kind of attention layer (full, and the
    sliding window's shorter one)."""
    kinds = set(layer_kinds(m))
    mask = 2 * n_kv * ub if kinds & {"full", "mla"} or not m.sliding_window else 0
    if "swa" in kinds and m.sliding_window:
        mask += 2 * min(n_kv, pad(m.sliding_window + ub)) * ub
    return mask


def compute_buffer_bytes(
    m: ModelSpec,
    ctx_cells: int,
    prof: RuntimeProfile,
    *,
    has_layers: bool,
    has_output: bool,
    pipeline: bool,
    parallel: int = 1,
) -> int:
    """One backend's compute buffer. ctx_cells: KV cells of the largest layer, all `parallel` sequences together.

    llama.cpp's graph allocator reuses memory, so the buffer is the larger of two phases, not their sum: the
    layers (their intermediates and the KQ mask, which spans one sequence's cells) and the output (the f32 logits
    `[n_vocab, ub]` and two hidden-wide tensors). With a large vocabulary the logits dominate and the buffer
    stays flat with context (llama-fit-params: 258.5 MiB for Llama 3.2 1B at 4k and at 128k)."""
    ub = min(prof.n_ubatch, max(1, ctx_cells))
    n_kv = pad(-(-ctx_cells // max(1, parallel)))
    mask = _mask_bytes(m, ub, n_kv)
    need = 0
    if has_layers:
        need = _layer_intermediates(m, ub, n_kv, prof.flash_attention) + mask + _compressed_attention_bytes(m, ub, n_kv)
    if has_output:
        need = max(need, 4 * ub * (m.vocab + 2 * m.hidden))
    if pipeline:
        need += (4 * ub * m.hidden + mask) * (prof.pipeline_copies - 1)  # copies of each split's inputs
    return need


def output_buffer_bytes(m: ModelSpec, parallel: int) -> int:
    return 4 * m.vocab * max(1, parallel)
