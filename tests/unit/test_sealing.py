"""The data key (clinic.adapters.sealing): from outside the database, rotated by order, required with
PATIENT_ID_KEY in production; a development key file generated once."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from clinic.adapters.sealing import UNREADABLE, Sealer, data_sealer
from clinic.adapters.settings import Settings, SettingsError
from clinic.app.wiring import build_services
from tests.conftest import ROOT


def test_sealed_values_open_with_any_listed_key_and_seal_with_the_first() -> None:
    old = Sealer(["old-key-0123456789abcdef"])
    token = old.seal("Zoé Vasseur, 0612345678")
    assert "Zoé" not in token and old.open(token) == "Zoé Vasseur, 0612345678"
    rotated = Sealer(["new-key-0123456789abcdef", "old-key-0123456789abcdef"])
    assert rotated.open(token) == "Zoé Vasseur, 0612345678"
    assert Sealer(["new-key-0123456789abcdef"]).open(rotated.reseal(token)).startswith("Zoé")
    assert Sealer(["another-key-0123456789"]).open(token) == UNREADABLE
    with pytest.raises(SettingsError):
        Sealer(["short"])


def test_a_development_key_file_is_made_once_and_private(tmp_path: Path) -> None:
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        first = data_sealer(Settings())
        token = first.seal("x")
        assert data_sealer(Settings()).open(token) == "x"  # the same key, read back
        assert (tmp_path / "var" / "data_encryption_key").stat().st_mode & 0o777 == 0o600
    finally:
        os.chdir(cwd)
    key_file = tmp_path / "key"
    key_file.write_text("file-key-0123456789abcdef\n")
    sealed = data_sealer(Settings(data_encryption_key_file=key_file)).seal("y")
    assert Sealer(["file-key-0123456789abcdef"]).open(sealed) == "y"


@pytest.mark.parametrize(
    ("missing", "variables"),
    [
        ("PATIENT_ID_KEY", {"data_encryption_key": "d" * 32}),
        ("DATA_ENCRYPTION_KEY", {"patient_id_key": "p" * 32}),
    ],
)
def test_production_refuses_keys_kept_with_the_data(
    tmp_path: Path, missing: str, variables: dict[str, str]
) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'db.sqlite'}", clinic_env="production", **variables
    )
    practice = ROOT / "tests" / "fixtures" / "practice.yml"
    from clinic.domain.practice import load_practice

    with pytest.raises(SettingsError, match=missing):
        build_services(settings, load_practice(practice))
    both = Settings(
        database_url=settings.database_url,
        clinic_env="production",
        patient_id_key="p" * 32,
        data_encryption_key="d" * 32,
    )
    build_services(both, load_practice(practice)).database.dispose()


def test_real_meta_credentials_mean_production() -> None:
    meta = Settings(
        whatsapp_verify_token="v", whatsapp_app_secret="s", whatsapp_access_token="t",
        whatsapp_phone_number_id="1",
    )  # fmt: skip
    assert meta.production
    assert not Settings(
        **{**meta.__dict__, "whatsapp_api_url": "http://127.0.0.1:8090/v21.0"}
    ).production
    assert Settings.from_env({"CLINIC_ENV": "production"}).production
    with pytest.raises(SettingsError):
        Settings.from_env({"CLINIC_ENV": "prod"})
