"""great-expectations suites over generated copy, one suite per channel, run per batch of assets.

Every text field of every copy asset becomes one row (asset, channel, content type, language, field
kind, path, text); required fields that are missing become rows with no text, so "not null" finds
them. The suite per channel then expects: required fields present and non-empty, lengths within the
channel's `ContentSpec.channels` limits (CJK limit for zh primary text), the asset's language
(CJK share), no duplicated variants within an asset, no HTML, and no emoji where the channel forbids
them. GX's own validation result JSON is returned as-is (kept beside our findings); failing rows are
mapped back to per-asset `QCResult`s via GX's `unexpected_index_list`.

GX is imported here only, and only when a batch is checked: it takes seconds to import, which is
why it runs per batch of assets and never per line.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from typing import Any

from tasks.models import ContentSpec, QCResult
from tasks.qc.rules import rule

REQUIRED = rule("gx.required", "gx", "block", "required field {field!r} is missing or empty")
LENGTH = rule("gx.length", "gx", "block", "{field} is {length} characters; the {channel} limit is {limit}")
LANGUAGE = rule("gx.language", "gx", "block", "{field} is not in the asset's language {lang!r}")
DUPLICATE = rule("gx.duplicate", "gx", "block", "{field} duplicates another variant of the same asset")
HTML = rule("gx.html", "gx", "block", "{field} contains HTML markup ({span}); the channel takes plain text")
EMOJI = rule("gx.emoji", "gx", "block", "{field} contains emoji ({span}), which {channel} does not allow")
RULES = {r.id: r for r in (REQUIRED, LENGTH, LANGUAGE, DUPLICATE, HTML, EMOJI)}

# GX wraps our patterns in its own group before calling pandas, which then warns on every run.
warnings.filterwarnings("ignore", message="This pattern is interpreted as a regular expression")

EMOJI_RE = re.compile("[\U0001f300-\U0001faff\U0001f000-\U0001f2ff\u2600-\u27bf\u2b50\u2b55\ufe0f]")
HTML_RE = r"<\s*/?\s*[a-zA-Z][a-zA-Z0-9]*(?:\s[^<>]*)?/?\s*>|&(?:nbsp|amp|lt|gt|quot);"
_CJK = re.compile(r"[\u3400-\u9fff]")

#: Channels whose ad or listing text must not carry emoji (Google's policies); others may.
NO_EMOJI = {"google_merchant", "google_ads", "listing", "amazon"}
_FIXED_LIMITS = {"bullet": 250, "text": 500, "q": 150, "a": 300}
_REQUIRED = {
    "listing": ["title", "description"],
    "ad_copy": ["primary_text"],
    "audience_ads": ["primary_text"],
    "social_post": ["text"],
    "faq": ["q", "a"],
}


@dataclass
class CopyBatchReport:
    """Findings per asset (same order as the payloads) and GX's result JSON per channel suite."""

    findings: list[list[QCResult]]
    gx_results: dict[str, Any] = field(default_factory=dict)


def _kind(path: str) -> str:
    leaf = re.sub(r"\[\d+\]", "", path.rsplit(".", 1)[-1])
    return {"bullets": "bullet", "question": "q", "answer": "a"}.get(leaf, leaf)


def _limits(spec: ContentSpec, channel: str | None, kind: str, lang: str) -> int | None:
    if kind in _FIXED_LIMITS:
        return _FIXED_LIMITS[kind]
    chans = [spec.channels[channel]] if channel in spec.channels else list(spec.channels.values())
    if kind == "primary_text" and lang.startswith("zh"):
        vals = [c.primary_text_cjk or c.primary_text for c in chans]
    else:
        vals = [getattr(c, kind, None) for c in chans]
    vals = [v for v in vals if v]
    if channel not in spec.channels and kind == "description":
        vals = [c.description for c in chans if c.title and c.description]  # listing: title channels
    return min(vals) if vals else None


def frame_rows(payloads: list[dict[str, Any]], spec: ContentSpec) -> list[dict[str, Any]]:
    """One row per text field (plus one per missing required field)."""
    from tasks.qc import iter_text_fields

    rows: list[dict[str, Any]] = []
    for i, payload in enumerate(payloads):
        params = payload.get("params") or {}
        channel = payload.get("channel") or params.get("channel")
        ctype = str(payload.get("content_type") or "")
        lang = str(payload.get("language") or payload.get("lang") or "en")
        content = payload.get("content") if isinstance(payload.get("content"), dict) else payload
        suite = channel or (ctype if ctype in ("listing", "social_post", "faq") else "listing")
        seen: set[str] = set()
        fields = [(path, text) for path, text in iter_text_fields(content) if _kind(path) != "hashtags"]
        variant_keys = _variant_keys(fields)
        for path, text in fields:
            kind = _kind(path)
            seen.add(kind)
            stripped = text.strip()
            unit, key = variant_keys.get(path, (None, ""))
            rows.append(
                {
                    "asset": i,
                    "path": path,
                    "suite": suite,
                    "kind": kind,
                    "language": lang,
                    "text": stripped,
                    "limit": _limits(spec, channel, kind, lang),
                    "cjk_ratio": len(_CJK.findall(stripped)) / max(len(stripped), 1),
                    # short texts (a headline that is just a brand or model name) are any language
                    "lang_check": len(stripped) >= 12,
                    "dup_key": f"{i}|{unit}|{key}",
                    "dup_check": unit is not None,
                }
            )
        for req in _REQUIRED.get(ctype, []):
            if req not in seen:
                rows.append(
                    {
                        "asset": i,
                        "path": req,
                        "suite": suite,
                        "kind": req,
                        "language": lang,
                        "text": None,
                        "limit": None,
                        "cjk_ratio": 0.0,
                        "lang_check": False,
                        "dup_key": f"{i}|{req}|<missing>",
                        "dup_check": False,
                    }
                )
    for n, r in enumerate(rows):
        r["row"] = n
    return rows


def _variant_keys(fields: list[tuple[str, str]]) -> dict[str, tuple[str | None, str]]:
    """For the first field of every list item (a variant, a bullet, an FAQ pair): the list it is in and
    the item's whole normalized content. Two items with the same key are duplicated variants; a
    variant that only shares its headline with another is not."""
    items: dict[str, list[str]] = {}
    for path, text in fields:
        m = re.match(r"^(.*?)\[(\d+)\]", path)
        if m:
            items.setdefault(m.group(0), []).append(re.sub(r"\W+", " ", text.lower()).strip())
    out: dict[str, tuple[str | None, str]] = {}
    for path, _ in fields:
        m = re.match(r"^(.*?)\[(\d+)\]", path)
        if m and m.group(0) in items and not any(v[0] == m.group(0) for v in out.values()):
            out[path] = (m.group(0), " | ".join(items[m.group(0)]))
    return {p: (re.sub(r"\[\d+\]$", "[]", unit), key) for p, (unit, key) in out.items() if unit}


_CONTEXT: Any = None


def _context() -> Any:
    global _CONTEXT
    if _CONTEXT is None:
        import great_expectations as gx

        _CONTEXT = gx.get_context(mode="ephemeral")
        try:
            from great_expectations.data_context.types.base import ProgressBarsConfig

            _CONTEXT.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
        except Exception:  # older/newer GX without the knob: bars go to stderr, harmless
            pass
    return _CONTEXT


def _expectations(suite_name: str, rows: list[dict[str, Any]]) -> list[tuple[Any, Any]]:
    """(GX expectation, our rule) pairs for one channel's rows."""
    import great_expectations as gx

    e = gx.expectations
    pd_ = {"condition_parser": "pandas"}
    out: list[tuple[Any, Any]] = [
        (e.ExpectColumnValuesToNotBeNull(column="text"), REQUIRED),
        (e.ExpectColumnValueLengthsToBeBetween(column="text", min_value=1), REQUIRED),
        (e.ExpectColumnValuesToNotMatchRegex(column="text", regex=HTML_RE), HTML),
        (
            e.ExpectColumnValuesToBeBetween(
                column="cjk_ratio", min_value=0.05, row_condition='language=="zh" and lang_check==True', **pd_
            ),
            LANGUAGE,
        ),
        (
            e.ExpectColumnValuesToBeBetween(
                column="cjk_ratio", max_value=0.3, row_condition='language=="en" and lang_check==True', **pd_
            ),
            LANGUAGE,
        ),
        (e.ExpectColumnValuesToBeUnique(column="dup_key", row_condition="dup_check==True", **pd_), DUPLICATE),
    ]
    if suite_name in NO_EMOJI:
        out.append((e.ExpectColumnValuesToNotMatchRegex(column="text", regex=EMOJI_RE.pattern), EMOJI))
    for limit in sorted({r["limit"] for r in rows if r["limit"]}):
        out.append(
            (
                e.ExpectColumnValueLengthsToBeBetween(
                    column="text", max_value=int(limit), row_condition=f"limit=={int(limit)}", **pd_
                ),
                LENGTH,
            )
        )
    return out


def run_copy_suites(
    payloads: list[dict[str, Any]], spec: ContentSpec
) -> tuple[list[list[QCResult]], dict[str, Any]]:
    """Run one GX suite per channel over the batch; findings per payload and GX's result JSON."""
    import great_expectations as gx
    import pandas as pd

    rows = frame_rows(payloads, spec)
    findings: list[list[QCResult]] = [[] for _ in payloads]
    results: dict[str, Any] = {}
    if not rows:
        return findings, results
    ctx = _context()
    by_row = {r["row"]: r for r in rows}
    for suite_name in sorted({r["suite"] for r in rows}):
        part = [r for r in rows if r["suite"] == suite_name]
        df = pd.DataFrame(part)
        df["limit"] = df["limit"].fillna(0).astype(int)
        uid = f"copy_{suite_name}_{id(df)}"
        ds = ctx.data_sources.add_or_update_pandas(uid)
        batch_def = ds.add_dataframe_asset("rows").add_batch_definition_whole_dataframe("all")
        pairs = _expectations(suite_name, part)
        for exp, our in pairs:
            exp.meta = {"rule": our.id}
        suite = gx.ExpectationSuite(name=uid, expectations=[p[0] for p in pairs])
        batch = batch_def.get_batch(batch_parameters={"dataframe": df})
        res = batch.validate(
            suite, result_format={"result_format": "COMPLETE", "unexpected_index_column_names": ["row"]}
        )
        data = res.to_json_dict()
        results[suite_name] = data
        ctx.data_sources.delete(uid)
        for exp_res in data["results"]:
            if exp_res.get("success"):
                continue
            our = RULES[
                ((exp_res.get("expectation_config") or {}).get("meta") or {}).get("rule", "gx.required")
            ]
            for item in (exp_res.get("result") or {}).get("unexpected_index_list") or []:
                r = by_row[int(item["row"])]
                findings[r["asset"]].append(_finding(our, r, suite_name))
    return findings, results


def _finding(our: Any, r: dict[str, Any], channel: str) -> QCResult:
    text = r["text"] or ""
    span = None
    if our is HTML:
        m = re.search(HTML_RE, text)
        span = m.group(0) if m else None
    elif our is EMOJI:
        m = EMOJI_RE.search(text)
        span = m.group(0) if m else None
    item = re.match(r"^.*?\[\d+\]", r["path"]) if our is DUPLICATE else None
    f = our.hit(
        span,
        field=item.group(0) if item else r["path"],
        length=len(text),
        limit=r["limit"],
        channel=channel,
        lang=r["language"],
        source="great_expectations",
    )
    f.evidence["field"] = r["path"]
    return f
