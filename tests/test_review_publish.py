"""Review package, decisions ledger, publishing and feeds on hand-made assets in a real store."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from lxml import etree
from PIL import Image

from tasks.errors import UserInputError
from tasks.ledger import ProductRecord, read_record, write_record
from tasks.models import Asset, AssetKind, Product, QCResult
from tasks.publish import GMC_NS, SHOPIFY_COLUMNS, publish_record, write_feeds
from tasks.report import RunSummary, render_report_html, svg_bar_chart
from tasks.review import (
    Rejection,
    ReviewRequest,
    apply_decisions,
    decisions_from_request,
    highlight,
    render_contact_sheet,
    write_review_package,
)


def _product(sku: str, title: str = "Leather Belt", **kw) -> Product:
    return Product(sku=sku, title=title, brand="Rawhide", price=Decimal("65.00"), currency="USD",
                   attributes={"material": "leather", "color": "brown"}, category=["Apparel", "Belts"], **kw)


def _record(store, p: Product, verdict="pass", status="pending_review", finding: QCResult | None = None):
    copy_key = f"artifacts/{p.sku}/k1/listing_en.json"
    store.put_json(copy_key, {"content": {"title": f"{p.title} in brown leather", "description": "Hand-cut. Best belt ever.",
                                          "bullets": ["Full-grain leather", "Brass buckle"]}})
    buf = io.BytesIO()
    Image.new("RGB", (1080, 1080), (200, 120, 40)).save(buf, "PNG")
    img_key = f"artifacts/{p.sku}/k1/square.png"
    store.put_bytes(img_key, buf.getvalue())
    assets = [
        Asset(sku=p.sku, kind=AssetKind.COPY, content_type="listing", key=copy_key, language="en", backend="builtin",
              qc=[finding] if finding else []),
        Asset(sku=p.sku, kind=AssetKind.IMAGE, content_type="square", key=img_key, backend="compositor"),
    ]
    rec = ProductRecord(sku=p.sku, content_hash=p.content_hash, status=status, verdict=verdict, assets=assets, run_id="run1")
    write_record(store, rec)
    return rec


def test_contact_sheet_escapes_catalog_text_and_highlights_spans(local_store):
    p = _product("S1", title="<script>alert(1)</script> Belt")
    f = QCResult(check="ad_law_en.superlative", severity="block", message="absolute claim", span="Best belt ever")
    rec = _record(local_store, p, verdict="block", status="qc_blocked", finding=f)
    page = render_contact_sheet("run1", [rec], {p.sku: p}, local_store)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Belt" in page
    assert '<mark class="block" title="absolute claim">Best belt ever</mark>' in page
    assert "data:image/jpeg;base64," in page  # thumbnail inlined: the page is self-contained
    assert "leather" in page and "65.00" in page  # catalog facts beside the claims


def test_highlight_escapes_before_marking():
    out = highlight("a <b> & best", [QCResult(check="x", severity="warn", message="m", span="best")])
    assert out == 'a &lt;b&gt; &amp; <mark class="warn" title="m">best</mark>'


def test_decisions_refuse_unknown_and_conflicting_skus(local_store):
    recs = [_record(local_store, _product("A")), _record(local_store, _product("B"), verdict="block", status="qc_blocked")]
    with pytest.raises(UserInputError, match="unknown SKU"):
        decisions_from_request(ReviewRequest(reviewer="r", approve=["NOPE"]), recs)
    with pytest.raises(UserInputError, match="both approved and rejected"):
        decisions_from_request(ReviewRequest(reviewer="r", approve=["A"], reject=[Rejection(sku="A", reason="bad")]), recs)
    ds = decisions_from_request(ReviewRequest(reviewer="r", approve_all_passed=True), recs)
    assert [d.sku for d in ds] == ["A"]  # the blocked one is not approved by "all passed"


def test_apply_decisions_updates_ledger_and_stores_decisions(local_store):
    recs = [_record(local_store, _product("A")), _record(local_store, _product("B"))]
    ds = decisions_from_request(
        ReviewRequest(reviewer="ann", approve=["A"], reject=[Rejection(sku="B", reason="wrong colour")]), recs
    )
    apply_decisions(local_store, "run1", ds, recs)
    assert read_record(local_store, "A").status == "approved"
    b = read_record(local_store, "B")
    assert b.status == "rejected" and b.rejection_reasons == ["wrong colour"]
    stored = local_store.get_json("review/run1/decisions/B.json")
    assert stored["reviewer"] == "ann" and stored["reason"] == "wrong colour"


def test_publish_is_idempotent_and_feeds_parse(any_store):
    p1, p2 = _product("P-1"), _product("P-2", sale_price=Decimal("49.00"))
    recs = [_record(any_store, p1, status="approved"), _record(any_store, p2, status="approved")]
    products = {p.sku: p for p in (p1, p2)}
    mapping, copied = publish_record(any_store, recs[0])
    assert copied == 3 and set(mapping) == {"listing_en", "square"}
    assert any_store.get_json("published/P-1/listing_en.json")["content"]["title"].startswith("Leather Belt")
    _, copied_again = publish_record(any_store, recs[0])
    assert copied_again == 0  # second publish changes nothing
    publish_record(any_store, recs[1])
    feeds = write_feeds(any_store, recs, products, base_url="https://cdn.example.com/aigc")
    before = {k: any_store.head(v).etag or any_store.get_bytes(v) for k, v in feeds.items()}
    write_feeds(any_store, recs, products, base_url="https://cdn.example.com/aigc")
    after = {k: any_store.head(v).etag or any_store.get_bytes(v) for k, v in feeds.items()}
    assert before == after

    xml = etree.fromstring(any_store.get_bytes(feeds["google_merchant.xml"]))
    g = {"g": GMC_NS}
    items = xml.findall("channel/item")
    assert [i.findtext("g:id", namespaces=g) for i in items] == ["P-1", "P-2"]
    st = items[0].find("g:structured_title", g)
    assert st.findtext("g:digital_source_type", namespaces=g) == "trained_algorithmic_media"
    assert st.findtext("g:content", namespaces=g) == "Leather Belt in brown leather"
    assert items[0].findtext("g:image_link", namespaces=g) == "https://cdn.example.com/aigc/published/P-1/square.png"
    assert items[1].findtext("g:sale_price", namespaces=g) == "49.00 USD"
    assert items[0].findtext("g:identifier_exists", namespaces=g) == "no"

    rows = list(csv.DictReader(io.StringIO(any_store.get_bytes(feeds["shopify.csv"]).decode())))
    assert list(rows[0].keys()) == SHOPIFY_COLUMNS
    by_sku = {r["Variant SKU"]: r for r in rows}
    assert by_sku["P-2"]["Variant Price"] == "49.00" and by_sku["P-2"]["Variant Compare At Price"] == "65.00"
    assert "<li>Brass buckle</li>" in by_sku["P-1"]["Body (HTML)"]


def test_review_package_written(local_store):
    p = _product("Z")
    rec = _record(local_store, p)
    keys = write_review_package(local_store, "run9", [rec], {p.sku: p})
    assert local_store.get_bytes(keys["index"]).startswith(b"<!doctype html>")
    man = local_store.get_json(keys["manifest"])
    assert man["products"][0]["sku"] == "Z"


def test_report_charts_escape_and_scale():
    svg = svg_bar_chart("t", {"<rule>": 4, "b": 2})
    assert "&lt;rule&gt;" in svg and "<rule>" not in svg
    html_page = render_report_html(RunSummary(run_id="r", day="2026-12-04", products=3, pending_review=1), [])
    assert "Products per state" in html_page and "aigc review show r" in html_page
