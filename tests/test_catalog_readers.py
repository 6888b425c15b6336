"""Every reader on the real catalogs in ../shared/data/catalogs, plus the formats we write ourselves."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from tasks.catalog import read_catalog
from tasks.catalog.detect import detect_format
from tasks.catalog.normalize import html_to_text, parse_price
from tasks.catalog.snapshot import products_to_parquet
from tasks.errors import CatalogError
from tasks.settings import load_settings

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", ["apparel.csv", "home-and-garden.csv", "jewelery.csv"])
def test_shopify_official_exports_have_20_products(catalogs: Path, name: str) -> None:
    read = read_catalog(str(catalogs / "shopify-official" / name))
    assert read.format == "shopify"
    assert len(read.products) == 20
    assert read.quarantined == []
    skus = [p.sku for p in read.products]
    assert len(set(skus)) == 20
    for p in read.products:
        assert p.title and "<" not in p.description
        assert p.price is not None and p.price > 0 and p.currency == "USD"
        assert p.images and all(i.startswith("https://") for i in p.images)


def test_shopify_continuation_rows_fold_into_variants_and_sale_price(catalogs: Path) -> None:
    read = read_catalog(str(catalogs / "shopify-official" / "jewelery.csv"))
    bracelet = next(p for p in read.products if p.sku == "chain-bracelet")
    assert [v.options for v in bracelet.variants] == [{"Color": "Blue"}, {"Color": "Black"}]
    assert bracelet.attributes["Color"] == "Blue, Black"
    # compare-at 44.99 above price 42.99: on sale
    assert bracelet.price == Decimal("44.99") and bracelet.sale_price == Decimal("42.99")
    assert len(bracelet.images) == 2
    pot = next(
        p
        for p in read_catalog(str(catalogs / "shopify-official" / "home-and-garden.csv")).products
        if p.sku == "clay-plant-pot"
    )
    assert [v.price for v in pot.variants] == [Decimal("9.99"), Decimal("15.99")]
    assert pot.description == "Classic blown clay pot for plants"


def test_rawhide_gmc_feed_resolves_local_images(catalogs: Path) -> None:
    read = read_catalog(str(catalogs / "rawhide" / "google-merchant-feed.xml"))
    assert read.format == "gmc-xml" and read.rows == 11
    assert len(read.products) == 11 and read.quarantined == []
    for p in read.products:
        assert p.images, p.sku
        for ref in p.images:
            assert Path(ref).is_absolute() and Path(ref).is_file(), ref
        assert p.source_images[0].startswith("https://rawhidecityleather.com/")
        assert p.currency == "USD" and p.price > 0 and p.brand == "Rawhide City Leather"
    assert read.products[0].price == Decimal("165.00")


def test_dirty_velofant_gmc_feed_parses(catalogs: Path) -> None:
    read = read_catalog(str(catalogs / "velofant" / "gmc_feed_prisjakt_VALID.xml"))
    assert read.format == "gmc-xml"
    assert len(read.products) == 9  # the duplicated channel header does not become an item
    assert {p.currency for p in read.products} == {"SEK"}
    assert sum(1 for p in read.products if p.images) == 4
    lights = next(p for p in read.products if p.sku == "LT-ABUS-Set")
    assert lights.price == Decimal("500.00") and lights.sale_price == Decimal("349.00")
    assert lights.category == ["Cykeltillbehör", "Belysning"]
    assert all(p.availability in ("in_stock", "out_of_stock") for p in read.products)


def test_non_google_product_xml_is_a_clear_error(catalogs: Path) -> None:
    with pytest.raises(CatalogError, match="no <item>.*<products>"):
        read_catalog(str(catalogs / "velofant" / "gmc_feed_prisjakt.xml"))


def test_velofant_shopify_export(catalogs: Path) -> None:
    settings = load_settings(ingest={"default_currency": "SEK"})
    read = read_catalog(str(catalogs / "velofant" / "shopify_products_export.csv"), settings=settings)
    assert read.rows == 48 and len(read.products) == 14 and read.quarantined == []
    wheels = next(p for p in read.products if p.sku == "velofant-wheelset-1")
    assert wheels.currency == "SEK"
    assert (wheels.price, wheels.sale_price) == (Decimal("3499.00"), Decimal("2999.00"))
    assert len(wheels.images) == 8 and wheels.gtin == "7350177880121"
    assert wheels.category[0] == "Sporting Goods"
    bar = next(p for p in read.products if p.sku == "ken-mid-rise-bar-styre-72cm")
    assert {v.sku for v in bar.variants} == {"HB-MID-BLK-72-X", "HB-MID-SIL-72-X"}
    assert bar.attributes["Färg"] == "black, silver"


def test_amazon_sample_through_generic_csv_mapping(catalogs: Path) -> None:
    read = read_catalog(str(catalogs / "amazon-sample" / "amazon_products_sample_1000.csv"), mapping="amazon")
    assert read.format == "csv" and read.rows == 1000
    assert len(read.products) + len(read.quarantined) == 1000
    assert len(read.products) == 979
    # every quarantined row is a price the file itself gets wrong (ranges, 'Total price:')
    assert {q.field for q in read.quarantined} == {"Selling Price"}
    ranges = [q for q in read.quarantined if "price range" in q.reason]
    assert len(ranges) == 15 and all(q.row and q.fix for q in ranges)
    p = read.products[0]
    assert p.sku == "4c69b61db1fc16e7013b43fc926e502d"
    assert p.price == Decimal("237.68") and p.currency == "USD"
    assert p.category[:2] == ["Sports & Outdoors", "Outdoor Recreation"]
    assert not any("transparent-pixel" in i for i in p.images) and len(p.images) == 4
    assert "Make sure this fits" not in p.description and "RESPONSIVE FLEX" in p.description


def test_amazon_preset_is_detected_without_mapping(catalogs: Path) -> None:
    read = read_catalog(str(catalogs / "amazon-sample" / "amazon_products_sample_1000.csv"))
    assert len(read.products) == 979


def test_user_mapping_from_toml_file(tmp_path: Path) -> None:
    (tmp_path / "feed.csv").write_text(
        "code;name;cost;pic\nA1;Red kettle;19,90 €;img/a1.png\n", encoding="utf-8"
    )
    (tmp_path / "map.toml").write_text(
        '[mapping]\nsku = "code"\ntitle = "name"\nprice = "cost"\nimages = ["pic"]\n', encoding="utf-8"
    )
    read = read_catalog(str(tmp_path / "feed.csv"), mapping=str(tmp_path / "map.toml"))
    (p,) = read.products
    assert (p.sku, p.title, p.price, p.currency) == ("A1", "Red kettle", Decimal("19.90"), "EUR")
    assert p.images == [str((tmp_path / "img" / "a1.png").resolve())]


def test_taobao_jsonl(catalogs: Path) -> None:
    read = read_catalog(str(catalogs / "zh-openbg" / "openbg_title_generate.jsonl"))
    assert read.format == "jsonl-taobao" and read.rows == 500
    assert len(read.products) == 500 and read.quarantined == []
    first = read.products[0]
    assert first.language == "zh"
    assert first.title == "韩国东大门2021秋季新款净版修身气质高腰显瘦毛边小脚牛仔裤"
    assert first.attributes["腰型"] == "高腰" and first.attributes["面料"] == "其他"
    flowers = read.products[1]
    assert flowers.brand == "爱花居" and "品牌" not in flowers.attributes
    assert flowers.attributes["适用场景"] == "求婚, 婚礼, 生日, 爱意表达, 周年纪念"
    again = read_catalog(str(catalogs / "zh-openbg" / "openbg_title_generate.jsonl"))
    assert [p.sku for p in again.products] == [p.sku for p in read.products]  # derived SKUs are stable


def test_product_jsonl_and_parquet_round_trip(tmp_path: Path) -> None:
    shop = read_catalog(str(ROOT / "examples" / "catalog" / "products.csv"))
    jl = tmp_path / "products.jsonl"
    jl.write_text("".join(p.model_dump_json() + "\n" for p in shop.products) + "not json\n", encoding="utf-8")
    from_jsonl = read_catalog(str(jl))
    assert [p.content_hash for p in from_jsonl.products] == [p.content_hash for p in shop.products]
    (bad,) = from_jsonl.quarantined
    assert bad.row == len(shop.products) + 1 and "not a JSON object" in bad.reason
    pq = tmp_path / "snap.parquet"
    pq.write_bytes(products_to_parquet(shop.products))
    from_parquet = read_catalog(str(pq))
    assert from_parquet.format == "parquet"
    assert [p.content_hash for p in from_parquet.products] == [p.content_hash for p in shop.products]


def test_own_sample_catalog(tmp_path: Path) -> None:
    read = read_catalog(str(ROOT / "examples" / "catalog" / "products.csv"))
    assert len(read.products) == 8 and read.quarantined == []
    assert len({p.attributes.get("Material") for p in read.products}) == 8
    on_sale = [p for p in read.products if p.sale_price is not None]
    assert [p.sku for p in on_sale] == ["cast-iron-skillet"]
    mug = read.products[0]
    assert [v.sku for v in mug.variants] == ["FH-MUG-SAGE", "FH-MUG-CLAY"]
    assert all(Path(i).is_file() for p in read.products for i in p.images)


def test_gmc_atom_and_tsv(tmp_path: Path) -> None:
    atom = tmp_path / "feed.atom"
    atom.write_text(
        '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom" xmlns:g="http://base.google.com/ns/1.0">'
        "<title>Shop</title><entry><g:id>T-1</g:id><title>Teapot</title>"
        '<link href="https://shop.example/t1"/><summary>&lt;p&gt;Cast &amp;amp; glazed&lt;/p&gt;</summary>'
        "<g:price>30.00 EUR</g:price><g:item_group_id>TP</g:item_group_id><g:color>Blue</g:color></entry>"
        "<entry><g:id>T-2</g:id><title>Teapot</title><g:price>30.00 EUR</g:price>"
        "<g:item_group_id>TP</g:item_group_id><g:color>Red</g:color></entry></feed>",
        encoding="utf-8",
    )
    read = read_catalog(str(atom), "gmc-xml")
    (tp,) = read.products
    assert tp.sku == "TP" and [v.sku for v in tp.variants] == ["T-1", "T-2"]
    assert tp.attributes["color"] == "Blue, Red" and tp.link == "https://shop.example/t1"
    assert tp.description == "Cast & glazed"
    tsv = tmp_path / "feed.txt"
    tsv.write_text("id\ttitle\tprice\timage_link\nK1\tKettle\t12.50 GBP\thttps://x/k.jpg\n\tNo id\t1 GBP\t\n")
    read = read_catalog(str(tsv))
    assert read.format == "gmc-tsv" and [p.sku for p in read.products] == ["K1"]
    (q,) = read.quarantined
    assert q.row == 3 and q.field == "id"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("165.00 USD", (Decimal("165.00"), "USD")),
        ("$12.99", (Decimal("12.99"), "USD")),
        ("1 299,00 kr", (Decimal("1299.00"), "SEK")),
        ("1.299,00 EUR", (Decimal("1299.00"), "EUR")),
        ("2999.0", (Decimal("2999.00"), "USD")),
        ("$6.94 $ 6 . 94", (Decimal("6.94"), "USD")),
        ("", (None, None)),
    ],
)
def test_parse_price(raw: str, expected: tuple) -> None:
    assert parse_price(raw, "USD") == expected


@pytest.mark.parametrize("raw", ["$74.99 - $249.99", "Total price:", "$5 $9", "twelve"])
def test_parse_price_refuses_what_is_not_one_price(raw: str) -> None:
    with pytest.raises(ValueError, match="price"):
        parse_price(raw, "USD")


def test_html_to_text_keeps_structure() -> None:
    text = html_to_text("<p>Soft &amp; warm</p><ul><li>Wool</li><li>Cotton</li></ul><script>x()</script>")
    assert text == "Soft & warm\n- Wool\n- Cotton"


def test_detect_format_and_override(tmp_path: Path) -> None:
    assert detect_format("x.bin", b"PAR1....") == "parquet"
    assert detect_format("export (3).txt", b"Handle,Title,Body (HTML)\n") == "shopify"
    assert detect_format("feed", b"<?xml version='1.0'?><rss/>") == "gmc-xml"
    assert detect_format("a.csv", b"sku,title\n") == "csv"
    f = tmp_path / "odd.data"
    f.write_text(json.dumps({"sku": "S1", "title": "Thing", "price": "3.50"}) + "\n")
    assert read_catalog(str(f)).format == "jsonl"
    with pytest.raises(CatalogError, match="unknown catalog format 'excel'"):
        read_catalog(str(f), "excel")
