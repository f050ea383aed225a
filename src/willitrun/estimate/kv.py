"""KV cache and recurrent state per layer, as llama.cpp allocates them (estimation.md section 2).

- Full attention: K and V rows of `head_dim x kv_heads` per token, context padded to 256.
- Sliding window: `pad256(min(ctx, window + n_ubatch))` tokens per sequence (llama-server's default, swa_full off).
- MLA (DeepSeek V2/V3/R1, Kimi K2): one latent row of `kv_lora_rank + qk_rope_head_dim` per token; llama.cpp
  stores no V since PR #19067 (2026-01).
- DSA (DeepSeek V3.2, GLM-5): beside the latent row, the lightning indexer keeps one key of `indexer_head_dim` per
  token; on GLM-5.2 only the layers with a full indexer do (`indexer_layers`).
- DSA with pooled indexer keys (GLM-5.3-Flash, glm5-next): the latent row, and three indexer rows (key, gate,
  pooled value) of `indexer_head_dim` per token on its MLA layers; its Kimi delta attention layers keep an F32
  state: the q/k/v short convolutions' last `ssm_d_conv - 1` inputs and a `ssm_d_state`-square matrix per head.
- MSA (MiniMax M3): beside the full K and V, each sparse layer (`indexer_layers`) keeps its block indexer's keys in
  a second cache of one head of `indexer_head_dim`, which llama.cpp allocates with K and V rows alike.
- QSA (Qwen3.8-Flash-Next, qwen4exp): beside K and V, each attention layer keeps its indexer's raw key, one head
  of `indexer_head_dim` per token, in a keys-only cache of the K type (llama.cpp's hybrid_idx memory).
- Recurrent (Mamba-style, and the gated delta nets of Qwen3-Next/3.5): a fixed F32 state per sequence,
  independent of context; on Qwen3.8's PLE layers also the n-gram injection's convolution history:
  `(ple_conv_kernel - 1) x ple_ngram` rows of the `hc_mult x hidden` stream.
- Feed-forward-only layers (Nemotron-H's MLP and MoE layers) keep nothing.
- Shared KV (Gemma 3n): the last `kv_shared_layers` layers attend over an earlier layer's cache and keep none.
- Compressed attention (DeepSeek V4, llama.cpp's deepseek4 cache): keys only (the one key head serves as the value).
  Every layer keeps a sliding window of raw keys, sized as above. A layer with compression ratio r also keeps one
  compressed key per r tokens, `pad256(ceil(pad256(ctx) / r))` rows, and its compressor's running state: F32 keys
  and scores over the window being compressed (windows of 4 overlap, so CSA's are 8 rows of twice the head width;
  HCA's 128 rows of the head width). The ratio-4 (CSA) layers add the lightning indexer's compressed keys
  (`indexer_head_dim` wide, as many rows) and its compressor state. Speculative-decoding rollback snapshots of the
  state (n_rs_seq) are off by default and not counted.

`ctx` is the context of one sequence; `parallel` sequences each get their own (llama-server -c ctx*parallel).
"""

from __future__ import annotations

from functools import lru_cache

from willitrun.estimate.quants import GGML_TYPES
from willitrun.estimate.tensors import KDA_ANY, LFM2, LIGHTNING, MSA_INDEXER, QSA_INDEXER
from willitrun.estimate.types import CSA_RATIO, ModelSpec

KV_TYPES = ("f16", "bf16", "f32", "q8_0", "q5_1", "q5_0", "q4_1", "q4_0", "iq4_nl")
N_UBATCH = 512
CTX_PAD = 256


def pad(n: int, to: int = CTX_PAD) -> int:
    return ((n + to - 1) // to) * to


def kv_block_elements(kv_type: str) -> int:
    """Elements per block of a cache type (1 for f16/bf16/f32): a quantized K cache needs head widths it divides."""
    return GGML_TYPES[kv_type.upper()].block


def _row(kv_type: str, n: int) -> int:
    t = GGML_TYPES[kv_type.upper()]
    # A row not a multiple of the block is padded up; llama.cpp refuses such a cache (check says so before
    # planning: EXAONE 3.5 2.4B's heads are 80 wide), so this stays exact wherever llama.cpp runs.
    return t.block_bytes * ((n + t.block - 1) // t.block)


def kv_tokens(m: ModelSpec, layer: int, ctx: int, n_ubatch: int = N_UBATCH) -> int:
    """Cache cells one sequence keeps for this layer (DeepSeek V4: the raw window; `compressed_rows` besides)."""
    base = pad(ctx)
    if (m.layer_kind(layer) == "swa" or m.compressed_kv) and m.sliding_window:
        return min(base, pad(m.sliding_window + n_ubatch))
    return base


def compressed_rows(m: ModelSpec, layer: int, ctx: int) -> int:
    """Rows of a DeepSeek V4 layer's compressed cache for one sequence (0 on a layer without compression)."""
    r = m.compress_ratio(layer)
    return pad(max(1, -(-pad(ctx) // r))) if r else 0


def compressor_state_bytes(m: ModelSpec, layer: int) -> int:
    """One sequence's F32 compressor state on a DeepSeek V4 layer: keys and scores over the window in progress
    (overlapping windows on CSA layers: twice the rows and twice the width), and the indexer's on CSA layers."""
    r = m.compress_ratio(layer)
    if not r:
        return 0
    csa = r == CSA_RATIO
    wide = 2 if csa else 1
    state = 2 * 4 * (wide * r) * (wide * m.head_dim)
    if csa:
        state += 2 * 4 * (2 * r) * (2 * m.indexer_head_dim)
    return state


def _compressed_row(m: ModelSpec, layer: int, kv_type: str) -> int:
    """Bytes of one compressed row of a DeepSeek V4 layer: the key, and on CSA layers the indexer's key."""
    r = m.compress_ratio(layer)
    if not r:
        return 0
    key = _row(kv_type, m.head_dim * m.kv_heads)
    return key + (_row(kv_type, m.indexer_head_dim) if r == CSA_RATIO else 0)


def _compressed_layer_bytes(m: ModelSpec, layer: int, ctx: int, kv_type: str) -> int:
    """One sequence's cache on a DeepSeek V4 layer: the raw window's keys, the compressed rows, the state."""
    window = _row(kv_type, m.head_dim * m.kv_heads) * kv_tokens(m, layer, ctx)
    compressed = _compressed_row(m, layer, kv_type) * compressed_rows(m, layer, ctx)
    return window + compressed + compressor_state_bytes(m, layer)


def layer_kv_bytes(m: ModelSpec, layer: int, ctx: int, kv_type: str = "f16", parallel: int = 1) -> int:
    """Bytes of cache for one layer at context ctx, for `parallel` sequences."""
    kind = m.layer_kind(layer)
    if kind == "recurrent":
        return (recurrent_state_bytes(m) + ple_state_bytes(m, layer)) * parallel
    if kind == "ffn" or not m.layer_has_kv(layer):
        return 0
    if m.compressed_kv:
        return _compressed_layer_bytes(m, layer, ctx, kv_type) * parallel
    state = recurrent_state_bytes(m) * parallel if m.parallel_ssm else 0
    tokens = kv_tokens(m, layer, ctx)
    if kind == "mla":
        return (_row(kv_type, _mla_width(m)) + _indexer_row(m, layer, kv_type)) * tokens * parallel
    return (_kv_row(m, layer, kv_type) + _msa_row(m, layer, kv_type)) * tokens * parallel + state


def _kv_row(m: ModelSpec, layer: int, kv_type: str) -> int:
    """Bytes per token of one layer's K and V rows (values may be narrower than keys: MiMo V2.5)."""
    heads = m.layer_kv_heads(layer)
    return _row(kv_type, m.layer_head_dim(layer) * heads) + _row(kv_type, m.layer_v_dim(layer) * heads)


def _msa_row(m: ModelSpec, layer: int, kv_type: str) -> int:
    """Bytes per token of a layer's sparse-attention indexer cache beside K and V: MiniMax M3's MSA keeps a K and a
    V row of one head of indexer_head_dim on the sparse layers, Qwen3.8's QSA one key row on every attention layer;
    0 elsewhere and on every other architecture."""
    if m.arch in QSA_INDEXER:
        return _row(kv_type, m.indexer_head_dim)
    if m.arch not in MSA_INDEXER or (m.indexer_layers is not None and layer not in m.indexer_layers):
        return 0
    return 2 * _row(kv_type, m.indexer_head_dim)


def ple_state_bytes(m: ModelSpec, layer: int) -> int:
    """One sequence's F32 history of the PLE convolution on a Qwen3.8 PLE layer (0 on any other layer)."""
    if layer not in m.ple_layers or not m.ple_conv_kernel:
        return 0
    return (m.ple_conv_kernel - 1) * m.ple_ngram * m.hc_mult * m.hidden * 4


def _mla_width(m: ModelSpec) -> int:
    return (m.kv_lora_rank or 0) + (m.qk_rope_head_dim or 0)


def _indexer_row(m: ModelSpec, layer: int, kv_type: str) -> int:
    """Bytes per token of a layer's DSA indexer key cache (one head; 0 without an indexer, or on a layer that
    reuses another's selection)."""
    if not (m.indexer_heads and m.indexer_head_dim):
        return 0
    if m.indexer_layers is not None and layer not in m.indexer_layers:
        return 0
    # a pooling indexer (GLM-5.3-Flash) keeps key, gate and pooled value: three rows of the head width
    return _row(kv_type, m.indexer_head_dim * (3 if m.indexer_kpool else 1))


def recurrent_state_bytes(m: ModelSpec) -> int:
    """One sequence's F32 state in a recurrent layer: the convolution's last d_conv-1 inputs and the SSM state."""
    d_inner, d_state = m.ssm_d_inner, m.ssm_d_state
    if m.arch in LFM2:  # the short convolution's last d_conv-1 inputs, nothing more
        return (m.ssm_d_conv - 1) * m.hidden * 4
    if m.arch in ("jamba", "mamba"):
        return ((m.ssm_d_conv - 1) * d_inner + d_state * d_inner) * 4
    if m.arch in LIGHTNING:  # one head_dim x head_dim matrix per head, no convolution
        return d_state * d_inner * 4
    if m.arch in KDA_ANY:  # short convolutions on q, k and v, and a head-by-head state per head
        return (3 * (m.ssm_d_conv - 1) * d_inner + d_state * d_inner) * 4
    conv = (m.ssm_d_conv - 1) * (d_inner + 2 * m.ssm_n_group * d_state)
    return (conv + d_state * d_inner) * 4


@lru_cache(maxsize=4096)
def kv_per_layer(m: ModelSpec, ctx: int, kv_type: str = "f16", parallel: int = 1) -> tuple[int, ...]:
    """Each layer's cache bytes at context ctx for `parallel` sequences, kept for the run: planning asks for the
    same model, context and cache type many times (every -ngl tried, every option's total, every model ranked)."""
    return tuple(layer_kv_bytes(m, i, ctx, kv_type, parallel) for i in range(m.layers))


def kv_cache_bytes(m: ModelSpec, ctx: int, kv_type: str = "f16", parallel: int = 1) -> int:
    return sum(kv_per_layer(m, ctx, kv_type, parallel))


def kv_bytes_per_token(m: ModelSpec, kv_type: str = "f16") -> float:
    """Marginal cache bytes per extra token of context (full-attention, MLA and compressed layers only)."""
    total = 0.0
    for i in range(m.layers):
        kind = m.layer_kind(i)
        if not m.layer_has_kv(i):
            continue
        if m.compressed_kv:  # a compressed row per `ratio` tokens; the window does not grow
            r = m.compress_ratio(i)
            total += _compressed_row(m, i, kv_type) / r if r else 0.0
        elif kind == "full":
            total += _kv_row(m, i, kv_type) + _msa_row(m, i, kv_type)
        elif kind == "mla":
            total += _row(kv_type, _mla_width(m)) + _indexer_row(m, i, kv_type)
    return total


def kv_read_bytes(m: ModelSpec, layer: int, depth: int, kv_type: str = "f16") -> int:
    """Cache bytes one decode step reads from this layer with `depth` tokens already cached."""
    kind = m.layer_kind(layer)
    if kind == "recurrent":
        return recurrent_state_bytes(m) + ple_state_bytes(m, layer)
    if kind == "ffn":
        return 0
    if m.compressed_kv:
        # the window's raw keys, every compressed row (llama.cpp masks the indexer's top-k rather than gathering
        # them, and the indexer scores all its keys) and the compressor state it updates
        r = m.compress_ratio(layer)
        window = _row(kv_type, m.head_dim * m.kv_heads) * min(depth, m.sliding_window or depth)
        rows = -(-depth // r) if r else 0
        return window + _compressed_row(m, layer, kv_type) * rows + compressor_state_bytes(m, layer)
    if kind == "swa" and m.sliding_window:
        depth = min(depth, m.sliding_window)
    if kind == "mla":
        return (_row(kv_type, _mla_width(m)) + _indexer_row(m, layer, kv_type)) * depth
    return (_kv_row(m, layer, kv_type) + _msa_row(m, layer, kv_type)) * depth


def legacy_mla_kv_cache_bytes(m: ModelSpec, ctx: int, kv_type: str = "f16", parallel: int = 1) -> int:
    """The cache of an MLA model stored the older way (one `attn_kv_b` per layer, no `key_length_mla` in the
    metadata): llama.cpp cannot absorb the up-projection and keeps full per-head K (`nope + rope` wide) and V
    (`v_head_dim` wide) for every head, several times the latent cache (DeepSeek-V2-Lite at 8k: 2,160 MiB)."""
    if not m.is_mla:
        return kv_cache_bytes(m, ctx, kv_type, parallel)
    rope = m.qk_rope_head_dim or 0
    nope = m.qk_nope_head_dim or (m.head_dim - rope)
    v_dim = m.v_head_dim or nope
    per_token = _row(kv_type, m.heads * (nope + rope)) + _row(kv_type, m.heads * v_dim)
    return sum(per_token * kv_tokens(m, i, ctx) * parallel for i in range(m.layers) if m.layer_has_kv(i))
