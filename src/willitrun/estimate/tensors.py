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
from willitrun.estimate.types import CSA_RATIO, ModelSpec, Record

# Architectures that store q, k and v as one fused tensor, and gate+up as one.
_FUSED_QKV = frozenset({"phi3", "phi2", "falcon", "bloom", "gpt2", "stablelm", "nomic-bert"})
# ... and those that fuse only q, k and v (their FFN keeps gate and up apart): Ling 2.0 (bailingmoe2)
_FUSED_QKV_ONLY = frozenset({"bailingmoe2"})
# Architectures with extra post-attention / post-FFN norms.
_POST_NORMS = frozenset(
    {
        "gemma2",
        "gemma3",
        "gemma3n",
        "gemma4",
        "gemma-embedding",
        "olmo2",
        "afmoe",
        "exaone4",
        "muse-glimmer",
        "glm4",
        "lfm3",
    }
)
# ... of which these norm only the outputs of attention and FFN (no attn_norm or ffn_norm before them): OLMo 2 and
# EXAONE 4's "reorder" layout
_POST_NORM_ONLY = frozenset({"olmo2", "exaone4"})
# Parallel blocks with one norm before attention and FFN alike (no ffn_norm): Cohere's MoE (North)
_NO_FFN_NORM = frozenset({"cohere2moe"})
# Attention whose output is gated per channel by a projection of the layer input (attn_gate; Arcee's Trinity,
# Meta's Muse Glimmer)
_ATTN_GATE = frozenset({"afmoe", "muse-glimmer"})
# ... or per head, one weight row per query head (Step 3.5's head-wise gate, g_proj; Poolside's Laguna; Spark-X2.5;
# LFM3's attention layers)
_HEAD_GATE = frozenset({"step35", "laguna", "spark2_5", "lfm3"})
# xAI's Grok: a norm after attention (attn_output_norm) and after the MoE block (layer_output_norm); Grok 2 adds a
# dense FFN (`intermediate` wide) beside the experts in every layer, which Grok-1 (experts as wide as `intermediate`)
# does not have
GROK = frozenset({"grok"})
# MTP blocks ending with a norm of their own (layer_output_norm: Ling 2.0)
_MTP_OUT_NORM = frozenset({"bailingmoe2"})
# MTP blocks with their own output head and its norm, but no embedding table of their own (Step 3.5)
_MTP_OWN_OUTPUT = frozenset({"step35"})
# Architectures whose FFN is a plain up/down pair (no gate), with biases and LayerNorm biases.
_PLAIN_FFN = frozenset({"bert", "starcoder2", "gpt2", "phi2"})
# ... and those whose FFN is an up/down pair without gate or biases (Apertus: xIELU on the up projection; NVIDIA's
# Nemotron/Minitron: squared ReLU)
_UP_DOWN_FFN = frozenset({"apertus", "falcon", "nemotron"})
# BERT-style encoders (embedding models): norms after attention and after the FFN, each with a bias, an embedding
# norm, token-type rows, and no output layer; bert adds learned positions and biases on every projection, nomic-bert
# (rotary) has a gated FFN and no biases on its projections
_BERT = frozenset({"bert", "nomic-bert"})
# Layouts with LayerNorm (a bias beside each norm weight, the output norm's included): Phi-2, Falcon, StableLM,
# StarCoder 2, Phi-3.5-MoE, Nemotron (LayerNorm1p); the Phi output layers have a bias too
_LAYER_NORM = frozenset({"phi2", "falcon", "stablelm", "starcoder2", "phimoe", "nemotron"})
# Parallel blocks whose FFN reads the attention's norm (no ffn_norm): Phi-2, Falcon, Command R, Cohere2; StableLM 2
# 12B too (its use_parallel_residual comes with qk_layernorm, which the 1.6B has neither of)
_PARALLEL_BLOCK = frozenset({"phi2", "falcon", "command-r", "cohere2"})
# Architectures whose gated FFN stores gate and up as one double-width ffn_up tensor (Phi-3); Falcon's FFN has
# no gate and StableLM's keeps gate and up apart.
FUSED_GATE_UP = (_FUSED_QKV - _PLAIN_FFN - {"falcon", "stablelm"}) | {"glm4", "chatglm"}  # GLM-4 too
# Hybrid linear-attention Qwen models (Qwen3-Next, Qwen3.5): gated delta-net layers, and full-attention layers
# whose q projection also carries an output gate (twice as wide).
_DELTA_NET = frozenset({"qwen3next", "qwen35", "qwen35moe", "qwen4exp"})
# Qwen3.8-Flash-Next (llama.cpp's qwen4exp): Qwen3.5's layers with hyper-connection mixers in place of every norm,
# QSA's indexer on the attention layers, and the n-gram embedding table (PLE) feeding one layer
HC_LOW_RANK = frozenset({"qwen4exp"})
# Architectures whose norm before the FFN is stored as post_attention_norm (the count is the same either way).
_POST_ATTN_NAMED = frozenset({"gpt-oss", "qwen3next", "qwen35", "qwen35moe", "glm4moe", "seed_oss"})
# MoE routers with a per-expert selection bias (exp_probs_b).
_EXPERT_BIAS = frozenset(
    {
        "deepseek2",
        "deepseek32",
        "deepseek4",
        "glm-dsa",
        "glm4moe",
        "glm5-next",
        "afmoe",
        "bailingmoe2",
        "hy_v3",
        "hy_v4",
        "bailingmoe3",
        "dots1",
        "ernie4_5-moe",
        "exaone-moe",
        "kimi-k3",
        "kimi-linear",
        "laguna",
        "lfm2moe",
        "mimo2",
        "minimax-m2",
        "step35",
        "minimax-m3",
        "nemotron_h_moe",
    }
)
# MiniMax M3's sparse attention (MSA): on its MoE layers a block indexer with indexer_heads query heads and one
# key head of indexer_head_dim, each normed by one vector of that width
MSA_INDEXER = frozenset({"minimax-m3"})
# Qwen's sparse attention (QSA, qwen4exp): the same four indexer tensors on every attention layer, whose raw keys
# llama.cpp caches beside K and V (keys only)
QSA_INDEXER = frozenset({"qwen4exp"})
# IBM's Granite SWASH (granite_swa): a learned sink logit per head on every layer, and the shared expert's gate
# and up kept as one double-width ffn_up_shexp
GRANITE_SWA = frozenset({"granite_swa"})
# Attention sinks (one learned logit per head) on the sliding-window layers only: MiMo V2.5
# (add_swa_attention_sink_bias, not add_full_attention_sink_bias)
_SWA_SINKS = frozenset({"mimo2"})
# q/k norms over the whole projection rather than per head (MiniMax M2, OLMo 2).
_FULL_QK_NORM = frozenset({"minimax-m2", "olmo2", "olmoe"})
# MoE files whose experts' gate and up projections are one stacked tensor (ffn_gate_up_exps, twice the expert
# width): the checkpoint ships them so and the converter keeps them (Mistral Small 4, otherwise DeepSeek-V2's
# layout under its own name).
_FUSED_GATE_UP_EXPS = frozenset({"mistral4"})
# Liquid's LFM2 layout: short-convolution layers beside attention layers with per-head q/k norms, the final norm
# stored as token_embd_norm; lfm2moe puts a mixture of experts after its leading dense layers. LFM3 keeps it with a
# wider convolution (7 taps), windowed attention on some attention layers, a per-head gate on attention, and
# "sandwich" norms: one after every operator (convolution or attention) and one after every FFN.
LFM2 = frozenset({"lfm2", "lfm2moe", "lfm3"})
# Norms after the recurrent operator too, not only after attention (LFM3)
_POST_NORM_RECURRENT = frozenset({"lfm3"})
# GLM-5.3-Flash (llama.cpp's glm5-next): Kimi delta attention (KDA) layers beside DeepSeek-style MLA layers whose
# lightning indexer pools its keys (indexer_kpool), and DeepSeek V4's hyper-connection mixers on every layer
KDA = frozenset({"glm5-next"})
# Ling 3.0 (llama.cpp's bailingmoe3): groups of Kimi delta attention layers closed by an MLA layer whose output is
# gated per head (attn_gate, one weight row per head); its KDA layers project the forget and output gates at full
# width (ssm_f_a, ssm_g_a; no low-rank pair) and have no per-channel decay vector beyond ssm_a's one per head
KDA_FULL_GATES = frozenset({"bailingmoe3"})
# Kimi K3 (llama.cpp's kimi-k3): Kimi delta attention layers with a low-rank forget gate and a full-rank output gate
# (ssm_g), MLA layers whose output is gated per channel, routed experts working at moe_latent_size between a
# projection down and one back up (with a norm), and the cross-layer residual mixing's score vectors (two per
# layer, one before the output)
KIMI_K3 = frozenset({"kimi-k3"})
# Kimi Linear (llama.cpp's kimi-linear): glm5-next's Kimi delta attention (gates through a rank of one head, the
# decay stored as a [1, heads] row) without its hyper-connections, beside plain MLA layers
KIMI_LINEAR = frozenset({"kimi-linear"})
# Tencent Hy4 (llama.cpp's hy_v4): MLA with per-head sinks and a per-channel output gate, DeepSeek V3.2's indexer
# only on its "full" indexer layers, and hyper-connection mixers (pre and post weights per stream, no stream matrix)
HY_V4 = frozenset({"hy_v4"})
# every Kimi-delta-attention layout: short convolutions on q, k and v, and a head-by-head state per head
KDA_ANY = KDA | KDA_FULL_GATES | KIMI_K3 | KIMI_LINEAR
# MiniMax-Text-01 and M1 (llama.cpp's minimax-01): lightning (linear) attention layers with q, k and v fused, an
# output gate and a norm over the heads, beside a softmax-attention layer every eighth (`attention_layers`); the
# state of a lightning layer is one head_dim x head_dim matrix per head (ssm_d_state = head_dim, ssm_d_inner =
# heads x head_dim), with no convolution
LIGHTNING = frozenset({"minimax-01"})


def recurrent_kind(m: ModelSpec) -> str:
    """How an architecture's non-attention layers work: mamba2 (default), mamba1 (Jamba), shortconv (LFM2),
    deltanet (Qwen3-Next, Qwen3.5: gated delta net), kda (GLM-5.3-Flash: Kimi delta attention), lightning
    (MiniMax-Text-01)."""
    if m.arch in _DELTA_NET:
        return "deltanet"
    if m.arch in KDA or m.arch in KIMI_LINEAR:
        return "kda"
    if m.arch in KDA_FULL_GATES:
        return "kda-full"
    if m.arch in KIMI_K3:
        return "kda-k3"
    if m.arch in LFM2:
        return "shortconv"
    if m.arch in LIGHTNING:
        return "lightning"
    return {"jamba": "mamba1", "mamba": "mamba1"}.get(m.arch, "mamba2")


def _delta_net(m: ModelSpec, i: int) -> list[TensorShape]:
    """A gated delta-net layer as llama.cpp stores it: ssm_d_state is the key/value head width, ssm_n_group the
    key heads, ssm_d_inner the value width (value heads x head width)."""
    h, head, value = m.hidden, m.ssm_d_state, m.ssm_d_inner
    key = head * m.ssm_n_group
    v_heads = max(1, value // max(1, head))
    conv = 2 * key + value
    p = f"blk.{i}."
    out = [
        TensorShape(p + "attn_qkv.weight", (h, conv), i),
        TensorShape(p + "attn_gate.weight", (h, value), i),
        TensorShape(p + "ssm_conv1d.weight", (m.ssm_d_conv, conv), i),
        TensorShape(p + "ssm_dt.bias", (v_heads,), i),
        TensorShape(p + "ssm_a", (v_heads,), i),
    ]
    if m.arch == "qwen3next":
        out.append(TensorShape(p + "ssm_ba.weight", (h, 2 * v_heads), i))
    else:
        out.append(TensorShape(p + "ssm_beta.weight", (h, v_heads), i))
        out.append(TensorShape(p + "ssm_alpha.weight", (h, v_heads), i))
    out.append(TensorShape(p + "ssm_norm.weight", (head,), i))
    out.append(TensorShape(p + "ssm_out.weight", (value, h), i))
    return out


def _kda(m: ModelSpec, i: int, *, full_gates: bool = False, full_output_gate: bool = False) -> list[TensorShape]:
    """A Kimi delta attention layer: heads of ssm_d_state (ssm_d_inner wide in all), a short depthwise convolution
    on each of q, k and v and their projections, forget- and output-gate projections, a per-head beta, decay and
    bias, the per-head output norm and the output projection. glm5-next factors the gates through a rank of one
    head and keeps one decay per head; Ling 3.0 (`full_gates`) projects them straight to the full width and stores
    the decay as a [1, heads] row; Kimi K3 (`full_output_gate`) keeps the low-rank forget gate and projects the
    output gate at full width (ssm_g)."""
    h, inner, head = m.hidden, m.ssm_d_inner, m.ssm_d_state
    n = max(1, inner // max(1, head))
    p = f"blk.{i}."
    out = [TensorShape(p + f"ssm_conv1d_{x}.weight", (m.ssm_d_conv, 1, inner), i) for x in "qkv"]
    out += [TensorShape(p + f"attn_{x}.weight", (h, inner), i) for x in "qkv"]
    if full_gates:
        forget = [TensorShape(p + "ssm_f_a.weight", (h, inner), i)]
        gate = [TensorShape(p + "ssm_g_a.weight", (h, inner), i)]
    else:
        forget = [TensorShape(p + "ssm_f_a.weight", (h, head), i), TensorShape(p + "ssm_f_b.weight", (head, inner), i)]
        gate = [TensorShape(p + "ssm_g_a.weight", (h, head), i), TensorShape(p + "ssm_g_b.weight", (head, inner), i)]
    if full_output_gate:
        gate = [TensorShape(p + "ssm_g.weight", (h, inner), i)]
    out += forget
    out += [
        TensorShape(p + "ssm_beta.weight", (h, n), i),
        TensorShape(p + "ssm_a", (1, n) if full_gates or m.arch in KIMI_LINEAR else (n,), i),
        TensorShape(p + "ssm_dt.bias", (inner,), i),
    ]
    out += gate
    out += [TensorShape(p + "ssm_norm.weight", (head,), i), TensorShape(p + "attn_output.weight", (inner, h), i)]
    return out


def _recurrent(m: ModelSpec, i: int) -> list[TensorShape]:
    h, d_inner, d_state = m.hidden, m.ssm_d_inner, m.ssm_d_state
    p = f"blk.{i}."
    kind = recurrent_kind(m)
    if kind == "deltanet":
        return _delta_net(m, i)
    if kind == "kda":
        return _kda(m, i)
    if kind == "kda-full":
        return _kda(m, i, full_gates=True)
    if kind == "kda-k3":
        return _kda(m, i, full_output_gate=True)
    if kind == "lightning":
        return [
            TensorShape(p + "attn_norm_2.weight", (d_inner,), i),
            TensorShape(p + "attn_qkv.weight", (h, 3 * d_inner), i),
            TensorShape(p + "attn_gate.weight", (h, d_inner), i),
            TensorShape(p + "attn_output.weight", (d_inner, h), i),
        ]
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
            TensorShape(p + "ssm_dt_norm.weight", (dt_rank,), i),
            TensorShape(p + "ssm_b_norm.weight", (d_state,), i),
            TensorShape(p + "ssm_c_norm.weight", (d_state,), i),
            TensorShape(p + "ssm_dt.weight", (dt_rank, d_inner), i),
            TensorShape(p + "ssm_dt.bias", (d_inner,), i),
            TensorShape(p + "ssm_a", (d_state, d_inner), i),
            TensorShape(p + "ssm_d", (d_inner,), i),
            TensorShape(p + "ssm_out.weight", (d_inner, h), i),
        ]
    conv_dim = d_inner + 2 * m.ssm_n_group * d_state
    n_heads = m.ssm_heads or max(1, d_inner // 64)
    return [
        TensorShape(p + "ssm_in.weight", (h, 2 * d_inner + 2 * m.ssm_n_group * d_state + n_heads), i),
        TensorShape(p + "ssm_conv1d.weight", (m.ssm_d_conv, conv_dim), i),
        TensorShape(p + "ssm_conv1d.bias", (conv_dim,), i),
        TensorShape(p + "ssm_dt.bias", (n_heads,), i),
        TensorShape(p + "ssm_a", (1, n_heads), i),
        TensorShape(p + "ssm_d", (1, n_heads), i),
        TensorShape(p + "ssm_norm.weight", (d_inner // max(1, m.ssm_n_group), max(1, m.ssm_n_group)), i),
        TensorShape(p + "ssm_out.weight", (d_inner, h), i),
    ]


def _mla(m: ModelSpec, i: int) -> list[TensorShape]:
    """DeepSeek's multi-head latent attention (and V3.2's lightning indexer beside it)."""
    assert m.kv_lora_rank is not None
    h = m.hidden
    p = f"blk.{i}."
    rope = 64 if m.qk_rope_head_dim is None else m.qk_rope_head_dim  # GLM-5.3-Flash has none (0)
    nope = m.qk_nope_head_dim or (m.head_dim - rope)
    v_dim = m.v_head_dim or nope
    out: list[TensorShape] = []
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
        # current files split the latent's up-projection per head into K (nope x rank) and V (rank x v_dim),
        # which llama.cpp needs for its absorbed MLA; older files kept one attn_kv_b (rank x heads*(nope+v))
        TensorShape(p + "attn_k_b.weight", (nope, m.kv_lora_rank, m.heads), i),
        TensorShape(p + "attn_v_b.weight", (m.kv_lora_rank, v_dim, m.heads), i),
        TensorShape(p + "attn_output.weight", (m.heads * v_dim, h), i),
    ]
    if m.arch in KDA_FULL_GATES:  # Ling 3.0: one output gate per head
        out.append(TensorShape(p + "attn_gate.weight", (h, m.heads), i))
    if m.arch in KIMI_K3 or m.arch in HY_V4:  # Kimi K3, Hy4: a sigmoid gate per output channel
        out.append(TensorShape(p + "attn_gate.weight", (h, m.heads * v_dim), i))
    if m.arch in HY_V4:
        out.append(TensorShape(p + "attn_sinks.weight", (m.heads,), i))
    # Hy4 ships the indexer only on the layers that own one (the others reuse its selection)
    if m.indexer_heads and not (m.arch in HY_V4 and m.indexer_layers is not None and i not in m.indexer_layers):
        # DeepSeek V3.2's lightning indexer: one key head of indexer_head_dim, queries from the q LoRA
        d, n = m.indexer_head_dim, m.indexer_heads
        out += [
            TensorShape(p + "indexer.k_norm.weight", (d,), i),
            TensorShape(p + "indexer.k_norm.bias", (d,), i),
            TensorShape(p + "indexer.proj.weight", (h, n), i),
            TensorShape(p + "indexer.attn_k.weight", (h, d), i),
            TensorShape(p + "indexer.attn_q_b.weight", (m.q_lora_rank or h, n * d), i),
        ]
        if m.indexer_kpool:  # GLM-5.3-Flash pools its indexer keys in windows of indexer_kpool tokens
            out += [
                TensorShape(p + "indexer_compressor_gate.weight", (h, d), i),
                TensorShape(p + "indexer_compressor_ape.weight", (d, m.indexer_kpool), i),
            ]
    return out


def _compressed_attention(m: ModelSpec, i: int) -> list[TensorShape]:
    """DeepSeek V4's attention (llama.cpp's deepseek4): queries through a LoRA, a single key head that also serves
    as the value (attn_kv), per-head sinks, the output projection in o_groups low-rank groups (attn_output_a, as
    the file stores it, then attn_output_b), the hyper-connection mixers of the attention and FFN sub-blocks, and
    on compressed layers the compressor (windows of 4 overlap, so its projections are twice as wide) and, at ratio
    4, the lightning indexer with its own compressor."""
    h, hd, n, ql = m.hidden, m.head_dim, m.heads, m.q_lora_rank or m.hidden
    groups, rank = max(1, m.o_groups), m.o_lora_rank
    p = f"blk.{i}."
    out = [
        TensorShape(p + "attn_sinks.weight", (n,), i),
        TensorShape(p + "attn_q_a.weight", (h, ql), i),
        TensorShape(p + "attn_q_a_norm.weight", (ql,), i),
        TensorShape(p + "attn_q_b.weight", (ql, n * hd), i),
        TensorShape(p + "attn_kv.weight", (h, hd), i),
        TensorShape(p + "attn_kv_a_norm.weight", (hd,), i),
        TensorShape(p + "attn_output_a.weight", (n * hd // groups, rank * groups), i),
        TensorShape(p + "attn_output_b.weight", (groups * rank, h), i),
    ]
    out += _mhc(m, i)
    ratio = m.compress_ratio(i)
    if not ratio:
        return out
    wide = 2 if ratio == CSA_RATIO else 1
    out += _compressor(p + "attn_compressor", i, h, wide * hd, ratio, hd)
    if ratio == CSA_RATIO:
        d = m.indexer_head_dim
        out += [
            TensorShape(p + "indexer.proj.weight", (h, m.indexer_heads), i),
            TensorShape(p + "indexer.attn_q_b.weight", (ql, m.indexer_heads * d), i),
        ]
        out += _compressor(p + "indexer_compressor", i, h, 2 * d, ratio, d)
    return out


def _mhc(m: ModelSpec, i: int, *, stream_matrix: bool = True) -> list[TensorShape]:
    """DeepSeek V4's hyper-connection mixers of a layer's attention and FFN sub-blocks (GLM-5.3-Flash's too); Hy4's
    have no stream-to-stream matrix (`stream_matrix` False: two weights per stream, two scales)."""
    h, hc = m.hidden, m.hc_mult
    mix = (2 + hc) * hc if stream_matrix else 2 * hc  # pre and post weights per stream (and the stream matrix)
    p = f"blk.{i}."
    out: list[TensorShape] = []
    for block in ("attn", "ffn"):
        out += [
            TensorShape(p + f"hc_{block}_fn.weight", (hc * h, mix), i),
            TensorShape(p + f"hc_{block}_base.weight", (mix,), i),
            TensorShape(p + f"hc_{block}_scale.weight", (3 if stream_matrix else 2,), i),
        ]
    return out


def _compressor(prefix: str, i: int, h: int, width: int, ratio: int, norm: int) -> list[TensorShape]:
    """A token compressor: key and gate projections, a position embedding per slot of the window, a norm."""
    return [
        TensorShape(prefix + "_kv.weight", (h, width), i),
        TensorShape(prefix + "_gate.weight", (h, width), i),
        TensorShape(prefix + "_ape.weight", (width, ratio), i),
        TensorShape(prefix + "_norm.weight", (norm,), i),
    ]


def _qkv(m: ModelSpec, i: int) -> list[TensorShape]:
    """The q, k and v projections (fused or apart), their biases and their norms."""
    h = m.hidden
    p = f"blk.{i}."
    hd = m.layer_head_dim(i)
    q = m.layer_heads(i) * hd
    kv = m.layer_kv_heads(i) * hd
    v = m.layer_kv_heads(i) * m.layer_v_dim(i)
    out: list[TensorShape] = []
    if m.arch in _FUSED_QKV or m.arch in _FUSED_QKV_ONLY:
        out.append(TensorShape(p + "attn_qkv.weight", (h, q + 2 * kv), i))
    else:
        out += [
            TensorShape(p + "attn_q.weight", (h, 2 * q if m.arch in _DELTA_NET else q), i),
            TensorShape(p + "attn_k.weight", (h, kv), i),
        ]
        if not (m.kv_eq_v and m.layer_kind(i) == "full"):
            out.append(TensorShape(p + "attn_v.weight", (h, v), i))
    if m.attn_bias or m.arch in _PLAIN_FFN:
        out += [
            TensorShape(p + "attn_q.bias", (q,), i),
            TensorShape(p + "attn_k.bias", (kv,), i),
            TensorShape(p + "attn_v.bias", (kv,), i),
        ]
    if m.arch in _FULL_QK_NORM:
        out += [TensorShape(p + "attn_q_norm.weight", (q,), i), TensorShape(p + "attn_k_norm.weight", (kv,), i)]
    elif m.qk_norm and m.arch in ("stablelm", "command-r"):  # a LayerNorm weight of its own for every head
        out += [
            TensorShape(p + "attn_q_norm.weight", (hd, m.layer_heads(i)), i),
            TensorShape(p + "attn_k_norm.weight", (hd, m.layer_kv_heads(i)), i),
        ]
    elif m.qk_norm or m.arch in LFM2:  # LFM2's attention layers norm q and k per head
        out += [
            TensorShape(p + "attn_q_norm.weight", (hd,), i),
            TensorShape(p + "attn_k_norm.weight", (hd,), i),
        ]
    return out


def _attention_tail(m: ModelSpec, i: int) -> list[TensorShape]:
    """What follows the output projection: biases, gpt-oss's sinks, post-attention norms, Gemma 4's layer scale
    and the proportional-RoPE table of its full-attention layers."""
    h = m.hidden
    p = f"blk.{i}."
    out: list[TensorShape] = []
    if m.arch in _PLAIN_FFN:
        out += [TensorShape(p + "attn_output.bias", (h,), i), TensorShape(p + "attn_norm.bias", (h,), i)]
    elif m.arch in _LAYER_NORM:
        out.append(TensorShape(p + "attn_norm.bias", (h,), i))
        if m.arch == "phimoe":
            out.append(TensorShape(p + "attn_output.bias", (h,), i))
    if m.arch == "falcon" and m.kv_heads > 1:  # Falcon 40B/180B's new decoder: a second norm, for the FFN
        out += [TensorShape(p + "attn_norm_2.weight", (h,), i), TensorShape(p + "attn_norm_2.bias", (h,), i)]
    if m.arch == "gpt-oss":
        out += [
            TensorShape(p + "attn_output.bias", (h,), i),
            TensorShape(p + "attn_sinks.weight", (m.heads,), i),
        ]
    if (m.arch in _SWA_SINKS and m.layer_kind(i) == "swa") or m.arch in GRANITE_SWA:
        out.append(TensorShape(p + "attn_sinks.weight", (m.heads,), i))
    if m.arch in _ATTN_GATE:
        out.append(TensorShape(p + "attn_gate.weight", (h, m.heads * m.layer_head_dim(i)), i))
    if m.arch in _HEAD_GATE:
        out.append(TensorShape(p + "attn_gate.weight", (h, m.layer_heads(i)), i))
    if m.arch in _POST_NORMS:
        out.append(TensorShape(p + "post_attention_norm.weight", (h,), i))
    if m.arch in GROK:
        out.append(TensorShape(p + "attn_output_norm.weight", (h,), i))
    if m.arch == "gemma4":
        out.append(TensorShape(p + "layer_output_scale.weight", (1,), i))
        if m.layer_kind(i) == "full" and all(m.layer_kind(j) != "full" for j in range(i)):
            # the proportional-RoPE frequency table of the full-attention layers, stored once
            out.append(TensorShape("rope_freqs.weight", (m.layer_head_dim(i) // 2,), None))
    return out


def _deci_attention(m: ModelSpec, i: int) -> list[TensorShape]:
    """A NAS-pruned layer's attention (llama.cpp's deci): a full block with this layer's KV heads, a single linear
    map in its place (KV heads 0: a norm and a hidden x hidden projection), or nothing at all (-1)."""
    p = f"blk.{i}."
    kv = m.layer_kv_heads_list[i]
    if kv < 0:
        return []
    norm = TensorShape(p + "attn_norm.weight", (m.hidden,), i)
    if kv == 0:
        return [norm, TensorShape(p + "attn_output.weight", (m.hidden, m.hidden), i)]
    return [norm, *_qkv(m, i), TensorShape(p + "attn_output.weight", (m.heads * m.head_dim, m.hidden), i)]


def _attention(m: ModelSpec, i: int) -> list[TensorShape]:
    """Layer i's norm and attention block (or its recurrent mixer, or both side by side on Falcon-H1)."""
    p = f"blk.{i}."
    if m.layer_kv_heads_list and i < len(m.layer_kv_heads_list):
        return _deci_attention(m, i)
    out: list[TensorShape] = [] if m.arch in _POST_NORM_ONLY else [TensorShape(p + "attn_norm.weight", (m.hidden,), i)]
    if m.arch in KIMI_K3:  # the residual mixing's score vectors, before attention and before the FFN
        out += [TensorShape(p + "attn_res_score.weight", (m.hidden,), i)]
    if m.arch in KDA and i < m.layers:  # the hyper-connection mixers (not on the MTP block)
        out += _mhc(m, i)
    if m.arch in HY_V4:
        out += _mhc(m, i, stream_matrix=False)
    if m.layer_kind(i) == "recurrent":
        if m.arch in _POST_NORM_RECURRENT:
            return [*out, *_recurrent(m, i), TensorShape(p + "post_attention_norm.weight", (m.hidden,), i)]
        return out + _recurrent(m, i)
    if m.parallel_ssm:
        out += _recurrent(m, i)  # Falcon-H1: attention and a Mamba-2 mixer side by side in every layer
    if m.compressed_kv:
        return out + _compressed_attention(m, i)
    if m.is_mla:
        return out + _mla(m, i)
    out += _qkv(m, i)
    out.append(TensorShape(p + "attn_output.weight", (m.layer_heads(i) * m.layer_v_dim(i), m.hidden), i))
    return out + _attention_tail(m, i)


def _experts(m: ModelSpec, i: int) -> list[TensorShape]:
    """A mixture-of-experts block: router, experts (and their biases or router bias), shared expert."""
    h = m.hidden
    p = f"blk.{i}."
    e, ff = m.experts, m.expert_intermediate
    # Kimi K3's routed experts work at the latent width, between a projection down and one back up (with a norm);
    # the router and shared experts stay at the hidden width
    w = m.moe_latent_size if m.arch in KIMI_K3 and m.moe_latent_size else h
    out = [TensorShape(p + "ffn_gate_inp.weight", (h, e), i)]
    if m.arch in _FUSED_GATE_UP_EXPS:
        out.append(TensorShape(p + "ffn_gate_up_exps.weight", (w, 2 * ff, e), i))
    else:
        out += [
            TensorShape(p + "ffn_gate_exps.weight", (w, ff, e), i),
            TensorShape(p + "ffn_up_exps.weight", (w, ff, e), i),
        ]
    out.append(TensorShape(p + "ffn_down_exps.weight", (ff, w, e), i))
    if w != h:
        out += [
            TensorShape(p + "ffn_routed_down.weight", (h, w), i),
            TensorShape(p + "ffn_routed_up.weight", (w, h), i),
            TensorShape(p + "ffn_routed_norm.weight", (w,), i),
        ]
    if m.arch == "gpt-oss":
        out += [
            TensorShape(p + "ffn_gate_inp.bias", (e,), i),
            TensorShape(p + "ffn_gate_exps.bias", (ff, e), i),
            TensorShape(p + "ffn_up_exps.bias", (ff, e), i),
            TensorShape(p + "ffn_down_exps.bias", (h, e), i),
        ]
    if i < m.hash_layers:  # DeepSeek V4's leading layers pick experts from a token-id table (int32 in the file)
        out.append(TensorShape(p + "ffn_gate_tid2eid.weight", (m.experts_active, m.vocab), i))
    elif m.arch in _EXPERT_BIAS:
        # Hy3 (hy_v3) names the router bias without the .bias suffix
        out.append(TensorShape(p + ("exp_probs_b" if m.arch == "hy_v3" else "exp_probs_b.bias"), (e,), i))
    if m.arch in MSA_INDEXER:
        d = m.indexer_head_dim
        out += [
            TensorShape(p + "indexer.q_proj.weight", (h, m.indexer_heads * d), i),
            TensorShape(p + "indexer.k_proj.weight", (h, d), i),
            TensorShape(p + "indexer.q_norm.weight", (d,), i),
            TensorShape(p + "indexer.k_norm.weight", (d,), i),
        ]
    if m.shared_width:
        sh = m.shared_width
        if m.arch in _DELTA_NET or m.arch == "qwen2moe":  # a sigmoid gate on the shared expert's output
            out.append(TensorShape(p + "ffn_gate_inp_shexp.weight", (h,), i))
        if m.arch in GRANITE_SWA:
            return [
                *out,
                TensorShape(p + "ffn_up_shexp.weight", (h, 2 * sh), i),
                TensorShape(p + "ffn_down_shexp.weight", (sh, h), i),
            ]
        out += [
            TensorShape(p + "ffn_gate_shexp.weight", (h, sh), i),
            TensorShape(p + "ffn_up_shexp.weight", (h, sh), i),
            TensorShape(p + "ffn_down_shexp.weight", (sh, h), i),
        ]
    return out


def _gemma4_experts(m: ModelSpec, i: int) -> list[TensorShape]:
    """Gemma 4's MoE block, beside the layer's dense FFN: a router with a per-channel input scale, its own
    pre- and post-norms, gate and up fused in one tensor, and a per-expert scale on the down projection."""
    h = m.hidden
    p = f"blk.{i}."
    e, ff = m.experts, m.expert_intermediate
    return [
        TensorShape(p + "ffn_gate_inp.weight", (h, e), i),
        TensorShape(p + "ffn_gate_inp.scale", (h,), i),
        TensorShape(p + "pre_ffw_norm_2.weight", (h,), i),
        TensorShape(p + "post_ffw_norm_1.weight", (h,), i),
        TensorShape(p + "post_ffw_norm_2.weight", (h,), i),
        TensorShape(p + "ffn_gate_up_exps.weight", (h, 2 * ff, e), i),
        TensorShape(p + "ffn_down_exps.weight", (ff, h, e), i),
        TensorShape(p + "ffn_down_exps.scale", (e,), i),
    ]


def _dense_ffn(m: ModelSpec, i: int) -> list[TensorShape]:
    h, ff = m.hidden, m.layer_ffn_width(i)
    p = f"blk.{i}."
    if m.arch in _PLAIN_FFN:
        return [
            *([] if _parallel_block(m) else [TensorShape(p + "ffn_norm.bias", (h,), i)]),
            TensorShape(p + "ffn_up.weight", (h, ff), i),
            TensorShape(p + "ffn_up.bias", (ff,), i),
            TensorShape(p + "ffn_down.weight", (ff, h), i),
            TensorShape(p + "ffn_down.bias", (h,), i),
        ]
    if m.arch in _UP_DOWN_FFN:
        return [TensorShape(p + "ffn_up.weight", (h, ff), i), TensorShape(p + "ffn_down.weight", (ff, h), i)]
    if m.arch in FUSED_GATE_UP:
        return [TensorShape(p + "ffn_up.weight", (h, 2 * ff), i), TensorShape(p + "ffn_down.weight", (ff, h), i)]
    return [
        TensorShape(p + "ffn_gate.weight", (h, ff), i),
        TensorShape(p + "ffn_up.weight", (h, ff), i),
        TensorShape(p + "ffn_down.weight", (ff, h), i),
    ]


def _parallel_block(m: ModelSpec) -> bool:
    """Attention and FFN both read one norm: no ffn_norm (StableLM 2 12B's use_parallel_residual among StableLMs)."""
    return m.arch in _PARALLEL_BLOCK or (m.arch == "stablelm" and m.qk_norm)


def _ffn(m: ModelSpec, i: int) -> list[TensorShape]:
    h = m.hidden
    p = f"blk.{i}."
    out: list[TensorShape] = []
    if m.arch in _POST_ATTN_NAMED:
        out.append(TensorShape(p + "post_attention_norm.weight", (h,), i))
    elif m.arch in _NO_FFN_NORM or m.arch in _POST_NORM_ONLY or _parallel_block(m):
        pass
    elif m.arch in _LAYER_NORM and m.arch not in _PLAIN_FFN:  # (the plain FFN adds its own norm bias)
        out += [TensorShape(p + "ffn_norm.weight", (h,), i), TensorShape(p + "ffn_norm.bias", (h,), i)]
    elif m.arch in KIMI_K3:
        out += [TensorShape(p + "ffn_norm.weight", (h,), i), TensorShape(p + "ffn_res_score.weight", (h,), i)]
    else:
        # Falcon-H1 files name the pre-FFN norm without the usual suffix
        out.append(TensorShape(p + ("ffn_norm" if m.arch == "falcon-h1" else "ffn_norm.weight"), (h,), i))
    if m.layer_kind(i) == "recurrent" and m.attention_layers is not None and m.intermediate == 0:
        return []
    if m.layer_ffn_widths and i < len(m.layer_ffn_widths) and m.layer_ffn_widths[i] == 0:
        return []  # a NAS-pruned layer without FFN: no norm either
    if m.arch == "gemma4":  # the dense FFN in every layer, and the MoE block beside it where there is one
        out += _dense_ffn(m, i)
        out.append(TensorShape(p + "post_ffw_norm.weight", (h,), i))
        if m.layer_is_moe(i):
            out += _gemma4_experts(m, i)
        return out + (_per_layer_input(m, i) if m.per_layer_input else [])
    if m.arch in GROK:  # Grok 2's residual dense FFN beside the experts, then the norm after both
        if m.intermediate != m.expert_intermediate:
            out += _dense_ffn(m, i)
        return [*out, *_experts(m, i), TensorShape(p + "layer_output_norm.weight", (h,), i)]
    out += _experts(m, i) if m.layer_is_moe(i) else _dense_ffn(m, i)
    if m.arch in _POST_NORMS:
        out.append(TensorShape(p + "post_ffw_norm.weight", (h,), i))
    if m.per_layer_input:
        out += _altup_layer(m, i)
    return out


def _per_layer_input(m: ModelSpec, i: int) -> list[TensorShape]:
    """Gemma 4 E2B/E4B: the gate and projection that feed a layer its slice of the per-layer embeddings."""
    h, pl = m.hidden, m.per_layer_input
    p = f"blk.{i}."
    return [
        TensorShape(p + "inp_gate.weight", (h, pl), i),
        TensorShape(p + "proj.weight", (pl, h), i),
        TensorShape(p + "post_norm.weight", (h,), i),
    ]


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


def _hc_mixers(m: ModelSpec, i: int) -> list[TensorShape]:
    """Qwen3.8's two hyper-connection mixers per layer (before the token mixer, before the MoE): a grouped norm
    over the hc_mult streams, a low-rank mixing pair and the weights that inject the output back into the streams."""
    h, hc, lr = m.hidden, m.hc_mult, m.hc_low_rank
    p = f"blk.{i}."
    out: list[TensorShape] = []
    for block in ("attn", "ffn"):
        out += [
            TensorShape(p + f"hc_{block}_norm.weight", (h, hc), i),
            TensorShape(p + f"hc_{block}_down.weight", (hc * h, lr), i),
            TensorShape(p + f"hc_{block}_up.weight", (lr, hc * h), i),
            TensorShape(p + f"hc_{block}_inject.weight", (hc * h, hc), i),
        ]
    return out


def _ple_layer(m: ModelSpec, i: int) -> list[TensorShape]:
    """Qwen3.8's n-gram embedding injection on its PLE layer: key and value projections of the gathered rows,
    three grouped norms and a depthwise convolution over the widened stream."""
    h, wide = m.hidden, m.hc_mult * m.hidden
    p = f"blk.{i}."
    return [
        TensorShape(p + "ple_key.weight", (h, wide), i),
        TensorShape(p + "ple_value.weight", (h, h), i),
        TensorShape(p + "ple_norm_key.weight", (h, m.hc_mult), i),
        TensorShape(p + "ple_norm_query.weight", (h, m.hc_mult), i),
        TensorShape(p + "ple_norm_conv.weight", (h, m.hc_mult), i),
        TensorShape(p + "ple_conv1d.weight", (m.ple_conv_kernel, wide), i),
    ]


def _qsa_layer(m: ModelSpec, i: int) -> list[TensorShape]:
    """One qwen4exp layer: no norms of their own (the mixers carry them), a gated delta net or gated attention with
    QSA's indexer, the PLE injection where there is one, and the MoE block with its gated shared expert."""
    h, d = m.hidden, m.indexer_head_dim
    p = f"blk.{i}."
    out = _hc_mixers(m, i)
    if m.layer_kind(i) == "recurrent":
        out += _delta_net(m, i)
    else:
        out += _qkv(m, i)
        out += [
            TensorShape(p + "attn_output.weight", (m.heads * m.head_dim, h), i),
            TensorShape(p + "indexer.q_proj.weight", (h, m.indexer_heads * d), i),
            TensorShape(p + "indexer.k_proj.weight", (h, d), i),
            TensorShape(p + "indexer.q_norm.weight", (d,), i),
            TensorShape(p + "indexer.k_norm.weight", (d,), i),
        ]
    if i in m.ple_layers:
        out += _ple_layer(m, i)
    return out + _experts(m, i)


def _qsa_model(m: ModelSpec) -> list[TensorShape]:
    """A qwen4exp file: embedding, the n-gram table (ple_dim-wide rows, read lazily), the layers, and the final
    hyper-connection mixer in place of the output norm before the untied output."""
    h, hc, lr = m.hidden, m.hc_mult, m.hc_low_rank
    out = [TensorShape("token_embd.weight", (h, m.vocab))]
    if m.ple_rows:
        out.append(TensorShape("per_layer_token_embd.weight", (m.ple_dim, m.ple_rows)))
    for i in range(m.layers):
        out += _qsa_layer(m, i)
    out += [
        TensorShape("output_hc_norm.weight", (h, hc)),
        TensorShape("output_hc_down.weight", (hc * h, lr)),
        TensorShape("output_hc_up.weight", (lr, hc * h)),
    ]
    if not m.tied_embeddings:
        out.append(TensorShape("output.weight", (h, m.vocab)))
    return out


def _pattern_layer(m: ModelSpec, i: int) -> list[TensorShape]:
    """One Nemotron-H layer: a norm and exactly one block (Mamba-2 mixer, attention, ReLU² MLP or MoE)."""
    h = m.hidden
    p = f"blk.{i}."
    out = [TensorShape(p + "attn_norm.weight", (h,), i)]
    c = m.layer_pattern[i]
    if c == "M":
        return out + _recurrent(m, i)
    if c == "*":
        q, kv = m.heads * m.head_dim, m.kv_heads * m.head_dim
        out += [
            TensorShape(p + "attn_q.weight", (h, q), i),
            TensorShape(p + "attn_k.weight", (h, kv), i),
            TensorShape(p + "attn_v.weight", (h, kv), i),
            TensorShape(p + "attn_output.weight", (q, h), i),
        ]
        return out
    if c == "-":
        out.append(TensorShape(p + "ffn_up.weight", (h, m.intermediate), i))
        out.append(TensorShape(p + "ffn_down.weight", (m.intermediate, h), i))
        return out
    e, ff, sh = m.experts, m.expert_intermediate, m.shared_width
    out += [
        TensorShape(p + "ffn_gate_inp.weight", (h, e), i),
        TensorShape(p + "exp_probs_b.bias", (e,), i),
    ]
    width = m.moe_latent_size or h
    if m.moe_latent_size:  # the experts run at the latent width, between a projection down and one back up
        out.append(TensorShape(p + "ffn_latent_down.weight", (h, width), i))
        out.append(TensorShape(p + "ffn_latent_up.weight", (width, h), i))
    out.append(TensorShape(p + "ffn_up_exps.weight", (width, ff, e), i))
    out.append(TensorShape(p + "ffn_down_exps.weight", (ff, width, e), i))
    if sh:
        out.append(TensorShape(p + "ffn_up_shexp.weight", (h, sh), i))
        out.append(TensorShape(p + "ffn_down_shexp.weight", (sh, h), i))
    return out


@lru_cache(maxsize=64)
def mtp_tensors(m: ModelSpec) -> tuple[TensorShape, ...]:
    """The multi-token-prediction blocks after the last layer (llama.cpp's NextN layers): a full-attention layer
    with the model's FFN, plus the projection that joins the hidden state to the next token's embedding.
    They are in the file (and in llama.cpp's parameter count) but are not loaded without MTP decoding."""
    out: list[TensorShape] = []
    h = m.hidden
    for j in range(m.mtp_layers):
        i = m.layers + j
        p = f"blk.{i}."
        out += _attention(m, i)
        out += _ffn(m, i)
        out += [
            TensorShape(p + "nextn.eh_proj.weight", (2 * h, h), i),
            TensorShape(p + "nextn.enorm.weight", (h,), i),
            TensorShape(p + "nextn.hnorm.weight", (h,), i),
            TensorShape(p + "nextn.shared_head_norm.weight", (h,), i),
        ]
        if m.mtp_own_head:
            out += [
                TensorShape(p + "nextn.embed_tokens.weight", (h, m.vocab), i),
                TensorShape(p + "nextn.shared_head_head.weight", (h, m.vocab), i),
            ]
        elif m.arch in _MTP_OWN_OUTPUT:
            out.append(TensorShape(p + "nextn.shared_head_head.weight", (h, m.vocab), i))
        if m.arch in _MTP_OUT_NORM:
            out.append(TensorShape(p + "layer_output_norm.weight", (h,), i))
    return tuple(out)


# MTP tensors llama.cpp loads even when MTP decoding is off: the step35 and hy_v3 loaders skip only the tensors they
# create with the MTP flags and load the optional ones (Step 3.5: q/k norms, gate, FFN, output head)
_MTP_RESIDENT = {
    "step35": (
        "attn_q_norm.weight",
        "attn_k_norm.weight",
        "attn_gate.weight",
        "ffn_gate.weight",
        "ffn_up.weight",
        "ffn_down.weight",
        "nextn.shared_head_head.weight",
        "nextn.shared_head_norm.weight",
    ),
    # Hy3: the MTP block's experts, router, router bias and shared expert (its attention and norms are skipped)
    "hy_v3": (
        "ffn_gate_exps.weight",
        "ffn_up_exps.weight",
        "ffn_down_exps.weight",
        "ffn_gate_inp.weight",
        "exp_probs_b",
        "ffn_gate_shexp.weight",
        "ffn_up_shexp.weight",
        "ffn_down_shexp.weight",
        "nextn.shared_head_norm.weight",
    ),
}


def mtp_resident_tensors(m: ModelSpec) -> tuple[TensorShape, ...]:
    """The MTP tensors that sit in memory without MTP decoding (see _MTP_RESIDENT), counted with the output
    layer (layer None), where llama.cpp puts the blocks past the last layer."""
    keep = _MTP_RESIDENT.get(m.arch, ())
    return tuple(TensorShape(t.name, t.ne, None) for t in mtp_tensors(m) if t.name.split(".", 2)[2] in keep)


# Tensors a token reads one row of (embedding look-ups): they stay in system RAM and barely count per token.
INPUT_TABLES = frozenset({"token_embd.weight", "per_layer_token_embd.weight"})


def _bert_model(m: ModelSpec) -> list[TensorShape]:
    """An encoder as llama.cpp's bert / nomic-bert loaders create it (no output layer: an embedding model)."""
    h, ff = m.hidden, m.intermediate
    out = [TensorShape("token_embd.weight", (h, m.vocab)), TensorShape("token_types.weight", (h, 2))]
    if m.arch == "bert":
        out.append(TensorShape("position_embd.weight", (h, m.context_max)))
    out += [TensorShape("token_embd_norm.weight", (h,)), TensorShape("token_embd_norm.bias", (h,))]
    biased = m.arch == "bert"
    for i in range(m.layers):
        p = f"blk.{i}."
        out += _qkv(m, i)
        out.append(TensorShape(p + "attn_output.weight", (h, h), i))
        if biased:
            out.append(TensorShape(p + "attn_output.bias", (h,), i))
        out += [TensorShape(p + "attn_output_norm.weight", (h,), i), TensorShape(p + "attn_output_norm.bias", (h,), i)]
        out.append(TensorShape(p + "ffn_up.weight", (h, ff), i))
        if biased:
            out.append(TensorShape(p + "ffn_up.bias", (ff,), i))
        else:
            out.append(TensorShape(p + "ffn_gate.weight", (h, ff), i))
        out.append(TensorShape(p + "ffn_down.weight", (ff, h), i))
        if biased:
            out.append(TensorShape(p + "ffn_down.bias", (h,), i))
        out += [
            TensorShape(p + "layer_output_norm.weight", (h,), i),
            TensorShape(p + "layer_output_norm.bias", (h,), i),
        ]
    return out


def _starcoder_model(m: ModelSpec) -> list[TensorShape]:
    """GPTBigCode (StarCoder, Granite Code 20B/34B) as llama.cpp's starcoder loader creates it: learned positions,
    LayerNorms with biases, q/k/v fused over the (usually single) KV head, a plain FFN with biases."""
    h, ff = m.hidden, m.intermediate
    qkv = h + 2 * m.kv_heads * m.head_dim
    out = [TensorShape("token_embd.weight", (h, m.vocab)), TensorShape("position_embd.weight", (h, m.context_max))]
    for i in range(m.layers):
        p = f"blk.{i}."
        for name, shape in (
            ("attn_norm.weight", (h,)),
            ("attn_norm.bias", (h,)),
            ("attn_qkv.weight", (h, qkv)),
            ("attn_qkv.bias", (qkv,)),
            ("attn_output.weight", (h, h)),
            ("attn_output.bias", (h,)),
            ("ffn_norm.weight", (h,)),
            ("ffn_norm.bias", (h,)),
            ("ffn_down.weight", (ff, h)),
            ("ffn_down.bias", (h,)),
            ("ffn_up.weight", (h, ff)),
            ("ffn_up.bias", (ff,)),
        ):
            out.append(TensorShape(p + name, shape, i))
    out += [TensorShape("output_norm.weight", (h,)), TensorShape("output_norm.bias", (h,))]
    if not m.tied_embeddings:
        out.append(TensorShape("output.weight", (h, m.vocab)))
    return out


@lru_cache(maxsize=64)
def _model_tensors(m: ModelSpec) -> tuple[TensorShape, ...]:
    if m.arch in HC_LOW_RANK:
        return tuple(_qsa_model(m))
    if m.arch in _BERT:
        return tuple(_bert_model(m))
    if m.arch == "starcoder":
        return tuple(_starcoder_model(m))
    h = m.hidden
    out = [TensorShape("token_embd.weight", (h, m.vocab))]
    if m.per_layer_input:
        wide = m.per_layer_input * m.layers
        if m.altup_inputs > 1:  # Gemma 3n's AltUp streams; Gemma 4 has the per-layer inputs alone
            out += [
                TensorShape("altup_proj.weight", (h, h, m.altup_inputs - 1)),
                TensorShape("altup_unembd_proj.weight", (h, h, m.altup_inputs - 1)),
            ]
        out += [
            TensorShape("per_layer_token_embd.weight", (wide, m.vocab)),
            TensorShape("per_layer_model_proj.weight", (h, wide)),
            TensorShape("per_layer_proj_norm.weight", (m.per_layer_input,)),
        ]
    for i in range(m.layers):
        if m.layer_pattern:
            out += _pattern_layer(m, i)
            continue
        out += _attention(m, i)
        out += _ffn(m, i)
    # LFM2 files store the final norm under the name token_embd_norm
    out.append(TensorShape("token_embd_norm.weight" if m.arch in LFM2 else "output_norm.weight", (h,)))
    if m.arch in _LAYER_NORM:
        out.append(TensorShape("output_norm.bias", (h,)))
    if not m.tied_embeddings:
        out.append(TensorShape("output.weight", (h, m.vocab)))
        if m.arch in ("phi2", "phimoe"):
            out.append(TensorShape("output.bias", (m.vocab,)))
    if m.arch in KIMI_K3:
        out.append(TensorShape("output_res_score.weight", (h,)))
    if m.hc_mult and m.arch not in KDA:  # DeepSeek V4: the streams merged back into one before the output norm
        out += [
            TensorShape("output_hc_fn.weight", (m.hc_mult * h, m.hc_mult)),
            TensorShape("output_hc_base.weight", (m.hc_mult,)),
            TensorShape("output_hc_scale.weight", (1,)),
        ]
    return tuple(out)


def model_tensors(m: ModelSpec) -> list[TensorShape]:
    """Every tensor of the model in GGUF file order: embeddings, blocks, output."""
    return list(_model_tensors(m))


@lru_cache(maxsize=64)
def parameter_count(m: ModelSpec) -> int:
    """Every tensor's elements, MTP blocks included: the count llama.cpp prints for the file."""
    return sum(t.elements for t in _model_tensors(m)) + sum(t.elements for t in mtp_tensors(m))


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


@dataclass(frozen=True, eq=False, repr=False)
class LayerBytes(Record):
    """Bytes of one repeating block, split into what a token always reads and what only its experts read."""

    layer: int
    bytes_total: int
    bytes_dense: int
    bytes_experts: int


@dataclass(frozen=True, eq=False, repr=False)
class WeightsBreakdown(Record):
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
    tensors = model_tensors(m) + list(mtp_resident_tensors(m))
    typed = assign_types(mix, tensors, mix_context(m, mix, tensors))
    return group_bytes(m, mix, ((t, ty, tensor_bytes(t, ty)) for t, ty in typed))


__all__ = [
    "GGML_TYPES",
    "HC_LOW_RANK",
    "INPUT_TABLES",
    "KDA",
    "KDA_ANY",
    "MSA_INDEXER",
    "QSA_INDEXER",
    "LayerBytes",
    "WeightsBreakdown",
    "active_parameter_count",
    "group_bytes",
    "model_tensors",
    "mtp_resident_tensors",
    "mtp_tensors",
    "parameter_count",
    "weights_breakdown",
]
