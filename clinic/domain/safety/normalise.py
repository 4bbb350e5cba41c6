"""Patients' French made regular before the red-flag patterns read it.

Lower case, no accents, no apostrophes (« n'arrive » and « n arrive » read alike), letters
stretched for emphasis cut back (« aideeeez »), and the SMS spellings people type in a hurry
spelt out (« jarrive pa a respiré » -> « j arrive pas a respire »). The message is cut into
sentences, then clauses: negation and hypotheses only reach within them, as in NegEx.
"""

from __future__ import annotations

import re

from clinic.domain.french import fold

#: SMS and glued spellings -> words, applied to whole tokens.
SMS: dict[str, str] = {
    "jai": "j ai", "g": "j ai", "jsuis": "je suis", "jsui": "je suis", "chui": "je suis",
    "chuis": "je suis", "jarrive": "j arrive", "jarive": "j arrive", "narrive": "n arrive",
    "narive": "n arrive", "arive": "arrive", "sest": "s est", "cest": "c est",
    "ct": "c etait", "cetait": "c etait", "jetais": "j etais", "ya": "il y a", "yavait": "il y avait",
    "pa": "pas", "ps": "pas", "plu": "plus", "bcp": "beaucoup", "bcq": "beaucoup",
    "bcoup": "beaucoup", "tt": "tout", "tte": "toute", "ts": "tous", "ttes": "toutes",
    "pcq": "parce que", "pck": "parce que", "psk": "parce que", "pq": "pourquoi", "qd": "quand",
    "qnd": "quand", "bb": "bebe", "bebes": "bebe", "ds": "dans", "ms": "mais", "vs": "vous",
    "ns": "nous", "jcrois": "je crois", "jpense": "je pense", "jpeux": "je peux",
    "jpeu": "je peux", "jveux": "je veux", "jvx": "je veux", "vx": "veux",
    "veu": "veux", "jvais": "je vais", "jme": "je me", "jen": "j en", "jy": "j y",
    "jsais": "je sais", "jsp": "je sais pas", "chais": "je sais", "jpp": "j en peux plus",
    "tjrs": "toujours", "tjr": "toujours", "pr": "pour", "koi": "quoi", "ke": "que", "ki": "qui",
    "kil": "qu il", "nimporte": "n importe", "jvois": "je vois", "jdis": "je dis", "kelle": "qu elle", "quil": "qu il", "quelle": "qu elle", "nai": "n ai",
    "nest": "n est", "na": "n a", "lai": "l ai", "dair": "d air", "jle": "je le", "jla": "je la",
    "ptit": "petit", "ptite": "petite", "mn": "minutes", "min": "minutes", "mins": "minutes",
    "respir": "respire", "respi": "respire", "repons": "repond",
    "reagi": "reagit", "ele": "elle", "el": "elle", "i": "il",
    "yeu": "yeux", "tomber": "tombe", "tombee": "tombe", "tombes": "tombe",
    "urgant": "urgent", "urgens": "urgent",
    "medoc": "medicaments", "medocs": "medicaments", "medoks": "medicaments",
    "medicament": "medicaments", "medicamments": "medicaments", "medicamment": "medicaments",
    "cachet": "cachets", "comprime": "comprimes", "pilule": "pilules", "gelule": "gelules",
    "envi": "envie", "mourrir": "mourir", "mourire": "mourir",
    "sucider": "suicider", "poitrinne": "poitrine", "poitrin": "poitrine",
    "poitirne": "poitrine", "potrine": "poitrine", "respirrer": "respirer", "respiree": "respire",
    "saignne": "saigne", "saigen": "saigne", "siagne": "saigne", "sagne": "saigne",
    "convultion": "convulsion", "convultions": "convulsions", "convulsse": "convulse",
}  # fmt: skip

_SENTENCES = re.compile(r"(?<!\d)[.!?]+|[.!?]+(?!\d)|[\n;:]+|[…]+")
_CLAUSES = re.compile(
    r"(?<!\d),|,(?!\d)|[+=]|\b(?:mais|par contre|cependant|pourtant|sauf que|alors que|neanmoins|"
    r"en revanche|du coup|et la|et puis|maintenant)\b"
)
_NOT_WORD = re.compile(r"[^a-z0-9°,.]+")
_STRETCH = re.compile(r"([a-z])\1{2,}")
#: Ligatures, apostrophes, and Turkish's dotless i (no accent to strip: it would be cut out).
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "’": "'", "`": "'", "´": "'", "ı": "i", "ł": "l"})


def words(text: str) -> str:
    """One clause as regular words separated by single spaces."""
    text = _NOT_WORD.sub(" ", text)
    text = _STRETCH.sub(r"\1", text)
    tokens = [SMS.get(token, token) for token in text.split()]
    return " ".join(token.strip(",.") if not token[:1].isdigit() else token for token in tokens)


def sentences(text: str) -> list[list[str]]:
    """The message as sentences of clauses, each clause normalised by `words`."""
    folded = fold(text.translate(_LIGATURES))
    result: list[list[str]] = []
    for sentence in _SENTENCES.split(folded):
        clauses = [words(clause) for clause in _CLAUSES.split(sentence)]
        clauses = [clause for clause in clauses if clause]
        if clauses:
            result.append(clauses)
    return result
