import io
import json
import logging
import subprocess
import sys

import pytest

from clinic.adapters.logs import (
    EMAIL_MASK,
    PHONE_MASK,
    JsonFormatter,
    MaskingFilter,
    TextFormatter,
    configure_logging,
    mask,
)


@pytest.mark.parametrize(
    "text",
    [
        "06 12 34 56 78",
        "0612345678",
        "06.12.34.56.78",
        "06-12-34-56-78",
        "+33 6 12 34 56 78",
        "+33612345678",
        "0033 6 12 34 56 78",
        "+1 (415) 555-2671",
        "33612345678",  # a WhatsApp wa_id
        "16505551234",
    ],
)
def test_phone_numbers_are_masked(text: str) -> None:
    masked = mask(f"patient {text} a écrit")
    assert masked == f"patient {PHONE_MASK} a écrit"


@pytest.mark.parametrize(
    "text", ["jean.dupont@example.fr", "j+rdv@mail.example.com", "Marie_L@orange.fr"]
)
def test_emails_are_masked(text: str) -> None:
    assert mask(f"contact: {text}.") == f"contact: {EMAIL_MASK}."


@pytest.mark.parametrize(
    "text",
    [
        "slot 2026-12-03T14:00:00+01:00",
        "took 1234 ms on port 5005",
        "appointment 42 moved",
        "score 0.12345678901234",
        "uuid 550e8400-e29b-41d4-a716-446655440000",
        "unix time 1764000000",
        "sender 3f2a9c0b1d4e5f60718293a4b5c6d7e8",
    ],
)
def test_ordinary_numbers_are_kept(text: str) -> None:
    assert mask(text) == text


def _record(msg: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord("t", logging.INFO, __file__, 1, msg, args, None)


def test_filter_masks_arguments_and_keeps_the_record() -> None:
    record = _record("message from %s (%s)", "+33612345678", "a@b.fr")
    assert MaskingFilter().filter(record) is True
    assert record.getMessage() == f"message from {PHONE_MASK} ({EMAIL_MASK})"


def test_text_formatter_masks_tracebacks() -> None:
    try:
        raise ValueError("bad number 06 12 34 56 78")
    except ValueError:
        record = logging.LogRecord("t", logging.ERROR, __file__, 1, "failed", None, sys.exc_info())
    line = TextFormatter().format(record)
    assert "06 12 34 56 78" not in line and PHONE_MASK in line and "ValueError" in line


def test_json_formatter_emits_one_masked_object_with_extras() -> None:
    record = _record("booked for %s", "0612345678")
    record.trace_id = "wamid.ABC"
    record.email = "x@y.fr"
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == f"booked for {PHONE_MASK}"
    assert entry["trace_id"] == "wamid.ABC"
    assert entry["email"] == EMAIL_MASK
    assert entry["level"] == "INFO" and entry["logger"] == "t"


def test_every_record_is_masked_even_on_a_foreign_handler() -> None:
    """A handler added by a library (no filter of ours) still sees masked records."""
    configure_logging("text", "INFO")
    stream = io.StringIO()
    foreign = logging.StreamHandler(stream)
    logger = logging.getLogger("some.library")
    logger.addHandler(foreign)
    try:
        logger.warning("user %s wrote from %s", "jean@example.fr", "+33 6 12 34 56 78")
    finally:
        logger.removeHandler(foreign)
    assert stream.getvalue().strip() == f"user {EMAIL_MASK} wrote from {PHONE_MASK}"


def test_launcher_keeps_masking_when_a_library_installs_coloredlogs(tmp_path) -> None:
    """Rasa calls coloredlogs.install(); through the launcher its output stays ours and masked."""
    (tmp_path / "noisy.py").write_text(
        "import coloredlogs, logging\n"
        "coloredlogs.install(level='INFO')\n"
        "logging.getLogger('rasa.core').info('message from %s', '+33612345678')\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "connectors.launch", "noisy"],
        cwd=tmp_path,
        env={"PYTHONPATH": str(tmp_path), "LOG_FORMAT": "json", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    assert [entry["message"] for entry in lines] == [f"message from {PHONE_MASK}"]
    assert "+33612345678" not in result.stderr + result.stdout


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("écrit par 33612345678.", f"écrit par {PHONE_MASK}."),  # at a sentence's end
        ("wa_id:33612345678 reçu", f"wa_id:{PHONE_MASK} reçu"),
        ("GET /conversations/33612345678/tracker", f"GET /conversations/{PHONE_MASK}/tracker"),
        ("tél 33 6 12 34 56 78 !", f"tél {PHONE_MASK} !"),
        ("tél 0612 345 678 !", f"tél {PHONE_MASK} !"),
        ("tél 06 123 456 78", f"tél {PHONE_MASK}"),
    ],
)
def test_the_forms_the_audit_found_are_masked(text: str, expected: str) -> None:
    assert mask(text) == expected


def test_the_masking_stream_masks_lines_split_across_writes() -> None:
    from clinic.adapters.logs import MaskingStream

    target = io.StringIO()
    stream = MaskingStream(target)
    stream.write("le patient 06 12 ")  # a number cut in two writes is held until the line ends
    assert target.getvalue() == ""
    stream.write("34 56 78 écrit\rprogress 50%\nfin sans retour 0612345678")
    assert target.getvalue() == f"le patient {PHONE_MASK} écrit\rprogress 50%\n"
    stream.close_pending()
    assert target.getvalue().endswith(f"fin sans retour {PHONE_MASK}")
