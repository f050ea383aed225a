"""GGUF files already on this machine: LM Studio's and llama.cpp's folders, Hugging Face's cache, and any --dir."""

from __future__ import annotations

import os

GGUF_PLACES = (
    "~/.lmstudio/models",
    "~/.cache/lm-studio/models",
    "~/.cache/llama.cpp",
    "~/Library/Caches/llama.cpp",
    "~/AppData/Local/llama.cpp",
)
MAX_DEPTH = 6  # folders below each place


def _places(dirs: list[str]) -> list[str]:
    places = [os.path.expanduser(p) for p in GGUF_PLACES]
    hf = os.environ.get("HF_HUB_CACHE") or os.path.join(
        os.environ.get("HF_HOME") or os.path.expanduser("~/.cache/huggingface"), "hub"
    )
    llama_cache = os.environ.get("LLAMA_CACHE")
    return [*places, hf, *([llama_cache] if llama_cache else []), *dirs]


def _wanted(name: str) -> bool:
    low = name.lower()
    if not low.endswith(".gguf") or "mmproj" in low:
        return False
    return "-of-" not in low or "-00001-of-" in low  # a split model: its first part only


def gguf_files(dirs: list[str], limit: int = 500) -> list[str]:
    """Model files in the usual places and the given folders: not projectors, and only the first part of a split
    model; each real file once however many links lead to it."""
    found: list[str] = []
    seen: set[str] = set()
    for top in _places(dirs):
        if not os.path.isdir(top):
            continue
        for root, subdirs, files in os.walk(top, followlinks=False):
            if root[len(top) :].count(os.sep) > MAX_DEPTH:
                subdirs[:] = []
            for f in sorted(files):
                path = os.path.join(root, f)
                real = os.path.realpath(path)
                if not _wanted(f) or real in seen:
                    continue
                seen.add(real)
                found.append(path)
                if len(found) >= limit:
                    return found
    return found
