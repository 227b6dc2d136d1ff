"""Settings: environment variables, validation, and a README table that documents every field."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from embedding_projector.settings import Settings

README = Path(__file__).resolve().parents[1] / "README.md"


def test_every_setting_is_documented_in_readme() -> None:
    text = README.read_text()
    for name, field in Settings.model_fields.items():
        assert field.description, f"{name} has no description"
        assert f"`PROJECTOR_{name.upper()}`" in text, f"README does not document PROJECTOR_{name.upper()}"


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PROJECTOR_PORT", "9123")
    monkeypatch.setenv("PROJECTOR_DATA_DIR", str(tmp_path / "d"))
    monkeypatch.setenv("PROJECTOR_EXAMPLES", "false")
    settings = Settings()
    assert settings.port == 9123 and settings.data_dir == tmp_path / "d" and settings.examples is False


@pytest.mark.parametrize("field", [{"port": -1}, {"port": 65536}, {"workers": 0}, {"max_upload_bytes": 10}, {"trusted_proxies": "10.0.0.1, proxy.local"}, {"neighbor_cache": -1}])
def test_unsafe_values_are_refused(field: dict) -> None:
    with pytest.raises(ValidationError):
        Settings(**field)
