"""Which messages are plainly not French (clinic.domain.safety.language), measured on the
assistant's own French examples: none of them may get the foreign line."""

from __future__ import annotations

import pytest

from clinic.domain.safety import classifier, language


@pytest.fixture(scope="module", autouse=True)
def loaded() -> None:
    language.load()


@pytest.mark.parametrize(
    "text",
    [
        "babam nefes alamiyor, dudaklari morardi, ne yapalim",  # Turkish
        "am o durere puternica in piept de o ora",  # Romanian
        "mi hija no puede respirar bien desde anoche",  # Spanish
        "mio padre non riesce a parlare bene da stamattina",  # Italian
        "meu filho caiu da escada e nao se mexe",  # Portuguese
        "my dad can't breathe properly since this morning",  # English
        "بابا ما كيتنفسش مزيان من الصباح، عافاكم عاونوني",  # darija in Arabic script
        "slm dr, mama 3ndha s5ana men lbare7 w ma kat9der tnod",  # darija in Latin letters
    ],
)
def test_other_languages_are_foreign(text: str) -> None:
    assert language.is_foreign(text)


@pytest.mark.parametrize(
    "text",
    [
        "bjr jvoudrais 1 rdv demain aprem svp",
        "jsuis malade g mal o ventre",
        "annul rdv dem1",
        "ok merci",  # too short to tell
        "babam nefes alamiyor",  # too: the red-flag patterns read this one
        "rdv le 3eme mardi du mois a 7h30 svp merci beaucoup",  # an ordinal and an hour
        "non non merci",
        "rdv jeudi aprem pour renouvellement ordonnance",
        "Bonjour docteur, my son a de la fièvre depuis hier, un rdv svp",  # mostly French
        # names, given when asked « À quel nom ? »
        "Kevin Da Silva Santos",
        "Maria Fernanda Da Silva Pereira",
        "Ion Popescu Ionescu",
        "Mehmet Yilmaz Öztürk",
        "josé manuel garcía lópez",
    ],
)
def test_patient_french_is_not(text: str) -> None:
    assert not language.is_foreign(text)


def test_no_example_of_the_assistant_s_french_is_foreign() -> None:
    """The 1,500 examples of data/nlu, as patients write them: SMS, no accents, short."""
    examples = classifier.nlu_examples()
    assert len(examples) > 1000
    assert [text for text in examples if language.is_foreign(text)] == []
