"""The command line: parse options, call one use-case function, hand its typed result to render.

Nothing here computes or formats: each command checks its options, calls a function in advise/, sources/,
hardware/ or knowledge/, and passes the result to render for text or JSON through the one Terminal. Data goes to
stdout, notes and warnings to stderr; `--json` prints one JSON document and nothing else. Exit codes: 0
answered, 1 answered but nothing runs, 2 bad input (one line on stderr, never a traceback), 3 a bug.
"""

import copy
import sys
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from willitrun import __version__
from willitrun.errors import BadValueError, WillItRunError
from willitrun.terminal import Terminal

if TYPE_CHECKING:  # names in quotes below: typer reads the commands' annotations at run time
    from willitrun.catalog.load import Catalog
    from willitrun.catalog.types import GpuSpec
    from willitrun.estimate.types import Headroom, Machine, ModelSpec, Runtime

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
PricesOpt = Annotated[
    str | None,
    typer.Option(
        "--prices",
        help="YAML with gpus: [{id, price_usd, price_kind, price_date, used_price_usd, used_price_date, source}].",
    ),
]
MarginOpt = Annotated[
    float | None,
    typer.Option(
        "--margin", help="GB kept free on every GPU (default 1, llama.cpp's fit margin; 0 allowed, up to 64)."
    ),
]
BackendOpt = Annotated[
    str | None,
    typer.Option(
        "--backend",
        help="llama.cpp backend: cuda, rocm, vulkan, sycl, metal or cpu (default per GPU: docs/cli.md).",
    ),
]
CpuOpt = Annotated[
    str | None,
    typer.Option("--cpu", help="Simulate the CPU: a data/cpus.yaml name, e.g. 'Ryzen 9 7950X', 'Raspberry Pi 5'."),
]
ThreadsOpt = Annotated[int | None, typer.Option("--threads", help="CPU threads llama.cpp uses (default: cores).")]
HeadlessOpt = Annotated[
    bool,
    typer.Option("--headless", help="Simulated GPUs drive no desktop: keep no 0.8 GB aside for one."),
]
TotalOpt = Annotated[
    bool, typer.Option("--total", help="Plan with each GPU's total memory, as if nothing else ran (default: free).")
]


TERM = Terminal()


def _fail(err: WillItRunError, as_json: bool = False) -> NoReturn:
    _error(err.one_line(), 2, "bad_input", as_json)


def _error(message: str, code: int, kind: str, as_json: bool) -> NoReturn:
    """One line on stderr, or under --json one `{"error", "code", "kind"}` document on stdout; the exit code."""
    if as_json:
        TERM.json_error(message, code, kind)
    else:
        prefix = "internal error" if kind == "internal" else "error"
        TERM.error(f"willitrun: {prefix}: {message}" if code != 130 else f"willitrun: {message}")
    raise SystemExit(code)


def _load(catalog: list[str] | None) -> "Catalog":
    from willitrun.catalog.load import load_catalog

    return load_catalog(catalog or [])


def _machine(
    cat: "Catalog",
    gpu: str | None = None,
    vram: float | None = None,
    ram: float | None = None,
    ram_bw: float | None = None,
    *,
    total: bool = False,
    margin: float | None = None,
    headless: bool = False,
    run: tuple[str | None, str | None, int | None] = (None, None, None),
) -> "Machine":
    """run: (--backend, --cpu, --threads)."""
    from willitrun.hardware import machine_for

    backend, cpu, threads = run

    return machine_for(
        cat,
        gpu=gpu,
        vram_gb=vram,
        ram_gb=ram,
        ram_bandwidth_gbps=ram_bw,
        total=total,
        margin_gb=margin,
        headless=headless,
        backend=backend,
        cpu=cpu,
        threads=threads,
    )


def _positive(opt: str, v: float | None, lo: float, hi: float) -> None:
    if v is not None and not lo <= v <= hi:  # also NaN
        raise BadValueError(f"{opt} {v:g} is out of range", f"allowed: {lo:g} to {hi:g}")


def _headroom(margin: float | None, headless: bool, backend: str | None = None) -> "Headroom":
    """How catalog hardware is set up: --margin, --headless, --backend (checked here, applied per card)."""
    from willitrun.estimate.types import FIT_MARGIN_BYTES, GIB, Headroom
    from willitrun.hardware.simulate import BACKEND_NAMES

    _positive("--margin", margin, 0, 64)
    b = backend.strip().lower() if backend is not None else None
    if b is not None and b not in BACKEND_NAMES:
        raise BadValueError(f"--backend {backend!r} is not a backend", "allowed: " + ", ".join(BACKEND_NAMES))
    return Headroom(FIT_MARGIN_BYTES if margin is None else int(margin * GIB), headless, b)


def _runtime(text: str) -> "Runtime":
    from willitrun.estimate.types import RUNTIMES

    rt = text.strip().lower().replace("llamacpp", "llama.cpp").replace("llama-cpp", "llama.cpp")
    for known in RUNTIMES:
        if rt == known:
            return known
    raise BadValueError(f"--runtime {text!r} is not supported", "allowed: " + ", ".join(RUNTIMES))


@app.callback()
def root(
    ctx: typer.Context,
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
) -> None:
    """Will this AI model run on this machine, how fast, and what hardware to buy."""
    if version:
        TERM.line(f"willitrun {__version__}")
        raise typer.Exit(0)
    if ctx.invoked_subcommand is None:
        from willitrun.advise.recommend import recommend as run_recommend
        from willitrun.render import machine_line, print_picks

        cat = _load(None)
        machine = _machine(cat)
        TERM.line(f"This machine: {machine_line(machine)}")
        print_picks(TERM, run_recommend(cat.models, machine, use=None, min_tps=10.0, ctx=8192, top=3), 10.0, 8192)
        TERM.line("More: willitrun check MODEL, willitrun recommend --use code, willitrun --help")


def _parse_quants(quant: str | None, runtime: "Runtime") -> tuple[str, ...]:
    from willitrun.estimate.core import formats_for
    from willitrun.estimate.quants import normalize_mix
    from willitrun.estimate.types import GGUF_RUNTIMES

    if quant is None:
        return ()
    known = formats_for(runtime)
    if quant.strip().lower() == "all":
        return known
    out: list[str] = []
    for q in quant.split(","):
        key = q.strip().upper().replace("-", "_")
        n = normalize_mix(q) if runtime in GGUF_RUNTIMES else (key if key in known else None)
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
    runtime: Annotated[str | None, typer.Option("--runtime", help="llama.cpp (default), ollama, vllm or mlx.")] = None,
    gpu: GpuOpt = None,
    vram: VramOpt = None,
    ram: RamOpt = None,
    ram_bandwidth: RamBwOpt = None,
    total: TotalOpt = False,
    margin: MarginOpt = None,
    headless: HeadlessOpt = False,
    backend: BackendOpt = None,
    cpu: CpuOpt = None,
    threads: ThreadsOpt = None,
    mmproj: Annotated[
        str | None, typer.Option("--mmproj", help="A vision projector GGUF loaded beside the model.")
    ] = None,
    catalog: CatalogOpt = None,
    plot: Annotated[
        bool, typer.Option("--plot", help="Chart decode speed and time to first token against context.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Per quantization: memory, verdict, GPU layers, speed, max context, and the command to run it.

    MODEL: a catalog id or alias, an Ollama name prefixed 'ollama:', a Hugging Face repo id (org/name), or the
    path of a .gguf file (the first part of a split model)."""
    from willitrun.advise.check import check as run_check
    from willitrun.estimate.core import Request
    from willitrun.estimate.kv import KV_TYPES
    from willitrun.sources.model import model_source

    if ctx is not None and not 1 <= ctx <= 16_777_216:
        raise BadValueError(f"--ctx {ctx} is out of range", "allowed: 1 to 16777216 tokens")
    kv = kv_cache.strip().lower()
    if kv not in KV_TYPES:
        raise BadValueError(f"--kv-cache {kv_cache!r} is not a cache type", "allowed: " + ", ".join(KV_TYPES))
    if not 1 <= parallel <= 256:
        raise BadValueError(f"--parallel {parallel} is out of range", "allowed: 1 to 256")
    rt = _runtime("llama.cpp" if runtime is None else runtime)
    quants = _parse_quants(quant, rt)
    _check_nodes(model, gpu, runtime or rt, quant, vram, ram, margin, headless, catalog, as_json)  # several nodes
    cat = _load(catalog)
    src = model_source(cat, model, mmproj)
    rt = _runtime_for(src.spec, rt, kv, explicit=runtime is not None)
    run = (backend, cpu, threads)
    machine = _machine(cat, gpu, vram, ram, ram_bandwidth, total=total, margin=margin, headless=headless, run=run)
    req = Request(quants=quants, ctx=ctx, kv_type=kv, parallel=parallel, runtime=rt)
    result = run_check(cat, src, machine, req)
    from willitrun.render import check_result_json, print_check

    curve = None
    if plot:
        from dataclasses import replace

        from willitrun.advise.plot import speed_by_context

        curve = speed_by_context(result.est, replace(req, weights=src.weights, extra_bytes=src.extra_bytes))
        if curve is None and not as_json:
            TERM.note("--plot: nothing runs here, so there is no speed to chart")
    if as_json:
        TERM.json(check_result_json(result, curve))
    else:
        print_check(TERM, result, curve)
    raise typer.Exit(0 if result.runs else 1)


@app.command()
def detect(
    measure: Annotated[
        bool, typer.Option("--measure", help="Time a large memory copy and remember the RAM bandwidth.")
    ] = False,
    as_json: JsonOpt = False,
    catalog: CatalogOpt = None,
) -> None:
    """What hardware was found: GPUs (memory total and free, bandwidth, driver), CPU, RAM, and how we know."""
    from willitrun.hardware.backends import installed_backends
    from willitrun.hardware.detect import detect as run_detect
    from willitrun.render import detect_json, print_detect

    cat = _load(catalog)
    measured_note = None
    if measure:
        from willitrun.hardware import membw

        gbps = membw.measure()
        measured_note = f"RAM bandwidth measured: {gbps:.1f} GB/s (a timed copy over every core)"
        if membw.save(gbps) is None:
            measured_note += "; the cache directory is not writable, so it is not remembered"
    machine = run_detect(cat)
    backends = installed_backends()
    if as_json:
        TERM.json(detect_json(machine, [measured_note] if measured_note else [], backends))
    else:
        print_detect(TERM, machine, measured_note, backends)


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
    from willitrun.render import print_models

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
    print_models(TERM, items, len(cat.models), as_json)


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
    from willitrun.render import print_gpus

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
    print_gpus(TERM, items, len(cat.gpus), as_json)


@app.command()
def explain(
    term: Annotated[
        list[str] | None, typer.Argument(help="A term, e.g. kv-cache, kv cache, 'Imbalanced Data', qlora.")
    ] = None,
    list_all: Annotated[bool, typer.Option("--list", help="List every term, grouped by category.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Explain a local-AI term: definition, details, an example with numbers, and commands to try."""
    from willitrun.knowledge.glossary import find_term, load_glossary
    from willitrun.render import print_term, print_term_list, term_json

    terms = load_glossary()
    words = " ".join(term or []).strip()
    if list_all:
        if as_json:
            TERM.json({"terms": [{"id": t.id, "title": t.title, "category": t.category} for t in terms]})
        else:
            print_term_list(TERM, terms)
        return
    if term is None:
        raise BadValueError("name a term to explain", "e.g. 'willitrun explain kv-cache', or --list for all")
    t = find_term(terms, words)
    if as_json:
        TERM.json(term_json(t))
    else:
        print_term(TERM, t)


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
    from willitrun.knowledge.advice import oom_fixes
    from willitrun.knowledge.troubleshoot import Diagnosis, scan_log
    from willitrun.render import diagnosis_json, print_diagnosis

    if text is None and sys.stdin.isatty():
        raise BadValueError(
            "give the error text, a log file, or '-' to read stdin", "e.g. ... 2>&1 | willitrun troubleshoot -"
        )
    matches, facts = scan_log(text, sys.stdin)
    sized: dict[str, list[str]] = {}
    if matches:
        cat = _load(catalog)
        sized = oom_fixes(cat, matches, facts, lambda: _machine(cat, gpu, vram, ram, margin=margin, headless=headless))
    d = Diagnosis(matches, facts, sized)
    if as_json:
        TERM.json(diagnosis_json(d))
    else:
        print_diagnosis(TERM, d)
    raise typer.Exit(0 if matches else 1)


def _runtime_for(m: "ModelSpec", rt: "Runtime", kv: str, *, explicit: bool) -> "Runtime":
    """llama.cpp, unless it cannot load the architecture (Llama 3.2 Vision's mllama): then Ollama, which runs it,
    with a note; asked for by name, llama.cpp is refused in one line. Then the cache type is checked for it."""
    from willitrun.estimate.runtime import LLAMA_CPP_LACKS, MLX_LM_LACKS, MLX_LM_VERSION

    if rt == "mlx" and m.arch in MLX_LM_LACKS:
        raise BadValueError(
            f"--runtime mlx: mlx-lm ({MLX_LM_VERSION}) has no model for the {m.arch!r} architecture",
            "llama.cpp runs it: --runtime llama.cpp" if m.arch not in LLAMA_CPP_LACKS else "Ollama runs it",
        )
    if rt != "llama.cpp" or m.arch not in LLAMA_CPP_LACKS:
        _kv_cache_allowed(kv, m, rt)
        return rt
    if explicit:
        raise BadValueError(
            f"--runtime llama.cpp: llama.cpp has no {m.arch!r} architecture", "Ollama runs it: --runtime ollama"
        )
    TERM.note(f"llama.cpp has no {m.arch!r} architecture; planned for Ollama, which runs this model (--runtime ollama)")
    _kv_cache_allowed(kv, m, "ollama")
    return "ollama"


def _kv_cache_allowed(kv: str, m: "ModelSpec", runtime: str) -> None:
    """What llama.cpp refuses when it creates the context: a quantized cache without flash attention (which it never
    uses for some architectures), and a quantized K cache whose blocks do not divide the head width."""
    from willitrun.estimate.kv import kv_block_elements
    from willitrun.estimate.runtime import NO_FLASH_ATTENTION

    if kv == "f16" or runtime not in ("llama.cpp", "ollama"):
        return
    if m.arch in NO_FLASH_ATTENTION:
        raise BadValueError(
            f"--kv-cache {kv}: llama.cpp runs {m.arch} models without flash attention, and a quantized cache needs it",
            "use --kv-cache f16",
        )
    block = kv_block_elements(kv)
    width = m.head_dim if not m.is_mla else 0
    if width and width % block:
        raise BadValueError(
            f"--kv-cache {kv}: its blocks of {block} do not divide this model's head width of {width}",
            "llama.cpp refuses such a cache; use --kv-cache f16",
        )


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
    backend: BackendOpt = None,
    cpu: CpuOpt = None,
    threads: ThreadsOpt = None,
    catalog: CatalogOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The best models this (or a simulated) machine runs well, per use, with quantization and speed."""
    from willitrun.advise.recommend import USES
    from willitrun.advise.recommend import recommend as run_recommend
    from willitrun.render import machine_line, print_picks, recommend_json

    if use is not None and use not in USES:
        raise BadValueError(f"--use {use!r} is not a use", "allowed: " + ", ".join(USES))
    _positive("--min-tps", min_tps, 0, 100000)
    _positive("--ctx", ctx, 256, 16_777_216)
    _positive("--top", top, 1, 50)
    cat = _load(catalog)
    run = (backend, cpu, threads)
    machine = _machine(cat, gpu, vram, ram, ram_bandwidth, total=total, margin=margin, headless=headless, run=run)
    picks = run_recommend(cat.models, machine, use=use, min_tps=min_tps, ctx=ctx, top=top)
    if as_json:
        TERM.json(recommend_json(machine, picks, min_tps, ctx))
        return
    TERM.line(f"On {machine_line(machine)}")
    print_picks(TERM, picks, min_tps, ctx)


@app.command("best-gpu")
def best_gpu(
    budget: Annotated[float, typer.Option("--budget", help="Most you want to spend, USD.")],
    model: Annotated[str | None, typer.Option("--model", help="Only hardware that runs this model on GPU.")] = None,
    quant: Annotated[str, typer.Option("--quant", "-q", help="Quantization for --model.")] = "Q4_K_M",
    ctx: Annotated[int, typer.Option("--ctx", help="Context to plan for.")] = 8192,
    min_tps: Annotated[
        float | None, typer.Option("--min-tps", help="Slowest acceptable tok/s (default 20 without --model).")
    ] = None,
    used: Annotated[bool, typer.Option("--used", help="Only used-market prices (dated, where known).")] = False,
    new_only: Annotated[bool, typer.Option("--new-only", help="Only new (street or list) prices.")] = False,
    kind: Annotated[str, typer.Option("--kind", help="gpu, system or any.")] = "any",
    max_count: Annotated[int, typer.Option("--max-count", help="Most identical GPUs in one box (1-8).")] = 4,
    top: Annotated[int, typer.Option("--top", help="Rows to show (1-100).")] = 10,
    prices: PricesOpt = None,
    margin: MarginOpt = None,
    headless: HeadlessOpt = False,
    backend: BackendOpt = None,
    catalog: CatalogOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Hardware to buy within a budget, new and used, ranked by what it actually runs."""
    from willitrun.advise.best_gpu import LADDER
    from willitrun.advise.best_gpu import best_gpu as run_best
    from willitrun.render import best_gpu_json, print_best_gpu

    _positive("--budget", budget, 1, 10_000_000)
    _positive("--ctx", ctx, 256, 16_777_216)
    _positive("--min-tps", min_tps, 0, 100000)
    _positive("--max-count", max_count, 1, 8)
    _positive("--top", top, 1, 100)
    if kind not in ("gpu", "system", "any"):
        raise BadValueError(f"--kind {kind!r} is not a kind", "allowed: gpu, system, any")
    if used and new_only:
        raise BadValueError("--used and --new-only exclude each other", "give one, or neither for both")
    q = _parse_quants(quant, "llama.cpp")
    if len(q) != 1:
        raise BadValueError("--quant takes one quantization here", "e.g. --quant Q4_K_M")
    cat = _load(catalog)
    spec = None
    if model is not None:
        from willitrun.catalog.resolve import resolve_model

        spec = resolve_model(cat, model)
    ladder = [cat.model(i) for i in LADDER if i in {m.id for m in cat.models}]
    rows = run_best(
        _priced(cat, prices),
        ladder,
        budget=budget,
        model=spec,
        quant=q[0],
        ctx=ctx,
        min_tps=min_tps,
        market="used" if used else "new" if new_only else "any",
        kind=kind,
        max_count=max_count,
        headroom=_headroom(margin, headless, backend),
    )[:top]
    if as_json:
        TERM.json(best_gpu_json(budget, spec, rows))
    else:
        print_best_gpu(TERM, budget, spec, q[0], ctx, rows, market="used" if used else "new" if new_only else "any")
    raise typer.Exit(0 if rows else 1)


def _priced(cat: "Catalog", path: str | None) -> "tuple[GpuSpec, ...]":
    if path is None:
        return cat.gpus
    from willitrun.catalog.prices import apply_price_file

    return apply_price_file(cat.gpus, path)


@app.command()
def compare(
    hardware: Annotated[list[str], typer.Argument(help="Two or more GPUs or systems, e.g. 'RTX 3090' 'RTX 4090'.")],
    margin: MarginOpt = None,
    headless: HeadlessOpt = False,
    backend: BackendOpt = None,
    catalog: CatalogOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Hardware side by side: memory, bandwidth, compute, power, price, and what each runs how fast."""
    from willitrun.advise.compare import REFERENCE
    from willitrun.advise.compare import compare as run_compare
    from willitrun.catalog.resolve import parse_hardware
    from willitrun.render import compare_json, compare_table

    if len(hardware) < 2:
        raise BadValueError("compare needs at least two GPUs", "e.g. willitrun compare 'RTX 3090' 'RTX 4090'")
    cat = _load(catalog)
    items = []
    for h in hardware:
        parsed = parse_hardware(cat, h)
        if len(parsed) != 1:
            raise BadValueError(f"{h!r} must name one kind of GPU (with a count, e.g. '2x RTX 3090')")
        items.append((parsed[0].gpu, parsed[0].count, parsed[0].memory_gib))
    models = [cat.model(i) for i in REFERENCE]
    cols = run_compare(items, models, headroom=_headroom(margin, headless, backend))
    if as_json:
        TERM.json(compare_json(cols))
        return
    TERM.show(compare_table(cols, models))
    TERM.line("Q4_K_M, 8k context; * = better; p = partial (part of the model in system RAM)")
    TERM.line("prices: kind and month read; old = read over a year ago")


@app.command()
def cost(
    model: Annotated[str, typer.Option("--model", help="The model to run.")],
    gpu: GpuOpt = None,
    tokens_per_day: Annotated[
        float, typer.Option("--tokens-per-day", help="Tokens generated (output) per day (default 1,000,000).")
    ] = 1_000_000,
    input_tokens_per_day: Annotated[
        float | None,
        typer.Option("--input-tokens-per-day", help="Prompt (input) tokens per day (default 3x the generated)."),
    ] = None,
    hours_on: Annotated[
        float, typer.Option("--hours-on", help="Hours a day the local machine is on (busy, else idle).")
    ] = 24.0,
    load_fraction: Annotated[
        float, typer.Option("--load-fraction", help="Share of board power drawn while generating (default 0.7).")
    ] = 0.7,
    kwh: Annotated[float | None, typer.Option("--kwh", help="Electricity price, USD per kWh.")] = None,
    years: Annotated[float, typer.Option("--years", help="Years to spread the hardware price over.")] = 3.0,
    quant: Annotated[str, typer.Option("--quant", "-q", help="Quantization run locally and in the cloud.")] = "Q4_K_M",
    prices: PricesOpt = None,
    backend: BackendOpt = None,
    catalog: CatalogOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Running a model locally versus renting a cloud GPU versus paying an API: per month and per million tokens."""
    from willitrun.advise.cost import cost_report, local_config
    from willitrun.catalog.prices import load_prices
    from willitrun.catalog.resolve import resolve_model
    from willitrun.render import cost_json, print_cost

    _positive("--tokens-per-day", tokens_per_day, 1, 1e12)
    _positive("--kwh", kwh, 0, 10)
    _positive("--years", years, 0.1, 20)
    _positive("--input-tokens-per-day", input_tokens_per_day, 0, 1e12)
    _positive("--hours-on", hours_on, 0, 24)
    _positive("--load-fraction", load_fraction, 0.05, 1.5)
    cat = _load(catalog)
    spec = resolve_model(cat, model)
    q = _parse_quants(quant, "llama.cpp")
    gpus = _priced(cat, prices)
    local = local_config(cat, gpus, gpu, _machine(cat) if gpu is None else None)
    report = cost_report(
        gpus,
        spec,
        local,
        load_prices(),
        tokens_per_day=tokens_per_day,
        kwh_usd=kwh,
        years=years,
        quant=q[0],
        input_tokens_per_day=input_tokens_per_day,
        hours_on=hours_on,
        load_fraction=load_fraction,
        setup=_headroom(None, False, backend),
    )
    if as_json:
        TERM.json(cost_json(report))
    else:
        print_cost(TERM, report)


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

    from willitrun.advise.installed import installed as run_installed
    from willitrun.render import installed_json, print_installed

    _positive("--ctx", ctx, 256, 16_777_216)
    for d in dirs or []:
        if not os.path.isdir(d):
            raise BadValueError(f"--dir {d}: not a folder")
    cat = _load(catalog)
    result = run_installed(_machine(cat, gpu, vram, ram, total=total), list(dirs or []), ctx)
    if as_json:
        TERM.json(installed_json(result))
    else:
        print_installed(TERM, result)


def _check_nodes(
    model: str,
    gpu: str | None,
    runtime: str,
    quant: str | None,
    vram: float | None,
    ram: float | None,
    margin: float | None,
    headless: bool,
    catalog: list[str] | None,
    as_json: bool,
) -> None:
    """`check` on several nodes: the plan across them (as `capacity` gives it, with its default request), then exit;
    on one machine it returns at once."""
    from willitrun.catalog.nodes import split_nodes

    if gpu is None or split_nodes(gpu)[0] == 1:
        return
    TERM.note("several nodes: planned as 'willitrun capacity' does, for requests of 1024 prompt + 256 answer tokens")
    capacity(
        model,
        runtime=runtime,
        quant=quant,
        gpu=gpu,
        vram=vram,
        ram=ram,
        margin=margin,
        headless=headless,
        catalog=catalog,
        as_json=as_json,
    )
    raise typer.Exit(0)  # capacity always exits itself


@app.command()
def capacity(
    model: Annotated[str, typer.Argument(help="Catalog id or alias, ollama:NAME or a Hugging Face org/repo.")],
    runtime: Annotated[str, typer.Option("--runtime", help="vllm, llama.cpp or ollama.")] = "vllm",
    quant: Annotated[
        str | None, typer.Option("--quant", "-q", help="vllm: BF16, FP8, AWQ, GPTQ; GGUF: Q4_K_M... (default: best)")
    ] = None,
    prompt_tokens: Annotated[int, typer.Option("--prompt-tokens", help="Prompt length of each request.")] = 1024,
    output_tokens: Annotated[int, typer.Option("--output-tokens", help="Answer length of each request.")] = 256,
    min_tps: Annotated[
        float, typer.Option("--min-tokens-per-s", help="Slowest acceptable speed for each user, tok/s.")
    ] = 10.0,
    kv_cache: Annotated[str, typer.Option("--kv-cache", help="KV cache type: f16, q8_0 (vllm: fp8).")] = "f16",
    interconnect: Annotated[
        str | None, typer.Option("--interconnect", help="Link between nodes: ib-400, ib-200, eth-100, eth-10 ...")
    ] = None,
    gpu: GpuOpt = None,
    vram: VramOpt = None,
    ram: RamOpt = None,
    margin: MarginOpt = None,
    headless: HeadlessOpt = False,
    catalog: CatalogOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Serving many people: per number of concurrent users, each one's speed, the total and the first-token wait.

    --gpu may name several nodes: '2 nodes x 8x H100 SXM5 80GB' (vLLM: tensor parallel inside a node, pipeline
    parallel across nodes over Ray; llama.cpp: its RPC backend)."""
    from willitrun.advise.capacity import capacity as run_capacity
    from willitrun.catalog.nodes import split_nodes
    from willitrun.estimate.cluster import INTERCONNECTS
    from willitrun.render import capacity_json, print_capacity

    rt = _runtime(runtime)
    _positive("--prompt-tokens", prompt_tokens, 1, 1_048_576)
    _positive("--output-tokens", output_tokens, 1, 1_048_576)
    _positive("--min-tokens-per-s", min_tps, 0, 100000)
    link = interconnect.strip().lower() if interconnect else None
    if link is not None and link not in INTERCONNECTS:
        raise BadValueError(f"--interconnect {interconnect!r} is not known", "allowed: " + ", ".join(INTERCONNECTS))
    quants = _parse_quants(quant, rt)
    if len(quants) > 1:
        raise BadValueError("--quant takes one quantization here", "e.g. --quant Q4_K_M")
    nodes, node_gpu = split_nodes(gpu) if gpu is not None else (1, None)
    cat = _load(catalog)
    from willitrun.sources.model import model_source

    spec = model_source(cat, model, None).spec
    machine = _machine(cat, node_gpu, vram, ram, margin=margin, headless=headless)
    kv = kv_cache.strip().lower().replace("fp8", "q8_0")
    result = run_capacity(
        spec,
        machine,
        runtime=rt,
        quant=quants[0] if quants else None,
        kv_type=kv,
        prompt_tokens=prompt_tokens,
        output_tokens=output_tokens,
        min_tokens_per_s=min_tps,
        nodes=nodes,
        interconnect=link,
    )
    if as_json:
        TERM.json(capacity_json(result))
    else:
        print_capacity(TERM, result)
    raise typer.Exit(0 if result.fits else 1)


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
    """Entry point: run the app, turning every failure into one line on stderr (a document under --json) and exit 2
    (bad input), 3 (a bug) or 130 (interrupted)."""
    args = sys.argv[1:] if argv is None else argv
    as_json = "--json" in args
    try:
        rv = _app_for(args)(args=args, prog_name="willitrun", standalone_mode=False)
    except WillItRunError as err:
        _fail(err, as_json)
    except KeyboardInterrupt:
        _error("interrupted", 130, "interrupted", as_json)
    except BrokenPipeError:
        raise SystemExit(0) from None
    except Exception as exc:
        code = _exit_code(exc)
        if code is not None:
            raise SystemExit(code) from None
        if type(exc).__name__ == "Abort":
            _error("aborted", 130, "interrupted", as_json)
        fmt = getattr(exc, "format_message", None)
        if callable(fmt):  # click/typer usage errors: bad option value, unknown option, missing argument
            msg = " ".join(str(fmt()).split())
            _error(f"{msg} (see 'willitrun --help')", 2, "usage", as_json)
        # a bug: one line, never a traceback
        _error(f"{exc.__class__.__name__}: {exc} (please report it)", 3, "internal", as_json)
    if isinstance(rv, int) and rv:
        raise SystemExit(rv)
