"""The command line: parse options, call one core function, hand the result to render.

Data goes to stdout, notes and warnings to stderr; `--json` prints one JSON document and nothing else.
Exit codes: 0 answered, 1 answered but nothing runs, 2 bad input (one line on stderr, never a traceback).
"""

from __future__ import annotations

import json
import os
import sys
from typing import Annotated, Any, NoReturn

import typer

from willitrun import __version__
from willitrun.errors import BadValueError, WillItRunError

app = typer.Typer(
    name="willitrun",
    help="Will this AI model run on this machine, how fast, and what hardware to buy.",
    add_completion=False,
    no_args_is_help=False,
    invoke_without_command=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

CatalogOpt = Annotated[
    list[str] | None,
    typer.Option("--catalog", help="Extra catalog YAML (models/gpus); repeatable. Also WILLITRUN_CATALOG."),
]
GpuOpt = Annotated[
    str | None,
    typer.Option(
        "--gpu", help="Simulate GPUs: 'RTX 4090', '2x RTX 3090', 'RTX 4090,RTX 3090', 'M2 Ultra 192GB', 'none'."
    ),
]
VramOpt = Annotated[float | None, typer.Option("--vram", help="GPU memory per device in GB (overrides the catalog).")]
RamOpt = Annotated[float | None, typer.Option("--ram", help="System RAM in GB.")]
RamBwOpt = Annotated[float | None, typer.Option("--ram-bandwidth", help="System RAM bandwidth in GB/s.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document (see docs/cli.md).")]


def _stderr(msg: str) -> None:
    sys.stderr.write(msg + "\n")


def _fail(err: WillItRunError) -> NoReturn:
    _stderr(f"willitrun: error: {err.one_line()}")
    raise SystemExit(2)


def _console(stderr: bool = False) -> Any:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=False)


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def _load(catalog: list[str] | None) -> Any:
    from willitrun.catalog.load import load_catalog

    return load_catalog(catalog or [])


def _machine(
    cat: Any, gpu: str | None, vram: float | None, ram: float | None, ram_bw: float | None, *, total: bool = False
) -> Any:
    from dataclasses import replace

    from willitrun.hardware import build_machine

    detected = None
    if gpu is None or ram is None or ram_bw is None:
        from willitrun.hardware.detect import detect

        detected = detect(cat, gpus=gpu is None)
        if total:
            devices = tuple(replace(d, free_bytes=d.memory_bytes) for d in detected.devices)
            detected = replace(detected, devices=devices, ram_free_bytes=detected.ram_bytes)
    return build_machine(cat, gpu=gpu, vram_gb=vram, ram_gb=ram, ram_bandwidth_gbps=ram_bw, detected=detected)


@app.callback()
def root(
    ctx: typer.Context,
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
) -> None:
    """Will this AI model run on this machine, how fast, and what hardware to buy."""
    if version:
        sys.stdout.write(f"willitrun {__version__}\n")
        raise typer.Exit(0)
    if ctx.invoked_subcommand is None:
        from willitrun.render import machine_line

        cat = _load(None)
        machine = _machine(cat, None, None, None, None)
        sys.stdout.write(f"This machine: {machine_line(machine)}\n")
        sys.stdout.write("Try: willitrun check llama3-8b    (or --help for every command)\n")


def _parse_quants(quant: str | None, runtime: str) -> tuple[str, ...]:
    from willitrun.estimate.core import formats_for
    from willitrun.estimate.quants import normalize_mix

    if quant is None:
        return ()
    known = formats_for(runtime)
    if quant.strip().lower() == "all":
        return known
    out: list[str] = []
    for q in quant.split(","):
        key = q.strip().upper().replace("-", "_")
        n = normalize_mix(q) if runtime in ("llama.cpp", "ollama") else (key if key in known else None)
        if n is None and runtime == "mlx" and key in ("8", "6", "4", "3", "Q8", "Q4", "INT4", "INT8"):
            n = key.strip("QINT") + "BIT"
        if n is None or n not in known:
            import difflib

            close = difflib.get_close_matches(key, list(known), n=3, cutoff=0.5)
            hint = ("did you mean " + ", ".join(close) + "?") if close else f"for {runtime}: " + ", ".join(known)
            raise BadValueError(f"--quant {q.strip()!r} is not a known quantization", hint)
        if n not in out:
            out.append(n)
    return tuple(out)


@app.command()
def check(
    model: Annotated[str, typer.Argument(help="Catalog id, alias, Ollama tag or Hugging Face repo id.")],
    quant: Annotated[
        str | None,
        typer.Option(
            "--quant",
            "-q",
            help="One quantization (or a comma list, or 'all'): GGUF types (Q4_K_M...); vllm: BF16, FP8, AWQ, "
            "GPTQ; mlx: BF16, 8BIT, 6BIT, 4BIT, 3BIT.",
        ),
    ] = None,
    ctx: Annotated[
        int | None, typer.Option("--ctx", "-c", help="Context per sequence (default: the model's, fitted).")
    ] = None,
    kv_cache: Annotated[str, typer.Option("--kv-cache", help="KV cache type: f16, q8_0 or q4_0.")] = "f16",
    parallel: Annotated[int, typer.Option("--parallel", "-np", help="Parallel sequences (slots), 1-256.")] = 1,
    runtime: Annotated[str, typer.Option("--runtime", help="llama.cpp, ollama, vllm or mlx.")] = "llama.cpp",
    gpu: GpuOpt = None,
    vram: VramOpt = None,
    ram: RamOpt = None,
    ram_bandwidth: RamBwOpt = None,
    total: Annotated[
        bool, typer.Option("--total", help="Plan with each GPU's total memory, as if nothing else ran.")
    ] = False,
    catalog: CatalogOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Per quantization: memory, verdict, GPU layers, speed, max context, and the command to run it."""
    from willitrun.estimate.kv import KV_TYPES

    if ctx is not None and not 1 <= ctx <= 16_777_216:
        raise BadValueError(f"--ctx {ctx} is out of range", "allowed: 1 to 16777216 tokens")
    kv = kv_cache.strip().lower()
    if kv not in KV_TYPES:
        raise BadValueError(f"--kv-cache {kv_cache!r} is not a cache type", "allowed: " + ", ".join(KV_TYPES))
    if not 1 <= parallel <= 256:
        raise BadValueError(f"--parallel {parallel} is out of range", "allowed: 1 to 256")
    rt = runtime.strip().lower().replace("llamacpp", "llama.cpp").replace("llama-cpp", "llama.cpp")
    if rt not in ("llama.cpp", "ollama", "vllm", "mlx"):
        raise BadValueError(f"--runtime {runtime!r} is not supported", "allowed: llama.cpp, ollama, vllm, mlx")
    quants = _parse_quants(quant, rt)
    cat = _load(catalog)
    from willitrun.catalog.resolve import resolve_model

    spec = resolve_model(cat, model)
    machine = _machine(cat, gpu, vram, ram, ram_bandwidth, total=total)
    from willitrun.estimate.core import Request, estimate

    est = estimate(spec, machine, Request(quants=quants, ctx=ctx, kv_type=kv, parallel=parallel, runtime=rt))
    runs = any(o.verdict != "no" for o in est.options)
    measured: dict[str, list[dict[str, Any]]] = {}
    if rt in ("llama.cpp", "ollama"):
        from willitrun.catalog.measured import load_measured, matching

        for q, rows in matching(load_measured(), spec.id, machine).items():
            measured[q] = [
                {
                    "tokens_per_s": r.tokens_per_s,
                    "metric": r.metric,
                    "hardware": f"{r.count}x {r.hardware}" if r.count > 1 else r.hardware,
                    "source": r.source,
                    "test": r.test,
                }
                for r in rows
            ]
    if as_json:
        from willitrun.render import check_json

        _print_json(check_json(est, measured))
        raise typer.Exit(0 if runs else 1)
    _print_check(est, measured)
    raise typer.Exit(0 if runs else 1)


def _print_check(est: Any, measured: dict[str, list[dict[str, Any]]]) -> None:
    from willitrun.render import check_table, gib, machine_line, ollama_command, params_text, run_command

    out = _console()
    m = est.model
    color = out.is_terminal and not os.environ.get("NO_COLOR")
    ctx_text = f"context {est.context}" + (" (model default, fitted per option)" if est.context_auto else "")
    active = f", {params_text(m.active_params)} active" if m.active_params else ""
    out.print(f"{m.name} ({m.id}): {params_text(m.params)} params{active}, {m.layers} layers", markup=False)
    out.print(f"on {machine_line(est.machine)}; {ctx_text}; {est.runtime}", markup=False)
    out.print(check_table(est, color=color))
    out.print("sizes in GiB; tok/s = generation, pp512 = prompt tokens/s; * = recommended", markup=False)
    rec = next((o for o in est.options if o.quant == est.recommended), None)
    if rec is not None:
        speed = f"{rec.tokens_per_s:.0f} tok/s" if rec.tokens_per_s and rec.tokens_per_s >= 10 else ""
        if rec.tokens_per_s is not None and rec.tokens_per_s < 10:
            speed = f"{rec.tokens_per_s:.1f} tok/s"
        out.print(
            f"Recommended: {rec.quant} ({gib(rec.total_bytes)}, {rec.verdict}, {speed}, context {rec.context})",
            markup=False,
        )
        cmd = run_command(est, rec)
        if cmd:
            out.print(f"Run: {cmd}", markup=False)
        oc = ollama_command(est, rec)
        if oc:
            out.print(f" or: {oc}", markup=False)
        for n in rec.notes:
            out.print(f"  - {n}", markup=False)
    else:
        out.print("Nothing runs on this machine: try a smaller model, a smaller --ctx, or more memory.", markup=False)
        shown = est.options[-1] if est.options else None
        if shown is not None:
            for n in shown.notes:
                out.print(f"  - {n}", markup=False)
    shown = [q for q in (o.quant for o in est.options) if q in measured]
    if shown:
        out.print("Measured on this hardware (llama-bench, beside the estimate, not in it):", markup=False)
        srcs: set[str] = set()
        for q in shown:
            rows = measured[q]
            tg = ", ".join(f"{r['tokens_per_s']:.1f} tok/s {r['test']}" for r in rows if r["metric"] == "tg")
            pp = ", ".join(f"{r['tokens_per_s']:,.0f} {r['test']}" for r in rows if r["metric"] == "pp")
            srcs |= {r["source"].split(":")[0] for r in rows}
            out.print(f"  {q}: {'; '.join(x for x in (tg, pp) if x)}", markup=False)
        out.print(f"  source: {', '.join(sorted(srcs))}", markup=False)
    for n in (*est.notes, *est.machine.notes):
        _stderr(f"note: {n}")


@app.command()
def detect(
    measure: Annotated[
        bool, typer.Option("--measure", help="Time a large memory copy and remember the RAM bandwidth.")
    ] = False,
    as_json: JsonOpt = False,
    catalog: CatalogOpt = None,
) -> None:
    """What hardware was found: GPUs (memory total and free, bandwidth, driver), CPU, RAM, and how we know."""
    import platform

    from willitrun.hardware.detect import detect as run_detect

    cat = _load(catalog)
    measured_note = None
    if measure:
        from willitrun.hardware import membw

        gbps = membw.measure()
        where = membw.save(gbps)
        measured_note = f"RAM bandwidth measured: {gbps:.1f} GB/s (one-thread copy; a floor for llama.cpp's threads)"
        if where is None:
            measured_note += "; the cache directory is not writable, so it is not remembered"
    machine = run_detect(cat)
    if as_json:
        _print_json(
            {
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
                },
                "unified_memory": machine.unified_memory,
                "os": platform.system(),
                "notes": ([measured_note] if measured_note else []) + list(machine.notes),
            }
        )
        return
    from willitrun.render import gib

    out = _console()
    for d in machine.devices:
        bw = f"{d.bandwidth_gbps:g} GB/s" if d.bandwidth_gbps else "bandwidth unknown"
        kind = " (unified memory)" if d.unified else ""
        out.print(f"GPU: {d.name}{kind}", markup=False)
        out.print(f"     {gib(d.memory_bytes)} total, {gib(d.free_bytes)} free, {bw}, {d.backend}", markup=False)
        out.print(f"     {d.how}", markup=False)
        if d.details:
            out.print("     " + ", ".join(f"{k} {v}" for k, v in d.details if k != "ram_bytes"), markup=False)
    c = machine.cpu
    flags = " ".join(c.flags) or "-"
    out.print(f"CPU: {c.name}: {c.cores} cores, {c.threads} threads; SIMD: {flags}", markup=False)
    out.print(f"RAM: {gib(machine.ram_bytes)} ({gib(machine.ram_free_bytes)} available)", markup=False)
    out.print(f"     {machine.ram_bandwidth_gbps:g} GB/s: {machine.ram_bandwidth_how}", markup=False)
    if measured_note:
        out.print(measured_note, markup=False)
    for n in machine.notes:
        _stderr(f"note: {n}")


@app.command()
def models(
    query: Annotated[str | None, typer.Argument(help="Words to look for in ids, names, families and aliases.")] = None,
    family: Annotated[str | None, typer.Option("--family", help="e.g. llama3.1, qwen3, gemma3.")] = None,
    use: Annotated[str | None, typer.Option("--use", help="chat, code, reasoning, vision, embedding or tools.")] = None,
    arch: Annotated[str | None, typer.Option("--arch", help="llama.cpp architecture, e.g. qwen3moe.")] = None,
    min_params: Annotated[float | None, typer.Option("--min-params", help="At least this many billion.")] = None,
    max_params: Annotated[float | None, typer.Option("--max-params", help="At most this many billion.")] = None,
    moe: Annotated[bool | None, typer.Option("--moe/--dense", help="Only mixture-of-experts / dense.")] = None,
    as_json: JsonOpt = False,
    catalog: CatalogOpt = None,
) -> None:
    """The model catalog, filtered."""
    from willitrun.catalog.filters import filter_models
    from willitrun.render import model_json, params_text

    cat = _load(catalog)
    items = filter_models(
        cat.models,
        query=query,
        family=family,
        use=use,
        arch=arch,
        min_params_b=min_params,
        max_params_b=max_params,
        moe=moe,
    )
    if as_json:
        _print_json([model_json(m) for m in items])
        return
    if not items:
        _stderr("note: no model matches; try fewer filters ('willitrun models' lists all)")
        return
    from rich import box
    from rich.table import Table

    t = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    t.add_column("Id", no_wrap=True, overflow="ellipsis", max_width=24)
    for col, width in (("Params", 6), ("Active", 6), ("Context", 7)):
        t.add_column(col, no_wrap=True, min_width=width, justify="right")
    t.add_column("Uses", no_wrap=True, overflow="ellipsis", min_width=12)
    for m in items:
        t.add_row(
            m.id,
            params_text(m.params),
            params_text(m.active_params) if m.active_params else "",
            f"{m.context_max // 1024}k" if m.context_max >= 1024 else str(m.context_max),
            ",".join(m.uses),
        )
    _console().print(t)
    _stderr(f"note: {len(items)} of {len(cat.models)} models")


@app.command()
def gpus(
    query: Annotated[str | None, typer.Argument(help="Words to look for in ids, names and aliases.")] = None,
    vendor: Annotated[str | None, typer.Option("--vendor", help="nvidia, amd, intel or apple.")] = None,
    kind: Annotated[str | None, typer.Option("--kind", help="gpu, apple, system or igpu.")] = None,
    min_memory: Annotated[
        float | None, typer.Option("--min-memory", help="At least this many GB (any sold configuration).")
    ] = None,
    max_price: Annotated[float | None, typer.Option("--max-price", help="At most this price in USD.")] = None,
    backend: Annotated[str | None, typer.Option("--backend", help="cuda, rocm, metal, vulkan or sycl.")] = None,
    laptop: Annotated[bool | None, typer.Option("--laptop/--desktop", help="Only laptop / desktop parts.")] = None,
    as_json: JsonOpt = False,
    catalog: CatalogOpt = None,
) -> None:
    """The GPU, Apple Silicon and systems catalog, filtered."""
    from willitrun.catalog.filters import filter_gpus
    from willitrun.render import gpu_json

    cat = _load(catalog)
    items = filter_gpus(
        cat.gpus,
        query=query,
        vendor=vendor,
        kind=kind,
        min_memory_gb=min_memory,
        max_price_usd=max_price,
        backend=backend,
        laptop=laptop,
    )
    if as_json:
        _print_json([gpu_json(g) for g in items])
        return
    if not items:
        _stderr("note: no GPU matches; try fewer filters ('willitrun gpus' lists all)")
        return
    from rich import box
    from rich.table import Table

    t = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    t.add_column("Id", no_wrap=True, overflow="ellipsis", max_width=24)
    for col, width in (("Memory", 10), ("GB/s", 6), ("FP16", 6), ("Price", 19)):
        t.add_column(col, no_wrap=True, min_width=width, justify="right")
    for g in items:
        price = f"${g.price_usd:,.0f} {g.price_kind} {g.price_date[:7]}" if g.price_usd and g.price_date else "-"
        top = max((g.memory_gib, *g.memory_options_gib))
        mem = f"{g.memory_gib:g}" + (f"-{top:g}" if top > g.memory_gib else "") + " GB"
        t.add_row(g.id, mem, f"{g.bandwidth_gbps:g}", f"{g.fp16_tflops:.0f}", price)
    _console().print(t)
    _stderr(f"note: {len(items)} of {len(cat.gpus)} entries")


@app.command()
def explain(
    term: Annotated[str | None, typer.Argument(help="A term, e.g. kv-cache, 'Imbalanced Data', qlora.")] = None,
    list_all: Annotated[bool, typer.Option("--list", help="List every term, grouped by category.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Explain a local-AI term: definition, details, an example with numbers, and commands to try."""
    from willitrun.knowledge.glossary import CATEGORIES, find_term, load_glossary

    terms = load_glossary()
    if list_all or term is None:
        if term is None and not list_all:
            raise BadValueError("name a term to explain", "e.g. 'willitrun explain kv-cache', or --list for all")
        if as_json:
            _print_json([{"id": t.id, "title": t.title, "category": t.category} for t in terms])
            return
        out = _console()
        for cat in CATEGORIES:
            items = [t for t in terms if t.category == cat]
            if items:
                out.print(f"{cat} ({len(items)})", style="bold", markup=False)
                for t in items:
                    out.print(f"  {t.id:28s} {t.title}", markup=False)
        return
    t = find_term(terms, term)
    if as_json:
        _print_json(
            {
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
        )
        return
    from willitrun.render import term_markdown

    out = _console()
    out.print(term_markdown(t))


@app.command()
def troubleshoot(
    text: Annotated[
        str | None, typer.Argument(help="The error message, a log file's path, or '-' to read a log from stdin.")
    ] = None,
    gpu: GpuOpt = None,
    vram: VramOpt = None,
    ram: RamOpt = None,
    catalog: CatalogOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Match an error message or a whole log against known problems; fixes use this machine's facts."""
    import io

    from willitrun.knowledge.troubleshoot import LogFacts, Matcher, load_problems, read_lines

    stream: Any
    if text is None or text == "-":
        if text is None and sys.stdin.isatty():
            raise BadValueError(
                "give the error text, a log file, or '-' to read stdin", "e.g. ... 2>&1 | willitrun troubleshoot -"
            )
        stream = sys.stdin.buffer if hasattr(sys.stdin, "buffer") else sys.stdin
    elif len(text) < 4096 and "\n" not in text and _is_file(text):
        try:
            stream = open(text, "rb")  # noqa: SIM115 - closed below
        except OSError as exc:
            raise BadValueError(f"{text}: cannot be read ({exc.__class__.__name__})") from None
    else:
        stream = io.StringIO(text)
    facts = LogFacts()
    try:
        matches = Matcher(load_problems()).scan(read_lines(stream), facts)
    finally:
        if stream not in (sys.stdin, getattr(sys.stdin, "buffer", None)):
            stream.close()
    extra = _log_advice(matches, facts, catalog, gpu, vram, ram)
    if as_json:
        _print_json(
            {
                "matches": [
                    {
                        "id": m.problem.id,
                        "title": m.problem.title,
                        "confidence": m.confidence,
                        "cause": m.problem.cause,
                        "fixes": extra.get(m.problem.id, []) + list(m.problem.fixes),
                        "evidence": [e for _, e in m.evidence],
                        "evidence_lines": [n for n, _ in m.evidence],
                        "count": m.count,
                        "related": list(m.problem.related),
                    }
                    for m in matches
                ],
                "log": {"model_file": facts.file, "model": facts.name, "context": facts.ctx, "quant": facts.quant},
            }
        )
        raise typer.Exit(0 if matches else 1)
    out = _console()
    if not matches:
        out.print("No known problem matched.", markup=False)
        out.print(
            "Paste the last 50 lines of the log (errors are often a few lines above the end), or run", markup=False
        )
        out.print("'willitrun check MODEL' to see whether the model fits this machine at all.", markup=False)
        raise typer.Exit(1)
    for k, m in enumerate(matches[:5]):
        p = m.problem
        if k:
            out.print("", markup=False)
        out.print(f"{k + 1}. {p.title}  [{p.id}, confidence {m.confidence:.0%}]", style="bold", markup=False)
        for n, line in m.evidence:
            out.print(f"   line {n}: {line[:160]}", markup=False)
        out.print(f"   Cause: {p.cause}", markup=False)
        for i, fix in enumerate(extra.get(p.id, []) + list(p.fixes), 1):
            out.print(f"   {i}. {fix}", markup=False)
        if p.related:
            out.print("   See: " + ", ".join(f"willitrun explain {r}" for r in p.related[:3]), markup=False)
    if len(matches) > 5:
        out.print(f"... and {len(matches) - 5} weaker matches (--json lists all)", markup=False)


def _is_file(text: str) -> bool:
    import os.path

    try:
        return os.path.isfile(text)
    except (OSError, ValueError):
        return False


_OOM_IDS = {
    "cuda-out-of-memory",
    "metal-out-of-memory",
    "rocm-out-of-memory",
    "vulkan-out-of-memory",
    "llama-cpp-kv-cache-alloc-failed",
    "model-too-big-for-ram",
    "ollama-model-needs-more-ram",
    "mlx-metal-oom",
}


def _log_advice(
    matches: list[Any], facts: Any, catalog: list[str] | None, gpu: str | None, vram: float | None, ram: float | None
) -> dict[str, list[str]]:
    """For an out-of-memory on a model the log names: what fits this (or the --gpu) machine instead."""
    oom = [m for m in matches if m.problem.id in _OOM_IDS]
    if not oom:
        return {}
    cat = _load(catalog)
    from willitrun.catalog.resolve import resolve_model

    spec = None
    for name in facts.model_names():
        try:
            spec = resolve_model(cat, name)
            break
        except WillItRunError:
            continue
    if spec is None:
        return {}
    from willitrun.knowledge.advice import oom_advice

    machine = _machine(cat, gpu, vram, ram, None)
    quant = facts.quant or facts.quant_from_file()
    tips = oom_advice(spec, machine, quant, facts.ctx, facts.file)
    return {m.problem.id: tips for m in oom} if tips else {}


def _exit_code(exc: BaseException) -> int | None:
    """The exit code of typer's/click's Exit, whichever package provides it."""
    if type(exc).__name__ == "Exit":
        code = getattr(exc, "exit_code", 0)
        return int(code) if isinstance(code, int) else 0
    return None


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app, turning every failure into one line on stderr and exit 2."""
    args = sys.argv[1:] if argv is None else argv
    try:
        rv = app(args=args, prog_name="willitrun", standalone_mode=False)
    except WillItRunError as err:
        _fail(err)
    except KeyboardInterrupt:
        _stderr("willitrun: interrupted")
        raise SystemExit(130) from None
    except BrokenPipeError:
        raise SystemExit(0) from None
    except Exception as exc:
        code = _exit_code(exc)
        if code is not None:
            raise SystemExit(code) from None
        if type(exc).__name__ == "Abort":
            _stderr("willitrun: aborted")
            raise SystemExit(130) from None
        fmt = getattr(exc, "format_message", None)
        if callable(fmt):  # click/typer usage errors: bad option value, unknown option, missing argument
            msg = " ".join(str(fmt()).split())
            _stderr(f"willitrun: error: {msg} (see 'willitrun --help')")
            raise SystemExit(2) from None
        # a bug: one line, never a traceback
        _stderr(f"willitrun: internal error: {exc.__class__.__name__}: {exc} (please report it)")
        raise SystemExit(3) from None
    if isinstance(rv, int) and rv:
        raise SystemExit(rv)
