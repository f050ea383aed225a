"""Serving engines' memory and step costs: vLLM on one node or across nodes, llama.cpp's slots, the links between.

vLLM (one engine, `tp` GPUs per node in tensor parallel, `pp` nodes in pipeline parallel over Ray): every GPU
holds 1/(tp x pp) of the weights (a stage's layers, split by heads), the profile run's activations, CUDA graphs
and non-torch memory; what is left of `--gpu-memory-utilization` (0.9) becomes paged KV cache. A token's cache
is split across the tensor-parallel ranks by KV heads, except MLA's latent row, which every rank keeps whole.
The cache holds `kv_tokens` tokens in all, shared by however many sequences are running (blocks of 16).

llama.cpp RPC: `ggml-rpc-server` on every other node exposes its GPUs to the main node's llama-server, which
splits the layers over all of them in proportion to memory, exactly as over local GPUs; a token passes through
the devices one after the other, and each remote node costs a network round trip per step.

Link figures: the wire rate of each named interconnect (400 Gb/s InfiniBand NDR = 50 GB/s, and so on) and a
per-message latency that is an assumption (RDMA a few microseconds; TCP over Ethernet tens), marked as such.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from willitrun.estimate import constants as K
from willitrun.estimate.batch import StepCost, step_cost
from willitrun.estimate.engines import (
    VLLM_ALLREDUCE_S,
    VLLM_CUDA_GRAPHS_BYTES,
    VLLM_GPU_MEMORY_UTILIZATION,
    VLLM_MAX_SEQS,
    VLLM_NON_TORCH_BYTES,
    tp_size,
    vllm_activation_bytes,
    vllm_terms,
)
from willitrun.estimate.formats import format_breakdown
from willitrun.estimate.kv import kv_bytes_per_token
from willitrun.estimate.types import Device, ModelSpec, Record

VLLM_BLOCK_TOKENS = 16  # vLLM's default KV block size

# vLLM's decode differs from llama.cpp's: one CUDA graph per step (no per-layer launch cost, a small fixed cost
# per step) and 16-bit GEMV kernels that reach about 75% of peak bandwidth: single-stream Llama-3.1-8B BF16 ran at
# 75 tok/s on an A100 40GB (77% of its roofline, johnmusgrave.com) and 6.48 ms per token on an H100 SXM (74%,
# InferenceBench); both runs are in tests/data/capacity_runs.yaml. 16-bit weights cost no dequantising work.
# The rest is llama.cpp's CUDA constants.
VLLM_ETA = 0.77
VLLM_STEP_S = 0.25e-3


def vllm_constants() -> dict[str, K.BackendConstants]:
    """The CUDA/ROCm constants with vLLM's bandwidth share and per-step cost."""
    out = dict(K.BACKENDS)
    for name in ("cuda", "rocm"):
        c = K.BACKENDS[name]
        scale = VLLM_ETA / c.eta["float"]
        eta = {f: min(VLLM_ETA, v * scale) for f, v in c.eta.items()}
        dq = {**c.dq_ops, "float": 0.0}  # 16-bit weights need no dequantising
        out[name] = replace(c, eta=eta, dq_ops=dq, layer_s=0.0, token_s=VLLM_STEP_S)
    return out


@dataclass(frozen=True, eq=False, repr=False)
class Interconnect(Record):
    name: str
    gbps: float  # GB/s (10^9 bytes) each way
    latency_s: float  # per message, assumed
    what: str


# Wire rates are the standards' (bits / 8); latencies are assumptions: RDMA over InfiniBand a few microseconds
# per message, TCP over Ethernet tens (NCCL over sockets, llama.cpp's RPC over TCP).
INTERCONNECTS: dict[str, Interconnect] = {
    "ib-400": Interconnect("ib-400", 50.0, 5e-6, "InfiniBand NDR, 400 Gb/s"),
    "ib-200": Interconnect("ib-200", 25.0, 5e-6, "InfiniBand HDR, 200 Gb/s"),
    "ib-100": Interconnect("ib-100", 12.5, 5e-6, "InfiniBand EDR, 100 Gb/s"),
    "eth-400": Interconnect("eth-400", 50.0, 20e-6, "Ethernet (RoCE or TCP), 400 Gb/s"),
    "eth-100": Interconnect("eth-100", 12.5, 30e-6, "Ethernet, 100 Gb/s"),
    "eth-25": Interconnect("eth-25", 3.125, 40e-6, "Ethernet, 25 Gb/s"),
    "eth-10": Interconnect("eth-10", 1.25, 50e-6, "Ethernet, 10 Gb/s"),
    "eth-1": Interconnect("eth-1", 0.125, 100e-6, "Ethernet, 1 Gb/s"),
}
DEFAULT_INTERCONNECT = "eth-100"
# llama.cpp's RPC backend: each remote device costs a request and a reply per graph computation (per step),
# plus the serialising of the graph: assumed 0.3 ms on top of the link's own latency.
RPC_CALL_S = 0.3e-3


def hop_seconds(link: Interconnect, m: ModelSpec, tokens: int) -> float:
    """Handing one micro-batch's hidden state (16-bit, `tokens` rows) to the next node."""
    return link.latency_s + tokens * m.hidden * 2 / (link.gbps * 1e9)


@dataclass(frozen=True, eq=False, repr=False)
class VllmServing(Record):
    """One vLLM engine: parallel sizes, per-GPU memory, the KV cache and one pipeline stage's step cost."""

    fmt: str
    tp: int
    pp: int
    gpus_used: int
    weights_bytes: int  # whole model
    weights_per_gpu: int
    activation_bytes: int  # per GPU
    overhead_bytes: int  # per GPU: CUDA graphs and non-torch allocations
    kv_bytes_per_gpu: int  # what is left of gpu_memory_utilization (negative: the weights do not fit)
    capacity_per_gpu: int
    kv_tokens: int  # tokens the whole cache holds
    kv_bytes_per_token: float  # per GPU
    stage: StepCost  # one pipeline stage (the whole model when pp == 1)

    @property
    def fits(self) -> bool:
        return self.kv_bytes_per_gpu > 0 and self.kv_tokens > 0

    def max_sequences(self, tokens_each: int) -> int:
        """Sequences of `tokens_each` tokens the cache holds at once (vLLM's max_num_seqs caps it)."""
        blocks = -(-tokens_each // VLLM_BLOCK_TOKENS) * VLLM_BLOCK_TOKENS
        return min(VLLM_MAX_SEQS, self.kv_tokens // max(1, blocks))


def vllm_serving(
    m: ModelSpec, gpus: tuple[Device, ...], fmt: str, kv_type: str, *, nodes: int = 1, depth: int = 0
) -> VllmServing:
    """vLLM over `gpus` (the GPUs of one node) on `nodes` identical nodes; `depth`: the cache depth a decode step
    reads (the middle of a typical answer)."""
    w = format_breakdown(m, "vllm", fmt)
    tp = tp_size(m, len(gpus))
    pp = max(1, nodes)
    d0 = gpus[0]
    shards = tp * pp
    kv_t = "f16" if kv_type in ("f16", "bf16") else "q8_0"
    per_tok_all = kv_bytes_per_token(m, kv_t) * (17 / 32 if kv_t == "q8_0" else 1)
    per_tok = per_tok_all / pp / (1 if m.is_mla else tp)
    budget = int(min(d.memory_bytes for d in gpus[:tp]) * VLLM_GPU_MEMORY_UTILIZATION)
    act = vllm_activation_bytes(m)
    overhead = VLLM_CUDA_GRAPHS_BYTES + VLLM_NON_TORCH_BYTES
    kv_room = budget - w.total_bytes // shards - act - overhead
    kv_tokens = int(kv_room / per_tok) if kv_room > 0 and per_tok > 0 else 0
    dec, pre = vllm_terms(m, w, d0, fmt, kv_t, tp, depth)
    allreduce = m.layers * 2 * VLLM_ALLREDUCE_S if tp > 1 else 0.0
    whole = step_cost(dec, pre, allreduce, vllm_constants())
    return VllmServing(
        fmt=fmt,
        tp=tp,
        pp=pp,
        gpus_used=shards,
        weights_bytes=w.total_bytes,
        weights_per_gpu=w.total_bytes // shards,
        activation_bytes=act,
        overhead_bytes=overhead,
        kv_bytes_per_gpu=kv_room,
        capacity_per_gpu=budget,
        kv_tokens=kv_tokens,
        kv_bytes_per_token=per_tok,
        stage=whole.scaled(1 / pp) if pp > 1 else whole,
    )
