"""Validation and bad input: clear errors for unreadable files, quarantine for bad rows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tasks.catalog import ingest, read_catalog, validate_read
from tasks.catalog.validate import validate_catalog
from tasks.errors import CatalogError
from tasks.models import Product
from tasks.settings import load_settings
from tasks.storage import LocalStore

HEADER = "Handle,Title,Body (HTML),Vendor,Option1 Name,Option1 Value,Variant SKU,Variant Price,Image Src\n"


def _settings(tmp_path: Path, **ingest_overrides):
    return load_settings(storage={"uri": f"file://{tmp_path / 'store'}"}, ingest=ingest_overrides)


def test_empty_file_is_a_clear_error(tmp_path: Path) -> None:
    f = tmp_path / "empty.csv"
    f.write_bytes(b"")
    with pytest.raises(CatalogError, match=r"empty\.csv is empty"):
        read_catalog(str(f))


def test_binary_file_is_a_clear_error(tmp_path: Path) -> None:
    f = tmp_path / "catalog.csv"
    f.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(CatalogError, match=r"catalog\.csv looks like a binary file"):
        read_catalog(str(f))


def test_csv_with_wrong_columns_names_file_and_fix(tmp_path: Path) -> None:
    f = tmp_path / "orders.csv"
    f.write_text("order_id,customer,total\n1,Ann,10\n")
    with pytest.raises(CatalogError, match=r"orders\.csv has none of the expected columns.*--mapping"):
        read_catalog(str(f))


def test_broken_xml_names_the_line(tmp_path: Path) -> None:
    f = tmp_path / "feed.xml"
    f.write_text(
        '<?xml version="1.0"?>\n<rss xmlns:g="http://base.google.com/ns/1.0"><channel>\n<item><g:id>A</g:id>\n'
    )
    with pytest.raises(CatalogError, match=r"feed\.xml is not well-formed XML.*line \d+"):
        read_catalog(str(f))


def test_duplicate_skus_keep_the_first(tmp_path: Path) -> None:
    f = tmp_path / "p.jsonl"
    rows = [
        {"sku": "A", "title": "First", "price": "5"},
        {"sku": "B", "title": "Other", "price": "6"},
        {"sku": "A", "title": "Second", "price": "7"},
    ]
    f.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = validate_read(read_catalog(str(f)), _settings(tmp_path))
    assert [p.title for p in out.products] == ["First", "Other"]
    (q,) = out.quarantined
    assert (q.sku, q.row, q.field) == ("A", 3, "sku") and "first at row 1" in q.reason and q.fix


def test_negative_and_missing_fields_are_quarantined_with_reasons(tmp_path: Path) -> None:
    f = tmp_path / "shop.csv"
    f.write_text(
        HEADER
        + "good,Good mug,<p>Nice</p>,Acme,Title,Default Title,G1,10.00,\n"
        + "neg,Negative,,Acme,Title,Default Title,N1,-4.00,\n"
        + "zero,Zero,,Acme,Title,Default Title,Z1,0,\n"
        + "notitle,,,Acme,Title,Default Title,T1,3.00,\n"
        + ",Orphan row,,,,,,,\n"
    )
    read = read_catalog(str(f))
    out = validate_read(read, _settings(tmp_path))
    assert [p.sku for p in out.products] == ["good"]
    by_sku = {q.sku: q for q in out.quarantined}
    assert by_sku["neg"].field == "price" and by_sku["neg"].value == "-4.00" and by_sku["neg"].row == 3
    assert "not above zero" in by_sku["neg"].reason
    assert by_sku["zero"].field == "price"
    assert by_sku["notitle"].field == "title"
    orphan = by_sku[None]
    assert orphan.row == 6 and orphan.field == "Handle"
    for q in out.quarantined:
        assert q.source_file.endswith("shop.csv") and q.reason and q.fix


def test_gx_suite_catches_currency_and_sale_above_price(tmp_path: Path) -> None:
    products = [
        Product(sku="ok", title="Fine", price="10", currency="USD", images=["https://x/1.jpg"], source_row=1),
        Product(sku="cur", title="Bad currency", price="10", currency="XYZ", source_row=2),
        Product(sku="sale", title="Upside down", price="10", sale_price="12", currency="EUR", source_row=3),
    ]
    out = validate_catalog(products, "mem.jsonl")
    assert [p.sku for p in out.products] == ["ok"]
    by_sku = {q.sku: q for q in out.quarantined}
    assert by_sku["cur"].check == "gx:ExpectColumnValuesToBeInSet" and "ISO 4217" in by_sku["cur"].reason
    assert by_sku["sale"].check == "gx:ExpectColumnValuesToBeBetween" and "higher" in by_sku["sale"].reason
    assert out.gx_result["success"] is False
    kinds = {r["expectation_config"]["type"] for r in out.gx_result["results"]}
    assert {"expect_column_values_to_be_unique", "expect_column_values_to_be_in_set"} <= kinds
    json.dumps(out.gx_result)  # storable as-is
    assert {w.sku for w in out.warnings} == {"cur", "sale"}  # no image: a warning, not a quarantine


def test_require_image_quarantines_velofant_items_without_image(catalogs: Path, tmp_path: Path) -> None:
    read = read_catalog(str(catalogs / "velofant" / "gmc_feed_prisjakt_VALID.xml"))
    lenient = validate_read(read, _settings(tmp_path))
    assert len(lenient.products) == 9 and len(lenient.warnings) == 5
    strict = validate_read(read, _settings(tmp_path, require_image=True))
    assert len(strict.products) == 4 and len(strict.quarantined) == 5
    assert all(q.field == "n_images" and "no image" in q.reason for q in strict.quarantined)


def test_long_titles_warn_but_stay(catalogs: Path, tmp_path: Path) -> None:
    read = read_catalog(str(catalogs / "amazon-sample" / "amazon_products_sample_1000.csv"))
    out = validate_read(read, _settings(tmp_path))
    assert len(out.products) == 979 and len(out.quarantined) == 21
    assert sum(1 for w in out.warnings if w.field == "title") == 39


def test_traversal_sku_writes_nothing_outside_the_store(tmp_path: Path) -> None:
    src = tmp_path / "in" / "evil.jsonl"
    src.parent.mkdir()
    src.write_text(
        json.dumps({"sku": "../../etc/passwd", "title": "Sneaky", "price": "1.00", "images": ["../../x.png"]})
        + "\n"
        + json.dumps({"sku": "/abs/key", "title": "Also sneaky", "price": "2.00"})
        + "\n"
    )
    before = {p for p in tmp_path.rglob("*")}
    settings = _settings(tmp_path)
    store = LocalStore(tmp_path / "store")
    summary = ingest(str(src), store, settings, day="2026-01-02")
    assert summary.products == 2 and summary.quarantined == 0  # the SKU is data; keys never use it raw
    created = {p for p in tmp_path.rglob("*")} - before
    assert created and all((tmp_path / "store") in p.parents or p == tmp_path / "store" for p in created)
    assert not (tmp_path.parent / "etc").exists()
    keys = list(store.list())
    assert all(k.startswith("catalog/") for k in keys), keys
    from tasks.catalog import load_snapshot

    assert {p.sku for p in load_snapshot(store)} == {"../../etc/passwd", "/abs/key"}
