"""Weight formats of the non-GGUF runtimes: vLLM's (safetensors BF16, FP8, AWQ, GPTQ) and MLX's.

Bits per weight (estimation.md section 5, and mlx's affine quantization):
- BF16 / FP16: 16. FP8 (per-channel scales): 8 plus one fp32 scale per output row.
- AWQ 4-bit, group 128: int32-packed weights + int32 zeros + fp16 scales = 4 + 20/128 bpw (vLLM's AWQ layout).
- GPTQ 4-bit, group 128: as AWQ plus an int32 `g_idx` per input row (about 4 + 20/128 + 32/out bpw).
- MLX affine, group 64: `bits` plus an fp16 scale and an fp16 bias per 64 weights = bits + 0.5 bpw; mlx-lm
  quantizes the embedding and output layers too.
What stays 16-bit in vLLM's formats: embeddings, the output layer, norms and the MoE router; only the linear
layers of the blocks are quantized.
"""

from __future__ import annotations

from willitrun.estimate.quants import TensorShape
from willitrun.estimate.tensors import WeightsBreakdown, group_bytes, model_tensors
from willitrun.estimate.types import ModelSpec

VLLM_FORMATS = ("BF16", "FP8", "AWQ", "GPTQ")
MLX_FORMATS = ("BF16", "8BIT", "6BIT", "4BIT", "3BIT")


def _is_linear(t: TensorShape) -> bool:
    return t.n_dims >= 2 and t.name.startswith("blk.") and "_norm" not in t.name and "ffn_gate_inp" not in t.name


def _bytes(t: TensorShape, runtime: str, fmt: str) -> int:
    n = t.elements
    if t.n_dims < 2 or "_norm" in t.name:
        return n * 2
    if runtime == "mlx":
        if fmt == "BF16" or "ffn_gate_inp" in t.name:
            return n * 2
        bits = int(fmt[0])
        return n * bits // 8 + (n // 64) * 4
    if not _is_linear(t) or fmt == "BF16":
        return n * 2
    rows = n // t.ne[0]
    if fmt == "FP8":
        return n + rows * 4
    # AWQ / GPTQ, 4-bit, group 128
    groups = max(1, t.ne[0] // 128) * rows
    extra = t.ne[0] * 4 if fmt == "GPTQ" else 0
    return n // 2 + groups * 2 + groups * 4 // 8 + extra


def format_breakdown(m: ModelSpec, runtime: str, fmt: str) -> WeightsBreakdown:
    """Weights under a vLLM or MLX format, grouped like the GGUF breakdown so placement and speed can use it."""
    return group_bytes(m, fmt, ((t, fmt, _bytes(t, runtime, fmt)) for t in model_tensors(m)))
