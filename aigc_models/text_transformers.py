"""Copy from a transformers causal LM (hub id or local path), batched, with a chat template.

Laid out like a diffusers pipeline: `check_inputs` -> `prepare_inputs` (chat template, left
padding, attention mask) -> one `model.generate` call per batch -> `TextGenerationOutput`.
The model and tokenizer are loaded once per process (`aigc_models.device.cached`), so a batch of
500 products loads the weights once. Device and dtype are chosen automatically (bf16/fp16 on a
GPU, fp32 on CPU) unless the settings override them.

Seeds: the first attempt decodes greedily (the same prompt gives the same reply, whatever else
is in the batch); retries sample with `temperature`, seeded with `torch.manual_seed(seed)` once
per generate call, so a sampled reply is reproducible for the same batch and seed.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path
from typing import Any

from aigc_models.device import cached, select_device, select_dtype
from aigc_models.text import TextGenerator, TextRequest, TextResult
from tasks.errors import ConfigError, UserInputError

log = logging.getLogger(__name__)


@dataclass
class TextGenerationOutput:
    """What one `generate` call produced, row for row with its inputs."""

    texts: list[str]
    prompt_tokens: list[int]
    new_tokens: list[int]
    seconds: float


def load_model(model_id: str, device: str, dtype: Any) -> tuple[Any, Any]:
    """Tokenizer and model through the same `from_pretrained` path for real and tiny weights."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(model_id)
        model = AutoModelForCausalLM.from_pretrained(model_id, dtype=dtype)
    except OSError as exc:
        hint = "" if Path(model_id).exists() else " (no such local folder either)"
        raise ConfigError(
            f"cannot load text model {model_id!r}{hint}: {exc}. Set AIGC_TEXT_MODEL to a local folder "
            "made with save_pretrained (e.g. `aigc models build-tiny DIR`) or a hub id that is cached here"
        ) from None
    tokenizer.padding_side = "left"  # decoder-only models must be padded on the left to generate
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    if not getattr(tokenizer, "chat_template", None):
        raise ConfigError(
            f"text model {model_id!r} has no chat template; use an instruct/chat model "
            "(its tokenizer_config.json or chat_template.jinja must define one)"
        )
    model.to(device)
    model.eval()
    if device == "cpu":
        import torch

        # Subnormal floats (common in small or randomly initialised weights) are 10-100x slower on
        # x86 CPUs; flushing them to zero changes no output that matters and keeps CPU runs fast.
        torch.set_flush_denormal(True)
    return tokenizer, model


class TransformersTextGenerator(TextGenerator):
    name = "transformers"
    can_translate = True

    def __init__(
        self,
        model_id: str,
        *,
        device: str = "auto",
        dtype: str = "auto",
        batch_size: int = 8,
        generate_kwargs: dict[str, Any] | None = None,
    ) -> None:
        if batch_size < 1:
            raise UserInputError(f"batch_size={batch_size} must be at least 1 (AIGC_BATCH_SIZE)")
        self.model_id = str(model_id)
        self.device = select_device(device)
        self.dtype = select_dtype(self.device, dtype)
        self.batch_size = batch_size
        self.generate_kwargs = dict(generate_kwargs or {})

    @property
    def tokenizer_and_model(self) -> tuple[Any, Any]:
        key = ("text", self.model_id, self.device, str(self.dtype))
        return cached(key, lambda: load_model(self.model_id, self.device, self.dtype))

    def check_inputs(self, requests: list[TextRequest]) -> None:
        for r in requests:
            if not r.messages:
                raise UserInputError(f"text request {r.id!r} has no chat messages; build it with messages")
            for m in r.messages:
                if "role" not in m or "content" not in m:
                    raise UserInputError(f"text request {r.id!r} has a message without role/content: {m}")
            if r.max_new_tokens < 1:
                raise UserInputError(f"text request {r.id!r}: max_new_tokens must be >= 1")

    def prepare_inputs(self, requests: list[TextRequest]) -> dict[str, Any]:
        """Render each chat with the template and tokenize the batch with left padding + mask."""
        tokenizer, _ = self.tokenizer_and_model
        prompts = [
            tokenizer.apply_chat_template(r.messages, tokenize=False, add_generation_prompt=True)
            for r in requests
        ]
        enc = tokenizer(prompts, return_tensors="pt", padding=True, add_special_tokens=False)
        return {k: v.to(self.device) for k, v in enc.items()}

    def __call__(self, requests: list[TextRequest]) -> TextGenerationOutput:
        """One batch with shared decoding settings -> one `model.generate` call."""
        import torch

        tokenizer, model = self.tokenizer_and_model
        inputs = self.prepare_inputs(requests)
        first = requests[0]
        kwargs: dict[str, Any] = {
            "max_new_tokens": first.max_new_tokens,
            "pad_token_id": tokenizer.pad_token_id,
            "eos_token_id": tokenizer.eos_token_id,
        }
        if first.temperature > 0:
            kwargs.update(do_sample=True, temperature=first.temperature, top_p=0.95)
        else:
            kwargs.update(do_sample=False)
        kwargs.update(self.generate_kwargs)
        torch.manual_seed(first.seed)
        t0 = time.perf_counter()
        with torch.inference_mode():
            out = model.generate(**inputs, **kwargs)
        seconds = time.perf_counter() - t0
        prompt_len = inputs["input_ids"].shape[1]
        new = out[:, prompt_len:]
        texts = tokenizer.batch_decode(new, skip_special_tokens=True)
        pad = tokenizer.pad_token_id
        return TextGenerationOutput(
            texts=texts,
            prompt_tokens=[int(m.sum()) for m in inputs["attention_mask"]],
            new_tokens=[int((row != pad).sum()) for row in new],
            seconds=seconds,
        )

    def generate(self, requests: list[TextRequest]) -> list[TextResult]:
        """Group by decoding settings, sort each group by prompt length, run in chunks of `batch_size`.

        Sorting keeps prompts of similar length together, so a chunk is padded to little more than
        its own rows need (mixed catalogs range from one-line to 1,500-character descriptions).
        Results come back in request order.
        """
        self.check_inputs(requests)
        if len({r.id for r in requests}) != len(requests):
            raise UserInputError("text request ids must be unique within one generate() call")
        results: dict[str, TextResult] = {}
        indexed = list(enumerate(requests))

        def settings(item: tuple[int, TextRequest]) -> tuple[int, float, int]:
            r = item[1]
            return (r.max_new_tokens, r.temperature, r.seed)

        for _, group in groupby(sorted(indexed, key=settings), key=settings):
            rows = sorted((r for _, r in group), key=lambda r: sum(len(m["content"]) for m in r.messages))
            for start in range(0, len(rows), self.batch_size):
                chunk = rows[start : start + self.batch_size]
                try:
                    out = self(chunk)
                except (RuntimeError, ValueError) as exc:  # e.g. out of memory: fail the chunk, not the run
                    log.warning("text generation failed for %d request(s): %s", len(chunk), exc)
                    for r in chunk:
                        results[r.id] = TextResult(
                            r.id, "", self.name, self.model_id, r.seed, error=f"{type(exc).__name__}: {exc}"
                        )
                    continue
                per_row = out.seconds / len(chunk)
                for r, text, pt, nt in zip(chunk, out.texts, out.prompt_tokens, out.new_tokens, strict=True):
                    results[r.id] = TextResult(r.id, text, self.name, self.model_id, r.seed, pt, nt, per_row)
        return [results[r.id] for r in requests]
