"""The one text-generation interface every copy backend implements.

A `TextRequest` carries both forms of the same ask: chat `messages` (for a causal LM) and a
structured `context` (content type, language, limits and the product's catalog fields, for the
built-in writer). Every backend answers with a `TextResult` whose `text` is the JSON reply, so the
caller parses and validates one shape and never needs to know which backend ran.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any


@dataclass
class TextRequest:
    """One generation ask: one product, one content type, one language (and channel/segment)."""

    id: str
    messages: list[dict[str, str]] = field(default_factory=list)
    context: dict[str, Any] = field(default_factory=dict)
    json_fields: list[str] = field(default_factory=list)
    max_new_tokens: int = 256
    seed: int = 0
    #: 0 = greedy decoding (deterministic); retries raise it to get a different reply.
    temperature: float = 0.0


@dataclass
class TextResult:
    """A backend's raw reply; `error` is set instead of `text` when the backend itself failed."""

    id: str
    text: str
    backend: str
    model_id: str | None
    seed: int
    prompt_tokens: int = 0
    new_tokens: int = 0
    seconds: float = 0.0
    error: str | None = None


class TextGenerator(ABC):
    """A copy backend. `generate` is batched: pass every request of a batch in one call."""

    #: short backend name written into asset metadata and the run summary ("transformers", "builtin")
    name: str = ""
    #: model id or local path; None for backends without weights
    model_id: str | None = None
    #: whether the backend can write in a language other than the catalog's own
    can_translate: bool = False
    #: whether the backend reads `TextRequest.messages` (the built-in writer reads only `context`)
    needs_messages: bool = True

    @abstractmethod
    def generate(self, requests: list[TextRequest]) -> list[TextResult]:
        """One result per request, in the same order."""

    def describe(self) -> str:
        return f"{self.name} ({self.model_id})" if self.model_id else self.name


def get_text_generator(model_settings: Any) -> TextGenerator:
    """The transformers backend when `text_model` is configured, else the built-in writer.

    `model_settings` is `tasks.settings.ModelSettings` (or anything with the same attributes).
    """
    model = getattr(model_settings, "text_model", None)
    if model:
        from aigc_models.text_transformers import TransformersTextGenerator

        return TransformersTextGenerator(
            model,
            device=getattr(model_settings, "device", "auto"),
            dtype=getattr(model_settings, "dtype", "auto"),
            batch_size=getattr(model_settings, "batch_size", 8),
        )
    from aigc_models.text_builtin import BuiltinTextWriter

    return BuiltinTextWriter()
