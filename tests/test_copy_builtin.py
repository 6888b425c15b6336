"""Copy generation through the built-in writer on real catalogs (Rawhide, Shopify, Taobao)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from aigc_models.text import get_text_generator
from aigc_models.text_builtin import BuiltinTextWriter, fit
from tasks.copy import copy_fingerprint, generate_copy
from tasks.copy.facts import (
    COLOURS_EN,
    COLOURS_ZH,
    MATERIALS_EN,
    MATERIALS_ZH,
    ungrounded_numbers,
    ungrounded_words,
)
from tasks.copy.prompts import load_prompts
from tasks.copy.types import CONTENT_TYPES, validate_reply
from tasks.errors import ConfigError
from tasks.keys import artifact_key
from tasks.models import BrandKit, ContentSpec, Product
from tasks.settings import load_settings

ALL = ContentSpec(content_types=list(CONTENT_TYPES))
CJK = re.compile(r"[\u4e00-\u9fff]")


def _read(path: Path) -> list[Product]:
    from tasks.catalog import read_catalog

    return read_catalog(str(path)).products


@pytest.fixture(scope="module")
def products(catalogs: Path) -> dict[str, list[Product]]:
    return {
        "rawhide": _read(catalogs / "rawhide" / "google-merchant-feed.xml"),
        "shopify": _read(catalogs / "shopify-official" / "apparel.csv")[:8],
        "taobao": _read(catalogs / "zh-openbg" / "openbg_title_generate.jsonl")[:12],
    }


def _docs(store, result) -> list[dict]:
    return [store.get_json(a.key) for a in result.assets]


def _limits_ok(doc: dict) -> None:
    lim, c = doc["params"]["limits"], doc["content"]
    ct = doc["content_type"]
    if ct == "listing":
        assert 0 < len(c["title"]) <= lim["title"] and 0 < len(c["description"]) <= lim["description"]
        assert 3 <= len(c["bullets"]) <= 5 and all(0 < len(b) <= lim["bullet"] for b in c["bullets"])
    elif ct in ("ad_copy", "audience_ads"):
        ads = c["variants"] if ct == "ad_copy" else [c]
        if ct == "ad_copy":
            assert len(ads) == lim["variants"]
            assert len({tuple(a.values()) for a in ads}) == len(ads), "variants must be distinct"
        for a in ads:
            assert lim["min_primary_text"] <= len(a["primary_text"]) <= lim["primary_text"]
            if lim["headline"]:
                assert 0 < len(a["headline"]) <= lim["headline"]
            else:
                assert "headline" not in a
    elif ct == "social_post":
        assert 0 < len(c["text"]) <= lim["text"] and 3 <= len(c["hashtags"]) <= 8
        assert all(re.fullmatch(r"#\S+", h) for h in c["hashtags"])
    elif ct == "faq":
        assert 3 <= len(c["pairs"]) <= 5 and all(p["q"] and p["a"] for p in c["pairs"])


def _texts(content: dict) -> list[str]:
    out = []
    for v in content.values():
        if isinstance(v, str):
            out.append(v)
        elif isinstance(v, list):
            out += [x for item in v for x in (item.values() if isinstance(item, dict) else [item])]
    return out


@pytest.mark.parametrize("catalog", ["rawhide", "shopify", "taobao"])
def test_every_content_type_within_limits_and_faithful(products, catalog, local_store) -> None:
    batch = products[catalog]
    result = generate_copy(batch, ALL, BuiltinTextWriter(), local_store)
    assert result.backend == "builtin" and result.model_id is None
    by_sku = {p.sku: p for p in batch}
    docs = _docs(local_store, result)
    made = {d["content_type"] for d in docs}
    assert {"listing", "ad_copy", "social_post", "faq"} <= made
    if catalog != "taobao":  # Taobao items have no price: the students segment (max price) still fits
        assert "audience_ads" in made
    for d in docs:
        product = by_sku[d["sku"]]
        _limits_ok(d)
        assert d["backend"] == "builtin" and d["prompt_version"] == "copy_v1" and d["seed"] == 0
        assert d["language"] == product.language == ("zh" if catalog == "taobao" else "en")
        assert "generate_s" in d["timings"]
        assert d["key"].startswith(f"artifacts/{d['sku']}/") and d["key"].endswith(".json")
        # the content is exactly what validation accepts for this job
        text = " ".join(_texts(d["content"]))
        if d["language"] == "zh":
            assert CJK.search(text)
        # faithful by construction: no number, colour or material the catalog lacks
        assert not ungrounded_numbers(text, product), (d["key"], ungrounded_numbers(text, product))
        words = COLOURS_ZH + MATERIALS_ZH if d["language"] == "zh" else COLOURS_EN + MATERIALS_EN
        assert not ungrounded_words(text, product, words), (d["key"], ungrounded_words(text, product, words))
    # products with too few catalog facts for 3 FAQ pairs are reported, never padded with inventions
    for f in result.failures:
        assert f.reason and f.attempts == 3, f


def test_ad_limits_are_the_channel_limits_incl_tiktok_cjk(products, local_store) -> None:
    result = generate_copy(
        products["taobao"][:4], ContentSpec(content_types=["ad_copy"]), BuiltinTextWriter(), local_store
    )
    tiktok = [local_store.get_json(a.key) for a in result.assets if a.params["channel"] == "tiktok"]
    assert tiktok and all(d["params"]["limits"]["primary_text"] == 50 for d in tiktok)
    assert all(len(v["primary_text"]) <= 50 for d in tiktok for v in d["content"]["variants"])
    gads = [local_store.get_json(a.key) for a in result.assets if a.params["channel"] == "google_ads"]
    assert all(
        len(v["headline"]) <= 30 and len(v["primary_text"]) <= 90
        for d in gads
        for v in d["content"]["variants"]
    )


def test_mixed_batch_good_land_failing_reported(products, local_store) -> None:
    bare = [Product(sku="bare-1", title="Widget"), Product(sku="bare-2", title="Gadget thing")]
    good = products["rawhide"][:3]
    spec = ContentSpec(content_types=["listing", "faq"])
    result = generate_copy([bare[0], *good, bare[1]], spec, BuiltinTextWriter(), local_store, max_retries=1)
    reasons = result.failure_reasons()
    assert set(reasons) == {"bare-1", "bare-2"}
    assert "faq.en" in reasons["bare-1"] and "needs 3 to 5" in reasons["bare-1"]
    assert "listing.en" in reasons["bare-1"] and "bullets" in reasons["bare-1"]
    assert all(f.attempts == 2 for f in result.failures)
    written = result.assets_by_sku()
    assert set(written) == {p.sku for p in good}
    assert all(len(v) == 2 for v in written.values())
    s = result.summary()
    assert s["written"] == 6 and s["failed"] == 4 and s["products_failed"] == ["bare-1", "bare-2"]


def test_rerun_skips_existing_and_feedback_regenerates(products, local_store) -> None:
    batch = products["rawhide"][:2]
    spec = ContentSpec(content_types=["listing", "ad_copy"])
    first = generate_copy(batch, spec, BuiltinTextWriter(), local_store)
    again = generate_copy(batch, spec, BuiltinTextWriter(), local_store)
    assert first.assets and not again.assets and len(again.skipped) == len(first.assets)
    assert {a.key for a in again.existing} == {a.key for a in first.assets}
    assert again.headlines() == first.headlines() and set(first.headlines()) == {p.sku for p in batch}
    fb = generate_copy(batch, spec, BuiltinTextWriter(), local_store, feedback={batch[0].sku: "too salesy"})
    assert {a.sku for a in fb.assets} == {batch[0].sku}
    assert all(a.params["feedback"] == "too salesy" for a in fb.assets)
    forced = generate_copy(batch, spec, BuiltinTextWriter(), local_store, skip_existing=False)
    assert len(forced.assets) == len(first.assets)


def test_key_changes_with_prompt_version_and_model() -> None:
    p = Product(sku="k-1", title="Thing")
    spec = ContentSpec()
    gen = BuiltinTextWriter()
    keys = {
        artifact_key(p.sku, p.content_hash, copy_fingerprint(spec, gen, v, 0, None), "copy/listing.en.json")
        for v in ("copy_v1", "copy_v2")
    }
    assert len(keys) == 2
    other = BuiltinTextWriter()
    other.name, other.model_id = "transformers", "some/model"
    assert copy_fingerprint(spec, gen, "copy_v1", 0, None) != copy_fingerprint(
        spec, other, "copy_v1", 0, None
    )
    with pytest.raises(ConfigError, match="copy_v9"):
        load_prompts("copy_v9")
    assert load_prompts("copy_v1").version == "copy_v1"


def test_brand_voice_avoid_words_and_variants_differ(products, local_store) -> None:
    spec = ContentSpec(
        content_types=["ad_copy"], brand=BrandKit(name="Rawhide", avoid=["shop now"]), variants=4
    )
    result = generate_copy(products["rawhide"][:3], spec, BuiltinTextWriter(), local_store)
    assert not result.failures and result.assets
    for d in _docs(local_store, result):
        text = " ".join(_texts(d["content"])).lower()
        assert "shop now" not in text
        assert len(d["content"]["variants"]) == 4


def test_validation_rejects_over_limit_and_wrong_language(products) -> None:
    from tasks.copy.types import InvalidReply, plan_jobs

    p = products["rawhide"][0]
    job = next(j for j in plan_jobs(p, ContentSpec(), ["en"]) if j.channel == "meta")
    good = {"variants": [{"headline": f"H{i}", "primary_text": f"text {i}"} for i in range(3)]}
    assert validate_reply(good, job, p, ContentSpec())
    long = {"variants": [{"headline": "x" * 41, "primary_text": "t"}] * 3}
    with pytest.raises(InvalidReply, match="limit is 40"):
        validate_reply(long, job, p, ContentSpec())
    same = {"variants": [{"headline": "H", "primary_text": "t"}] * 3}
    with pytest.raises(InvalidReply, match="not distinct"):
        validate_reply(same, job, p, ContentSpec())
    zh_job = next(j for j in plan_jobs(p, ContentSpec(), ["zh"]) if j.channel == "meta")
    with pytest.raises(InvalidReply, match="no Chinese"):
        validate_reply(good, zh_job, p, ContentSpec())


def test_fit_never_cuts_inside_numbers() -> None:
    text = "Hand-cut 1.5 wide from 10-12 oz leather"
    assert fit(text, 11) == "Hand-cut"  # "Hand-cut 1." would state a number the catalog lacks
    assert fit(text, 14) == "Hand-cut 1.5"
    assert fit(text, 25) == "Hand-cut 1.5 wide from"
    assert fit("韩国东大门2021秋季新款", 7) == "韩国东大门"
    assert fit("short", 10) == "short"


def test_factory_picks_backend_from_settings(tmp_path) -> None:
    assert get_text_generator(load_settings(models={"text_model": None}).models).name == "builtin"
    gen = get_text_generator(load_settings(models={"text_model": str(tmp_path)}).models)
    assert gen.name == "transformers" and gen.model_id == str(tmp_path)


@pytest.mark.slow
def test_same_copy_on_local_and_s3_store(products, any_store) -> None:
    spec = ContentSpec(content_types=["listing", "ad_copy"])
    batch = products["shopify"][:2]
    first = generate_copy(batch, spec, BuiltinTextWriter(), any_store)
    assert first.assets and not first.failures
    doc = any_store.get_json(first.assets[0].key)
    assert doc["content"] == first.contents[first.assets[0].key]
    again = generate_copy(batch, spec, BuiltinTextWriter(), any_store)
    assert not again.assets and sorted(again.skipped) == sorted(a.key for a in first.assets)


def test_cli_modules_do_not_import_torch() -> None:
    import subprocess
    import sys

    code = "import sys, flows.cli_generate, flows.cli_models; print(sorted(m for m in ('torch', 'transformers', 'prefect') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    from flows.cli import cli

    assert "copy" in cli.commands["generate"].commands and "build-tiny" in cli.commands["models"].commands
