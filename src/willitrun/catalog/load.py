"""Load and validate the YAML catalogs into frozen dataclasses; overlays from --catalog / WILLITRUN_CATALOG."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

from willitrun.catalog.entry import DATE_RE, Entry, parse_yaml, read_yaml_bytes
from willitrun.catalog.types import GpuSpec
from willitrun.errors import CatalogError
from willitrun.estimate.types import COMPRESS_RATIOS, CSA_RATIO, ModelSpec
from willitrun.fingerprint import fingerprint
from willitrun.paths import cache_dir, read_cache, write_cache

T = TypeVar("T")
USES = frozenset({"chat", "code", "reasoning", "vision", "embedding", "tools"})
VENDORS = frozenset({"nvidia", "amd", "intel", "apple"})
BACKENDS = frozenset({"cuda", "rocm", "metal", "vulkan", "sycl", "cpu"})
GPU_KINDS = frozenset({"gpu", "apple", "system", "igpu"})
PRICE_KINDS = frozenset({"msrp", "street", "used"})


def data_dir() -> Path:
    """The bundled data folder: inside the installed package, or data/ at the source tree's root."""
    here = Path(__file__).resolve().parent.parent
    packaged = here / "data"
    if (packaged / "models.yaml").is_file():
        return packaged
    return here.parent.parent / "data"


def _fields(rec: Any) -> Any:
    """A stored entry as something with its fields: an object, a dict, or (id, JSON text) decoded now."""
    if isinstance(rec, tuple):
        import json

        return json.loads(rec[1])
    return rec


def _rec_id(rec: Any) -> str:
    return str(rec[0]) if isinstance(rec, tuple) else str(_rec_get(rec, "id"))


def _rec_get(rec: Any, key: str) -> Any:
    rec = _fields(rec)
    return rec.get(key) if isinstance(rec, dict) else getattr(rec, key, None)


def record_names(rec: Any, keys: tuple[str, ...]) -> list[str]:
    """The names an entry answers to (id, display name, aliases, ...), from an object or a dict of its fields."""
    out: list[str] = []
    for k in keys:
        v = _rec_get(rec, k)
        if isinstance(v, (list, tuple)):
            out += [str(x) for x in v]
        elif v:
            out.append(str(v))
    return out


class Catalog:
    """Validated catalog entries, turned into objects only when asked for: a `check` builds one model and the
    GPUs it names, not all of them."""

    def __init__(
        self, models: dict[str, Any], gpus: dict[str, Any], files: tuple[str, ...] = (), key: str = ""
    ) -> None:
        # id -> ModelSpec, or (id, the JSON text of its fields) from the cache: each decoded when first asked for
        self._m = models
        self._g = gpus
        self.files = files
        self.key = key  # a hash of the files' content: keys caches derived from the whole catalog
        self._memo: dict[str, Any] = {}  # derived tables (catalog.resolve's name indexes), built on first use
        self._market: dict[str, Any] | None = None  # data/street_prices.yaml, read on first GPU asked for

    def model(self, model_id: str) -> ModelSpec:
        rec = _fields(self._m[model_id])
        if isinstance(rec, dict):
            rec = self._m[model_id] = ModelSpec(**{k: _tuples(v) for k, v in rec.items()})
        assert isinstance(rec, ModelSpec)
        return rec

    def gpu(self, gpu_id: str) -> GpuSpec:
        rec = _fields(self._g[gpu_id])
        if isinstance(rec, dict):
            rec = GpuSpec(**{k: _tuples(v) for k, v in rec.items()})
        assert isinstance(rec, GpuSpec)
        if rec.price_source is None:  # street/used prices not merged yet
            from willitrun.catalog.market import load_market, merge_market

            if self._market is None:
                self._market = load_market()
            rec = merge_market(rec, self._market)
        self._g[gpu_id] = rec
        return rec

    @property
    def models(self) -> tuple[ModelSpec, ...]:
        return tuple(self.model(i) for i in self._m)

    @property
    def gpus(self) -> tuple[GpuSpec, ...]:
        return tuple(self.gpu(i) for i in self._g)

    def derived(self, key: str, build: Callable[[], T]) -> T:
        """A table derived from the whole catalog, built by `build` the first time `key` is asked for."""
        if key not in self._memo:
            self._memo[key] = build()
        got: T = self._memo[key]
        return got

    def model_names(self) -> list[tuple[str, list[str]]]:
        return [(i, record_names(r, ("id", "name", "aliases", "ollama", "hf_repo"))) for i, r in self._m.items()]

    def model_repos(self) -> list[str]:
        """Every Hugging Face repo the model entries name (weights and GGUF files), from the raw records."""
        return [n for r in self._m.values() for n in record_names(r, ("hf_repo", "gguf_repo"))]

    def gpu_names(self) -> list[tuple[str, list[str]]]:
        return [(i, record_names(r, ("id", "name", "aliases"))) for i, r in self._g.items()]


def _checked_heads(e: Entry) -> dict[str, int]:
    """Layers and attention heads: the KV heads must divide the query heads."""
    layers = e.int_("layers", required=True, lo=1, hi=1000)
    heads = e.int_("heads", required=True, lo=1, hi=10000)
    kv_heads = e.int_("kv_heads", required=True, lo=1, hi=10000)
    assert layers is not None and heads is not None and kv_heads is not None
    if heads % kv_heads:
        raise e.fail("kv_heads", f"({kv_heads}) must divide heads ({heads})")
    return {"layers": layers, "heads": heads, "kv_heads": kv_heads}


def _checked_experts(e: Entry) -> dict[str, int]:
    """A mixture of experts needs its active count and the width of an expert."""
    experts = e.int_("experts", default=0, hi=100000) or 0
    experts_active = e.int_("experts_active", default=0, hi=100000) or 0
    expert_intermediate = e.int_("expert_intermediate", default=0) or 0
    if experts > 1 and not (0 < experts_active <= experts):
        raise e.fail("experts_active", f"must be between 1 and experts ({experts})")
    if experts > 1 and expert_intermediate <= 0:
        raise e.fail("expert_intermediate", "is required for a mixture-of-experts model")
    return {"experts": experts, "experts_active": experts_active, "expert_intermediate": expert_intermediate}


def _checked_sizes(e: Entry) -> dict[str, Any]:
    """The sliding window, the context, and the parameter counts (the active count never above the total)."""
    out: dict[str, Any] = {
        "sliding_window": e.int_("sliding_window", lo=1),
        "swa_pattern": e.int_("swa_pattern", lo=1, hi=1000),
        "context_max": e.int_("context_max", required=True, lo=1, hi=100_000_000) or 0,
    }
    params = e.int_("params", required=True, lo=1)
    active = e.int_("active_params", lo=1)
    if active is not None and params is not None and active > params:
        raise e.fail("active_params", "must not exceed params")
    return {**out, "params": params or 0, "active_params": active}


def _layer_indices(e: Entry, fld: str, layers: int) -> tuple[int, ...] | None:
    """A list of layer indices (absent: None)."""
    raw = e.raw.get(fld)
    if raw is None:
        return None
    if not isinstance(raw, list) or not all(isinstance(x, int) and 0 <= x < layers for x in raw):
        raise e.fail(fld, f"must be a list of layer indices below {layers}")
    return tuple(raw)


def _per_layer_ints(e: Entry, fld: str, layers: int, lo: int) -> tuple[int, ...]:
    """A list of one whole number per layer, each at least lo (absent: empty)."""
    raw = e.raw.get(fld)
    if raw is None:
        return ()
    ok = isinstance(raw, list) and len(raw) == layers
    if not ok or not all(isinstance(x, int) and not isinstance(x, bool) and x >= lo for x in raw):
        raise e.fail(fld, f"must list {layers} whole numbers (one per layer), each at least {lo}")
    return tuple(raw)


def _checked_layers(e: Entry, layers: int) -> dict[str, Any]:
    """A hybrid model's attention layers, the layers with their own DSA indexer cache, and per-layer inputs (with
    AltUp on Gemma 3n, without on Gemma 4)."""
    per_layer_input = e.int_("per_layer_input", default=0, hi=100000) or 0
    altup_inputs = e.int_("altup_inputs", default=0, hi=64) or 0
    if per_layer_input and altup_inputs < 2 and e.raw.get("arch") != "gemma4":
        raise e.fail("altup_inputs", f"must be at least 2 with per_layer_input (Gemma 3n has 4), not {altup_inputs}")
    return {
        "attention_layers": _layer_indices(e, "attention_layers", layers),
        "indexer_layers": _layer_indices(e, "indexer_layers", layers),
        "full_layers": _layer_indices(e, "full_layers", layers),
        # NAS-pruned layers (deci): KV heads per layer (0 linear attention, -1 none), FFN width per layer (0 none)
        "layer_kv_heads_list": _per_layer_ints(e, "layer_kv_heads", layers, -1),
        "layer_ffn_widths": _per_layer_ints(e, "layer_ffn_widths", layers, 0),
        "per_layer_input": per_layer_input,
        "altup_inputs": altup_inputs,
    }


def _checked_sources(e: Entry, layers: int, experts: int) -> dict[str, Any]:
    """Uses, where the shapes were read, the second source of the parameter count, Nemotron-H's layer pattern."""
    uses = e.strs("uses", USES)
    source = e.str_("source", required=True)
    assert source is not None
    ref = e.int_("params_reference", lo=1)
    ref_source = e.str_("params_reference_source")
    if ref is not None and not (ref_source or "").strip():
        raise e.fail("params_reference_source", "is required beside params_reference (where the count was read)")
    pattern_raw = e.str_("layer_pattern") or ""
    if pattern_raw and (len(pattern_raw) != layers or set(pattern_raw) - set("M*-E")):
        raise e.fail("layer_pattern", f"must be {layers} letters from M, *, - and E (one per layer)")
    if pattern_raw and "E" in pattern_raw and experts <= 1:
        raise e.fail("layer_pattern", "has MoE layers (E) but the model has no experts")
    return {
        "uses": uses,
        "source": source,
        "params_reference": ref,
        "params_reference_source": ref_source,
        "layer_pattern": pattern_raw,
    }


def _checked(e: Entry) -> dict[str, Any]:
    """The fields checked against one another, in the order the checks run (the first problem is reported)."""
    heads = _checked_heads(e)
    experts = _checked_experts(e)
    sizes = _checked_sizes(e)
    layers = _checked_layers(e, heads["layers"])
    sources = _checked_sources(e, heads["layers"], experts["experts"])
    compressed = _checked_compression(e, heads["layers"], heads["heads"], experts["experts"])
    qsa = {"qsa": _checked_qsa(e, heads["layers"])}
    return {**heads, **experts, **sizes, **layers, **sources, **compressed, **qsa}


def _checked_qsa(e: Entry, layers: int) -> dict[str, Any]:
    """Qwen3.8-Flash-Next (qwen4exp): the hyper-connection streams and their low rank, the QSA indexer, and the
    n-gram table (PLE) with the layers it feeds, which must be gated-delta-net layers (llama.cpp keeps their
    convolution history beside the recurrent state)."""
    out: dict[str, Any] = {
        "hc_low_rank": e.int_("hc_low_rank", default=0, hi=1_000_000) or 0,
        "ple_layers": _layer_indices(e, "ple_layers", layers) or (),
        "ple_rows": e.int_("ple_rows", default=0) or 0,
        "ple_dim": e.int_("ple_dim", default=0, hi=1_000_000) or 0,
        "ple_ngram": e.int_("ple_ngram", default=0, hi=16) or 0,
        "ple_conv_kernel": e.int_("ple_conv_kernel", default=0, hi=64) or 0,
    }
    if e.raw.get("arch") != "qwen4exp":
        return out
    for fld in ("hc_mult", "hc_low_rank", "indexer_heads", "indexer_head_dim", "attention_layers"):
        if not e.raw.get(fld):
            raise e.fail(fld, "is required for qwen4exp")
    if out["ple_layers"]:
        for fld in ("ple_rows", "ple_dim", "ple_ngram", "ple_conv_kernel"):
            if not out[fld]:
                raise e.fail(fld, "is required with ple_layers")
        if set(out["ple_layers"]) & set(e.raw.get("attention_layers") or ()):
            raise e.fail("ple_layers", "must be gated-delta-net layers, not attention layers")
    return out


def _checked_compression(e: Entry, layers: int, heads: int, experts: int) -> dict[str, Any]:
    """DeepSeek V4's compressed attention: a ratio llama.cpp accepts (0, 4 or 128) for every layer (MTP blocks
    included; the config's list may run on past them), with the output groups, hyper-connections and sliding
    window it needs, the indexer where a layer compresses by 4, and hash-routed layers only on a MoE model."""
    raw = e.raw.get("compress_ratios")
    ratios: tuple[int, ...] = ()
    if raw is not None:
        need = layers + (e.int_("mtp_layers", default=0, hi=16) or 0)
        if not isinstance(raw, list) or not all(isinstance(x, int) and x in COMPRESS_RATIOS for x in raw):
            raise e.fail("compress_ratios", "must be a list of compression ratios, each 0, 4 or 128")
        if len(raw) < need:
            raise e.fail("compress_ratios", f"must give a ratio for each of the {need} layers, not {len(raw)}")
        ratios = tuple(raw)
    groups = e.int_("o_groups", default=0, hi=4096) or 0
    out: dict[str, Any] = {
        "compress_ratios": ratios,
        "o_groups": groups,
        "o_lora_rank": e.int_("o_lora_rank", default=0, hi=1_000_000) or 0,
        "hc_mult": e.int_("hc_mult", default=0, hi=64) or 0,
        "hash_layers": e.int_("hash_layers", default=0, hi=layers) or 0,
    }
    if e.raw.get("arch") == "deepseek4" and not ratios:
        raise e.fail("compress_ratios", "is required for deepseek4 (config.json's compress_ratios)")
    if ratios:
        for fld in ("o_groups", "o_lora_rank", "hc_mult", "sliding_window", "q_lora_rank"):
            if not e.raw.get(fld):
                raise e.fail(fld, "is required with compress_ratios")
        if heads % groups:
            raise e.fail("o_groups", f"({groups}) must divide heads ({heads})")
        if CSA_RATIO in ratios[:layers] and not (e.raw.get("indexer_heads") and e.raw.get("indexer_head_dim")):
            raise e.fail("indexer_heads", "and indexer_head_dim are required where a layer compresses by 4")
    if out["hash_layers"] and experts <= 1:
        raise e.fail("hash_layers", "needs a mixture of experts (the table picks experts)")
    return out


def _model(e: Entry) -> ModelSpec:
    c = _checked(e)
    layers = c["layers"]
    return ModelSpec(
        id=e.ident(),
        name=e.str_("name", required=True) or "",
        family=e.str_("family") or "",
        arch=e.str_("arch", required=True) or "",
        params=c["params"],
        active_params=c["active_params"],
        layers=layers,
        hidden=e.int_("hidden", required=True, lo=1) or 0,
        intermediate=e.int_("intermediate", required=True, lo=0) or 0,
        heads=c["heads"],
        kv_heads=c["kv_heads"],
        head_dim=e.int_("head_dim", required=True, lo=1, hi=100000) or 0,
        vocab=e.int_("vocab", required=True, lo=1) or 0,
        context_max=c["context_max"],
        tied_embeddings=e.bool_("tied_embeddings"),
        experts=c["experts"],
        experts_active=c["experts_active"],
        expert_intermediate=c["expert_intermediate"],
        shared_experts=e.int_("shared_experts", default=0) or 0,
        dense_layers=e.int_("dense_layers", default=0, hi=layers) or 0,
        sliding_window=c["sliding_window"],
        swa_pattern=c["swa_pattern"],
        swa_full_first=e.bool_("swa_full_first"),
        q_lora_rank=e.int_("q_lora_rank", lo=1),
        kv_lora_rank=e.int_("kv_lora_rank", lo=1),
        qk_rope_head_dim=e.int_("qk_rope_head_dim", lo=0),
        qk_nope_head_dim=e.int_("qk_nope_head_dim", lo=1),
        v_head_dim=e.int_("v_head_dim", lo=1),
        attn_bias=e.bool_("attn_bias"),
        qk_norm=e.bool_("qk_norm"),
        ssm_d_inner=e.int_("ssm_d_inner", default=0) or 0,
        ssm_d_state=e.int_("ssm_d_state", default=0) or 0,
        ssm_d_conv=e.int_("ssm_d_conv", default=0) or 0,
        ssm_n_group=e.int_("ssm_n_group", default=1, lo=1) or 1,
        ssm_heads=e.int_("ssm_heads", default=0, lo=0) or 0,
        attention_layers=c["attention_layers"],
        moe_layer_step=e.int_("moe_layer_step", default=1, lo=1, hi=64) or 1,
        mmproj_params=e.int_("mmproj_params", lo=1),
        per_layer_input=c["per_layer_input"],
        altup_inputs=c["altup_inputs"],
        laurel_rank=e.int_("laurel_rank", default=0, hi=100000) or 0,
        kv_shared_layers=e.int_("kv_shared_layers", default=0, hi=layers - 1) or 0,
        aliases=e.strs("aliases"),
        ollama=e.str_("ollama"),
        hf_repo=e.str_("hf_repo"),
        released=e.date("released"),
        license=e.str_("license"),
        uses=c["uses"],
        source=c["source"],
        params_reference=c["params_reference"],
        params_reference_source=c["params_reference_source"],
        mtp_layers=e.int_("mtp_layers", default=0, hi=16) or 0,
        mtp_own_head=e.bool_("mtp_own_head"),
        layer_pattern=c["layer_pattern"],
        shared_expert_intermediate=e.int_("shared_expert_intermediate", default=0) or 0,
        moe_latent_size=e.int_("moe_latent_size", default=0, hi=1_000_000) or 0,
        indexer_heads=e.int_("indexer_heads", default=0, hi=10000) or 0,
        indexer_head_dim=e.int_("indexer_head_dim", default=0, hi=100000) or 0,
        indexer_layers=c["indexer_layers"],
        indexer_kpool=e.int_("indexer_kpool", default=0, hi=1024) or 0,
        global_head_dim=e.int_("global_head_dim", default=0, hi=100000) or 0,
        global_kv_heads=e.int_("global_kv_heads", default=0, hi=10000) or 0,
        swa_heads=e.int_("swa_heads", default=0, hi=10000) or 0,
        kv_eq_v=e.bool_("kv_eq_v"),
        full_layers=c["full_layers"],
        layer_kv_heads_list=c["layer_kv_heads_list"],
        layer_ffn_widths=c["layer_ffn_widths"],
        double_wide_ffn=e.bool_("double_wide_ffn"),
        compress_ratios=c["compress_ratios"],
        o_groups=c["o_groups"],
        o_lora_rank=c["o_lora_rank"],
        hc_mult=c["hc_mult"],
        hash_layers=c["hash_layers"],
        **c["qsa"],
        **_repos(e),
    )


_REPO_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*$")


_TAG_RE = re.compile(r"^[a-z0-9][a-z0-9._/-]*:[A-Za-z0-9._-]+$")


def _repo_map(
    e: Entry, fld: str, keys: frozenset[str] | None, value_re: re.Pattern[str]
) -> tuple[tuple[str, str], ...]:
    v = e.raw.get(fld) or {}
    if not isinstance(v, dict):
        raise e.fail(fld, "must be a mapping of format to name")
    out: list[tuple[str, str]] = []
    for k, name in v.items():
        known = str(k) in keys if keys is not None else re.match(r"^[A-Z0-9_]+$", str(k)) is not None
        if not known:
            allowed = ", ".join(sorted(keys)) if keys is not None else "quantization names such as Q8_0"
            raise e.fail(fld, f"has {k!r}; allowed: {allowed}")
        if not isinstance(name, str) or not value_re.match(name):
            raise e.fail(fld, f"{k}: {name!r} is not a valid name")
        out.append((str(k), name))
    return tuple(out)


def _repos(e: Entry) -> dict[str, Any]:
    """Where each runtime's files are published; any of them needs `repos_source` (where the names were checked)."""
    from willitrun.estimate.formats import MLX_FORMATS, VLLM_FORMATS

    gguf = e.str_("gguf_repo")
    if gguf is not None and not _REPO_RE.match(gguf):
        raise e.fail("gguf_repo", f"must be a Hugging Face repo id (org/name), not {gguf!r}")
    out: dict[str, Any] = {
        "gguf_repo": gguf,
        "vllm_repos": _repo_map(e, "vllm_repos", frozenset(VLLM_FORMATS), _REPO_RE),
        "mlx_repos": _repo_map(e, "mlx_repos", frozenset(MLX_FORMATS), _REPO_RE),
        "ollama_tags": _repo_map(e, "ollama_tags", None, _TAG_RE),  # keys: GGUF quantizations
        "repos_source": e.str_("repos_source"),
    }
    named = gguf or out["vllm_repos"] or out["mlx_repos"] or out["ollama_tags"]
    if named and not (out["repos_source"] or "").strip():
        raise e.fail("repos_source", "is required beside gguf_repo, vllm_repos, mlx_repos or ollama_tags")
    return out


def _gpu(e: Entry) -> GpuSpec:
    vendor = e.str_("vendor", required=True)
    if vendor not in VENDORS:
        raise e.fail("vendor", f"must be one of {', '.join(sorted(VENDORS))}, not {vendor!r}")
    kind = e.str_("kind") or "gpu"
    if kind not in GPU_KINDS:
        raise e.fail("kind", f"must be one of {', '.join(sorted(GPU_KINDS))}, not {kind!r}")
    mem = e.num("memory_gib", required=True, lo=0.25, hi=65536)
    opts_raw = e.raw.get("memory_options_gib") or []
    if not isinstance(opts_raw, list) or not all(
        isinstance(x, (int, float)) and not isinstance(x, bool) and x > 0 for x in opts_raw
    ):
        raise e.fail("memory_options_gib", "must be a list of positive numbers")
    price_kind = e.str_("price_kind")
    if price_kind is not None and price_kind not in PRICE_KINDS:
        raise e.fail("price_kind", f"must be one of {', '.join(sorted(PRICE_KINDS))}, not {price_kind!r}")
    price = e.num("price_usd", lo=1, hi=10_000_000)
    if price is not None and (price_kind is None or e.raw.get("price_date") is None):
        raise e.fail("price_usd", "needs price_kind and price_date beside it")
    bw = e.num("bandwidth_gbps", required=True, lo=1, hi=100000)
    bus = e.int_("bus_width_bits", lo=8, hi=16384)
    rate = e.num("data_rate_gbps", lo=0.1, hi=100)
    if bw is not None and bus and rate and abs(bus * rate / 8 - bw) / bw > 0.03:
        raise e.fail("bandwidth_gbps", f"({bw:g}) disagrees with bus width x data rate / 8 ({bus * rate / 8:g})")
    source = e.str_("source", required=True)
    assert source is not None and mem is not None and bw is not None
    return GpuSpec(
        id=e.ident(),
        name=e.str_("name", required=True) or "",
        vendor=vendor,
        kind=kind,
        memory_gib=mem,
        memory_options_gib=tuple(float(x) for x in opts_raw),
        bandwidth_gbps=bw,
        fp16_tflops=e.num("fp16_tflops", required=True, lo=0.01, hi=100000) or 0.0,
        fp32_tflops=e.num("fp32_tflops", lo=0.01, hi=100000),
        tdp_w=e.num("tdp_w", lo=1, hi=100000),
        bus_width_bits=bus,
        memory_type=e.str_("memory_type"),
        data_rate_gbps=rate,
        backends=e.strs("backends", BACKENDS) or ("vulkan",),
        unified_memory=e.bool_("unified_memory"),
        laptop=e.bool_("laptop"),
        display=e.bool_("display", default=True),
        dies=e.int_("dies", lo=1, hi=8) or 1,
        pci_ids=e.strs("pci_ids"),
        launched=e.date("launched"),
        launch_price_usd=e.num("launch_price_usd", lo=1, hi=10_000_000),
        price_usd=price,
        price_kind=price_kind,
        price_date=e.date("price_date"),
        aliases=e.strs("aliases"),
        source=source,
        int8_tops=e.num("int8_tops", lo=0.01, hi=1_000_000),
        fp16_acc16_tflops=e.num("fp16_acc16_tflops", lo=0.01, hi=100000),
        used_price_usd=e.num("used_price_usd", lo=1, hi=10_000_000),
        used_price_date=e.date("used_price_date"),
        prices=_prices(e),
    )


def _prices(e: Entry) -> tuple[tuple[float, float, str, str], ...]:
    raw = e.raw.get("prices") or []
    if not isinstance(raw, list):
        raise e.fail("prices", "must be a list of {memory_gib, price_usd, price_kind, price_date}")
    out: list[tuple[float, float, str, str]] = []
    for i, p in enumerate(raw):
        if not isinstance(p, dict):
            raise e.fail("prices", f"item {i + 1} must be a mapping")
        mem, usd, kind, date = p.get("memory_gib"), p.get("price_usd"), p.get("price_kind"), p.get("price_date")
        if not isinstance(mem, (int, float)) or not isinstance(usd, (int, float)) or mem <= 0 or usd <= 0:
            raise e.fail("prices", f"item {i + 1} needs positive memory_gib and price_usd")
        if kind not in PRICE_KINDS or date is None or not DATE_RE.match(str(date)):
            raise e.fail("prices", f"item {i + 1} needs price_kind (msrp/street/used) and price_date YYYY-MM-DD")
        out.append((float(mem), float(usd), str(kind), str(date)))
    return tuple(out)


# Bump when validation or the value types change: cached entries of an older layout are then not used.
CACHE_LAYOUT = "15"


def _tuples(v: Any) -> Any:
    return tuple(_tuples(x) for x in v) if isinstance(v, list) else v


def cached_records(
    path: Path,
    kind: str,
    build: Callable[[Any], dict[str, list[Any]]],
    keys: list[str] | None = None,
    *,
    by_id: bool = False,
) -> dict[str, Any]:
    """`build(parsed YAML)` -> validated dataclass lists, through a JSON cache of their fields.

    Parsing and validating YAML dominates start-up, so the validated entries are kept as JSON in the cache,
    keyed on the file and this code's layout; a cache that cannot be read or written is not used.
    `build` must return lists of dataclass instances; they come back from the cache as dicts of fields, which
    the caller turns back into objects with `revive`. `by_id`: the cache is JSON lines, a header naming each
    list's ids and then one line of fields per entry, handed back as {list: {id: text}} without decoding the
    entries: a reader decodes only those it uses.
    """
    from willitrun import __version__

    try:
        st = path.stat()
    except OSError:
        st = None
    if st is None or not path.is_file():
        read_yaml_bytes(path)  # raises the one-line error that names the problem
        raise CatalogError(f"{path}: cannot be read")
    # keyed on the file's path, size and modification time: no need to read it when the cache answers
    stamp = f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}"
    key = fingerprint(f"{stamp}|{kind}|{CACHE_LAYOUT}|{__version__}".encode())
    if keys is not None:
        keys.append(key)  # the caller's fingerprint of everything it loaded
    cdir = cache_dir()
    cached = cdir / f"{kind}-{key}.{'jsonl' if by_id else 'json'}" if cdir else None
    doc = (_read_lines(cached) if by_id else read_cache(cached)) if cached is not None else None
    if isinstance(doc, dict):
        return doc
    data = read_yaml_bytes(path)
    built = build(parse_yaml(path, data))
    if cached is not None:
        import dataclasses

        if by_id:
            _write_lines(cached, built)
        else:
            write_cache(cached, {k: [dataclasses.asdict(x) for x in v] for k, v in built.items()})
    return built


def _write_lines(path: Path, built: dict[str, list[Any]]) -> None:
    """The by-id cache: a header line {list: [ids]}, then each entry's fields as one line of JSON, in order."""
    import dataclasses
    import json

    from willitrun.paths import write_atomic

    header = json.dumps({k: [x.id for x in v] for k, v in built.items()}, separators=(",", ":"))
    lines = [json.dumps(dataclasses.asdict(x), separators=(",", ":")) for v in built.values() for x in v]
    write_atomic(path, "\n".join([header, *lines]).encode("utf-8"))


def _read_lines(path: Path) -> dict[str, dict[str, str]] | None:
    """{list: {id: JSON text}} from a by-id cache; None when it is missing, unreadable or not whole."""
    import json

    try:
        header, *lines = path.read_text(encoding="utf-8").split("\n")
        ids = json.loads(header)
    except (OSError, ValueError):
        return None
    if not isinstance(ids, dict) or sum(len(v) for v in ids.values() if isinstance(v, list)) != len(lines):
        return None
    out: dict[str, dict[str, str]] = {}
    at = 0
    for k, v in ids.items():
        if not isinstance(v, list):
            return None
        out[k] = dict(zip(map(str, v), lines[at : at + len(v)], strict=True))
        at += len(v)
    return out


def revive(cls: type[T], items: list[Any]) -> list[T]:
    """Objects from `cached_records`: already objects (fresh parse) or dicts of fields (from the cache)."""
    return [x if isinstance(x, cls) else cls(**{k: _tuples(v) for k, v in x.items()}) for x in items]


def _load_file(path: Path, keys: list[str] | None = None) -> tuple[list[Any], list[Any]]:
    """One catalog file's validated entries: objects, or (id, JSON text of the fields) when they come from the
    cache."""
    p = str(path)

    def build(raw: Any) -> dict[str, list[Any]]:
        models = [_model(Entry(p, "model", i, r)) for i, r in enumerate(_entries(p, raw, "models"))]
        gpus = [_gpu(Entry(p, "gpu", i, r)) for i, r in enumerate(_entries(p, raw, "gpus"))]
        for kind, items in (("model", models), ("gpu", gpus)):
            ids = [x.id for x in items]
            dup = {i for i in ids if ids.count(i) > 1}
            if dup:
                raise CatalogError(f"{p}: {kind} id {sorted(dup)[0]!r} appears twice")
            # names unique within the file, checked once when it is parsed (the cache holds only checked files)
            _check_unique(p, kind, {x.id: x for x in items})
        return {"models": models, "gpus": gpus}

    doc = cached_records(path, "catalog", build, keys, by_id=True)
    models, gpus = doc.get("models"), doc.get("gpus")
    if isinstance(models, dict) and isinstance(gpus, dict):  # from the cache
        return list(models.items()), list(gpus.items())
    if not isinstance(models, list) or not isinstance(gpus, list):  # a cache of another layout: parse afresh
        fresh = build(parse_yaml(path, read_yaml_bytes(path)))
        return fresh["models"], fresh["gpus"]
    return models, gpus


def _entries(path: str, doc: Any, key: str) -> list[Any]:
    if doc is None:
        return []
    if not isinstance(doc, dict):
        raise CatalogError(f"{path}: must be a mapping with 'models:' and/or 'gpus:' lists")
    unknown = set(doc) - {"models", "gpus"}
    if unknown:
        raise CatalogError(f"{path}: unknown top-level key {sorted(unknown)[0]!r} (expected 'models' or 'gpus')")
    v = doc.get(key) or []
    if not isinstance(v, list):
        raise CatalogError(f"{path}: '{key}' must be a list")
    return v


def _check_unique(path: str, kind: str, items: dict[str, Any]) -> None:
    seen: dict[str, str] = {}
    for rid, rec in items.items():
        for name in record_names(rec, ("id", "aliases")):
            k = name.casefold()
            other = seen.get(k)
            if other is not None and other != rid:
                raise CatalogError(f"{path}: {kind} {rid}: name {name!r} is already used by {other}")
            seen[k] = rid


def overlay_paths(extra: Iterable[str] = ()) -> list[Path]:
    paths = [Path(p) for p in extra]
    env = os.environ.get("WILLITRUN_CATALOG", "")
    paths += [Path(p) for p in env.split(os.pathsep) if p.strip()]
    return paths


def load_catalog(extra: Iterable[str] = ()) -> Catalog:
    base = data_dir()
    files = [base / "models.yaml", base / "gpus.yaml", *overlay_paths(extra)]
    models: dict[str, Any] = {}
    gpus: dict[str, Any] = {}
    keys: list[str] = []
    for n, f in enumerate(files):
        p = str(f)
        new_models, new_gpus = _load_file(f, keys)
        for rec in new_models:  # an overlay entry with an existing id replaces it
            models[_rec_id(rec)] = rec
        for rec in new_gpus:
            gpus[_rec_id(rec)] = rec
        if n >= 2:  # an overlay: its names must not clash with the bundled ones (each file checked itself)
            _check_unique(p, "model", models)
            _check_unique(p, "gpu", gpus)
    digest = fingerprint("|".join(keys).encode())
    return Catalog(models, gpus, tuple(str(f) for f in files), digest)
