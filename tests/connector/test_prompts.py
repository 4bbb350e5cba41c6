"""The last prompt read back from a real Rasa tracker store: a short answer becomes the button
it means, and only when that prompt is the patient's current question."""

import time

from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from connectors.prompts import PROMPT_MAX_AGE, as_answer, last_options

RECAP = BotUttered(
    "Je réserve jeudi 10h30 ?",
    {
        "buttons": [
            {"title": "Je confirme", "payload": "/affirm"},
            {"title": "Autre créneau", "payload": "/deny"},
        ]
    },
)


async def stored(*events: object) -> InMemoryTrackerStore:
    store = InMemoryTrackerStore(Domain.empty())
    await store.save(DialogueStateTracker.from_events("p1", list(events)))  # type: ignore[arg-type]
    return store


async def test_a_short_answer_to_the_last_buttons_is_their_payload() -> None:
    store = await stored(UserUttered("je voudrais un rdv"), ActionExecuted("x"), RECAP)
    assert await as_answer(store, "p1", "ouep") == "/affirm"
    assert await as_answer(store, "p1", "non merci") == "/deny"
    assert await as_answer(store, "p1", "oui mais plutôt vendredi") == "oui mais plutôt vendredi"
    assert await as_answer(store, "unknown", "ouep") == "ouep"


async def test_buttons_answered_already_or_followed_by_a_plain_question_count_no_more() -> None:
    answered = await stored(RECAP, UserUttered("/affirm"), BotUttered("C'est réservé ✅"))
    assert await as_answer(answered, "p1", "ouep") == "ouep"
    then_asked = await stored(RECAP, BotUttered("Quel est votre nom ?"))
    assert await as_answer(then_asked, "p1", "oui") == "oui"


def test_an_old_prompt_is_not_the_question_any_more() -> None:
    prompt = BotUttered(RECAP.text, RECAP.data, timestamp=time.time() - PROMPT_MAX_AGE - 1)
    assert last_options([prompt], time.time()) == []
    assert [o.payload for o in last_options([RECAP], time.time())] == ["/affirm", "/deny"]


async def test_a_payload_or_a_long_message_never_reads_the_tracker() -> None:
    class Unreachable(InMemoryTrackerStore):
        async def retrieve(self, sender_id: str) -> None:  # type: ignore[override]
            raise AssertionError("read")

    store = Unreachable(Domain.empty())
    assert await as_answer(store, "p1", "/affirm") == "/affirm"
    long = "bonjour je voudrais un rendez-vous jeudi après-midi svp"
    assert await as_answer(store, "p1", long) == long
