"""GGUF tensor types, file types ("mixes") and llama.cpp's per-tensor type rules.

Facts: ../shared/reference/estimation.md section 1 (block sizes from ggml's type traits; the mix rules from
llama.cpp's src/llama-quant.cpp, `llama_tensor_get_type` and `llama_model_quantize_impl`). The logic below is
our own restatement of those rules, applied to tensors we derive from the architecture.
"""

from __future__ import annotations

from dataclasses import dataclass

from willitrun.estimate.types import Record


@dataclass(frozen=True, eq=False, repr=False)
class GgmlType(Record):
    name: str
    block: int
    block_bytes: int

    @property
    def bits_per_weight(self) -> float:
        return self.block_bytes * 8 / self.block

    def row_bytes(self, n: int) -> int:
        """Bytes of a row of n elements (n must be a multiple of the block size)."""
        return self.block_bytes * n // self.block


GGML_TYPES: dict[str, GgmlType] = {
    t.name: t
    for t in (
        GgmlType("F32", 1, 4),
        GgmlType("I32", 1, 4),
        GgmlType("F16", 1, 2),
        GgmlType("BF16", 1, 2),
        GgmlType("Q8_0", 32, 34),
        GgmlType("Q6_K", 256, 210),
        GgmlType("Q5_K", 256, 176),
        GgmlType("Q5_1", 32, 24),
        GgmlType("Q5_0", 32, 22),
        GgmlType("Q4_K", 256, 144),
        GgmlType("Q4_1", 32, 20),
        GgmlType("Q4_0", 32, 18),
        GgmlType("IQ4_NL", 32, 18),
        GgmlType("IQ4_XS", 256, 136),
        GgmlType("MXFP4", 32, 17),
        GgmlType("Q3_K", 256, 110),
        GgmlType("IQ3_S", 256, 110),
        GgmlType("IQ3_XXS", 256, 98),
        GgmlType("Q2_K", 256, 84),
        GgmlType("IQ2_S", 256, 82),
        GgmlType("IQ2_XS", 256, 74),
        GgmlType("IQ2_XXS", 256, 66),
        GgmlType("TQ2_0", 256, 66),
        GgmlType("IQ1_M", 256, 56),
        GgmlType("TQ1_0", 256, 54),
        GgmlType("IQ1_S", 256, 50),
    )
}

# File type (llama-quantize's name) -> the default tensor type it starts from.
MIX_DEFAULT: dict[str, str] = {
    "F32": "F32",
    "F16": "F16",
    "BF16": "BF16",
    "Q8_0": "Q8_0",
    "Q6_K": "Q6_K",
    "Q5_K_M": "Q5_K",
    "Q5_K_S": "Q5_K",
    "Q5_1": "Q5_1",
    "Q5_0": "Q5_0",
    "Q4_K_M": "Q4_K",
    "Q4_K_S": "Q4_K",
    "Q4_1": "Q4_1",
    "Q4_0": "Q4_0",
    "IQ4_XS": "IQ4_XS",
    "IQ4_NL": "IQ4_NL",
    "Q3_K_L": "Q3_K",
    "Q3_K_M": "Q3_K",
    "Q3_K_S": "Q3_K",
    "IQ3_M": "IQ3_S",
    "IQ3_S": "IQ3_S",
    "IQ3_XS": "IQ3_S",
    "IQ3_XXS": "IQ3_XXS",
    "Q2_K": "Q2_K",
    "Q2_K_S": "Q2_K",
    "IQ2_M": "IQ2_S",
    "IQ2_S": "IQ2_XS",
    "IQ2_XS": "IQ2_XS",
    "IQ2_XXS": "IQ2_XXS",
    "IQ1_M": "IQ1_M",
    "IQ1_S": "IQ1_S",
    "TQ2_0": "TQ2_0",
    "TQ1_0": "TQ1_0",
    "MXFP4": "MXFP4",
}

# Names people type for the same mix.
MIX_ALIASES: dict[str, str] = {
    "FP16": "F16",
    "FP32": "F32",
    "Q8": "Q8_0",
    "Q6": "Q6_K",
    "Q5_K": "Q5_K_M",
    "Q4_K": "Q4_K_M",
    "Q3_K": "Q3_K_M",
    "MXFP4_MOE": "MXFP4",
}

# Mixes shown by default (the rest with --quant NAME or --quant all), best quality first.
DEFAULT_MIXES: tuple[str, ...] = (
    "F16",
    "Q8_0",
    "Q6_K",
    "Q5_K_M",
    "Q4_K_M",
    "IQ4_XS",
    "Q3_K_M",
    "IQ3_M",
    "Q2_K",
    "IQ2_M",
)

FLOAT_TYPES = frozenset({"F32", "F16", "BF16"})

# Mixes that llama-quantize only makes with an importance matrix; published files of the other IQ mixes are
# made with one too, which changes a few tensors (see llama_tensor_get_type's has_imatrix branches).
IMATRIX_MIXES = frozenset(
    {"IQ1_S", "IQ1_M", "IQ2_XXS", "IQ2_XS", "IQ2_S", "IQ2_M", "IQ3_XXS", "IQ3_XS", "IQ3_S", "IQ3_M", "Q2_K_S"}
)


def normalize_mix(name: str) -> str | None:
    key = name.strip().upper().replace("-", "_")
    if key in MIX_DEFAULT:
        return key
    return MIX_ALIASES.get(key)


def quant_family(mix: str) -> str:
    """Speed-model family of a mix: float, q8, k (k-quants), legacy (Q4_0...), iq (i-quants), mxfp4."""
    if mix in FLOAT_TYPES:
        return "float"
    if mix in ("Q8_0", "FP8", "8BIT"):
        return "q8"
    if mix in ("AWQ", "GPTQ"):
        return "k"  # 4-bit with group scales, run by Marlin-style kernels
    if mix in ("6BIT", "4BIT", "3BIT"):
        return "legacy"  # MLX's affine groups are laid out like Q4_1: scale and bias per group
    if mix == "MXFP4":
        return "mxfp4"
    if mix.startswith("IQ4"):
        return "k"  # IQ4_XS/IQ4_NL: a 16-entry look-up, as cheap to decode as the k-quants
    if mix.startswith(("IQ", "TQ")):
        return "iq"
    if "_K" in mix:
        return "k"
    return "legacy"


@dataclass(frozen=True, eq=False, repr=False)
class TensorShape(Record):
    """One weight tensor as llama.cpp names it; ne[0] is the row length."""

    name: str
    ne: tuple[int, ...]
    layer: int | None = None

    @property
    def elements(self) -> int:
        n = 1
        for d in self.ne:
            n *= d
        return n

    @property
    def n_dims(self) -> int:
        return len(self.ne)


@dataclass(frozen=True, eq=False, repr=False)
class MixContext(Record):
    """What llama_tensor_get_type needs to know about the model."""

    arch: str
    n_layer: int
    n_gqa: int
    n_expert: int
    is_70b: bool
    has_output: bool
    has_imatrix: bool
    n_attention_wv: int = 0


_IQ_LOW = frozenset({"IQ2_XXS", "IQ2_XS", "IQ1_S", "IQ2_S", "IQ2_M", "IQ1_M"})


def _more_bits(i: int, n: int) -> bool:
    return i < n // 8 or i >= 7 * n // 8 or (i - n // 8) % 3 == 2


_SKIP = ("altup", "laurel", "per_layer_model_proj", "ssm_conv1d", "shortconv.conv", "attn_rel_b")
# Integer tables the converter writes as int32 and llama-quantize leaves alone: DeepSeek V4's token -> expert map
# of its hash-routed layers.
_INT32 = ("ffn_gate_tid2eid",)


# Tensors llama.cpp's converter always writes in float32 (conversion/base.py), whatever the file type.
_CONVERTER_F32 = (
    "ffn_gate_inp",
    "position_embd",
    "token_types",
    "ssm_conv1d",
    "shortconv.conv",
    "altup_correct_coef",
    "altup_predict_coef",
)


def converted_type(t: TensorShape) -> str:
    """The float type a tensor llama-quantize leaves alone keeps from the converter: F32 for vectors, norms,
    biases (any name not ending in `.weight`, gpt-oss's 2-D expert biases too) and the converter's float32
    list (router, convolutions, position tables, AltUp coefficients); F16 otherwise."""
    name = t.name
    if any(s in name for s in _INT32):
        return "I32"
    if t.n_dims < 2 or name.endswith("_norm.weight") or not name.endswith(".weight"):
        return "F32"
    return "F32" if any(s in name for s in _CONVERTER_F32) else "F16"


def is_quantizable(t: TensorShape) -> bool:
    key = (t.name, t.n_dims)
    got = _QUANTIZABLE.get(key)
    if got is None:
        got = _QUANTIZABLE[key] = _is_quantizable(t)
    return got


_QUANTIZABLE: dict[tuple[str, int], bool] = {}


def _is_quantizable(t: TensorShape) -> bool:
    """Tensors llama-quantize converts; the rest keep the type the converter wrote."""
    name = t.name
    if not name.endswith("weight") or t.n_dims < 2:
        return False
    if "_norm.weight" in name or "ffn_gate_inp.weight" in name:
        return False
    if any(s in name for s in (*_SKIP, *_INT32)):
        return False
    return name not in ("position_embd.weight", "token_types.weight")


class _Counters:
    def __init__(self) -> None:
        self.attn_v = 0
        self.ffn_down = 0
        self.ffn_gate = 0
        self.ffn_up = 0


def _attn_v_like(name: str) -> bool:
    return name.endswith(("attn_v.weight", "attn_qkv.weight", "attn_kv_b.weight"))


def _fallback(t: GgmlType, ne0: int) -> str:
    """llama.cpp's substitutes for tensors whose rows are not a multiple of the block size."""
    if ne0 % t.block == 0:
        return t.name
    sub = {
        "IQ2_XXS": "IQ4_NL",
        "IQ2_XS": "IQ4_NL",
        "IQ2_S": "IQ4_NL",
        "IQ3_XXS": "IQ4_NL",
        "IQ3_S": "IQ4_NL",
        "IQ1_S": "IQ4_NL",
        "IQ1_M": "IQ4_NL",
        "Q2_K": "Q4_0",
        "Q3_K": "Q4_0",
        "IQ4_XS": "IQ4_NL",
        "Q4_K": "Q5_0",
        "Q5_K": "Q5_1",
        "Q6_K": "Q8_0",
        "TQ1_0": "Q4_0",
        "TQ2_0": "Q4_0",
    }.get(t.name, "F16")
    if ne0 % GGML_TYPES[sub].block != 0:
        return "F16"
    return sub


def _layer_of(t: TensorShape, counter: int, ctx: MixContext) -> int:
    # With experts llama.cpp reads the layer from the tensor name; otherwise it counts tensors.
    if ctx.n_expert > 1 and t.layer is not None:
        return t.layer
    return counter


def tensor_type(mix: str, t: TensorShape, ctx: MixContext, c: _Counters) -> str:
    """The GGML type llama-quantize gives tensor t under file type mix (a restatement of its rules)."""
    default = MIX_DEFAULT[mix]
    if not is_quantizable(t):
        return converted_type(t)
    if ctx.arch == "gpt-oss" and "_exps.weight" in t.name:
        # gpt-oss ships its experts in MXFP4 and every published GGUF keeps them so, whatever the file type
        # (unsloth/gpt-oss-20b-GGUF: F16 13.8 GB, Q8_0 12.1 GB, Q4_K_M 11.6 GB, Q2_K 11.5 GB)
        return "MXFP4"
    if default in FLOAT_TYPES:
        return default
    return _fallback(GGML_TYPES[_choose(mix, t, ctx, c, default)], t.ne[0])


def _choose(mix: str, t: TensorShape, ctx: MixContext, c: _Counters, new: str) -> str:
    """The mix's type for t before the row-size fallback: one rule per kind of tensor, first match wins."""
    name = t.name
    if name == "output.weight" or (not ctx.has_output and name == "token_embd.weight"):
        return _output_type(mix, t, ctx, new)
    if mix == "MXFP4":
        return "MXFP4" if t.n_dims >= 3 and t.ne[2] > 1 else "Q8_0"
    if name in ("token_embd.weight", "per_layer_token_embd.weight"):
        return _EMBD_TYPE.get(mix, new)
    if mix in _IQ_LOW:
        return _low_iq_type(mix, name, ctx, c, new)
    if _attn_v_like(name):
        return _attn_v_type(mix, ctx, c, new)
    if "attn_k.weight" in name:
        return "Q8_0" if ctx.n_expert == 8 else {"IQ3_XS": "IQ3_XXS", "IQ3_XXS": "IQ2_S"}.get(mix, new)
    if "attn_q.weight" in name:
        return {"IQ3_XS": "IQ3_XXS", "IQ3_XXS": "IQ2_S"}.get(mix, new)
    if "ffn_down" in name:
        return _ffn_down_type(mix, t, ctx, c, new)
    if "attn_output.weight" in name:
        return _attn_output_type(mix, ctx, new)
    for kind in ("ffn_gate", "ffn_up"):
        if kind in name:
            i = _layer_of(t, getattr(c, kind), ctx)
            setattr(c, kind, getattr(c, kind) + 1)
            n = ctx.n_layer
            return "IQ3_XXS" if mix == "IQ3_XS" and n // 8 <= i < 7 * n // 8 else new
    return new


_EMBD_TYPE = {
    **dict.fromkeys(("IQ2_XXS", "IQ2_XS", "IQ1_S", "IQ1_M"), "Q2_K"),
    **dict.fromkeys(("IQ2_S", "IQ2_M", "IQ3_XXS"), "IQ3_S"),
    **dict.fromkeys(("TQ1_0", "TQ2_0"), "Q4_K"),
}
_MOE8_ATTN_OUTPUT_Q5 = frozenset(
    ("Q2_K", "IQ3_XS", "IQ3_XXS", "Q3_K_S", "Q3_K_M", "IQ4_NL", "Q4_K_S", "Q4_K_M", "IQ3_S", "IQ3_M", "IQ4_XS")
)
_ATTN_OUTPUT_TYPE = {"Q2_K": "Q3_K", "IQ3_XXS": "IQ3_S", "Q3_K_M": "Q4_K", "Q3_K_L": "Q5_K", "IQ3_M": "Q4_K"}


def _output_type(mix: str, t: TensorShape, ctx: MixContext, new: str) -> str:
    """output.weight (or a tied token_embd): kept at 6 bits or more."""
    qk = GGML_TYPES[new].block
    if mix == "MXFP4" or ctx.arch == "falcon" or t.ne[0] % qk != 0:
        return "Q8_0"
    if mix in {"IQ2_XXS", "IQ2_XS", "IQ3_XXS", "IQ1_S", "IQ2_S", "IQ2_M", "IQ1_M"}:
        return "Q5_K"
    return new if new == "Q8_0" else "Q6_K"


def _low_iq_type(mix: str, name: str, ctx: MixContext, c: _Counters, new: str) -> str:
    """The 1-2 bit IQ mixes, which protect attention V, the first eighth of ffn_down and attn_output."""
    if _attn_v_like(name):
        c.attn_v += 1
        if ctx.n_gqa >= 4 or ctx.n_expert >= 4:
            return "Q4_K"
        return "IQ3_S" if mix in {"IQ2_S", "IQ2_M"} else "Q2_K"
    if ctx.n_expert == 8 and "attn_k.weight" in name:
        return "Q4_K"
    if "ffn_down" in name:
        first = c.ffn_down < ctx.n_layer // 8
        c.ffn_down += 1
        return ("IQ3_S" if mix in {"IQ2_S", "IQ2_M"} else "Q2_K") if first else new
    if "attn_output.weight" in name:
        if ctx.n_expert == 8:
            return "Q5_K"
        if mix in {"IQ1_S", "IQ1_M"}:
            return "IQ2_XXS"
        if mix in {"IQ2_S", "IQ2_M"}:
            return "IQ3_S"
    return new


def _attn_v_type(mix: str, ctx: MixContext, c: _Counters, new: str) -> str:
    """attn_v (and what llama.cpp counts as it: a fused QKV, DeepSeek's older attn_kv_b).

    Q4_K_M alternates Q6_K/Q4_K over the layers."""
    i = c.attn_v
    c.attn_v += 1
    if mix == "Q2_K":
        new = "Q4_K" if ctx.n_gqa >= 4 else "Q3_K"
    elif mix == "Q2_K_S" and ctx.n_gqa >= 4:
        new = "Q4_K"
    elif mix == "IQ3_XXS":
        new = "Q4_K" if ctx.n_gqa >= 4 else ("IQ3_S" if not ctx.has_imatrix else "IQ3_XXS")
    elif (mix in {"IQ3_XS", "IQ3_S"} and ctx.n_gqa >= 4) or mix == "IQ3_M":
        new = "Q4_K"
    elif mix == "Q3_K_M":
        new = "Q5_K" if i < 2 else "Q4_K"
    elif mix == "Q3_K_L" or (mix in {"IQ4_NL", "IQ4_XS"} and ctx.n_gqa >= 4):
        new = "Q5_K"
    elif mix in {"Q4_K_M", "Q5_K_M"} and _more_bits(i, ctx.n_attention_wv or ctx.n_layer):
        new = "Q6_K"
    elif mix == "Q4_K_S" and i < 4:
        new = "Q5_K"
    if ctx.is_70b and new in {"Q3_K", "Q4_K"}:
        new = "Q5_K"
    return "Q8_0" if ctx.n_expert == 8 else new


def _ffn_down_type(mix: str, t: TensorShape, ctx: MixContext, c: _Counters, new: str) -> str:
    """ffn_down, which most mixes give more bits in the first layers and in every third one."""
    i = _layer_of(t, c.ffn_down, ctx)
    c.ffn_down += 1
    n = ctx.n_layer
    falcon = ctx.arch == "falcon"
    if mix == "Q2_K":
        return "Q3_K"
    if mix == "Q2_K_S":
        return "Q4_K" if i < n // 8 else new
    if mix == "IQ3_XXS" and not ctx.has_imatrix:
        return "Q4_K" if i < n // 8 else "Q3_K"
    if mix == "Q3_K_M":
        if i < n // 16:
            return "Q5_K"
        return "Q4_K" if not falcon or _more_bits(i, n) else "Q3_K"
    if mix == "IQ3_M" and (i < n // 8 or (ctx.n_expert == 8 and _more_bits(i, n))):
        return "Q4_K"
    if mix == "Q3_K_L":
        return "Q4_K" if falcon else "Q5_K"
    if mix == "Q4_K_M":
        if falcon:
            return "Q6_K" if i < n // 16 else ("Q5_K" if _more_bits(i, n) else "Q4_K")
        return "Q6_K" if _more_bits(i, n) else new
    if i < n // 8 and mix in {"IQ4_NL", "IQ4_XS"} and not ctx.has_imatrix:
        return "Q5_K"
    if mix == "Q5_K_M" and _more_bits(i, n):
        return "Q6_K"
    if mix == "Q4_K_S" and not falcon and i < n // 8:
        return "Q5_K"
    if mix in {"Q4_0", "Q5_0"} and ctx.has_imatrix and i < n // 8:
        return "Q4_1" if mix == "Q4_0" else "Q5_1"
    return new


def _attn_output_type(mix: str, ctx: MixContext, new: str) -> str:
    """attn_output: a bit more for the low mixes, and Q5_K for 8-expert MoE models."""
    if ctx.arch == "falcon":
        return "Q4_K" if mix == "Q3_K_L" else new
    if ctx.n_expert == 8:
        return "Q5_K" if mix in _MOE8_ATTN_OUTPUT_Q5 else new
    return _ATTN_OUTPUT_TYPE.get(mix, new)


def assign_types(mix: str, tensors: list[TensorShape], ctx: MixContext) -> list[tuple[TensorShape, str]]:
    """Each tensor with the type the mix gives it, in file order (the counters depend on order)."""
    c = _Counters()
    return [(t, tensor_type(mix, t, ctx, c)) for t in tensors]


def tensor_bytes(t: TensorShape, type_name: str) -> int:
    gt = GGML_TYPES[type_name]
    rows = t.elements // t.ne[0]
    return gt.row_bytes(t.ne[0]) * rows
