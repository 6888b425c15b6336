"""The transformers backend end to end on a tiny random-weight Llama built offline.

Random weights produce garbage, so these tests assert structure: save/reload through the real
`from_pretrained` path, left-padded batching (batched == one by one), seeds, one generate call
per attempt, bounded retries and failure reporting per product. Never prose.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from aigc_models.text import TextRequest, get_text_generator
from aigc_models.text_transformers import TransformersTextGenerator
from tasks.copy import generate_copy
from tasks.copy.types import CONTENT_TYPES
from tasks.models import ContentSpec, Product
from tasks.settings import load_settings

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def tiny_text(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from aigc_models.tiny import build_tiny

    return build_tiny(tmp_path_factory.mktemp("tiny-models"), ["text"])["text"]


class CountingGenerator(TransformersTextGenerator):
    """The real backend, counting how many batched calls the copy stage makes."""

    def __init__(self, *a, **kw) -> None:
        super().__init__(*a, **kw)
        self.calls: list[int] = []

    def generate(self, requests):
        self.calls.append(len(requests))
        return super().generate(requests)


def test_tiny_model_saves_and_reloads_through_auto_classes(tiny_text: Path, tmp_path: Path) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer, LlamaForCausalLM

    tok = AutoTokenizer.from_pretrained(tiny_text)
    model = AutoModelForCausalLM.from_pretrained(tiny_text)
    assert isinstance(model, LlamaForCausalLM)
    assert tok.chat_template and tok.padding_side == "left" and tok.pad_token_id != tok.eos_token_id
    text = '商品 {"title": "Leather strap"} 165.00 USD'
    assert tok.decode(tok(text, add_special_tokens=False)["input_ids"]) == text
    chat = tok.apply_chat_template(
        [{"role": "user", "content": "hi"}], tokenize=False, add_generation_prompt=True
    )
    assert chat.endswith("<|im_start|>assistant\n")
    # save again and reload: same weights, same tokenizer ids
    tok.save_pretrained(tmp_path / "again")
    model.save_pretrained(tmp_path / "again")
    model2 = AutoModelForCausalLM.from_pretrained(tmp_path / "again")
    tok2 = AutoTokenizer.from_pretrained(tmp_path / "again")
    assert tok2("价格 price")["input_ids"] == tok("价格 price")["input_ids"]
    for (n, p), (_, q) in zip(model.state_dict().items(), model2.state_dict().items(), strict=True):
        assert p.equal(q), n


def test_cli_build_tiny_text(tmp_path: Path) -> None:
    import json
    import subprocess
    import sys

    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "flows.cli",
            "models",
            "build-tiny",
            str(tmp_path / "m"),
            "--kinds",
            "text",
            "--json",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    paths = json.loads(out.stdout)
    assert Path(paths["text"], "config.json").is_file() and Path(paths["text"], "tokenizer.json").is_file()
    bad = subprocess.run(
        [sys.executable, "-m", "flows.cli", "models", "build-tiny", str(tmp_path / "n"), "--kinds", "sound"],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2 and "unknown tiny model kind" in bad.stderr


def test_batched_generation_matches_one_by_one_and_is_seeded(tiny_text: Path) -> None:
    gen = TransformersTextGenerator(str(tiny_text), device="cpu", batch_size=4)
    assert gen.dtype.__repr__() == "torch.float32"
    reqs = [
        TextRequest(
            id=str(i), messages=[{"role": "user", "content": "strap " * (i * 9 + 1)}], max_new_tokens=10
        )
        for i in range(6)
    ]
    batched = gen.generate(reqs)
    single = [gen.generate([r])[0] for r in reqs]
    assert [r.id for r in batched] == [str(i) for i in range(6)]
    assert [b.text for b in batched] == [s.text for s in single]  # left padding + attention mask
    assert all(b.new_tokens <= 10 and b.prompt_tokens > 0 and b.backend == "transformers" for b in batched)
    assert len({b.prompt_tokens for b in batched}) == 6
    sampled = [
        TextRequest(id=r.id, messages=r.messages, max_new_tokens=10, seed=7, temperature=0.9) for r in reqs
    ]
    assert [r.text for r in gen.generate(sampled)] == [r.text for r in gen.generate(sampled)]


def test_factory_loads_once_per_process(tiny_text: Path) -> None:
    from aigc_models.device import _CACHE

    s = load_settings(models={"text_model": str(tiny_text), "device": "cpu"})
    a, b = get_text_generator(s.models), get_text_generator(s.models)
    assert a.tokenizer_and_model is b.tokenizer_and_model
    assert sum(1 for k in _CACHE if k[:2] == ("text", str(tiny_text))) == 1


def test_copy_through_tiny_model_reports_failures_with_retries(
    tiny_text: Path, catalogs: Path, local_store
) -> None:
    from tasks.catalog import read_catalog

    rawhide = read_catalog(str(catalogs / "rawhide" / "google-merchant-feed.xml")).products[:2]
    shopify = read_catalog(str(catalogs / "shopify-official" / "jewelery.csv")).products[:1]
    taobao = read_catalog(str(catalogs / "zh-openbg" / "openbg_title_generate.jsonl")).products[:1]
    products = [*rawhide, *shopify, *taobao, Product(sku="../../escape", title="Odd SKU")]
    spec = ContentSpec(content_types=list(CONTENT_TYPES), languages=["en", "zh"])
    gen = CountingGenerator(str(tiny_text), device="cpu", batch_size=16)
    result = generate_copy(products, spec, gen, local_store, max_retries=2, max_new_tokens=8)
    assert result.backend == "transformers" and result.model_id == str(tiny_text)
    # one batched call per attempt, never one per product
    assert len(gen.calls) == 3 and gen.calls[0] > len(products)
    assert not result.assets  # garbage never passes validation
    reasons = result.failure_reasons()
    assert set(reasons) == {p.sku for p in products}
    for f in result.failures:
        assert f.attempts == 3 and (
            "not JSON" in f.reason or "not valid JSON" in f.reason or "field" in f.reason
        )
    jobs = {f.job for f in result.failures if f.sku == taobao[0].sku}
    assert {"listing.en", "listing.zh", "faq.zh", "social_post.en"} <= jobs  # the model can translate
    assert {"ad_copy.zh.tiktok", "ad_copy.en.meta"} <= jobs
    assert not list(local_store.list("artifacts/"))


def test_valid_reply_from_model_path_is_stored(tiny_text: Path, local_store) -> None:
    """The parse/validate/write path for model replies, fed by a backend subclass with fixed text."""

    class Scripted(TransformersTextGenerator):
        def generate(self, requests):
            out = super().generate(requests)  # run the real model, then replace its garbage
            for r, res in zip(requests, out, strict=True):
                if r.context["content_type"] == "faq" and "good" in r.context["product"]["sku"]:
                    res.text = (
                        '```json\n{"pairs": [{"q": "Price?", "a": "12.50 USD"}, {"q": "Brand?", '
                        '"a": "Acme"}, {"q": "Name?", "a": "Good thing"}]}\n```'
                    )
            return out

    good = Product(sku="good-1", title="Good thing", brand="Acme", price="12.50", currency="USD")
    bad = Product(sku="bad-1", title="Bad thing")
    gen = Scripted(str(tiny_text), device="cpu")
    result = generate_copy(
        [good, bad],
        ContentSpec(content_types=["faq"]),
        gen,
        local_store,
        max_retries=0,
        max_new_tokens=4,
        seed=5,
    )
    assert [a.sku for a in result.assets] == ["good-1"] and result.failure_reasons().keys() == {"bad-1"}
    doc = local_store.get_json(result.assets[0].key)
    assert doc["backend"] == "transformers" and doc["model_id"] == str(tiny_text) and doc["seed"] == 5
    assert doc["prompt_version"] == "copy_v1" and doc["content"]["pairs"][0]["a"] == "12.50 USD"
    assert doc["params"]["new_tokens"] <= 4
