"""Rasa's patches (connectors.patches): installed by the launcher, only there, and only on the
Rasa they were written for."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from rasa.core.actions.action import RemoteAction

from connectors import patches

ROOT = Path(__file__).resolve().parents[2]


def test_the_patched_methods_still_have_the_installed_rasas_signatures() -> None:
    assert patches.mismatches() == []


def test_a_rasa_that_changed_a_patched_method_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    key = (RemoteAction, "_validate_action_result")
    monkeypatch.setitem(patches.EXPECTED, key, ("self", "response"))
    with pytest.raises(
        RuntimeError, match=r"RemoteAction._validate_action_result\('self', 'result'\)"
    ):
        patches.install()


PROBE = """
import runpy, sys
from connectors import launch
runpy.run_module = lambda *args, **kwargs: None  # Rasa itself does not start
launch.main(sys.argv[1:])
from rasa.core.processor import MessageProcessor
from rasa.core.actions.action import RemoteAction
from rasa.server import requires_auth
from sanic.http import Http
print(getattr(MessageProcessor.parse_message, "observed", False),
      getattr(RemoteAction._validate_action_result, "compiled", False),
      getattr(requires_auth, "constant_time", False),
      getattr(Http.error_response, "answers_odd_urls", False))
"""


@pytest.mark.parametrize(
    ("command", "patched"),
    [
        ("run", "True True True True"),
        ("shell", "True True True True"),
        ("train", "False False False False"),
    ],
)
def test_the_launcher_installs_them_for_a_rasa_that_serves_turns(
    command: str, patched: str
) -> None:
    probe = subprocess.run(
        [sys.executable, "-c", PROBE, "rasa", command],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert probe.returncode == 0, probe.stderr[-2000:]
    assert probe.stdout.strip().splitlines()[-1] == patched


def test_constructing_the_whatsapp_channel_patches_nothing() -> None:
    probe = subprocess.run(
        [sys.executable, "-c", "from connectors.whatsapp import WhatsAppInput as W\n"
         "from clinic.adapters.settings import Settings\n"
         "W(Settings.from_env({'WHATSAPP_APP_SECRET': 's', 'WHATSAPP_VERIFY_TOKEN': 'v',\n"
         "'WHATSAPP_ACCESS_TOKEN': 'a', 'WHATSAPP_PHONE_NUMBER_ID': '1'}))\n"
         "from rasa.core.processor import MessageProcessor as M\n"
         "print(getattr(M.parse_message, 'observed', False))"],
        cwd=ROOT, capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    assert probe.stdout.strip().splitlines()[-1] == "False", probe.stderr[-2000:]
