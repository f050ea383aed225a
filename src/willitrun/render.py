"""Turn results into JSON payloads (per ../shared/design/cli.md) and rich tables; the only place that formats units."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from willitrun.catalog.types import GpuSpec
from willitrun.estimate.core import Estimate
from willitrun.estimate.types import GIB, Machine, ModelSpec, Option

if TYPE_CHECKING:
    from willitrun.advise.rescue import Suggestion

VERDICT_WORDS = {
    "gpu": "GPU",
    "partial": "partial",
    "cpu": "CPU",
    "no": "no",
}
VERDICT_STYLE = {"gpu": "green", "partial": "yellow", "cpu": "cyan", "no": "red"}


def gib(n: int | float | None, digits: int = 1) -> str:
    if n is None:
        return "-"
    return f"{n / GIB:.{digits}f} GiB"


def short_ctx(n: int | None) -> str:
    if n is None:
        return "-"
    if n >= 1024 and n % 1024 == 0:
        return f"{n // 1024}k"
    if n >= 1000:
        return f"{n / 1024:.1f}k"
    return str(n)


def rate(v: float | None) -> str:
    if v is None:
        return "-"
    if v >= 100:
        return f"{v:,.0f}"
    if v >= 10:
        return f"{v:.0f}"
    return f"{v:.1f}"


def params_text(n: int | None) -> str:
    if not n:
        return "-"
    if n >= 1e9:
        return f"{n / 1e9:.1f}B" if n < 1e11 else f"{n / 1e9:.0f}B"
    return f"{n / 1e6:.0f}M"


# --- commands to run -------------------------------------------------------------------------------------


def gguf_name(m: ModelSpec, quant: str) -> str:
    if m.source.startswith("GGUF file "):
        return m.source[len("GGUF file ") :]  # the file itself
    base = (m.hf_repo or m.id).split("/")[-1]
    return f"{base}-{quant}.gguf"


def run_command(est: Estimate, o: Option) -> str | None:
    if o.verdict == "no":
        return None
    base = (est.model.hf_repo or est.model.id).split("/")[-1]
    if est.runtime == "vllm":
        repo = est.model.hf_repo or est.model.id
        cmd = f"vllm serve {repo if o.quant == 'BF16' else repo + '-' + o.quant}"
        cmd += f" --max-model-len {o.context}"
        n = len(o.placement)
        if n > 1:
            cmd += f" --tensor-parallel-size {n}"
        if est.kv_type not in ("f16", "bf16"):
            cmd += " --kv-cache-dtype fp8"
        return cmd
    if est.runtime == "mlx":
        suffix = "bf16" if o.quant == "BF16" else o.quant.lower()
        return f"mlx_lm.server --model mlx-community/{base}-{suffix}"
    if est.runtime == "ollama":
        return ollama_command(est, o)
    parts = ["llama-server", "-m", gguf_name(est.model, o.quant), "-ngl", str(o.gpu_layers)]
    if o.offload == "experts":
        parts += ["--n-cpu-moe", str(o.cpu_moe_layers)]
        gpus = o.placement[:-1]
        if len(gpus) > 1:
            # the layers whose experts stay in RAM are light: split by the planned layer counts, not evenly
            parts += ["-ts", ",".join(str(p.layers) for p in gpus)]
    parts += ["-c", str(o.context * est.parallel)]
    if est.parallel > 1:
        parts += ["-np", str(est.parallel)]
    if est.kv_type != "f16":
        parts += ["-fa", "on", "-ctk", est.kv_type, "-ctv", est.kv_type]
    return " ".join(parts)


def ollama_command(est: Estimate, o: Option) -> str | None:
    tag = est.model.ollama
    if not tag or o.verdict == "no" or est.runtime not in ("llama.cpp", "ollama"):
        return None
    default_quant = "MXFP4" if est.model.arch == "gpt-oss" else "Q4_K_M"
    if o.quant != default_quant:
        return None
    if est.runtime == "ollama" and not est.context_auto:
        return f"OLLAMA_CONTEXT_LENGTH={o.context} ollama run {tag}"
    return f"ollama run {tag}"


# --- JSON -------------------------------------------------------------------------------------------------


def machine_json(machine: Machine) -> dict[str, Any]:
    groups: list[dict[str, Any]] = []
    for d in machine.devices:
        if groups and groups[-1]["name"] == d.name and groups[-1]["memory_bytes"] == d.memory_bytes:
            groups[-1]["count"] += 1
            continue
        groups.append(
            {
                "name": d.name,
                "vendor": d.vendor,
                "backend": d.backend,
                "memory_bytes": d.memory_bytes,
                "free_bytes": d.free_bytes,
                "bandwidth_gbps": d.bandwidth_gbps,
                "fp16_tflops": d.fp16_tflops,
                "unified_memory": d.unified,
                "catalog_id": d.catalog_id,
                "count": 1,
                "desktop_bytes": d.desktop_bytes,
            }
        )
    return {
        "source": machine.source,
        "devices": groups,
        "ram_bytes": machine.ram_bytes,
        "ram_free_bytes": machine.ram_free_bytes,
        "ram_bandwidth_gbps": machine.ram_bandwidth_gbps,
        "unified_memory": machine.unified_memory,
        "cpu": {"name": machine.cpu.name, "cores": machine.cpu.cores, "threads": machine.cpu.threads},
        "gpu_margin_bytes": machine.gpu_margin_bytes if machine.devices else 0,
    }


def option_json(est: Estimate, o: Option, measured: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "quant": o.quant,
        "weights_bytes": o.weights_bytes,
        "kv_cache_bytes": o.kv_cache_bytes,
        "compute_bytes": o.compute_bytes,
        "overhead_bytes": o.overhead_bytes,
        "total_bytes": o.total_bytes,
        "verdict": o.verdict,
        "gpu_layers": o.gpu_layers,
        "layers": o.layers,
        "tokens_per_s": _round(o.tokens_per_s),
        "tokens_per_s_low": _round(o.tokens_per_s_low),
        "tokens_per_s_high": _round(o.tokens_per_s_high),
        "prefill_tokens_per_s": _round(o.prefill_tokens_per_s),
        "measured": measured or [],
        "max_context": o.max_context,
        "command": run_command(est, o),
        "notes": list(o.notes),
        # extensions beyond the contract
        "context": o.context,
        "bits_per_weight": round(o.bits_per_weight, 4),
        "ollama_command": ollama_command(est, o),
        "offload": o.offload,
        "n_cpu_moe": o.cpu_moe_layers,
        "gpu_left_bytes": o.gpu_left_bytes,
        "offload_choices": [
            {
                "mode": a.mode,
                "gpu_layers": a.gpu_layers,
                "n_cpu_moe": a.cpu_moe_layers,
                "fits": a.fits,
                "tokens_per_s": _round(a.tokens_per_s),
                "prefill_tokens_per_s": _round(a.prefill_tokens_per_s),
                "chosen": a.mode == o.offload,
            }
            for a in o.alternatives
        ],
        "placement": [
            {
                "device": p.name,
                "layers": p.layers,
                "weights_bytes": p.weights_bytes,
                "kv_cache_bytes": p.kv_cache_bytes,
                "compute_bytes": p.compute_bytes,
                "overhead_bytes": p.overhead_bytes,
                "total_bytes": p.total_bytes,
                "capacity_bytes": p.capacity_bytes,
                "margin_bytes": p.margin_bytes,
                "left_bytes": p.left_bytes,
            }
            for p in o.placement
        ],
    }


def suggestion_json(x: Suggestion) -> dict[str, Any]:
    return {
        "kind": x.kind,
        "text": x.text,
        "quant": x.quant,
        "context": x.context,
        "verdict": x.verdict,
        "tokens_per_s": _round(x.tokens_per_s),
        "ram_bytes": x.ram_bytes,
        "gpu_id": x.gpu_id,
        "gpu_count": x.gpu_count,
        "price_usd": x.price_usd,
    }


def _round(v: float | None) -> float | None:
    return None if v is None else round(v, 2)


def check_json(est: Estimate, measured: dict[str, list[dict[str, Any]]] | None = None) -> dict[str, Any]:
    m = est.model
    return {
        "model": {
            "id": m.id,
            "name": m.name,
            "params": m.params,
            "active_params": m.active_params,
            "layers": m.layers,
            "context_max": m.context_max,
            "source": m.source,
        },
        "hardware": machine_json(est.machine),
        "context": est.context,
        "runtime": est.runtime,
        "kv_cache": est.kv_type,
        "parallel": est.parallel,
        "options": [option_json(est, o, (measured or {}).get(o.quant)) for o in est.options],
        "recommended": est.recommended,
        "notes": list(est.notes) + list(est.machine.notes),
    }


def gpu_json(g: GpuSpec) -> dict[str, Any]:
    return {
        "id": g.id,
        "name": g.name,
        "vendor": g.vendor,
        "memory_bytes": int(g.memory_gib * GIB),
        "bandwidth_gbps": g.bandwidth_gbps,
        "fp16_tflops": g.fp16_tflops,
        "tdp_w": g.tdp_w,
        "unified_memory": g.unified_memory,
        "price_usd": g.price_usd,
        "price_kind": g.price_kind,
        "price_date": g.price_date,
        "aliases": list(g.aliases),
        "source": g.source,
        # extensions
        "kind": g.kind,
        "memory_options_bytes": [int(x * GIB) for x in g.memory_options_gib],
        "backends": list(g.backends),
        "laptop": g.laptop,
    }


def model_json(m: ModelSpec) -> dict[str, Any]:
    return {
        "id": m.id,
        "name": m.name,
        "params": m.params,
        "active_params": m.active_params,
        "layers": m.layers,
        "hidden": m.hidden,
        "heads": m.heads,
        "kv_heads": m.kv_heads,
        "head_dim": m.head_dim,
        "vocab": m.vocab,
        "context_max": m.context_max,
        "experts": m.experts,
        "experts_active": m.experts_active,
        "aliases": list(m.aliases),
        "source": m.source,
        # extensions
        "family": m.family,
        "arch": m.arch,
        "uses": list(m.uses),
        "ollama": m.ollama,
        "hf_repo": m.hf_repo,
        "license": m.license,
        "released": m.released,
    }


# --- people -----------------------------------------------------------------------------------------------


def machine_line(machine: Machine) -> str:
    parts: list[str] = []
    groups: list[tuple[str, int, int, float | None]] = []
    for d in machine.devices:
        if groups and groups[-1][0] == d.name and groups[-1][2] == d.memory_bytes:
            n, c, mem, bw = groups[-1]
            groups[-1] = (n, c + 1, mem, bw)
        else:
            groups.append((d.name, 1, d.memory_bytes, d.bandwidth_gbps))
    for name, count, mem, bw in groups:
        pre = f"{count}x " if count > 1 else ""
        bwt = f", {bw:g} GB/s" if bw else ""
        parts.append(f"{pre}{name} ({gib(mem)}{bwt})")
    ram = f"{gib(machine.ram_bytes, 0)} RAM"
    if not machine.devices:
        parts.append(f"CPU only: {machine.cpu.name}, {machine.cpu.cores} cores")
    parts.append(ram)
    return " + ".join(parts) + f" [{machine.source}]"


def check_table(est: Estimate, *, color: bool) -> Any:
    from rich import box
    from rich.table import Table

    gpus = bool(est.machine.devices)
    # collapsed padding and the box's divider: two spaces between columns, so that eleven fit 80 columns
    t = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False, expand=False, padding=(0, 1), collapse_padding=True)
    for name, right in (
        ("Quant", False),
        ("File", True),
        ("Total", True),
        *((("Left", True),) if gpus else ()),
        ("Runs", False),
        ("-ngl", True),
        ("tok/s", True),
        ("range", True),
        ("pp512", True),
        ("ctx max", True),
    ):
        t.add_column(name, justify="right" if right else "left", no_wrap=True)
    for o in est.options:
        verdict = VERDICT_WORDS[o.verdict]
        if color:
            verdict = f"[{VERDICT_STYLE[o.verdict]}]{verdict}[/]"
        rng = "-"
        if o.tokens_per_s_low is not None and o.tokens_per_s_high is not None:
            rng = f"{rate(o.tokens_per_s_low)}-{rate(o.tokens_per_s_high)}"
        quant = o.quant + (" *" if o.quant == est.recommended else "")
        left = o.gpu_left_bytes
        ngl = f"{o.gpu_layers}/{o.layers}" if gpus else "-"
        if o.offload == "experts":
            ngl = f"moe {o.cpu_moe_layers}"
        t.add_row(
            quant,
            f"{o.weights_bytes / GIB:.1f}",
            f"{o.total_bytes / GIB:.1f}",
            *((f"{left / GIB:.1f}" if left is not None and o.verdict != "no" else "-",) if gpus else ()),
            verdict,
            ngl,
            rate(o.tokens_per_s),
            rng,
            rate(o.prefill_tokens_per_s),
            short_ctx(o.max_context),
        )
    return t


def term_markdown(t: Any) -> Any:
    """A glossary entry for the terminal: headings, paragraphs, a code block to try."""
    from rich.markdown import Markdown

    related = ", ".join(f"`{r}`" for r in t.related)
    text = (
        f"# {t.title}\n\n*{t.category}*\n\n{t.definition}\n\n## In depth\n\n{t.details}\n\n"
        f"## Example\n\n{t.example}\n\n## Try it\n\n```bash\n{t.workflow}\n```\n"
    )
    if related:
        text += f"\nRelated: {related} (willitrun explain TERM)\n"
    return Markdown(text, code_theme="ansi_dark")
