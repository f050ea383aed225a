"""Turn results into JSON payloads (per ../shared/design/cli.md) and rich tables; the only place that formats units."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from willitrun.catalog.types import GpuSpec
from willitrun.estimate.core import Estimate
from willitrun.estimate.types import GGUF_RUNTIMES, GIB, Machine, ModelSpec, Option

if TYPE_CHECKING:
    from rich.table import Table

    from willitrun.advise.best_gpu import Ranked
    from willitrun.advise.capacity import Capacity
    from willitrun.advise.check import CheckResult
    from willitrun.advise.compare import Column
    from willitrun.advise.cost import CostReport
    from willitrun.advise.installed import Installed
    from willitrun.advise.plot import SpeedCurve
    from willitrun.advise.recommend import Pick
    from willitrun.advise.rescue import Suggestion
    from willitrun.catalog.measured import Measured
    from willitrun.hardware.backends import SeenBackend
    from willitrun.knowledge.glossary import Term
    from willitrun.knowledge.troubleshoot import Diagnosis
    from willitrun.terminal import Terminal

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


def gguf_name(est: Estimate, quant: str) -> str:
    """The file llama.cpp is told to load: the user's own file, or the name a download of this quantization has."""
    if est.model_file:
        return est.model_file
    base = (est.model.hf_repo or est.model.id).split("/")[-1]
    return f"{base}-{quant}.gguf"


# the quantizations the GGUF publishers the catalog names (bartowski, unsloth) upload for nearly every model; the
# float files and the legacy or rare types vary, so those get the -m form and a note
PUBLISHED_MIXES = frozenset(
    {"Q8_0", "Q6_K", "Q5_K_M", "Q5_K_S", "Q4_K_M", "Q4_K_S", "Q4_0", "IQ4_XS", "IQ4_NL"}
    | {"Q3_K_L", "Q3_K_M", "Q3_K_S", "IQ3_M", "IQ3_XXS", "Q2_K", "IQ2_M"}
)


def _base_repo(est: Estimate) -> str:
    return est.model.hf_repo or est.model.id


def _gguf_tag(est: Estimate, quant: str) -> str | None:
    """`repo:QUANT` for llama.cpp's -hf and Ollama's hf.co/ names, where the catalog names a GGUF repo that holds
    this quantization (a repo of the natively MXFP4 gpt-oss holds only the MXFP4 file)."""
    repo = est.model.gguf_repo
    if repo is None or est.model_file:
        return None
    if est.model.arch == "gpt-oss":
        return f"{repo}:{quant}" if quant == "MXFP4" else None
    return f"{repo}:{quant}" if quant in PUBLISHED_MIXES else None


def _vllm_model(est: Estimate, quant: str) -> tuple[str, list[str]]:
    """The checkpoint vLLM serves for a format, and its extra flags."""
    repos = dict(est.model.vllm_repos)
    if quant in repos:
        return repos[quant], []
    base = _base_repo(est)
    if quant == "BF16":
        return base, []
    if quant == "FP8":  # vLLM quantizes the BF16 weights to FP8 as it loads them
        return base, ["--quantization", "fp8"]
    return f"./{base.split('/')[-1]}-{quant}", []


def _mlx_model(est: Estimate, quant: str) -> tuple[str, str | None]:
    """The model mlx_lm.server loads, and the conversion that makes it when no ready repo is known."""
    repos = dict(est.model.mlx_repos)
    if quant in repos:
        return repos[quant], None
    base = _base_repo(est)
    if quant == "BF16":
        return base, None
    bits = quant.removesuffix("BIT")
    folder = f"{base.split('/')[-1]}-{bits}bit"
    return folder, f"mlx_lm.convert --hf-path {base} -q --q-bits {bits} --mlx-path {folder}"


def run_command(est: Estimate, o: Option) -> str | None:
    """The command that runs this option as printed: ready repos where the catalog names them (sourced), the
    local file, or a conversion step; never a repo name made up from the model's."""
    if o.verdict == "no":
        return None
    if est.runtime == "vllm":
        model, flags = _vllm_model(est, o.quant)
        parts = ["vllm serve", model, *flags, "--max-model-len", str(o.context)]
        n = len([p for p in o.placement if p.name != "RAM"])
        if n > 1:
            parts += ["--tensor-parallel-size", str(n)]
        if est.kv_type not in ("f16", "bf16"):
            parts += ["--kv-cache-dtype", "fp8"]
        return " ".join(parts)
    if est.runtime == "mlx":
        model, convert = _mlx_model(est, o.quant)
        serve = f"mlx_lm.server --model {model}"
        return f"{convert} && {serve}" if convert else serve
    if est.runtime == "ollama":
        return ollama_command(est, o)
    tag = _gguf_tag(est, o.quant)
    parts = ["llama-server", *(("-hf", tag) if tag else ("-m", gguf_name(est, o.quant))), "-ngl", str(o.gpu_layers)]
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


def _default_ollama_quant(est: Estimate) -> str:
    return "MXFP4" if est.model.arch == "gpt-oss" else "Q4_K_M"


def ollama_command(est: Estimate, o: Option) -> str | None:
    """`ollama run NAME`: the library tag the catalog lists for this quantization, else the default tag for the
    quantization the catalog takes it to be, else the GGUF repo as `hf.co/REPO:QUANT` (Ollama pulls GGUF files
    from Hugging Face by that name). An explicit tag wins over the default one: the library made its older
    defaults at Q4_0, so `codellama:7b` is not the Q4_K_M file."""
    if o.verdict == "no" or est.runtime not in GGUF_RUNTIMES or est.model_file:
        return None
    tags = dict(est.model.ollama_tags)
    name: str | None = None
    if o.quant in tags:
        name = tags[o.quant]
    elif est.model.ollama and o.quant == _default_ollama_quant(est):
        name = est.model.ollama
    else:
        tag = _gguf_tag(est, o.quant)
        name = f"hf.co/{tag}" if tag else None
    return f"ollama run {name}" if name else None


def command_notes(est: Estimate, o: Option) -> list[str]:
    """What the command needs besides itself: where a file comes from, how Ollama takes a context."""
    if o.verdict == "no":
        return []
    m = est.model
    notes: list[str] = []
    if est.runtime == "ollama":
        if ollama_command(est, o) is None:
            notes.append(
                f"Ollama has no name for {m.id} {o.quant} in the catalog: import a GGUF file of it with a "
                "Modelfile (FROM ./FILE.gguf, then ollama create)"
            )
        if not est.context_auto:
            notes.append(
                f"context {o.context}: in the session, /set parameter num_ctx {o.context}; or start the server "
                f"with OLLAMA_CONTEXT_LENGTH={o.context} ollama serve"
            )
    elif est.runtime == "vllm":
        if o.quant not in dict(m.vllm_repos) and o.quant in ("AWQ", "GPTQ"):
            notes.append(
                f"the catalog names no {o.quant} checkpoint of {m.id}: make one from {_base_repo(est)} (llm-compressor "
                f"or AutoAWQ/GPTQModel) or take one from Hugging Face, and give vllm serve its folder or repo id"
            )
    elif est.runtime == "mlx":
        if o.quant != "BF16" and o.quant not in dict(m.mlx_repos):
            notes.append(f"the catalog names no ready MLX {o.quant.lower()} repo of {m.id}: mlx_lm.convert makes one")
    elif not est.model_file and _gguf_tag(est, o.quant) is None:
        where = f"the catalog names no GGUF repo of {m.id}"
        if m.gguf_repo:
            where = f"{m.gguf_repo} may not hold {o.quant}"
        notes.append(
            f"{where}: download a {o.quant} GGUF of {_base_repo(est)} from Hugging Face (or make one with "
            "llama-quantize) and give its path to -m"
        )
    return notes


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
                "alternatives": [{"id": i, "name": n, "memory_bytes": b} for i, n, b in d.alternatives],
            }
        )
    return {
        "source": machine.source,
        "devices": groups,
        "ram_bytes": machine.ram_bytes,
        "ram_free_bytes": machine.ram_free_bytes,
        "ram_bandwidth_gbps": machine.ram_bandwidth_gbps,
        "ram_bandwidth_how": machine.ram_bandwidth_how,
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
        "command_notes": command_notes(est, o),
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
        **price_fields(g),
    }


def price_fields(g: GpuSpec) -> dict[str, Any]:
    """Launch date and price (history), and the dated street and used prices with their sources."""
    from willitrun.catalog.prices import is_stale

    return {
        "launched": g.launched,
        "launch_price_usd": g.launch_price_usd,
        "price_source": g.price_source,
        "price_stale": is_stale(g.price_date) if g.price_usd else None,
        "used_price_usd": g.used_price_usd,
        "used_price_date": g.used_price_date,
        "used_price_source": g.used_price_source,
        "used_price_stale": is_stale(g.used_price_date) if g.used_price_usd else None,
        "used_price_refurbished": g.used_refurbished if g.used_price_usd else None,
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
        "gguf_repo": m.gguf_repo,
        "vllm_repos": dict(m.vllm_repos),
        "mlx_repos": dict(m.mlx_repos),
        "ollama_tags": dict(m.ollama_tags),
        "repos_source": m.repos_source,
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


def check_table(est: Estimate, *, color: bool) -> Table:
    from rich import box
    from rich.table import Table
    from rich.text import Text

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
        verdict = Text(VERDICT_WORDS[o.verdict], style=VERDICT_STYLE[o.verdict] if color else "")
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


def print_term(term: Terminal, t: Term) -> None:
    """A glossary entry: prose wrapped to the width at spaces, list items indented under their dash, the commands
    to try each on one whole line (never wrapped, nothing padded), so each pastes as it is."""
    term.line(t.title, style="bold")
    term.line(t.category, style="italic")
    term.line()
    _paragraphs(term, t.definition)
    for head, body in (("In depth", t.details), ("Example", t.example)):
        term.line()
        term.line(head, style="bold")
        _paragraphs(term, body)
    term.line()
    term.line("Try it", style="bold")
    for cmd in t.workflow.strip().splitlines():
        term.line(f"  {cmd}" if cmd.strip() else "")
    if t.related:
        term.line()
        term.wrap("Related: " + ", ".join(t.related) + " (willitrun explain TERM)")


def _paragraphs(term: Terminal, text: str) -> None:
    for k, para in enumerate(p for p in text.strip().split("\n\n") if p.strip()):
        if k:
            term.line()
        for item in _items(para):
            if item.startswith(("- ", "* ")):
                term.bullet(item[2:], depth=0)
            else:
                term.wrap(item)


def _items(para: str) -> list[str]:
    """A paragraph's lines joined into sentences, a line starting with a dash beginning a new list item."""
    out: list[str] = []
    for line in para.strip().splitlines():
        s = line.strip()
        if out and not s.startswith(("- ", "* ")):
            out[-1] += " " + s
        else:
            out.append(s)
    return out


# --- check ------------------------------------------------------------------------------------------------


def measured_json(r: Measured) -> dict[str, Any]:
    return {
        "tokens_per_s": r.tokens_per_s,
        "metric": r.metric,
        "hardware": f"{r.count}x {r.hardware}" if r.count > 1 else r.hardware,
        "source": r.source,
        "test": r.test,
    }


def check_result_json(r: CheckResult, curve: SpeedCurve | None = None) -> dict[str, Any]:
    measured = {q: [measured_json(x) for x in rows] for q, rows in r.measured.items()}
    out = {**check_json(r.est, measured), "if_nothing_runs": [suggestion_json(x) for x in r.rescue]}
    if curve is not None:
        out["speed_by_context"] = {
            "quant": curve.quant,
            "points": [
                {
                    "context": p.context,
                    "tokens_per_s": _round(p.tokens_per_s),
                    "prefill_tokens_per_s": _round(p.prefill_tokens_per_s),
                    "time_to_first_token_s": _round(p.ttft_s),
                }
                for p in curve.points
            ],
        }
    return out


def _speed_words(tps: float | None) -> str:
    if tps is None:
        return ""
    return f"{tps:.0f} tok/s" if tps >= 10 else f"{tps:.1f} tok/s"


def print_check(term: Terminal, r: CheckResult, curve: SpeedCurve | None = None) -> None:
    est = r.est
    m = est.model
    ctx_text = f"context {est.context}" + (" (model default, fitted per option)" if est.context_auto else "")
    active = f", {params_text(m.active_params)} active" if m.active_params else ""
    term.wrap(f"{m.name} ({m.id}): {params_text(m.params)} params{active}, {m.layers} layers")
    term.wrap(f"on {machine_line(est.machine)}; {ctx_text}; {est.runtime}")
    term.show(check_table(est, color=term.color))
    term.line("sizes in GiB; tok/s = generation, pp512 = prompt tokens/s; * = recommended")
    if est.machine.devices:
        keep = est.machine.gpu_margin_bytes / GIB
        term.line(f"Left = GPU memory still free once loaded (plans keep {keep:.1f} GiB: explain headroom)")
    print_memory_bars(term, est)
    rec = next((o for o in est.options if o.quant == est.recommended), None)
    if rec is not None:
        speed = _speed_words(rec.tokens_per_s)
        term.wrap(f"Recommended: {rec.quant} ({gib(rec.total_bytes)}, {rec.verdict}, {speed}, context {rec.context})")
        cmd = run_command(est, rec)
        if cmd:
            term.line(f"Run: {cmd}")
        oc = ollama_command(est, rec)
        if oc and oc != cmd:
            term.line(f" or: {oc}")
        for n in (*command_notes(est, rec), *rec.notes):
            term.bullet(n)
        print_speed_plot(term, curve)
    else:
        _print_nothing_runs(term, r)
    _print_measured(term, r)
    for n in (*est.notes, *est.machine.notes):
        term.note(n)


# memory bars: one character per slice of the card, weights, KV cache, compute buffers, the margin kept free
_BAR_PARTS = (("#", "weights", "green"), ("k", "KV cache", "cyan"), ("c", "compute", "magenta"))
_BAR_KEEP = (":", "kept free", "yellow")
_BAR_FREE = (".", "free", "dim")


def bar_cells(parts: list[int], capacity: int, width: int) -> list[int]:
    """Cells per part on a bar `width` wide for `capacity` bytes: rounded so that the cells add up exactly to
    the parts' share of the bar (a part that is there gets at least one cell)."""
    if capacity <= 0 or width <= 0:
        return [0 for _ in parts]
    cells: list[int] = []
    used = 0.0
    for b in parts:
        start = round(used / capacity * width)
        used += max(0, b)
        n = min(width, round(used / capacity * width)) - start
        cells.append(max(n, 1 if b > 0 and start < width else 0))
    over = sum(cells) - width
    while over > 0:  # the at-least-one cells may overflow: take them back from the largest part
        i = cells.index(max(cells))
        cells[i] -= 1
        over -= 1
    return cells


def _memory_line(o: Option, width: int) -> list[tuple[str, str | None]] | None:
    gpus = [p for p in o.placement if p.name != "RAM"]
    ram = next((p for p in o.placement if p.name == "RAM"), None)
    shown = [p for p in gpus if p.total_bytes > 0] or gpus or ([ram] if ram else [])
    if not shown:
        return None
    cap = sum(p.capacity_bytes for p in shown)
    keep = sum(p.margin_bytes for p in shown)
    sizes = [sum(p.weights_bytes for p in shown), sum(p.kv_cache_bytes for p in shown)]
    sizes.append(sum(p.compute_bytes + p.overhead_bytes for p in shown))
    sizes.append(min(keep, max(0, cap - sum(sizes))))
    cells = bar_cells(sizes, cap, width)
    out: list[tuple[str, str | None]] = [(f"  {o.quant:<8} [", None)]
    for (ch, _, style), n in zip((*_BAR_PARTS, _BAR_KEEP), cells, strict=True):
        out.append((ch * n, style))
    out.append((_BAR_FREE[0] * max(0, width - sum(cells)), _BAR_FREE[2]))
    used = sum(p.total_bytes for p in shown)
    tail = f"] {used / GIB:4.1f}/{cap / GIB:.1f}"
    if gpus and ram is not None and ram.total_bytes > 0:
        tail += f" +{ram.total_bytes / GIB:.1f} RAM"
    out.append((tail, None))
    return out


def print_memory_bars(term: Terminal, est: Estimate) -> None:
    """Per option that runs, memory against the card(s) (system RAM where no GPU is used), and beside it what
    stays in system RAM; left out where the terminal is too narrow for a readable bar."""
    width = min(40, term.width - 34)
    rows = [o for o in est.options if o.verdict != "no"]
    if width < 12 or not rows:
        return
    on = "the GPUs" if len(est.machine.devices) > 1 else "the GPU" if est.machine.devices else "system RAM"
    legend = "  ".join(f"{ch} {name}" for ch, name, _ in (*_BAR_PARTS, _BAR_KEEP, _BAR_FREE))
    term.line(f"Memory on {on}, GiB ({legend}):")
    for o in rows:
        line = _memory_line(o, width)
        if line:
            term.segments(line)


def print_speed_plot(term: Terminal, curve: SpeedCurve | None) -> None:
    """Decode speed and time to first token against context, as two bar columns (one row per depth)."""
    if curve is None or not curve.points:
        return
    pts = curve.points
    top_tps = max((p.tokens_per_s or 0.0) for p in pts)
    top_ttft = max((p.ttft_s or 0.0) for p in pts)
    w = max(8, min(26, (term.width - 32) // 2))
    fill = "█" if term.color else "#"
    term.line(f"Speed against context ({curve.quant}, {curve.runtime}; estimates at each depth):")
    term.line(f"  {'context':>7}  {'decode tok/s':<{w + 7}}  time to first token")
    for p in pts:
        tps = p.tokens_per_s or 0.0
        a = round(tps / top_tps * w) if top_tps else 0
        b = round((p.ttft_s or 0.0) / top_ttft * w) if top_ttft else 0
        ttft = "-" if p.ttft_s is None else f"{p.ttft_s:.1f} s" if p.ttft_s < 100 else f"{p.ttft_s:,.0f} s"
        term.segments(
            [
                (f"  {short_ctx(p.context) if p.context else '0':>7}  ", None),
                (fill * a, "green"),
                (" " * (w - a) + f" {rate(p.tokens_per_s):>6}  ", None),
                (fill * b, "yellow"),
                (" " * (w - b) + f" {ttft:>7}", None),
            ]
        )
    term.line("  (first token: a prompt that long; decode: with that much already in the cache)")


def _print_nothing_runs(term: Terminal, r: CheckResult) -> None:
    term.line("Nothing runs on this machine.")
    shown = r.est.options[-1] if r.est.options else None
    if shown is not None:
        for n in shown.notes:
            term.bullet(n)
    if r.rescue:
        term.line("What would run:")
        for x in r.rescue:
            term.bullet(x.text)
    else:
        term.line("Try a smaller model, a smaller --ctx, or more memory.")


def _print_measured(term: Terminal, r: CheckResult) -> None:
    shown = [q for q in (o.quant for o in r.est.options) if q in r.measured]
    if not shown:
        return
    term.line("Measured on this hardware (llama-bench, beside the estimate, not in it):")
    srcs: set[str] = set()
    for q in shown:
        rows = r.measured[q]
        tg = ", ".join(f"{x.tokens_per_s:.1f} tok/s {x.test}" for x in rows if x.metric == "tg")
        pp = ", ".join(f"{x.tokens_per_s:,.0f} {x.test}" for x in rows if x.metric == "pp")
        srcs |= {x.source.split(":")[0] for x in rows}
        term.wrap(f"{q}: {'; '.join(t for t in (tg, pp) if t)}", indent="    ", first="  ")
    term.line(f"  source: {', '.join(sorted(srcs))}")


# --- detect -----------------------------------------------------------------------------------------------


def detect_json(machine: Machine, notes: list[str], backends: tuple[SeenBackend, ...] = ()) -> dict[str, Any]:
    import platform

    return {
        "devices": [
            {
                "name": d.name,
                "vendor": d.vendor,
                "backend": d.backend,
                "memory_bytes": d.memory_bytes,
                "free_bytes": d.free_bytes,
                "bandwidth_gbps": d.bandwidth_gbps,
                "driver": d.driver,
                "catalog_id": d.catalog_id,
                "how": d.how,
                "fp16_tflops": d.fp16_tflops,
                "unified_memory": d.unified,
                "pci_id": d.pci_id,
                "details": dict(d.details),
            }
            for d in machine.devices
        ],
        "ram_bytes": machine.ram_bytes,
        "ram_free_bytes": machine.ram_free_bytes,
        "ram_bandwidth_gbps": machine.ram_bandwidth_gbps,
        "ram_bandwidth_how": machine.ram_bandwidth_how,
        "cpu": {
            "name": machine.cpu.name,
            "cores": machine.cpu.cores,
            "threads": machine.cpu.threads,
            "flags": list(machine.cpu.flags),
            "catalog_id": machine.cpu.catalog_id,
        },
        "unified_memory": machine.unified_memory,
        "os": platform.system(),
        "backends": [{"name": b.name, "how": b.how} for b in backends],
        "notes": notes + list(machine.notes),
    }


def print_detect(
    term: Terminal, machine: Machine, measured_note: str | None, backends: tuple[SeenBackend, ...] = ()
) -> None:
    for d in machine.devices:
        bw = f"{d.bandwidth_gbps:g} GB/s" if d.bandwidth_gbps else "bandwidth unknown"
        kind = " (unified memory)" if d.unified else ""
        term.line(f"GPU: {d.name}{kind}")
        term.line(f"     {gib(d.memory_bytes)} total, {gib(d.free_bytes)} free, {bw}, {d.backend}")
        term.line(f"     {d.how}")
        if d.details:
            term.line("     " + ", ".join(f"{k} {v}" for k, v in d.details))
    c = machine.cpu
    known = f" (CPU catalog: {c.catalog_id})" if c.catalog_id else ""
    term.wrap(
        f"CPU: {c.name}{known}: {c.cores} cores, {c.threads} threads; SIMD: {' '.join(c.flags) or '-'}", indent="     "
    )
    term.line(f"RAM: {gib(machine.ram_bytes)} ({gib(machine.ram_free_bytes)} available)")
    term.line(f"     {machine.ram_bandwidth_gbps:.1f} GB/s: {machine.ram_bandwidth_how}")
    if backends:
        term.line("Backends llama.cpp can use here: " + ", ".join(b.name for b in backends))
        for b in backends:
            if b.name != "cpu":
                term.line(f"     {b.name}: {b.how}")
    if measured_note:
        term.line(measured_note)
    for n in machine.notes:
        term.note(n)


# --- catalogs ---------------------------------------------------------------------------------------------


def _catalog_table(ids: list[str]) -> Table:
    """A catalog listing: the Id column as wide as the longest id (people type them; never cut), the others
    narrower or wrapped to fit the width."""
    from rich import box
    from rich.table import Table

    t = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False, collapse_padding=True)
    t.add_column("Id", no_wrap=True, min_width=max((len(i) for i in ids), default=2))
    return t


def models_table(items: list[ModelSpec]) -> Table:
    t = _catalog_table([m.id for m in items])
    for col in ("Params", "Active", "Context"):
        t.add_column(col, no_wrap=True, justify="right")
    t.add_column("Uses", overflow="fold", ratio=1)
    for m in items:
        t.add_row(
            m.id,
            params_text(m.params),
            params_text(m.active_params) if m.active_params else "",
            f"{m.context_max // 1024}k" if m.context_max >= 1024 else str(m.context_max),
            " ".join(m.uses),
        )
    return t


def gpus_table(items: list[GpuSpec]) -> Table:
    t = _catalog_table([g.id for g in items])
    for col in ("Memory", "GB/s", "FP16"):
        t.add_column(col, no_wrap=True, justify="right")
    t.add_column("Price", justify="right", ratio=1)
    for g in items:
        price = f"${g.price_usd:,.0f} {g.price_kind} {g.price_date[:7]}" if g.price_usd and g.price_date else "-"
        top = max((g.memory_gib, *g.memory_options_gib))
        mem = f"{g.memory_gib:g}" + (f"-{top:g}" if top > g.memory_gib else "") + " GB"
        t.add_row(g.id, mem, f"{g.bandwidth_gbps:g}", f"{g.fp16_tflops:.0f}", price)
    return t


def print_models(term: Terminal, items: list[ModelSpec], total: int, as_json: bool) -> None:
    """`models`: the filtered catalog as a table (or JSON under {"models": [...]})."""
    if as_json:
        term.json({"models": [model_json(m) for m in items]})
    else:
        _listing(term, models_table(items) if items else None, "model", len(items), total)


def print_gpus(term: Terminal, items: list[GpuSpec], total: int, as_json: bool) -> None:
    """`gpus`: the filtered catalog as a table (or JSON under {"gpus": [...]})."""
    if as_json:
        term.json({"gpus": [gpu_json(g) for g in items]})
    else:
        _listing(term, gpus_table(items) if items else None, "GPU", len(items), total)


def _listing(term: Terminal, table: Table | None, what: str, shown: int, total: int) -> None:
    if table is None:
        term.note(f"no {what} matches; try fewer filters ('willitrun {what.lower()}s' lists all)")
        return
    term.show(table)
    term.note(f"{shown} of {total} {'models' if what == 'model' else 'entries'}")


# --- knowledge --------------------------------------------------------------------------------------------


def term_json(t: Term) -> dict[str, Any]:
    return {
        "id": t.id,
        "title": t.title,
        "category": t.category,
        "definition": t.definition,
        "details": t.details,
        "example": t.example,
        "workflow": t.workflow,
        "related": list(t.related),
        "aliases": list(t.aliases),
    }


def print_term_list(term: Terminal, terms: list[Term]) -> None:
    from willitrun.knowledge.glossary import CATEGORIES

    for cat in CATEGORIES:
        items = [t for t in terms if t.category == cat]
        if items:
            term.line(f"{cat} ({len(items)})", style="bold")
            for t in items:
                term.line(f"  {t.id:28s} {t.title}")


def diagnosis_json(d: Diagnosis) -> dict[str, Any]:
    f = d.facts
    return {
        "matches": [
            {
                "id": m.problem.id,
                "title": m.problem.title,
                "confidence": m.confidence,
                "cause": m.problem.cause,
                "fixes": d.fixes(m),
                "evidence": [e for _, e in m.evidence],
                "evidence_lines": [n for n, _ in m.evidence],
                "count": m.count,
                "related": list(m.problem.related),
            }
            for m in d.matches
        ],
        "log": {"model_file": f.file, "model": f.name, "context": f.ctx, "quant": f.quant},
    }


def print_diagnosis(term: Terminal, d: Diagnosis) -> None:
    if not d.matches:
        term.line("No known problem matched.")
        term.line("Paste the last 50 lines of the log (errors are often a few lines above the end), or run")
        term.line("'willitrun check MODEL' to see whether the model fits this machine at all.")
        return
    for k, m in enumerate(d.matches[:5]):
        p = m.problem
        if k:
            term.line()
        term.line(f"{k + 1}. {p.title}  [{p.id}, confidence {m.confidence:.0%}]", style="bold")
        for n, line in m.evidence:
            term.line(f"   line {n}: {line[:160]}")
        term.wrap(f"Cause: {p.cause}", indent="   ")
        for i, fix in enumerate(d.fixes(m), 1):
            term.wrap(fix, indent="      ", first=f"   {i}. ")
        if p.related:
            term.line("   See: " + ", ".join(f"willitrun explain {r}" for r in p.related[:3]))
    if len(d.matches) > 5:
        term.line(f"... and {len(d.matches) - 5} weaker matches (--json lists all)")


# --- advice -----------------------------------------------------------------------------------------------


def pick_json(p: Pick, *, score: bool = False) -> dict[str, Any]:
    o = p.option
    return {
        "id": p.model.id,
        "name": p.model.name,
        "quant": o.quant,
        "verdict": o.verdict,
        "tokens_per_s": round(o.tokens_per_s or 0, 2),
        "total_bytes": o.total_bytes,
        "gpu_left_bytes": o.gpu_left_bytes,
        "offload": o.offload,
        **({"score": round(p.score, 3)} if score else {}),
        "benchmark": p.benchmark,
        "why": p.why,
    }


def recommend_json(machine: Machine, picks: dict[str, list[Pick]], min_tps: float, ctx: int) -> dict[str, Any]:
    return {
        "hardware": machine_json(machine),
        "min_tokens_per_s": min_tps,
        "context": ctx,
        "uses": {u: [pick_json(p) for p in rows] for u, rows in picks.items()},
    }


_WHERE = {"gpu": "all on GPU", "partial": "GPU + RAM", "cpu": "CPU only", "no": "does not run"}


def print_picks(term: Terminal, picks: dict[str, list[Pick]], min_tps: float, ctx: int) -> None:
    """Per use, one aligned row per pick (id, size class, quantization, speed, where it runs), and below it the
    published result where one ranked it; every column the same width in every use."""
    from willitrun.advise.rank import dense_equivalent_b

    every = [p for rows in picks.values() for p in rows]
    width = max((len(p.model.id) for p in every), default=10)
    qw = max((len(p.option.quant) for p in every), default=6)
    for u, rows in picks.items():
        term.line(f"Best for {u} (at {min_tps:g}+ tok/s, {ctx // 1024}k context):", style="bold")
        if not rows:
            term.line("  nothing in the catalog runs that fast here; try --min-tps 5 or a --gpu")
        for i, p in enumerate(rows, 1):
            o = p.option
            size = f"~{dense_equivalent_b(p.model):.0f}B"
            term.line(
                f"  {i:>2}. {p.model.id:<{width}}  {size:>5}  {o.quant:<{qw}}  {rate(o.tokens_per_s):>5} tok/s  "
                f"{_WHERE[o.verdict]}"
            )
            if p.benchmark is not None and "; " in p.why:
                term.wrap(p.why.split("; ", 1)[1], indent=" " * 6)


def best_gpu_json(budget: float, model: ModelSpec | None, rows: list[Ranked]) -> dict[str, Any]:
    return {
        "budget_usd": budget,
        **({"model": model.id} if model else {}),
        "options": [
            {
                "gpu": r.config.gpu.name,
                "gpu_id": r.config.gpu.id,
                "count": r.config.count,
                "memory_gib": r.config.memory_gib,
                "price_usd": r.config.price_usd,
                "price_kind": r.config.price_kind,
                "price_date": r.config.price_date,
                "price_source": r.config.price_source,
                "price_stale": _stale(r.config.price_date),
                "refurbished": r.config.refurbished,
                "vram_bytes": r.config.vram_bytes,
                "power_w": r.config.power_w,
                **(
                    {"verdict": r.option.verdict, "tokens_per_s": round(r.option.tokens_per_s or 0, 2)}
                    if r.option
                    else {}
                ),
                **({"runs_up_to": r.model.id} if r.model and model is None else {}),
                "why": r.why,
                "caveats": list(r.caveats),
            }
            for r in rows
        ],
    }


def _stale(date: str | None) -> bool:
    from willitrun.catalog.prices import is_stale

    return is_stale(date)


def price_text(usd: float, kind: str | None, date: str | None) -> str:
    """'$1,207 used 2026-09-30', with 'stale' after a date over a year old."""
    when = f" {date}" + (" (stale)" if _stale(date) else "") if date else ""
    return f"${usd:,.0f} {kind or 'price'}{when}"


def print_best_gpu(
    term: Terminal,
    budget: float,
    model: ModelSpec | None,
    quant: str,
    ctx: int,
    rows: list[Ranked],
    market: str = "any",
) -> None:
    if not rows:
        what = f"runs {model.id} fully on GPU" if model else "is priced"
        term.wrap(f"Nothing within ${budget:,.0f} {what}. Try a larger --budget or a smaller model.")
        return
    prices = {"any": "new and used", "new": "new only", "used": "used only"}[market]
    title = f"Within ${budget:,.0f} ({prices})" + (
        f", running {model.name} ({quant}, {ctx // 1024}k context)" if model else ""
    )
    term.wrap(title + ":", indent="  ", first="", style="bold")
    for i, r in enumerate(rows, 1):
        c = r.config
        speed = f", {r.option.tokens_per_s or 0:.0f} tok/s" if model and r.option else ""
        power = f", {c.power_w:.0f} W" if c.power_w else ""
        each = f" ({price_text(c.price_usd / c.count, c.price_kind, c.price_date)} each)" if c.count > 1 else ""
        price = price_text(c.price_usd, c.price_kind, c.price_date) if c.count == 1 else f"${c.price_usd:,.0f}{each}"
        term.wrap(f"{c.label}: {price}, {c.vram_bytes / GIB:.0f} GB{speed}{power}", indent="    ", first=f"{i:2d}. ")
        term.wrap(r.why, indent="    ")
        for cv in r.caveats:
            term.wrap(cv, indent="      ", first="    - ")
    term.note("prices move: each is dated (stale = over a year old); --prices FILE overrides them")
    if any(r.config.gpu.kind == "gpu" for r in rows):
        term.note("a card's price leaves out the PC around it; systems and Macs are complete computers")
    if model:
        term.note("ranked by speed (within 10% counts as a tie), then price")
    term.note("new and used prices are weighed together; --used or --new-only restrict them")


def compare_json(cols: list[Column]) -> dict[str, Any]:
    return {
        "gpus": [
            {
                **gpu_json(c.gpu),
                "count": c.count,
                "memory_gib": c.memory_gib,
                "runs": [
                    {
                        "model": m.id,
                        "quant": o.quant,
                        "verdict": o.verdict,
                        "tokens_per_s": round(o.tokens_per_s, 2) if o.tokens_per_s else None,
                    }
                    for m, o in c.runs
                ],
            }
            for c in cols
        ]
    }


def compare_table(cols: list[Column], models: list[ModelSpec]) -> Table:
    from rich import box
    from rich.table import Table

    from willitrun.advise.compare import better

    t = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    t.add_column("", no_wrap=True)
    for c in cols:
        t.add_column(c.label.replace("NVIDIA ", "").replace("GeForce ", "").replace("AMD ", ""), justify="right")

    def row(label: str, values: list[float | None], texts: list[str], higher: bool = True) -> None:
        best = better(values, higher)
        t.add_row(label, *(x + (" *" if i == best else "  ") for i, x in enumerate(texts)))

    def spec_row(label: str, values: list[float | None], fmt: str, higher: bool = True) -> None:
        row(label, values, ["-" if v is None else fmt.format(v) for v in values], higher)

    spec_row("Memory GB", [c.memory_gib * c.count for c in cols], "{:g}")
    spec_row("Bandwidth GB/s", [c.gpu.bandwidth_gbps for c in cols], "{:,.0f}")
    spec_row("FP16 TFLOPS", [c.gpu.fp16_tflops * c.count for c in cols], "{:,.0f}")
    spec_row("Power W", [c.gpu.tdp_w * c.count if c.gpu.tdp_w else None for c in cols], "{:,.0f}", higher=False)

    def month(usd: float | None, date: str | None) -> str:
        """The month a price was read (and 'old' past a year), on a line of its own so no price cell wraps."""
        return (date[:7] + (" old" if _stale(date) else "") + "  ") if usd and date else ""

    prices = [c.gpu.price_usd * c.count if c.gpu.price_usd else None for c in cols]
    spec_row("New USD", prices, "${:,.0f}", higher=False)
    if any(prices):  # no empty kind/month rows when none of them has a price
        kinds = ((f"{c.gpu.price_kind or 'price'}  " if p else "") for p, c in zip(prices, cols, strict=True))
        t.add_row("  kind", *kinds)
        t.add_row("  month", *(month(p, c.gpu.price_date) for p, c in zip(prices, cols, strict=True)))
    used = [c.gpu.used_price_usd * c.count if c.gpu.used_price_usd else None for c in cols]
    if any(used):
        spec_row("Used USD", used, "${:,.0f}", higher=False)
        t.add_row("  month", *(month(u, c.gpu.used_price_date) for u, c in zip(used, cols, strict=True)))
    for k, m in enumerate(models):
        opts = [c.runs[k][1] for c in cols]
        speeds = [o.tokens_per_s if o.verdict != "no" else None for o in opts]
        texts = [
            (f"{o.tokens_per_s:,.0f}" if o.tokens_per_s >= 10 else f"{o.tokens_per_s:.1f}")
            + ("" if o.verdict == "gpu" else " p")
            if o.tokens_per_s and o.verdict != "no"
            else VERDICT_WORDS.get(o.verdict, "-")
            for o in opts
        ]
        row(f"{m.id} tok/s", speeds, texts)
    return t


def cost_json(r: CostReport) -> dict[str, Any]:
    return {
        "model": r.model.id,
        "tokens_per_day": r.tokens_per_day,
        "output_tokens_per_day": r.tokens_per_day,
        "input_tokens_per_day": r.input_tokens_per_day,
        "options": [
            {
                "what": x.what,
                "usd_per_month": round(x.usd_per_month, 2),
                "usd_per_million_tokens": round(x.usd_per_m_tokens, 4),
                "detail": x.detail,
                "source": x.source,
            }
            for x in r.lines
        ],
        "break_even_months": round(r.break_even, 1) if r.break_even is not None else None,
        "notes": list(r.notes),
    }


def print_cost(term: Terminal, r: CostReport) -> None:
    term.line(
        f"{r.model.name}, {r.tokens_per_day:,.0f} generated (output) + {r.input_tokens_per_day:,.0f} prompt (input)"
        " tokens a day:",
        style="bold",
    )
    for x in r.lines:
        term.wrap(f"{x.what}: ${x.usd_per_month:,.2f}/month, ${x.usd_per_m_tokens:,.3f} per M tokens", indent="  ")
        term.wrap(x.detail, indent="     ")
        term.wrap(f"price: {x.source}", indent="     ")
    if r.break_even is not None:
        term.wrap(
            f"Owning pays for itself after about {r.break_even:.0f} months against the cheapest alternative.",
            indent="  ",
        )
    elif r.local is not None and len(r.lines) > 1:
        term.line("  At this volume, owning never beats the cheapest alternative.")
    for n in r.notes:
        term.note(n)


def installed_json(r: Installed) -> dict[str, Any]:
    rows = []
    for m in r.models:
        row: dict[str, Any] = {"source": m.source, "name": m.name}
        if m.path is not None:
            row["path"] = m.path
        row |= {
            "quant": m.quant,
            "size_bytes": m.size_bytes,
            "verdict": m.verdict,
            "tokens_per_s": round(m.tokens_per_s, 2) if m.tokens_per_s else None,
        }
        rows.append(row)
    return {"models": rows, "notes": list(r.notes)}


def print_installed(term: Terminal, r: Installed) -> None:
    if not r.models:
        term.wrap("No installed models found (Ollama's, or .gguf files in the usual folders; add --dir).")
    else:
        from rich import box
        from rich.table import Table

        t = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
        t.add_column("From", no_wrap=True)
        t.add_column("Model", overflow="fold")  # the name to type: wrapped when long, never cut
        for col in ("Quant", "GiB", "Runs", "tok/s"):
            t.add_column(col, no_wrap=True, justify="right" if col in ("GiB", "tok/s") else "left")
        for m in r.models:
            t.add_row(
                m.source,
                m.name,
                m.quant or "-",
                f"{m.size_bytes / GIB:.1f}",
                m.verdict or "?",
                f"{m.tokens_per_s:.0f}" if m.tokens_per_s else "-",
            )
        term.show(t)
    for n in r.notes:
        term.note(n)


# ---------------------------------------------------------------------------------------------------------------
# capacity: serving many users, on one node or several


def _capacity_model(c: Capacity) -> str:
    """The checkpoint or file the serving command loads (ready repos where the catalog names them)."""
    m = c.model
    base = m.hf_repo or m.id
    if c.runtime == "vllm":
        repos = dict(m.vllm_repos)
        if c.quant in repos:
            return repos[c.quant]
        if c.quant in ("BF16", "FP8"):
            return base + (" --quantization fp8" if c.quant == "FP8" else "")
        return f"./{base.split('/')[-1]}-{c.quant}"
    if m.gguf_repo and c.quant in PUBLISHED_MIXES:
        return f"-hf {m.gguf_repo}:{c.quant}"
    return f"-m {base.split('/')[-1]}-{c.quant}.gguf"


def capacity_commands(c: Capacity) -> list[tuple[int | None, str]]:
    """(node, command) pairs that start the server with the planned settings; node None: a single machine."""
    if not c.fits:
        return []
    model = _capacity_model(c)
    if c.runtime == "vllm":
        serve = f"vllm serve {model}"
        if c.tensor_parallel > 1:
            serve += f" --tensor-parallel-size {c.tensor_parallel}"
        if c.pipeline_parallel > 1:
            serve += f" --pipeline-parallel-size {c.pipeline_parallel} --distributed-executor-backend ray"
        serve += f" --max-model-len {c.context_per_user} --max-num-seqs {c.parallel_slots}"
        serve += " --gpu-memory-utilization 0.9"
        if c.nodes == 1:
            return [(None, serve)]
        out: list[tuple[int | None, str]] = [(1, "ray start --head --port 6379")]
        out += [(i, "ray start --address NODE1_IP:6379") for i in range(2, c.nodes + 1)]
        return [*out, (1, serve)]
    if c.runtime == "ollama":
        tag = c.model.ollama or c.model.id
        env = f"OLLAMA_NUM_PARALLEL={c.parallel_slots} OLLAMA_CONTEXT_LENGTH={c.context_per_user}"
        return [(None, f"{env} ollama serve"), (None, f"ollama run {tag}")]
    ngl = " -ngl 999" if c.machine.devices else ""
    serve = f"llama-server {model}{ngl} -c {c.context_per_user * c.parallel_slots} -np {c.parallel_slots} -kvu"
    if c.nodes == 1:
        return [(None, serve)]
    rpc = ",".join(f"NODE{i}_IP:50052" for i in range(2, c.nodes + 1))
    out = [(i, "ggml-rpc-server -H 0.0.0.0 -p 50052") for i in range(2, c.nodes + 1)]
    return [*out, (1, f"{serve} --rpc {rpc}")]


def capacity_json(c: Capacity) -> dict[str, Any]:
    link = c.interconnect
    return {
        "model": {"id": c.model.id, "name": c.model.name, "params": c.model.params},
        "hardware": machine_json(c.machine),
        "nodes": c.nodes,
        "interconnect": (
            {"name": link.name, "gbps": link.gbps, "latency_s": link.latency_s, "what": link.what} if link else None
        ),
        "runtime": c.runtime,
        "quant": c.quant,
        "prompt_tokens": c.prompt_tokens,
        "output_tokens": c.output_tokens,
        "min_tokens_per_s": c.min_tokens_per_s,
        "fits": c.fits,
        "weights_bytes": c.weights_bytes,
        "kv_tokens": c.kv_tokens,
        "max_users_memory": c.max_users_memory,
        "max_users_at_floor": c.max_users_at_floor,
        "tensor_parallel": c.tensor_parallel,
        "pipeline_parallel": c.pipeline_parallel,
        "parallel_slots": c.parallel_slots,
        "context_per_user": c.context_per_user,
        "levels": [
            {
                "users": r.users,
                "per_user_tokens_per_s": round(r.load.per_user_tokens_per_s, 2),
                "per_user_effective_tokens_per_s": round(r.load.per_user_effective_tokens_per_s, 2),
                "aggregate_tokens_per_s": round(r.load.aggregate_tokens_per_s, 2),
                "aggregate_effective_tokens_per_s": round(r.load.aggregate_effective_tokens_per_s, 2),
                "ttft_s": round(r.load.ttft_s, 4),
                "kv_cache_bytes": r.kv_cache_bytes,
                "limited_by": r.load.limited_by,
            }
            for r in c.rows
        ],
        "node_plan": [
            {
                "node": n.node,
                "role": n.role,
                "gpus": n.gpus,
                "weights_bytes_per_gpu": n.weights_bytes,
                "kv_cache_bytes_per_gpu": n.kv_cache_bytes,
                "capacity_bytes_per_gpu": n.capacity_bytes,
            }
            for n in c.roles
        ],
        "commands": [{"node": node, "command": cmd} for node, cmd in capacity_commands(c)],
        "notes": list(c.notes),
    }


def print_capacity(term: Terminal, c: Capacity) -> None:
    from rich import box
    from rich.table import Table

    where = machine_line(c.machine)
    if c.nodes > 1 and c.interconnect is not None:
        where = f"{c.nodes} nodes, each {where}; linked by {c.interconnect.what} ({c.interconnect.name})"
    term.line(f"{c.model.name} ({c.model.id}) on {where}")
    term.line(
        f"{c.runtime}, {c.quant}; each user: {c.prompt_tokens}-token prompt, {c.output_tokens}-token answer; "
        f"floor {c.min_tokens_per_s:g} tok/s per user"
    )
    if c.rows:
        t = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
        for col in ("Users", "tok/s each", "with prompts", "total tok/s", "first token", "KV cache"):
            t.add_column(col, justify="right", no_wrap=True)
        for r in c.rows:
            ld = r.load
            t.add_row(
                str(r.users),
                f"{ld.per_user_tokens_per_s:.1f}",
                f"{ld.per_user_effective_tokens_per_s:.1f}",
                f"{ld.aggregate_tokens_per_s:.0f}",
                f"{ld.ttft_s:.2f} s",
                gib(r.kv_cache_bytes),
            )
        term.show(t)
        term.line("tok/s each = one user's stream while generating; with prompts = counting the other users' prompts")
    for role in c.roles:
        term.line(
            f"node {role.node} ({role.role}): {role.gpus} GPU(s), each {gib(role.weights_bytes)} weights + "
            f"{gib(role.kv_cache_bytes)} KV cache of {gib(role.capacity_bytes)}"
        )
    if c.fits:
        held = f" (the cache holds {c.kv_tokens:,} tokens)" if c.kv_tokens is not None else ""
        term.wrap(
            f"Memory holds {c.max_users_memory} users at once{held}; {c.max_users_at_floor} of them each get "
            f"at least {c.min_tokens_per_s:g} tok/s"
        )
    else:
        term.line("Does not serve even one user here.")
    for node, cmd in capacity_commands(c):
        term.line(f"{'Start' if node is None else f'Node {node}'}: {cmd}")
    for n in c.notes:
        term.bullet(n)
