"""Whether a message is written in a language the assistant cannot read.

The red-flag detector reads French (and the commonest words of English, Spanish, Italian and
Portuguese); a patient in danger who writes in Turkish or Romanian may get no emergency answer,
and the dialogue model answers « pas compris ». So a message that is plainly not French gets,
first, a short line with the 15 / 112 in several languages (`answers.FOREIGN`), whatever else
happens to it (decision 50).

Language identification is lingua's (`lingua-language-detector`): a Rust library with no
Python dependencies, offline models, and, measured on this project's messages, no French
message of `data/nlu` taken for another language. It is asked to choose among French and the
other Latin-script languages patients in France write most (`LANGUAGES`); a message in another
script (Arabic, Cyrillic…) is foreign without asking, and so is darija written in Latin letters
with digits for Arabic sounds (two such words). Its models take about a second to load
and about 230 MB of memory, so they load in a background thread as the channel starts
(`warm_up`); meanwhile no message is called foreign, and none waits.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from typing import Any

logger = logging.getLogger(__name__)

#: Lingua's names of the languages it chooses among: French and those most met in the corpus.
LANGUAGES = ("FRENCH", "ENGLISH", "SPANISH", "ITALIAN", "PORTUGUESE", "ROMANIAN", "TURKISH")
#: Under this confidence that it is French, a message is foreign (on data/nlu, 0.1 took a few
#: short French messages for English; 0.05 none).
FRENCH_BELOW = 0.05
#: Fewer words than this are French by default: too little to tell (« ok merci »), and a name
#: given when asked (« Kevin Da Silva Santos », « Ion Popescu Ionescu ») reads as Portuguese or
#: Romanian. Of the 215 messages of rounds 12 to 14 called foreign, 3 had fewer than 6 words.
MIN_WORDS = 6

_WORD = re.compile(r"[^\W\d_]+")
#: Arabic written in Latin letters (« arabizi », darija: « 3andha », « s5ana », « n9derch »): digits
#: for Arabic sounds inside a word. No language detector here knows it; two such words say it.
_TOKEN = re.compile(r"[a-z0-9]+")
#: A digit for an Arabic sound followed by a letter, in a word of letters (not « 3eme », « 7h30 »).
_ARABIZI = re.compile(r"^(?=(?:.*[a-z]){2})[a-z235679]*[235679][a-z][a-z235679]*$")
_NOT_ARABIZI = re.compile(r"^\d+(?:e|er|ere|eme|nd|nde|h|h\d+|min|mn|kg|cm|ans)$")
ARABIZI_WORDS = 2


def _arabizi(text: str) -> int:
    """How many words of Arabic in Latin letters the message has."""
    return sum(
        1
        for token in _TOKEN.findall(text.lower())
        if _ARABIZI.match(token) and not _NOT_ARABIZI.match(token)
    )


_detector: Any = None
_failed = False
_lock = threading.Lock()
_started = threading.Event()


def is_foreign(text: str, wait: bool = False, min_words: int = MIN_WORDS) -> bool:
    """Plainly not French: another script, or a Latin-script language lingua is sure of.
    `wait`: load the models now if need be (tests, benchmarks); otherwise a message that
    arrives while they load is not called foreign. `min_words`: lower for a red flag, which is
    never a name (« babam nefes alamiyor »)."""
    words = _WORD.findall(text)
    if len(words) < min_words:
        return False
    if _arabizi(text) >= ARABIZI_WORDS:
        return True
    letters = [char for word in words for char in word]
    latin = sum("LATIN" in unicodedata.name(char, "") for char in letters)
    if latin < len(letters) / 2:
        return True
    detector = _get(wait)
    if detector is None:
        return False
    from lingua import Language

    flat = " ".join(text.split())
    return bool(detector.compute_language_confidence(flat, Language.FRENCH) < FRENCH_BELOW)


def _get(wait: bool) -> Any:
    if _detector is not None or _failed:
        return _detector
    if wait:
        load()
        return _detector
    warm_up()
    return None


def load() -> None:
    """Load the models now, in this thread (tests, benchmarks: then no message depends on how
    fast they loaded)."""
    global _detector, _failed
    with _lock:
        if _detector is None and not _failed:
            try:
                from lingua import Language, LanguageDetectorBuilder

                languages = [getattr(Language, name) for name in LANGUAGES]
                _detector = (
                    LanguageDetectorBuilder.from_languages(*languages)
                    .with_preloaded_language_models()
                    .build()
                )
            except Exception:
                _failed = True
                logger.exception("language models not loaded: no message is called foreign")


def warm_up() -> None:
    """Load the models in a background thread, once per process (the channel calls it as it
    starts, beside the red-flag model)."""
    if not _started.is_set():
        _started.set()
        threading.Thread(target=load, name="language-models", daemon=True).start()
