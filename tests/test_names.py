"""Model names as people write them (tests/data/model_names.yaml) resolve to the right catalog entry."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from willitrun.catalog.load import Catalog
from willitrun.catalog.resolve import model_words, resolve_model
from willitrun.errors import UnknownNameError

_NAMES: dict[str, str] = yaml.safe_load((Path(__file__).parent / "data" / "model_names.yaml").read_text("utf-8"))[
    "names"
]


def test_enough_names() -> None:
    assert len(_NAMES) >= 300


def test_every_name_resolves(catalog: Catalog) -> None:
    wrong = {}
    for name, mid in _NAMES.items():
        try:
            got = resolve_model(catalog, name).id
        except UnknownNameError:
            got = None
        if got != mid:
            wrong[name] = (mid, got)
    assert not wrong, wrong


def test_words_ignore_order_packaging_and_case() -> None:
    assert model_words("Mistral Nemo 12B Instruct 2407") == model_words("mistral-nemo:12b-instruct-2407-q4_K_M")
    assert model_words("Llama 3.1 8B") == model_words("llama3.1-8b") == model_words("Meta/LLAMA_3.1_8B-GGUF")
    assert model_words("Qwen3 30B A3B 2507") != model_words("Qwen3 30B A3B")


@pytest.mark.parametrize("name", ["Qwen2 3B Instruct", "Llama 3.1 13B Instruct", "Gemma 4 9B"])
def test_a_size_the_catalog_lacks_is_not_another_size(catalog: Catalog, name: str) -> None:
    with pytest.raises(UnknownNameError):
        resolve_model(catalog, name)


@pytest.mark.parametrize(
    ("name", "near"),
    [
        ("llama3-gradient:8b", "llama3-8b"),  # Llama Guard 3 8B once came back as Llama 3 8B in this way
        ("llama-pro:8b", "llama3-8b"),
        ("mistral-openorca:7b", "mistral-7b"),
        ("Meta-Llama-3-8B-Vision-Instruct", "llama3-8b"),
    ],
)
def test_a_word_that_names_another_model_is_not_dropped(catalog: Catalog, name: str, near: str) -> None:
    # extra words may be dates, versions, packaging or a publisher's name; "guard", "pro", "openorca" are other models
    with pytest.raises(UnknownNameError) as e:
        resolve_model(catalog, name)
    assert near in e.value.suggestions


@pytest.mark.parametrize(
    ("name", "mid"),
    [
        ("llama3.1 8b instruct 2024", "llama3.1-8b"),
        ("Meta-Llama-3.1-8B-Instruct-abliterated", "llama3.1-8b"),
        ("bartowski/google_gemma-4-31B-it-GGUF", "gemma-4-31b"),
    ],
)
def test_dates_publishers_and_same_weight_variants_still_resolve(catalog: Catalog, name: str, mid: str) -> None:
    assert resolve_model(catalog, name).id == mid
