"""Dates and times the way people say them in France: « jeudi 3 décembre à 10h30 »."""

from __future__ import annotations

import unicodedata
from datetime import date, datetime, time

DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
MONTHS = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)  # fmt: skip
SHORT_MONTHS = (
    "janv.", "févr.", "mars", "avr.", "mai", "juin",
    "juil.", "août", "sept.", "oct.", "nov.", "déc.",
)  # fmt: skip


def hour(moment: time | datetime) -> str:
    """10h, 10h30 (never 10:30 nor 10h00)."""
    return f"{moment.hour}h" if moment.minute == 0 else f"{moment.hour}h{moment.minute:02d}"


def day(moment: date, today: date | None = None) -> str:
    """« aujourd'hui », « demain », else « jeudi 3 décembre » (« 1er » for the first)."""
    if today is not None:
        delta = (moment - today).days
        if delta == 0:
            return "aujourd'hui"
        if delta == 1:
            return "demain"
    number = "1er" if moment.day == 1 else str(moment.day)
    text = f"{DAYS[moment.weekday()]} {number} {MONTHS[moment.month - 1]}"
    if today is not None and moment.year != today.year:
        text += f" {moment.year}"
    return text


def day_and_hour(moment: datetime, today: date | None = None) -> str:
    """« jeudi 3 décembre à 10h30 », « demain à 9h »; `moment` already in the practice's zone."""
    return f"{day(moment.date(), today)} à {hour(moment)}"


def short_slot(moment: datetime, today: date | None = None) -> str:
    """A button title within WhatsApp's 20 characters: « jeu. 3 déc. 10h30 », « demain 9h »."""
    if today is not None and (moment.date() - today).days in (0, 1):
        return f"{day(moment.date(), today).capitalize()} {hour(moment)}"
    month = SHORT_MONTHS[moment.month - 1]
    return f"{DAYS[moment.weekday()][:3].capitalize()}. {moment.day} {month} {hour(moment)}"


def fold(text: str) -> str:
    """Lower case without accents: « Après-Midi » -> « apres-midi »; what patients type."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("’", "'")


def waited(seconds: float) -> str:
    """How long someone has waited, briefly: « 40 s », « 12 min », « 2 h 05 », « 3 j »."""
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes:02d}"
    return f"{hours // 24} j"
