"""Reading real GGUF files written here with gguf.GGUFWriter: geometry, exact bytes, mix names, split sets, errors."""

from __future__ import annotations

import random
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from willitrun.catalog.load import Catalog
from willitrun.errors import WillItRunError
from willitrun.estimate.core import Request, estimate
from willitrun.estimate.kv import kv_cache_bytes
from willitrun.sources.gguf_file import find_mmproj, mmproj_bytes, read_gguf, spec_from_gguf_metadata

from .conftest import FAKE_MACHINE

gguf = pytest.importorskip("gguf")
np = pytest.importorskip("numpy")

HIDDEN, HEADS, KV_HEADS, FFN, VOCAB, LAYERS = 64, 4, 2, 128, 256, 2
HEAD_DIM = HIDDEN // HEADS

BYTES_PER = {"F32": (1, 4), "F16": (1, 2), "Q8_0": (32, 34)}


@dataclass
class Written:
    path: Path
    tensor_bytes: dict[str, int] = field(default_factory=dict)
    tensor_elements: int = 0

    @property
    def total(self) -> int:
        return sum(self.tensor_bytes.values())


def _add(w: Any, out: Written, name: str, ne: tuple[int, ...], ty: str) -> None:
    """Add a tensor of ggml shape ne (ne[0] = row length) in type ty, and record its bytes."""
    shape = tuple(reversed(ne))  # numpy order
    n = 1
    for d in ne:
        n *= d
    block, size = BYTES_PER[ty]
    if ty == "F32":
        w.add_tensor(name, np.zeros(shape, dtype=np.float32))
    elif ty == "F16":
        w.add_tensor(name, np.zeros(shape, dtype=np.float16))
    else:
        byte_shape = (*shape[:-1], shape[-1] // block * size)
        raw = np.frombuffer(random.Random(n).randbytes(n // block * size), dtype=np.uint8).reshape(byte_shape)
        w.add_tensor(name, raw, raw_dtype=gguf.GGMLQuantizationType.Q8_0)
    out.tensor_bytes[name] = n // block * size
    out.tensor_elements += n


def _header(w: Any, *, arch_keys: bool = True, block_count: bool = True) -> None:
    w.add_name("Tiny Test Model")
    if block_count:
        w.add_block_count(LAYERS)
    if arch_keys:
        w.add_context_length(4096)
        w.add_embedding_length(HIDDEN)
        w.add_feed_forward_length(FFN)
        w.add_head_count(HEADS)
        w.add_head_count_kv(KV_HEADS)
    w.add_token_list([f"t{i}" for i in range(VOCAB)])


def _finish(w: Any) -> None:
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def _dense_layer(w: Any, out: Written, i: int, ty: str) -> None:
    p = f"blk.{i}."
    kv = KV_HEADS * HEAD_DIM
    _add(w, out, p + "attn_norm.weight", (HIDDEN,), "F32")
    _add(w, out, p + "attn_q.weight", (HIDDEN, HIDDEN), ty)
    _add(w, out, p + "attn_k.weight", (HIDDEN, kv), ty)
    _add(w, out, p + "attn_v.weight", (HIDDEN, kv), ty)
    _add(w, out, p + "attn_output.weight", (HIDDEN, HIDDEN), ty)
    _add(w, out, p + "ffn_norm.weight", (HIDDEN,), "F32")
    _add(w, out, p + "ffn_gate.weight", (HIDDEN, FFN), ty)
    _add(w, out, p + "ffn_up.weight", (HIDDEN, FFN), ty)
    _add(w, out, p + "ffn_down.weight", (FFN, HIDDEN), ty)


def write_llama(path: Path, *, tied: bool = False, file_type: int | None = 7, **writer_args: Any) -> Written:
    """A 2-layer llama: F16 embeddings, F32 norms, Q8_0 matrices (Q8_0 output unless tied)."""
    out = Written(path)
    w = gguf.GGUFWriter(str(path), "llama", **writer_args)
    _header(w)
    w.add_key_length(HEAD_DIM)
    w.add_value_length(HEAD_DIM)
    if file_type is not None:
        w.add_file_type(file_type)
    _add(w, out, "token_embd.weight", (HIDDEN, VOCAB), "F16")
    for i in range(LAYERS):
        _dense_layer(w, out, i, "Q8_0")
    _add(w, out, "output_norm.weight", (HIDDEN,), "F32")
    if not tied:
        _add(w, out, "output.weight", (HIDDEN, VOCAB), "Q8_0")
    _finish(w)
    return out


def one_line(e: pytest.ExceptionInfo[WillItRunError], path: Path) -> str:
    text = e.value.one_line()
    assert "\n" not in text
    assert str(path) in text or path.name in text
    return text


# --- the tiny llama ------------------------------------------------------------------------------------------


def test_tiny_llama_geometry_and_exact_bytes(tmp_path: Path) -> None:
    w = write_llama(tmp_path / "tiny-llama-Q8_0.gguf")
    g = read_gguf(str(w.path))
    s = g.spec
    assert (s.arch, s.layers, s.hidden, s.intermediate) == ("llama", LAYERS, HIDDEN, FFN)
    assert (s.heads, s.kv_heads, s.head_dim, s.n_gqa) == (HEADS, KV_HEADS, HEAD_DIM, 2)
    assert (s.vocab, s.context_max) == (VOCAB, 4096)
    assert s.id == "tiny-llama-Q8_0"
    assert s.name == "Tiny Test Model"
    assert s.source == f"GGUF file {w.path}"
    assert s.params == w.tensor_elements
    assert not s.tied_embeddings and not s.is_moe and s.sliding_window is None
    assert g.quant == "Q8_0"
    assert g.files == (str(w.path),)
    assert g.file_bytes == w.path.stat().st_size

    wb = g.weights
    assert wb.mix == "Q8_0"
    assert wb.total_bytes == w.total
    assert wb.token_embd_bytes == w.tensor_bytes["token_embd.weight"] == HIDDEN * VOCAB * 2
    assert wb.output_bytes == w.tensor_bytes["output.weight"] + w.tensor_bytes["output_norm.weight"]
    assert not wb.output_is_tied
    assert len(wb.layers) == LAYERS
    for i, layer in enumerate(wb.layers):
        expect = sum(b for n, b in w.tensor_bytes.items() if n.startswith(f"blk.{i}."))
        assert layer.bytes_total == layer.bytes_dense == expect
        assert layer.bytes_experts == 0
    assert sum(wb.types.values()) == w.total
    assert set(wb.types) == {"F32", "F16", "Q8_0"}
    # the file is the tensors plus header and alignment padding only
    assert 0 < g.file_bytes - w.total < 16 * 1024


def test_tied_embeddings_when_no_output_tensor(tmp_path: Path) -> None:
    w = write_llama(tmp_path / "tied.gguf", tied=True)
    g = read_gguf(str(w.path))
    assert g.spec.tied_embeddings
    assert g.weights.output_is_tied
    # llama.cpp loads a copy of token_embd where the output layer runs: counted with the output
    assert g.weights.output_bytes == w.tensor_bytes["output_norm.weight"] + w.tensor_bytes["token_embd.weight"]
    assert g.weights.total_bytes == w.total


def test_quant_from_dominant_tensor_type_without_file_type(tmp_path: Path) -> None:
    w = write_llama(tmp_path / "no-ftype.gguf", file_type=None)
    assert read_gguf(str(w.path)).quant == "Q8_0"


@pytest.mark.parametrize(("ftype", "name"), [(15, "Q4_K_M"), (1, "F16"), (38, "MXFP4"), (30, "IQ4_XS"), (32, "BF16")])
def test_file_type_names(tmp_path: Path, ftype: int, name: str) -> None:
    w = write_llama(tmp_path / f"ft{ftype}.gguf", file_type=ftype)
    g = read_gguf(str(w.path))
    assert g.quant == name == g.weights.mix


def test_estimate_runs_on_read_weights(tmp_path: Path) -> None:
    w = write_llama(tmp_path / "est.gguf")
    g = read_gguf(str(w.path))
    est = estimate(g.spec, FAKE_MACHINE, Request(weights=(g.weights,), ctx=1024))
    assert [o.quant for o in est.options] == ["Q8_0"]
    assert est.options[0].weights_bytes == w.total
    assert est.options[0].verdict == "cpu"


# --- MoE, sliding window -------------------------------------------------------------------------------------


def test_tiny_moe(tmp_path: Path) -> None:
    path = tmp_path / "tiny-moe.gguf"
    out = Written(path)
    w = gguf.GGUFWriter(str(path), "qwen3moe")
    _header(w)
    w.add_key_length(HEAD_DIM)
    w.add_expert_count(4)
    w.add_expert_used_count(2)
    w.add_expert_feed_forward_length(32)
    w.add_file_type(1)
    _add(w, out, "token_embd.weight", (HIDDEN, VOCAB), "F16")
    kv = KV_HEADS * HEAD_DIM
    for i in range(LAYERS):
        p = f"blk.{i}."
        _add(w, out, p + "attn_norm.weight", (HIDDEN,), "F32")
        _add(w, out, p + "attn_q.weight", (HIDDEN, HIDDEN), "F16")
        _add(w, out, p + "attn_k.weight", (HIDDEN, kv), "F16")
        _add(w, out, p + "attn_v.weight", (HIDDEN, kv), "F16")
        _add(w, out, p + "attn_q_norm.weight", (HEAD_DIM,), "F32")
        _add(w, out, p + "attn_k_norm.weight", (HEAD_DIM,), "F32")
        _add(w, out, p + "attn_output.weight", (HIDDEN, HIDDEN), "F16")
        _add(w, out, p + "ffn_norm.weight", (HIDDEN,), "F32")
        _add(w, out, p + "ffn_gate_inp.weight", (HIDDEN, 4), "F32")
        _add(w, out, p + "ffn_gate_exps.weight", (HIDDEN, 32, 4), "F16")
        _add(w, out, p + "ffn_up_exps.weight", (HIDDEN, 32, 4), "F16")
        _add(w, out, p + "ffn_down_exps.weight", (32, HIDDEN, 4), "F16")
    _add(w, out, "output_norm.weight", (HIDDEN,), "F32")
    _add(w, out, "output.weight", (HIDDEN, VOCAB), "F16")
    _finish(w)

    g = read_gguf(str(path))
    s = g.spec
    assert s.is_moe and (s.experts, s.experts_active, s.expert_intermediate) == (4, 2, 32)
    assert s.qk_norm and not s.attn_bias
    assert g.quant == "F16"
    assert g.weights.total_bytes == out.total
    exps = HIDDEN * 32 * 4 * 2 * 3
    for layer in g.weights.layers:
        assert layer.bytes_experts == exps
        assert layer.bytes_dense == layer.bytes_total - exps
    # active parameters as model cards count them: everything, the routed experts at 2 of 4
    exp_elements = 3 * HIDDEN * 32 * 4 * LAYERS
    assert s.active_params == out.tensor_elements - exp_elements + exp_elements // 2
    assert s.params == out.tensor_elements


def test_gemma2_sliding_window(tmp_path: Path) -> None:
    path = tmp_path / "tiny-gemma2.gguf"
    out = Written(path)
    w = gguf.GGUFWriter(str(path), "gemma2")
    _header(w)
    w.add_sliding_window(512)
    w.add_file_type(7)
    _add(w, out, "token_embd.weight", (HIDDEN, VOCAB), "Q8_0")
    for i in range(LAYERS):
        _dense_layer(w, out, i, "Q8_0")
        _add(w, out, f"blk.{i}.post_attention_norm.weight", (HIDDEN,), "F32")
        _add(w, out, f"blk.{i}.post_ffw_norm.weight", (HIDDEN,), "F32")
    _add(w, out, "output_norm.weight", (HIDDEN,), "F32")
    _finish(w)

    g = read_gguf(str(path))
    s = g.spec
    assert (s.sliding_window, s.swa_pattern) == (512, 2)
    assert [s.layer_kind(i) for i in range(LAYERS)] == ["swa", "full"]
    assert s.tied_embeddings
    assert g.weights.total_bytes == out.total


def test_sliding_window_pattern_key_wins(tmp_path: Path) -> None:
    meta = _meta("gemma3", **{"gemma3.attention.sliding_window": 1024, "gemma3.attention.sliding_window_pattern": 4})
    s = spec_from_gguf_metadata(meta, id="x", name="x", source="test", tensor_elements=None)
    assert (s.sliding_window, s.swa_pattern) == (1024, 4)
    meta["gemma3.attention.sliding_window_pattern"] = [True, True, False, True, True, False]
    s = spec_from_gguf_metadata(meta, id="x", name="x", source="test", tensor_elements=None)
    assert s.swa_pattern == 3
    del meta["gemma3.attention.sliding_window_pattern"]
    s = spec_from_gguf_metadata(meta, id="x", name="x", source="test", tensor_elements=None)
    assert s.swa_pattern == 6


# --- metadata mapping without files (MLA, hybrids, per-layer arrays) -----------------------------------------


def _meta(arch: str, **extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "general.architecture": arch,
        f"{arch}.block_count": 4,
        f"{arch}.context_length": 8192,
        f"{arch}.embedding_length": 256,
        f"{arch}.feed_forward_length": 512,
        f"{arch}.attention.head_count": 8,
        f"{arch}.attention.head_count_kv": 2,
        f"{arch}.vocab_size": 1000,
    }
    base.update(extra)
    return base


def test_mla_metadata() -> None:
    meta = _meta(
        "deepseek2",
        **{
            "deepseek2.attention.head_count": 128,
            "deepseek2.attention.head_count_kv": 1,
            "deepseek2.attention.key_length": 576,
            "deepseek2.attention.value_length": 512,
            "deepseek2.attention.key_length_mla": 192,
            "deepseek2.attention.value_length_mla": 128,
            "deepseek2.attention.kv_lora_rank": 512,
            "deepseek2.attention.q_lora_rank": 1536,
            "deepseek2.rope.dimension_count": 64,
            "deepseek2.expert_count": 256,
            "deepseek2.expert_used_count": 8,
            "deepseek2.expert_shared_count": 1,
            "deepseek2.expert_feed_forward_length": 2048,
            "deepseek2.leading_dense_block_count": 3,
        },
    )
    s = spec_from_gguf_metadata(meta, id="ds", name="ds", source="test", tensor_elements=None)
    assert s.is_mla and (s.kv_lora_rank, s.q_lora_rank, s.qk_rope_head_dim) == (512, 1536, 64)
    assert (s.qk_nope_head_dim, s.v_head_dim, s.head_dim, s.kv_heads) == (128, 128, 192, 128)
    assert (s.experts, s.shared_experts, s.dense_layers, s.expert_intermediate) == (256, 1, 3, 2048)
    assert s.layer_kind(0) == "mla"


@pytest.mark.parametrize("arch", ["lfm2", "lfm2moe"])
def test_per_layer_arrays_and_recurrent_layers(arch: str) -> None:
    meta = _meta(
        arch,
        **{
            f"{arch}.attention.head_count_kv": [0, 0, 2, 0],
            f"{arch}.feed_forward_length": [512, 640, 512, 512],
            f"{arch}.shortconv.l_cache": 3,
        },
    )
    s = spec_from_gguf_metadata(meta, id="h", name="h", source="test", tensor_elements=None)
    assert s.attention_layers == (2,)
    assert s.kv_heads == 2 and s.intermediate == 640
    assert [s.layer_kind(i) for i in range(4)] == ["recurrent", "recurrent", "full", "recurrent"]
    assert (s.ssm_d_conv, s.ssm_d_inner) == (3, 256)


def test_missing_metadata_key_is_named() -> None:
    meta = _meta("llama")
    del meta["llama.embedding_length"]
    with pytest.raises(WillItRunError, match=r"llama\.embedding_length"):
        spec_from_gguf_metadata(meta, id="x", name="x", source="some.gguf", tensor_elements=None)


def test_tied_guess_from_stated_parameter_count() -> None:
    meta = _meta("llama")
    untied = spec_from_gguf_metadata(meta, id="x", name="x", source="t", tensor_elements=None)
    assert not untied.tied_embeddings
    meta["general.parameter_count"] = untied.params - 256 * 1000
    assert spec_from_gguf_metadata(meta, id="x", name="x", source="t", tensor_elements=None).tied_embeddings


# --- split sets ----------------------------------------------------------------------------------------------


def test_split_files(tmp_path: Path) -> None:
    w = write_llama(tmp_path / "big.gguf", split_max_tensors=9)
    parts = sorted(tmp_path.glob("big-*-of-*.gguf"))
    assert [p.name for p in parts] == [f"big-{i:05d}-of-00003.gguf" for i in (1, 2, 3)]
    for start in (parts[0], parts[1]):
        g = read_gguf(str(start))
        assert g.files == tuple(str(p) for p in parts)
        assert g.file_bytes == sum(p.stat().st_size for p in parts)
        assert g.weights.total_bytes == w.total
        assert g.spec.id == "big" and g.spec.layers == LAYERS and g.spec.params == w.tensor_elements
        assert [lb.bytes_total for lb in g.weights.layers] == [
            sum(b for n, b in w.tensor_bytes.items() if n.startswith(f"blk.{i}.")) for i in range(LAYERS)
        ]


def test_split_missing_part(tmp_path: Path) -> None:
    write_llama(tmp_path / "big.gguf", split_max_tensors=9)
    first = tmp_path / "big-00001-of-00003.gguf"
    (tmp_path / "big-00003-of-00003.gguf").unlink()
    with pytest.raises(WillItRunError) as e:
        read_gguf(str(first))
    text = one_line(e, first)
    assert "big-00003-of-00003.gguf" in text and "3 of 3" in text


def test_split_part_renamed(tmp_path: Path) -> None:
    write_llama(tmp_path / "big.gguf", split_max_tensors=9)
    first = tmp_path / "big-00001-of-00003.gguf"
    lone = tmp_path / "renamed.gguf"
    first.rename(lone)
    with pytest.raises(WillItRunError, match="split set") as e:
        read_gguf(str(lone))
    one_line(e, lone)


# --- errors --------------------------------------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    p = tmp_path / "nope.gguf"
    with pytest.raises(WillItRunError, match="no such file") as e:
        read_gguf(str(p))
    one_line(e, p)


def test_folder(tmp_path: Path) -> None:
    with pytest.raises(WillItRunError, match="folder") as e:
        read_gguf(str(tmp_path))
    one_line(e, tmp_path)


def test_not_gguf(tmp_path: Path) -> None:
    p = tmp_path / "model.gguf"
    p.write_text("<html>this is a download error page</html>\n")
    with pytest.raises(WillItRunError, match=r"not a GGUF file \(no GGUF magic\)") as e:
        read_gguf(str(p))
    one_line(e, p)


def test_empty_file(tmp_path: Path) -> None:
    p = tmp_path / "empty.gguf"
    p.write_bytes(b"")
    with pytest.raises(WillItRunError, match="not a GGUF file") as e:
        read_gguf(str(p))
    one_line(e, p)


def test_unsupported_version(tmp_path: Path) -> None:
    p = tmp_path / "v1.gguf"
    p.write_bytes(b"GGUF" + (1).to_bytes(4, "little") + bytes(64))
    with pytest.raises(WillItRunError, match="unsupported GGUF version 1") as e:
        read_gguf(str(p))
    one_line(e, p)


@pytest.mark.parametrize("seed", range(8))
def test_corrupt_after_magic(tmp_path: Path, seed: int) -> None:
    rnd = random.Random(seed)
    p = tmp_path / "corrupt.gguf"
    p.write_bytes(b"GGUF" + rnd.randbytes(4096))
    with pytest.raises(WillItRunError) as e:
        read_gguf(str(p))
    one_line(e, p)
    q = tmp_path / "corrupt3.gguf"  # a valid version, then noise
    q.write_bytes(b"GGUF" + (3).to_bytes(4, "little") + rnd.randbytes(4096))
    with pytest.raises(WillItRunError, match=r"corrupt|truncated") as e:
        read_gguf(str(q))
    one_line(e, q)


@pytest.mark.parametrize("keep", [0.5, 0.9, 0.999])
def test_truncated(tmp_path: Path, keep: float) -> None:
    w = write_llama(tmp_path / "full.gguf")
    data = w.path.read_bytes()
    p = tmp_path / "cut.gguf"
    p.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(WillItRunError, match=r"truncated|corrupt") as e:
        read_gguf(str(p))
    one_line(e, p)


def test_header_cut_short(tmp_path: Path) -> None:
    w = write_llama(tmp_path / "full.gguf")
    p = tmp_path / "cut.gguf"
    p.write_bytes(w.path.read_bytes()[:300])
    with pytest.raises(WillItRunError, match=r"truncated|corrupt") as e:
        read_gguf(str(p))
    one_line(e, p)


def test_missing_required_key_in_file(tmp_path: Path) -> None:
    path = tmp_path / "nokey.gguf"
    out = Written(path)
    w = gguf.GGUFWriter(str(path), "llama")
    _header(w, block_count=False)
    _add(w, out, "token_embd.weight", (HIDDEN, VOCAB), "F16")
    _finish(w)
    with pytest.raises(WillItRunError, match=r"llama\.block_count") as e:
        read_gguf(str(path))
    one_line(e, path)


def test_gguf_package_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    w = write_llama(tmp_path / "x.gguf")
    monkeypatch.setitem(sys.modules, "gguf", None)
    with pytest.raises(WillItRunError) as e:
        read_gguf(str(w.path))
    assert "gguf" in e.value.message and "pip install" in (e.value.hint or "")


# --- projector files -----------------------------------------------------------------------------------------


def test_mmproj_beside_model(tmp_path: Path) -> None:
    w = write_llama(tmp_path / "vision-Q8_0.gguf")
    assert find_mmproj(str(w.path)) is None
    proj = tmp_path / "mmproj-vision-f16.gguf"
    out = Written(proj)
    pw = gguf.GGUFWriter(str(proj), "clip")
    _add(pw, out, "v.patch_embd.weight", (64, 96), "F16")
    _add(pw, out, "mm.0.weight", (96, HIDDEN), "F16")
    _add(pw, out, "mm.0.bias", (HIDDEN,), "F32")
    _finish(pw)
    (tmp_path / "notes.txt").write_text("not a projector")
    assert find_mmproj(str(w.path)) == str(proj)
    assert find_mmproj(str(proj)) is None
    assert mmproj_bytes(str(proj)) == out.total
    g = read_gguf(str(w.path))
    est = estimate(g.spec, FAKE_MACHINE, Request(weights=(g.weights,), extra_bytes=out.total, ctx=1024))
    assert est.options[0].weights_bytes == w.total + out.total


def test_mmproj_bytes_errors(tmp_path: Path) -> None:
    p = tmp_path / "mmproj.gguf"
    p.write_bytes(b"nope")
    with pytest.raises(WillItRunError, match="no GGUF magic") as e:
        mmproj_bytes(str(p))
    one_line(e, p)


def test_minimax_01_metadata_marks_its_lightning_layers(catalog: Catalog) -> None:
    """MiniMax-M1's converter writes neither recurrent layers nor SSM sizes: llama.cpp takes every eighth layer as
    softmax attention, and so do we; the lightning state is one head_dim x head_dim matrix per head."""
    a = "minimax-01"
    meta = _meta(
        a,
        **{
            f"{a}.block_count": 80,
            f"{a}.embedding_length": 6144,
            f"{a}.feed_forward_length": 9216,
            f"{a}.attention.head_count": 64,
            f"{a}.attention.head_count_kv": 8,
            f"{a}.attention.key_length": 128,
            f"{a}.expert_count": 32,
            f"{a}.expert_used_count": 2,
            f"{a}.vocab_size": 200064,
        },
    )
    s = spec_from_gguf_metadata(meta, id="m1", name="m1", source="t", tensor_elements=None)
    ref = catalog.model("minimax-m1")
    assert s.attention_layers == ref.attention_layers == tuple(range(7, 80, 8))
    assert (s.ssm_d_state, s.ssm_d_inner) == (128, 8192)
    assert kv_cache_bytes(s, 4096) == kv_cache_bytes(ref, 4096)
    meta[f"{a}.attention.recurrent_layers"] = [i % 4 != 3 for i in range(80)]  # an explicit list wins
    assert spec_from_gguf_metadata(meta, id="m1", name="m1", source="t", tensor_elements=None).attention_layers == (
        tuple(range(3, 80, 4))
    )


def test_mamba2_heads_from_the_time_step_rank() -> None:
    """Nemotron Nano 2's files give 128 Mamba-2 heads over an inner width of 10240 (heads of 80)."""
    a = "nemotron_h"
    meta = _meta(
        a,
        **{
            f"{a}.block_count": 2,
            f"{a}.feed_forward_length": [0, 512],
            f"{a}.attention.head_count_kv": [0, 0],
            f"{a}.ssm.inner_size": 10240,
            f"{a}.ssm.state_size": 128,
            f"{a}.ssm.conv_kernel": 4,
            f"{a}.ssm.group_count": 8,
            f"{a}.ssm.time_step_rank": 128,
        },
    )
    s = spec_from_gguf_metadata(meta, id="n", name="n", source="t", tensor_elements=None)
    assert s.ssm_heads == 128


def test_deci_metadata_per_layer(catalog: Catalog) -> None:
    """A deci file lists heads, KV heads and FFN width per layer: 0 heads is a layer without attention, 0 KV heads
    beside heads a linear one; neither is a recurrent layer."""
    ref = catalog.model("llama-3.3-nemotron-super-49b")
    a = "deci"
    meta = _meta(
        a,
        **{
            f"{a}.block_count": 80,
            f"{a}.embedding_length": 8192,
            f"{a}.attention.head_count": [0 if k < 0 else 64 for k in ref.layer_kv_heads_list],
            f"{a}.attention.head_count_kv": [max(0, k) for k in ref.layer_kv_heads_list],
            f"{a}.feed_forward_length": list(ref.layer_ffn_widths),
            f"{a}.attention.key_length": 128,
            f"{a}.vocab_size": 128256,
        },
    )
    s = spec_from_gguf_metadata(meta, id="d", name="d", source="t", tensor_elements=None)
    assert s.attention_layers is None and s.layer_kv_heads_list == ref.layer_kv_heads_list
    assert s.layer_ffn_widths == ref.layer_ffn_widths and (s.heads, s.kv_heads) == (64, 8)
    assert kv_cache_bytes(s, 4096) == kv_cache_bytes(ref, 4096)


def test_lfm3_windows_among_hybrid_layers() -> None:
    # LFM3's file flags windowed layers over every layer, its convolution layers too (false there); the windowless
    # attention layers are the full ones (2 and 6 here), at no fixed period among the windowed (4)
    meta = _meta(
        "lfm3",
        **{
            "lfm3.block_count": 8,
            "lfm3.attention.head_count_kv": [0, 0, 4, 0, 4, 0, 4, 0],
            "lfm3.attention.sliding_window": 256,
            "lfm3.attention.sliding_window_pattern": [False, False, False, False, True, False, False, False],
            "lfm3.shortconv.l_cache": 7,
        },
    )
    s = spec_from_gguf_metadata(meta, id="h", name="h", source="test", tensor_elements=None)
    assert s.attention_layers == (2, 4, 6) and s.full_layers == (2, 6) and s.sliding_window == 256
    kinds = [s.layer_kind(i) for i in range(8)]
    assert kinds == ["recurrent", "recurrent", "full", "recurrent", "swa", "recurrent", "full", "recurrent"]
    assert (s.ssm_d_conv, s.ssm_d_inner) == (7, 256)
