"""Versioned prompt template files (`copy_v1.toml`, ...), loaded by the stages that use them."""
