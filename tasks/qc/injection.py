"""Prompt-injection echoes and model chatter in copy.

A language model fed catalog text can echo instructions hidden in it ("ignore previous
instructions ...") or talk about itself ("As an AI language model", "以下是为您生成的文案"). Both
mean the copy is not copy: block it and regenerate. Unfilled template placeholders ({title},
{{brand}}) and chat-template tokens are the same failure.
"""

from __future__ import annotations

import re

from tasks.models import QCResult
from tasks.qc.rules import TextContext, mentions, rule

INSTRUCTION = rule(
    "injection.instruction",
    "injection",
    "block",
    '"{span}" addresses the model or the reader with instructions; this is an injection echo, not copy',
)
CHATTER = rule(
    "injection.model_chatter", "injection", "block", '"{span}" is the model talking about itself, not copy'
)
TEMPLATE = rule(
    "injection.template_leak", "injection", "block", '"{span}" is an unfilled template or chat token'
)

_INSTR = re.compile(
    r"\b(?:ignore|disregard|forget|override)\s+(?:all\s+|any\s+|the\s+)?(?:previous|prior|above|earlier|preceding|"
    r"your|system)\s+(?:instructions?|prompts?|rules|directions|messages)\b"
    r"|\byou\s+are\s+now\s+(?:a|an|in)\b|\bnew\s+instructions?\s*:|\bsystem\s+prompt\b|\bjailbreak\b"
    r"|\b(?:reveal|print|repeat|show)\s+(?:your|the)\s+(?:system\s+)?(?:prompt|instructions)\b"
    r"|\bdo\s+anything\s+now\b|\bdeveloper\s+mode\b"
    r"|忽略(?:掉)?(?:以上|之前|前面|上面|上述|所有|先前)(?:的)?(?:所有)?(?:指令|指示|提示|要求|规则|内容)"
    r"|无视(?:以上|之前|前面|上述)(?:的)?(?:指令|指示|提示|要求)|(?:系统|System)提示词|你现在是(?:一个)?|新的指令[:：]",
    re.I,
)
_CHAT = re.compile(
    r"\bas\s+an?\s+(?:AI|artificial\s+intelligence)(?:\s+language)?(?:\s+model|\s+assistant)?\b"
    r"|\bas\s+a\s+(?:large\s+)?language\s+model\b|\bI(?:'m|\s+am)\s+(?:sorry|unable|not\s+able)\b"
    r"|\bI\s+(?:cannot|can't|can\s+not)\s+(?:help|assist|comply|provide|fulfil|fulfill)\b"
    r"|^\s*(?:sure|certainly|of\s+course)[!,.]\s+(?:here\s+(?:is|are)|I)"
    r"|\bhere\s+(?:is|are)\s+(?:the|your|a|some)\s+(?:\w+\s+){0,3}(?:description|copy|title|variants?|bullets?)\s*:"
    r"|作为(?:一个|一名)?(?:AI|人工智能)(?:语言模型|助手|模型)?|我无法|我不能(?:帮助|提供|完成)|"
    r"以下是(?:为您|为你|我)?(?:生成|撰写|编写|创作)的|好的[，,]以下是|抱歉[，,]我",
    re.I | re.M,
)
_TEMPLATE = re.compile(
    r"\{\{[^{}]{0,40}\}\}|\{(?:title|brand|price|product(?:_\w+)?|sku|name|description|category)\}"
    r"|<\|(?:im_start|im_end|endoftext|eot_id|assistant|user|system)\|>|\[/?INST\]|<</?SYS>>|^\s*(?:assistant|user|system):"
    r"|\blorem\s+ipsum\b|\bTODO\b|\bTBD\b|\[(?:insert|product|brand)[^\]]{0,30}\]",
    re.I | re.M,
)


_INSTR_HINTS = (
    "ignore",
    "disregard",
    "forget",
    "override",
    "you are now",
    "instruction",
    "system",
    "jailbreak",
    "prompt",
    "anything now",
    "developer",
    "忽略",
    "无视",
    "提示词",
    "你现在是",
    "新的指令",
)
_CHAT_HINTS = (
    " ai",
    "ai ",
    "artificial",
    "language model",
    "i'm",
    "i am",
    "i cannot",
    "i can't",
    "i can not",
    "sure",
    "certainly",
    "of course",
    "here is",
    "here are",
    "作为",
    "我无法",
    "我不能",
    "以下是",
    "好的",
    "抱歉",
)
_TEMPLATE_HINTS = (
    "{",
    "<|",
    "[inst",
    "[/inst",
    "<<",
    "assistant:",
    "user:",
    "system:",
    "lorem",
    "todo",
    "tbd",
    "[insert",
    "[product",
    "[brand",
)


def check(text: str, ctx: TextContext) -> list[QCResult]:
    low = text.lower()
    out: list[QCResult] = []
    if mentions(low, _INSTR_HINTS):
        out += [INSTRUCTION.hit(m.group(0), m.start(), m.end()) for m in _INSTR.finditer(text)]
    if mentions(low, _CHAT_HINTS):
        out += [CHATTER.hit(m.group(0).strip(), m.start(), m.end()) for m in _CHAT.finditer(text)]
    if mentions(low, _TEMPLATE_HINTS):
        out += [TEMPLATE.hit(m.group(0).strip(), m.start(), m.end()) for m in _TEMPLATE.finditer(text)]
    return out
