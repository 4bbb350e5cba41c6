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
script (Arabic, Cyrillic…) is foreign without asking. Its models take about a second to load
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
