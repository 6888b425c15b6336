"""sentence-transformers embeddings, by hub id or local folder (the bundled MiniLM is a folder).

A local folder loads with `local_files_only=True`, so it never reaches for the hub: on a machine
without network (HF_HUB_OFFLINE=1) the bundled default still loads. The model is loaded once per
process through `aigc_models.device.cached`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from aigc_models.embeddings import Embedder, l2_normalize


class SentenceTransformerEmbedder(Embedder):
    name = "sentence-transformers"

    def __init__(
        self, model: str, *, device: str = "auto", batch_size: int = 64, display_id: str | None = None
    ) -> None:
        self.model_path = model
        # The cache id must not depend on where the venv lives, so the bundled folder is named by
        # the model it holds; any other model is named by what the user configured.
        self.model_id = display_id or model
        self.device_pref = device
        self.batch_size = batch_size
        self.load_seconds = 0.0

    def _load(self):
        import time

        from aigc_models.device import cached, select_device

        device = select_device(self.device_pref)

        def load():
            from sentence_transformers import SentenceTransformer

            from tasks.errors import ConfigError

            local = Path(self.model_path).is_dir()
            t0 = time.perf_counter()
            try:
                m = SentenceTransformer(self.model_path, device=device, local_files_only=local)
            except OSError as exc:
                raise ConfigError(
                    f"cannot load the embedding model {self.model_path!r}: {exc}. Set "
                    "AIGC_EMBEDDING_MODEL to a local sentence-transformers folder, to a hub id that is "
                    "cached here, or to 'tfidf' for the TF-IDF backend"
                ) from None
            m.eval()
            self.load_seconds = time.perf_counter() - t0
            return m

        return cached(("embed-st", self.model_path, device), load)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        model = self._load()
        if not texts:
            dim = getattr(model, "get_embedding_dimension", model.get_sentence_embedding_dimension)()
            return np.zeros((0, dim or 0), dtype=np.float32)
        vecs = model.encode(
            texts,
            batch_size=self.batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        return l2_normalize(vecs)
