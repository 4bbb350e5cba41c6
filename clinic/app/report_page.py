"""The pilot report as one self-contained French HTML page: figures and matplotlib plots embedded
as PNG data (no CDN, no script), readable offline, attachable to an e-mail, shown in the console.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from clinic.services.report import STAGES, Report

#: Doctolib's no-show figures for GPs in France, 2024 and 2022 (« pas venu, pas prévenu »;
#: press reports citing Doctolib, docs/mise-en-service.md), for comparison.
NATIONAL_NO_SHOW = (0.026, 0.034)
_INTENT_LABELS = {
    "book_appointment": "prendre rendez-vous",
    "inform": "réponse (motif, moment, nom)",
    "choose_slot": "choix d'un créneau",
    "affirm": "oui",
    "deny": "non",
    "greet": "bonjour",
    "thank": "merci",
    "goodbye": "au revoir",
    "cancel_appointment": "annuler",
    "reschedule_appointment": "déplacer",
    "check_appointment": "mon rendez-vous ?",
    "confirm_appointment": "confirmer (rappel)",
    "emergency": "urgence",
    "request_human": "parler à quelqu'un",
    "ask_opening_hours": "horaires",
    "ask_address": "adresse",
    "ask_medical_advice": "avis médical",
    "out_of_scope": "hors sujet",
    "nlu_fallback": "incompris",
    "unclear": "illisible",
    "more_slots": "autres créneaux",
    "stop": "laisser tomber",
}


def percent(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f} %".replace(".", ",")


def seconds(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f} s".replace(".", ",")


def render(report: Report, practice_name: str, fragment: bool = False) -> str:
    """The page (or, for the console, its body only)."""
    env = Environment(
        loader=PackageLoader("clinic.app.console", "templates"),
        autoescape=select_autoescape(["html"]),
    )
    env.filters["percent"] = percent
    env.filters["seconds"] = seconds
    template = env.get_template("report.html")
    return template.render(
        report=report,
        practice=practice_name,
        plots=plots(report),
        stages=STAGES,
        intents=[(_INTENT_LABELS.get(k, k), v) for k, v in report.intents.items()],
        national=NATIONAL_NO_SHOW,
        fragment=fragment,
    )


def plots(report: Report) -> dict[str, str]:
    """Each KPI's plot as a data: URL (PNG), in the page's order."""
    return {
        "conversations": _draw(_conversations, report),
        "bookings": _draw(_bookings, report),
        "funnel": _draw(_funnel, report),
        "changes": _draw(_changes, report),
        "no_show": _draw(_no_show, report),
        "reminders": _draw(_reminders, report),
        "handoffs": _draw(_handoffs, report),
        "intents": _draw(_intents, report, height=3.4),
        "answer": _draw(_answer, report),
        "outside_hours": _draw(_outside_hours, report),
    }


def _draw(build: Callable[[Any, Report], None], report: Report, height: float = 2.6) -> str:
    """One figure, drawn by `build` on its axes, as a PNG data: URL."""
    # The object API, not pyplot: no global state, so two pages can render in two threads.
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7, height), dpi=90)
    axes = figure.subplots()
    build(axes, report)
    for spine in ("top", "right"):
        axes.spines[spine].set_visible(False)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def _per_day(axes: Any, report: Report, series: dict[str, list[int]], kind: str = "bar") -> None:
    """Series over the period's days, stacked bars or lines, with at most ~10 dates shown."""
    days = [d.day[5:] for d in report.days]  # MM-DD
    ticks = max(1, len(days) // 10)
    positions = range(len(days))
    if kind == "bar":
        bottom = [0] * len(days)
        for label, values in series.items():
            axes.bar(positions, values, bottom=bottom, label=label)
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    else:
        for label, values in series.items():
            axes.plot(positions, values, marker="o", markersize=3, label=label)
    axes.set_xticks(list(positions)[::ticks], days[::ticks], fontsize=7)
    axes.legend(fontsize=7, frameon=False)


def _column(report: Report, name: str) -> list[int]:
    return [getattr(d, name) for d in report.days]


# --- activity ---------------------------------------------------------------------------------


def _conversations(axes: Any, report: Report) -> None:
    _per_day(axes, report, {"conversations": _column(report, "conversations")}, "line")


def _outside_hours(axes: Any, report: Report) -> None:
    opened = [d.patient_messages - d.outside_hours for d in report.days]
    _per_day(
        axes,
        report,
        {"pendant l'ouverture": opened, "cabinet fermé": _column(report, "outside_hours")},
    )


# --- bookings ---------------------------------------------------------------------------------


def _bookings(axes: Any, report: Report) -> None:
    _per_day(
        axes,
        report,
        {
            "par l'assistant": _column(report, "bookings_assistant"),
            "par l'équipe": _column(report, "bookings_staff"),
        },
    )


def _funnel(axes: Any, report: Report) -> None:
    """Booking conversations: booked, or the step where they stopped."""
    labels = ["réservé", *(f"arrêt : {STAGES[s]}" for s in STAGES)]
    values = [report.completed, *(report.drop_offs.get(s, 0) for s in STAGES)]
    axes.barh(labels[::-1], values[::-1], color="#2e7d32")
    axes.tick_params(labelsize=8)


def _changes(axes: Any, report: Report) -> None:
    _per_day(
        axes,
        report,
        {"déplacements": _column(report, "moves"), "annulations": _column(report, "cancellations")},
    )


# --- attendance and reminders -----------------------------------------------------------------


def _no_show(axes: Any, report: Report) -> None:
    """The pilot's no-show rate beside the practice's own before it and the national figure."""
    no_show = report.no_show
    axes.bar(
        ["pendant le pilote", "avant le pilote", "médecins généralistes (Doctolib)"],
        [
            (no_show["rate"] or 0) * 100,
            (no_show["before_pilot"] or 0) * 100,
            sum(NATIONAL_NO_SHOW) / 2 * 100,
        ],
        color=["#1565c0", "#9e9e9e", "#bdbdbd"],
    )
    axes.set_ylabel("% absents", fontsize=8)
    axes.tick_params(labelsize=8)


def _reminders(axes: Any, report: Report) -> None:
    axes.bar(
        ["envoyés", "confirmés par bouton", "échoués"],
        [report.reminders["sent"], report.reminders["confirmed"], report.reminders["failed"]],
        color=["#1565c0", "#2e7d32", "#c62828"],
    )
    axes.tick_params(labelsize=8)


# --- the conversations themselves -------------------------------------------------------------


def _handoffs(axes: Any, report: Report) -> None:
    _per_day(
        axes,
        report,
        {
            "urgences": _column(report, "emergencies"),
            "passages à l'équipe": _column(report, "handoffs"),
            "incompréhensions": _column(report, "fallbacks"),
        },
    )


def _intents(axes: Any, report: Report) -> None:
    """The twelve most frequent intents, the most frequent on top."""
    intents = list(report.intents.items())[:12][::-1]
    axes.barh([_INTENT_LABELS.get(k, k) for k, _ in intents], [v for _, v in intents])
    axes.tick_params(labelsize=7)


def _answer(axes: Any, report: Report) -> None:
    answer = report.answer_seconds
    axes.bar(
        ["médiane (p50)", "p95"],
        [answer.get("p50") or 0, answer.get("p95") or 0],
        color=["#1565c0", "#ef6c00"],
    )
    axes.set_ylabel("secondes", fontsize=8)
    axes.tick_params(labelsize=8)
