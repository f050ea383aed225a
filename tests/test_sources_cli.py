"""Any model through the CLI: a GGUF file, ollama:NAME, a Hugging Face repo, and `installed`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Result
from tests.servers import StubServer, free_port
from tests.test_sources_gguf import write_llama
from tests.test_sources_hf import hf_env, hub  # noqa: F401 - fixtures
from tests.test_sources_ollama import ollama  # noqa: F401 - fixture

Run = Callable[..., Result]


def test_check_a_gguf_file(run: Run, tmp_path: Path) -> None:
    f = tmp_path / "tiny-Q8_0.gguf"
    written = write_llama(f)
    d = run("check", str(f), "--gpu", "RTX 4090", "--json").json()
    (o,) = d["options"]
    assert o["quant"] == "Q8_0" and o["weights_bytes"] == written.total
    assert d["model"]["layers"] == 2 and d["model"]["source"].startswith("GGUF file")
    assert o["verdict"] == "gpu" and f"-m {f}" in o["command"]
    # its KV cache comes from its own metadata: 2 layers x 2 KV heads x 16 dims x K,V x f16 per token
    assert o["kv_cache_bytes"] == 2 * 2 * 16 * 2 * 2 * o["context"]
    proj = tmp_path / "mmproj-tiny-f16.gguf"
    write_llama(proj)
    with_proj = run("check", str(f), "--gpu", "RTX 4090", "--json").json()["options"][0]
    assert with_proj["weights_bytes"] == written.total * 2  # the projector found beside it counts
    assert any("projector" in n for n in run("check", str(f), "--gpu", "RTX 4090", "--json").json()["notes"])


@pytest.mark.parametrize("content", [b"", b"not a gguf at all", b"GGUF\x03\x00\x00\x00" + b"\xff" * 64])
def test_bad_gguf_files_are_one_line_errors(run: Run, tmp_path: Path, content: bytes) -> None:
    f = tmp_path / "bad.gguf"
    f.write_bytes(content)
    r = run("check", str(f))
    assert r.code == 2 and str(f) in r.err and len(r.err.strip().splitlines()) == 1
    r = run("check", str(tmp_path / "missing.gguf"))
    assert r.code == 2 and "no such file" in r.err
    good = tmp_path / "good-Q8_0.gguf"
    write_llama(good)
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    r = run("check", str(cut))
    assert r.code == 2 and "cut.gguf" in r.err and "Traceback" not in r.err


def test_check_ollama_model(run: Run, ollama: StubServer) -> None:  # noqa: F811
    d = run("check", "ollama:llama3.1:8b", "--gpu", "RTX 4090", "--json").json()
    (o,) = d["options"]
    assert o["quant"] == "Q4_K_M" and o["weights_bytes"] == 4920753328  # the installed blob's size
    assert d["model"]["layers"] == 32 and o["verdict"] == "gpu"
    r = run("check", "ollama:nothere:1b")
    assert r.code == 2 and "ollama pull" in r.err


def test_check_ollama_not_running(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OLLAMA_HOST", f"127.0.0.1:{free_port()}")
    r = run("check", "ollama:llama3.1:8b")
    assert r.code == 2 and len(r.err.strip().splitlines()) == 1
    r = run("installed", "--json")
    assert r.code == 0 and any("not running" in n for n in r.json()["notes"])


def test_installed_lists_ollama_and_files(run: Run, ollama: StubServer, tmp_path: Path) -> None:  # noqa: F811
    write_llama(tmp_path / "local-Q8_0.gguf")
    (tmp_path / "mmproj-x.gguf").write_bytes(b"")  # projectors are not models
    d = run("installed", "--dir", str(tmp_path), "--json").json()
    names = {m["name"]: m for m in d["models"]}
    assert names["llama3.1:8b"]["source"] == "ollama" and names["llama3.1:8b"]["verdict"] == "cpu"
    assert names["local-Q8_0.gguf"]["source"] == "file" and names["local-Q8_0.gguf"]["quant"] == "Q8_0"
    assert "mmproj-x.gguf" not in names
    for m in d["models"]:
        assert set(m) >= {"source", "name", "quant", "size_bytes", "verdict", "tokens_per_s"}
    assert run("installed", "--dir", str(tmp_path / "nope")).code == 2


def test_check_hugging_face_repo(run: Run, hub: StubServer) -> None:  # noqa: F811
    d = run("check", "bartowski/Qwen3-8B-GGUF", "--gpu", "RTX 4090", "--json").json()
    quants = [o["quant"] for o in d["options"]]
    assert quants and len(set(quants)) == len(quants)  # one option per quantization file
    r = run("check", "acme/no-such-repo")
    assert r.code == 2 and "unknown Hugging Face repo" in r.err
