"""Issue 17: commands that run as printed (every repo they name is in the catalog's sourced data), pictures that
read at a glance, and the JSON contract (schema_version, objects at the top, errors as documents)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

import pytest

from tests.conftest import Result
from willitrun.catalog.load import Catalog
from willitrun.estimate.core import Estimate, Request, estimate, formats_for
from willitrun.estimate.types import GIB, Cpu, Device, Machine, ModelSpec
from willitrun.render import bar_cells, command_notes, ollama_command, run_command

Run = Callable[..., Result]

BIG = Machine(  # one GPU that holds anything, so that every option of every model runs and prints a command
    devices=(Device("Huge GPU", "nvidia", "cuda", 2048 * GIB, 2048 * GIB, 4000.0, fp16_tflops=500.0),),
    ram_bytes=2048 * GIB,
    ram_free_bytes=2000 * GIB,
    ram_bandwidth_gbps=400.0,
    cpu=Cpu("Big CPU", 64, 128, ("avx2",)),
    source="simulated",
)
MAC = Machine(
    devices=(Device("Apple M9 Ultra", "apple", "metal", 2048 * GIB, 2048 * GIB, 1000.0, 100.0, unified=True),),
    ram_bytes=2048 * GIB,
    ram_free_bytes=2048 * GIB,
    ram_bandwidth_gbps=1000.0,
    cpu=Cpu("Apple M9 Ultra", 32, 32, ("neon",)),
    source="simulated",
)
REPO = re.compile(r"(?<![\w./-])(?:hf\.co/)?([A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*)")


def sourced_repos(m: ModelSpec) -> set[str]:
    """The repos the catalog names for a model, each sourced: hf_repo by `source`, the others by `repos_source`."""
    out = {m.hf_repo} if m.hf_repo else set()
    if m.repos_source:
        out |= {r for r in (m.gguf_repo, *dict(m.vllm_repos).values(), *dict(m.mlx_repos).values()) if r}
    return out


def printed_repos(cmd: str) -> set[str]:
    return {x.split(":")[0] for x in REPO.findall(cmd) if not x.startswith(".")}


def estimates(m: ModelSpec) -> list[Estimate]:
    out = []
    for rt in ("llama.cpp", "ollama", "vllm", "mlx"):
        quants = formats_for(rt) if rt in ("vllm", "mlx") else ("Q8_0", "Q4_K_M", "Q6_K", "F16", "IQ2_M", "MXFP4")
        quants = tuple(q for q in quants if q != "MXFP4" or m.arch == "gpt-oss")
        out.append(
            estimate(m, MAC if rt == "mlx" else BIG, Request(quants=quants, ctx=4096, runtime=rt, max_context=False))
        )
    return out


def test_every_printed_repo_is_sourced_in_the_catalog(catalog: Catalog) -> None:
    named = [m for m in catalog.models if m.gguf_repo or m.vllm_repos or m.mlx_repos]
    assert len(named) >= 30
    plain = [catalog.model(i) for i in ("codellama-7b", "glm-4-9b")]  # no repos named: the file forms
    seen = 0
    for m in (*named, *plain):
        for est in estimates(m):
            for o in est.options:
                for cmd in (run_command(est, o), ollama_command(est, o)):
                    if cmd is None:
                        continue
                    seen += 1
                    got = printed_repos(cmd)
                    assert got <= sourced_repos(m), (m.id, est.runtime, o.quant, cmd)
    assert seen > 500


def test_runtime_true_forms(catalog: Catalog) -> None:
    m = catalog.model("llama3.1-8b")
    by_rt = {e.runtime: e for e in estimates(m)}
    cmds = {(rt, o.quant): run_command(e, o) for rt, e in by_rt.items() for o in e.options}
    assert (
        cmds["llama.cpp", "Q6_K"] == "llama-server -hf bartowski/Meta-Llama-3.1-8B-Instruct-GGUF:Q6_K -ngl 33 -c 4096"
    )
    assert cmds["ollama", "Q4_K_M"] == "ollama run llama3.1:8b"
    assert cmds["ollama", "Q8_0"] == "ollama run llama3.1:8b-instruct-q8_0"  # the library's own tag
    assert cmds["ollama", "Q6_K"] == "ollama run hf.co/bartowski/Meta-Llama-3.1-8B-Instruct-GGUF:Q6_K"
    assert cmds["vllm", "FP8"] == "vllm serve neuralmagic/Meta-Llama-3.1-8B-Instruct-FP8 --max-model-len 4096"
    assert cmds["mlx", "8BIT"] == "mlx_lm.server --model mlx-community/Meta-Llama-3.1-8B-Instruct-8bit"
    # formats no repo is known for: converted locally, or quantized by vLLM as it loads, never a made-up repo
    six = cmds["mlx", "6BIT"]
    assert six is not None and six.startswith("mlx_lm.convert --hf-path meta-llama/Llama-3.1-8B-Instruct -q --q-bits 6")
    # a model with none of its files published in the catalog (the repo fields cleared, whatever the data holds)
    plain = replace(catalog.model("codellama-7b"), gguf_repo=None, vllm_repos=(), mlx_repos=(), ollama_tags=())
    e = next(x for x in estimates(plain) if x.runtime == "vllm")
    fp8 = next(o for o in e.options if o.quant == "FP8")
    assert (
        run_command(e, fp8) == "vllm serve codellama/CodeLlama-7b-Instruct-hf --quantization fp8 --max-model-len 4096"
    )
    awq = next(o for o in e.options if o.quant == "AWQ")
    assert "AWQ checkpoint" in " ".join(command_notes(e, awq))
    e = next(x for x in estimates(plain) if x.runtime == "llama.cpp")
    q4 = next(o for o in e.options if o.quant == "Q4_K_M")
    assert (run_command(e, q4) or "").startswith("llama-server -m CodeLlama-7b-Instruct-hf-Q4_K_M.gguf ")
    assert "names no GGUF repo" in " ".join(command_notes(e, q4))
    oss = next(x for x in estimates(catalog.model("gpt-oss-20b")) if x.runtime == "llama.cpp")
    got = {o.quant: run_command(oss, o) or "" for o in oss.options}
    assert got["MXFP4"].startswith("llama-server -hf ggml-org/gpt-oss-20b-GGUF:MXFP4 ")
    assert got["Q8_0"].startswith("llama-server -m ")  # ggml-org publishes only the MXFP4 file


def test_catalog_rejects_unsourced_repos(tmp_path: pytest.TempPathFactory, catalog: Catalog) -> None:
    import yaml

    from willitrun.catalog.load import load_catalog
    from willitrun.errors import CatalogError

    base = {k: v for k, v in vars(catalog.model("llama3-8b")).items() if not k.startswith("_")}
    entry = {k: list(v) if isinstance(v, tuple) else v for k, v in base.items()}
    entry |= {"id": "my-llama", "name": "My Llama", "aliases": [], "ollama": None, "hf_repo": None}
    entry |= {"gguf_repo": "someone/My-Llama-GGUF", "vllm_repos": {}, "mlx_repos": {}, "ollama_tags": {}}
    entry["repos_source"] = None
    for k in [k for k, v in entry.items() if v is None or v == [] or v == {}]:
        entry.pop(k)
    path = tmp_path / "extra.yaml"  # type: ignore[operator]
    path.write_text(yaml.safe_dump({"models": [entry]}))
    with pytest.raises(CatalogError, match="repos_source"):
        load_catalog([str(path)])
    entry["repos_source"] = "my own upload"
    entry["vllm_repos"] = {"INT3": "someone/x"}
    path.write_text(yaml.safe_dump({"models": [entry]}))
    with pytest.raises(CatalogError, match="vllm_repos"):
        load_catalog([str(path)])


def test_bar_cells_add_up() -> None:
    assert bar_cells([50, 25, 25, 0], 100, 40) == [20, 10, 10, 0]
    assert sum(bar_cells([1, 1, 1, 97], 100, 20)) == 20  # tiny parts still show, within the width
    assert bar_cells([1, 0, 0, 0], 1000, 10) == [1, 0, 0, 0]
    assert bar_cells([5, 5], 0, 10) == [0, 0]


def test_memory_bars_and_plot(run: Run) -> None:
    r = run("check", "qwen3-30b-a3b", "--gpu", "RTX 3060 12GB", "--ram", "32", "-q", "Q4_K_M", "--plot")
    lines = r.out.splitlines()
    bar = next(x for x in lines if x.startswith("  Q4_K_M   ["))
    assert "#" in bar and "k" in bar and "RAM" in bar and bar.index("#") < bar.index("k")
    assert "Speed against context (Q4_K_M" in r.out
    rows = [m for x in lines if (m := re.match(r"^\s+(0|\d+(?:\.\d)?k)\s+#+\s+([\d,.]+)\s", x))]
    assert len(rows) >= 3
    # decode slows and the first token waits longer as the context grows
    speeds = [float(m.group(2).replace(",", "")) for m in rows]
    assert speeds == sorted(speeds, reverse=True) and speeds[0] > speeds[-1]
    d = run(
        "check", "qwen3-30b-a3b", "--gpu", "RTX 3060 12GB", "--ram", "32", "-q", "Q4_K_M", "--plot", "--json"
    ).json()
    pts = d["speed_by_context"]["points"]
    ttft = [p["time_to_first_token_s"] for p in pts[1:]]
    assert ttft == sorted(ttft) and ttft[-1] > ttft[0] > 0
    assert all(p["tokens_per_s"] > 0 for p in pts)


def test_piped_output_is_plain(run: Run) -> None:
    r = run("check", "llama3.1-8b", "--gpu", "RTX 4090", "-q", "Q4_K_M", "--plot")
    assert "\x1b[" not in r.out and "█" not in r.out


@pytest.mark.parametrize(
    "args",
    [
        ("models",),
        ("gpus", "4090"),
        ("explain", "--list"),
        ("explain", "kv-cache"),
        ("check", "llama3-8b", "--gpu", "RTX 4090", "-q", "Q4_K_M"),
        ("recommend", "--gpu", "RTX 4090", "--top", "1"),
        ("compare", "RTX 3090", "RTX 4090"),
        ("detect",),
    ],
)
def test_every_document_is_a_versioned_object(run: Run, args: tuple[str, ...]) -> None:
    d = run(*args, "--json").json()
    assert isinstance(d, dict) and d["schema_version"] == "2.0"
    assert next(iter(d)) == "schema_version"


@pytest.mark.parametrize(
    ("args", "code", "kind"),
    [
        (("check", "no-such-model-at-all"), 2, "bad_input"),
        (("check", "llama3-8b", "--ctx", "lots"), 2, "usage"),
        (("gpus", "--vendor", "nvdia"), 2, "bad_input"),
    ],
)
def test_errors_under_json_are_documents(run: Run, args: tuple[str, ...], code: int, kind: str) -> None:
    r = run(*args, "--json")
    assert r.code == code and r.err == ""
    d = r.json()
    assert d["code"] == code and d["kind"] == kind and d["error"] and d["schema_version"] == "2.0"
    plain = run(*args)
    assert plain.code == code and plain.out == "" and plain.err.startswith("willitrun: error: ")


def test_an_explicit_ollama_tag_wins_over_the_default_one(catalog: Catalog) -> None:
    # the library's older defaults were made at Q4_0: a listed Q4_K_M tag is the file the Q4_K_M row describes
    m = replace(catalog.model("codellama-7b"), ollama_tags=(("Q4_K_M", "codellama:7b-instruct-q4_K_M"),))
    e = next(x for x in estimates(m) if x.runtime == "ollama")
    q4 = next(o for o in e.options if o.quant == "Q4_K_M")
    assert ollama_command(e, q4) == "ollama run codellama:7b-instruct-q4_K_M"
    bare = replace(m, ollama_tags=())
    e = next(x for x in estimates(bare) if x.runtime == "ollama")
    assert ollama_command(e, next(o for o in e.options if o.quant == "Q4_K_M")) == "ollama run codellama:7b"
