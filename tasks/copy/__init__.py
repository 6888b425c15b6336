"""Copy generation: listings, ad copy, audience ads, social posts and FAQs from catalog products."""

from tasks.copy.generate import CopyBatchResult, CopyFailure, copy_fingerprint, generate_copy

__all__ = ["CopyBatchResult", "CopyFailure", "copy_fingerprint", "generate_copy"]
