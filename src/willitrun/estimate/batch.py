"""Many streams at once: the cost of one decode step for B sequences, from the single-stream terms.

A decode step of B sequences reads the weights once for all of them (the batched kernels reuse each weight row
across the B activations), reads each sequence's own KV cache, and does B times the arithmetic:

    t_step(B, d) = t_weights + B x t_kv(d) + max(t_dq, B x t_matrix)

- `t_weights`: the weight bytes over the effective bandwidth, plus the fixed per-layer and per-token costs:
  exactly the single-stream decode terms of speed.py without the cache and the arithmetic.
- `t_kv(d)`: one sequence's cache read at depth d (kv_eta x bandwidth), so long contexts cost per stream.
- `t_dq`: the single-stream dequantise-and-multiply work (speed.py's dq_ops term); `t_matrix`: one token's
  FLOPs at the rate prompt processing reaches (the same matrix rate and compute_eff as prefill). While
  B x t_matrix < t_dq the step is bandwidth-bound and B streams cost little more than one; past it the step
  grows linearly with B and the aggregate throughput tends to the prefill rate: the compute-bound ceiling.

Prompts compete with generation: an engine that must also process B prompts of P tokens while the B streams
generate O tokens each spends B x t_prefill(P) of every O steps on them, so a user sees
`1 / (t_step + B x t_prefill(P) / O)` tokens per second on average. The first token comes after the prompt,
the step it joins, and the wait behind other users' prompts: with those taking a share rho of the engine's
time, rho / (2 (1 - rho)) prompt times on average (a single queue with fixed service time, M/D/1).
"""

from __future__ import annotations

from dataclasses import dataclass

from willitrun.estimate import constants as K
from willitrun.estimate.speed import Consts, Terms
from willitrun.estimate.types import Record


@dataclass(frozen=True, eq=False, repr=False)
class StepCost(Record):
    """Seconds of one decode step, split by what grows with the batch."""

    weights_s: float  # weight reads and fixed per-layer/per-token costs, once per step
    kv_s: float  # one sequence's cache read at the depth the terms were built for
    dq_s: float  # single-stream dequantise-and-multiply work
    matrix_s: float  # one token's FLOPs at the batched (prefill) matrix rate
    prefill_s_per_token: float  # prompt processing, seconds per prompt token

    def step(self, batch: int) -> float:
        """Seconds for one decode step of `batch` sequences (each producing one token)."""
        return self.weights_s + batch * self.kv_s + max(self.dq_s, batch * self.matrix_s)

    def scaled(self, share: float, extra_s: float = 0.0) -> StepCost:
        """A pipeline stage holding `share` of the layers (every term in proportion), plus `extra_s`."""
        return StepCost(
            self.weights_s * share + extra_s,
            self.kv_s * share,
            self.dq_s * share,
            self.matrix_s * share,
            self.prefill_s_per_token * share,
        )


def step_cost(decode: Terms, prefill: Terms, extra_s: float = 0.0, consts: Consts | None = None) -> StepCost:
    """The batched step from the single-stream decode terms (built at the depth wanted) and prefill terms.
    extra_s: per-token time beyond the terms (e.g. vLLM's all-reduces under tensor parallelism)."""
    cs = consts or K.BACKENDS
    weights = kv = dq = 0.0
    for part in decode.parts:
        c = cs.get(part.backend) or cs["vulkan"]
        bw = part.bandwidth_gbps * 1e9
        weights += part.read_bytes / (c.eta[decode.family] * bw) + part.layers * c.layer_s
        kv += part.kv_bytes / ((c.kv_eta if decode.flash_attention else c.kv_eta_nofa) * bw)
        dq += c.dq_ops[decode.family] * part.flops / 2 / (part.tflops * 1e12)
    lead = cs.get(decode.lead_backend) or cs["vulkan"]
    weights += lead.token_s + max(0, decode.gpus_used - 1) * lead.hop_s + extra_s
    matrix = 0.0
    pre_total = 0.0
    for part in prefill.parts:
        c = cs.get(part.backend) or cs["vulkan"]
        t_cmp = part.flops / (c.compute_eff[prefill.family] * part.tflops * 1e12)
        matrix += t_cmp
        t_mem = (part.read_bytes + part.kv_bytes * c.kq_bytes) / (part.bandwidth_gbps * 1e9)
        pre_total += t_cmp + t_mem + part.link_bytes / (K.PCIE_GBPS * 1e9)
    tokens = max(1, prefill.tokens)
    return StepCost(weights, kv, dq, matrix / tokens, pre_total / tokens)


# No calibration row covers batching: the range of a batched estimate is the backend's calibrated range
# widened by this much each way (the recorded batched runs, tests/data/capacity_runs.yaml, fall inside it).
BATCH_RANGE = (0.8, 1.25)


def batch_range(backend: str) -> tuple[float, float]:
    """(low, high) multipliers around a batched estimate on this backend."""
    lo, hi = K.backend(backend).range
    return lo * BATCH_RANGE[0], hi * BATCH_RANGE[1]


@dataclass(frozen=True, eq=False, repr=False)
class Load(Record):
    """What B users see at once: each one's decode speed, the total, and the wait for a first token."""

    users: int
    step_s: float
    per_user_tokens_per_s: float  # while generating, no prompt arriving
    aggregate_tokens_per_s: float
    per_user_effective_tokens_per_s: float  # with the other users' prompts processed in between
    aggregate_effective_tokens_per_s: float
    ttft_s: float
    limited_by: str  # "bandwidth" or "compute"


def load(
    cost: StepCost, users: int, prompt_tokens: int, output_tokens: int, *, stages: int = 1, hop_s: float = 0.0
) -> Load:
    """B users on one engine. stages > 1: a pipeline of that many equal stages (`cost` is one stage's) kept full
    with `stages` micro-batches of users/stages sequences each, `hop_s` per hand-over between stages."""
    micro = max(1, -(-users // stages))
    period = stages * cost.step(micro) + (stages - 1) * hop_s
    per_user = 1.0 / period
    prefill_s = prompt_tokens * cost.prefill_s_per_token * stages + (stages - 1) * hop_s
    eff_period = period + users * prefill_s / stages / max(1, output_tokens)
    # prompts queue for the engine: with the other users' prompts taking a share rho of its time, a new one
    # waits rho / (2 (1 - rho)) prompt times on average (a queue with fixed service time, M/D/1)
    rho = min(0.95, (users - 1) * prefill_s / (prefill_s + output_tokens * eff_period)) if users > 1 else 0.0
    ttft = prefill_s * (1 + rho / (2 * (1 - rho))) + period
    compute_bound = micro * cost.matrix_s > cost.dq_s and micro * cost.matrix_s > cost.weights_s
    return Load(
        users=users,
        step_s=period,
        per_user_tokens_per_s=per_user,
        aggregate_tokens_per_s=users * per_user,
        per_user_effective_tokens_per_s=1.0 / eff_period,
        aggregate_effective_tokens_per_s=users / eff_period,
        ttft_s=ttft,
        limited_by="compute" if compute_bound else "bandwidth",
    )
