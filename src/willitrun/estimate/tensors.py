"""Tensor shapes of a model as a GGUF file holds them, derived from the architecture.

Names follow llama.cpp's GGUF tensor names (`blk.N.attn_q.weight`); ne[0] is the row length (input width).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from willitrun.estimate.quants import (
    GGML_TYPES,
    IMATRIX_MIXES,
    MixContext,
    TensorShape,
    assign_types,
    tensor_bytes,
)
from willitrun.estimate.types import ModelSpec

# Architectures that store q, k and v as one fused tensor, and gate+up as one.
_FUSED_QKV = frozenset({"phi3", "phi2", "falcon", "bloom", "gpt2", "stablelm", "nomic-bert"})
# Architectures with extra post-attention / post-FFN norms.
_POST_NORMS = frozenset({"gemma2", "gemma3", "gemma3n", "gemma-embedding", "olmo2"})
# Architectures whose FFN is a plain up/down pair (no gate), with biases and LayerNorm biases.
_PLAIN_FFN = frozenset({"bert", "starcoder2", "gpt2", "phi2"})
_BERT = frozenset({"bert"})


def recurrent_kind(m: ModelSpec) -> str:
    """How an architecture's non-attention layers work: mamba2 (default), mamba1 (Jamba), shortconv (LFM2)."""
    return {"jamba": "mamba1", "mamba": "mamba1", "lfm2": "shortconv"}.get(m.arch, "mamba2")


def _recurrent(m: ModelSpec, i: int) -> list[TensorShape]:
    h, d_inner, d_state = m.hidden, m.ssm_d_inner, m.ssm_d_state
    p = f"blk.{i}."
    kind = recurrent_kind(m)
    if kind == "shortconv":
        return [
            TensorShape(p + "shortconv.in_proj.weight", (h, 3 * h), i),
            TensorShape(p + "shortconv.conv.weight", (m.ssm_d_conv, h), i),
            TensorShape(p + "shortconv.out_proj.weight", (h, h), i),
        ]
    if kind == "mamba1":
        dt_rank = -(-h // 16)
        return [
            TensorShape(p + "ssm_in.weight", (h, 2 * d_inner), i),
            TensorShape(p + "ssm_conv1d.weight", (m.ssm_d_conv, d_inner), i),
            TensorShape(p + "ssm_conv1d.bias", (d_inner,), i),
            TensorShape(p + "ssm_x.weight", (d_inner, dt_rank + 2 * d_state), i),
            TensorShape(p + "ssm_dt.weight", (dt_rank, d_inner), i),
            TensorShape(p + "ssm_dt.bias", (d_inner,), i),
            TensorShape(p + "ssm_a", (d_state, d_inner), i),
            TensorShape(p + "ssm_d", (d_inner,), i),
            TensorShape(p + "ssm_out.weight", (d_inner, h), i),
        ]
    conv_dim = d_inner + 2 * m.ssm_n_group * d_state
    n_heads = max(1, d_inner // 64)
    return [
        TensorShape(p + "ssm_in.weight", (h, 2 * d_inner + 2 * m.ssm_n_group * d_state + n_heads), i),
        TensorShape(p + "ssm_conv1d.weight", (m.ssm_d_conv, conv_dim), i),
        TensorShape(p + "ssm_conv1d.bias", (conv_dim,), i),
        TensorShape(p + "ssm_dt.bias", (n_heads,), i),
        TensorShape(p + "ssm_a", (n_heads,), i),
        TensorShape(p + "ssm_d", (n_heads,), i),
        TensorShape(p + "ssm_norm.weight", (d_inner,), i),
        TensorShape(p + "ssm_out.weight", (d_inner, h), i),
    ]


def _attention(m: ModelSpec, i: int) -> list[TensorShape]:
    h = m.hidden
    p = f"blk.{i}."
    out: list[TensorShape] = [TensorShape(p + "attn_norm.weight", (h,), i)]
    if m.layer_kind(i) == "recurrent":
        return out + _recurrent(m, i)
    if m.parallel_ssm:
        out += _recurrent(m, i)  # Falcon-H1: attention and a Mamba-2 mixer side by side in every layer
    if m.is_mla:
        assert m.kv_lora_rank is not None
        rope = m.qk_rope_head_dim or 64
        nope = m.qk_nope_head_dim or (m.head_dim - rope)
        v_dim = m.v_head_dim or nope
        if m.q_lora_rank:
            out += [
                TensorShape(p + "attn_q_a_norm.weight", (m.q_lora_rank,), i),
                TensorShape(p + "attn_q_a.weight", (h, m.q_lora_rank), i),
                TensorShape(p + "attn_q_b.weight", (m.q_lora_rank, m.heads * (nope + rope)), i),
            ]
        else:
            out.append(TensorShape(p + "attn_q.weight", (h, m.heads * (nope + rope)), i))
        out += [
            TensorShape(p + "attn_kv_a_norm.weight", (m.kv_lora_rank,), i),
            TensorShape(p + "attn_kv_a_mqa.weight", (h, m.kv_lora_rank + rope), i),
            TensorShape(p + "attn_kv_b.weight", (m.kv_lora_rank, m.heads * (nope + v_dim)), i),
            TensorShape(p + "attn_output.weight", (m.heads * v_dim, h), i),
        ]
        return out
    q = m.heads * m.head_dim
    kv = m.kv_heads * m.head_dim
    if m.arch in _FUSED_QKV:
        out.append(TensorShape(p + "attn_qkv.weight", (h, q + 2 * kv), i))
    else:
        out += [
            TensorShape(p + "attn_q.weight", (h, q), i),
            TensorShape(p + "attn_k.weight", (h, kv), i),
            TensorShape(p + "attn_v.weight", (h, kv), i),
        ]
    if m.attn_bias or m.arch in _PLAIN_FFN:
        out += [
            TensorShape(p + "attn_q.bias", (q,), i),
            TensorShape(p + "attn_k.bias", (kv,), i),
            TensorShape(p + "attn_v.bias", (kv,), i),
        ]
    if m.qk_norm:
        out += [
            TensorShape(p + "attn_q_norm.weight", (m.head_dim,), i),
            TensorShape(p + "attn_k_norm.weight", (m.head_dim,), i),
        ]
    out.append(TensorShape(p + "attn_output.weight", (q, h), i))
    if m.arch in _PLAIN_FFN:
        out += [TensorShape(p + "attn_output.bias", (h,), i), TensorShape(p + "attn_norm.bias", (h,), i)]
    if m.arch == "gpt-oss":
        out += [
            TensorShape(p + "attn_output.bias", (h,), i),
            TensorShape(p + "attn_sinks.weight", (m.heads,), i),
        ]
    if m.arch in _POST_NORMS:
        out.append(TensorShape(p + "post_attention_norm.weight", (h,), i))
    return out


def _ffn(m: ModelSpec, i: int) -> list[TensorShape]:
    h = m.hidden
    p = f"blk.{i}."
    out: list[TensorShape] = []
    if m.arch == "gpt-oss":
        out.append(TensorShape(p + "post_attention_norm.weight", (h,), i))
    else:
        out.append(TensorShape(p + "ffn_norm.weight", (h,), i))
    if m.layer_kind(i) == "recurrent" and m.attention_layers is not None and m.intermediate == 0:
        return []
    if m.layer_is_moe(i):
        e, ff = m.experts, m.expert_intermediate
        out += [
            TensorShape(p + "ffn_gate_inp.weight", (h, e), i),
            TensorShape(p + "ffn_gate_exps.weight", (h, ff, e), i),
            TensorShape(p + "ffn_up_exps.weight", (h, ff, e), i),
            TensorShape(p + "ffn_down_exps.weight", (ff, h, e), i),
        ]
        if m.arch == "gpt-oss":
            out += [
                TensorShape(p + "ffn_gate_inp.bias", (e,), i),
                TensorShape(p + "ffn_gate_exps.bias", (ff, e), i),
                TensorShape(p + "ffn_up_exps.bias", (ff, e), i),
                TensorShape(p + "ffn_down_exps.bias", (h, e), i),
            ]
        if m.arch == "deepseek2":
            out.append(TensorShape(p + "exp_probs_b.bias", (e,), i))
        if m.shared_experts:
            sh = ff * m.shared_experts
            out += [
                TensorShape(p + "ffn_gate_shexp.weight", (h, sh), i),
                TensorShape(p + "ffn_up_shexp.weight", (h, sh), i),
                TensorShape(p + "ffn_down_shexp.weight", (sh, h), i),
            ]
    elif m.arch in _PLAIN_FFN:
        out += [
            TensorShape(p + "ffn_norm.bias", (h,), i),
            TensorShape(p + "ffn_up.weight", (h, m.intermediate), i),
            TensorShape(p + "ffn_up.bias", (m.intermediate,), i),
            TensorShape(p + "ffn_down.weight", (m.intermediate, h), i),
            TensorShape(p + "ffn_down.bias", (h,), i),
        ]
    elif m.arch in _FUSED_QKV:
        out += [
            TensorShape(p + "ffn_up.weight", (h, 2 * m.intermediate), i),
            TensorShape(p + "ffn_down.weight", (m.intermediate, h), i),
        ]
    else:
        out += [
            TensorShape(p + "ffn_gate.weight", (h, m.intermediate), i),
            TensorShape(p + "ffn_up.weight", (h, m.intermediate), i),
            TensorShape(p + "ffn_down.weight", (m.intermediate, h), i),
        ]
    if m.arch in _POST_NORMS:
        out.append(TensorShape(p + "post_ffw_norm.weight", (h,), i))
    if m.per_layer_input:
        out += _altup_layer(m, i)
    return out


def _altup_layer(m: ModelSpec, i: int) -> list[TensorShape]:
    """Gemma 3n's per-layer extras: the per-layer input gate and projection, AltUp's router and coefficients,
    and the low-rank LAuReL branch (llama.cpp names)."""
    h, pl, n, r = m.hidden, m.per_layer_input, m.altup_inputs, m.laurel_rank
    p = f"blk.{i}."
    out = [
        TensorShape(p + "inp_gate.weight", (h, pl), i),
        TensorShape(p + "proj.weight", (pl, h), i),
        TensorShape(p + "post_norm.weight", (h,), i),
        TensorShape(p + "altup_correct_coef.weight", (n, n), i),
        TensorShape(p + "altup_correct_scale.weight", (h,), i),
        TensorShape(p + "altup_predict_coef.weight", (n, n * n), i),
        TensorShape(p + "altup_router.weight", (h, n), i),
        TensorShape(p + "altup_router_norm.weight", (h,), i),
    ]
    if r:
        out += [
            TensorShape(p + "laurel_l.weight", (h, r), i),
            TensorShape(p + "laurel_r.weight", (r, h), i),
            TensorShape(p + "laurel_post_norm.weight", (h,), i),
        ]
    return out


# Tensors a token reads one row of (embedding look-ups): they stay in system RAM and barely count per token.
INPUT_TABLES = frozenset({"token_embd.weight", "per_layer_token_embd.weight"})


@lru_cache(maxsize=64)
def _model_tensors(m: ModelSpec) -> tuple[TensorShape, ...]:
    h = m.hidden
    out = [TensorShape("token_embd.weight", (h, m.vocab))]
    if m.arch in _BERT:
        out += [
            TensorShape("position_embd.weight", (h, m.context_max), None),
            TensorShape("token_types.weight", (h, 2), None),
            TensorShape("token_embd_norm.weight", (h,), None),
            TensorShape("token_embd_norm.bias", (h,), None),
        ]
    if m.per_layer_input:
        wide = m.per_layer_input * m.layers
        out += [
            TensorShape("altup_proj.weight", (h, h, m.altup_inputs - 1)),
            TensorShape("altup_unembd_proj.weight", (h, h, m.altup_inputs - 1)),
            TensorShape("per_layer_token_embd.weight", (wide, m.vocab)),
            TensorShape("per_layer_model_proj.weight", (h, wide)),
            TensorShape("per_layer_proj_norm.weight", (m.per_layer_input,)),
        ]
    for i in range(m.layers):
        out += _attention(m, i)
        out += _ffn(m, i)
    out.append(TensorShape("output_norm.weight", (h,)))
    if not m.tied_embeddings:
        out.append(TensorShape("output.weight", (h, m.vocab)))
    return tuple(out)


def model_tensors(m: ModelSpec) -> list[TensorShape]:
    """Every tensor of the model in GGUF file order: embeddings, blocks, output."""
    return list(_model_tensors(m))


@lru_cache(maxsize=64)
def parameter_count(m: ModelSpec) -> int:
    return sum(t.elements for t in _model_tensors(m))


@lru_cache(maxsize=64)
def active_parameter_count(m: ModelSpec) -> int:
    """Parameters touched per token: experts scaled by experts_active/experts, embedding tables by one row."""
    n = 0
    for t in _model_tensors(m):
        if t.name in INPUT_TABLES:
            continue
        if "_exps" in t.name and m.experts:
            n += t.elements * m.experts_active // m.experts
        else:
            n += t.elements
    return n


@dataclass(frozen=True)
class LayerBytes:
    """Bytes of one repeating block, split into what a token always reads and what only its experts read."""

    layer: int
    bytes_total: int
    bytes_dense: int
    bytes_experts: int


@dataclass(frozen=True)
class WeightsBreakdown:
    mix: str
    total_bytes: int
    token_embd_bytes: int
    output_bytes: int  # output + output_norm (the "output layer"); 0 extra when tied
    output_is_tied: bool
    layers: tuple[LayerBytes, ...]
    types: dict[str, int]  # GGML type -> bytes
    # other look-up tables that stay in system RAM with token_embd (Gemma 3n's per-layer embeddings)
    input_extra_bytes: int = 0

    @property
    def input_bytes(self) -> int:
        """The look-up tables that stay in system RAM whatever is offloaded: token_embd and its kin."""
        return self.token_embd_bytes + self.input_extra_bytes

    def layer_bytes(self, i: int) -> int:
        return self.layers[i].bytes_total


@lru_cache(maxsize=64)
def _n_attention_wv(tensors: tuple[TensorShape, ...]) -> int:
    return sum(1 for t in tensors if t.name.endswith(("attn_v.weight", "attn_qkv.weight", "attn_kv_b.weight")))


def mix_context(m: ModelSpec, mix: str, tensors: list[TensorShape]) -> MixContext:
    n_wv = _n_attention_wv(_model_tensors(m))
    return MixContext(
        arch=m.arch,
        n_layer=m.layers,
        n_gqa=m.n_gqa,
        n_expert=m.experts,
        is_70b=m.layers == 80 and m.arch in ("llama", "qwen2"),
        has_output=not m.tied_embeddings,
        has_imatrix=mix in IMATRIX_MIXES,
        n_attention_wv=n_wv,
    )


def group_bytes(m: ModelSpec, mix: str, sized: Iterable[tuple[TensorShape, str, int]]) -> WeightsBreakdown:
    """Group (tensor, type, bytes) into what placement needs: per layer (dense / experts), input, output."""
    total = embd = output = extra = 0
    per_layer_total = [0] * m.layers
    per_layer_exp = [0] * m.layers
    types: dict[str, int] = {}
    for t, ty, b in sized:
        total += b
        types[ty] = types.get(ty, 0) + b
        if t.layer is not None:
            per_layer_total[t.layer] += b
            if "_exps" in t.name:
                per_layer_exp[t.layer] += b
        elif t.name == "token_embd.weight":
            embd = b
        elif t.name in INPUT_TABLES:
            extra += b
        else:
            output += b
    if m.tied_embeddings:
        # llama.cpp keeps token_embd on the CPU for the look-up and loads a copy where the output layer runs.
        output += embd
    layers = tuple(
        LayerBytes(i, per_layer_total[i], per_layer_total[i] - per_layer_exp[i], per_layer_exp[i])
        for i in range(m.layers)
    )
    return WeightsBreakdown(mix, total, embd, output, m.tied_embeddings, layers, types, extra)


def scaled_to(w: WeightsBreakdown, total_bytes: int) -> WeightsBreakdown:
    """The same breakdown stretched to a known file size (an installed Ollama blob, a listed GGUF file): the
    size is a fact, the split over layers follows the mix rules."""
    if w.total_bytes <= 0 or total_bytes <= 0:
        return w
    f = total_bytes / w.total_bytes
    layers = tuple(
        LayerBytes(lb.layer, int(lb.bytes_total * f), int(lb.bytes_dense * f), int(lb.bytes_experts * f))
        for lb in w.layers
    )
    return WeightsBreakdown(
        w.mix,
        total_bytes,
        int(w.token_embd_bytes * f),
        int(w.output_bytes * f),
        w.output_is_tied,
        layers,
        {k: int(v * f) for k, v in w.types.items()},
        int(w.input_extra_bytes * f),
    )


@lru_cache(maxsize=512)
def weights_breakdown(m: ModelSpec, mix: str) -> WeightsBreakdown:
    """Bytes of every tensor under a llama.cpp file type, grouped the way placement needs them."""
    tensors = model_tensors(m)
    typed = assign_types(mix, tensors, mix_context(m, mix, tensors))
    return group_bytes(m, mix, ((t, ty, tensor_bytes(t, ty)) for t, ty in typed))


__all__ = [
    "GGML_TYPES",
    "INPUT_TABLES",
    "LayerBytes",
    "WeightsBreakdown",
    "active_parameter_count",
    "group_bytes",
    "model_tensors",
    "parameter_count",
    "weights_breakdown",
]
