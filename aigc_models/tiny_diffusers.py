"""Tiny random-weight diffusers pipelines for tests and demos, built entirely offline.

Same idea as diffusers' own `get_dummy_components()`: one or two layers, width 32, a few steps.
Unlike diffusers' tests, the tokenizers are built here too (a byte-level CLIP BPE vocab written to
vocab.json/merges.txt; a small Unigram model for the T5-style tokenizer Wan uses), so nothing
touches a hub. Both pipelines are saved with `save_pretrained` and must be loaded back through
`from_pretrained`, the same path real weights take.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

TEXT_DIM = 32


def _bytes_to_unicode() -> dict[int, str]:
    """GPT-2/CLIP's reversible byte -> printable-unicode map."""
    bs = (
        list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), 256))
    )
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs], strict=True))


def write_clip_tokenizer(directory: Path) -> Path:
    """A valid CLIP BPE tokenizer: every byte (plain and word-final) plus a few merges."""
    from transformers import CLIPTokenizer

    directory.mkdir(parents=True, exist_ok=True)
    chars = list(_bytes_to_unicode().values())
    merges = ["t h", "th e</w>", "e r", "a n", "i n", "o n</w>", "e d</w>", "s t"]
    vocab: dict[str, int] = {}
    for tok in [*chars, *(c + "</w>" for c in chars), *(m.replace(" ", "") for m in merges)]:
        vocab.setdefault(tok, len(vocab))
    vocab["<|startoftext|>"] = len(vocab)
    vocab["<|endoftext|>"] = len(vocab)
    src = directory / "_src"
    src.mkdir(exist_ok=True)
    (src / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
    (src / "merges.txt").write_text("#version: 0.2\n" + "\n".join(merges) + "\n", encoding="utf-8")
    tok = CLIPTokenizer(str(src / "vocab.json"), str(src / "merges.txt"), model_max_length=77)
    tok.save_pretrained(directory)
    return directory


def write_t5_tokenizer(directory: Path) -> Path:
    """A T5-style (Unigram, </s> eos, <pad> 0) fast tokenizer made with the `tokenizers` library."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    directory.mkdir(parents=True, exist_ok=True)
    pieces = ["<pad>", "</s>", "<unk>"]
    pieces += [f"▁{c}" for c in "abcdefghijklmnopqrstuvwxyz"] + list(
        "abcdefghijklmnopqrstuvwxyz0123456789.,-'"
    )
    vocab = [(p, 0.0 if i < 3 else -float(i)) for i, p in enumerate(pieces)]
    tk = Tokenizer(models.Unigram(vocab, unk_id=2))
    tk.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Lowercase()])
    tk.pre_tokenizer = pre_tokenizers.Metaspace()
    tk.decoder = decoders.Metaspace()
    tk.post_processor = processors.TemplateProcessing(single="$A </s>", special_tokens=[("</s>", 1)])
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tk, pad_token="<pad>", eos_token="</s>", unk_token="<unk>", model_max_length=512
    )
    fast.save_pretrained(directory)
    return directory


def build_image(directory: str | Path) -> Path:
    """Tiny StableDiffusion text-to-image pipeline (loads into AutoPipelineForInpainting via from_pipe)."""
    import torch
    from diffusers import AutoencoderKL, DDIMScheduler, StableDiffusionPipeline, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

    out = Path(directory)
    torch.manual_seed(0)
    unet = UNet2DConditionModel(
        block_out_channels=(32, 64),
        layers_per_block=1,
        sample_size=16,
        in_channels=4,
        out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=TEXT_DIM,
        attention_head_dim=8,
        norm_num_groups=32,
    )
    vae = AutoencoderKL(
        block_out_channels=(32, 32, 32, 32),
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D",) * 4,
        up_block_types=("UpDecoderBlock2D",) * 4,
        latent_channels=4,
        layers_per_block=1,
        norm_num_groups=32,
        sample_size=128,
    )
    with tempfile.TemporaryDirectory() as tmp:
        tokenizer = CLIPTokenizer.from_pretrained(write_clip_tokenizer(Path(tmp)))
    text_encoder = CLIPTextModel(
        CLIPTextConfig(
            bos_token_id=tokenizer.bos_token_id,
            eos_token_id=tokenizer.eos_token_id,
            pad_token_id=tokenizer.pad_token_id,
            hidden_size=TEXT_DIM,
            intermediate_size=37,
            num_attention_heads=4,
            num_hidden_layers=2,
            vocab_size=len(tokenizer),
            max_position_embeddings=77,
        )
    )
    scheduler = DDIMScheduler(
        beta_start=0.00085,
        beta_end=0.012,
        beta_schedule="scaled_linear",
        clip_sample=False,
        set_alpha_to_one=False,
        steps_offset=1,
    )
    pipe = StableDiffusionPipeline(
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        unet=unet,
        scheduler=scheduler,
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    target = out / "tiny-sd"
    pipe.save_pretrained(target)
    return target


def build_video(directory: str | Path, image_to_video: bool = False) -> Path:
    """Tiny WanPipeline (text-to-video): Wan VAE, Wan transformer, a small UMT5 encoder and tokenizer.

    With `image_to_video`, a tiny WanImageToVideoPipeline instead (36 input channels for the
    first-frame condition, plus a tiny CLIP vision encoder and image processor).
    """
    import torch
    from diffusers import (
        AutoencoderKLWan,
        FlowMatchEulerDiscreteScheduler,
        WanPipeline,
        WanTransformer3DModel,
    )
    from transformers import AutoTokenizer, UMT5Config, UMT5EncoderModel

    out = Path(directory)
    torch.manual_seed(0)
    vae = AutoencoderKLWan(
        base_dim=3, z_dim=16, dim_mult=[1, 1, 1, 1], num_res_blocks=1, temperal_downsample=[False, True, True]
    )
    transformer = WanTransformer3DModel(
        patch_size=(1, 2, 2),
        num_attention_heads=2,
        attention_head_dim=12,
        in_channels=36 if image_to_video else 16,
        out_channels=16,
        text_dim=TEXT_DIM,
        image_dim=4 if image_to_video else None,
        freq_dim=256,
        ffn_dim=32,
        num_layers=2,
        cross_attn_norm=True,
        qk_norm="rms_norm_across_heads",
        rope_max_seq_len=32,
    )
    with tempfile.TemporaryDirectory() as tmp:
        tokenizer = AutoTokenizer.from_pretrained(write_t5_tokenizer(Path(tmp)))
    text_encoder = UMT5EncoderModel(
        UMT5Config(
            vocab_size=len(tokenizer),
            d_model=TEXT_DIM,
            d_kv=8,
            d_ff=37,
            num_layers=2,
            num_heads=4,
            relative_attention_num_buckets=8,
            pad_token_id=tokenizer.pad_token_id,
            eos_token_id=tokenizer.eos_token_id,
            decoder_start_token_id=0,
        )
    )
    scheduler = FlowMatchEulerDiscreteScheduler(shift=7.0)
    parts = dict(
        tokenizer=tokenizer, text_encoder=text_encoder, vae=vae, transformer=transformer, scheduler=scheduler
    )
    if image_to_video:
        from diffusers import WanImageToVideoPipeline
        from transformers import CLIPImageProcessor, CLIPVisionConfig, CLIPVisionModel

        encoder = CLIPVisionModel(
            CLIPVisionConfig(
                hidden_size=4,
                num_hidden_layers=2,
                num_attention_heads=2,
                image_size=32,
                intermediate_size=16,
                patch_size=1,
            )
        )
        processor = CLIPImageProcessor(crop_size=32, size=32)
        pipe = WanImageToVideoPipeline(**parts, image_encoder=encoder, image_processor=processor)
        target = out / "tiny-wan-i2v"
        pipe.save_pretrained(target)
        return target
    pipe = WanPipeline(**parts)
    target = out / "tiny-wan"
    pipe.save_pretrained(target)
    return target
