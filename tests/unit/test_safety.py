"""The red-flag safety net: emergencies the NLU might miss, and ordinary requests it must not flag."""

from __future__ import annotations

import pytest

from clinic.safety import is_red_flag


@pytest.mark.parametrize(
    "text",
    [
        "mon père a fait un malaise",
        "MA MERE EST INCONSCIENTE",
        "il ne respire plus",
        "jarrive plus a respirer",
        "elle s'étouffe",
        "j'ai une grosse douleur dans la poitrine",
        "mal à la poitrine depuis 1h",
        "je crois qu'il fait un AVC, il parle bizarrement",
        "mon fils a fait une convulsion",
        "ça saigne énormément",
        "j'ai envie d'en finir",
        "elle a avalé des médicaments",
        "choc allergique, sa gorge gonfle",
        "mon bébé devient bleu",
        "ma grand-mère est tombée et ne se relève pas",
        "il s'est évanoui",
    ],
)
def test_vital_signs_are_red_flags(text: str) -> None:
    assert is_red_flag(text)


@pytest.mark.parametrize(
    "text",
    [
        "je voudrais un rdv urgent pour un renouvellement",
        "j'ai mal à la gorge depuis 3 jours",
        "rdv pour ma prise de sang",
        "bonjour, un vaccin jeudi aprem svp",
        "je voudrais annuler mon rendez-vous",
        "mon fils tousse beaucoup",
        "est-ce que je peux prendre du doliprane ?",
    ],
)
def test_ordinary_requests_are_not(text: str) -> None:
    assert not is_red_flag(text)
