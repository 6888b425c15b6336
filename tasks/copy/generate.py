"""Generate every copy asset a ContentSpec asks for, for a batch of products, into the store.

The flow of one batch: plan the jobs (product x content type x language x channel/segment), skip
those whose content-addressed key already exists, ask the backend for all the rest in one batched
call, parse and validate each JSON reply, write the valid ones, and retry only the invalid ones
(with the problem named in the prompt and a new seed) up to `max_retries` times. What is still
invalid then is reported per product with its reason; it never stops the other products.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from aigc_models.text import TextGenerator, TextRequest, TextResult
from tasks.copy.prompts import DEFAULT_VERSION, PromptSet, load_prompts, render_messages
from tasks.copy.types import DEFAULT_SEGMENTS, JSON_FIELDS, CopyJob, InvalidReply, plan_jobs, validate_reply
from tasks.keys import artifact_key
from tasks.models import Asset, AssetKind, ContentSpec, Product
from tasks.storage import ArtifactStore

log = logging.getLogger(__name__)

RETRY_TEMPERATURE = 0.7
#: parallel store reads/writes: object stores answer one request at a time, so this hides latency
IO_WORKERS = 8


@dataclass
class CopyFailure:
    sku: str
    job: str
    reason: str
    attempts: int


@dataclass
class CopyBatchResult:
    """What one batch made, skipped (already in the store) and could not make, and why."""

    backend: str
    model_id: str | None
    prompt_version: str
    assets: list[Asset] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failures: list[CopyFailure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    #: assets found already in the store (skip_existing), loaded so downstream stages see them too
    existing: list[Asset] = field(default_factory=list)
    #: asset key -> validated content, for written and existing assets
    contents: dict[str, dict[str, Any]] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """Small JSON-able summary for Prefect results, logs and `--json` output."""
        return {
            "backend": self.backend,
            "model_id": self.model_id,
            "prompt_version": self.prompt_version,
            "written": len(self.assets),
            "skipped": len(self.skipped),
            "failed": len(self.failures),
            "products_failed": sorted({f.sku for f in self.failures}),
            "failures": [f.__dict__ for f in self.failures[:50]],
            "notes": self.notes[:20],
            "seconds": round(self.seconds, 3),
        }

    def assets_by_sku(self) -> dict[str, list[Asset]]:
        """Written and already-existing copy assets per SKU."""
        out: dict[str, list[Asset]] = {}
        for a in [*self.existing, *self.assets]:
            out.setdefault(a.sku, []).append(a)
        return out

    def failure_reasons(self) -> dict[str, str]:
        """One line per failing SKU: every failed job and its reason."""
        out: dict[str, list[str]] = {}
        for f in self.failures:
            out.setdefault(f.sku, []).append(f"{f.job}: {f.reason}")
        return {sku: "; ".join(reasons) for sku, reasons in out.items()}

    def headlines(self) -> dict[str, str]:
        """A short headline per SKU for creatives: the first ad headline, else the listing title."""
        out: dict[str, str] = {}
        rank = {"ad_copy": 0, "audience_ads": 1, "listing": 2}
        for a in sorted([*self.existing, *self.assets], key=lambda a: rank.get(a.content_type, 9)):
            c = self.contents.get(a.key, {})
            text = (c.get("variants") or [c])[0].get("headline") or c.get("title")
            if text and a.sku not in out:
                out[a.sku] = text
        return out

    def by_sku(self) -> dict[str, dict[str, list[Any]]]:
        out: dict[str, dict[str, list[Any]]] = {}
        for a in self.assets:
            out.setdefault(a.sku, {"assets": [], "failures": []})["assets"].append(a.key)
        for f in self.failures:
            out.setdefault(f.sku, {"assets": [], "failures": []})["failures"].append(f"{f.job}: {f.reason}")
        return out


@dataclass
class _Pending:
    product: Product
    job: CopyJob
    key: str
    feedback: str | None
    product_hash: str
    product_dump: dict[str, Any]
    problem: str | None = None
    attempts: int = 0


def target_languages(product: Product, spec: ContentSpec, generator: TextGenerator) -> list[str]:
    """Every configured language plus the catalog's own, when the backend can translate;
    otherwise only the catalog's language (templates cannot translate without inventing)."""
    if generator.can_translate:
        return list(dict.fromkeys([*spec.languages, product.language]))
    return [product.language]


def copy_fingerprint(
    spec: ContentSpec, generator: TextGenerator, prompt_version: str, seed: int, feedback: str | None
) -> dict[str, Any]:
    """Everything that shapes the copy; any change gives a new content key (and regenerates)."""
    return {
        "stage": "copy",
        "backend": generator.name,
        "model_id": generator.model_id,
        "prompt_version": prompt_version,
        "seed": seed,
        "channels": {k: v.model_dump(mode="json") for k, v in sorted(spec.channels.items())},
        "languages": spec.languages,
        "variants": spec.variants,
        "segments": [s.model_dump(mode="json") for s in (spec.segments or DEFAULT_SEGMENTS)],
        "brand": spec.brand.model_dump(mode="json", include={"name", "voice", "prefer", "avoid"}),
        "terms": [spec.banned_terms, spec.allowed_terms],
        "feedback": feedback,
    }


_JSON_OBJECT = re.compile(r"\{.*\}", re.S)


def parse_reply(text: str) -> Any:
    """The JSON object in a reply; tolerates code fences and chatter around it."""
    m = _JSON_OBJECT.search(text or "")
    if not m:
        raise InvalidReply(f"reply is not JSON (starts {(text or '').strip()[:30]!r})")
    try:
        return json.loads(m.group(0))
    except json.JSONDecodeError as exc:
        raise InvalidReply(f"reply is not valid JSON ({exc.msg} at char {exc.pos})") from None


def _context(p: _Pending, spec: ContentSpec) -> dict[str, Any]:
    return {
        "content_type": p.job.content_type,
        "language": p.job.language,
        "channel": p.job.channel,
        "segment": p.job.segment.model_dump(mode="json") if p.job.segment else None,
        "limits": p.job.limits,
        "brand": spec.brand.model_dump(mode="json"),
        "feedback": p.feedback,
        "product": p.product_dump,  # one dict per product, shared by its jobs
    }


def _write(
    store: ArtifactStore,
    p: _Pending,
    content: dict[str, Any],
    res: TextResult,
    gen_s: float,
    prompt_version: str,
) -> Asset:
    body = json.dumps(content, ensure_ascii=False, sort_keys=True)
    asset = Asset(
        sku=p.product.sku,
        kind=AssetKind.COPY,
        content_type=p.job.content_type,
        key=p.key,
        checksum=hashlib.sha256(body.encode("utf-8")).hexdigest(),
        language=p.job.language,
        backend=res.backend,
        model_id=res.model_id,
        prompt_version=prompt_version,
        params={
            "channel": p.job.channel,
            "segment": p.job.segment.name if p.job.segment else None,
            "limits": p.job.limits,
            "attempts": p.attempts,
            "product_hash": p.product_hash,
            "feedback": p.feedback,
            "prompt_tokens": res.prompt_tokens,
            "new_tokens": res.new_tokens,
        },
        seed=res.seed,
        timings={"generate_s": round(res.seconds, 6), "batch_generate_s": round(gen_s, 6)},
    )
    doc = asset.model_dump(mode="json") | {
        "channel": p.job.channel,
        "segment": p.job.segment.name if p.job.segment else None,
        "content": content,
    }
    store.put_json(p.key, doc)
    return asset


def generate_copy(
    products: list[Product],
    spec: ContentSpec,
    generator: TextGenerator,
    store: ArtifactStore,
    *,
    feedback: dict[str, str] | None = None,
    skip_existing: bool = True,
    prompt_version: str = DEFAULT_VERSION,
    max_retries: int = 2,
    seed: int = 0,
    max_new_tokens: int = 512,
) -> CopyBatchResult:
    """Generate, validate and store the copy for `products`; see the module docstring."""
    t0 = time.perf_counter()
    prompts: PromptSet = load_prompts(prompt_version)
    result = CopyBatchResult(generator.name, generator.model_id, prompts.version)
    feedback = feedback or {}
    planned: list[_Pending] = []
    for product in products:
        try:
            langs = target_languages(product, spec, generator)
            skipped_langs = [lang for lang in spec.languages if lang not in langs]
            if skipped_langs:
                result.notes.append(
                    f"{product.sku}: {generator.name} writes only the catalog language {product.language!r}; "
                    f"skipped {skipped_langs} (configure a text model to translate)"
                )
            fb = feedback.get(product.sku)
            phash = product.content_hash
            fp = copy_fingerprint(spec, generator, prompts.version, seed, fb)
            # every job of a product shares one content-addressed folder: hash it once
            folder = artifact_key(product.sku, phash, fp, "copy").rsplit("/", 1)[0]
            dump = product.model_dump(mode="json")
            for job in plan_jobs(product, spec, langs):
                planned.append(_Pending(product, job, f"{folder}/{job.name}", fb, phash, dump))
        except Exception as exc:  # a product that cannot even be planned fails alone
            result.failures.append(CopyFailure(product.sku, "*", f"{type(exc).__name__}: {exc}", 0))

    pending: list[_Pending] = []
    with ThreadPoolExecutor(max_workers=IO_WORKERS) as pool:
        docs = list(pool.map(store.get_json_or, [p.key for p in planned])) if skip_existing else []
        for p, doc in zip(planned, docs or [None] * len(planned), strict=True):
            if doc is not None:
                result.skipped.append(p.key)
                result.existing.append(Asset.model_validate(doc))
                result.contents[p.key] = doc.get("content", {})
            else:
                pending.append(p)
        _run_attempts(
            pending, result, spec, generator, store, prompts, pool, max_retries, seed, max_new_tokens
        )
    result.seconds = time.perf_counter() - t0
    log.info(
        "copy backend=%s model=%s prompt=%s: %d written, %d skipped, %d failed",
        generator.name,
        generator.model_id,
        prompts.version,
        len(result.assets),
        len(result.skipped),
        len(result.failures),
    )
    return result


def _run_attempts(
    pending: list[_Pending],
    result: CopyBatchResult,
    spec: ContentSpec,
    generator: TextGenerator,
    store: ArtifactStore,
    prompts: PromptSet,
    pool: ThreadPoolExecutor,
    max_retries: int,
    seed: int,
    max_new_tokens: int,
) -> None:
    """One batched backend call per attempt; only the invalid replies go round again."""
    for attempt in range(max_retries + 1):
        if not pending:
            break
        requests = []
        for i, p in enumerate(pending):
            p.attempts += 1
            requests.append(
                TextRequest(
                    id=str(i),
                    messages=render_messages(
                        prompts, p.job, p.product, spec, feedback=p.feedback, problem=p.problem
                    )
                    if generator.needs_messages
                    else [],
                    context=_context(p, spec),
                    json_fields=JSON_FIELDS.get(p.job.content_type, []),
                    max_new_tokens=max_new_tokens,
                    seed=seed + attempt,
                    temperature=0.0 if attempt == 0 else RETRY_TEMPERATURE,
                )
            )
        g0 = time.perf_counter()
        try:
            replies = generator.generate(requests)
        except Exception as exc:  # the backend failed for the whole call: every job retries
            log.warning("%s failed for %d request(s): %s", generator.name, len(requests), exc)
            replies = [
                TextResult(r.id, "", generator.name, generator.model_id, r.seed, error=str(exc))
                for r in requests
            ]
        gen_s = time.perf_counter() - g0
        valid: list[tuple[_Pending, dict[str, Any], TextResult]] = []
        still: list[_Pending] = []
        for p, res in zip(pending, replies, strict=True):
            try:
                if res.error:
                    raise InvalidReply(f"backend error: {res.error}")
                valid.append((p, validate_reply(parse_reply(res.text), p.job, p.product, spec), res))
            except InvalidReply as exc:
                p.problem = str(exc)
                still.append(p)

        def write(
            item: tuple[_Pending, dict[str, Any], TextResult], gen_s: float = gen_s
        ) -> Asset | Exception:
            try:
                return _write(store, item[0], item[1], item[2], gen_s, prompts.version)
            except Exception as exc:  # e.g. the store refused a write: report, keep going
                return exc

        for (p, content, _), written in zip(valid, pool.map(write, valid), strict=True):
            if isinstance(written, Exception):
                p.problem = f"{type(written).__name__}: {written}"
                still.append(p)
            else:
                result.assets.append(written)
                result.contents[p.key] = content
        pending = still
    for p in pending:
        result.failures.append(CopyFailure(p.product.sku, p.job.label, p.problem or "unknown", p.attempts))
