"""The patient's data by message: erasure (after « oui »), export, reminders on or off.
The work is the core's (clinic.services.privacy); these actions only talk."""

from __future__ import annotations

import logging

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.base import ClinicAction
from actions.conversation import RESET, latest_intent
from clinic.domain import french

logger = logging.getLogger(__name__)


class ActionExplainErasure(ClinicAction):
    """« Supprimez mes données »: what goes and what stays, then « Oui, tout effacer » /
    « Non, garder » (the rules take the answer)."""

    def name(self) -> str:
        return "action_explain_erasure"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_explain_erasure")
        return RESET


class ActionEraseMyData(ClinicAction):
    """Confirmed: the worker erases once this turn is saved (clinic.services.privacy.request_erasure)."""

    def name(self) -> str:
        return "action_erase_my_data"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        services = self.services
        upcoming = services.booking.upcoming(tracker.sender_id)
        services.privacy.request_erasure(tracker.sender_id)
        cancelled = ""
        if upcoming:
            tz = services.practice.tz
            days = ", ".join(french.day_and_hour(a.start.astimezone(tz)) for a in upcoming)
            cancelled = f", et votre rendez-vous du {days} est annulé"
            if len(upcoming) > 1:
                cancelled = f", et vos rendez-vous ({days}) sont annulés"
        dispatcher.utter_message(response="utter_erasure_done", cancelled=cancelled)
        logger.info("erasure requested by the patient")
        return []


class ActionExportMyData(ClinicAction):
    """« Quelles données avez-vous sur moi ? »: a readable summary and the JSON, as documents
    behind signed links that expire."""

    def name(self) -> str:
        return "action_export_my_data"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        privacy, base = self.services.privacy, self.services.settings.public_url
        dispatcher.utter_message(response="utter_export")
        for suffix, filename, caption in (
            ("txt", "mes-donnees.txt", "Résumé de vos données"),
            ("json", "mes-donnees.json", "Vos données (format JSON)"),
        ):
            # A link works once, and Meta's servers spend the document's link fetching it: the
            # text sent instead, if WhatsApp refuses the document, carries a link of its own.
            link = privacy.export_link(tracker.sender_id, base, suffix)
            spare = privacy.export_link(tracker.sender_id, base, suffix, spare=True)
            dispatcher.utter_message(
                json_message={
                    "document": {"link": link, "filename": filename, "caption": caption},
                    "fallback": f"{caption} : {spare}",
                }
            )
        return []


class ActionSetReminders(ClinicAction):
    """« Oui / non » to the question after a booking, « plus de rappels », « je veux des
    rappels »: recorded with its time and the notice's version; a no cancels what is planned."""

    def name(self) -> str:
        return "action_set_reminders"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        wanted = latest_intent(tracker) in ("affirm", "want_reminders")
        self.services.privacy.set_reminders(tracker.sender_id, wanted)
        dispatcher.utter_message(response="utter_reminders_on" if wanted else "utter_reminders_off")
        return [SlotSet("reminders_asked", None)]
