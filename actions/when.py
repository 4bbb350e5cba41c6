"""Reading a time wish through the core (clinic.domain.timeexpr) and saying why it cannot be served."""

from __future__ import annotations

from datetime import timedelta

from rasa_sdk.executor import CollectingDispatcher

from clinic.adapters.duckling.client import DucklingUnavailable
from clinic.app.wiring import Services
from clinic.domain import french
from clinic.domain.timeexpr import TimeAnswer, describe, understand


def understand_when(services: Services, text: str) -> TimeAnswer:
    """The core's reading of `text`; Duckling down reads as « not understood », never a crash."""
    try:
        return understand(text, services.clock.now(), services.duckling.parse, services.practice)
    except DucklingUnavailable:
        return TimeAnswer(None, "not_understood")


def explain_when(dispatcher: CollectingDispatcher, answer: TimeAnswer, services: Services) -> None:
    """Say why the wish cannot be served and which day is looked at instead."""
    practice = services.practice
    now = services.local_now()
    today = now.date()
    if answer.window is None:
        dispatcher.utter_message(
            response="utter_when_no_alternative",
            horizon=practice.rules.horizon.days,
            phone=practice.phone,
        )
        return
    alternative = describe(answer.window, today, practice.tz)
    if answer.problem == "closed" and answer.requested is not None:
        closed = french.day(answer.requested, today)
        if answer.detail:
            closed += f" ({answer.detail})"
        elif not any(p.hours.get(answer.requested.weekday()) for p in practice.practitioners):
            closed = f"le {french.DAYS[answer.requested.weekday()]}"
        else:
            closed += " à ce moment-là"
        dispatcher.utter_message(
            response="utter_when_closed", closed=closed, alternative=alternative
        )
    elif answer.problem == "beyond_horizon":
        limit = french.day((now + practice.rules.horizon).date(), today)
        dispatcher.utter_message(
            response="utter_when_beyond_horizon", limit=limit, alternative=alternative
        )
    elif answer.problem == "too_soon":
        notice = _duration(practice.rules.min_notice)
        dispatcher.utter_message(
            response="utter_when_too_soon", notice=notice, alternative=alternative
        )
    else:
        dispatcher.utter_message(response="utter_when_past", alternative=alternative)


def _duration(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes % 60 == 0:
        hours = minutes // 60
        return f"{hours} heure" + ("s" if hours > 1 else "")
    return f"{minutes} minutes"
