"""Red flags: words that mean « call the 15 now », whatever the statistical NLU thinks.

The intent classifier learns emergencies from examples and, like any model, can miss one phrased
in a new way. These patterns are a safety net under it: a message that names a vital sign of
distress (fainting, not breathing, chest pain, stroke signs, heavy bleeding, suicidal words…) is
an emergency. Over-triggering costs one extra « appelez le 15 »; missing one can cost a life.
"""

from __future__ import annotations

import re

from clinic.french import fold

_PATTERNS = (
    r"malaise",
    r"inconscien",
    r"perdu connaissance|perd connaissance|evanoui|s'?est effondre",
    r"(?:ne|n') ?respire (?:plus|pas|mal|tres mal)|(?:du mal|arrive (?:plus|pas)) a respirer",
    r"etouff",
    r"(?:douleur|mal|serre)\w* (?:\w+ ){0,3}(?:a|dans) la poitrine|douleur thoracique",
    r"crise cardiaque|infarctus|arret cardiaque",
    r"\bavc\b|paralys|visage (?:de travers|tombe)|parle bizarrement",
    r"convuls",
    r"saign\w* (?:beaucoup|enormement|abondamment|sans arret)|hemorragie|sang partout",
    r"suicid|me tuer|me suicider|(?:envie de|veux) mourir|en finir",
    r"avale (?:\w+ ){0,2}(?:medicaments|comprimes|cachets|produit)|overdose|intoxiqu",
    r"choc allergique|reaction allergique grave|(?:gorge|visage|langue) (?:qui )?gonfle",
    r"devient bleu|levres bleues",
    r"ne se releve pas|ne bouge plus|ne reagit plus",
)
_RED_FLAG = re.compile("|".join(f"(?:{p})" for p in _PATTERNS))


def is_red_flag(text: str) -> bool:
    """True when `text` names a sign of a vital emergency (accents, case and SMS style ignored)."""
    return bool(_RED_FLAG.search(fold(text).replace("’", "'")))
