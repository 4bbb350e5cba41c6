from pathlib import Path

import pytest

from clinic.practice import PracticeConfigError, load_practice

ROOT = Path(__file__).parents[2]


def test_the_shipped_practice_file_is_valid() -> None:
    practice = load_practice(ROOT / "practice.yml")
    assert practice.name and practice.address and practice.phone
    assert practice.tz.key == "Europe/Paris"


@pytest.mark.parametrize(
    ("content", "field"),
    [
        ("practice:\n  name: X\n  address: Y\n", "practice.phone"),
        ("practice:\n  name: ''\n  address: Y\n  phone: Z\n", "practice.name"),
        ("practice:\n  name: X\n  address: Y\n  phone: Z\n  adress: typo\n", "practice.adress"),
        ("practice:\n  name: X\n  address: Y\n  phone: Z\n  timezone: Mars/Base\n", "timezone"),
        ("name: X\n", "practice"),
        ("practice: [unclosed\n", "line"),
    ],
)
def test_a_mistake_names_the_field_in_french_and_english(
    tmp_path: Path, content: str, field: str
) -> None:
    path = tmp_path / "practice.yml"
    path.write_text(content)
    with pytest.raises(PracticeConfigError) as error:
        load_practice(path)
    message = str(error.value)
    assert field in message and " / " in message and "\n" not in message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PracticeConfigError, match="introuvable"):
        load_practice(tmp_path / "nope.yml")
