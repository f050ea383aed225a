"""A model repo on the Hugging Face Hub: its config.json as a ModelSpec, safetensors parameter counts, GGUF files.

Uses huggingface_hub as it is (HfApi.model_info, its HTTP session and error classes), imported lazily. HF_ENDPOINT,
HF_TOKEN and HF_HUB_OFFLINE are read at call time. What a call learns is kept in willitrun's cache
(cache_dir()/hf/<owner>__<name>.json: config, file list, parameter counts; never a token), and used when offline or
when the Hub cannot be reached.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from itertools import pairwise
from pathlib import Path
from typing import Any

from willitrun.errors import BadValueError, WillItRunError
from willitrun.estimate.tensors import LFM2, active_parameter_count, parameter_count
from willitrun.estimate.types import ModelSpec, Record
from willitrun.paths import cache_dir
from willitrun.sources.archs import (
    ATTN_BIAS,
    GEMMA3N_ALTUP_INPUTS,
    GEMMA3N_LAUREL_RANK,
    QK_NORM,
    SWA_PATTERNS,
    TIED_BY_DEFAULT,
)

DEFAULT_TIMEOUT_S = 10.0
HUB_URL = "https://huggingface.co"
_DEFAULT_ENDPOINT = HUB_URL
_REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]{0,95}(/[A-Za-z0-9_.][\w.-]{0,95})?$")
_SPLIT_GGUF = re.compile(r"^(?P<prefix>.+)-(?P<no>\d{5})-of-(?P<count>\d{5})\.gguf$", re.IGNORECASE)
_CACHE_VERSION = 1

# transformers model_type -> llama.cpp architecture name
MODEL_TYPES: dict[str, str] = {
    "llama": "llama",
    "mistral": "llama",
    "mistral3": "llama",
    "mixtral": "llama",
    "qwen2": "qwen2",
    "qwen2_moe": "qwen2moe",
    "qwen2_vl": "qwen2vl",
    "qwen2_5_vl": "qwen2vl",
    "qwen3": "qwen3",
    "qwen3_moe": "qwen3moe",
    "qwen3_vl": "qwen3vl",
    "qwen3_vl_moe": "qwen3vlmoe",
    "gemma": "gemma",
    "gemma2": "gemma2",
    "gemma3": "gemma3",
    "gemma3_text": "gemma3",
    "gemma3n": "gemma3n",
    "gemma3n_text": "gemma3n",
    "phi3": "phi3",
    "phimoe": "phimoe",
    "deepseek_v2": "deepseek2",
    "deepseek_v3": "deepseek2",
    "deepseek_v4": "deepseek4",
    "kimi_k2": "deepseek2",
    "mistral4": "mistral4",
    "glm_moe_dsa": "glm-dsa",
    "gpt_oss": "gpt-oss",
    "cohere": "command-r",
    "cohere2": "cohere2",
    "olmo2": "olmo2",
    "olmoe": "olmoe",
    "granite": "granite",
    "granitemoe": "granitemoe",
    "granitemoehybrid": "granitehybrid",
    "starcoder2": "starcoder2",
    "falcon_h1": "falcon-h1",
    "jamba": "jamba",
    "lfm2": "lfm2",
    "lfm2_moe": "lfm2moe",
    "lfm3": "lfm3",
    "gpt_bigcode": "starcoder",
    "llama4": "llama4",
    "llama4_text": "llama4",
    "glm4": "glm4",
    "glm4_moe": "glm4moe",
    "smollm3": "smollm3",
    "internlm2": "internlm2",
    "hunyuan_v1_dense": "hunyuan-dense",
    "hunyuan_v1_moe": "hunyuan-moe",
    "nemotron_h": "nemotron_h",
    "exaone4": "exaone4",
    "exaone4_5": "exaone4",
    "exaone4_5_text": "exaone4",
    "kimi_k3": "kimi-k3",
    "kimi_linear": "kimi-linear",
    "muse_glimmer": "muse-glimmer",
    "muse_glimmer_text": "muse-glimmer",
    "step3p5": "step35",
    "step3p7": "step35",
    "hy_v3": "hy_v3",
    "hy_v4": "hy_v4",
    "spark2_5": "spark2_5",
    "bailing_moe_v2": "bailingmoe2",
    "ernie4_5": "ernie4_5",
    "ernie4_5_moe": "ernie4_5-moe",
    "exaone": "exaone",
    "apertus": "apertus",
    "nemotron": "nemotron",
    "minimax_m1": "minimax-01",
    "mellum": "mellum",
    "granite_swa": "granite_swa",
    "granitemoe_swa": "granite_swa",
    "minicpm": "minicpm",
    "smallthinker": "smallthinker",
    "nemotron-nas": "deci",
    "deci": "deci",
    "minimax_text_01": "minimax-01",
}
# multimodal wrappers whose text_config names an older architecture than the one its layers follow
_OWN_TEXT_MODEL = frozenset({"kimi-k3"})
_ATTENTION_LAYER_TYPES = frozenset({"attention", "full_attention", "sliding_attention", "chunked_attention"})
# Architectures whose output layer is tied to the embeddings when config.json does not say (LFM2's MoE as its dense).
_TIED = TIED_BY_DEFAULT | LFM2
# Hunyuan's alpha-scaled ("dynamic") RoPE: llama.cpp's converter writes a 256K context whatever
# max_position_embeddings says (32K in Hunyuan-A13B's config)
_HUNYUAN = frozenset({"hunyuan-dense", "hunyuan-moe"})
_HUNYUAN_CONTEXT = 256 * 1024
# Architectures whose multi-token-prediction blocks llama.cpp's converter keeps in the GGUF file (and its count):
# GLM-5's glm-dsa, EXAONE 4.5 (exaone4), Step 3.5, Hy3, Ling 2.0. DeepSeek-V3 and Nemotron 3 Super files leave
# theirs out.
_MTP_KEPT = frozenset({"glm-dsa", "exaone4", "step35", "hy_v3", "bailingmoe2"})
# routed experts per token (Hunyuan: moe_topk, one per layer)
_TOP_K_KEYS = ("num_experts_per_tok", "experts_per_token", "num_experts_per_token", "moe_topk")
# Nemotron-H's layers_block_type names as hybrid_override_pattern letters
_NEMOTRON_BLOCKS = {"mamba": "M", "attention": "*", "mlp": "-", "moe": "E"}


@dataclass(frozen=True, eq=False, repr=False)
class HubModel(Record):
    """What the Hub (or willitrun's cache of it) says about a model repo."""

    repo: str
    spec: ModelSpec | None
    params_by_dtype: dict[str, int]
    gguf_files: tuple[tuple[str, int], ...]
    revision: str | None
    from_cache: bool


# ---------------------------------------------------------------------------------------------------------------
# config.json -> ModelSpec (pure)


def _int(v: Any) -> int | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return None


def _first_int(cfg: Mapping[str, Any], *keys: str) -> int | None:
    for k in keys:
        raw = cfg.get(k)
        if isinstance(raw, list) and raw:
            raw = max((x for x in raw if _int(x) is not None), default=None)  # per-layer lists (Gemma 3n)
        v = _int(raw)
        if v is not None:
            return v
    return None


def _need(cfg: Mapping[str, Any], repo: str, *keys: str) -> int:
    v = _first_int(cfg, *keys)
    if v is None:
        raise WillItRunError(f"config.json of {repo} has no {keys[0]!r}: not a language model willitrun can size")
    return v


def _merged_config(config: Mapping[str, Any]) -> tuple[dict[str, Any], str]:
    """Multimodal configs nest the language model under text_config: its keys win. Returns (config, model_type)."""
    outer_type = str(config.get("model_type") or "")
    cfg = dict(config)
    text = config.get("text_config")
    inner_type = ""
    if isinstance(text, Mapping):
        inner_type = str(text.get("model_type") or "")
        cfg.update(text)
    model_type = outer_type if outer_type in MODEL_TYPES or not inner_type else inner_type
    # a wrapper around a language model of another architecture (mistral3 > mistral4), unless the wrapper is the
    # architecture itself (Kimi K3's text_config says kimi_linear, but its layers are K3's)
    if (
        inner_type in MODEL_TYPES
        and MODEL_TYPES[inner_type] != MODEL_TYPES.get(outer_type)
        and MODEL_TYPES.get(outer_type) not in _OWN_TEXT_MODEL
    ):
        model_type = inner_type
    return cfg, model_type


def _attention_layers(cfg: Mapping[str, Any], layers: int) -> tuple[int, ...] | None:
    """Hybrid models: the indices of layers with attention (None when every layer has attention)."""
    kinds = cfg.get("layer_types") or cfg.get("layers_block_type")
    if isinstance(kinds, list) and len(kinds) == layers and all(isinstance(k, str) for k in kinds):
        attn = tuple(i for i, k in enumerate(kinds) if k in _ATTENTION_LAYER_TYPES)
        return None if len(attn) == layers else attn
    period = _int(cfg.get("attn_layer_period"))
    offset = _int(cfg.get("attn_layer_offset"))
    if period and offset is not None:
        return tuple(i for i in range(layers) if i % period == offset)
    return None


def _swa(cfg: Mapping[str, Any], arch: str, layers: int) -> tuple[int | None, int | None]:
    window = _int(cfg.get("sliding_window"))
    if not window or cfg.get("use_sliding_window") is False:
        return None, None
    pattern = _int(cfg.get("sliding_window_pattern"))
    kinds = cfg.get("layer_types")
    if pattern is None and isinstance(kinds, list) and kinds:
        if all(k == "full_attention" for k in kinds):
            return None, None
        full = [i for i, k in enumerate(kinds) if k == "full_attention"]
        pattern = full[0] + 1 if full else None
        if pattern is None:
            return window, None
    if pattern is None:
        pattern = SWA_PATTERNS.get(arch)
    return window, pattern


def _window_layout(cfg: Mapping[str, Any], window: int | None, layers: int) -> dict[str, Any]:
    """Where layer_types puts the full-attention layers among windowed ones: closing each group (the default),
    opening it (swa_full_first: Granite SWASH 2B, SmallThinker), or at no fixed period (full_layers)."""
    kinds = cfg.get("layer_types")
    if not window or not isinstance(kinds, list) or len(kinds) != layers:
        return {}
    full = [i for i, k in enumerate(kinds) if k == "full_attention"]
    if not full or len(full) == layers:
        return {}
    gaps = {b - a for a, b in pairwise(full)}
    period = gaps.pop() if len(gaps) == 1 else 0
    if period and full[0] == period - 1:
        return {"swa_pattern": period}
    if period and full[0] == 0:
        return {"swa_pattern": period, "swa_full_first": True}
    return {"swa_pattern": None, "full_layers": tuple(full)}


def _mla_fields(cfg: Mapping[str, Any], heads: int) -> dict[str, Any]:
    """DeepSeek's multi-head latent attention: the latent ranks and per-head widths (empty without MLA)."""
    kv_lora = _int(cfg.get("kv_lora_rank")) or None
    if not kv_lora:
        return {}
    rope = _int(cfg.get("qk_rope_head_dim")) or 64
    nope = _int(cfg.get("qk_nope_head_dim")) or 128
    return {
        "kv_lora_rank": kv_lora,
        "q_lora_rank": _int(cfg.get("q_lora_rank")) or None,
        "qk_rope_head_dim": rope,
        "qk_nope_head_dim": nope,
        "v_head_dim": _int(cfg.get("v_head_dim")) or nope,
        "head_dim": nope + rope,
        "kv_heads": heads,  # MLA: the catalog's convention (the cache holds one latent row per token)
    }


def _moe_fields(cfg: Mapping[str, Any], hidden: int) -> dict[str, Any]:
    experts = _first_int(cfg, "num_local_experts", "num_experts", "n_routed_experts") or 0
    moe_width = _first_int(cfg, "moe_intermediate_size")  # Hunyuan: one per layer, all alike
    intermediate = _first_int(cfg, "intermediate_size", "ffn_dim", "n_inner") or moe_width or 4 * hidden
    expert_width = (moe_width or intermediate) if experts > 1 else 0
    shared = _first_int(cfg, "n_shared_experts", "num_shared_expert", "num_shared_experts") or 0
    shared_width = _first_int(cfg, "shared_expert_intermediate_size", "shared_intermediate_size")
    if not shared and shared_width and expert_width:
        shared = max(1, shared_width // expert_width)  # Qwen2-MoE: one wide shared expert
    return {
        "intermediate": intermediate,
        "experts": experts,
        "experts_active": _first_int(cfg, *_TOP_K_KEYS) or 0,
        "expert_intermediate": expert_width,
        "shared_experts": shared,
        # Nemotron-H; Granite MoE's one shared MLP (shared_intermediate_size)
        "shared_expert_intermediate": _first_int(cfg, "moe_shared_expert_intermediate_size", "shared_intermediate_size")
        or 0,
        "dense_layers": _first_int(cfg, "first_k_dense_replace", "num_dense_layers") or 0,
        "moe_layer_step": _first_int(cfg, "interleave_moe_layer_step", "decoder_sparse_step") or 1,
    }


def _recurrent_fields(cfg: Mapping[str, Any], arch: str, hidden: int, layers: int) -> dict[str, Any]:
    """Mamba / short-convolution layers of hybrid models, and which layers keep attention."""
    d_state = _first_int(cfg, "mamba_d_state", "ssm_state_size", "state_size") or 0
    d_conv = _first_int(cfg, "mamba_d_conv", "conv_kernel", "conv_L_cache") or 0
    d_inner = _int(cfg.get("mamba_d_ssm")) or 0
    mamba_heads = _first_int(cfg, "mamba_num_heads", "mamba_n_heads")  # Nemotron-H; Falcon-H1 and Granite 4.0 H
    mamba_head_dim = _first_int(cfg, "mamba_head_dim", "mamba_d_head")
    if not d_inner and mamba_heads and mamba_head_dim:
        d_inner = mamba_heads * mamba_head_dim  # Nemotron-H
    expand = cfg.get("mamba_expand") or cfg.get("expand")
    if not d_inner and isinstance(expand, (int, float)) and not isinstance(expand, bool) and (d_state or d_conv):
        d_inner = int(expand * hidden)
    if arch in LFM2 and not d_inner:
        d_inner = hidden
    attention_layers = _attention_layers(cfg, layers) if (d_state or d_conv or arch in LFM2) else None
    if arch == "falcon-h1" or arch.startswith("nemotron_h"):
        attention_layers = None  # Falcon-H1: attention beside the mixer in every layer; Nemotron-H: layer_pattern
    return {
        "ssm_d_inner": d_inner,
        "ssm_d_state": d_state,
        "ssm_d_conv": d_conv,
        "ssm_n_group": _first_int(cfg, "mamba_n_groups", "n_groups") or 1,
        "ssm_heads": (mamba_heads or 0) if mamba_head_dim else 0,
        "attention_layers": attention_layers,
    }


def _gemma3n_fields(cfg: Mapping[str, Any], arch: str, layers: int) -> dict[str, Any]:
    per_layer = (_int(cfg.get("hidden_size_per_layer_input")) or 0) if arch == "gemma3n" else 0
    return {
        "per_layer_input": per_layer,
        "altup_inputs": (_int(cfg.get("altup_num_inputs")) or GEMMA3N_ALTUP_INPUTS) if per_layer else 0,
        "laurel_rank": (_int(cfg.get("laurel_rank")) or GEMMA3N_LAUREL_RANK) if per_layer else 0,
        "kv_shared_layers": min(layers - 1, _int(cfg.get("num_kv_shared_layers")) or 0),
    }


def _layer_pattern(cfg: Mapping[str, Any], layers: int) -> str:
    """Nemotron-H's one letter per layer, from hybrid_override_pattern or the newer layers_block_type list."""
    pattern = cfg.get("hybrid_override_pattern")
    if isinstance(pattern, str) and len(pattern) == layers:
        return pattern
    kinds = cfg.get("layers_block_type")
    if isinstance(kinds, list) and len(kinds) == layers and all(k in _NEMOTRON_BLOCKS for k in kinds):
        return "".join(_NEMOTRON_BLOCKS[k] for k in kinds)
    return ""


def _indexer_layers(cfg: Mapping[str, Any], layers: int) -> tuple[int, ...] | None:
    """GLM-5.2's indexer_types: the layers whose DSA indexer keeps its own key cache (None: every layer)."""
    kinds = cfg.get("indexer_types")
    if not isinstance(kinds, list) or len(kinds) != layers:
        return None
    full = tuple(i for i, k in enumerate(kinds) if k == "full")
    return None if len(full) == layers else full


def _arch_fields(cfg: Mapping[str, Any], arch: str, layers: int) -> dict[str, Any]:
    """Keys of one architecture's own: Nemotron-H's layer pattern and latent MoE, DeepSeek sparse attention's
    indexer (GLM-5), and the MTP blocks a GGUF file keeps."""
    return {
        "layer_pattern": _layer_pattern(cfg, layers) if arch.startswith("nemotron_h") else "",
        "moe_latent_size": _int(cfg.get("moe_latent_size")) or 0,
        "indexer_heads": _int(cfg.get("index_n_heads")) or 0,
        "indexer_head_dim": _int(cfg.get("index_head_dim")) or 0,
        "indexer_layers": _indexer_layers(cfg, layers),
        "mtp_layers": (_int(cfg.get("num_nextn_predict_layers")) or 0) if arch in _MTP_KEPT else 0,
    }


def _deepseek4_fields(cfg: Mapping[str, Any], arch: str, layers: int) -> dict[str, Any]:
    """DeepSeek V4: the compression ratio of each layer (the config lists one more, for the MTP block, which the
    GGUF file leaves out), the grouped low-rank output, the hyper-connection width and the hash-routed layers."""
    if arch != "deepseek4":
        return {}
    ratios = cfg.get("compress_ratios")
    return {
        "compress_ratios": tuple(int(r) for r in ratios[:layers]) if isinstance(ratios, list) else (),
        "o_groups": _int(cfg.get("o_groups")) or 0,
        "o_lora_rank": _int(cfg.get("o_lora_rank")) or 0,
        "hc_mult": _int(cfg.get("hc_mult")) or 0,
        "hash_layers": _int(cfg.get("num_hash_layers")) or 0,
        "q_lora_rank": _int(cfg.get("q_lora_rank")) or None,
        "qk_rope_head_dim": _int(cfg.get("qk_rope_head_dim")) or None,
    }


def _ernie_fields(cfg: Mapping[str, Any], arch: str) -> dict[str, Any]:
    """ERNIE 4.5's MoE keys: experts after moe_layer_start_index dense layers, and the shared experts, whose width
    llama.cpp's converter takes as intermediate_size over the KV heads (two experts' widths on the 21B)."""
    if arch != "ernie4_5-moe":
        return {}
    shared = _int(cfg.get("moe_num_shared_experts")) or 0
    inter, kv_heads = _int(cfg.get("intermediate_size")) or 0, _int(cfg.get("num_key_value_heads")) or 0
    return {
        "experts": _int(cfg.get("moe_num_experts")) or 0,
        "experts_active": _int(cfg.get("moe_k")) or 0,
        "expert_intermediate": _int(cfg.get("moe_intermediate_size")) or 0,
        "shared_experts": shared,
        "shared_expert_intermediate": inter // kv_heads if shared and kv_heads else 0,
        "dense_layers": _int(cfg.get("moe_layer_start_index")) or 0,
    }


def _deci_ffn_width(mult: float, hidden: int) -> int:
    """llama.cpp's converter for NAS blocks: two thirds of ffn_mult x hidden, rounded up to a multiple of 256."""
    width = int(2 * mult * hidden / 3)
    return width if width % 256 == 0 else width + 256 - width % 256


def _deci_fields(cfg: Mapping[str, Any], arch: str, layers: int, heads: int, hidden: int) -> dict[str, Any]:
    """Llama-Nemotron's block_configs, one per layer: attention with n_heads_in_group (KV heads = heads / that),
    replaced by a linear map (0) or absent (-1); the FFN ffn_mult wide, or absent (ffn_mult null)."""
    blocks = cfg.get("block_configs")
    if arch != "deci" or not isinstance(blocks, list) or len(blocks) != layers:
        return {}
    kv: list[int] = []
    ffn: list[int] = []
    for b in blocks:
        attn = b.get("attention") if isinstance(b, Mapping) else None
        mlp = b.get("ffn") if isinstance(b, Mapping) else None
        if not isinstance(attn, Mapping) or not isinstance(mlp, Mapping):
            return {}
        group = _int(attn.get("n_heads_in_group"))
        kv.append(heads // group if group else (0 if attn.get("replace_with_linear") is True else -1))
        mult = mlp.get("ffn_mult")
        ffn.append(_deci_ffn_width(float(mult), hidden) if isinstance(mult, (int, float)) else 0)
    return {
        "layer_kv_heads_list": tuple(kv),
        "layer_ffn_widths": tuple(ffn),
        "kv_heads": max(kv) if max(kv) > 0 else 1,
        "intermediate": max(ffn),
    }


def _lightning_fields(cfg: Mapping[str, Any], arch: str, layers: int, heads: int) -> dict[str, Any]:
    """MiniMax-Text-01 and M1: attn_type_list marks the softmax-attention layers (1) among the lightning ones (0),
    whose state is one head_dim x head_dim matrix per head."""
    if arch != "minimax-01":
        return {}
    head = _int(cfg.get("head_dim")) or 128
    kinds = cfg.get("attn_type_list")
    if isinstance(kinds, list) and len(kinds) == layers:
        full = tuple(i for i, k in enumerate(kinds) if k == 1)
    else:
        full = tuple(i for i in range(layers) if (i + 1) % 8 == 0)  # llama.cpp's default interval
    return {"ssm_d_state": head, "ssm_d_inner": heads * head, "ssm_d_conv": 0, "attention_layers": full}


def _kda_fields(cfg: Mapping[str, Any], arch: str, layers: int) -> dict[str, Any]:
    """Kimi K3's and Kimi Linear's linear_attn_config: the Kimi delta attention heads and their width, the
    convolution, and the MLA layers (full_attn_layers, counted from 1); K3's routed experts' latent width."""
    lin = cfg.get("linear_attn_config")
    if arch not in ("kimi-k3", "kimi-linear") or not isinstance(lin, Mapping):
        return {}
    head = _int(lin.get("head_dim")) or 0
    full = lin.get("full_attn_layers")
    return {
        "ssm_d_state": head,
        "ssm_d_inner": head * (_int(lin.get("num_heads")) or 0),
        "ssm_d_conv": _int(lin.get("short_conv_kernel_size")) or 0,
        "attention_layers": tuple(int(x) - 1 for x in full if 0 < int(x) <= layers) if isinstance(full, list) else None,
        "moe_latent_size": _int(cfg.get("routed_expert_hidden_size")) or 0,
    }


def _step35_fields(cfg: Mapping[str, Any], arch: str) -> dict[str, Any]:
    """Step 3.5's own key names: KV heads as attention groups, the window layers' heads apart, its experts, the MoE
    layers as a list (the ones before the first are dense), and layer kinds with the full layer first in a group."""
    if arch != "step35":
        return {}
    other = cfg.get("attention_other_setting")
    moe = [int(x) for x in str(cfg.get("moe_layers_enum") or "").split(",") if x.strip().isdigit()]
    kinds = cfg.get("layer_types")
    full = [i for i, k in enumerate(kinds) if k == "full_attention"] if isinstance(kinds, list) else []
    out: dict[str, Any] = {
        "kv_heads": _int(cfg.get("num_attention_groups")) or 1,
        "swa_heads": (_int(other.get("num_attention_heads")) or 0) if isinstance(other, Mapping) else 0,
        "experts": _int(cfg.get("moe_num_experts")) or 0,
        "experts_active": _int(cfg.get("moe_top_k")) or 0,
        "expert_intermediate": _int(cfg.get("moe_intermediate_size")) or 0,
        "shared_experts": 1 if _int(cfg.get("share_expert_dim")) else 0,
        "dense_layers": min(moe) if moe else 0,
    }
    if len(full) > 1:
        out |= {"swa_pattern": full[1] - full[0], "swa_full_first": full[0] == 0}
    return out


def _arch_of(cfg: Mapping[str, Any], model_type: str) -> str:
    archs = cfg.get("architectures")
    if isinstance(archs, list) and "Grok1ForCausalLM" in archs:
        return "grok"  # Grok 2's config.json says model_type "git"
    arch = MODEL_TYPES.get(model_type, model_type or "llama")
    if arch == "nemotron_h" and (_first_int(cfg, "n_routed_experts") or 0) > 1:
        return "nemotron_h_moe"  # llama.cpp's name for the Nemotron-H models with MoE layers (Nemotron 3)
    return arch


def _context(cfg: Mapping[str, Any], arch: str, repo: str) -> int:
    context = _need(
        cfg,
        repo,
        "max_position_embeddings",
        "n_positions",
        "seq_length",
        "max_sequence_length",
        "n_ctx",
        "model_max_length",
    )
    rope = cfg.get("rope_scaling") or cfg.get("rope_parameters")
    if arch in _HUNYUAN and isinstance(rope, Mapping) and "dynamic" in (rope.get("type"), rope.get("rope_type")):
        return _HUNYUAN_CONTEXT
    return context


def config_to_spec(repo: str, config: dict[str, Any]) -> ModelSpec:
    """A transformers config.json as a ModelSpec (id = the repo id, params derived from the shapes).

    Raises WillItRunError naming the first required key that is missing.
    """
    if not isinstance(config, Mapping):
        raise WillItRunError(f"config.json of {repo} is not a JSON object")
    cfg, model_type = _merged_config(config)
    arch = _arch_of(cfg, model_type)
    layers = _need(cfg, repo, "num_hidden_layers", "n_layer", "num_layers", "n_layers")
    hidden = _need(cfg, repo, "hidden_size", "n_embd", "d_model", "dim")
    heads = _need(cfg, repo, "num_attention_heads", "n_head", "n_heads")
    vocab = _need(cfg, repo, "vocab_size", "padded_vocab_size")
    context = _context(cfg, arch, repo)
    window, pattern = _swa(cfg, arch, layers)
    tied_v = cfg.get("tie_word_embeddings", cfg.get("tie_embedding"))
    attention: dict[str, Any] = {
        "heads": heads,
        "kv_heads": _first_int(cfg, "num_key_value_heads", "num_kv_heads", "multi_query_group_num", "n_kv_heads")
        or (1 if cfg.get("multi_query") is True else heads),  # GPTBigCode: one KV head under multi_query
        "head_dim": _first_int(cfg, "head_dim", "attention_head_dim") or (hidden // heads if heads else 0),
        "sliding_window": window,
        "swa_pattern": pattern,
        "attn_bias": arch in ATTN_BIAS or cfg.get("attention_bias") is True or cfg.get("qkv_bias") is True,
        "qk_norm": arch in QK_NORM or cfg.get("use_qk_norm") is True,
    }
    spec = ModelSpec(
        id=repo,
        name=repo.rsplit("/", 1)[-1],
        arch=arch,
        params=0,
        layers=layers,
        hidden=hidden,
        vocab=vocab,
        context_max=context,
        source=f"{HUB_URL}/{repo}",
        family=model_type,
        tied_embeddings=bool(tied_v) if isinstance(tied_v, bool) else arch in _TIED,
        hf_repo=repo,
        **(attention | _mla_fields(cfg, heads)),
        **_moe_fields(cfg, hidden),
        **_recurrent_fields(cfg, arch, hidden, layers),
        **_gemma3n_fields(cfg, arch, layers),
        **_arch_fields(cfg, arch, layers),
        **_deepseek4_fields(cfg, arch, layers),
    )
    if kda := _kda_fields(cfg, arch, layers):
        spec = replace(spec, **kda)
    if step := _step35_fields(cfg, arch):
        spec = replace(spec, **step)
    if ernie := _ernie_fields(cfg, arch):
        spec = replace(spec, **ernie)
    if layout := _window_layout(cfg, window, layers):
        spec = replace(spec, **layout)
    if lightning := _lightning_fields(cfg, arch, layers, heads):
        spec = replace(spec, **lightning)
    if deci := _deci_fields(cfg, arch, layers, heads, hidden):
        spec = replace(spec, **deci)
    if arch == "hy_v4":  # Hy4's hyper-connection streams (DeepSeek V4's come with its own fields)
        spec = replace(spec, hc_mult=_int(cfg.get("hc_mult")) or 0)
    # active parameters as model cards count them: the routed experts used per token, plus the embeddings
    active = active_parameter_count(spec) + hidden * vocab if spec.is_moe else None
    return replace(spec, params=parameter_count(spec), active_params=active)


# ---------------------------------------------------------------------------------------------------------------
# the Hub, and willitrun's cache of it


class _Unreachable(Exception):
    """The Hub could not answer (network, timeout, offline, server error): the cache may stand in."""


def _truthy(v: str | None) -> bool:
    return (v or "").strip().upper() in ("1", "ON", "YES", "TRUE")


def _endpoint() -> str:
    env = os.environ.get("HF_ENDPOINT", "").strip()
    if env:
        return env.rstrip("/")
    try:
        from huggingface_hub import constants

        return str(constants.ENDPOINT).rstrip("/")
    except ImportError:
        return _DEFAULT_ENDPOINT


def _cache_file(repo: str) -> Path | None:
    base = cache_dir()
    if base is None:
        return None
    return base / "hf" / (repo.replace("/", "__") + ".json")


def _read_cache(repo: str) -> dict[str, Any] | None:
    path = _cache_file(repo)
    if path is None:
        return None
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("repo") != repo or not isinstance(record.get("files"), list):
        return None
    return record


def _write_cache(repo: str, record: dict[str, Any]) -> None:
    path = _cache_file(repo)
    if path is None:
        return
    from willitrun.paths import write_atomic

    # a cache that cannot be written only costs the offline fallback
    write_atomic(path, json.dumps(record, indent=1, sort_keys=True).encode("utf-8"))


def _scrub(text: str, token: str | None) -> str:
    for secret in (token, os.environ.get("HF_TOKEN"), os.environ.get("HUGGING_FACE_HUB_TOKEN")):
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return text


def _is_network_error(e: BaseException) -> bool:
    names = {c.__name__ for c in type(e).__mro__}
    return isinstance(e, (ConnectionError, TimeoutError)) or bool(
        names & {"TransportError", "NetworkError", "TimeoutException", "ConnectError", "ProxyError"}
    )


def _is_timeout(e: BaseException) -> bool:
    return isinstance(e, TimeoutError) or any("Timeout" in c.__name__ for c in type(e).__mro__)


def _translate(e: Exception, repo: str, endpoint: str, timeout: float) -> Exception:
    """A huggingface_hub / network exception as a WillItRunError, or _Unreachable when the cache may answer."""
    from huggingface_hub.errors import (
        GatedRepoError,
        HfHubHTTPError,
        OfflineModeIsEnabled,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    if isinstance(e, GatedRepoError):
        return WillItRunError(
            f"Hugging Face repo {repo} is gated: accept its licence on {endpoint}/{repo} with your account",
            "then run `hf auth login` or set HF_TOKEN to a token of that account",
        )
    if isinstance(e, RepositoryNotFoundError):
        return WillItRunError(
            f"unknown Hugging Face repo {repo!r}",
            "check the owner/name; a private repo needs `hf auth login` or HF_TOKEN",
        )
    if isinstance(e, RevisionNotFoundError):
        return WillItRunError(f"Hugging Face repo {repo} has no 'main' revision")
    if isinstance(e, OfflineModeIsEnabled):
        return _Unreachable("offline mode is on (HF_HUB_OFFLINE)")
    if isinstance(e, HfHubHTTPError):
        status = e.response.status_code if e.response is not None else 0
        if status >= 500 or status == 429:
            return _Unreachable(f"the Hub answered HTTP {status}")
        return WillItRunError(f"the Hub refused the request for {repo}: HTTP {status}")
    if _is_network_error(e):
        if _is_timeout(e):
            return _Unreachable(f"no answer from {endpoint} within {timeout:g} s")
        return _Unreachable(f"cannot connect to {endpoint}")
    if isinstance(e, (ValueError, TypeError, KeyError, AttributeError)):
        return WillItRunError(f"the Hub sent a malformed answer for {repo} (not the JSON it should be)")
    return WillItRunError(f"looking up {repo} on the Hub failed ({type(e).__name__})")


def _file_size(sibling: Any) -> int:
    size = getattr(sibling, "size", None)
    if isinstance(size, int):
        return size
    lfs = getattr(sibling, "lfs", None)
    lfs_size = getattr(lfs, "size", None)
    return lfs_size if isinstance(lfs_size, int) else 0


def _gguf_files(files: list[tuple[str, int]]) -> tuple[tuple[str, int], ...]:
    """*.gguf files with sizes; the parts of a split set summed under the first part's name."""
    out: dict[str, int] = {}
    for name, size in sorted(files):
        if not name.lower().endswith(".gguf"):
            continue
        m = _SPLIT_GGUF.match(name)
        key = f"{m['prefix']}-00001-of-{m['count']}.gguf" if m else name
        out[key] = out.get(key, 0) + size
    return tuple(out.items())


def _fetch_record(repo: str, token: str | None, timeout: float) -> dict[str, Any]:
    from huggingface_hub import HfApi, get_session, hf_hub_url, hf_raise_for_status

    hf_utils: Any = importlib.import_module("huggingface_hub.utils")  # build_hf_headers: public, lazily exported

    endpoint = _endpoint()
    api = HfApi(endpoint=endpoint, token=token)
    try:
        info = api.model_info(repo, revision="main", files_metadata=True, timeout=timeout)
        revision = info.sha if isinstance(info.sha, str) else None
        files = [(s.rfilename, _file_size(s)) for s in (info.siblings or [])]
        names = {n for n, _ in files}
        config: dict[str, Any] | None = None
        if "config.json" in names:
            url = hf_hub_url(repo, "config.json", revision=revision or "main", endpoint=endpoint)
            response = get_session().get(url, headers=hf_utils.build_hf_headers(token=token), timeout=timeout)
            hf_raise_for_status(response)
            try:
                loaded = json.loads(response.content)
            except ValueError as e:
                raise WillItRunError(f"config.json of {repo} is not valid JSON") from e
            if not isinstance(loaded, dict):
                raise WillItRunError(f"config.json of {repo} is not a JSON object")
            config = loaded
        params: dict[str, int] = {}
        st = info.safetensors
        if st is not None and isinstance(st.parameters, dict):
            params = {str(k): int(v) for k, v in st.parameters.items()}
    except WillItRunError:
        raise
    except Exception as e:
        raise _translate(e, repo, endpoint, timeout) from e
    if not params and any(n.endswith(".safetensors") for n in names):
        params = _safetensors_counts(api, repo, revision, timeout)
    return {
        "version": _CACHE_VERSION,
        "repo": repo,
        "revision": revision,
        "config": config,
        "files": [[n, s] for n, s in files],
        "params_by_dtype": params,
        "fetched_at": int(time.time()),
    }


def _safetensors_counts(api: Any, repo: str, revision: str | None, timeout: float) -> dict[str, int]:
    """Parameters per dtype read from the safetensors headers (when model_info carries no summary)."""
    try:
        meta = api.get_safetensors_metadata(repo, revision=revision, timeout=timeout)
        counts: dict[str, int] = {}
        for file_meta in meta.files_metadata.values():
            for dtype, n in file_meta.parameter_count.items():
                counts[str(dtype)] = counts.get(str(dtype), 0) + int(n)
        return counts
    except Exception:
        return {}  # the counts are optional: the spec's own count stands in


def _from_record(repo: str, record: Mapping[str, Any], from_cache: bool) -> HubModel:
    files: list[tuple[str, int]] = []
    for item in record.get("files") or []:
        if isinstance(item, (list, tuple)) and len(item) == 2 and isinstance(item[0], str):
            files.append((item[0], int(item[1]) if isinstance(item[1], int) else 0))
    raw_params = record.get("params_by_dtype")
    params = (
        {str(k): int(v) for k, v in raw_params.items() if isinstance(v, int)} if isinstance(raw_params, dict) else {}
    )
    config = record.get("config")
    spec: ModelSpec | None = None
    if isinstance(config, dict):
        try:
            spec = config_to_spec(repo, config)
        except WillItRunError:
            spec = None  # not a model whose shapes we know (a diffusion or audio repo): no spec
        if spec is not None and params:
            spec = replace(spec, params=sum(params.values()))
    revision = record.get("revision")
    return HubModel(
        repo=repo,
        spec=spec,
        params_by_dtype=params,
        gguf_files=_gguf_files(files),
        revision=revision if isinstance(revision, str) else None,
        from_cache=from_cache,
    )


def fetch_model(
    repo: str, *, token: str | None = None, offline: bool | None = None, timeout: float = DEFAULT_TIMEOUT_S
) -> HubModel:
    """What the Hub says about `repo` (config.json spec, safetensors counts, GGUF files), cached for offline use.

    `offline=None` follows HF_HUB_OFFLINE. A Hub that cannot be reached falls back to the cache. Raises
    WillItRunError for gated, unknown or malformed repos, and for an unreachable Hub with nothing cached.
    """
    repo = repo.strip().strip("/")
    if repo.startswith(("https://", "http://")):
        repo = re.sub(r"^https?://[^/]+/", "", repo).strip("/")
    if not _REPO_ID.match(repo) or ".." in repo:
        raise BadValueError(f"not a Hugging Face repo id: {repo!r}", "expected owner/name, e.g. Qwen/Qwen3-8B")
    if offline is None:
        offline = _truthy(os.environ.get("HF_HUB_OFFLINE")) or _truthy(os.environ.get("TRANSFORMERS_OFFLINE"))
    if offline:
        cached = _read_cache(repo)
        if cached is None:
            raise WillItRunError(
                f"Hugging Face repo {repo} is not in the local cache and the Hub cannot be reached",
                "offline mode is on; run once with a network connection",
            )
        return _from_record(repo, cached, from_cache=True)
    if importlib.util.find_spec("huggingface_hub") is None:
        raise WillItRunError(
            "looking up Hugging Face repos needs the 'huggingface_hub' package", "pip install 'willitrun[hf]'"
        )
    try:
        record = _fetch_record(repo, token, timeout)
    except _Unreachable as e:
        cached = _read_cache(repo)
        if cached is None:
            reason = _scrub(str(e), token)
            raise WillItRunError(
                f"Hugging Face repo {repo} is not in the local cache and the Hub cannot be reached ({reason})"
            ) from None
        return _from_record(repo, cached, from_cache=True)
    except WillItRunError as e:
        raise WillItRunError(_scrub(e.message, token), _scrub(e.hint, token) if e.hint else None) from None
    _write_cache(repo, record)
    return _from_record(repo, record, from_cache=False)


__all__ = ["DEFAULT_TIMEOUT_S", "MODEL_TYPES", "HubModel", "config_to_spec", "fetch_model"]
