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
    """Each KPI's plot as a data: URL (PNG)."""
    # The object API, not pyplot: no global state, so two pages can render in two threads.
    from matplotlib.figure import Figure

    days = [d.day[5:] for d in report.days]  # MM-DD
    ticks = max(1, len(days) // 10)

    def draw(build: Callable[[Any], object], height: float = 2.6) -> str:
        figure = Figure(figsize=(7, height), dpi=90)
        axes = figure.subplots()
        build(axes)
        for spine in ("top", "right"):
            axes.spines[spine].set_visible(False)
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
        return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()

    def per_day(axes: Any, series: dict[str, list[int]], kind: str = "bar") -> None:
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

    def column(name: str) -> list[int]:
        return [getattr(d, name) for d in report.days]

    drop = report.drop_offs
    funnel_labels = ["réservé", *(f"arrêt : {STAGES[s]}" for s in STAGES)]
    funnel_values = [report.completed, *(drop.get(s, 0) for s in STAGES)]
    intents = list(report.intents.items())[:12][::-1]
    no_show = report.no_show
    answer = report.answer_seconds
    return {
        "conversations": draw(
            lambda ax: per_day(ax, {"conversations": column("conversations")}, "line")
        ),
        "bookings": draw(
            lambda ax: per_day(
                ax,
                {
                    "par l'assistant": column("bookings_assistant"),
                    "par l'équipe": column("bookings_staff"),
                },
            )
        ),
        "funnel": draw(
            lambda ax: (
                ax.barh(funnel_labels[::-1], funnel_values[::-1], color="#2e7d32"),
                ax.tick_params(labelsize=8),
            )
        ),
        "changes": draw(
            lambda ax: per_day(
                ax, {"déplacements": column("moves"), "annulations": column("cancellations")}
            )
        ),
        "no_show": draw(
            lambda ax: (
                ax.bar(
                    ["pendant le pilote", "avant le pilote", "médecins généralistes (Doctolib)"],
                    [
                        (no_show["rate"] or 0) * 100,
                        (no_show["before_pilot"] or 0) * 100,
                        sum(NATIONAL_NO_SHOW) / 2 * 100,
                    ],
                    color=["#1565c0", "#9e9e9e", "#bdbdbd"],
                ),
                ax.set_ylabel("% absents", fontsize=8),
                ax.tick_params(labelsize=8),
            )
        ),
        "reminders": draw(
            lambda ax: (
                ax.bar(
                    ["envoyés", "confirmés par bouton", "échoués"],
                    [
                        report.reminders["sent"],
                        report.reminders["confirmed"],
                        report.reminders["failed"],
                    ],
                    color=["#1565c0", "#2e7d32", "#c62828"],
                ),
                ax.tick_params(labelsize=8),
            )
        ),
        "handoffs": draw(
            lambda ax: per_day(
                ax,
                {
                    "urgences": column("emergencies"),
                    "passages à l'équipe": column("handoffs"),
                    "incompréhensions": column("fallbacks"),
                },
            )
        ),
        "intents": draw(
            lambda ax: (
                ax.barh([_INTENT_LABELS.get(k, k) for k, _ in intents], [v for _, v in intents]),
                ax.tick_params(labelsize=7),
            ),
            height=3.4,
        ),
        "answer": draw(
            lambda ax: (
                ax.bar(
                    ["médiane (p50)", "p95"],
                    [answer.get("p50") or 0, answer.get("p95") or 0],
                    color=["#1565c0", "#ef6c00"],
                ),
                ax.set_ylabel("secondes", fontsize=8),
                ax.tick_params(labelsize=8),
            )
        ),
        "outside_hours": draw(
            lambda ax: per_day(
                ax,
                {
                    "pendant l'ouverture": [
                        d.patient_messages - d.outside_hours for d in report.days
                    ],
                    "cabinet fermé": column("outside_hours"),
                },
            )
        ),
    }
