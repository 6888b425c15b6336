"""`recommend` end to end: outputs in the store (local and real S3), cache reuse, segments, copy."""

from __future__ import annotations

import csv
import json

import pytest

from aigc_models.embed_tfidf import TfidfEmbedder
from tasks.recommend import recommend
from tasks.recommend.outputs import read_table, shopify_metafield_values
from tasks.settings import load_settings
from tasks.storage import open_store
from tests.recommend_helpers import load_amazon, load_rawhide, load_shopify

DAY = "2026-12-04"


def _settings(**recommend_overrides):
    return load_settings(
        recommend=recommend_overrides,
        content={
            "segments": [
                {"name": "Puzzle fans", "description": "families who love jigsaw puzzles", "max_price": "20"},
                {
                    "name": "Crafty kids",
                    "description": "kids arts and crafts kits",
                    "categories": ["Arts & Crafts"],
                },
            ]
        },
    )


def test_outputs_segments_and_copy_on_the_amazon_sample(catalogs, local_store):
    products = load_amazon(catalogs, limit=300)
    summary = recommend(products, local_store, _settings(), day=DAY, embedder=TfidfEmbedder("en"))
    assert summary.products == 300 and summary.embed["embedded"] == 300
    sim = read_table(local_store, DAY, "similar")
    assert list(sim.columns) == ["sku", "rank", "rec_sku", "score"]
    assert len(sim) == summary.similar_rows > 0 and (sim["sku"] != sim["rec_sku"]).all()
    comp = read_table(local_store, DAY, "complementary")
    assert summary.complementary_method == "category_rules" and len(comp) == summary.complementary_rows

    seg = read_table(local_store, DAY, "segments")
    by_sku = {p.sku: p for p in products}
    puzzles = seg[seg["segment"] == "Puzzle fans"]
    assert 0 < len(puzzles) <= 10
    assert all(by_sku[s].effective_price <= 20 for s in puzzles["sku"])
    # similarity to the description, not just the filters: most picks are real puzzles
    assert sum("puzzle" in by_sku[s].title.lower() for s in puzzles["sku"]) >= len(puzzles) // 2
    crafty = seg[seg["segment"] == "Crafty kids"]
    assert len(crafty) and all("Arts & Crafts" in by_sku[s].category for s in crafty["sku"])

    lines = local_store.get_bytes(summary.keys["copy_assets"]).decode().splitlines()
    assets = [json.loads(line) for line in lines]
    assert summary.copy["written"] == len(assets) > 0
    blurb = next(a for a in assets if a["content_type"] == "also_like")
    body = local_store.get_json(blurb["key"])
    assert body["text"].startswith("You may also like: ") and len(body["recommended"]) >= 1
    first = by_sku[body["recommended"][0]].title.split()[0]
    assert first in body["text"]
    expected = sim[(sim["sku"] == blurb["sku"]) & (sim["rank"] <= 3)]["rec_sku"].tolist()
    assert body["recommended"] == expected
    posts = [a for a in assets if a["content_type"] == "segment_campaign"]
    assert {a["sku"] for a in posts} == {"segment:Puzzle fans", "segment:Crafty kids"}
    assert "families who love jigsaw puzzles" in posts[0]["params"]["text"] or posts[1]["params"]["text"]
    # the copy went through the quality checks when they are installed
    if "qc_note" not in summary.copy:
        assert all(a["state"] in ("qc_passed", "qc_blocked") for a in assets)
        assert summary.copy["qc"].get("block", 0) == 0, summary.copy["qc"]

    meta = shopify_metafield_values(sim.to_dict("records"))
    assert meta[blurb["sku"]].split(", ")[:3] == expected
    assert local_store.get_json(summary.keys["summary"])["similar_rows"] == summary.similar_rows


def test_rerun_on_unchanged_catalog_embeds_nothing(catalogs, local_store):
    products = load_rawhide(catalogs) + load_shopify(catalogs / "shopify-official" / "home-and-garden.csv")
    settings = _settings()
    first = recommend(products, local_store, settings, day=DAY, embedder=TfidfEmbedder("en"))
    again = recommend(products, local_store, settings, day=DAY, embedder=TfidfEmbedder("en"))
    assert first.embed["embedded"] == len(products) and again.embed["embedded"] == 0
    assert again.embed["cached"] == len(products)
    sim1 = read_table(local_store, DAY, "similar")
    assert first.similar_rows == again.similar_rows == len(sim1)


@pytest.mark.slow
def test_real_s3_daily_change_embeds_only_changed_products(catalogs, s3_uri, tmp_path):
    """Default English embedder (bundled MiniLM when installed) against real SeaweedFS S3, with an
    events file read from s3:// too."""
    import boto3

    store = open_store(s3_uri)
    products = load_rawhide(catalogs) + load_shopify(catalogs / "shopify-official" / "apparel.csv")
    settings = _settings(min_support=1, min_llr=0.0)
    first = recommend(products, store, settings, day=DAY)
    assert first.embed["embedded"] == len(products)
    again = recommend(products, store, settings, day=DAY)
    assert again.embed["embedded"] == 0 and again.embed["cached"] == len(products)

    changed = [
        p.model_copy(update={"title": p.title + " (new season)"}) if i < 2 else p
        for i, p in enumerate(products)
    ]
    path = tmp_path / "events.csv"
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["user_id", "sku", "event", "timestamp"])
        for u in range(4):
            w.writerow([f"u{u}", products[0].sku, "purchase", "2026-11-01T00:00:00Z"])
            w.writerow([f"u{u}", products[3].sku, "purchase", "2026-11-01T00:00:00Z"])
            w.writerow([f"v{u}", products[5].sku, "purchase", "2026-11-02T00:00:00Z"])
        w.writerow(["u9", "GONE-SKU", "purchase", "2026-11-01T00:00:00Z"])
        w.writerow(["u9", products[1].sku, "purchase", "yesterday-ish"])
    bucket, prefix = s3_uri[5:].split("/", 1)
    boto3.client("s3").upload_file(str(path), bucket, f"{prefix}/in/events.csv")
    third = recommend(changed, store, settings, day="2026-12-05", events=f"{s3_uri}/in/events.csv")
    assert third.embed["embedded"] == 2 and third.embed["cached"] == len(products) - 2
    assert third.events["unknown_skus"] == 1 and third.events["bad_timestamps"] == 1
    comp = read_table(store, "2026-12-05", "complementary")
    assert third.complementary_method == "co_occurrence"
    assert {(r.sku, r.rec_sku) for r in comp.itertuples()} >= {(products[0].sku, products[3].sku)}
    assert store.exists("recommendations/2026-12-05/similar.parquet")


def test_one_product_catalog_gives_empty_outputs(catalogs, local_store):
    products = load_rawhide(catalogs)[:1]
    summary = recommend(products, local_store, _settings(), day=DAY, embedder=TfidfEmbedder("en"))
    assert summary.similar_rows == summary.complementary_rows == 0
    assert len(read_table(local_store, DAY, "similar")) == 0
    assert list(read_table(local_store, DAY, "complementary").columns)[:3] == ["sku", "rank", "rec_sku"]


def test_empty_catalog_is_not_an_error(local_store):
    summary = recommend([], local_store, _settings(), day=DAY, embedder=TfidfEmbedder("en"))
    assert summary.products == 0 and summary.similar_rows == 0 and summary.segment_rows == 0


@pytest.mark.slow
def test_copy_through_a_configured_text_model_falls_back_on_garbage(catalogs, tmp_path):
    """The LM path really runs (tiny random-weight model loaded through from_pretrained); its
    garbage replies are caught and the faithful template is used, with the reason recorded."""
    from aigc_models.tiny_text import build
    from tasks.recommend.copy import write_pieces

    model_dir = build(tmp_path / "tiny-lm")
    models = load_settings(models={"text_model": str(model_dir), "max_new_tokens": 16}).models
    products = load_rawhide(catalogs)
    jobs = [(products[0].sku, "also_like", products[0], products[1:3], "en")]
    (piece,) = write_pieces(jobs, models)
    assert piece.fallback and piece.backend == "template"
    assert piece.text.startswith("You may also like: ") and products[1].title.split()[0] in piece.text
    assert piece.recommended == [products[1].sku, products[2].sku]
