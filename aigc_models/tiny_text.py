"""A tiny random-weight causal LM and an offline-trained tokenizer, for tests and demos.

Model weights cannot be downloaded here, so tests build this model from a config (as diffusers'
tests build `get_dummy_components()`), save it with `save_pretrained`, and load it back through
the same `AutoTokenizer` / `AutoModelForCausalLM.from_pretrained(path)` code path real weights use.

A Llama architecture is used on purpose: `AutoTokenizer` on a Qwen2 folder swaps in a different
tokenizer class with different token ids. The tokenizer is a byte-level BPE trained with the
`tokenizers` library on a small in-code corpus (English, Chinese, JSON punctuation), so any text
round-trips and CI never touches a hub. Random weights produce garbage text: tests of this path
assert structure, batching, retries and failure reporting, not prose.
"""

from __future__ import annotations

from pathlib import Path

#: Chat template in the ChatML layout most instruct models use; the generation prompt opens the
#: assistant turn so the model's reply is all that follows it.
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)

SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|pad|>"]

_CORPUS = [
    'You write e-commerce copy. Reply with JSON only: {"title": "...", "description": "...", '
    '"bullets": ["...", "..."]}',
    '{"variants": [{"headline": "Handmade leather strap", "primary_text": "Built to order."}]}',
    '{"pairs": [{"q": "What is it made of?", "a": "English bridle leather."}]}',
    '{"text": "New in the shop", "hashtags": ["#leather", "#handmade"]}',
    "Product: Custom Leather Firefighter Radio Strap. Brand: Rawhide City Leather. Price: 165.00 USD.",
    "Ocean blue cotton shirt with a narrow collar and buttons down the front and long sleeves.",
    "Womens casual varsity top, grey and black buttoned top with an embroidered letter.",
    "Title, description, bullet points, headline, primary text, audience, students, parents.",
    "商品标题：韩国东大门2021秋季新款净版修身气质高腰显瘦毛边小脚牛仔裤",
    "颜色分类：图片色；裤长：长裤；腰型：高腰；适用年龄：18-24周岁；面料：其他",
    "33朵红玫瑰花束鲜花速递全国同城配送北京上海深圳全国花店，品牌：爱花居",
    "请只用JSON回复：标题、描述、卖点、广告标题、广告正文、常见问题、回答。",
    "0123456789 ,.;:!?\"'()[]{}<>-_/#%&*+=@ abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "You are a copywriter for the online shop. Brand voice: friendly, concrete, honest.",
    "Prefer these words where they fit. Never use. Write in English. State only facts given in the product",
    "data: never invent numbers, sizes, materials, colours, certifications or claims. Reply with one JSON",
    "object and nothing else. Product data (the only facts you may use): title, brand, category, price,",
    "sale price, availability, condition, tags, description, options, size, color, weight, dimensions.",
    "Write a marketplace listing. JSON fields: title (at most characters), description, bullets (a list of",
    "bullet points, each at most characters). Example. Write distinct ad variants for an A/B test.",
    "Write one ad for this audience. Write a social media post about this product with hashtags.",
    "Write customer-service questions and answers for a support bot. Answer only from the product data.",
    "Sports & Outdoors, Toys & Games, Home & Kitchen, Clothing, Shoes & Jewelry, Electronics, Beauty,",
    "Arts, Crafts & Sewing, Office Products, Baby, Health & Household, Pet Supplies, Automotive, Tools.",
    "This product is made for kids and adults, with a soft durable design that is easy to use and clean.",
    "Includes one set of pieces, instructions, a storage bag and a gift box; recommended for ages and up.",
    "Shipping weight: pounds; product dimensions: inches; item model number; manufacturer recommended age.",
    "The kit features high quality parts, fun colors, and a compact size that fits in your bag or pocket.",
    "Make sure this fits by entering your model number. Great for birthday, holiday and party gifts.",
    "ounces, pounds, inches, centimeters, pack, pieces, count, set of, with, from, for, and, the, your, our",
    "请只用JSON回复。你是网店的文案。品牌语气。只写商品数据里给出的事实：不得编造数字、尺寸、材质、颜色。",
    "写一份电商平台商品详情。写互不相同的广告文案。为这一人群写一条广告。写一条社交媒体帖子。为客服机器人写问答。",
]


def build_tokenizer(vocab_size: int = 2048):
    """Train a byte-level BPE tokenizer on the in-code corpus and wrap it for transformers."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE(unk_token=None))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(_CORPUS * 4, trainer=trainer)
    wrapped = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token="<|im_start|>",
        eos_token="<|im_end|>",
        pad_token="<|pad|>",
        unk_token="<|endoftext|>",
        padding_side="left",
    )
    wrapped.chat_template = CHAT_TEMPLATE
    return wrapped


def build_model(vocab_size: int, *, hidden_size: int = 16, layers: int = 2, heads: int = 1, seed: int = 0):
    """A Llama causal LM small enough that CPU generation is dominated by per-step overhead.

    One attention head of width 16: on CPU, many narrow heads cost far more per token than their
    arithmetic (kernel overhead), which would bury the batching effect the benchmark measures.
    """
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(
        vocab_size=vocab_size,
        hidden_size=hidden_size,
        intermediate_size=hidden_size * 2,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        num_key_value_heads=heads,
        max_position_embeddings=4096,
        tie_word_embeddings=True,
    )
    torch.manual_seed(seed)
    return LlamaForCausalLM(config)


def build(directory: str | Path, *, seed: int = 0, hidden_size: int = 16, layers: int = 2) -> Path:
    """Build, save and return the folder of a tiny causal LM loadable with `from_pretrained(folder)`."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    tokenizer = build_tokenizer()
    model = build_model(len(tokenizer), hidden_size=hidden_size, layers=layers, seed=seed)
    model.config.bos_token_id = tokenizer.bos_token_id
    model.config.eos_token_id = tokenizer.eos_token_id
    model.config.pad_token_id = tokenizer.pad_token_id
    model.generation_config.bos_token_id = tokenizer.bos_token_id
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    tokenizer.save_pretrained(out)
    model.save_pretrained(out)
    return out
