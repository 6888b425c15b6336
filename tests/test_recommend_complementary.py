"""Complementary products: co-occurrence from a dirty interactions file, and the rule fallback."""

from __future__ import annotations

import csv
import random

import pytest

from aigc_models.embed_tfidf import TfidfEmbedder
from tasks.errors import UserInputError
from tasks.recommend import complementary as comp
from tasks.recommend.embed_cache import embed_products
from tasks.recommend.similar import variant_groups
from tests.recommend_helpers import load_amazon, load_rawhide, load_shopify

EVENTS = ["purchase", "add_to_cart"]


def _write_events(path, products):
    """Baskets over real SKUs: users who buy product 0 also buy product 1, plus noise and dirt."""
    rng = random.Random(7)
    skus = [p.sku for p in products]
    good: list[list[str]] = []
    for u in range(60):
        ts = f"2026-11-{1 + u % 28:02d}T10:{u % 60:02d}:00Z"
        basket = {skus[0], skus[1]} if u % 2 == 0 else set()
        basket |= set(rng.sample(skus[2:], 2))
        good += [[f"u{u}", s, "purchase", ts] for s in sorted(basket)]
    dirty = (
        [["u1", "NOT-IN-CATALOG-1", "purchase", "2026-11-02T10:00:00Z"]] * 2
        + [["u3", "NOT-IN-CATALOG-2", "add_to_cart", "2026-11-02T10:00:00Z"]]
        + [["u5", skus[3], "purchase", t] for t in ("not a date", "2026-13-45T99:00:00", "")]
        + [["", skus[4], "purchase", "2026-11-03T10:00:00Z"]]
        + [["u7", skus[5], "view", "2026-11-03T10:00:00Z"]] * 1
        + good[:4]  # exact duplicates of real rows
    )
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["user_id", "sku", "event", "timestamp"])
        w.writerows(good + dirty)
    return len(good)


def test_dirty_events_are_cleaned_with_counts(catalogs, tmp_path):
    products = load_amazon(catalogs, limit=80)
    path = tmp_path / "events.csv"
    n_good = _write_events(path, products)
    clean, rep = comp.clean_events(comp.read_events(path), products, EVENTS, source=str(path))
    assert rep.rows_read == n_good + 12
    assert (rep.unknown_skus, rep.bad_timestamps, rep.missing_fields) == (3, 3, 1)
    assert (rep.duplicates, rep.other_events) == (4, 1)
    assert rep.rows_used == n_good == len(clean)
    assert rep.unknown_sku_examples == ["NOT-IN-CATALOG-1", "NOT-IN-CATALOG-2"]
    assert rep.users == 60

    rows = comp.co_occurrence(clean, products, k=3, min_support=2, min_llr=3.84)
    top = [r for r in rows if r["sku"] == products[0].sku]
    assert top and top[0]["rec_sku"] == products[1].sku and top[0]["rank"] == 1
    assert top[0]["support"] == 30 and top[0]["lift"] > 1.5 and top[0]["score"] >= 3.84
    known = {p.sku for p in products}
    assert all(r["rec_sku"] in known and r["rec_sku"] != r["sku"] for r in rows)
    assert all(r["support"] >= 2 for r in rows)


def test_events_as_parquet_and_missing_columns(catalogs, tmp_path):
    import pandas as pd

    products = load_amazon(catalogs, limit=80)
    src = tmp_path / "events.csv"
    _write_events(src, products)
    pq_path = tmp_path / "events.parquet"
    pd.read_csv(src, dtype=str).to_parquet(pq_path)
    _, rep = comp.clean_events(comp.read_events(pq_path), products, EVENTS)
    assert rep.unknown_skus == 3 and rep.duplicates == 4

    bad = tmp_path / "bad.csv"
    bad.write_text("customer,sku,when\n1,x,2026-01-01\n")
    with pytest.raises(UserInputError, match=r"lacks column\(s\) \['user_id', 'event', 'timestamp'\]"):
        comp.read_events(bad)
    with pytest.raises(UserInputError, match="cannot be read"):
        comp.read_events(tmp_path / "nope.csv")


def test_variant_sku_events_count_for_their_product(catalogs, tmp_path):
    products = load_shopify(catalogs / "shopify-official" / "jewelery.csv")
    folded = next(p for p in products if len(p.variants) >= 2)
    other = next(p for p in products if p is not folded and not p.variants)
    path = tmp_path / "ev.csv"
    rows = [[f"u{u}", folded.variants[u % 2].sku, "purchase", "2026-11-01"] for u in range(6)]
    rows += [[f"u{u}", other.sku, "purchase", "2026-11-01"] for u in range(6)]
    rows += [[f"x{u}", products[-1].sku, "purchase", "2026-11-01"] for u in range(6)]
    with path.open("w", newline="") as fh:
        csv.writer(fh).writerows([["user_id", "sku", "event", "timestamp"], *rows])
    clean, rep = comp.clean_events(comp.read_events(path), products, EVENTS)
    assert rep.unknown_skus == 0 and rep.rows_used == 18
    recs = comp.co_occurrence(clean, products, k=3, min_support=2, min_llr=0)
    assert [r["rec_sku"] for r in recs if r["sku"] == folded.sku] == [other.sku]


def test_rules_without_events_on_a_real_shop(catalogs):
    products = load_rawhide(catalogs)
    vecs, _ = embed_products(products, TfidfEmbedder("en"))
    rows = comp.category_rules(products, vecs, {"belt": ["leather care"]}, k=3)
    by_sku = {p.sku: p for p in products}
    belts = {p.sku for p in products if "Belts" in p.category}
    assert belts and {r["sku"] for r in rows} == belts
    assert all(by_sku[r["rec_sku"]].category == ["Leather Care"] for r in rows)
    groups = dict(zip([p.sku for p in products], variant_groups(products), strict=True))
    assert all(groups[r["sku"]] != groups[r["rec_sku"]] for r in rows)


def test_one_product_and_no_events_give_nothing(catalogs, tmp_path):
    products = load_rawhide(catalogs)[:1]
    path = tmp_path / "ev.csv"
    path.write_text(f"user_id,sku,event,timestamp\nu1,{products[0].sku},purchase,2026-11-01\n")
    clean, rep = comp.clean_events(comp.read_events(path), products, EVENTS)
    assert rep.rows_used == 1
    assert comp.co_occurrence(clean, products, k=3, min_support=1, min_llr=0) == []
    assert comp.category_rules(products, None, {"belt": ["leather care"]}, k=3) == []
