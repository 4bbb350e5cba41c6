"""The conversation gate's order (clinic.domain.gate), channel-neutral: what each kind of message
becomes in each state, and which facts it costs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest

from clinic.domain.gate import (
    BACK_TO_ASSISTANT,
    Incoming,
    Kind,
    Rules,
    decide,
)
from clinic.domain.safety import Category
from tests.conftest import NOW

RULES = Rules(max_message_age=timedelta(hours=1), messages_per_minute=5)


@dataclass
class Conversation:
    """The facts of one conversation, and which of them the gate asked."""

    recent: int = 0
    is_paused: bool = False
    new_patient: bool = False
    asked: list[str] = field(default_factory=list)

    def messages_since(self, patient_id: str, since: datetime) -> int:
        assert since == NOW - timedelta(minutes=1)
        self.asked.append("messages_since")
        return self.recent

    def paused(self, patient_id: str) -> bool:
        self.asked.append("paused")
        return self.is_paused

    def notice_due(self, patient_id: str) -> bool:
        self.asked.append("notice_due")
        return self.new_patient


def message(
    text: str = "bonjour",
    kind: Kind = "text",
    turn_text: str | None = "",
    age: timedelta = timedelta(seconds=2),
) -> Incoming:
    turn = text if turn_text == "" else turn_text
    return Incoming("p-1", kind, text, turn, NOW - age)


def test_a_red_flag_is_answered_first_whatever_the_state_and_costs_no_query() -> None:
    state = Conversation(recent=50, is_paused=True, new_patient=True)
    old = message("mon père a une douleur dans la poitrine et il transpire", age=timedelta(days=1))
    decision = decide(old, NOW, RULES, state)
    assert decision.verdict == "emergency"
    assert decision.finding is not None and decision.finding.category is Category.CHEST_PAIN
    assert state.asked == []  # no database: the numbers go out even if it is down


def test_a_negated_symptom_is_an_ordinary_turn() -> None:
    decision = decide(
        message("pas de douleur dans la poitrine, juste un certificat"), NOW, RULES, Conversation()
    )
    assert decision.verdict == "turn"


def test_suicidal_words_in_a_tapped_button_title_are_not_read_as_typed() -> None:
    """Only what the patient typed is screened: a choice carries our own titles."""
    tapped = message("Je veux mourir de rire", kind="choice", turn_text='/choose{"n": 1}')
    assert decide(tapped, NOW, RULES, Conversation()).verdict == "turn"


def test_an_old_message_is_stale_before_any_query() -> None:
    state = Conversation(recent=50)
    assert decide(message(age=timedelta(hours=2)), NOW, RULES, state).verdict == "stale"
    assert state.asked == []


@pytest.mark.parametrize(("recent", "verdict"), [(5, "turn"), (6, "throttled")])
def test_past_the_rate_the_excess_gets_no_turn(recent: int, verdict: str) -> None:
    assert decide(message(), NOW, RULES, Conversation(recent=recent)).verdict == verdict


def test_no_limit_asks_no_count() -> None:
    state = Conversation(recent=500)
    decision = decide(message(), NOW, Rules(timedelta(hours=1), 0), state)
    assert decision.verdict == "turn" and "messages_since" not in state.asked


def test_back_to_the_assistant_is_the_gates_not_the_dialogues() -> None:
    tapped = message("Retour à l'assistant", kind="choice", turn_text=BACK_TO_ASSISTANT)
    state = Conversation(is_paused=True)
    assert decide(tapped, NOW, RULES, state).verdict == "back_to_assistant"
    assert "paused" not in state.asked  # the service decides whether staff still hold it


def test_a_new_patient_gets_the_notice_also_while_paused() -> None:
    paused = decide(message(), NOW, RULES, Conversation(is_paused=True, new_patient=True))
    assert (paused.verdict, paused.notice) == ("paused", True)
    turn = decide(message("rdv jeudi"), NOW, RULES, Conversation(new_patient=True))
    assert (turn.verdict, turn.notice, turn.text) == ("turn", True, "rdv jeudi")
    known = decide(message(), NOW, RULES, Conversation())
    assert known.notice is False


@pytest.mark.parametrize("kind", ["voice", "location", "media", "contacts"])
def test_what_cannot_be_read_gets_a_fixed_reply_and_no_notice(kind: Kind) -> None:
    state = Conversation(new_patient=True)
    decision = decide(message("", kind=kind, turn_text=None), NOW, RULES, state)
    assert (decision.verdict, decision.notice) == ("fixed", False)
    assert "notice_due" not in state.asked


def test_a_voice_note_while_paused_waits_for_staff() -> None:
    decision = decide(
        message("", kind="voice", turn_text=None), NOW, RULES, Conversation(is_paused=True)
    )
    assert decision.verdict == "paused"


def test_a_tapped_button_runs_its_payload() -> None:
    tapped = message("Jeudi 10:00", kind="choice", turn_text='/choose_slot{"n": 2}')
    decision = decide(tapped, NOW, RULES, Conversation())
    assert (decision.verdict, decision.text) == ("turn", '/choose_slot{"n": 2}')


def test_a_message_not_in_french_is_a_turn_with_the_numbers_first() -> None:
    from clinic.domain.safety import language

    turkish = message("babam icin yarin sabah randevu almak istiyorum")
    assert language.is_foreign(turkish.text, wait=True)
    decision = decide(turkish, NOW, RULES, Conversation())
    assert decision.verdict == "turn" and decision.foreign
    paused = decide(turkish, NOW, RULES, Conversation(is_paused=True))
    assert paused.verdict == "paused" and paused.foreign
    assert not decide(message("bjr un rdv demain svp"), NOW, RULES, Conversation()).foreign
