"""Practice information and the patient's own appointments, read from the core."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.base import ClinicAction
from clinic.app.wiring import Services
from clinic.domain import french
from clinic.domain.practice import Practice
from clinic.domain.scheduling.waitlist import describe_wish


def opening_hours_text(practice: Practice) -> str:
    """One line per weekday, « lundi : 8h30-12h30, 14h-19h », closed days said as such."""
    lines = []
    for weekday, name in enumerate(french.DAYS):
        ranges = practice.opening_hours.get(weekday, ())
        spans = ", ".join(f"{french.hour(r.start)}-{french.hour(r.end)}" for r in ranges)
        lines.append(f"{name} : {spans or 'fermé'}")
    return "\n".join(lines)


class ActionOpeningHours(ClinicAction):
    def name(self) -> str:
        return "action_opening_hours"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        practice = self.services.practice
        dispatcher.utter_message(response="utter_opening_hours", hours=opening_hours_text(practice))
        return []


class ActionAddress(ClinicAction):
    def name(self) -> str:
        return "action_address"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        practice = self.services.practice
        dispatcher.utter_message(
            response="utter_address",
            practice_name=practice.name,
            address=f"au {practice.address}"
            if practice.address[:1].isdigit()
            else practice.address,
            phone=practice.phone,
        )
        return []


class ActionOutOfScope(ClinicAction):
    """A question the assistant cannot answer: what it can do, and the practice's number for
    the rest, rather than forcing the message into a booking or the address."""

    def name(self) -> str:
        return "action_out_of_scope"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_out_of_scope", phone=self.services.practice.phone)
        return []


def upcoming_text(services: Services, tracker: Tracker) -> str | None:
    """The patient's active appointments from now on, one line each; None when there are none."""
    practice = services.practice
    today = services.local_now().date()
    appointments = services.booking.upcoming(tracker.sender_id)
    if not appointments:
        return None
    lines = []
    for appointment in appointments:
        start = appointment.start.astimezone(practice.tz)
        who = practice.practitioner(appointment.practitioner_id).name
        waiting = " (en attente de confirmation)" if appointment.status == "pending" else ""
        lines.append(f"• {french.day_and_hour(start, today)} – {who}{waiting}")
    return "\n".join(lines)


class ActionCheckAppointments(ClinicAction):
    def name(self) -> str:
        return "action_check_appointments"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        services = self.services
        text = upcoming_text(services, tracker)
        if text is None:
            dispatcher.utter_message(response="utter_no_appointment")
        else:
            dispatcher.utter_message(response="utter_your_appointments", appointments=text)
        wishes = services.waitlist.waiting(tracker.sender_id)
        if wishes:
            lines = "\n".join(f"• {describe_wish(services.practice, w)}" for w in wishes)
            dispatcher.utter_message(response="utter_your_waiting", wishes=lines)
        return []
