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


def test_sending_needs_the_access_token_and_the_number_only() -> None:
    """The worker is given Meta's sending credentials alone: it sends, and sending to Meta's
    real API makes it production, as the channel with every credential is."""
    sending = {"WHATSAPP_ACCESS_TOKEN": "t", "WHATSAPP_PHONE_NUMBER_ID": "123"}
    settings = Settings.from_env(sending)
    assert settings.whatsapp_sends is True and settings.whatsapp_enabled is False
    assert settings.production is True  # graph.facebook.com: real patients
    local = Settings.from_env({**sending, "WHATSAPP_API_URL": "http://127.0.0.1:8090/v21.0"})
    assert local.production is False
    assert Settings.from_env({"WHATSAPP_ACCESS_TOKEN": "t"}).whatsapp_sends is False


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


# --- the console's own secret and allow-list (only the console checks them) -----------------------

CONSOLE_KEY = "c" * 16 + "onsole-session-key-0123"  # 39 characters
PRODUCTION = {"CLINIC_ENV": "production", "PATIENT_ID_KEY": "p" * 32}


def test_the_console_needs_its_own_key_and_an_allow_list_in_production() -> None:
    bare = Settings.from_env(PRODUCTION)  # every other process starts without them
    with pytest.raises(SettingsError, match="CONSOLE_SESSION_KEY .*required in production"):
        bare.validate_console()
    keyed = Settings.from_env({**PRODUCTION, "CONSOLE_SESSION_KEY": CONSOLE_KEY})
    with pytest.raises(SettingsError, match="CONSOLE_ALLOW is required in production"):
        keyed.validate_console()
    for allow in ("203.0.113.10/32 2001:db8::/32", "10.0.0.0/8,192.168.0.0/16", "public"):
        settings = Settings.from_env(
            {**PRODUCTION, "CONSOLE_SESSION_KEY": CONSOLE_KEY, "CONSOLE_ALLOW": allow}
        )
        settings.validate_console()
        assert settings.console_allow == allow


def test_in_development_the_console_starts_without_them() -> None:
    Settings.from_env({}).validate_console()


def test_the_console_key_is_read_from_its_file(tmp_path: Path) -> None:
    (tmp_path / "console_session_key").write_text(CONSOLE_KEY + "\n")
    env = {**PRODUCTION, "CONSOLE_SESSION_KEY_FILE": str(tmp_path / "console_session_key")}
    settings = Settings.from_env({**env, "CONSOLE_ALLOW": "public"})
    assert settings.console_session_key == CONSOLE_KEY
    settings.validate_console()
    assert CONSOLE_KEY not in repr(settings)
    with pytest.raises(SettingsError, match="not both"):
        Settings.from_env({**env, "CONSOLE_SESSION_KEY": "another" * 8})


@pytest.mark.parametrize(
    ("env", "error"),
    [
        ({"CONSOLE_SESSION_KEY": "x" * 31}, "at least 32 characters"),
        (
            {"CONSOLE_SESSION_KEY": "p" * 32, "PATIENT_ID_KEY": "p" * 32},
            "must not be PATIENT_ID_KEY",
        ),
    ],
)
def test_a_short_console_key_or_the_application_key_is_refused(env: dict, error: str) -> None:
    with pytest.raises(SettingsError, match=error):
        Settings.from_env(env)
    with pytest.raises(SettingsError, match=error):
        Settings.from_env({**env, "CLINIC_ENV": "production"})


@pytest.mark.parametrize("allow", ["public 10.0.0.0/8", "10.0.0.0/33", "cabinet.fr", " , "])
def test_a_misspelt_allow_list_stops_the_console(allow: str) -> None:
    settings = Settings.from_env({"CONSOLE_ALLOW": allow})
    with pytest.raises(SettingsError, match="CONSOLE_ALLOW"):
        settings.validate_console()
