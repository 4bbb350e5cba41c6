from pathlib import Path

import pytest

from clinic.adapters.settings import DEFAULT_DATABASE_URL, Settings, SettingsError


def test_defaults_run_with_no_configuration_at_all() -> None:
    settings = Settings.from_env({})
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.calendar_backend == "local"
    assert settings.duckling_url == "http://localhost:8000"
    assert settings.whatsapp_api_url == "https://graph.facebook.com/v21.0"
    assert settings.whatsapp_enabled is False
    assert settings.practice_config == Path("practice.yml")


def test_rasa_endpoints_read_the_same_database_variable() -> None:
    endpoints = (Path(__file__).parents[2] / "endpoints.yml").read_text()
    assert "${DATABASE_URL}" in endpoints  # endpoints read the same variable the core reads


def test_values_are_read_and_normalised() -> None:
    settings = Settings.from_env(
        {
            "DATABASE_URL": "postgresql://127.0.0.1:5432/test",
            "CALENDAR_BACKEND": "GOOGLE",
            "GOOGLE_CALENDAR_ID": "cal@group.calendar.google.com",
            "GOOGLE_APPLICATION_CREDENTIALS": "/secrets/key.json",
            "WHATSAPP_API_URL": "http://127.0.0.1:9999/v21.0/",
            "DUCKLING_URL": "http://duckling:8000/",
            "LOG_FORMAT": "JSON",
            "WHATSAPP_VERIFY_TOKEN": "v",
            "WHATSAPP_APP_SECRET": "s",
            "WHATSAPP_ACCESS_TOKEN": "t",
            "WHATSAPP_PHONE_NUMBER_ID": "123",
        }
    )
    assert settings.calendar_backend == "google"
    assert settings.whatsapp_api_url == "http://127.0.0.1:9999/v21.0"
    assert settings.duckling_url == "http://duckling:8000"
    assert settings.log_format == "json"
    assert settings.whatsapp_enabled is True


def test_secrets_stay_out_of_repr() -> None:
    text = repr(Settings.from_env({"WHATSAPP_APP_SECRET": "s3cr3t", "RASA_AUTH_TOKEN": "tok3n"}))
    assert "s3cr3t" not in text and "tok3n" not in text


def test_empty_values_count_as_unset() -> None:
    assert Settings.from_env({"DATABASE_URL": "", "LOG_FORMAT": ""}).log_format == "text"


@pytest.mark.parametrize(
    ("env", "names"),
    [
        ({"CALENDAR_BACKEND": "outlook"}, "CALENDAR_BACKEND"),
        ({"CALENDAR_BACKEND": "google"}, "GOOGLE_CALENDAR_ID, GOOGLE_APPLICATION_CREDENTIALS"),
        ({"LOG_FORMAT": "xml"}, "LOG_FORMAT"),
        ({"DATABASE_URL": "var/clinic.db"}, "DATABASE_URL"),
    ],
)
def test_bad_values_fail_fast_naming_the_variable(env: dict, names: str) -> None:
    with pytest.raises(SettingsError, match=names):
        Settings.from_env(env)
