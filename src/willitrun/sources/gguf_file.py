"""Read a local GGUF file (or a llama.cpp split set): the architecture from its metadata, exact bytes per tensor.

The metadata → ModelSpec mapping (`spec_from_gguf_metadata`) needs no package and is shared with Ollama, whose
/api/show answers with the same GGUF keys. Reading files needs the optional `gguf` package (imported lazily).
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from willitrun.errors import WillItRunError
from willitrun.estimate.quants import FLOAT_TYPES, TensorShape, normalize_mix
from willitrun.estimate.tensors import WeightsBreakdown, active_parameter_count, group_bytes, parameter_count
from willitrun.estimate.types import ModelSpec, Record
from willitrun.sources.archs import (
    ATTN_BIAS,
    GEMMA3N_ALTUP_INPUTS,
    GEMMA3N_LAUREL_RANK,
    QK_NORM,
    SWA_PATTERNS,
    TIED_BY_DEFAULT,
)

# llama.cpp's LLAMA_FTYPE enum (general.file_type) -> our mix names.
FILE_TYPES: dict[int, str] = {
    0: "F32",
    1: "F16",
    2: "Q4_0",
    3: "Q4_1",
    7: "Q8_0",
    8: "Q5_0",
    9: "Q5_1",
    10: "Q2_K",
    11: "Q3_K_S",
    12: "Q3_K_M",
    13: "Q3_K_L",
    14: "Q4_K_S",
    15: "Q4_K_M",
    16: "Q5_K_S",
    17: "Q5_K_M",
    18: "Q6_K",
    19: "IQ2_XXS",
    20: "IQ2_XS",
    21: "Q2_K_S",
    22: "IQ3_XS",
    23: "IQ3_XXS",
    24: "IQ1_S",
    25: "IQ4_NL",
    26: "IQ3_S",
    27: "IQ3_M",
    28: "IQ2_S",
    29: "IQ2_M",
    30: "IQ4_XS",
    31: "IQ1_M",
    32: "BF16",
    36: "TQ1_0",
    37: "TQ2_0",
    38: "MXFP4",
}

_SUPPORTED_VERSIONS = (2, 3)
_SPLIT_NAME = re.compile(r"^(?P<prefix>.+)-(?P<no>\d{5})-of-(?P<count>\d{5})\.gguf$", re.IGNORECASE)
_BLOCK = re.compile(r"^blk\.(\d+)\.")


@dataclass(frozen=True, eq=False, repr=False)
class GgufModel(Record):
    """A GGUF model read from disk: its architecture, the exact bytes of its tensors, and its files."""

    spec: ModelSpec
    weights: WeightsBreakdown
    quant: str
    files: tuple[str, ...]
    file_bytes: int


# ---------------------------------------------------------------------------------------------------------------
# metadata -> ModelSpec (no gguf package needed)


def _scalar_int(v: Any) -> int | None:
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, int):
        return v
    if isinstance(v, float):
        return int(v)
    if isinstance(v, str) and v.strip().isdigit():
        return int(v.strip())
    return None


def _int_list(meta: Mapping[str, Any], key: str) -> list[int] | None:
    v = meta.get(key)
    if isinstance(v, (list, tuple)):
        out = [x for x in (_scalar_int(i) for i in v) if x is not None]
        return out or None
    return None


def _max_int(meta: Mapping[str, Any], key: str) -> int | None:
    """A count that may be given per layer (an array): the largest value."""
    v = meta.get(key)
    if isinstance(v, (list, tuple)):
        values = _int_list(meta, key)
        return max(values) if values else None
    return _scalar_int(v)


# No released model comes near this many repeating blocks; a larger count is a corrupt header.
_MAX_BLOCKS = 4096


def _required(meta: Mapping[str, Any], key: str, source: str) -> int:
    v = _max_int(meta, key)
    if v is None:
        raise WillItRunError(f"{source}: metadata key {key!r} is missing")
    return v


def _swa_pattern(arch: str, raw: Any) -> int | None:
    if isinstance(raw, (list, tuple)) and raw:
        # per layer: true = the layer uses the window; the period is the first full-attention layer
        for i, swa in enumerate(raw):
            if not swa:
                return i + 1
        return None
    n = _scalar_int(raw)
    if n is not None and n > 0:
        return n
    return SWA_PATTERNS.get(arch)


def _pick_tied(spec: ModelSpec, stated_params: int | None) -> bool:
    """Without a tensor list: the variant whose derived parameter count is closer to the stated one."""
    if spec.arch in TIED_BY_DEFAULT:
        return True
    if stated_params is None or stated_params <= 0:
        return False
    untied = parameter_count(replace(spec, tied_embeddings=False))
    tied = parameter_count(replace(spec, tied_embeddings=True))
    return abs(tied - stated_params) < abs(untied - stated_params)


class _Meta:
    """One architecture's keys in a GGUF header (`{arch}.block_count` ...), read as integers."""

    def __init__(self, meta: Mapping[str, Any], arch: str, source: str) -> None:
        self.meta, self.arch, self.source = meta, arch, source

    def key(self, k: str) -> str:
        return f"{self.arch}.{k}"

    def num(self, k: str) -> int | None:
        return _max_int(self.meta, self.key(k))

    def required(self, k: str) -> int:
        return _required(self.meta, self.key(k), self.source)


# LFM2 and its mixture-of-experts sibling: short-convolution layers whose state spans the full width
_SHORT_CONV_ARCHS = frozenset({"lfm2", "lfm2moe", "lfm3"})


def _recurrent_fields(g: _Meta, hidden: int) -> dict[str, Any]:
    inner = g.num("ssm.inner_size") or 0
    if g.arch in _SHORT_CONV_ARCHS and inner == 0:
        inner = hidden  # the short convolution runs over the full width
    return {
        "ssm_d_inner": inner,
        "ssm_d_state": g.num("ssm.state_size") or 0,
        "ssm_d_conv": g.num("ssm.conv_kernel") or g.num("shortconv.l_cache") or 0,
        "ssm_n_group": g.num("ssm.group_count") or 1,
        # Mamba-2's heads; Mamba-1 files (jamba, mamba) carry their dt rank under the same key
        "ssm_heads": (g.num("ssm.time_step_rank") or 0) if g.arch not in ("jamba", "mamba") else 0,
    }


def _lightning_fields(g: _Meta, spec: ModelSpec) -> dict[str, Any]:
    """MiniMax-Text-01/M1 files: the lightning-attention layers are listed in attention.recurrent_layers, or else
    every layer but each full_attention_interval-th (8 when the file is silent, as llama.cpp assumes); a lightning
    layer's state is one head_dim x head_dim matrix per head."""
    flags = _int_list(g.meta, g.key("attention.recurrent_layers"))
    if flags is not None and len(flags) >= spec.layers:
        full = tuple(i for i in range(spec.layers) if not flags[i])
    else:
        every = g.num("full_attention_interval") or 8
        full = tuple(i for i in range(spec.layers) if (i + 1) % every == 0)
    return {
        "attention_layers": full,
        "ssm_d_state": spec.head_dim,
        "ssm_d_inner": spec.heads * spec.head_dim,
        "ssm_d_conv": 0,
    }


def _deci_fields(g: _Meta, spec: ModelSpec) -> dict[str, Any]:
    """Llama-Nemotron's NAS-pruned layers (deci): per layer its query heads (0: no attention), KV heads (0 with
    query heads: one linear map in place of attention) and FFN width (0: none)."""
    n = spec.layers
    heads = _int_list(g.meta, g.key("attention.head_count")) or [spec.heads] * n
    kv = _int_list(g.meta, g.key("attention.head_count_kv")) or [spec.kv_heads] * n
    ffn = _int_list(g.meta, g.key("feed_forward_length")) or [spec.intermediate] * n
    if not len(heads) == len(kv) == len(ffn) == n:
        return {}
    return {
        "attention_layers": None,  # a pruned attention is not a recurrent layer
        "layer_kv_heads_list": tuple(-1 if h == 0 else k for h, k in zip(heads, kv, strict=True)),
        "layer_ffn_widths": tuple(ffn),
        "heads": max(heads),
        "kv_heads": max(kv) or spec.kv_heads,
    }


def _attention_fields(g: _Meta, layers: int, hidden: int, recurrent: bool) -> dict[str, Any]:
    """Heads, KV heads, head width, which layers have attention, and MLA's latent sizes."""
    heads = g.num("attention.head_count")
    if heads is None:
        if not recurrent:
            raise WillItRunError(f"{g.source}: metadata key {g.key('attention.head_count')!r} is missing")
        heads = 0
    kv_list = _int_list(g.meta, g.key("attention.head_count_kv"))
    kv_heads = g.num("attention.head_count_kv")
    attention_layers: tuple[int, ...] | None = None
    if kv_list is not None and len(kv_list) == layers and any(v == 0 for v in kv_list):
        attention_layers = tuple(i for i, v in enumerate(kv_list) if v > 0)  # 0 KV heads: a recurrent layer
    elif recurrent and heads == 0:
        attention_layers = ()  # a pure state-space model (Mamba)
    key_length = g.num("attention.key_length")
    value_length = g.num("attention.value_length")
    out: dict[str, Any] = {
        "heads": heads,
        "kv_heads": heads if kv_heads is None else kv_heads,
        "head_dim": key_length or (hidden // heads if heads else 0),
        "attention_layers": attention_layers,
    }
    kv_lora = g.num("attention.kv_lora_rank") or None
    if kv_lora:
        # MLA: key/value_length_mla are the per-head sizes (newer files store the absorbed 576/512 as key/value)
        rope = g.num("rope.dimension_count") or 64
        k_mla = g.num("attention.key_length_mla") or key_length or (rope + 128)
        out |= {
            "kv_lora_rank": kv_lora,
            "q_lora_rank": g.num("attention.q_lora_rank") or None,
            "qk_rope_head_dim": rope,
            "qk_nope_head_dim": k_mla - rope,
            "v_head_dim": g.num("attention.value_length_mla") or value_length or (k_mla - rope),
            "head_dim": k_mla,
            "kv_heads": heads,
        }
    sliding = g.num("attention.sliding_window") or None
    if sliding:
        out["sliding_window"] = sliding
        raw = g.meta.get(g.key("attention.sliding_window_pattern"))
        if attention_layers and isinstance(raw, (list, tuple)) and len(raw) == layers:
            # a hybrid's flags run over every layer, its recurrent ones too (false there): the windowless attention
            # layers are the full ones, at no fixed period (LFM3: 2, 6, 10, ... among windowed 4, 8, 12, ...)
            out["swa_pattern"] = None
            out["full_layers"] = tuple(i for i in attention_layers if not raw[i])
        else:
            out["swa_pattern"] = _swa_pattern(g.arch, raw)
    return out


def _ffn_fields(g: _Meta) -> dict[str, Any]:
    experts = g.num("expert_count") or 0
    ffn = g.num("feed_forward_length")
    expert_ffn = g.num("expert_feed_forward_length") or 0
    if experts > 1 and not expert_ffn:
        expert_ffn = ffn or 0  # Mixtral-style files: the expert width is the FFN width
    return {
        "intermediate": ffn if ffn is not None else expert_ffn,
        "experts": experts,
        "experts_active": g.num("expert_used_count") or 0,
        "expert_intermediate": expert_ffn if experts > 1 else 0,
        "shared_experts": g.num("expert_shared_count") or 0,
        "dense_layers": g.num("leading_dense_block_count") or 0,
        "moe_layer_step": g.num("interleave_moe_layer_step") or 1,
    }


def _gemma3n_fields(g: _Meta, layers: int) -> dict[str, Any]:
    per_layer = (g.num("embedding_length_per_layer_input") or 0) if g.arch == "gemma3n" else 0
    return {
        "per_layer_input": per_layer,
        "altup_inputs": (g.num("altup.num_inputs") or GEMMA3N_ALTUP_INPUTS) if per_layer else 0,
        "laurel_rank": GEMMA3N_LAUREL_RANK if per_layer else 0,
        "kv_shared_layers": min(layers - 1, g.num("attention.shared_kv_layers") or 0),
    }


def _vocab_size(g: _Meta, vocab: int | None) -> int:
    if vocab is not None:
        return vocab
    tokens = g.meta.get("tokenizer.ggml.tokens")
    if isinstance(tokens, (list, tuple)) and tokens:
        return len(tokens)
    size = g.num("vocab_size")
    if size is None:
        raise WillItRunError(f"{g.source}: metadata key 'tokenizer.ggml.tokens' is missing (no vocabulary size)")
    return size


def spec_from_gguf_metadata(
    meta: Mapping[str, Any],
    *,
    id: str,
    name: str,
    source: str,
    tensor_elements: int | None,
    vocab: int | None = None,
    tensor_names: Collection[str] | None = None,
) -> ModelSpec:
    """GGUF metadata (`general.architecture`, `{arch}.block_count`, ...) to a ModelSpec.

    `tensor_elements` (the sum over the file's tensors) becomes `params`; without it, `general.parameter_count`,
    else the count derived from the shapes. `vocab` overrides the tokenizer's size (e.g. the token_embd rows);
    `tensor_names`, when known, decide tied embeddings, q/k norms and attention biases exactly.
    Raises WillItRunError naming a missing required key.
    """
    arch = meta.get("general.architecture")
    if not isinstance(arch, str) or not arch:
        raise WillItRunError(f"{source}: metadata key 'general.architecture' is missing")
    g = _Meta(meta, arch, source)
    layers = g.required("block_count")
    if not 0 < layers <= _MAX_BLOCKS:
        raise WillItRunError(f"{source}: {g.key('block_count')} = {layers} is not a plausible layer count")
    hidden = g.required("embedding_length")
    recurrent = _recurrent_fields(g, hidden)
    is_recurrent = recurrent["ssm_d_inner"] > 0 or arch in _SHORT_CONV_ARCHS
    names = set(tensor_names) if tensor_names is not None else None
    general_name = meta.get("general.name")
    spec = ModelSpec(
        id=id,
        name=name or (general_name if isinstance(general_name, str) else "") or id,
        arch=arch,
        params=0,
        layers=layers,
        hidden=hidden,
        vocab=_vocab_size(g, vocab),
        context_max=g.required("context_length"),
        source=source,
        family=arch,
        tied_embeddings=False,
        attn_bias=any(n.endswith("attn_q.bias") for n in names) if names is not None else arch in ATTN_BIAS,
        qk_norm=any(n.endswith("attn_q_norm.weight") for n in names) if names is not None else arch in QK_NORM,
        **_attention_fields(g, layers, hidden, is_recurrent),
        **_ffn_fields(g),
        **recurrent,
        **_gemma3n_fields(g, layers),
    )
    if arch == "minimax-01":
        spec = replace(spec, **_lightning_fields(g, spec))
    if arch == "deci":
        spec = replace(spec, **_deci_fields(g, spec))
    stated = _scalar_int(meta.get("general.parameter_count"))
    tied = "output.weight" not in names if names is not None else _pick_tied(spec, tensor_elements or stated)
    spec = replace(spec, tied_embeddings=tied)
    params = tensor_elements or stated or parameter_count(spec)
    # active parameters as model cards count them: the routed experts used per token, plus the embeddings
    active = active_parameter_count(spec) + spec.hidden * spec.vocab if spec.is_moe else None
    return replace(spec, params=params, active_params=active)


# ---------------------------------------------------------------------------------------------------------------
# reading files (gguf package)


def _reader_class() -> Any:
    try:
        module = importlib.import_module("gguf")
    except ImportError as e:
        raise WillItRunError("reading GGUF files needs the 'gguf' package", "pip install 'willitrun[gguf]'") from e
    return module.GGUFReader


def _one_line(e: BaseException) -> str:
    text = " ".join(str(e).split()) or type(e).__name__
    return text[:200]


def _check_file(path: Path) -> int:
    """The file's size, after checking it exists, is a file, and starts like a GGUF file of a version we read."""
    try:
        if not path.exists():
            raise WillItRunError(f"{path}: no such file")
        if path.is_dir():
            raise WillItRunError(f"{path}: is a folder, not a GGUF file")
        size = path.stat().st_size
        with path.open("rb") as f:
            head = f.read(24)
    except OSError as e:
        raise WillItRunError(f"{path}: cannot read the file ({e.strerror or _one_line(e)})") from e
    if len(head) < 4 or head[:4] != b"GGUF":
        raise WillItRunError(f"{path}: not a GGUF file (no GGUF magic)")
    if len(head) < 8:
        raise WillItRunError(f"{path}: truncated GGUF file (the header is cut short)")
    version = int.from_bytes(head[4:8], "little")
    if version & 0xFFFF == 0:  # written on a big-endian machine
        version = int.from_bytes(head[4:8], "big")
    if version not in _SUPPORTED_VERSIONS:
        raise WillItRunError(f"{path}: unsupported GGUF version {version} (versions 2 and 3 can be read)")
    if len(head) < 24:
        raise WillItRunError(f"{path}: truncated GGUF file (the header is cut short)")
    big = int.from_bytes(head[4:8], "little") != version
    n_tensors = int.from_bytes(head[8:16], "big" if big else "little")
    n_kv = int.from_bytes(head[16:24], "big" if big else "little")
    # a tensor entry takes at least 24 bytes and a key/value pair 13: larger counts are noise, not a header
    if n_tensors > size // 24 or n_kv > size // 13:
        raise WillItRunError(f"{path}: corrupt GGUF file (impossible tensor or key counts in the header)")
    return size


def _open(path: Path) -> tuple[Any, int]:
    """A GGUFReader over a checked file, and the file's size; reader failures become one-line errors."""
    reader_class = _reader_class()
    size = _check_file(path)
    try:
        reader = reader_class(str(path), "r")
        tensors = list(reader.tensors)
    except WillItRunError:
        raise
    except Exception as e:  # the reader raises ValueError, KeyError, IndexError, OSError... on bad bytes
        raise WillItRunError(f"{path}: corrupt or truncated GGUF file ({_one_line(e)})") from e
    for t in tensors:
        if int(t.data_offset) + int(t.n_bytes) > size:
            raise WillItRunError(f"{path}: truncated GGUF file (tensor {t.name} ends beyond the end of the file)")
    return reader, size


def _field_value(field: Any) -> Any:
    """A metadata field as a Python value: int/float/bool/str, or a list of them for arrays."""
    types = list(field.types)
    if not types:
        return None
    main = int(types[0])
    string, array = 8, 9  # GGUFValueType.STRING, GGUFValueType.ARRAY
    if main == string:
        return bytes(field.parts[field.data[0]]).decode("utf-8", errors="replace")
    if main == array:
        sub = int(types[-1]) if len(types) > 1 else None
        if sub == string:
            return [bytes(field.parts[i]).decode("utf-8", errors="replace") for i in field.data]
        return [field.parts[i].tolist()[0] for i in field.data]
    return field.parts[field.data[0]].tolist()[0]


def _metadata(reader: Any, path: Path) -> tuple[dict[str, Any], int | None]:
    """Every key except the big tokenizer arrays (their length is the vocabulary: returned separately)."""
    meta: dict[str, Any] = {}
    n_tokens: int | None = None
    try:
        for k, field in reader.fields.items():
            if k.startswith("GGUF."):
                continue
            if k.startswith("tokenizer.") and len(field.types) > 1:
                if k == "tokenizer.ggml.tokens":
                    n_tokens = len(field.data)
                continue
            meta[k] = _field_value(field)
    except Exception as e:
        raise WillItRunError(f"{path}: corrupt GGUF metadata ({_one_line(e)})") from e
    return meta, n_tokens


def _split_parts(path: Path) -> list[Path]:
    """All parts of a llama.cpp split set (name-00001-of-00003.gguf ...), or just the file."""
    m = _SPLIT_NAME.match(path.name)
    if m is None:
        return [path]
    count = int(m["count"])
    if count < 1:
        return [path]
    parts = [path.with_name(f"{m['prefix']}-{i:05d}-of-{count:05d}.gguf") for i in range(1, count + 1)]
    for i, p in enumerate(parts, start=1):
        if not p.is_file():
            raise WillItRunError(f"{path}: split part {i} of {count} is missing: {p.name} must sit beside it")
    return parts


def _quant_name(meta: Mapping[str, Any], type_bytes: dict[str, int]) -> str:
    ftype = _scalar_int(meta.get("general.file_type"))
    if ftype is not None and ftype in FILE_TYPES:
        return FILE_TYPES[ftype]
    quantized = {t: b for t, b in type_bytes.items() if t not in FLOAT_TYPES}
    pool = quantized or type_bytes
    if not pool:
        return "F16"
    dominant = max(pool, key=lambda t: pool[t])
    return normalize_mix(dominant) or dominant


def _stem(path: Path) -> str:
    m = _SPLIT_NAME.match(path.name)
    return m["prefix"] if m else path.stem


_Sized = tuple[str, tuple[int, ...], str, int]  # tensor name, shape, GGML type, bytes


def _elements(ne: tuple[int, ...]) -> int:
    n = 1
    for d in ne:
        n *= d
    return n


def _open_split_set(first: Path) -> tuple[list[tuple[Path, Any, int]], dict[str, Any], int | None]:
    """Every part of a (possibly split) file opened, with the first part's metadata and token count."""
    parts = _split_parts(first)
    readers: list[tuple[Path, Any, int]] = []
    for p in parts:
        reader, size = _open(p)
        readers.append((p, reader, size))
    head_path, head_reader, _ = readers[0]
    meta, n_tokens = _metadata(head_reader, head_path)
    split_count = _scalar_int(meta.get("split.count")) or 1
    if split_count != len(parts):
        if len(parts) == 1:
            raise WillItRunError(
                f"{first}: part of a {split_count}-file split set, but not named like llama.cpp's split files "
                "(name-00001-of-0000N.gguf)"
            )
        raise WillItRunError(f"{first}: the file names say {len(parts)} parts but split.count is {split_count}")
    return readers, meta, n_tokens


def _tensor_list(first: Path, readers: list[tuple[Path, Any, int]], meta: Mapping[str, Any]) -> list[_Sized]:
    """Every tensor of the set once, as (name, shape, type, bytes)."""
    sized: list[_Sized] = []
    seen: set[str] = set()
    try:
        for p, reader, _ in readers:
            for t in reader.tensors:
                name = str(t.name)
                if name in seen:
                    raise WillItRunError(f"{p}: tensor {name} appears twice in the split set")
                seen.add(name)
                sized.append((name, tuple(int(d) for d in t.shape), str(t.tensor_type.name), int(t.n_bytes)))
    except WillItRunError:
        raise
    except Exception as e:
        raise WillItRunError(f"{first}: corrupt GGUF tensor list ({_one_line(e)})") from e
    expected = _scalar_int(meta.get("split.tensors.count"))
    if expected is not None and len(readers) > 1 and expected != len(sized):
        raise WillItRunError(f"{first}: the split set holds {len(sized)} tensors but split.tensors.count is {expected}")
    return sized


def _file_spec(first: Path, meta: Mapping[str, Any], n_tokens: int | None, sized: list[_Sized]) -> ModelSpec:
    """The architecture the file describes, with its exact parameter counts (active ones for a MoE)."""
    vocab_rows = next((ne[1] for name, ne, _, _ in sized if name == "token_embd.weight" and len(ne) >= 2), None)
    stem = _stem(first)
    general_name = meta.get("general.name")
    spec = spec_from_gguf_metadata(
        meta,
        id=stem,
        name=general_name if isinstance(general_name, str) and general_name else stem,
        source=f"GGUF file {first}",
        tensor_elements=sum(_elements(ne) for _, ne, _, _ in sized) or None,
        vocab=vocab_rows or n_tokens,  # the embedding rows, as the catalog counts vocab (may exceed the tokens)
        tensor_names=[x[0] for x in sized],
    )
    if not spec.is_moe:
        return spec
    active = sum(
        _elements(ne) * spec.experts_active // spec.experts if "_exps" in name else _elements(ne)
        for name, ne, _, _ in sized
    )
    return replace(spec, active_params=active)


def read_gguf(path: str) -> GgufModel:
    """A GGUF model file (every part of a split set): its spec, exact weights, mix name and files.

    Raises WillItRunError, one line naming the file, for anything unreadable.
    """
    first = Path(path)
    _check_file(first)
    readers, meta, n_tokens = _open_split_set(first)
    sized = _tensor_list(first, readers, meta)
    spec = _file_spec(first, meta, n_tokens, sized)
    type_bytes: dict[str, int] = {}
    for _, _, ty, b in sized:
        type_bytes[ty] = type_bytes.get(ty, 0) + b
    quant = _quant_name(meta, type_bytes)
    shaped: list[tuple[TensorShape, str, int]] = []
    for name, ne, ty, b in sized:
        m = _BLOCK.match(name)
        layer = int(m.group(1)) if m else None
        if layer is not None and layer >= spec.layers:
            layer = None  # e.g. next-token-prediction blocks beyond block_count: counted with the output
        shaped.append((TensorShape(name, ne, layer), ty, b))
    return GgufModel(
        spec=spec,
        weights=group_bytes(spec, quant, shaped),
        quant=quant,
        files=tuple(str(p) for p, _, _ in readers),
        file_bytes=sum(size for _, _, size in readers),
    )


def find_mmproj(path: str) -> str | None:
    """A vision projector file beside the model (a *.gguf whose name contains 'mmproj'), or None."""
    model = Path(path)
    if "mmproj" in model.name.lower():
        return None
    folder = model.parent
    try:
        candidates = sorted(
            f
            for f in folder.iterdir()
            if f.suffix.lower() == ".gguf" and "mmproj" in f.name.lower() and f.is_file() and f != model
        )
    except OSError:
        return None
    return str(candidates[0]) if candidates else None


def mmproj_bytes(path: str) -> int:
    """Total tensor bytes of a projector file (what it adds to GPU memory)."""
    p = Path(path)
    reader, _ = _open(p)
    try:
        return sum(int(t.n_bytes) for t in reader.tensors)
    except Exception as e:
        raise WillItRunError(f"{p}: corrupt GGUF tensor list ({_one_line(e)})") from e


__all__ = [
    "FILE_TYPES",
    "GgufModel",
    "find_mmproj",
    "mmproj_bytes",
    "read_gguf",
    "spec_from_gguf_metadata",
]
