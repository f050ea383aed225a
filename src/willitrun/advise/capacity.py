"""Serving many people: how many concurrent users a model serves on a machine (or several nodes), how fast each
one's answer streams, the total throughput, and the wait for a first token.

For 1, 2, 4, 8 ... users, until memory runs out: the KV cache caps how many sequences run at once (vLLM's paged
cache in what --gpu-memory-utilization leaves; llama.cpp's -np slots sharing -c; Ollama's OLLAMA_NUM_PARALLEL
slots of num_ctx each), and the batched step (estimate/batch.py) gives the speed. Across nodes, vLLM runs tensor
parallel inside a node and pipeline parallel across nodes (Ray); llama.cpp reaches the other nodes' GPUs through
its RPC backend. The engine's settings come back with the result, for render to print the commands.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from willitrun.estimate.batch import Load, StepCost, load, step_cost
from willitrun.estimate.cluster import (
    INTERCONNECTS,
    RPC_CALL_S,
    Interconnect,
    VllmServing,
    hop_seconds,
    vllm_serving,
)
from willitrun.estimate.types import GIB, Device, Machine, ModelSpec, Record, Runtime

MAX_USERS = 1024  # the most concurrent sequences looked at
VLLM_PREFERENCE = ("BF16", "FP8", "AWQ", "GPTQ")  # the highest precision that serves wins


@dataclass(frozen=True, eq=False, repr=False)
class CapacityRow(Record):
    users: int
    load: Load
    kv_cache_bytes: int  # the cache these users occupy (all GPUs)


@dataclass(frozen=True, eq=False, repr=False)
class NodeRole(Record):
    """What one node runs: its GPUs' share and the command to start it."""

    node: int
    role: str  # "head", "worker", "main", "rpc"
    gpus: int
    weights_bytes: int  # per GPU
    kv_cache_bytes: int  # per GPU
    capacity_bytes: int  # per GPU


@dataclass(frozen=True, eq=False, repr=False)
class Capacity(Record):
    model: ModelSpec
    machine: Machine  # one node
    runtime: Runtime
    quant: str
    nodes: int
    interconnect: Interconnect | None
    prompt_tokens: int
    output_tokens: int
    min_tokens_per_s: float
    fits: bool
    rows: tuple[CapacityRow, ...]
    max_users_memory: int  # the most sequences of prompt+output tokens memory holds at once
    max_users_at_floor: int  # the most users who each still get min_tokens_per_s (0: not even one)
    weights_bytes: int
    kv_tokens: int | None  # vLLM: tokens its cache holds
    tensor_parallel: int
    pipeline_parallel: int
    parallel_slots: int  # llama.cpp -np / OLLAMA_NUM_PARALLEL / vLLM --max-num-seqs in the command
    context_per_user: int
    roles: tuple[NodeRole, ...]
    notes: tuple[str, ...]
    at: Callable[[int], Load] | None = field(default=None, compare=False, repr=False)  # the load of n users


def load_at(c: Capacity, users: int) -> Load:
    """What `users` concurrent users see (whether or not memory holds them: for comparing with measured runs)."""
    if c.at is None:
        raise ValueError(f"{c.model.id} does not run here: no load to give")
    return c.at(users)


def _users_ladder(most: int, at: Callable[[int], Load], floor: float) -> list[int]:
    """1, 2, 4 ... up to what memory holds (and that number itself), stopping after the first count at which
    each user gets less than the floor: past it speed, not memory, has run out."""
    out, n = [], 1
    while n <= most:
        out.append(n)
        if at(n).per_user_effective_tokens_per_s < floor:
            return out
        n *= 2
    if out and out[-1] != most:
        out.append(most)
    return out


def _at_floor(cost_of: Callable[[int], Load], most: int, floor: float) -> int:
    """The largest n <= most whose per-user speed (prompts included) is at least floor (speed falls with n)."""
    if most < 1 or cost_of(1).per_user_effective_tokens_per_s < floor:
        return 0
    lo, hi = 1, most
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if cost_of(mid).per_user_effective_tokens_per_s >= floor:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _vllm_choice(
    m: ModelSpec, devs: tuple[Device, ...], quant: str | None, kv_type: str, nodes: int, depth: int, tokens: int
) -> VllmServing:
    if quant is not None:
        return vllm_serving(m, devs, quant, kv_type, nodes=nodes, depth=depth)
    tried = [vllm_serving(m, devs, f, kv_type, nodes=nodes, depth=depth) for f in VLLM_PREFERENCE]
    ok = [s for s in tried if s.fits and s.max_sequences(tokens) >= 1]
    return ok[0] if ok else tried[-1]


@dataclass(frozen=True, eq=False, repr=False)
class _Ask(Record):
    """One capacity question, passed whole to the engine that answers it."""

    model: ModelSpec
    machine: Machine
    runtime: Runtime
    quant: str | None
    kv_type: str
    nodes: int
    link: Interconnect | None
    prompt: int
    output: int
    floor: float


def _answer(
    a: _Ask,
    quant: str,
    at: Callable[[int], Load] | None,
    most: int,
    rows: tuple[CapacityRow, ...],
    notes: list[str] | tuple[str, ...],
) -> Capacity:
    """The Capacity for `a` with what every engine reports alike (engines `replace` their own fields)."""
    at_floor = _at_floor(at, most, a.floor) if at is not None else 0
    return Capacity(
        model=a.model,
        machine=a.machine,
        runtime=a.runtime,
        quant=quant,
        nodes=a.nodes,
        interconnect=a.link if a.nodes > 1 else None,
        prompt_tokens=a.prompt,
        output_tokens=a.output,
        min_tokens_per_s=a.floor,
        fits=most >= 1,
        rows=rows,
        max_users_memory=most,
        max_users_at_floor=at_floor,
        weights_bytes=0,
        kv_tokens=None,
        tensor_parallel=1,
        pipeline_parallel=1,
        parallel_slots=max(1, at_floor or min(most, 1)),
        context_per_user=a.prompt + a.output,
        roles=(),
        notes=tuple(notes),
        at=at,
    )


def _vllm(a: _Ask) -> Capacity:
    m, link = a.model, a.link
    gpus = tuple(d for d in a.machine.devices if d.backend in ("cuda", "rocm"))
    tokens = a.prompt + a.output
    depth = a.prompt + a.output // 2
    if not gpus:
        return _answer(a, a.quant or "BF16", None, 0, (), ("vLLM needs an NVIDIA or AMD GPU",))
    s = _vllm_choice(m, gpus, a.quant, a.kv_type, a.nodes, depth, tokens)
    most = s.max_sequences(tokens) if s.fits else 0
    hop = link if (link is not None and s.pp > 1) else None

    def at(n: int) -> Load:
        micro = max(1, -(-n // s.pp))
        return load(s.stage, n, a.prompt, a.output, stages=s.pp, hop_s=hop_seconds(hop, m, micro) if hop else 0.0)

    rows = tuple(
        CapacityRow(n, at(n), int(n * tokens * s.kv_bytes_per_token * s.gpus_used))
        for n in _users_ladder(most, at, a.floor)
    )
    roles = tuple(
        NodeRole(
            i + 1,
            "head" if i == 0 else "worker",
            s.tp,
            s.weights_per_gpu,
            max(0, s.kv_bytes_per_gpu),
            s.capacity_per_gpu,
        )
        for i in range(s.pp)
    )
    return replace(
        _answer(a, s.fmt, at if s.fits else None, most, rows, _vllm_notes(a, s, gpus, most)),
        nodes=s.pp,
        interconnect=link if s.pp > 1 else None,
        weights_bytes=s.weights_bytes,
        kv_tokens=s.kv_tokens,
        tensor_parallel=s.tp,
        pipeline_parallel=s.pp,
        roles=roles if s.pp > 1 else (),
    )


def _vllm_notes(a: _Ask, s: VllmServing, gpus: tuple[Device, ...], most: int) -> list[str]:
    """What the vLLM answer rests on: why it does not fit, what caps the batch, what more nodes bring."""
    m, link = a.model, a.link
    tokens = a.prompt + a.output
    notes: list[str] = []
    if not s.fits:
        notes.append(
            f"{s.fmt} weights need {s.weights_per_gpu / GIB:.1f} GiB per GPU of the "
            f"{s.capacity_per_gpu / GIB:.1f} GiB vLLM may use (--gpu-memory-utilization 0.9)"
        )
    elif most < 1:
        notes.append(f"the cache holds {s.kv_tokens:,} tokens, fewer than one request of {tokens}")
    if most == 256 and s.kv_tokens // max(1, tokens) > 256:
        notes.append("vLLM's --max-num-seqs (256) caps the batch before the cache does")
    if s.pp > 1:
        one = vllm_serving(m, gpus, s.fmt, a.kv_type, nodes=1, depth=a.prompt + a.output // 2)
        if one.fits and one.max_sequences(tokens) >= 1:
            notes.append(f"one node holds {s.fmt} too ({one.max_sequences(tokens)} users): more nodes add cache room")
        else:
            notes.append(
                f"one node cannot hold {s.fmt}: {one.weights_per_gpu / GIB:.1f} GiB of weights per GPU against "
                f"{one.capacity_per_gpu / GIB:.1f} GiB; over {s.pp} nodes each GPU holds "
                f"{s.weights_per_gpu / GIB:.1f} GiB"
            )
        if link is not None:
            notes.append(
                f"pipeline stages hand each step's activations over {link.what} ({link.gbps:g} GB/s, "
                f"{link.latency_s * 1e6:.0f} us assumed per message); capacity --interconnect changes it"
            )
    if m.is_moe:
        notes.append(
            "no measured run checks vLLM's mixture-of-experts decode: the routed experts' kernels add per-layer "
            "costs not counted here, so take the speeds as an upper bound"
        )
    if s.tp < len(gpus):
        notes.append(f"tensor parallel uses {s.tp} of {len(gpus)} GPUs (it must divide the attention heads)")
    return notes


def _cluster_machine(machine: Machine, nodes: int) -> Machine:
    """llama.cpp over RPC sees every node's GPUs as its own devices."""
    return replace(machine, devices=machine.devices * nodes)


def _most(fits: Callable[[int], bool]) -> int:
    """The largest n <= MAX_USERS with fits(n) (which holds up to some n and not beyond): doubling, then
    bisection; 0 when not even one fits."""
    if not fits(1):
        return 0
    lo, hi = 1, 2
    while hi <= MAX_USERS and fits(hi):
        lo, hi = hi, hi * 2
    hi = min(hi, MAX_USERS + 1)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if fits(mid) else (lo, mid)
    return lo


def _gguf(a: _Ask) -> Capacity:
    from willitrun.estimate.core import Request, estimate_option
    from willitrun.estimate.kv import kv_cache_bytes, pad
    from willitrun.estimate.placement import Placing, best_plan
    from willitrun.estimate.runtime import profile
    from willitrun.estimate.speed import decode_terms, prefill_terms
    from willitrun.estimate.tensors import active_parameter_count, weights_breakdown

    m, nodes, link, prompt, output = a.model, a.nodes, a.link, a.prompt, a.output
    q = a.quant or "Q4_K_M"
    whole = _cluster_machine(a.machine, nodes) if nodes > 1 else a.machine
    ctx = pad(prompt + output)
    w = weights_breakdown(m, q)
    active = float(active_parameter_count(m))
    rpc_s = (nodes - 1) * (2 * link.latency_s + RPC_CALL_S) if nodes > 1 and link is not None else 0.0

    def verdict(n: int) -> str:
        req = Request(quants=(q,), ctx=ctx, kv_type=a.kv_type, parallel=n, runtime=a.runtime, max_context=False)
        return estimate_option(m, whole, q, req, ctx, False).verdict

    cache: dict[int, StepCost] = {}

    def at(n: int) -> Load:
        if n not in cache:
            prof = profile(a.runtime, m)
            p = best_plan(Placing(m, w, whole, ctx, a.kv_type, n, prof))
            fa = prof.flash_attention
            dec = decode_terms(
                m, w, whole, p, kv_type=a.kv_type, depth=prompt + output // 2, active_params=active, flash_attention=fa
            )
            ptok = min(max(prompt, 1), 2048)
            pre = prefill_terms(m, w, whole, p, prompt_tokens=ptok, depth=0, active_params=active, flash_attention=fa)
            extra = rpc_s + (nodes - 1) * n * m.hidden * 4 / (link.gbps * 1e9) if link and nodes > 1 else 0.0
            cache[n] = step_cost(dec, pre, extra)
        return load(cache[n], n, prompt, output)

    most = _most(lambda n: verdict(n) == ("gpu" if whole.devices else "cpu"))
    rows = tuple(CapacityRow(n, at(n), kv_cache_bytes(m, ctx, a.kv_type, n)) for n in _users_ladder(most, at, a.floor))
    slots = max(1, _at_floor(at, most, a.floor) or min(most, 1))
    notes: list[str] = []
    if most == MAX_USERS:
        notes.append(f"memory holds at least {MAX_USERS} users; no more were looked at")
    if most == 0:
        why = "partly in system RAM" if verdict(1) == "partial" else "beyond GPU memory and RAM"
        notes.append(f"{q} at {ctx} tokens per user does not fit on the GPUs ({why}); try a smaller --quant")
    if a.runtime == "llama.cpp":
        notes.append(
            "llama-server batches every slot's next token into one step (continuous batching, -kvu: one "
            "cache shared by all slots)"
        )
    else:
        notes.append("Ollama gives each of OLLAMA_NUM_PARALLEL slots its own num_ctx of cache")
    roles: tuple[NodeRole, ...] = ()
    if nodes > 1:
        per_dev = max(1, len(whole.devices))
        cap = a.machine.devices[0].memory_bytes if a.machine.devices else 0
        kv_share = kv_cache_bytes(m, ctx, a.kv_type, slots) // per_dev
        role = ("main", "rpc")
        gpn = len(a.machine.devices)
        roles = tuple(NodeRole(i + 1, role[i > 0], gpn, w.total_bytes // per_dev, kv_share, cap) for i in range(nodes))
        notes.append(
            "llama.cpp's RPC backend runs the layers one device after another: more nodes add memory, "
            "not speed, and each remote node adds a network round trip to every step"
        )
    return replace(_answer(a, q, at, most, rows, notes), weights_bytes=w.total_bytes, context_per_user=ctx, roles=roles)


def capacity(
    m: ModelSpec,
    machine: Machine,
    *,
    runtime: Runtime = "vllm",
    quant: str | None = None,
    kv_type: str = "f16",
    prompt_tokens: int = 1024,
    output_tokens: int = 256,
    min_tokens_per_s: float = 10.0,
    nodes: int = 1,
    interconnect: str | None = None,
) -> Capacity:
    """How many users `m` serves on `machine` (one node's hardware; `nodes` identical ones)."""
    link = INTERCONNECTS[interconnect] if interconnect else None
    if nodes > 1 and link is None:
        from willitrun.estimate.cluster import DEFAULT_INTERCONNECT

        link = INTERCONNECTS[DEFAULT_INTERCONNECT]
    a = _Ask(m, machine, runtime, quant, kv_type, nodes, link, prompt_tokens, output_tokens, min_tokens_per_s)
    if runtime == "vllm":
        return _vllm(a)
    if runtime == "mlx":
        return _answer(a, quant or "4BIT", None, 0, (), ("capacity covers vllm, llama.cpp and ollama",))
    return _gguf(a)
