"""Safety: a patient in danger is told to call the 15 / 112 (3114 for suicidal thoughts) first.

`detect` reads every inbound message before anything else (clinic.adapters.whatsapp.service), in every
conversation state; `answer` is the bubble sent; categories name the danger for staff. No Rasa, no
model, no I/O: it works when they are down. Measured in bench/safety.py, gated in
tests/safety/test_gate.py, described in docs/safety.md.
"""

from clinic.domain.safety.answers import FOREIGN, MULTILINGUAL, answer
from clinic.domain.safety.categories import Category, by_code
from clinic.domain.safety.detector import Finding, detect, is_red_flag
from clinic.domain.safety.language import is_foreign

__all__ = [
    "MULTILINGUAL",
    "FOREIGN",
    "Category",
    "Finding",
    "answer",
    "by_code",
    "detect",
    "is_foreign",
    "is_red_flag",
]
