"""Every secret can come from a file (`NAME_FILE`): compose and Kubernetes secrets."""

from __future__ import annotations

from pathlib import Path

import pytest

from clinic.adapters.settings import (
    OPTIONAL_SECRET_FILES,
    SECRET_FILES,
    Settings,
    SettingsError,
    secrets_from_files,
)


def test_a_secret_is_read_from_its_file(tmp_path: Path) -> None:
    (tmp_path / "secret").write_text("s3cr3t-app-secret\n")
    env = {"WHATSAPP_APP_SECRET_FILE": str(tmp_path / "secret")}
    secrets_from_files(env)
    assert env["WHATSAPP_APP_SECRET"] == "s3cr3t-app-secret"  # as Rasa's ${VAR} will read it
    settings = Settings.from_env({"PATIENT_ID_KEY_FILE": str(tmp_path / "secret")})
    assert settings.patient_id_key == "s3cr3t-app-secret"


@pytest.mark.parametrize(
    ("content", "both", "error"),
    [
        (None, False, "No such file"),
        ("", False, "is empty"),
        ("value", True, "not both"),
    ],
)
def test_a_missing_empty_or_doubled_secret_file_is_refused(
    tmp_path: Path, content: str | None, both: bool, error: str
) -> None:
    path = tmp_path / "token"
    if content is not None:
        path.write_text(content)
    env = {"RASA_AUTH_TOKEN_FILE": str(path)}
    if both:
        env["RASA_AUTH_TOKEN"] = "other"
    with pytest.raises(SettingsError, match=error):
        secrets_from_files(env)


def test_an_empty_smtp_file_means_no_mail_server(tmp_path: Path) -> None:
    """A compose secret's file must exist: an empty `smtp_url` says « no mail server ». Only
    SMTP_URL may be empty; every other secret's empty file is still refused."""
    assert OPTIONAL_SECRET_FILES == ("SMTP_URL",)
    (tmp_path / "smtp_url").write_text("\n")
    assert Settings.from_env({"SMTP_URL_FILE": str(tmp_path / "smtp_url")}).smtp_url is None
    with pytest.raises(SettingsError, match="not both"):
        secrets_from_files({"SMTP_URL_FILE": str(tmp_path / "smtp_url"), "SMTP_URL": "smtp://h"})
    (tmp_path / "smtp_url").write_text("smtp://alerts:pw@mail.example:587\n")
    settings = Settings.from_env({"SMTP_URL_FILE": str(tmp_path / "smtp_url")})
    assert settings.smtp_url == "smtp://alerts:pw@mail.example:587"


def test_every_secret_of_the_readme_has_a_file_form() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    assert "`NAME_FILE`" in readme
    for name in SECRET_FILES:
        assert f"`{name}`" in readme, name


def test_a_token_beginning_with_a_dash_reaches_rasa_intact() -> None:
    """Rasa's own parser: « --auth-token -x… » fails (it happened in CI), one word does not."""
    from rasa.__main__ import create_argument_parser

    from connectors.launch import auth_token_argument

    token = "-Hb2xq9_secret"
    parsed = create_argument_parser().parse_args(
        ["run", "--enable-api", auth_token_argument(token)]
    )
    assert parsed.auth_token == token
    with pytest.raises(SystemExit):
        create_argument_parser().parse_args(["run", "--enable-api", "--auth-token", token])


def test_the_console_session_key_has_its_file_form(tmp_path: Path) -> None:
    """Compose and Kubernetes mount the console's key as a file (the console alone)."""
    assert "CONSOLE_SESSION_KEY" in SECRET_FILES
    (tmp_path / "console_session_key").write_text("k" * 48 + "\n")
    env = {"CONSOLE_SESSION_KEY_FILE": str(tmp_path / "console_session_key")}
    assert Settings.from_env(env).console_session_key == "k" * 48
    (tmp_path / "short").write_text("k" * 31)
    with pytest.raises(SettingsError, match="CONSOLE_SESSION_KEY must be at least 32"):
        Settings.from_env({"CONSOLE_SESSION_KEY_FILE": str(tmp_path / "short")})
