"""The command line: parse options, call one core function, hand the result to render.

Data goes to stdout, notes and warnings to stderr; `--json` prints one JSON document and nothing else.
Exit codes: 0 answered, 1 answered but nothing runs, 2 bad input (one line on stderr, never a traceback).
"""

import copy
import json
import os
import sys
from dataclasses import dataclass
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
MarginOpt = Annotated[
    float | None,
    typer.Option(
        "--margin", help="GB kept free on every GPU (default 1, llama.cpp's fit margin; 0 allowed, up to 64)."
    ),
]
HeadlessOpt = Annotated[
    bool,
    typer.Option("--headless", help="Simulated GPUs drive no desktop: keep no 0.8 GB aside for one."),
]
TotalOpt = Annotated[
    bool, typer.Option("--total", help="Plan with each GPU's total memory, as if nothing else ran (default: free).")
]


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
    cat: Any,
    gpu: str | None,
    vram: float | None,
    ram: float | None,
    ram_bw: float | None,
    *,
    total: bool = False,
    margin: float | None = None,
    headless: bool = False,
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
    return build_machine(
        cat,
        gpu=gpu,
        vram_gb=vram,
        ram_gb=ram,
        ram_bandwidth_gbps=ram_bw,
        detected=detected,
        margin_gb=margin,
        headless=headless,
    )


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
        _print_recommend(cat, machine, None, 10.0, 8192, 3)
        sys.stdout.write("More: willitrun check MODEL, willitrun recommend --use code, willitrun --help\n")


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
    model: Annotated[
        str, typer.Argument(help="Catalog id or alias, ollama:NAME, a Hugging Face org/repo, or a .gguf file.")
    ],
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
    total: TotalOpt = False,
    margin: MarginOpt = None,
    headless: HeadlessOpt = False,
    mmproj: Annotated[
        str | None, typer.Option("--mmproj", help="A vision projector GGUF loaded beside the model.")
    ] = None,
    catalog: CatalogOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Per quantization: memory, verdict, GPU layers, speed, max context, and the command to run it.

    MODEL: a catalog id or alias, an Ollama name prefixed 'ollama:', a Hugging Face repo id (org/name), or the
    path of a .gguf file (the first part of a split model)."""
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
    src = _model_source(cat, model, mmproj, rt)
    spec = src.spec
    machine = _machine(cat, gpu, vram, ram, ram_bandwidth, total=total, margin=margin, headless=headless)
    from willitrun.estimate.core import Request, estimate

    weights = src.weights
    if not weights and rt in ("llama.cpp", "ollama"):
        from willitrun.catalog.weights_cache import cached_weights
        from willitrun.estimate.core import mixes_for

        weights = cached_weights(spec, quants or mixes_for(spec))
    if weights and quants:
        weights = tuple(w for w in weights if w.mix in quants)
        if not weights:
            raise BadValueError(
                f"--quant {','.join(quants)} is not among this model's files", "files: " + ", ".join(src.quants)
            )
    req = Request(
        quants=quants,
        ctx=ctx,
        kv_type=kv,
        parallel=parallel,
        runtime=rt,
        weights=weights if rt in ("llama.cpp", "ollama") else (),
        extra_bytes=src.extra_bytes,
    )
    est = estimate(spec, machine, req)
    if src.notes:
        from dataclasses import replace as _replace

        est = _replace(est, notes=(*src.notes, *est.notes))
    runs = any(o.verdict != "no" for o in est.options)
    measured: dict[str, list[dict[str, Any]]] = {}
    if rt in ("llama.cpp", "ollama"):
        from willitrun.catalog.measured import load_measured, matching

        for q, rows in matching(load_measured(model_id=spec.id), spec.id, machine).items():
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
    rescue: tuple[Any, ...] = ()
    if est.recommended is None:
        from willitrun.advise.rescue import what_would_run

        rescue = what_would_run(est, req, cat.gpus, other_files=not src.weights)
    if as_json:
        from willitrun.render import check_json, suggestion_json

        _print_json({**check_json(est, measured), "if_nothing_runs": [suggestion_json(x) for x in rescue]})
        raise typer.Exit(0 if runs else 1)
    _print_check(est, measured, rescue)
    raise typer.Exit(0 if runs else 1)


@dataclass(frozen=True)
class ModelSource:
    """A model to estimate: its architecture, and the exact weights of its files when we have them."""

    spec: Any
    weights: tuple[Any, ...] = ()
    extra_bytes: int = 0
    notes: tuple[str, ...] = ()

    @property
    def quants(self) -> tuple[str, ...]:
        return tuple(w.mix for w in self.weights)


def _model_source(cat: Any, model: str, mmproj: str | None, runtime: str) -> ModelSource:
    """Catalog names first; then a .gguf path, ollama:NAME, or a Hugging Face repo id."""
    import os.path

    from willitrun.catalog.resolve import resolve_model
    from willitrun.errors import UnknownNameError

    extra = 0
    notes: list[str] = []
    if mmproj is not None:
        from willitrun.sources.gguf_file import mmproj_bytes

        extra = mmproj_bytes(mmproj)
        notes.append(f"vision projector {os.path.basename(mmproj)}: {extra / 2**30:.2f} GiB on the GPU")
    text = model.strip()
    if text.lower().endswith(".gguf") or (text and _is_file(text)):
        from willitrun.sources.gguf_file import find_mmproj, mmproj_bytes, read_gguf

        g = read_gguf(text)
        if mmproj is None:
            beside = find_mmproj(text)
            if beside:
                extra = mmproj_bytes(beside)
                notes.append(f"vision projector found beside the model: {os.path.basename(beside)}")
        notes.append(f"read from the file: {g.spec.layers} layers, {g.quant}, {g.file_bytes / 2**30:.2f} GiB")
        return ModelSource(g.spec, (g.weights,), extra, tuple(notes))
    if text.lower().startswith("ollama:"):
        return _ollama_source(text[7:].strip(), extra, notes)
    try:
        return ModelSource(resolve_model(cat, text), (), extra, tuple(notes))
    except UnknownNameError:
        if text.count("/") != 1 or text.startswith("/"):
            raise
    return _hub_source(cat, text, extra, notes)


def _ollama_source(name: str, extra: int, notes: list[str]) -> ModelSource:
    from willitrun.estimate.quants import normalize_mix
    from willitrun.estimate.tensors import scaled_to, weights_breakdown
    from willitrun.sources.ollama import show_model

    om = show_model(name)
    if om.spec is None:
        raise WillItRunError(f"Ollama did not report the architecture of {name!r}", "update Ollama and retry")
    quant = normalize_mix(om.quant or "") or "Q4_K_M"
    w = (
        scaled_to(weights_breakdown(om.spec, quant), om.size_bytes)
        if om.size_bytes
        else weights_breakdown(om.spec, quant)
    )
    notes.append(f"installed in Ollama: {om.name}, {om.quant or '?'}, {om.size_bytes / 2**30:.2f} GiB blob")
    return ModelSource(om.spec, (w,), extra, tuple(notes))


def _hub_source(cat: Any, repo: str, extra: int, notes: list[str]) -> ModelSource:
    import re as _re

    from willitrun.catalog.resolve import resolve_model
    from willitrun.estimate.quants import MIX_DEFAULT
    from willitrun.estimate.tensors import scaled_to, weights_breakdown
    from willitrun.sources.huggingface import fetch_model

    hm = fetch_model(repo)
    if hm.from_cache:
        notes.append(f"{repo}: from the local cache (the Hub was not reachable)")
    spec = hm.spec
    if spec is None:
        base = _re.sub(r"(?i)[-_.]gguf$", "", repo.split("/", 1)[1])
        try:
            spec = resolve_model(cat, base)
            notes.append(f"{repo} has no config.json: architecture from the catalog entry {spec.id}")
        except WillItRunError:
            raise WillItRunError(
                f"{repo} has no config.json and matches no catalog model",
                "point willitrun at the original repo, or download a file and give its path",
            ) from None
    weights: list[Any] = []
    for fname, size in hm.gguf_files:
        up = fname.upper()
        quant = next(
            (q for q in sorted(MIX_DEFAULT, key=len, reverse=True) if _re.search(rf"[.\-_]{q}[.\-_]", up)), None
        )
        if quant and "MMPROJ" not in up and all(w.mix != quant for w in weights):
            weights.append(scaled_to(weights_breakdown(spec, quant), size))
    if hm.gguf_files:
        notes.append(f"{repo}: {len(weights)} GGUF files, sized as listed on the Hub")
    return ModelSource(spec, tuple(weights), extra, tuple(notes))


def _print_check(est: Any, measured: dict[str, list[dict[str, Any]]], rescue: tuple[Any, ...] = ()) -> None:
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
    if est.machine.devices:
        keep = est.machine.gpu_margin_bytes / 2**30
        out.print(
            f"Left = GPU memory still free once loaded (plans keep {keep:.1f} GiB: explain headroom)", markup=False
        )
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
        out.print("Nothing runs on this machine.", markup=False)
        shown = est.options[-1] if est.options else None
        if shown is not None:
            for n in shown.notes:
                out.print(f"  - {n}", markup=False)
        if rescue:
            out.print("What would run:", markup=False)
            for x in rescue:
                out.print(f"  - {x.text}", markup=False)
        else:
            out.print("Try a smaller model, a smaller --ctx, or more memory.", markup=False)
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
    margin: MarginOpt = None,
    headless: HeadlessOpt = False,
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
    extra = _log_advice(matches, facts, catalog, gpu, vram, ram, margin, headless)
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
    matches: list[Any],
    facts: Any,
    catalog: list[str] | None,
    gpu: str | None,
    vram: float | None,
    ram: float | None,
    margin: float | None,
    headless: bool,
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

    machine = _machine(cat, gpu, vram, ram, None, margin=margin, headless=headless)
    quant = facts.quant or facts.quant_from_file()
    tips = oom_advice(spec, machine, quant, facts.ctx, facts.file)
    return {m.problem.id: tips for m in oom} if tips else {}


def _positive(opt: str, v: float | None, lo: float, hi: float) -> None:
    if v is not None and not lo <= v <= hi:  # also NaN
        raise BadValueError(f"{opt} {v:g} is out of range", f"allowed: {lo:g} to {hi:g}")


def _print_recommend(cat: Any, machine: Any, use: str | None, min_tps: float, ctx: int, top: int) -> dict[str, Any]:
    from willitrun.advise.recommend import recommend as run_recommend

    picks = run_recommend(cat.models, machine, use=use, min_tps=min_tps, ctx=ctx, top=top)
    out = _console()
    for u, rows in picks.items():
        out.print(f"Best for {u} (at {min_tps:g}+ tok/s, {ctx // 1024}k context):", style="bold", markup=False)
        if not rows:
            out.print("  nothing in the catalog runs that fast here; try --min-tps 5 or a --gpu", markup=False)
        for i, p in enumerate(rows, 1):
            o = p.option
            out.print(
                f"  {i}. {p.model.id:24s} {o.quant:7s} {o.tokens_per_s or 0:6.0f} tok/s  {o.verdict}",
                markup=False,
            )
            out.print(f"     {p.why}", markup=False)
    return {
        u: [
            {
                "id": p.model.id,
                "name": p.model.name,
                "quant": p.option.quant,
                "verdict": p.option.verdict,
                "tokens_per_s": round(p.option.tokens_per_s or 0, 2),
                "total_bytes": p.option.total_bytes,
                "score": round(p.score, 3),
                "why": p.why,
            }
            for p in rows
        ]
        for u, rows in picks.items()
    }


@app.command()
def recommend(
    use: Annotated[str | None, typer.Option("--use", help="chat, code, reasoning or vision (default: each).")] = None,
    min_tps: Annotated[float, typer.Option("--min-tps", help="Slowest acceptable speed, tok/s.")] = 10.0,
    ctx: Annotated[int, typer.Option("--ctx", help="Context to plan for.")] = 8192,
    top: Annotated[int, typer.Option("--top", help="How many per use (1-50).")] = 5,
    gpu: GpuOpt = None,
    vram: VramOpt = None,
    ram: RamOpt = None,
    ram_bandwidth: RamBwOpt = None,
    total: TotalOpt = False,
    margin: MarginOpt = None,
    headless: HeadlessOpt = False,
    catalog: CatalogOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The best models this (or a simulated) machine runs well, per use, with quantization and speed."""
    from willitrun.advise.recommend import USES

    if use is not None and use not in USES:
        raise BadValueError(f"--use {use!r} is not a use", "allowed: " + ", ".join(USES))
    _positive("--min-tps", min_tps, 0, 100000)
    _positive("--ctx", ctx, 256, 16_777_216)
    _positive("--top", top, 1, 50)
    cat = _load(catalog)
    machine = _machine(cat, gpu, vram, ram, ram_bandwidth, total=total, margin=margin, headless=headless)
    if as_json:
        from willitrun.advise.recommend import recommend as run_recommend
        from willitrun.render import machine_json

        picks = run_recommend(cat.models, machine, use=use, min_tps=min_tps, ctx=ctx, top=top)
        _print_json(
            {
                "hardware": machine_json(machine),
                "min_tokens_per_s": min_tps,
                "context": ctx,
                "uses": {
                    u: [
                        {
                            "id": p.model.id,
                            "name": p.model.name,
                            "quant": p.option.quant,
                            "verdict": p.option.verdict,
                            "tokens_per_s": round(p.option.tokens_per_s or 0, 2),
                            "total_bytes": p.option.total_bytes,
                            "gpu_left_bytes": p.option.gpu_left_bytes,
                            "offload": p.option.offload,
                            "why": p.why,
                        }
                        for p in rows
                    ]
                    for u, rows in picks.items()
                },
            }
        )
        return
    from willitrun.render import machine_line

    _console().print(f"On {machine_line(machine)}", markup=False)
    _print_recommend(cat, machine, use, min_tps, ctx, top)


@app.command("best-gpu")
def best_gpu(
    budget: Annotated[float, typer.Option("--budget", help="Most you want to spend, USD.")],
    model: Annotated[str | None, typer.Option("--model", help="Only hardware that runs this model on GPU.")] = None,
    quant: Annotated[str, typer.Option("--quant", "-q", help="Quantization for --model.")] = "Q4_K_M",
    ctx: Annotated[int, typer.Option("--ctx", help="Context to plan for.")] = 8192,
    min_tps: Annotated[
        float | None, typer.Option("--min-tps", help="Slowest acceptable tok/s (default 20 without --model).")
    ] = None,
    used: Annotated[bool, typer.Option("--used", help="Use dated used-market prices where known.")] = False,
    kind: Annotated[str, typer.Option("--kind", help="gpu, system or any.")] = "any",
    max_count: Annotated[int, typer.Option("--max-count", help="Most identical GPUs in one box (1-8).")] = 4,
    top: Annotated[int, typer.Option("--top", help="Rows to show (1-100).")] = 10,
    prices: Annotated[
        str | None, typer.Option("--prices", help="YAML with gpus: [{id, price_usd, price_kind, price_date}].")
    ] = None,
    margin: MarginOpt = None,
    headless: HeadlessOpt = False,
    catalog: CatalogOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Hardware to buy within a budget, ranked by what it actually runs."""
    from willitrun.advise.best_gpu import LADDER
    from willitrun.advise.best_gpu import best_gpu as run_best

    _positive("--budget", budget, 1, 10_000_000)
    _positive("--ctx", ctx, 256, 16_777_216)
    _positive("--min-tps", min_tps, 0, 100000)
    _positive("--max-count", max_count, 1, 8)
    _positive("--top", top, 1, 100)
    if kind not in ("gpu", "system", "any"):
        raise BadValueError(f"--kind {kind!r} is not a kind", "allowed: gpu, system, any")
    cat = _load(catalog)
    gpus = _with_prices(cat.gpus, prices)
    spec = None
    if model is not None:
        from willitrun.catalog.resolve import resolve_model

        spec = resolve_model(cat, model)
    q = _parse_quants(quant, "llama.cpp")
    if len(q) != 1:
        raise BadValueError("--quant takes one quantization here", "e.g. --quant Q4_K_M")
    ladder = [cat.model(i) for i in LADDER if i in {m.id for m in cat.models}]
    rows = run_best(
        gpus,
        ladder,
        budget=budget,
        model=spec,
        quant=q[0],
        ctx=ctx,
        min_tps=min_tps,
        used=used,
        kind=kind,
        max_count=max_count,
        headroom=_headroom(margin, headless),
    )[:top]
    payload = {
        "budget_usd": budget,
        **({"model": spec.id} if spec else {}),
        "options": [
            {
                "gpu": r.config.gpu.name,
                "gpu_id": r.config.gpu.id,
                "count": r.config.count,
                "memory_gib": r.config.memory_gib,
                "price_usd": r.config.price_usd,
                "price_kind": r.config.price_kind,
                "price_date": r.config.price_date,
                "vram_bytes": r.config.vram_bytes,
                "power_w": r.config.power_w,
                **(
                    {"verdict": r.option.verdict, "tokens_per_s": round(r.option.tokens_per_s or 0, 2)}
                    if r.option
                    else {}
                ),
                **({"runs_up_to": r.model.id} if r.model and spec is None else {}),
                "why": r.why,
            }
            for r in rows
        ],
    }
    if as_json:
        _print_json(payload)
        raise typer.Exit(0 if rows else 1)
    out = _console()
    if not rows:
        what = f"runs {spec.id} fully on GPU" if spec else "is priced"
        out.print(f"Nothing within ${budget:,.0f} {what}. Try a larger --budget, --used, or a smaller model.")
        raise typer.Exit(1)
    title = f"Within ${budget:,.0f}" + (f", running {spec.name} ({q[0]}, {ctx // 1024}k context)" if spec else "")
    out.print(title + ":", style="bold", markup=False)
    for i, r in enumerate(rows, 1):
        c = r.config
        speed = f", {r.option.tokens_per_s or 0:.0f} tok/s" if spec and r.option else ""
        power = f", {c.power_w:.0f} W" if c.power_w else ""
        out.print(
            f"{i:2d}. {c.label}: ${c.price_usd:,.0f} ({c.price_kind} {c.price_date}), "
            f"{c.vram_bytes / 2**30:.0f} GB{speed}{power}",
            markup=False,
        )
        out.print(f"    {r.why}", markup=False)
    _stderr("note: prices move; --prices FILE overrides them, --used uses dated used-market prices where known")


def _with_prices(gpus: Any, path: str | None) -> Any:
    """The catalog's GPUs with prices from --prices FILE applied (id -> price_usd/price_kind/price_date)."""
    if path is None:
        return gpus
    from dataclasses import replace
    from pathlib import Path

    from willitrun.catalog.load import _Entry, _parse_yaml, _read_bytes

    raw = _parse_yaml(Path(path), _read_bytes(Path(path)))
    rows = raw.get("gpus") if isinstance(raw, dict) else None
    if not isinstance(rows, list):
        raise BadValueError(
            f"{path}: must be a mapping with a 'gpus:' list of {{id, price_usd, price_kind, price_date}}"
        )
    by_id = {g.id: g for g in gpus}
    for i, r in enumerate(rows):
        e = _Entry(path, "price", i, r)
        gid = e.str_("id", required=True) or ""
        if gid not in by_id:
            raise BadValueError(
                f"{path}: price {i + 1} names unknown GPU {gid!r}", "ids as 'willitrun gpus' lists them"
            )
        kind = e.str_("price_kind") or "street"
        by_id[gid] = replace(
            by_id[gid],
            price_usd=e.num("price_usd", required=True, lo=1, hi=10_000_000),
            price_kind=kind,
            price_date=e.date("price_date") or "given",
        )
    return tuple(by_id.values())


def _headroom(margin: float | None, headless: bool) -> Any:
    from willitrun.estimate.types import GIB, Headroom

    _positive("--margin", margin, 0, 64)
    return Headroom(headless=headless) if margin is None else Headroom(int(margin * GIB), headless)


@app.command()
def compare(
    hardware: Annotated[list[str], typer.Argument(help="Two or more GPUs or systems, e.g. 'RTX 3090' 'RTX 4090'.")],
    margin: MarginOpt = None,
    headless: HeadlessOpt = False,
    catalog: CatalogOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Hardware side by side: memory, bandwidth, compute, power, price, and what each runs how fast."""
    from willitrun.advise.compare import REFERENCE, better
    from willitrun.advise.compare import compare as run_compare
    from willitrun.catalog.resolve import parse_hardware

    if len(hardware) < 2:
        raise BadValueError("compare needs at least two GPUs", "e.g. willitrun compare 'RTX 3090' 'RTX 4090'")
    cat = _load(catalog)
    items = []
    for h in hardware:
        parsed = parse_hardware(cat, h)
        if len(parsed) != 1:
            raise BadValueError(f"{h!r} must name one kind of GPU (with a count, e.g. '2x RTX 3090')")
        it = parsed[0]
        items.append((it.gpu, it.count, it.memory_gib))
    models = [cat.model(i) for i in REFERENCE]
    cols = run_compare(items, models, headroom=_headroom(margin, headless))
    if as_json:
        from willitrun.render import gpu_json

        _print_json(
            {
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
        )
        return
    from rich import box
    from rich.table import Table

    t = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    t.add_column("", no_wrap=True)
    for c in cols:
        t.add_column(c.label.replace("NVIDIA ", "").replace("GeForce ", "").replace("AMD ", ""), justify="right")

    def row(label: str, values: list[float | None], fmt: str, higher: bool = True) -> None:
        best = better(values, higher)
        cells = []
        for i, v in enumerate(values):
            text = "-" if v is None else fmt.format(v)
            cells.append(text + (" *" if i == best else "  "))
        t.add_row(label, *cells)

    row("Memory GB", [c.memory_gib * c.count for c in cols], "{:g}")
    row("Bandwidth GB/s", [c.gpu.bandwidth_gbps for c in cols], "{:,.0f}")
    row("FP16 TFLOPS", [c.gpu.fp16_tflops * c.count for c in cols], "{:,.0f}")
    row("Power W", [c.gpu.tdp_w * c.count if c.gpu.tdp_w else None for c in cols], "{:,.0f}", higher=False)
    row("Price USD", [c.gpu.price_usd * c.count if c.gpu.price_usd else None for c in cols], "{:,.0f}", higher=False)
    for k, m in enumerate(models):
        vals: list[float | None] = []
        for c in cols:
            o = c.runs[k][1]
            vals.append(o.tokens_per_s if o.verdict == "gpu" and o.tokens_per_s else None)
        label = f"{m.id} tok/s"
        best = better(vals)
        cells = []
        for i, c in enumerate(cols):
            o = c.runs[k][1]
            if o.verdict == "gpu" and o.tokens_per_s:
                cells.append(f"{o.tokens_per_s:,.0f}" + (" *" if i == best else "  "))
            else:
                cells.append({"partial": "partial", "cpu": "CPU", "no": "no"}.get(o.verdict, "-") + "  ")
        t.add_row(label, *cells)
    out = _console()
    out.print(t)
    out.print("Q4_K_M, 8k context; * = better; partial = part of the model in system RAM", markup=False)


@app.command()
def cost(
    model: Annotated[str, typer.Option("--model", help="The model to run.")],
    gpu: GpuOpt = None,
    tokens_per_day: Annotated[
        float, typer.Option("--tokens-per-day", help="Tokens generated per day (default 1,000,000).")
    ] = 1_000_000,
    kwh: Annotated[float | None, typer.Option("--kwh", help="Electricity price, USD per kWh.")] = None,
    years: Annotated[float, typer.Option("--years", help="Years to spread the hardware price over.")] = 3.0,
    quant: Annotated[str, typer.Option("--quant", "-q", help="Quantization run locally and in the cloud.")] = "Q4_K_M",
    catalog: CatalogOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Running a model locally versus renting a cloud GPU versus paying an API: per month and per million tokens."""
    from willitrun.advise.best_gpu import Config
    from willitrun.advise.cost import break_even_months
    from willitrun.advise.cost import cost as run_cost
    from willitrun.catalog.prices import load_prices
    from willitrun.catalog.resolve import parse_hardware, resolve_model

    _positive("--tokens-per-day", tokens_per_day, 1, 1e12)
    _positive("--kwh", kwh, 0, 10)
    _positive("--years", years, 0.1, 20)
    cat = _load(catalog)
    spec = resolve_model(cat, model)
    q = _parse_quants(quant, "llama.cpp")
    prices = load_prices()
    local = None
    notes: list[str] = []
    if gpu is None:
        machine = _machine(cat, None, None, None, None)
        ids = {d.catalog_id for d in machine.devices}
        if len(ids) == 1 and None not in ids:
            g = cat.gpu(next(iter(ids)))
            if g.price_usd:
                local = Config(
                    g,
                    len(machine.devices),
                    g.memory_gib,
                    g.price_usd * len(machine.devices),
                    g.price_kind or "",
                    g.price_date or "",
                )
        if local is None:
            notes.append("no priced GPU detected here: name one with --gpu to compare running locally")
    else:
        items = parse_hardware(cat, gpu)
        if len(items) != 1:
            raise BadValueError("--gpu must name one kind of GPU here", "e.g. --gpu '2x RTX 3090'")
        it = items[0]
        if not it.gpu.price_usd:
            raise BadValueError(f"{it.gpu.name} has no price in the catalog", "pick another GPU")
        local = Config(
            it.gpu,
            it.count,
            it.memory_gib,
            it.gpu.price_usd * it.count,
            it.gpu.price_kind or "",
            it.gpu.price_date or "",
        )
    power = kwh
    if power is None:
        us = next((e for e in prices.electricity if e.region == "US"), None)
        power = us.usd_per_kwh if us else 0.17
        notes.append(f"electricity at ${power:g}/kWh ({us.source if us else 'assumed'}); set --kwh")
    lines, more = run_cost(
        spec,
        local,
        {g.id: g for g in cat.gpus},
        prices,
        tokens_per_day=tokens_per_day,
        kwh_usd=power,
        years=years,
        quant=q[0],
    )
    notes += more
    be = None
    if local is not None and lines and lines[0].what.startswith("local"):
        running = lines[0].usd_per_month - local.price_usd / (years * 12)
        others = [x.usd_per_month for x in lines[1:]]
        if others:
            be = break_even_months(local.price_usd, running, min(others))
    if as_json:
        _print_json(
            {
                "model": spec.id,
                "tokens_per_day": tokens_per_day,
                "options": [
                    {
                        "what": x.what,
                        "usd_per_month": round(x.usd_per_month, 2),
                        "usd_per_million_tokens": round(x.usd_per_m_tokens, 4),
                        "detail": x.detail,
                        "source": x.source,
                    }
                    for x in lines
                ],
                "break_even_months": round(be, 1) if be is not None else None,
                "notes": notes,
            }
        )
        return
    out = _console()
    out.print(f"{spec.name}, {tokens_per_day:,.0f} tokens a day:", style="bold", markup=False)
    for x in lines:
        out.print(f"  {x.what}: ${x.usd_per_month:,.2f}/month, ${x.usd_per_m_tokens:,.3f} per M tokens", markup=False)
        out.print(f"     {x.detail}", markup=False)
        out.print(f"     price: {x.source}", markup=False)
    if be is not None:
        out.print(
            f"  Owning pays for itself after about {be:.0f} months against the cheapest alternative.", markup=False
        )
    elif local is not None and len(lines) > 1:
        out.print("  At this volume, owning never beats the cheapest alternative.", markup=False)
    for n in notes:
        _stderr(f"note: {n}")


GGUF_PLACES = (
    "~/.lmstudio/models",
    "~/.cache/lm-studio/models",
    "~/.cache/llama.cpp",
    "~/Library/Caches/llama.cpp",
    "~/AppData/Local/llama.cpp",
)


def _gguf_files(dirs: list[str], limit: int = 500) -> list[str]:
    """GGUF model files in the usual places (LM Studio, llama.cpp's and Hugging Face's caches) and --dir folders;
    not projectors, and only the first part of a split model."""
    import os

    places = [os.path.expanduser(p) for p in GGUF_PLACES]
    hf = os.environ.get("HF_HUB_CACHE") or os.path.join(
        os.environ.get("HF_HOME") or os.path.expanduser("~/.cache/huggingface"), "hub"
    )
    llama_cache = os.environ.get("LLAMA_CACHE")
    places += [hf] + ([llama_cache] if llama_cache else []) + dirs
    found: list[str] = []
    for top in places:
        if not os.path.isdir(top):
            continue
        for root, subdirs, files in os.walk(top, followlinks=False):
            if root[len(top) :].count(os.sep) > 6:
                subdirs[:] = []
            for f in sorted(files):
                low = f.lower()
                if not low.endswith(".gguf") or "mmproj" in low:
                    continue
                if "-of-" in low and "-00001-of-" not in low:
                    continue
                path = os.path.join(root, f)
                if os.path.realpath(path) not in {os.path.realpath(x) for x in found}:
                    found.append(path)
                if len(found) >= limit:
                    return found
    return found


@app.command()
def installed(
    dirs: Annotated[list[str] | None, typer.Option("--dir", help="Another folder to search for .gguf files.")] = None,
    gpu: GpuOpt = None,
    vram: VramOpt = None,
    ram: RamOpt = None,
    ctx: Annotated[int, typer.Option("--ctx", help="Context to plan for.")] = 8192,
    total: TotalOpt = False,
    catalog: CatalogOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Models already on this machine (Ollama's, and GGUF files in the usual folders), with verdict and speed."""
    import os

    from willitrun.estimate.core import Request, estimate
    from willitrun.estimate.quants import normalize_mix
    from willitrun.estimate.tensors import scaled_to, weights_breakdown

    _positive("--ctx", ctx, 256, 16_777_216)
    for d in dirs or []:
        if not os.path.isdir(d):
            raise BadValueError(f"--dir {d}: not a folder")
    cat = _load(catalog)
    machine = _machine(cat, gpu, vram, ram, None, total=total)
    rows: list[dict[str, Any]] = []
    notes: list[str] = []
    from willitrun.sources import ollama

    listed = ollama.list_models()
    if listed is None:
        notes.append(f"Ollama is not running at {ollama.ollama_host()}: its models are not listed")
    for om in listed or []:
        try:
            full = ollama.show_model(om.name)
        except WillItRunError as e:
            notes.append(f"{om.name}: {e.message}")
            continue
        row: dict[str, Any] = {"source": "ollama", "name": om.name, "quant": om.quant, "size_bytes": om.size_bytes}
        if full.spec is not None:
            q = normalize_mix(full.quant or "") or "Q4_K_M"
            w = scaled_to(weights_breakdown(full.spec, q), om.size_bytes)
            o = estimate(full.spec, machine, Request(weights=(w,), ctx=min(ctx, full.spec.context_max))).options[0]
            row |= {"verdict": o.verdict, "tokens_per_s": round(o.tokens_per_s, 2) if o.tokens_per_s else None}
        else:
            row |= {"verdict": None, "tokens_per_s": None}
        rows.append(row)
    from willitrun.sources.gguf_file import read_gguf

    for path in _gguf_files(list(dirs or [])):
        try:
            g = read_gguf(path)
        except WillItRunError as e:
            notes.append(f"skipped {e.message}")
            continue
        o = estimate(g.spec, machine, Request(weights=(g.weights,), ctx=min(ctx, g.spec.context_max))).options[0]
        rows.append(
            {
                "source": "file",
                "name": os.path.basename(path),
                "path": path,
                "quant": g.quant,
                "size_bytes": g.file_bytes,
                "verdict": o.verdict,
                "tokens_per_s": round(o.tokens_per_s, 2) if o.tokens_per_s else None,
            }
        )
    if as_json:
        _print_json({"models": rows, "notes": notes})
        return
    out = _console()
    if not rows:
        out.print("No installed models found (Ollama's, or .gguf files in the usual folders; add --dir).")
    else:
        from rich import box
        from rich.table import Table

        t = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
        t.add_column("From", no_wrap=True)
        t.add_column("Model", no_wrap=True, overflow="ellipsis", max_width=34)
        for col in ("Quant", "GiB", "Runs", "tok/s"):
            t.add_column(col, no_wrap=True, justify="right" if col in ("GiB", "tok/s") else "left")
        for r in rows:
            tps = r.get("tokens_per_s")
            t.add_row(
                r["source"],
                r["name"],
                r.get("quant") or "-",
                f"{r['size_bytes'] / 2**30:.1f}",
                r.get("verdict") or "?",
                f"{tps:.0f}" if tps else "-",
            )
        out.print(t)
    for n in notes:
        _stderr(f"note: {n}")


def _exit_code(exc: BaseException) -> int | None:
    """The exit code of typer's/click's Exit, whichever package provides it."""
    if type(exc).__name__ == "Exit":
        code = getattr(exc, "exit_code", 0)
        return int(code) if isinstance(code, int) else 0
    return None


def _app_for(args: list[str]) -> typer.Typer:
    """The app with only the command asked for: typer builds every registered command's options at each start
    (about 3 ms for all of them), and one command needs only its own. Anything else gets the whole app."""
    first = args[0] if args else ""
    if not first or first.startswith("-"):
        return app
    from typer.main import get_command_name  # already imported by typer itself

    picked = [
        c for c in app.registered_commands if c.callback and (c.name or get_command_name(c.callback.__name__)) == first
    ]
    if len(picked) != 1:
        return app
    one = copy.copy(app)
    one.registered_commands = picked  # the callback stays, so typer still builds a group: same usage and help
    return one


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app, turning every failure into one line on stderr and exit 2."""
    args = sys.argv[1:] if argv is None else argv
    try:
        rv = _app_for(args)(args=args, prog_name="willitrun", standalone_mode=False)
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
