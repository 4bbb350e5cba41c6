"""Time expressions: what a patient wrote (« jeudi aprem », « pas le lundi ») -> a search window.

Duckling does the hard part (« jeudi 3 décembre à 10h30 », « la semaine prochaine »). This package
adds what a practice needs around it: the slang Duckling misses is rewritten first, « pas le
lundi » and « le plus tôt possible » are read here (`text`, `weeks`), the grain decides how wide
the window is (`entities`, `request`), and the window is checked against the practice (past, too
soon, closed, beyond the booking horizon), with the nearest bookable day as the alternative
(`answer`). `phrasing` says a window back in French; `serialise` keeps it in a conversation slot.
Parsing is injected (`Parse`), so the HTTP client runs in production and the embedded engine in
unit tests, both the real Duckling.
"""

from clinic.domain.timeexpr.answer import PROBLEMS, TimeAnswer, check, complete, understand
from clinic.domain.timeexpr.entities import Parse
from clinic.domain.timeexpr.phrasing import describe
from clinic.domain.timeexpr.request import TimeRequest, read
from clinic.domain.timeexpr.serialise import window_from_dict, window_to_dict
from clinic.domain.timeexpr.text import normalise

__all__ = [
    "PROBLEMS",
    "Parse",
    "TimeAnswer",
    "TimeRequest",
    "check",
    "complete",
    "describe",
    "normalise",
    "read",
    "understand",
    "window_from_dict",
    "window_to_dict",
]
