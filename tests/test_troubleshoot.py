"""Known problems: every entry found by realistic messages in several wordings, and ranked first for them."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Result
from willitrun.knowledge.troubleshoot import LogFacts, Matcher, load_problems, read_lines

PROBLEMS = load_problems()
MATCHER = Matcher(PROBLEMS)
REQUIRED = [
    "cuda-out-of-memory",
    "metal-out-of-memory",
    "rocm-not-detected",
    "ollama-running-slowly",
    "unknown-model-architecture",
    "cuda-driver-too-old",
    "no-kernel-image",
    "illegal-instruction",
    "nvml-driver-mismatch",
    "vllm-no-kv-cache-memory",
    "context-length-exceeded",
    "gpu-not-used",
    "docker-gpu-missing",
    "wsl-gpu-missing",
    "torch-not-compiled-with-cuda",
    "hf-gated-repo",
    "flash-attention-unsupported",
    "disk-space",
]


def test_required_entries() -> None:
    ids = {p.id for p in PROBLEMS}
    assert len(ids) == len(PROBLEMS) >= 30
    assert set(REQUIRED) <= ids
    for p in PROBLEMS:
        assert p.cause and p.fixes and len(p.examples) >= 3, p.id


@pytest.mark.parametrize(
    ("pid", "example"), [(p.id, e) for p in PROBLEMS for e in p.examples], ids=lambda x: str(x)[:40]
)
def test_each_example_is_found_and_ranked_first(pid: str, example: str) -> None:
    found = MATCHER.scan([example])
    assert found, example
    assert found[0].problem.id == pid, [m.problem.id for m in found]


def test_ordinary_lines_match_nothing() -> None:
    ok = [
        "llm_load_tensors: offloaded 33/33 layers to GPU",
        "main: server is listening on http://127.0.0.1:8080 - starting the main loop",
        "llama_new_context_with_model: n_ctx      = 8192",
        "NAME            ID              SIZE      PROCESSOR    UNTIL",
        "llama3:8b       365c0bd3c000    6.7 GB    100% GPU     4 minutes from now",
    ]
    assert MATCHER.scan(ok) == []


def test_log_facts() -> None:
    f = LogFacts()
    for line in (
        "llama_model_loader: - kv   1:   general.name str = Qwen2.5 7B Instruct",
        "llm_load_print_meta: file type   = Q5_K - Medium",
        "main: loading model from /models/Qwen2.5-7B-Instruct-Q5_K_M.gguf",
        "llama_context: n_ctx_per_seq = 32768",
        "load_tensors: offloaded 20/29 layers to GPU",
    ):
        f.take(line)
    assert (f.name, f.quant, f.ctx, f.offloaded) == ("Qwen2.5 7B Instruct", "Q5_K_M", 32768, (20, 29))
    assert f.quant_from_file() == "Q5_K_M"
    assert "Qwen2.5-7B-Instruct" in f.model_names()


def test_bounded_reading_of_huge_lines_and_junk() -> None:
    junk = b"\x00\xff\xfe" * 100_000 + b"\nCUDA error: out of memory\n" + bytes(range(256)) * 1000
    lines = list(read_lines(io.BytesIO(junk)))
    assert max(len(x) for x in lines) <= 65536
    assert MATCHER.scan(lines)[0].problem.id == "cuda-out-of-memory"


OOM_LOG = """llama_model_loader: - kv   1:  general.name str = Meta Llama 3.1 8B Instruct
llm_load_print_meta: file type   = Q4_K - Medium
main: loading model models/Meta-Llama-3.1-8B-Instruct-Q4_K_M.gguf
llama_new_context_with_model: n_ctx      = 131072
llm_load_tensors: offloaded 33/33 layers to GPU
ggml_backend_cuda_buffer_type_alloc_buffer: allocating 16384.00 MiB on device 0: cudaMalloc failed: out of memory
llama_kv_cache_init: failed to allocate buffer for kv cache
"""


def test_oom_log_gets_a_context_that_fits(run: Callable[..., Result], tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    log.write_text(OOM_LOG, encoding="utf-8")
    d = run("troubleshoot", str(log), "--gpu", "RTX 4070", "--json").json()
    ids = [m["id"] for m in d["matches"]]
    assert ids[0] == "llama-cpp-kv-cache-alloc-failed" and "cuda-out-of-memory" in ids
    first = d["matches"][0]
    assert first["evidence"] == ["llama_kv_cache_init: failed to allocate buffer for kv cache"]
    assert 0 < first["confidence"] <= 1
    fix = first["fixes"][0]
    assert "RTX 4070" in fix and "-ngl 33 -c " in fix
    ctx = int(fix.rsplit("-c ", 1)[1])
    assert 16384 < ctx < 131072  # 12 GB holds Q4_K_M and tens of thousands of tokens, not 128k
    assert any("-ngl" in f and "-c 131072" in f for f in first["fixes"])
    assert d["log"] == {
        "model_file": "Meta-Llama-3.1-8B-Instruct-Q4_K_M.gguf",
        "model": "Meta Llama 3.1 8B Instruct",
        "context": 131072,
        "quant": "Q4_K_M",
    }


def test_text_stdin_and_no_match(run: Callable[..., Result], monkeypatch: pytest.MonkeyPatch) -> None:
    r = run("troubleshoot", "Error: could not connect to ollama app, is it running?")
    assert r.code == 0 and "ollama-not-running" in r.out
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(OOM_LOG.encode())))
    r = run("troubleshoot", "-", "--json")
    assert r.code == 0 and r.json()["matches"]
    r = run("troubleshoot", "everything went fine")
    assert r.code == 1 and "No known problem matched" in r.out
    assert run("troubleshoot", "everything went fine", "--json").json()["matches"] == []


def test_a_100_mb_log(run: Callable[..., Result], monkeypatch: pytest.MonkeyPatch) -> None:
    line = b"llama_model_loader: - tensor  123:     blk.12.ffn_down.weight q4_K     [ 14336,  4096,     1,     1 ]\n"
    body = line * (100_000_000 // len(line)) + b"CUDA error: out of memory\n" + b"\x00\xff" * 1000 + b"\n"
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(body)))
    r = run("troubleshoot", "-", "--json")
    assert r.code == 0
    (m,) = r.json()["matches"]
    assert m["id"] == "cuda-out-of-memory" and m["evidence_lines"] == [len(body.splitlines()) - 1]
