"""The SMTP client (clinic.adapters.mail) against a real SMTP server on loopback: the URL, a message
delivered with its stable Message-ID, and credentials never sent without STARTTLS."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from clinic.adapters.mail import Mailer, smtp_config
from clinic.adapters.settings import SettingsError
from clinic.domain.notify import SendFailed
from clinic.services.alerts import render
from tests.smtp import Inbox, smtp_server


@pytest.fixture
def smtp() -> Iterator[tuple[str, Inbox]]:
    with smtp_server() as server:
        yield server


def test_the_url_names_host_port_security_and_credentials() -> None:
    config = smtp_config("smtp://alerte%40cabinet.fr:s3cr%3At@mail.cabinet.fr:2525", "a@b.fr")
    assert (config.host, config.port, config.security) == ("mail.cabinet.fr", 2525, "starttls")
    assert (config.username, config.password) == ("alerte@cabinet.fr", "s3cr:t")
    assert "s3cr" not in repr(config)
    assert smtp_config("smtps://mail.cabinet.fr", "a@b.fr").port == 465
    assert smtp_config("smtp://mail.cabinet.fr", "a@b.fr").port == 587
    for bad in ("http://mail.cabinet.fr", "smtp://", "smtp://host:port"):
        with pytest.raises(SettingsError):
            smtp_config(bad, "a@b.fr")


async def test_an_alert_is_delivered_with_a_stable_message_id(smtp: tuple[str, Inbox]) -> None:
    url, inbox = smtp
    mailer = Mailer(smtp_config(url, "Assistant <assistant@cabinet.fr>"))
    alert = render("emergency", "3f9a0c1e", 1, "alert:42", "alerte_equipe", "fr")
    assert await mailer.alert("equipe@cabinet.fr", alert) == "<alert-42@cabinet.fr>"
    [mail] = inbox.messages
    assert mail["Message-ID"] == "<alert-42@cabinet.fr>"
    assert mail["Subject"] == "[Cabinet] Urgence signalée (réf. 3f9a0c1e)"
    assert "clinic conversations show 3f9a0c1e" in mail.get_content()


async def test_credentials_are_never_sent_without_starttls(smtp: tuple[str, Inbox]) -> None:
    url, inbox = smtp  # a loopback server that offers no STARTTLS
    with_password = url.replace("smtp://", "smtp://alerte:motdepasse@")
    mailer = Mailer(smtp_config(with_password, "assistant@cabinet.fr"))
    alert = render("handoff", "3f9a0c1e", 1, "alert:7", "alerte_equipe", "fr")
    with pytest.raises(SendFailed) as refused:
        await mailer.alert("equipe@cabinet.fr", alert)
    assert not refused.value.retryable and "STARTTLS" in refused.value.title
    assert inbox.messages == []


async def test_an_unreachable_server_is_retryable() -> None:
    from devtools.stack import free_port

    mailer = Mailer(smtp_config(f"smtp://127.0.0.1:{free_port()}", "a@b.fr", timeout=1.0))
    alert = render("handoff", "3f9a0c1e", 1, "alert:8", "alerte_equipe", "fr")
    with pytest.raises(SendFailed) as failed:
        await mailer.alert("equipe@cabinet.fr", alert)
    assert failed.value.retryable
