"""Load a versioned prompt file and render the chat messages for one copy job.

Prompts live in `tasks/prompts/{version}.toml`, one file per version, one section per content
type, each in English and Chinese. The version is part of every asset's metadata and content key.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from string import Template
from typing import Any

from tasks.copy.types import CopyJob
from tasks.errors import ConfigError
from tasks.models import ContentSpec, Product

PROMPT_DIR = Path(__file__).resolve().parents[1] / "prompts"
DEFAULT_VERSION = "copy_v1"
PRODUCT_DESCRIPTION_CHARS = 1500


@dataclass(frozen=True)
class PromptSet:
    version: str
    sections: dict[str, dict[str, str]]

    def text(self, section: str, language: str, **values: Any) -> str:
        langs = self.sections.get(section)
        if not langs:
            raise ConfigError(f"prompt file {self.version}.toml has no [{section}] section; add one")
        tmpl = langs.get(language) or langs.get(language.split("-")[0]) or langs["en"]
        return Template(tmpl).safe_substitute({k: str(v) for k, v in values.items()})


@lru_cache(maxsize=8)
def load_prompts(version: str = DEFAULT_VERSION, directory: str | None = None) -> PromptSet:
    """The prompt set of one version; the file's own `version` must match its name."""
    path = Path(directory or PROMPT_DIR) / f"{version}.toml"
    if not path.is_file():
        known = sorted(p.stem for p in Path(directory or PROMPT_DIR).glob("*.toml"))
        raise ConfigError(f"prompt version {version!r} not found at {path}; known versions: {known}")
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    if data.get("version") != version:
        raise ConfigError(
            f"{path} declares version {data.get('version')!r}; it must equal the file name {version!r}"
        )
    return PromptSet(version, {k: v for k, v in data.items() if isinstance(v, dict)})


def product_facts(p: Product) -> str:
    """The product as short labelled lines: everything the model may state, nothing else."""
    lines = [f"title: {p.title}"]
    if p.brand:
        lines.append(f"brand: {p.brand}")
    if p.category:
        lines.append("category: " + " > ".join(p.category))
    if p.price is not None:
        lines.append(f"price: {p.price} {p.currency or ''}".rstrip())
    if p.sale_price is not None:
        lines.append(f"sale price: {p.sale_price} {p.currency or ''}".rstrip())
    lines += [f"{k}: {v}" for k, v in p.attributes.items() if v]
    opts: dict[str, list[str]] = {}
    for v in p.variants:
        for k, val in v.options.items():
            if val not in opts.setdefault(k, []):
                opts[k].append(val)
    lines += [f"{k} options: {', '.join(v)}" for k, v in opts.items()]
    for label, value in (("availability", p.availability), ("condition", p.condition)):
        if value:
            lines.append(f"{label}: {value}")
    if p.tags:
        lines.append("tags: " + ", ".join(p.tags))
    if p.description:
        lines.append("description: " + " ".join(p.description.split())[:PRODUCT_DESCRIPTION_CHARS])
    return "\n".join(lines)


def render_messages(
    prompts: PromptSet,
    job: CopyJob,
    product: Product,
    spec: ContentSpec,
    *,
    feedback: str | None = None,
    problem: str | None = None,
) -> list[dict[str, str]]:
    """System (brand voice) + user (product data, task, reviewer feedback, last attempt's problem)."""
    lang = job.language
    brand = spec.brand
    system = prompts.text(
        "system",
        lang,
        brand_name=brand.name or product.brand or "this shop",
        voice=brand.voice,
        prefer=", ".join(brand.prefer) or "-",
        avoid=", ".join([*brand.avoid, *spec.banned_terms]) or "-",
    )
    lim = dict(job.limits)
    values: dict[str, Any] = {**lim, "channel": job.channel or ""}
    for key in ("bullets", "hashtags", "pairs"):
        if key in lim:
            values[f"{key}_min"], values[f"{key}_max"] = lim[key]
    values["fields"] = '"headline" and "primary_text"' if lim.get("headline") else '"primary_text"'
    if job.segment:
        values.update(segment=job.segment.name, segment_description=job.segment.description)
    parts = [
        prompts.text("product", lang, product=product_facts(product)),
        prompts.text(job.content_type, lang, **values),
    ]
    if feedback:
        parts.append(prompts.text("feedback", lang, feedback=feedback))
    if problem:
        parts.append(prompts.text("retry", lang, problem=problem))
    return [{"role": "system", "content": system}, {"role": "user", "content": "\n\n".join(parts)}]
