"""Where a model's facts come from besides the bundled catalog: a GGUF file, a Hugging Face repo, a local Ollama.

Each module does its own I/O and turns what it reads into the estimate core's types (ModelSpec, WeightsBreakdown);
every failure the user can fix is raised as a one-line WillItRunError. Optional packages (gguf, huggingface_hub)
are imported only when a function needs them.
"""

from __future__ import annotations

# The submodules are imported on first use: `check llama3-8b` needs none of them.
_WHERE = {
    "GgufModel": "gguf_file",
    "find_mmproj": "gguf_file",
    "mmproj_bytes": "gguf_file",
    "read_gguf": "gguf_file",
    "spec_from_gguf_metadata": "gguf_file",
    "HubModel": "huggingface",
    "config_to_spec": "huggingface",
    "fetch_model": "huggingface",
    "OllamaModel": "ollama",
    "list_models": "ollama",
    "ollama_host": "ollama",
    "running": "ollama",
    "show_model": "ollama",
}


def __getattr__(name: str) -> object:
    if name not in _WHERE:
        raise AttributeError(name)
    import importlib

    return getattr(importlib.import_module(f"willitrun.sources.{_WHERE[name]}"), name)


__all__ = sorted(_WHERE)
