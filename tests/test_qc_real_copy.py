"""The checker over real merchant copy: Shopify sample bodies, Rawhide descriptions, Taobao titles.

Catalogs are parsed minimally here (csv + an HTML strip, lxml, json), independent of the catalog
readers. Each description is also checked against a product built from the row's *other* fields
(title, vendor, price, options, tags), the way generated copy is checked, so the consistency rules
meet real wording ("10-12 oz bridle leather", "in black or brown") they did not write themselves.

Thresholds, set after reading every flagged line (the test prints them all):
- Shopify (60 bodies) and Rawhide (11 descriptions): legal English merchant copy; no line blocks,
  with or without its product. Earlier runs blocked 9 Rawhide lines on "brass hardware" / "rubber" vs a
  leather product and "skip suede"; materials now only contradict a *stated* material attribute of a
  comparable class, and negations ("skip suede") are claims of nothing. We allow 5 %.
- Taobao titles (500): 3 block, all rightly (最小的微波炉 and 最佳碧绿 are Art. 9 superlatives, 旺夫 is
  a superstition term on the public list). Earlier runs also blocked 王者 in the game name 王者荣耀
  (now exempt as a proper noun) and 清仓 in 4 titles (Taobao tolerates it: now a warning). We allow
  3 % and require that the real 最佳 line still blocks, so the checker is not toothless.
- Titles with 正品 / 官方旗舰店 / 大牌 wording never block (allowed wording on Taobao).
"""

from __future__ import annotations

import csv
import html
import json
import re
from collections import Counter
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pytest

from tasks.models import Product, Variant
from tasks.qc import check_text, verdict


def _strip(markup: str | None) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", markup or ""))).strip()


def _dec(value: str | None) -> Decimal | None:
    try:
        return Decimal(value.split()[0]) if value and value.strip() else None
    except InvalidOperation:
        return None


def shopify_rows(catalogs: Path) -> list[tuple[str, str, Product]]:
    """(handle, body text, product from the other columns) per Shopify product."""
    out: dict[str, tuple[str, dict]] = {}
    for f in sorted((catalogs / "shopify-official").glob("*.csv")):
        with f.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                h = row["Handle"]
                if row.get("Title"):
                    out[h] = (
                        _strip(row.get("Body (HTML)")),
                        {
                            "sku": h,
                            "title": row["Title"],
                            "brand": row.get("Vendor") or None,
                            "price": _dec(row.get("Variant Price")),
                            "currency": "USD",
                            "tags": [t.strip() for t in (row.get("Tags") or "").split(",") if t.strip()],
                            "variants": [],
                        },
                    )
                opts = {
                    row.get(f"Option{i} Name") or "": row.get(f"Option{i} Value") or "" for i in (1, 2, 3)
                }
                opts = {k: v for k, v in opts.items() if k and v and k != "Title"}
                if h in out and (opts or row.get("Variant Price")):
                    out[h][1]["variants"].append(
                        Variant(
                            sku=row.get("Variant SKU") or f"{h}-{len(out[h][1]['variants'])}",
                            options=opts,
                            price=_dec(row.get("Variant Price")),
                        )
                    )
    return [(h, body, Product(**data)) for h, (body, data) in out.items() if body]


def rawhide_rows(catalogs: Path) -> list[tuple[str, str, Product]]:
    from lxml import etree

    g = "{http://base.google.com/ns/1.0}"
    tree = etree.parse(str(catalogs / "rawhide" / "google-merchant-feed.xml"))
    out = []
    for item in tree.iter("item"):
        price = (item.findtext(f"{g}price") or "").split()
        p = Product(
            sku=item.findtext(f"{g}id") or "?",
            title=item.findtext(f"{g}title") or "",
            brand=item.findtext(f"{g}brand"),
            price=_dec(price[0]) if price else None,
            currency=price[1] if len(price) > 1 else None,
            category=[item.findtext(f"{g}product_type") or ""],
        )
        out.append((p.sku, _strip(item.findtext(f"{g}description")), p))
    return out


def taobao_rows(catalogs: Path) -> list[tuple[str, str, Product]]:
    out = []
    for n, line in enumerate((catalogs / "zh-openbg" / "openbg_title_generate.jsonl").open(encoding="utf-8")):
        obj = json.loads(line)
        attrs: dict[str, str] = {}
        for pair in obj["sentences"].split("#;#"):
            if "#:#" in pair:
                k, v = pair.split("#:#", 1)
                attrs[k] = f"{attrs[k]}, {v}" if k in attrs else v
        title = obj["spans"][0]["term"]
        out.append(
            (
                str(n),
                title,
                Product(sku=f"tb{n}", title=title, brand=attrs.get("品牌"), attributes=attrs, language="zh"),
            )
        )
    return out


def _run(rows: list[tuple[str, str, Product]], lang: str, with_product: bool, field: str = "text"):
    counts: Counter[str] = Counter()
    verdicts: Counter[str] = Counter()
    flagged = []
    for key, text, product in rows:
        findings = check_text(text, lang, product if with_product else None, field=field)
        v = verdict(findings)
        verdicts[v] += 1
        for f in findings:
            counts[f"{f.check}/{f.severity}"] += 1
        if v == "block":
            flagged.append((key, text[:90], [(f.check, f.span) for f in findings if f.severity == "block"]))
    return counts, verdicts, flagged


def _report(name: str, counts: Counter, verdicts: Counter, flagged: list) -> None:
    print(f"\n== {name}: {dict(verdicts)}")
    for rule, n in sorted(counts.items(), key=lambda kv: -kv[1]):
        print(f"   {n:4d}  {rule}")
    for key, text, why in flagged:
        print(f"   BLOCK {key}: {text!r} {why}")


def test_shopify_bodies_mostly_pass(catalogs: Path) -> None:
    rows = shopify_rows(catalogs)
    assert len(rows) >= 50
    for with_product in (False, True):
        counts, verdicts, flagged = _run(rows, "en", with_product)
        _report(f"shopify bodies (product={with_product})", counts, verdicts, flagged)
        assert verdicts["block"] <= 0.05 * len(rows)


def test_rawhide_descriptions_mostly_pass(catalogs: Path) -> None:
    rows = rawhide_rows(catalogs)
    assert len(rows) == 11
    for with_product in (False, True):
        counts, verdicts, flagged = _run(rows, "en", with_product)
        _report(f"rawhide descriptions (product={with_product})", counts, verdicts, flagged)
        assert verdicts["block"] <= 0.05 * len(rows)
    # titles as titles: Amazon-style title rules must not trip on a real merchant's titles
    counts, verdicts, flagged = _run([(k, p.title, p) for k, _, p in rows], "en", True, field="title")
    _report("rawhide titles", counts, verdicts, flagged)
    assert verdicts["block"] == 0


def test_taobao_titles_mostly_pass(catalogs: Path) -> None:
    rows = taobao_rows(catalogs)
    assert len(rows) == 500
    counts, verdicts, flagged = _run(rows, "zh", False, field="title")
    _report("taobao titles", counts, verdicts, flagged)
    assert verdicts["block"] <= 0.03 * len(rows)
    assert any("最佳" in text for _, text, _ in flagged), "a real 最佳 claim must still block"
    wording = [(k, t, p) for k, t, p in rows if re.search("正品|官方旗舰店|旗舰店|大牌", t)]
    assert len(wording) >= 10
    assert all(verdict(check_text(t, "zh", field="title")) != "block" for _, t, _ in wording)
    # with the product built from the item's own attributes, consistency must not invent contradictions
    counts, verdicts, flagged = _run(rows, "zh", True, field="title")
    _report("taobao titles with their products", counts, verdicts, flagged)
    assert counts["consistency.contradiction/block"] <= 0.02 * len(rows)
    assert verdicts["block"] <= 0.04 * len(rows)


@pytest.mark.slow
def test_template_copy_from_real_catalogs(catalogs: Path) -> None:
    """The copy stage's CPU template backend is faithful by construction: on its output for real
    products, consistency, claims and ad-law rules must not block (a block would be a false alarm
    of ours). GX may still rightly block: a catalog title with an emoji (velofant's 🍕) goes into a
    Google Ads headline. Uses the other stages' code, so it is skipped when they are not there."""
    generate = pytest.importorskip("tasks.copy.generate")
    catalog = pytest.importorskip("tasks.catalog")
    text_builtin = pytest.importorskip("aigc_models.text_builtin")
    import tempfile

    from tasks.models import ContentSpec
    from tasks.qc import check_copy_assets
    from tasks.storage import LocalStore

    products = []
    for rel in (
        "shopify-official/apparel.csv",
        "rawhide/google-merchant-feed.xml",
        "zh-openbg/openbg_title_generate.jsonl",
        "velofant/shopify_products_export.csv",
    ):
        products += list(catalog.read_catalog(str(catalogs / rel)).products)[:12]
    spec = ContentSpec()
    with tempfile.TemporaryDirectory() as tmp:
        store = LocalStore(Path(tmp))
        res = generate.generate_copy(products, spec, text_builtin.BuiltinTextWriter(), store)
        payloads = [store.get_json(a.key) for a in res.assets]
    by_sku = {p.sku: p for p in products}
    report = check_copy_assets(payloads, [by_sku[p["sku"]] for p in payloads], spec)
    counts: Counter[str] = Counter()
    verdicts: Counter[str] = Counter()
    wrong = []
    for payload, findings in zip(payloads, report.findings, strict=True):
        verdicts[verdict(findings)] += 1
        for f in findings:
            counts[f"{f.check}/{f.severity}"] += 1
            if f.severity == "block" and not f.check.startswith("gx."):
                wrong.append((payload["sku"], payload["content_type"], f.check, f.span, f.message))
    _report(f"template copy ({len(payloads)} assets)", counts, verdicts, [])
    for w in wrong:
        print("   FALSE ALARM?", w)
    assert len(payloads) >= 100
    assert not wrong
    assert verdicts["block"] <= 0.05 * len(payloads)
    assert set(report.gx_results) >= {"listing", "meta"}
