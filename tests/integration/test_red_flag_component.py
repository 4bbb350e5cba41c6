"""The Rasa NLU plug-in over real Rasa messages: red flags become `emergency`, the rest is untouched."""

from __future__ import annotations

from rasa.shared.nlu.training_data.message import Message

from connectors.red_flags import RedFlagOverride


def parsed(text: str, intent: str, confidence: float) -> Message:
    message = Message(data={"text": text})
    message.set("intent", {"name": intent, "confidence": confidence}, add_to_output=True)
    ranking = [{"name": intent, "confidence": confidence}, {"name": "emergency", "confidence": 0.1}]
    message.set("intent_ranking", ranking, add_to_output=True)
    return message


def test_a_missed_emergency_is_corrected_and_others_are_left_alone() -> None:
    component = RedFlagOverride.create({}, None, None, None)  # type: ignore[arg-type]
    missed = parsed("ma mère vient de tomber et ne se relève pas", "cancel_appointment", 0.42)
    ordinary = parsed("je voudrais annuler mon rdv", "cancel_appointment", 0.97)
    button = parsed("/choose_slot", "choose_slot", 1.0)
    component.process([missed, ordinary, button])
    assert missed.get("intent") == {"name": "emergency", "confidence": 1.0}
    assert [r["name"] for r in missed.get("intent_ranking")] == ["emergency", "cancel_appointment"]
    assert missed.as_dict_nlu()["intent"]["name"] == "emergency"
    assert ordinary.get("intent")["name"] == "cancel_appointment"
    assert button.get("intent")["name"] == "choose_slot"
