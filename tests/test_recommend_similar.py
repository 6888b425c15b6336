"""Similar products on the real shared catalogs: constraints, variants, determinism, edge sizes."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest

from aigc_models.embed_tfidf import TfidfEmbedder
from tasks.recommend.embed_cache import embed_products
from tasks.recommend.similar import SimilarParams, in_stock, similar_products, top_category, variant_groups
from tests.recommend_helpers import load_amazon, load_rawhide, load_shopify


def _vectors(products):
    vecs, _ = embed_products(products, TfidfEmbedder("en"))
    return vecs


def _variant_catalog(catalogs):
    """Real products whose variants arrive both folded (`variants`) and as separate group members."""
    return (
        load_shopify(catalogs / "velofant" / "shopify_products_export.csv", variants_as_products=True)
        + load_shopify(catalogs / "shopify-official" / "apparel.csv", variants_as_products=True)
        + load_shopify(catalogs / "shopify-official" / "jewelery.csv")
        + load_shopify(catalogs / "shopify-official" / "home-and-garden.csv", variants_as_products=True)
        + load_rawhide(catalogs)
    )


def test_never_recommends_itself_or_its_own_variants(catalogs):
    products = _variant_catalog(catalogs)
    grouped = [p for p in products if p.group_id]
    assert len({p.group_id for p in grouped}) >= 3, "the catalogs should contain real variant groups"
    rows = similar_products(products, _vectors(products), SimilarParams(k=10, price_band=None))
    assert rows
    by_sku = {p.sku: p for p in products}
    for r in rows:
        a, b = by_sku[r["sku"]], by_sku[r["rec_sku"]]
        assert a.sku != b.sku
        assert not (a.group_id and a.group_id == b.group_id), (a.sku, b.sku)
        assert b.sku not in {v.sku for v in a.variants}
    # variant members are near-identical texts: without the exclusion they would be the top picks
    sibling = next(p for p in grouped if p.group_id == "ken-mid-rise-bar-styre-72cm")
    assert all(r["rec_sku"] != "HB-MID-SIL-72-X" for r in rows if r["sku"] == sibling.sku)


def test_variant_groups_join_folded_and_grouped_variants(catalogs):
    products = load_shopify(catalogs / "shopify-official" / "jewelery.csv")
    folded = next(p for p in products if p.variants)
    # the same variant arriving again as its own product belongs to the folded product's group
    twin = folded.model_copy(update={"sku": folded.variants[0].sku, "variants": []})
    groups = variant_groups([*products, twin])
    assert groups[products.index(folded)] == groups[-1]
    assert len(set(groups[:-1].tolist())) == len(products)


def test_constraints_category_stock_and_price_band(catalogs):
    products = load_amazon(catalogs, limit=400) + _variant_catalog(catalogs)
    # mark real products out of stock so the stock constraint has something to exclude
    products = [
        p.model_copy(update={"availability": "out of stock"}) if i % 7 == 0 else p
        for i, p in enumerate(products)
    ]
    band = (0.5, 2.0)
    rows = similar_products(products, _vectors(products), SimilarParams(k=5, price_band=band))
    assert len(rows) > 500
    by_sku = {p.sku: p for p in products}
    for r in rows:
        a, b = by_sku[r["sku"]], by_sku[r["rec_sku"]]
        assert top_category(a) == top_category(b)
        assert in_stock(b), b.availability
        if a.effective_price is not None:
            ratio = b.effective_price / a.effective_price
            assert Decimal(str(band[0])) <= ratio <= Decimal(str(band[1])), (a.price, b.price)
    out_of_stock_queries = {r["sku"] for r in rows if not in_stock(by_sku[r["sku"]])}
    assert out_of_stock_queries, "out-of-stock products still get in-stock alternatives"
    ranks = {}
    for r in rows:
        ranks.setdefault(r["sku"], []).append((r["rank"], r["score"]))
    for seq in ranks.values():
        assert [x[0] for x in seq] == list(range(1, len(seq) + 1))
        assert all(seq[i][1] >= seq[i + 1][1] for i in range(len(seq) - 1))


def test_price_band_off_and_category_off_give_more_candidates(catalogs):
    products = load_amazon(catalogs, limit=300)
    vecs = _vectors(products)
    strict = similar_products(products, vecs, SimilarParams(k=5))
    loose = similar_products(products, vecs, SimilarParams(k=5, price_band=None, same_top_category=False))
    assert len(loose) == 5 * len(products) > len(strict)


def test_deterministic_for_the_same_input(catalogs):
    products = load_amazon(catalogs, limit=300)
    a = similar_products(products, _vectors(products))
    b = similar_products(products, _vectors(products))
    assert a == b and a


@pytest.mark.parametrize("n", [0, 1])
def test_tiny_catalog_gives_empty_recommendations(catalogs, n):
    products = load_rawhide(catalogs)[:n]
    vecs = _vectors(products)
    assert vecs.shape[0] == n
    assert similar_products(products, vecs) == []


def test_chunking_matches_one_block(catalogs, monkeypatch):
    import tasks.recommend.similar as sim

    products = load_amazon(catalogs, limit=250)
    vecs = _vectors(products)
    whole = sim.similar_products(products, vecs)
    monkeypatch.setattr(sim, "CHUNK_BYTES", 4 * len(products) * 7)  # 7 rows per chunk
    assert sim.similar_products(products, vecs) == whole
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
