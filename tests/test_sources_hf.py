"""Hugging Face repos through a stand-in Hub on 127.0.0.1 that answers like the real API, and config.json mapping."""

from __future__ import annotations

import json
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from willitrun.catalog.load import Catalog
from willitrun.errors import BadValueError, WillItRunError
from willitrun.estimate.tensors import model_tensors, mtp_tensors, parameter_count
from willitrun.sources.huggingface import HubModel, config_to_spec, fetch_model

from .servers import Reply, Seen, StubServer, free_port

pytest.importorskip("huggingface_hub")

TOKEN = "hf_TESTsecretTOKEN0123456789abcdef"

LLAMA_1B_CONFIG: dict[str, Any] = {
    "architectures": ["LlamaForCausalLM"],
    "attention_bias": False,
    "bos_token_id": 128000,
    "eos_token_id": [128001, 128008, 128009],
    "head_dim": 64,
    "hidden_act": "silu",
    "hidden_size": 2048,
    "initializer_range": 0.02,
    "intermediate_size": 8192,
    "max_position_embeddings": 131072,
    "mlp_bias": False,
    "model_type": "llama",
    "num_attention_heads": 32,
    "num_hidden_layers": 16,
    "num_key_value_heads": 8,
    "rms_norm_eps": 1e-05,
    "rope_scaling": {"factor": 32.0, "rope_type": "llama3"},
    "rope_theta": 500000.0,
    "tie_word_embeddings": True,
    "torch_dtype": "bfloat16",
    "transformers_version": "4.45.0.dev0",
    "vocab_size": 128256,
}


def _sha(repo: str) -> str:
    return (format(abs(hash(repo)), "x") * 8)[:40]


def _sibling(name: str, size: int, lfs: bool = False) -> dict[str, Any]:
    s: dict[str, Any] = {"rfilename": name, "blobId": "0" * 40, "size": size}
    if lfs:
        s["lfs"] = {"sha256": "a" * 64, "size": size, "pointerSize": 134}
    return s


def _info(repo: str, siblings: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    """The shape of GET /api/models/{repo}/revision/main?blobs=true."""
    return {
        "_id": "66e" + "0" * 21,
        "id": repo,
        "modelId": repo,
        "author": repo.split("/")[0],
        "sha": _sha(repo),
        "lastModified": "2024-10-24T18:30:00.000Z",
        "private": False,
        "disabled": False,
        "gated": False,
        "downloads": 1234,
        "likes": 56,
        "library_name": "transformers",
        "tags": ["transformers", "safetensors", "text-generation"],
        "pipeline_tag": "text-generation",
        "createdAt": "2024-09-18T15:12:00.000Z",
        "siblings": siblings,
        "spaces": [],
        "usedStorage": sum(s["size"] for s in siblings),
        **extra,
    }


def _safetensors_file(tensors: dict[str, tuple[str, list[int]]]) -> bytes:
    width = {"BF16": 2, "F16": 2, "F32": 4}
    header: dict[str, Any] = {"__metadata__": {"format": "pt"}}
    offset = 0
    for name, (dtype, shape) in tensors.items():
        n = width[dtype]
        for d in shape:
            n *= d
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + n]}
        offset += n
    raw = json.dumps(header).encode()
    raw += b" " * (-len(raw) % 8)
    return struct.pack("<Q", len(raw)) + raw + bytes(offset)


ST_FILE = _safetensors_file(
    {
        "model.embed_tokens.weight": ("BF16", [1000, 64]),
        "model.norm.weight": ("F32", [64]),
        "lm_head.weight": ("BF16", [1000, 64]),
    }
)
SMALL_CONFIG = {
    "model_type": "qwen2",
    "hidden_size": 64,
    "intermediate_size": 128,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "vocab_size": 1000,
    "max_position_embeddings": 32768,
    "sliding_window": 32768,
    "use_sliding_window": False,
    "tie_word_embeddings": False,
}

REPOS: dict[str, dict[str, Any]] = {
    "meta-llama/Llama-3.2-1B-Instruct": {
        "info": _info(
            "meta-llama/Llama-3.2-1B-Instruct",
            [
                _sibling(".gitattributes", 1519),
                _sibling("README.md", 41742),
                _sibling("config.json", len(json.dumps(LLAMA_1B_CONFIG))),
                _sibling("generation_config.json", 189),
                _sibling("model.safetensors", 2471645608, lfs=True),
                _sibling("tokenizer.json", 9085657, lfs=True),
            ],
            safetensors={"parameters": {"BF16": 1235814400}, "total": 1235814400},
            config={"architectures": ["LlamaForCausalLM"], "model_type": "llama"},
        ),
        "files": {"config.json": json.dumps(LLAMA_1B_CONFIG).encode()},
    },
    "bartowski/Qwen3-8B-GGUF": {
        "info": _info(
            "bartowski/Qwen3-8B-GGUF",
            [
                _sibling(".gitattributes", 3000),
                _sibling("README.md", 9000),
                _sibling("Qwen3-8B-Q4_K_M.gguf", 5027783488, lfs=True),
                _sibling("Qwen3-8B-Q8_0.gguf", 8709518656, lfs=True),
                _sibling("Qwen3-8B-BF16/Qwen3-8B-BF16-00001-of-00002.gguf", 9990000000, lfs=True),
                _sibling("Qwen3-8B-BF16/Qwen3-8B-BF16-00002-of-00002.gguf", 6400000000, lfs=True),
            ],
            gguf={"total": 8190735360, "architecture": "qwen3", "context_length": 40960},
        ),
        "files": {},
    },
    "acme/st-only": {
        "info": _info(
            "acme/st-only",
            [_sibling("config.json", 300), _sibling("model.safetensors", len(ST_FILE), lfs=True)],
        ),
        "files": {"config.json": json.dumps(SMALL_CONFIG).encode(), "model.safetensors": ST_FILE},
    },
    "google/gated-model": {
        "info": _info("google/gated-model", [_sibling("config.json", 900)], gated="manual"),
        "gated": True,
        "files": {"config.json": b"{}"},
    },
    "acme/garbled": {"raw_info": b'{"id": "acme/garbled", "siblings": [ {"rfil'},
    "acme/bad-config": {
        "info": _info("acme/bad-config", [_sibling("config.json", 20)]),
        "files": {"config.json": b'{"model_type": "llama", '},
    },
    "acme/broken": {"status": 500},
    "acme/slow": {"delay": 3.0, "info": _info("acme/slow", [])},
}


def _error(status: int, code: str | None, message: str) -> Reply:
    headers = {"X-Request-Id": "Root=1-abc", "X-Error-Message": message}
    if code:
        headers["X-Error-Code"] = code
    return Reply(status, headers, json.dumps({"error": message}).encode())


def hub_route(seen: Seen) -> Reply:
    path = seen.path
    if path.startswith("/api/models/"):
        rest = path[len("/api/models/") :]
        repo = rest.split("/revision/")[0]
        entry = REPOS.get(repo)
        if entry is None:
            return _error(404, "RepoNotFound", "Repository not found")
        if "status" in entry:
            return _error(entry["status"], None, "Internal Error - We're working hard to fix this as soon as possible!")
        if "raw_info" in entry:
            return Reply(200, body=entry["raw_info"])
        return Reply(200, body=json.dumps(entry["info"]).encode(), delay_s=entry.get("delay", 0.0))
    if "/resolve/" in path:
        repo, _, tail = path.lstrip("/").partition("/resolve/")
        revision, _, filename = tail.partition("/")
        entry = REPOS.get(repo)
        if entry is None:
            return _error(404, "RepoNotFound", "Repository not found")
        if entry.get("gated"):
            return _error(
                403,
                "GatedRepo",
                f"Access to model {repo} is restricted and you are not in the authorized list. "
                f"Visit https://huggingface.co/{repo} to ask for access.",
            )
        data = entry.get("files", {}).get(filename)
        if data is None:
            return _error(404, "EntryNotFound", f'{filename} does not exist on "{revision}"')
        headers = {
            "X-Repo-Commit": _sha(repo),
            "ETag": f'"{abs(hash(data)):x}"',
            "Accept-Ranges": "bytes",
            "Content-Type": "text/plain; charset=utf-8",
        }
        rng = seen.headers.get("range")
        if rng and rng.startswith("bytes="):
            start_s, _, end_s = rng[len("bytes=") :].partition("-")
            start, end = int(start_s), min(int(end_s), len(data) - 1)
            headers["Content-Range"] = f"bytes {start}-{end}/{len(data)}"
            return Reply(206, headers, data[start : end + 1])
        return Reply(200, headers, data)
    return _error(404, None, "Not Found")


@pytest.fixture
def hf_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private HF_HOME and willitrun cache; no token, no offline flag, no proxy."""
    from huggingface_hub import constants

    home = tmp_path / "hf_home"
    monkeypatch.setenv("HF_HOME", str(home))
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(home / "hub"))
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(home / "token"))
    monkeypatch.setattr(constants, "HF_STORED_TOKENS_PATH", str(home / "stored_tokens"))
    cache = tmp_path / "willitrun-cache"
    monkeypatch.setenv("WILLITRUN_CACHE_DIR", str(cache))
    for var in (
        "HF_TOKEN",
        "HUGGING_FACE_HUB_TOKEN",
        "HF_HUB_OFFLINE",
        "TRANSFORMERS_OFFLINE",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ):
        monkeypatch.delenv(var, raising=False)
    return cache


@pytest.fixture
def hub(hf_env: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[StubServer]:
    with StubServer(hub_route) as server:
        monkeypatch.setenv("HF_ENDPOINT", server.url)
        yield server


def _cache_text(cache: Path) -> str:
    return "".join(p.read_text() for p in cache.rglob("*") if p.is_file())


# --- a normal repo -------------------------------------------------------------------------------------------


def test_normal_repo(hub: StubServer, hf_env: Path, catalog: Catalog) -> None:
    m = fetch_model("meta-llama/Llama-3.2-1B-Instruct")
    assert isinstance(m, HubModel) and not m.from_cache
    assert m.repo == "meta-llama/Llama-3.2-1B-Instruct"
    assert m.revision == _sha(m.repo)
    assert m.params_by_dtype == {"BF16": 1235814400}
    assert m.gguf_files == ()
    s = m.spec
    assert s is not None
    assert (s.arch, s.layers, s.hidden, s.intermediate, s.heads, s.kv_heads, s.head_dim) == (
        "llama", 16, 2048, 8192, 32, 8, 64,
    )  # fmt: skip
    assert (s.vocab, s.context_max, s.tied_embeddings, s.params) == (128256, 131072, True, 1235814400)
    assert s.id == m.repo and s.source == f"https://huggingface.co/{m.repo}"
    # the shapes alone give the same count as the safetensors files (and as our catalog)
    assert parameter_count(s) == 1235814400 == catalog.model("llama3.2-1b").params
    # routes as huggingface_hub calls them
    paths = [(x.method, x.path) for x in hub.seen]
    assert ("GET", f"/api/models/{m.repo}/revision/main") in paths
    assert ("GET", f"/{m.repo}/resolve/{m.revision}/config.json") in paths
    assert len(hub.seen) <= 4
    cached = json.loads((hf_env / "hf" / "meta-llama__Llama-3.2-1B-Instruct.json").read_text())
    assert cached["config"]["num_hidden_layers"] == 16
    assert ["model.safetensors", 2471645608] in cached["files"]


def test_gguf_repo_lists_files(hub: StubServer) -> None:
    m = fetch_model("bartowski/Qwen3-8B-GGUF")
    assert m.spec is None  # no config.json
    assert m.params_by_dtype == {}
    assert dict(m.gguf_files) == {
        "Qwen3-8B-Q4_K_M.gguf": 5027783488,
        "Qwen3-8B-Q8_0.gguf": 8709518656,
        "Qwen3-8B-BF16/Qwen3-8B-BF16-00001-of-00002.gguf": 9990000000 + 6400000000,
    }


def test_safetensors_headers_when_info_has_no_summary(hub: StubServer) -> None:
    m = fetch_model("acme/st-only")
    assert m.params_by_dtype == {"BF16": 2 * 64000, "F32": 64}
    assert m.spec is not None and m.spec.params == 128064
    assert m.spec.sliding_window is None  # use_sliding_window false
    assert m.spec.attn_bias  # qwen2
    ranged = [x for x in hub.seen if x.method == "GET" and x.path.endswith("model.safetensors")]
    assert ranged and ranged[0].headers["range"].startswith("bytes=0-")


# --- errors --------------------------------------------------------------------------------------------------


def test_gated_repo(hub: StubServer, monkeypatch: pytest.MonkeyPatch, hf_env: Path) -> None:
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    with pytest.raises(WillItRunError) as e:
        fetch_model("google/gated-model")
    text = e.value.one_line()
    assert "gated" in text and "hf auth login" in text and "HF_TOKEN" in text and "licence" in text
    assert TOKEN not in text
    # the token was sent (HF_TOKEN honoured) but never written anywhere
    assert any(x.headers.get("authorization") == f"Bearer {TOKEN}" for x in hub.seen)
    assert TOKEN not in _cache_text(hf_env)


def test_token_never_in_cache_or_messages(hub: StubServer, hf_env: Path) -> None:
    m = fetch_model("meta-llama/Llama-3.2-1B-Instruct", token=TOKEN)
    assert m.spec is not None
    assert all(x.headers.get("authorization") == f"Bearer {TOKEN}" for x in hub.seen)
    assert TOKEN not in _cache_text(hf_env)
    assert TOKEN not in repr(m)
    hub.stop()
    with pytest.raises(WillItRunError) as e:
        fetch_model("acme/never-fetched", token=TOKEN)
    assert TOKEN not in e.value.one_line()


def test_unknown_repo(hub: StubServer) -> None:
    with pytest.raises(WillItRunError, match="unknown Hugging Face repo 'nobody/nothing'") as e:
        fetch_model("nobody/nothing")
    assert "\n" not in e.value.one_line()


def test_http_500(hub: StubServer) -> None:
    with pytest.raises(WillItRunError, match="HTTP 500") as e:
        fetch_model("acme/broken")
    assert "acme/broken" in e.value.one_line()


def test_malformed_json(hub: StubServer) -> None:
    with pytest.raises(WillItRunError, match="malformed") as e:
        fetch_model("acme/garbled")
    assert "acme/garbled" in e.value.one_line()


def test_malformed_config(hub: StubServer) -> None:
    with pytest.raises(WillItRunError, match=r"config\.json of acme/bad-config is not valid JSON"):
        fetch_model("acme/bad-config")


def test_timeout(hub: StubServer) -> None:
    with pytest.raises(WillItRunError, match=r"within 0\.5 s"):
        fetch_model("acme/slow", timeout=0.5)


def test_bad_repo_id(hf_env: Path) -> None:
    for bad in ("", "a/b/c", "../etc", "bad name/x"):
        with pytest.raises(BadValueError):
            fetch_model(bad)


# --- the cache -----------------------------------------------------------------------------------------------


def test_offline_uses_cache(hf_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with StubServer(hub_route) as server:
        monkeypatch.setenv("HF_ENDPOINT", server.url)
        online = fetch_model("meta-llama/Llama-3.2-1B-Instruct")
    # the server is gone: a connection error falls back to the cache
    again = fetch_model("meta-llama/Llama-3.2-1B-Instruct")
    assert again.from_cache and not online.from_cache
    assert again.spec == online.spec
    assert (again.params_by_dtype, again.gguf_files, again.revision) == (
        online.params_by_dtype,
        online.gguf_files,
        online.revision,
    )
    assert fetch_model("meta-llama/Llama-3.2-1B-Instruct", offline=True).from_cache
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert fetch_model("meta-llama/Llama-3.2-1B-Instruct").from_cache


def test_offline_without_cache(hf_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{free_port()}")
    with pytest.raises(WillItRunError, match="not in the local cache and the Hub cannot be reached") as e:
        fetch_model("acme/never-fetched")
    assert "acme/never-fetched" in e.value.one_line()
    with pytest.raises(WillItRunError, match="not in the local cache"):
        fetch_model("acme/never-fetched", offline=True)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(WillItRunError, match="not in the local cache"):
        fetch_model("acme/never-fetched")


# --- config.json -> ModelSpec (pure) -------------------------------------------------------------------------


def _close(a: int, b: int, rel: float = 0.002) -> bool:
    return abs(a - b) <= rel * b


def test_config_qwen2_bias() -> None:
    cfg = {
        "model_type": "qwen2",
        "hidden_size": 3584,
        "intermediate_size": 18944,
        "num_hidden_layers": 28,
        "num_attention_heads": 28,
        "num_key_value_heads": 4,
        "vocab_size": 152064,
        "max_position_embeddings": 32768,
        "sliding_window": 131072,
        "use_sliding_window": False,
        "tie_word_embeddings": False,
    }
    s = config_to_spec("Qwen/Qwen2.5-7B-Instruct", cfg)
    assert s.attn_bias and s.head_dim == 128 and s.sliding_window is None
    assert s.params == 7615616512


def test_config_qwen3_moe(catalog: Catalog) -> None:
    cfg = {
        "model_type": "qwen3_moe",
        "hidden_size": 2048,
        "intermediate_size": 6144,
        "moe_intermediate_size": 768,
        "num_hidden_layers": 48,
        "num_attention_heads": 32,
        "num_key_value_heads": 4,
        "head_dim": 128,
        "num_experts": 128,
        "num_experts_per_tok": 8,
        "decoder_sparse_step": 1,
        "vocab_size": 151936,
        "max_position_embeddings": 40960,
        "tie_word_embeddings": False,
        "use_sliding_window": False,
        "sliding_window": None,
    }
    s = config_to_spec("Qwen/Qwen3-30B-A3B", cfg)
    ref = catalog.model("qwen3-30b-a3b")
    assert (s.arch, s.experts, s.experts_active, s.expert_intermediate, s.qk_norm) == ("qwen3moe", 128, 8, 768, True)
    assert _close(s.params, ref.params)
    assert s.active_params is not None and ref.active_params is not None and _close(s.active_params, ref.active_params)


def test_config_gemma3_nested_text_config() -> None:
    cfg = {
        "architectures": ["Gemma3ForConditionalGeneration"],
        "model_type": "gemma3",
        "text_config": {
            "model_type": "gemma3_text",
            "hidden_size": 5376,
            "intermediate_size": 21504,
            "num_hidden_layers": 62,
            "num_attention_heads": 32,
            "num_key_value_heads": 16,
            "head_dim": 128,
            "sliding_window": 1024,
            "max_position_embeddings": 131072,
            "vocab_size": 262208,
        },
        "vision_config": {"model_type": "siglip_vision_model", "hidden_size": 1152, "num_hidden_layers": 27},
    }
    s = config_to_spec("google/gemma-3-27b-it", cfg)
    assert (s.arch, s.layers, s.hidden, s.kv_heads, s.head_dim) == ("gemma3", 62, 5376, 16, 128)
    assert (s.sliding_window, s.swa_pattern, s.tied_embeddings, s.qk_norm) == (1024, 6, True, True)
    layer_types = ["sliding_attention"] * 5 + ["full_attention"]
    cfg["text_config"]["layer_types"] = layer_types * 10 + layer_types[:2]
    cfg["text_config"]["sliding_window"] = 512
    s = config_to_spec("google/gemma-3-27b-it", cfg)
    assert (s.sliding_window, s.swa_pattern) == (512, 6)


def test_config_deepseek_mla(catalog: Catalog) -> None:
    cfg = {
        "model_type": "deepseek_v3",
        "hidden_size": 7168,
        "intermediate_size": 18432,
        "moe_intermediate_size": 2048,
        "num_hidden_layers": 61,
        "num_attention_heads": 128,
        "num_key_value_heads": 128,
        "n_routed_experts": 256,
        "n_shared_experts": 1,
        "num_experts_per_tok": 8,
        "first_k_dense_replace": 3,
        "kv_lora_rank": 512,
        "q_lora_rank": 1536,
        "qk_rope_head_dim": 64,
        "qk_nope_head_dim": 128,
        "v_head_dim": 128,
        "vocab_size": 129280,
        "max_position_embeddings": 163840,
        "tie_word_embeddings": False,
    }
    s = config_to_spec("deepseek-ai/DeepSeek-V3", cfg)
    ref = catalog.model("deepseek-v3")
    for f in ("arch", "layers", "heads", "kv_heads", "head_dim", "experts", "shared_experts", "dense_layers"):
        assert getattr(s, f) == getattr(ref, f), f
    assert (s.kv_lora_rank, s.q_lora_rank, s.qk_rope_head_dim, s.v_head_dim) == (512, 1536, 64, 128)
    assert _close(s.params, ref.params, 0.01)


def test_config_gpt_oss_and_mixtral(catalog: Catalog) -> None:
    oss = {
        "model_type": "gpt_oss",
        "hidden_size": 2880,
        "intermediate_size": 2880,
        "num_hidden_layers": 24,
        "num_attention_heads": 64,
        "num_key_value_heads": 8,
        "head_dim": 64,
        "num_local_experts": 32,
        "num_experts_per_tok": 4,
        "experts_per_token": 4,
        "sliding_window": 128,
        "layer_types": ["sliding_attention", "full_attention"] * 12,
        "attention_bias": True,
        "vocab_size": 201088,
        "max_position_embeddings": 131072,
        "tie_word_embeddings": False,
    }
    s = config_to_spec("openai/gpt-oss-20b", oss)
    ref = catalog.model("gpt-oss-20b")
    assert (s.arch, s.sliding_window, s.swa_pattern, s.attn_bias) == ("gpt-oss", 128, 2, True)
    assert (s.experts, s.experts_active, s.expert_intermediate) == (32, 4, 2880)
    assert _close(s.params, ref.params, 0.01)
    mixtral = {
        "model_type": "mixtral",
        "hidden_size": 4096,
        "intermediate_size": 14336,
        "num_hidden_layers": 32,
        "num_attention_heads": 32,
        "num_key_value_heads": 8,
        "num_local_experts": 8,
        "num_experts_per_tok": 2,
        "sliding_window": None,
        "vocab_size": 32000,
        "max_position_embeddings": 32768,
        "tie_word_embeddings": False,
    }
    s = config_to_spec("mistralai/Mixtral-8x7B-Instruct-v0.1", mixtral)
    assert (s.arch, s.expert_intermediate, s.sliding_window) == ("llama", 14336, None)
    assert s.params == catalog.model("mixtral-8x7b").params


def test_config_missing_key() -> None:
    cfg = dict(LLAMA_1B_CONFIG)
    del cfg["num_hidden_layers"]
    with pytest.raises(WillItRunError, match="num_hidden_layers"):
        config_to_spec("x/y", cfg)


def test_config_gemma3n_matches_catalog(catalog: Catalog) -> None:
    # google/gemma-3n-E4B-it config.json, text_config trimmed to the shape-bearing keys
    layer_types = (["sliding_attention"] * 4 + ["full_attention"]) * 7
    cfg = {
        "model_type": "gemma3n",
        "text_config": {
            "model_type": "gemma3n_text",
            "hidden_size": 2048,
            "intermediate_size": [16384] * 35,
            "num_hidden_layers": 35,
            "num_attention_heads": 8,
            "num_key_value_heads": 2,
            "head_dim": 256,
            "vocab_size": 262400,
            "vocab_size_per_layer_input": 262144,
            "hidden_size_per_layer_input": 256,
            "num_kv_shared_layers": 15,
            "altup_num_inputs": 4,
            "laurel_rank": 64,
            "sliding_window": 512,
            "layer_types": layer_types,
            "max_position_embeddings": 32768,
        },
        "vision_config": {"model_type": "gemma3n_vision"},
    }
    s = config_to_spec("google/gemma-3n-E4B-it", cfg)
    ref = catalog.model("gemma3n-e4b")
    for f in ("arch", "layers", "hidden", "intermediate", "kv_heads", "head_dim", "sliding_window", "swa_pattern"):
        assert getattr(s, f) == getattr(ref, f), f
    for f in ("per_layer_input", "altup_inputs", "laurel_rank", "kv_shared_layers", "tied_embeddings", "qk_norm"):
        assert getattr(s, f) == getattr(ref, f), f
    assert s.params == ref.params


# --- config.json of this year's architectures -> the catalog's shapes ---------------------------------------
# Each config is the model's config.json trimmed to the keys that carry shapes, with the values public copies of
# it show; the spec must give the catalog entry's tensor list (names and shapes) and so its parameter count.


def _shapes(m: Any) -> list[tuple[str, tuple[int, ...]]]:
    """A spec's tensor list, MTP blocks included, as (name, shape): what two specs of one model must share."""
    return [(t.name, t.ne) for t in (*model_tensors(m), *mtp_tensors(m))]


def _same_as_catalog(catalog: Catalog, model_id: str, repo: str, cfg: dict[str, Any]) -> None:
    s = config_to_spec(repo, cfg)
    ref = catalog.model(model_id)
    assert s.arch == ref.arch
    assert _shapes(s) == _shapes(ref)
    assert s.params == parameter_count(ref) == ref.params
    assert s.context_max == ref.context_max or model_id.startswith("lfm2")  # LFM2's card, not its config, sets it


# mistralai/Mistral-Small-4-119B-2603: a mistral3 wrapper (vision) around a mistral4 text model; the text values
# are transformers' Mistral4Config defaults (its docstring checkpoint is this repo) and the config's MLA ranks
MISTRAL_SMALL_4_CONFIG: dict[str, Any] = {
    "architectures": ["Mistral3ForConditionalGeneration"],
    "model_type": "mistral3",
    "text_config": {
        "model_type": "mistral4",
        "vocab_size": 131072,
        "hidden_size": 4096,
        "intermediate_size": 12288,
        "moe_intermediate_size": 2048,
        "num_hidden_layers": 36,
        "num_attention_heads": 32,
        "num_key_value_heads": 32,
        "n_shared_experts": 1,
        "n_routed_experts": 128,
        "num_experts_per_tok": 4,
        "first_k_dense_replace": 0,
        "kv_lora_rank": 256,
        "q_lora_rank": 1024,
        "qk_rope_head_dim": 64,
        "qk_nope_head_dim": 64,
        "v_head_dim": 128,
        "max_position_embeddings": 262144,
        "tie_word_embeddings": False,
    },
    "vision_config": {"model_type": "pixtral", "hidden_size": 1024},
}


def test_config_mistral_small_4(catalog: Catalog) -> None:
    _same_as_catalog(catalog, "mistral-small-4-119b", "mistralai/Mistral-Small-4-119B-2603", MISTRAL_SMALL_4_CONFIG)
    s = config_to_spec("mistralai/Mistral-Small-4-119B-2603", MISTRAL_SMALL_4_CONFIG)
    assert (s.kv_lora_rank, s.q_lora_rank, s.head_dim, s.kv_heads, s.experts, s.shared_experts) == (
        256, 1024, 128, 32, 128, 1,
    )  # fmt: skip


# zai-org/GLM-5.1's config.json (GLM-5 has the same shapes): its safetensors hold 753,864,139,008 parameters,
# the MTP block (layer 78, no own embedding or head) included, as llama.cpp's glm-dsa files do
GLM_5_1_CONFIG: dict[str, Any] = {
    "architectures": ["GlmMoeDsaForCausalLM"],
    "model_type": "glm_moe_dsa",
    "first_k_dense_replace": 3,
    "head_dim": 64,
    "hidden_size": 6144,
    "index_head_dim": 128,
    "index_n_heads": 32,
    "index_topk": 2048,
    "intermediate_size": 12288,
    "kv_lora_rank": 512,
    "max_position_embeddings": 202752,
    "moe_intermediate_size": 2048,
    "moe_layer_freq": 1,
    "n_routed_experts": 256,
    "n_shared_experts": 1,
    "num_attention_heads": 64,
    "num_experts_per_tok": 8,
    "num_hidden_layers": 78,
    "num_key_value_heads": 64,
    "num_nextn_predict_layers": 1,
    "q_lora_rank": 2048,
    "qk_head_dim": 256,
    "qk_nope_head_dim": 192,
    "qk_rope_head_dim": 64,
    "tie_word_embeddings": False,
    "v_head_dim": 256,
    "vocab_size": 154880,
}


def test_config_glm_5(catalog: Catalog) -> None:
    for model_id in ("glm-5", "glm-5.1"):
        _same_as_catalog(catalog, model_id, "zai-org/GLM-5.1", GLM_5_1_CONFIG)
    s = config_to_spec("zai-org/GLM-5.1", GLM_5_1_CONFIG)
    assert (s.head_dim, s.indexer_heads, s.indexer_head_dim, s.indexer_layers, s.mtp_layers) == (256, 32, 128, None, 1)
    assert s.params == 753864139008
    # GLM-5.2: 1M context, and indexer_types "full" on layers 0-2 and every fourth after (6, 10, ... 74)
    full = {0, 1, 2, *range(6, 78, 4)}
    glm52 = dict(GLM_5_1_CONFIG, max_position_embeddings=1048576)
    glm52["indexer_types"] = ["full" if i in full else "shared" for i in range(78)]
    _same_as_catalog(catalog, "glm-5.2", "zai-org/GLM-5.2", glm52)
    s = config_to_spec("zai-org/GLM-5.2", glm52)
    assert s.indexer_layers == catalog.model("glm-5.2").indexer_layers and len(s.indexer_layers or ()) == 21


# tencent/Hunyuan-A13B-Instruct: per-layer lists for the expert width, top-k and shared experts; 32K in
# max_position_embeddings, which llama.cpp's converter replaces with 256K for the alpha-scaled RoPE
HUNYUAN_A13B_CONFIG: dict[str, Any] = {
    "architectures": ["HunYuanMoEV1ForCausalLM"],
    "model_type": "hunyuan_v1_moe",
    "attention_head_dim": 128,
    "hidden_size": 4096,
    "intermediate_size": 3072,
    "max_position_embeddings": 32768,
    "moe_intermediate_size": [3072] * 32,
    "moe_topk": [8] * 32,
    "num_attention_heads": 32,
    "num_experts": 64,
    "num_hidden_layers": 32,
    "num_key_value_heads": 8,
    "num_shared_expert": [1] * 32,
    "rope_scaling": {"alpha": 1000.0, "factor": 1.0, "type": "dynamic"},
    "tie_word_embeddings": True,
    "use_mixed_mlp_moe": True,
    "use_qk_norm": True,
    "vocab_size": 128167,
}


def _hunyuan_dense(hidden: int, ffn: int, layers: int, heads: int, kv: int, vocab: int) -> dict[str, Any]:
    return {
        "architectures": ["HunYuanDenseV1ForCausalLM"],
        "model_type": "hunyuan_v1_dense",
        "hidden_size": hidden,
        "intermediate_size": ffn,
        "num_hidden_layers": layers,
        "num_attention_heads": heads,
        "num_key_value_heads": kv,
        "head_dim": 128,
        "vocab_size": vocab,
        "max_position_embeddings": 262144,
        "rope_scaling": {"type": "dynamic", "alpha": 1000.0, "factor": 1.0},
        "use_qk_norm": True,
        "tie_word_embeddings": True,
    }


def test_config_hunyuan(catalog: Catalog) -> None:
    _same_as_catalog(catalog, "hunyuan-a13b", "tencent/Hunyuan-A13B-Instruct", HUNYUAN_A13B_CONFIG)
    s = config_to_spec("tencent/Hunyuan-A13B-Instruct", HUNYUAN_A13B_CONFIG)
    assert (s.experts, s.experts_active, s.expert_intermediate, s.shared_experts, s.qk_norm) == (64, 8, 3072, 1, True)
    assert len(model_tensors(s)) == 482  # as llama.cpp's loader lists the published Q4_K file
    assert s.context_max == 262144
    dense = {
        "hunyuan-0.5b": _hunyuan_dense(1024, 3584, 24, 16, 8, 120818),
        "hunyuan-1.8b": _hunyuan_dense(2048, 6144, 32, 16, 4, 120818),
        "hunyuan-7b": _hunyuan_dense(4096, 14336, 32, 32, 8, 128167),
    }
    for model_id, cfg in dense.items():
        _same_as_catalog(catalog, model_id, f"tencent/{model_id.title()}-Instruct", cfg)


# LiquidAI/LFM2-8B-A1B: no tie key (LFM2 ties by default), the dense layers as num_dense_layers; LFM2.5-8B-A1B the
# same with a 128,000 vocabulary
_LFM2_LAYER_TYPES = [
    "conv", "conv", "full_attention", "conv", "conv", "conv", "full_attention", "conv", "conv", "conv",
    "full_attention", "conv", "conv", "conv", "full_attention", "conv", "conv", "conv", "full_attention", "conv",
    "conv", "full_attention", "conv", "conv",
]  # fmt: skip
LFM2_8B_A1B_CONFIG: dict[str, Any] = {
    "architectures": ["Lfm2MoeForCausalLM"],
    "model_type": "lfm2_moe",
    "vocab_size": 65536,
    "hidden_size": 2048,
    "intermediate_size": 7168,
    "moe_intermediate_size": 1792,
    "num_hidden_layers": 24,
    "num_attention_heads": 32,
    "num_key_value_heads": 8,
    "max_position_embeddings": 128000,
    "conv_L_cache": 3,
    "conv_bias": False,
    "num_dense_layers": 2,
    "num_experts": 32,
    "num_experts_per_tok": 4,
    "use_expert_bias": True,
    "layer_types": _LFM2_LAYER_TYPES,
}


def test_config_lfm2_moe(catalog: Catalog) -> None:
    _same_as_catalog(catalog, "lfm2-8b-a1b", "LiquidAI/LFM2-8B-A1B", LFM2_8B_A1B_CONFIG)
    s = config_to_spec("LiquidAI/LFM2-8B-A1B", LFM2_8B_A1B_CONFIG)
    assert (s.attention_layers, s.dense_layers, s.tied_embeddings) == ((2, 6, 10, 14, 18, 21), 2, True)
    lfm25 = dict(LFM2_8B_A1B_CONFIG, vocab_size=128000, head_dim=64, tie_word_embeddings=True)
    _same_as_catalog(catalog, "lfm2.5-8b-a1b", "LiquidAI/LFM2.5-8B-A1B", lfm25)


def _nemotron_h(**shape: Any) -> dict[str, Any]:
    return {
        "architectures": ["NemotronHForCausalLM"],
        "model_type": "nemotron_h",
        "conv_kernel": 4,
        "expand": 2,
        "head_dim": 128,
        "mamba_head_dim": 64,
        "max_position_embeddings": 262144,
        "n_groups": 8,
        "n_shared_experts": 1,
        "num_attention_heads": 32,
        "num_key_value_heads": 2,
        "ssm_state_size": 128,
        "tie_word_embeddings": False,
        "vocab_size": 131072,
        **shape,
    }


# nvidia/NVIDIA-Nemotron-3-Super-120B-A12B's config.json: the latent MoE (moe_latent_size); its MTP block is not in
# the published GGUF files, so it is not counted. Nemotron 3 Nano (no latent) for comparison.
NEMOTRON_3_SUPER_CONFIG = _nemotron_h(
    hidden_size=4096,
    hybrid_override_pattern="MEMEMEM*EMEMEMEM*EMEMEMEM*EMEMEMEMEM*EMEMEMEMEM*EMEMEMEMEM*EMEMEMEMEM*EMEMEMEM*EMEMEMEME",
    intermediate_size=2688,
    mamba_num_heads=128,
    moe_intermediate_size=2688,
    moe_latent_size=1024,
    moe_shared_expert_intermediate_size=5376,
    n_routed_experts=512,
    num_experts_per_tok=22,
    num_hidden_layers=88,
    num_nextn_predict_layers=1,
)
NEMOTRON_3_NANO_CONFIG = _nemotron_h(
    hidden_size=2688,
    hybrid_override_pattern="MEMEM*EMEMEM*EMEMEM*EMEMEM*EMEMEM*EMEMEMEM*EMEMEMEME",
    intermediate_size=1856,
    mamba_num_heads=64,
    moe_intermediate_size=1856,
    moe_shared_expert_intermediate_size=3712,
    n_routed_experts=128,
    num_experts_per_tok=6,
    num_hidden_layers=52,
)


def test_config_nemotron_h(catalog: Catalog) -> None:
    repo = "nvidia/NVIDIA-Nemotron-3-Super-120B-A12B-BF16"
    _same_as_catalog(catalog, "nemotron-3-super-120b-a12b", repo, NEMOTRON_3_SUPER_CONFIG)
    s = config_to_spec(repo, NEMOTRON_3_SUPER_CONFIG)
    assert (s.moe_latent_size, s.shared_expert_intermediate, s.ssm_d_inner, s.mtp_layers) == (1024, 5376, 8192, 0)
    assert s.attention_layers is None and s.layer_pattern.count("*") == 8
    _same_as_catalog(
        catalog, "nemotron-3-nano-30b-a3b", "nvidia/NVIDIA-Nemotron-3-Nano-30B-A3B-BF16", NEMOTRON_3_NANO_CONFIG
    )
    # the same layers written as transformers' newer layers_block_type list
    names = {"M": "mamba", "E": "moe", "*": "attention", "-": "mlp"}
    listed = dict(NEMOTRON_3_NANO_CONFIG)
    listed["layers_block_type"] = [names[c] for c in listed.pop("hybrid_override_pattern")]
    assert config_to_spec("x/y", listed).layer_pattern == NEMOTRON_3_NANO_CONFIG["hybrid_override_pattern"]


# deepseek-ai/DeepSeek-V4-Flash's config.json, the keys that carry shapes, with the values the catalog entry's
# source cites (44 compression ratios: the last is the MTP block's, which the GGUF file leaves out)
DEEPSEEK_V4_FLASH_CONFIG: dict[str, Any] = {
    "model_type": "deepseek_v4",
    "hidden_size": 4096,
    "num_hidden_layers": 43,
    "num_attention_heads": 64,
    "num_key_value_heads": 1,
    "head_dim": 512,
    "qk_rope_head_dim": 64,
    "q_lora_rank": 1024,
    "o_groups": 8,
    "o_lora_rank": 1024,
    "sliding_window": 128,
    "compress_ratios": [0, 0, *([4, 128] * 20), 4, 0],
    "index_n_heads": 64,
    "index_head_dim": 128,
    "n_routed_experts": 256,
    "n_shared_experts": 1,
    "num_experts_per_tok": 6,
    "moe_intermediate_size": 2048,
    "num_hash_layers": 3,
    "hc_mult": 4,
    "vocab_size": 129280,
    "tie_word_embeddings": False,
    "max_position_embeddings": 1048576,
    "num_nextn_predict_layers": 1,
}


def test_config_deepseek_v4(catalog: Catalog) -> None:
    from willitrun.estimate.kv import kv_cache_bytes

    s = config_to_spec("deepseek-ai/DeepSeek-V4-Flash", DEEPSEEK_V4_FLASH_CONFIG)
    ref = catalog.model("deepseek-v4-flash")
    assert s.arch == "deepseek4" and len(s.compress_ratios) == 43
    assert _shapes(s) == _shapes(ref)
    assert s.params == parameter_count(ref)  # 284.33 B, as llama.cpp prints it
    assert kv_cache_bytes(s, 65536) == kv_cache_bytes(ref, 65536)


# moonshotai/Kimi-K3's config.json, the keys that carry shapes (its text_config, under the multimodal wrapper),
# with the values the catalog entry's source cites; linear_attn_config counts layers from 1
KIMI_K3_CONFIG: dict[str, Any] = {
    "model_type": "kimi_k3",
    "tie_word_embeddings": False,
    "text_config": {
        "model_type": "kimi_linear",
        "hidden_size": 7168,
        "num_hidden_layers": 93,
        "num_attention_heads": 96,
        "num_key_value_heads": 96,
        "intermediate_size": 33792,
        "q_lora_rank": 1536,
        "kv_lora_rank": 512,
        "qk_nope_head_dim": 128,
        "qk_rope_head_dim": 64,
        "v_head_dim": 128,
        "num_experts": 896,
        "num_experts_per_token": 16,
        "moe_intermediate_size": 3072,
        "num_shared_experts": 2,
        "first_k_dense_replace": 1,
        "routed_expert_hidden_size": 3584,
        "vocab_size": 163840,
        "max_position_embeddings": 1048576,
        "tie_word_embeddings": False,
        "linear_attn_config": {
            "full_attn_layers": [*range(4, 93, 4), 93],
            "kda_layers": [i for i in range(1, 92) if i % 4],
            "head_dim": 128,
            "num_heads": 96,
            "short_conv_kernel_size": 4,
        },
    },
}


def test_config_kimi_k3(catalog: Catalog) -> None:
    from willitrun.estimate.kv import kv_cache_bytes

    s = config_to_spec("moonshotai/Kimi-K3", KIMI_K3_CONFIG)
    ref = catalog.model("kimi-k3")
    assert s.arch == "kimi-k3" and s.attention_layers == ref.attention_layers and len(ref.attention_layers or ()) == 24
    assert _shapes(s) == _shapes(ref)
    assert s.params == parameter_count(ref)
    assert kv_cache_bytes(s, 65536) == kv_cache_bytes(ref, 65536)


def test_config_exaone_4_5(catalog: Catalog) -> None:
    """EXAONE 4.5's wrapper config: the text tower (exaone4) with its MTP block, a window pattern given as layer
    kinds, the vocabulary on the outer level."""
    kinds = ["sliding_attention"] * 3 + ["full_attention"]
    cfg: dict[str, Any] = {
        "model_type": "exaone4_5",
        "vocab_size": 153600,
        "tie_word_embeddings": False,
        "text_config": {
            "model_type": "exaone4_5_text",
            "hidden_size": 5120,
            "intermediate_size": 27392,
            "num_hidden_layers": 64,
            "num_attention_heads": 40,
            "num_key_value_heads": 8,
            "max_position_embeddings": 262144,
            "sliding_window": 4096,
            "sliding_window_pattern": "LLLG",
            "layer_types": kinds * 16,
            "num_nextn_predict_layers": 1,
        },
    }
    s = config_to_spec("LGAI-EXAONE/EXAONE-4.5-33B", cfg)
    ref = catalog.model("exaone-4.5-33b")
    assert s.arch == "exaone4" and s.swa_pattern == 4 and s.mtp_layers == 1 and s.qk_norm
    assert _shapes(s) == _shapes(ref)
    assert s.params == ref.params


def test_config_muse_glimmer(catalog: Catalog) -> None:
    """Muse Glimmer's wrapper config (muse_glimmer > muse_glimmer_text): the window pattern from its layer kinds."""
    text: dict[str, Any] = {
        "model_type": "muse_glimmer_text",
        "num_hidden_layers": 52,
        "hidden_size": 6656,
        "intermediate_size": 19968,
        "num_attention_heads": 32,
        "num_key_value_heads": 2,
        "head_dim": 128,
        "vocab_size": 202048,
        "max_position_embeddings": 131072,
        "sliding_window": 2048,
        "layer_types": (["sliding_attention"] * 3 + ["full_attention"]) * 13,
    }
    s = config_to_spec("meta-models/Muse-Glimmer-30B", {"model_type": "muse_glimmer", "text_config": text})
    ref = catalog.model("muse-glimmer-30b")
    assert s.arch == "muse-glimmer" and s.swa_pattern == 4 and s.qk_norm and not s.tied_embeddings
    assert _shapes(s) == _shapes(ref)


def test_config_step_3_5_flash(catalog: Catalog) -> None:
    """Step 3.5 Flash's own key names (attention groups, the window layers' head count apart, moe_layers_enum) and
    layer kinds listed for the decoder layers and the three MTP blocks, the full layer first in each four."""
    cfg: dict[str, Any] = {
        "model_type": "step3p5",
        "hidden_size": 4096,
        "intermediate_size": 11264,
        "num_hidden_layers": 45,
        "num_attention_heads": 64,
        "num_attention_groups": 8,
        "head_dim": 128,
        "attention_other_setting": {"attention_type": "sliding_attention", "num_attention_heads": 96},
        "use_qk_norm": True,
        "moe_num_experts": 288,
        "moe_top_k": 8,
        "moe_intermediate_size": 1280,
        "share_expert_dim": 1280,
        "moe_layers_enum": ",".join(str(i) for i in range(3, 45)),
        "sliding_window": 512,
        "layer_types": (["full_attention"] + ["sliding_attention"] * 3) * 12,
        "vocab_size": 128896,
        "max_position_embeddings": 262144,
        "tie_word_embeddings": False,
        "num_nextn_predict_layers": 3,
    }
    s = config_to_spec("stepfun-ai/Step-3.5-Flash", cfg)
    ref = catalog.model("step-3.5-flash")
    assert (s.arch, s.swa_heads, s.kv_heads, s.dense_layers, s.mtp_layers) == ("step35", 96, 8, 3, 3)
    assert _shapes(s) == _shapes(ref)
    assert s.params == ref.params


def test_config_hy3(catalog: Catalog) -> None:
    """tencent/Hy3's config.json keys that carry shapes: its q/k norms and MTP block come through."""
    cfg: dict[str, Any] = {
        "model_type": "hy_v3",
        "vocab_size": 120832,
        "hidden_size": 4096,
        "intermediate_size": 13312,
        "num_hidden_layers": 80,
        "num_attention_heads": 64,
        "num_key_value_heads": 8,
        "head_dim": 128,
        "max_position_embeddings": 262144,
        "tie_word_embeddings": False,
        "moe_intermediate_size": 1536,
        "num_experts": 192,
        "num_experts_per_tok": 8,
        "num_shared_experts": 1,
        "first_k_dense_replace": 1,
        "num_nextn_predict_layers": 1,
        "qk_norm": True,
    }
    s = config_to_spec("tencent/Hy3", cfg)
    ref = catalog.model("hy3")
    assert s.arch == "hy_v3" and s.qk_norm and s.mtp_layers == 1
    assert _shapes(s) == _shapes(ref)
    assert s.params == ref.params


def test_config_kimi_linear_and_k3_wrapper(catalog: Catalog) -> None:
    """Kimi Linear's own config (kimi_linear, model_max_length for its context) maps to kimi-linear; Kimi K3's
    wrapper, whose text_config also says kimi_linear, stays kimi-k3."""
    cfg: dict[str, Any] = {
        "model_type": "kimi_linear",
        "hidden_size": 2304,
        "num_hidden_layers": 27,
        "num_attention_heads": 32,
        "num_key_value_heads": 32,
        "intermediate_size": 9216,
        "kv_lora_rank": 512,
        "q_lora_rank": None,
        "qk_nope_head_dim": 128,
        "qk_rope_head_dim": 64,
        "v_head_dim": 128,
        "num_experts": 256,
        "num_experts_per_token": 8,
        "moe_intermediate_size": 1024,
        "num_shared_experts": 1,
        "first_k_dense_replace": 1,
        "vocab_size": 163840,
        "model_max_length": 1048576,
        "tie_word_embeddings": False,
        "linear_attn_config": {
            "full_attn_layers": [4, 8, 12, 16, 20, 24, 27],
            "head_dim": 128,
            "num_heads": 32,
            "short_conv_kernel_size": 4,
        },
    }
    s = config_to_spec("moonshotai/Kimi-Linear-48B-A3B-Instruct", cfg)
    ref = catalog.model("kimi-linear-48b-a3b")
    assert s.arch == "kimi-linear" and s.context_max == 1048576
    assert _shapes(s) == _shapes(ref)
    assert config_to_spec("moonshotai/Kimi-K3", KIMI_K3_CONFIG).arch == "kimi-k3"


def test_config_hy4_preview(catalog: Catalog) -> None:
    """tencent/Hy4-preview's shape keys: MLA, the DSA indexer with its full/shared layers, hc_mult."""
    cfg: dict[str, Any] = {
        "model_type": "hy_v4",
        "vocab_size": 120832,
        "hidden_size": 6144,
        "intermediate_size": 18432,
        "moe_intermediate_size": 2048,
        "num_hidden_layers": 78,
        "num_attention_heads": 64,
        "num_key_value_heads": 64,
        "q_lora_rank": 2048,
        "kv_lora_rank": 512,
        "qk_nope_head_dim": 192,
        "qk_rope_head_dim": 64,
        "v_head_dim": 256,
        "n_routed_experts": 256,
        "n_shared_experts": 1,
        "num_experts_per_tok": 8,
        "first_k_dense_replace": 1,
        "index_head_dim": 128,
        "index_n_heads": 32,
        "indexer_types": ["full", "full"] + ["full" if i % 4 == 1 else "shared" for i in range(2, 78)],
        "hc_mult": 4,
        "max_position_embeddings": 1048576,
        "tie_word_embeddings": False,
        "num_nextn_predict_layers": 1,
    }
    s = config_to_spec("tencent/Hy4-preview", cfg)
    ref = catalog.model("hy4-preview")
    assert s.arch == "hy_v4" and s.hc_mult == 4 and s.indexer_layers == ref.indexer_layers and s.mtp_layers == 0
    assert _shapes(s) == _shapes(ref)


def test_config_ling_flash_2(catalog: Catalog) -> None:
    """Ling 2.0 (bailing_moe_v2 -> bailingmoe2): fused q/k/v, per-head q/k norms, a shared expert."""
    cfg: dict[str, Any] = {
        "model_type": "bailing_moe_v2",
        "hidden_size": 4096,
        "intermediate_size": 9216,
        "num_hidden_layers": 32,
        "num_attention_heads": 32,
        "num_key_value_heads": 4,
        "head_dim": 128,
        "vocab_size": 157184,
        "max_position_embeddings": 32768,
        "num_experts": 256,
        "num_experts_per_tok": 8,
        "moe_intermediate_size": 1024,
        "num_shared_experts": 1,
        "first_k_dense_replace": 1,
        "use_qk_norm": True,
        "tie_word_embeddings": False,
    }
    s = config_to_spec("inclusionAI/Ling-flash-2.0", cfg)
    ref = catalog.model("ling-flash-2.0")
    assert s.arch == "bailingmoe2" and s.qk_norm
    assert _shapes(s) == _shapes(ref)
    assert s.params == ref.params == 102_889_705_216


def test_config_ernie_4_5(catalog: Catalog) -> None:
    """ERNIE 4.5 (ernie4_5 / ernie4_5_moe): its own MoE keys (moe_num_experts, moe_k, moe_layer_start_index) and the
    shared FFN llama.cpp's converter sizes as intermediate_size over the KV heads; the dense 0.3B is a llama layer."""
    dense: dict[str, Any] = {
        "model_type": "ernie4_5",
        "hidden_size": 1024,
        "intermediate_size": 3072,
        "num_hidden_layers": 18,
        "num_attention_heads": 16,
        "num_key_value_heads": 2,
        "head_dim": 128,
        "vocab_size": 103424,
        "max_position_embeddings": 131072,
        "use_bias": False,
        "tie_word_embeddings": True,
    }
    s = config_to_spec("baidu/ERNIE-4.5-0.3B-PT", dense)
    assert s.arch == "ernie4_5" and s.params == catalog.model("ernie-4.5-0.3b").params == 360_748_032
    moe = dense | {
        "model_type": "ernie4_5_moe",
        "hidden_size": 2560,
        "intermediate_size": 12288,
        "num_hidden_layers": 28,
        "num_attention_heads": 20,
        "num_key_value_heads": 4,
        "moe_num_experts": 64,
        "moe_num_shared_experts": 2,
        "moe_k": 6,
        "moe_intermediate_size": 1536,
        "moe_layer_start_index": 1,
        "moe_layer_interval": 1,
    }
    s = config_to_spec("baidu/ERNIE-4.5-21B-A3B-PT", moe)
    ref = catalog.model("ernie-4.5-21b-a3b")
    assert s.arch == "ernie4_5-moe" and s.shared_width == 3072 and s.dense_layers == 1
    assert _shapes(s) == _shapes(ref)
    assert s.params == ref.params == 21_825_437_888


def test_config_nemotron_nano_2_mamba_heads() -> None:
    """mamba_num_heads x mamba_head_dim sets the Mamba-2 heads (128 of 80 on Nemotron Nano 2)."""
    cfg = _nemotron_h(
        hybrid_override_pattern="M-M-M-MM-M-M-M*-M-M-M*-M-M-M-M*-M-M-M-M*-M-MM-M-M-M-M-M-",
        num_hidden_layers=56,
        hidden_size=4480,
        intermediate_size=15680,
        num_attention_heads=40,
        num_key_value_heads=8,
        mamba_num_heads=128,
        mamba_head_dim=80,
        ssm_state_size=128,
        n_groups=8,
    )
    s = config_to_spec("nvidia/NVIDIA-Nemotron-Nano-9B-v2", cfg)
    assert s.arch == "nemotron_h" and s.ssm_heads == 128 and s.ssm_d_inner == 10240
    assert s.params == 8_888_227_328


def test_config_apertus(catalog: Catalog) -> None:
    """Apertus (apertus): q/k norms (its config says qk_norm), an FFN without gate, untied head."""
    cfg: dict[str, Any] = {
        "architectures": ["ApertusForCausalLM"],
        "model_type": "apertus",
        "hidden_size": 4096,
        "intermediate_size": 21504,
        "num_hidden_layers": 32,
        "num_attention_heads": 32,
        "num_key_value_heads": 8,
        "max_position_embeddings": 65536,
        "hidden_act": "xielu",
        "qk_norm": True,
        "tie_word_embeddings": False,
        "vocab_size": 131072,
    }
    s = config_to_spec("swiss-ai/Apertus-8B-Instruct-2509", cfg)
    ref = catalog.model("apertus-8b")
    assert s.arch == "apertus" and s.qk_norm
    assert _shapes(s) == _shapes(ref)
    assert s.params == ref.params == 8_053_338_112


def test_config_grok_2_by_its_architectures_class(catalog: Catalog) -> None:
    """Grok 2's config.json names model_type "git": the architectures class (Grok1ForCausalLM) says grok."""
    cfg: dict[str, Any] = {
        "architectures": ["Grok1ForCausalLM"],
        "model_type": "git",
        "vocab_size": 131072,
        "hidden_size": 8192,
        "intermediate_size": 32768,
        "moe_intermediate_size": 16384,
        "max_position_embeddings": 131072,
        "num_experts_per_tok": 2,
        "num_local_experts": 8,
        "residual_moe": True,
        "num_attention_heads": 64,
        "num_key_value_heads": 8,
        "num_hidden_layers": 64,
        "head_dim": 128,
    }
    s = config_to_spec("xai-org/grok-2", cfg)
    ref = catalog.model("grok-2")
    assert s.arch == "grok" and s.experts == 8 and s.expert_intermediate == 16384
    assert _shapes(s) == _shapes(ref)
    assert s.params == ref.params == 269_515_497_472


def test_config_minimax_m1(catalog: Catalog) -> None:
    """MiniMax-M1 (minimax_m1 -> minimax-01): attn_type_list marks the softmax layers among the lightning ones."""
    cfg: dict[str, Any] = {
        "architectures": ["MiniMaxM1ForCausalLM"],
        "model_type": "minimax_m1",
        "head_dim": 128,
        "hidden_size": 6144,
        "intermediate_size": 9216,
        "max_position_embeddings": 10240000,
        "num_attention_heads": 64,
        "num_experts_per_tok": 2,
        "num_hidden_layers": 80,
        "num_key_value_heads": 8,
        "num_local_experts": 32,
        "attn_type_list": [1 if (i + 1) % 8 == 0 else 0 for i in range(80)],
        "tie_word_embeddings": False,
        "vocab_size": 200064,
    }
    s = config_to_spec("MiniMaxAI/MiniMax-M1-80k", cfg)
    ref = catalog.model("minimax-m1")
    assert s.arch == "minimax-01" and s.attention_layers == ref.attention_layers
    assert _shapes(s) == _shapes(ref)
    assert s.params == ref.params == 456_089_655_296


def test_config_granite_shared_mlp_and_window_layouts(catalog: Catalog) -> None:
    """Granite MoE configs give the shared expert as shared_intermediate_size (Granite 4.0 H Tiny: 1024, once
    dropped); Granite SWASH's layer_types put the full layer first in each group (2B) or at no fixed period (3B)."""
    tiny: dict[str, Any] = {
        "model_type": "granitemoehybrid",
        "hidden_size": 1536,
        "num_hidden_layers": 40,
        "num_attention_heads": 12,
        "num_key_value_heads": 4,
        "num_local_experts": 64,
        "num_experts_per_tok": 6,
        "intermediate_size": 512,
        "shared_intermediate_size": 1024,
        "vocab_size": 100352,
        "tie_word_embeddings": True,
        "max_position_embeddings": 131072,
        "mamba_d_state": 128,
        "mamba_d_conv": 4,
        "mamba_expand": 2,
        "mamba_n_groups": 1,
        "mamba_n_heads": 48,
        "layer_types": ["attention" if i in (5, 15, 25, 35) else "mamba" for i in range(40)],
    }
    s = config_to_spec("ibm-granite/granite-4.0-h-tiny", tiny)
    ref = catalog.model("granite-4.0-h-tiny")
    assert s.shared_width == ref.shared_width == 1024
    assert _shapes(s) == _shapes(ref)
    full = (0, 3, 7, 11, 15, 19, 23, 27)
    three: dict[str, Any] = {
        "model_type": "granitemoe_swa",
        "hidden_size": 1280,
        "num_hidden_layers": 28,
        "num_attention_heads": 20,
        "num_key_value_heads": 4,
        "num_local_experts": 48,
        "num_experts_per_tok": 4,
        "intermediate_size": 512,
        "shared_intermediate_size": 1280,
        "vocab_size": 100352,
        "tie_word_embeddings": True,
        "max_position_embeddings": 8192,
        "sliding_window": 128,
        "layer_types": ["full_attention" if i in full else "sliding_attention" for i in range(28)],
    }
    s = config_to_spec("ibm-granite/granite-swash-3b-a600m", three)
    ref = catalog.model("granite-swash-3b-a600m")
    assert s.full_layers == full and [s.layer_kind(i) for i in range(28)] == [ref.layer_kind(i) for i in range(28)]
    assert _shapes(s) == _shapes(ref)
    two = three | {
        "model_type": "granite_swa",
        "hidden_size": 2560,
        "num_hidden_layers": 24,
        "intermediate_size": 8192,
        "num_local_experts": 0,
        "shared_intermediate_size": 0,
        "layer_types": ["full_attention" if i % 4 == 0 else "sliding_attention" for i in range(24)],
    }
    s = config_to_spec("ibm-granite/granite-swash-2b", two)
    assert s.swa_pattern == 4 and s.swa_full_first and s.params == catalog.model("granite-swash-2b").params


def test_config_nemotron_nas_block_configs(catalog: Catalog) -> None:
    """nemotron-nas (deci): block_configs give each layer's KV heads (64 / n_heads_in_group; none when null) and
    FFN width (two thirds of ffn_mult x hidden, rounded up to 256), as llama.cpp's converter writes them."""
    ref = catalog.model("llama-3.3-nemotron-super-49b")
    hidden = ref.hidden
    mults: dict[int, float] = {}
    for mult in (0.5, 1.0, 1.3125, 2.625, 3.28125, 5.25):  # the six values in the checkpoint's block_configs
        w = int(2 * mult * hidden / 3)
        mults[w + (-w) % 256] = mult
    blocks = [
        {
            "attention": {"n_heads_in_group": 8 if kv > 0 else None, "no_op": kv < 0, "replace_with_linear": False},
            "ffn": {"ffn_mult": mults[ffn], "no_op": False, "replace_with_linear": False},
        }
        for kv, ffn in zip(ref.layer_kv_heads_list, ref.layer_ffn_widths, strict=True)
    ]
    cfg: dict[str, Any] = {
        "architectures": ["DeciLMForCausalLM"],
        "model_type": "nemotron-nas",
        "hidden_size": hidden,
        "num_hidden_layers": 80,
        "num_attention_heads": 64,
        "vocab_size": 128256,
        "max_position_embeddings": 131072,
        "tie_word_embeddings": False,
        "block_configs": blocks,
    }
    s = config_to_spec("nvidia/Llama-3_3-Nemotron-Super-49B-v1", cfg)
    assert s.arch == "deci" and s.layer_kv_heads_list == ref.layer_kv_heads_list
    assert s.layer_ffn_widths == ref.layer_ffn_widths and s.params == ref.params
    blocks[1]["attention"] = {"n_heads_in_group": None, "no_op": False, "replace_with_linear": True}
    blocks[2]["ffn"] = {"ffn_mult": None, "no_op": True, "replace_with_linear": False}
    s = config_to_spec("x/y", cfg | {"block_configs": blocks})
    assert s.layer_kv_heads_list[1] == 0 and s.layer_ffn_widths[2] == 0
    names = {t.name for t in model_tensors(s)}
    assert "blk.1.attn_output.weight" in names and "blk.1.attn_q.weight" not in names
    assert "blk.2.ffn_norm.weight" not in names
    # a block list that does not cover every layer is not read as one (the per-layer lists would misalign)
    assert config_to_spec("x/y", cfg | {"block_configs": blocks[:79]}).layer_kv_heads_list == ()


# LiquidAI/LFM3-1.7B: its config.json as Ollama's official lfm3 tag shows it (layer_types of three kinds: the
# convolutions, full attention every fourth layer from 2, windows every fourth from 4)
_LFM3_LAYER_TYPES = [
    "conv" if i % 2 else "full_attention" if i % 4 == 2 else "sliding_attention" if i else "conv" for i in range(24)
]
LFM3_CONFIG: dict[str, Any] = {
    "architectures": ["Lfm3ForCausalLM"],
    "model_type": "lfm3",
    "vocab_size": 128000,
    "hidden_size": 2048,
    "intermediate_size": 7680,
    "num_hidden_layers": 24,
    "num_attention_heads": 16,
    "num_key_value_heads": 4,
    "head_dim": 128,
    "max_position_embeddings": 262144,
    "conv_L_cache": 7,
    "conv_bias": False,
    "sliding_window": 256,
    "tie_word_embeddings": True,
    "layer_types": _LFM3_LAYER_TYPES,
}


def test_config_lfm3(catalog: Catalog) -> None:
    _same_as_catalog(catalog, "lfm3-1.7b", "LiquidAI/LFM3-1.7B", LFM3_CONFIG)
    s = config_to_spec("LiquidAI/LFM3-1.7B", LFM3_CONFIG)
    assert s.full_layers == (2, 6, 10, 14, 18, 22) and s.sliding_window == 256 and s.ssm_d_conv == 7


# bigcode/starcoderbase-1b: GPTBigCode with multi-query attention (one KV head) and learned positions
STARCODERBASE_1B_CONFIG: dict[str, Any] = {
    "architectures": ["GPTBigCodeForCausalLM"],
    "model_type": "gpt_bigcode",
    "n_embd": 2048,
    "n_layer": 24,
    "n_head": 16,
    "n_inner": 8192,
    "n_positions": 8192,
    "multi_query": True,
    "vocab_size": 49152,
}


def test_config_gpt_bigcode(catalog: Catalog) -> None:
    _same_as_catalog(catalog, "starcoderbase-1b", "bigcode/starcoderbase-1b", STARCODERBASE_1B_CONFIG)
    s = config_to_spec("bigcode/starcoderbase-1b", STARCODERBASE_1B_CONFIG)
    assert (s.arch, s.kv_heads, s.head_dim) == ("starcoder", 1, 128)
