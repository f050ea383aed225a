"""What config.json files and GGUF metadata leave unsaid about an architecture, in one place for both readers.

Names are llama.cpp's architecture names (`general.architecture`, and what `huggingface.MODEL_TYPES` maps to).
"""

from __future__ import annotations

# Every n-th layer uses full attention when the architecture has a sliding window and the source gives no pattern.
SWA_PATTERNS: dict[str, int] = {
    "gemma2": 2,
    "gemma3": 6,
    "gemma3n": 5,
    "gpt-oss": 2,
    "cohere2": 4,
    "llama4": 4,
    "exaone4": 4,
}
# Architectures that tie the output layer to the token embeddings when the source does not say.
TIED_BY_DEFAULT = frozenset({"gemma", "gemma2", "gemma3", "gemma3n", "gemma-embedding", "lfm2", "lfm3"})
# Architectures with per-head q/k RMS norms.
QK_NORM = frozenset(
    {
        "qwen3",
        "qwen3moe",
        "qwen3vl",
        "qwen3vlmoe",
        "gemma3",
        "gemma3n",
        "olmo2",
        "olmoe",
        "exaone4",
        "muse-glimmer",
        "hy_v3",
        "apertus",
        "mellum",
    }
)
# Architectures whose q/k/v projections carry biases.
ATTN_BIAS = frozenset({"qwen2", "qwen2moe", "qwen2vl"})
# Gemma 3n's AltUp streams and LAuReL rank where the source is silent (GGUF metadata never records the rank).
GEMMA3N_ALTUP_INPUTS = 4
GEMMA3N_LAUREL_RANK = 64
