"""Where a model's facts come from besides the bundled catalog: a GGUF file, a Hugging Face repo, a local Ollama.

Each module does its own I/O and turns what it reads into the estimate core's types (ModelSpec, WeightsBreakdown);
every failure the user can fix is raised as a one-line WillItRunError. Optional packages (gguf, huggingface_hub)
are imported only when a function needs them.
"""

from __future__ import annotations

from willitrun.sources.gguf_file import GgufModel, find_mmproj, mmproj_bytes, read_gguf, spec_from_gguf_metadata
from willitrun.sources.huggingface import HubModel, config_to_spec, fetch_model
from willitrun.sources.ollama import OllamaModel, list_models, ollama_host, running, show_model

__all__ = [
    "GgufModel",
    "HubModel",
    "OllamaModel",
    "config_to_spec",
    "fetch_model",
    "find_mmproj",
    "list_models",
    "mmproj_bytes",
    "ollama_host",
    "read_gguf",
    "running",
    "show_model",
    "spec_from_gguf_metadata",
]
