"""TF-IDF character n-gram embeddings: no weights, any language (Chinese included), fast on a CPU.

Character n-grams need no tokenizer, so the same backend serves Chinese titles and the English
fallback on machines without the bundled sentence-transformers model. n-grams are hashed (fixed
feature space, no vocabulary to store), weighted by an IDF learned from the whole catalog in
`prepare`, and projected to a fixed dense size with a seeded sparse random projection, which keeps
cosine similarities (Johnson-Lindenstrauss) while the output stays a plain dense matrix. The IDF
depends on the catalog, so it is part of `model_id`: an unchanged catalog reuses its cached vectors,
a changed one is re-embedded (TF-IDF embeds thousands of products per second, so that is cheap).
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Sequence

import numpy as np

from aigc_models.embeddings import Embedder, l2_normalize

N_FEATURES = 2**20


@functools.lru_cache(maxsize=4)
def _projection(dim: int, seed: int):
    """The seeded sparse random projection matrix (N_FEATURES x dim), built once per process."""
    from scipy import sparse
    from sklearn.random_projection import SparseRandomProjection

    proj = SparseRandomProjection(n_components=dim, random_state=seed, dense_output=True)
    proj.fit(sparse.csr_matrix((1, N_FEATURES), dtype=np.float32))
    return proj.components_.T.tocsr().astype(np.float32)


class TfidfEmbedder(Embedder):
    name = "tfidf"

    def __init__(self, language: str = "en", *, dim: int = 1024, seed: int = 0) -> None:
        self.language = language
        cjk = language.lower().startswith(("zh", "ja", "ko"))
        self.analyzer = "char" if cjk else "char_wb"
        self.ngram_range = (1, 3) if cjk else (2, 4)
        self.dim = dim
        self.seed = seed
        self._idf: np.ndarray | None = None
        self._idf_tag = "noidf"
        self._vectorizer = None
        self._projection = None

    @property
    def model_id(self) -> str:  # type: ignore[override]
        lo, hi = self.ngram_range
        return f"{self.analyzer}{lo}-{hi}-d{self.dim}-s{self.seed}-{self._idf_tag}"

    def _hash(self, texts: Sequence[str]):
        if self._vectorizer is None:
            from sklearn.feature_extraction.text import HashingVectorizer

            self._vectorizer = HashingVectorizer(
                analyzer=self.analyzer,
                ngram_range=self.ngram_range,
                n_features=N_FEATURES,
                alternate_sign=False,
                norm=None,
                lowercase=True,
            )
        counts = self._vectorizer.transform(list(texts)).tocsr()
        counts.data = 1.0 + np.log(counts.data)  # sublinear tf
        return counts

    def prepare(self, corpus: Sequence[str]) -> None:
        """Learn IDF weights over the catalog; the weights' hash becomes part of the cache id."""
        corpus = list(corpus)
        if not corpus:
            return
        counts = self._hash(corpus)
        df = np.bincount(counts.indices, minlength=N_FEATURES)
        n = len(corpus)
        self._idf = (np.log((1 + n) / (1 + df)) + 1.0).astype(np.float32)
        digest = hashlib.sha256("\x1f".join(sorted(corpus)).encode("utf-8")).hexdigest()[:12]
        self._idf_tag = f"idf{digest}"

    def _project(self, x):
        if self._projection is None:
            self._projection = _projection(self.dim, self.seed)
        return np.asarray((x @ self._projection).todense())

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        x = self._hash(texts)
        if self._idf is not None:
            x = x.multiply(self._idf[None, :]).tocsr()
        from sklearn.preprocessing import normalize

        x = normalize(x.astype(np.float32), norm="l2", copy=False)
        return l2_normalize(np.asarray(self._project(x), dtype=np.float32))
