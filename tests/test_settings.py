"""Settings precedence: explicit overrides > environment > TOML file > defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from tasks.errors import ConfigError
from tasks.settings import load_settings


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch, tmp_path):
    for var in ("AIGC_STORAGE_URI", "AIGC_TEXT_MODEL", "AIGC_CONFIG", "AIGC_BATCH_SIZE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)


def _toml(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "aigc.toml"
    p.write_text(text)
    return p


def test_defaults():
    s = load_settings()
    assert s.storage.uri == "file://./aigc-data"
    assert s.models.text_model is None
    assert "google_merchant" in s.content.channels


def test_toml_then_env_then_override(tmp_path, monkeypatch):
    cfg = _toml(
        tmp_path,
        '[storage]\nuri = "s3://from-toml/p"\n[models]\nbatch_size = 4\n'
        'text_model = "toml/model"\n[content]\nlanguages = ["en", "zh"]\n',
    )
    s = load_settings(cfg)
    assert (s.storage.uri, s.models.batch_size, s.models.text_model) == ("s3://from-toml/p", 4, "toml/model")
    assert s.content.languages == ["en", "zh"]
    monkeypatch.setenv("AIGC_STORAGE_URI", "file:///from-env")
    monkeypatch.setenv("AIGC_TEXT_MODEL", "env/model")
    s = load_settings(cfg)
    assert s.storage.uri == "file:///from-env" and s.models.text_model == "env/model"
    assert s.models.batch_size == 4  # untouched by env: TOML still applies
    s = load_settings(cfg, storage={"uri": "file:///explicit"})
    assert s.storage.uri == "file:///explicit"


def test_local_aigc_toml_found_automatically(tmp_path):
    _toml(tmp_path, "[models]\nseed = 7\n")
    assert load_settings().models.seed == 7


def test_invalid_values_are_named():
    with pytest.raises(ConfigError, match="must start with file:// or s3://"):
        load_settings(storage={"uri": "ftp://x"})
    with pytest.raises(ConfigError, match="batch_size"):
        load_settings(models={"batch_size": 0})


def test_bad_toml_and_unknown_section(tmp_path):
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(_toml(tmp_path, "[storage\n"))
    with pytest.raises(ConfigError, match="unknown section"):
        load_settings(_toml(tmp_path, "[storrage]\nuri='x'\n"))
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "missing.toml")


def test_secrets_never_in_settings(monkeypatch):
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "s3cr3t-value")
    dumped = load_settings().model_dump_json()
    assert "s3cr3t-value" not in dumped
