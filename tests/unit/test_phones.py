"""Numbers as staff type them, read as WhatsApp ids (the console's search)."""

from __future__ import annotations

import pytest

from clinic.domain import phones


@pytest.mark.parametrize(
    ("typed", "wa_id"),
    [
        ("06 12 34 56 78", "33612345678"),
        ("06.12.34.56.78", "33612345678"),
        ("06-12-34-56-78", "33612345678"),
        ("+33 6 12 34 56 78", "33612345678"),
        ("+33 (0)6 12 34 56 78".replace("(0)", ""), "33612345678"),
        ("0033 6 12 34 56 78", "33612345678"),
        ("+44 7700 900123", "447700900123"),
        ("33612345678", "33612345678"),
    ],
)
def test_typed_numbers_are_whatsapp_ids(typed: str, wa_id: str) -> None:
    assert phones.whatsapp_id(typed) == wa_id


@pytest.mark.parametrize("typed", ["Dupont", "3f9a0c1e", "06 12", "", "+33 6 12 34 56 78 90 12 34"])
def test_what_is_not_a_number(typed: str) -> None:
    assert phones.whatsapp_id(typed) is None


def test_display_and_tel() -> None:
    assert phones.display("33612345678") == "+33 6 12 34 56 78"
    assert phones.display("447700900123") == "+447700900123"
    assert phones.tel("33612345678") == "tel:+33612345678"
