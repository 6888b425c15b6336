"""Validate a normalized catalog: plain pre-checks, then a great-expectations suite.

Bad products are quarantined with a reason and a fix a merchant understands; good ones go on, so
one bad row never stops the catalog. Pre-checks cover what GX cannot say per row in our terms
(keep the first of duplicate SKUs, quarantine the rest). The GX suite runs over a small DataFrame
of the fields it checks; its failing row indices map back to products. GX's own result is kept
(`to_json_dict`) so the snapshot stores the evidence next to the catalog.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from tasks.catalog.records import QuarantineRecord
from tasks.models import Product

#: Active ISO 4217 codes (2024), for the currency expectation.
_ISO_4217_TEXT = """AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN
    BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP
    GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD
    KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK
    NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD
    SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD
    XCG XOF XPF YER ZAR ZMW ZWG"""
ISO_4217 = frozenset(_ISO_4217_TEXT.split())


@dataclass
class ValidationOutcome:
    """Products that passed, the quarantine (reader's + validator's), warnings, GX's result."""

    products: list[Product]
    quarantined: list[QuarantineRecord]
    warnings: list[QuarantineRecord] = field(default_factory=list)
    gx_result: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)


def precheck(products: list[Product], source: str) -> tuple[list[Product], list[QuarantineRecord]]:
    """Checks with a clear per-row answer that need no GX: duplicates after the first, bad prices."""
    kept, out, seen = [], [], {}
    for p in products:
        rec = _record_for(p, source)
        if not p.sku.strip():
            out.append(
                rec(
                    field="sku",
                    value=p.sku,
                    reason="the product has no SKU/id.",
                    fix="give every product a unique SKU.",
                    check="precheck:sku",
                )
            )
        elif p.sku in seen:
            out.append(
                rec(
                    field="sku",
                    value=p.sku,
                    reason=f"SKU {p.sku!r} is used again (first at row {seen[p.sku]}); only the first is kept.",
                    fix="give each product its own SKU, or delete the duplicate row.",
                    check="precheck:duplicate",
                )
            )
        elif not p.title.strip():
            out.append(
                rec(
                    field="title",
                    value=p.title,
                    reason="the product has no title.",
                    fix="write a product title (what a shopper searches for).",
                    check="precheck:title",
                )
            )
        elif p.price is not None and p.price <= 0:
            out.append(
                rec(
                    field="price",
                    value=str(p.price),
                    reason=f"the price {p.price} is not above zero.",
                    fix="write the selling price as a positive number, e.g. 19.99.",
                    check="precheck:price",
                )
            )
        else:
            seen[p.sku] = p.source_row
            kept.append(p)
    return kept, out


def _record_for(p: Product, source: str):
    def make(**kw: Any) -> QuarantineRecord:
        return QuarantineRecord(source_file=p.source_file or source, row=p.source_row, sku=p.sku, **kw)

    return make


#: (expectation, column, kwargs, severity, reason template, fix). Severity 'warn' keeps the product.
def _suite_spec(max_title: int, require_image: bool) -> list[tuple[str, str, dict[str, Any], str, str, str]]:
    spec = [
        (
            "ExpectColumnValuesToBeUnique",
            "sku",
            {},
            "block",
            "SKU {value!r} is not unique.",
            "give each product its own SKU.",
        ),
        ("ExpectColumnValuesToNotBeNull", "sku", {}, "block", "the product has no SKU.", "give it a SKU."),
        (
            "ExpectColumnValuesToNotBeNull",
            "title",
            {},
            "block",
            "the product has no title.",
            "write a title.",
        ),
        (
            "ExpectColumnValueLengthsToBeBetween",
            "title",
            {"min_value": 1, "max_value": 1000},
            "block",
            "the title is empty or longer than 1,000 characters.",
            "write a title of 1-150 characters.",
        ),
        (
            "ExpectColumnValuesToBeBetween",
            "price",
            {"min_value": 0, "strict_min": True},
            "block",
            "the price {value} is not above zero.",
            "write the selling price as a positive number.",
        ),
        (
            "ExpectColumnValuesToBeBetween",
            "sale_price",
            {"min_value": 0, "strict_min": True},
            "block",
            "the sale price {value} is not above zero.",
            "write a positive sale price or leave it empty.",
        ),
        (
            "ExpectColumnValuesToBeInSet",
            "currency",
            {"value_set": sorted(ISO_4217)},
            "block",
            "{value!r} is not an ISO 4217 currency code.",
            "use a three-letter code such as USD, EUR, SEK, CNY.",
        ),
        (
            "ExpectColumnValueLengthsToBeBetween",
            "title",
            {"min_value": 1, "max_value": max_title},
            "warn",
            f"the title is longer than {max_title} characters (Google Merchant's limit).",
            "shorten the title; generated titles will respect the limit.",
        ),
        (
            "ExpectColumnValuesToBeBetween",
            "sale_discount",
            {"min_value": 0},
            "block",
            "the sale price is higher than the regular price.",
            "put the regular price in price and the lower one in sale_price (or compare-at).",
        ),
        (
            "ExpectColumnValuesToBeBetween",
            "n_images",
            {"min_value": 1},
            "block" if require_image else "warn",
            "the product has no image.",
            "add at least one image link (image_link / Image Src).",
        ),
    ]
    return spec


def _frame(products: list[Product]):
    import pandas as pd

    return pd.DataFrame(
        {
            "sku": [p.sku for p in products],
            "title": [p.title for p in products],
            "price": [float(p.price) if p.price is not None else None for p in products],
            "sale_price": [float(p.sale_price) if p.sale_price is not None else None for p in products],
            "sale_discount": [
                float(p.price - p.sale_price) if p.price is not None and p.sale_price is not None else None
                for p in products
            ],
            "currency": [p.currency for p in products],
            "n_images": [len(p.images) for p in products],
        }
    )


@functools.lru_cache(maxsize=8)
def _validation(max_title: int, require_image: bool):
    """One ephemeral GX context per process and suite shape: building it costs more than running it.

    (Each ephemeral context also creates a temporary docs folder; caching keeps that to one.)
    """
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx
    import great_expectations.expectations as gxe

    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    ctx = gx.get_context(mode="ephemeral")
    try:
        from great_expectations.data_context.types.base import ProgressBarsConfig

        ctx.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    except Exception:  # noqa: BLE001 - cosmetic only; other GX versions may lack it
        pass
    batch = ctx.data_sources.add_pandas("catalog").add_dataframe_asset("products")
    bd = batch.add_batch_definition_whole_dataframe("all")
    spec = _suite_spec(max_title, require_image)
    suite = gx.ExpectationSuite(name="catalog_products")
    for i, (etype, column, kwargs, severity, *_rest) in enumerate(spec):
        suite.add_expectation(
            getattr(gxe, etype)(column=column, meta={"severity": severity, "spec": i}, **kwargs)
        )
    suite = ctx.suites.add(suite)
    vd = ctx.validation_definitions.add(gx.ValidationDefinition(name="catalog", data=bd, suite=suite))
    return vd, spec


_GX_LOCK = threading.Lock()


def run_gx(products: list[Product], max_title: int = 150, require_image: bool = False):
    """Run the suite; return (GX result dict, [(row index, spec entry, value)] of failures)."""
    df = _frame(products)
    with _GX_LOCK:
        vd, spec = _validation(max_title, require_image)
        result = vd.run(batch_parameters={"dataframe": df}, result_format={"result_format": "COMPLETE"})
    failures = []
    for r in result.results:
        if r.success:
            continue
        i = r.expectation_config.meta["spec"]
        for idx in r.result.get("unexpected_index_list") or []:
            failures.append((int(idx), spec[i], df.at[int(idx), spec[i][1]]))
    return result.to_json_dict(), failures


def validate_catalog(
    products: list[Product],
    source: str,
    *,
    max_title: int = 150,
    require_image: bool = False,
    prior: list[QuarantineRecord] | None = None,
) -> ValidationOutcome:
    """Pre-checks + GX suite → products that pass, quarantine records, warnings."""
    t0 = time.perf_counter()
    kept, quarantined = precheck(products, source)
    t1 = time.perf_counter()
    gx_result: dict[str, Any] = {}
    failures: list = []
    if kept:
        gx_result, failures = run_gx(kept, max_title, require_image)
    t2 = time.perf_counter()
    blocked: set[int] = set()
    warnings: list[QuarantineRecord] = []
    for idx, (etype, column, _kw, severity, reason, fix), value in failures:
        p = kept[idx]
        rec = _record_for(p, source)(
            field=column,
            value=None if value is None else str(value),
            reason=reason.format(value=value),
            fix=fix,
            check=f"gx:{etype}",
        )
        if severity == "block":
            if idx not in blocked:
                blocked.add(idx)
                quarantined.append(rec)
        else:
            warnings.append(rec)
    good = [p for i, p in enumerate(kept) if i not in blocked]
    return ValidationOutcome(
        products=good,
        quarantined=[*(prior or []), *quarantined],
        warnings=warnings,
        gx_result=gx_result,
        timings={"precheck_s": round(t1 - t0, 4), "gx_s": round(t2 - t1, 4)},
    )
