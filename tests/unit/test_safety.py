"""The red-flag safety net: emergencies the NLU might miss, and ordinary requests it must not flag."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from clinic.domain.safety import Category, Finding, answer, classifier, detect, is_red_flag
from clinic.domain.safety.categories import LABELS as CATEGORY_LABELS
from clinic.services.alerts import LABELS, alert_label
from tests.safety.corpus import IN_DANGER


@pytest.mark.parametrize(
    "text",
    [
        "mon père a fait un malaise",
        "MA MERE EST INCONSCIENTE",
        "il ne respire plus",
        "jarrive plus a respirer",
        "elle s'étouffe",
        "j'ai une grosse douleur dans la poitrine",
        "mal à la poitrine depuis 1h",
        "je crois qu'il fait un AVC, il parle bizarrement",
        "mon fils a fait une convulsion",
        "ça saigne énormément",
        "j'ai envie d'en finir",
        "elle a avalé des médicaments",
        "choc allergique, sa gorge gonfle",
        "mon bébé devient bleu",
        "ma grand-mère est tombée et ne se relève pas",
        "il s'est évanoui",
        # what the size, the gait or the lack of blister of a wound must not hide
        "coupure profonde de 3 cm qui saigne énormément",
        "il saigne énormément mais il marche bien",
        "il s'est brûlé tout le torse avec l'eau bouillante, pas de cloque pour l'instant",
        "ma toute petite de 8 mois a renversé le thé bouillant sur elle",
        # « ne … plus » that is the sign, « s'il » that is not a hypothesis, « après sa chute »
        "je sais pas s'il respire encore, il est tombé d'un coup",
        "elle ne répond plus",
        "il ne sent plus ses jambes après sa chute",
        "my wife is 9 weeks pregnant, she has horrible pain and fainted",
    ],
)
def test_vital_signs_are_red_flags(text: str) -> None:
    assert is_red_flag(text)


@pytest.mark.parametrize(
    "text",
    [
        "je voudrais un rdv urgent pour un renouvellement",
        "j'ai mal à la gorge depuis 3 jours",
        "rdv pour ma prise de sang",
        "bonjour, un vaccin jeudi aprem svp",
        "je voudrais annuler mon rendez-vous",
        "mon fils tousse beaucoup",
        "est-ce que je peux prendre du doliprane ?",
        "le sirop de ma fille est entamé, il en manque 2 doses pour finir",
        "in the end it worked, thanks doctor",
        "my gums have been bleeding for two weeks, can I book?",
    ],
)
def test_ordinary_requests_are_not(text: str) -> None:
    assert not is_red_flag(text)


@pytest.mark.parametrize(
    "text",
    [
        "pas de douleur dans la poitrine",
        "ce n'est pas urgent",
        "certificat de sport, il n'a pas de fièvre",
        "elle ne s'est pas évanouie, juste fatiguée",
        "que faire si jamais mon fils avale une pile ?",
        "j'ai fait un AVC il y a 5 ans, je voudrais renouveler mon traitement",
        "mes enfants vont me tuer 😅 un rdv pour le petit (rhume)",
        "/affirm",
    ],
)
def test_negations_hypotheses_history_and_payloads_do_not_alert(text: str) -> None:
    assert detect(text) is None


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("ma fille de 3 ans a avalé des cachets du placard", Category.POISONING),
        ("mon bébé de 2 mois a 40 de fièvre, il est tout mou", Category.INFANT_FEVER),
        ("sa gorge gonfle après une piqûre de guêpe", Category.ANAPHYLAXIS),
        ("enceinte de 7 mois et je saigne", Category.PREGNANCY),
        ("je voudrais un rdv jeudi mais g mal a la poitrine et jarrive pa a respirer",
         Category.CHEST_PAIN),
    ],
)  # fmt: skip
def test_each_category_is_named(text: str, category: Category) -> None:
    finding = detect(text)
    assert finding is not None and category in finding.categories


def test_the_patterns_answer_alone_when_the_model_is_not_there() -> None:
    assert detect("mon père a fait un malaise", use_model=False) is not None
    assert detect("je voudrais un rendez-vous jeudi", use_model=False) is None


def test_danger_gets_15_112_and_114_first() -> None:
    said = answer(Finding((Category.CHEST_PAIN,)))
    assert said.startswith("🚨 Appelez tout de suite le 15 (SAMU) ou le 112")
    assert "114" in said and "3114" not in said


def test_suicidal_thoughts_get_3114_and_an_act_under_way_the_15_first() -> None:
    thoughts = detect("je pense tout le temps à mourir, j'en peux plus")
    assert thoughts is not None and not thoughts.immediate
    assert "3114" in answer(thoughts) and answer(thoughts).startswith("Vous pouvez en parler")
    taken = detect("j'ai pris toute la boîte de somnifères pour en finir")
    assert taken is not None and taken.immediate
    said = answer(taken)
    assert said.startswith("🚨 Appelez tout de suite le 15") and "3114" in said


def test_staff_read_the_category_never_the_words() -> None:
    assert alert_label("emergency", "chest_pain") == "urgence signalée : douleur thoracique"
    assert alert_label("emergency", None) == "urgence signalée"
    assert alert_label("handoff", "chest_pain") == LABELS["handoff"]
    assert {category.label for category in Category} == set(CATEGORY_LABELS.values())


def test_the_unrolled_model_gives_scikit_learns_probabilities_also_once_cached(
    tmp_path: Path,
) -> None:
    examples = classifier.default_examples()[::4]  # a quarter: the same sums, 4 times faster
    trained = classifier.DangerModel.train(examples)
    trained.save(tmp_path / "model.npz")
    loaded = classifier.DangerModel.load(tmp_path / "model.npz")
    assert loaded.pipeline is None  # plain arrays: nothing of scikit-learn was unpickled
    for text in ("mon père a fait un malaise", "rdv jeudi", "j'ai envie d'en finir", "?", "é" * 9):
        theirs = trained.pipeline.predict_proba([classifier.flatten(text)])[0]
        assert abs(trained.probabilities(text) - theirs).max() < 1e-9
        assert abs(loaded.probabilities(text) - theirs).max() < 1e-9
        assert loaded.score(text) == trained.score(text)


def test_the_cache_is_keyed_by_its_inputs_and_a_damaged_file_is_rebuilt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLINIC_MODEL_CACHE", str(tmp_path))
    tuning = tmp_path / "tuning.jsonl"
    rows = classifier.TUNING.read_text(encoding="utf-8").splitlines()[::6]
    tuning.write_text("\n".join(rows), encoding="utf-8")
    monkeypatch.setattr(classifier, "TUNING", tuning)
    monkeypatch.setattr(classifier, "NLU", tmp_path / "no-nlu")
    first = classifier.cache_path()
    assert first.parent == tmp_path and not first.exists()
    built = classifier.load_or_train()
    assert first.is_file() and built.pipeline is not None
    assert classifier.load_or_train().pipeline is None  # the second process only loads it
    tuning.write_text("\n".join(rows[1:]), encoding="utf-8")
    assert classifier.cache_path() != first  # new data, new model
    first.write_bytes(b"not a model")
    tuning.write_text("\n".join(rows), encoding="utf-8")
    assert classifier.load_or_train().pipeline is not None  # damaged: trained again, not trusted
    assert classifier.DangerModel.load(first).score("il ne respire plus").danger > 0.5


def test_the_end_to_end_phrases_are_caught_with_or_without_the_model() -> None:
    """The stack's red flags must not depend on whether the model has finished training."""
    for text in [*IN_DANGER.values(), "il ne respire plus, il devient bleu", "mon père a fait un malaise",
                 "en fait mon mari a très mal à la poitrine", "ma femme ne respire plus",
                 "il a avalé des cachets de ma mère", "il ne respire plus"]:  # fmt: skip
        assert detect(text, use_model=False) is not None, text
        assert detect(text) is not None, text


def test_a_message_never_waits_for_the_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(classifier, "_model", None)
    monkeypatch.setattr(classifier, "_started", threading.Event())
    started: list[bool] = []
    monkeypatch.setattr(classifier, "warm_up", lambda: started.append(True))
    assert classifier.model() is None and started == [True]  # training asked, not awaited
    assert detect("mon père a fait un malaise") is not None  # the patterns answer meanwhile


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("mi padre no puede respirar y tiene los labios morados", Category.BREATHING),
        ("mia madre ha la bocca storta all improvviso", Category.STROKE),
        ("o meu marido desmaiou e nao acorda", Category.UNCONSCIOUS),
        ("bunicul meu are dureri mari in piept si transpira", Category.CHEST_PAIN),
        ("kizim merdivenden dustu ve kusuyor", Category.TRAUMA),
        ("bnti t7r9at b lma skhoun f yddha", Category.BURN),
        ("oglum camasir suyu icti", Category.POISONING),
        ("hamileyim 6 aylik ve kanamam var", Category.PREGNANCY),
        ("bghit nmout, ma bqit qader", Category.SUICIDE),
    ],
)
def test_the_other_languages_patients_write_are_read_by_the_patterns(
    text: str, category: Category
) -> None:
    """Spanish, Italian, Portuguese, Romanian, Turkish, darija (clinic/domain/safety/languages.py),
    without the model: it never vetoes them."""
    finding = detect(text, use_model=False)
    assert finding is not None and category in finding.categories


@pytest.mark.parametrize(
    "text",
    [
        "no tengo dolor de pecho, solo tos",  # denied
        "nu am dureri in piept, doar o raceala",  # denied
        "gogus agrim yok, sadece kontrol icin",  # denied after the word
        "ma 3ndich skhana w ma kan7ess b walo f sdri",  # darija « ma …ch »
        "tuve un infarto hace 5 anos, necesito la receta",  # history
        "me queme un dedo con la plancha, es pequena",  # an adult's small burn
    ],
)
def test_their_denials_history_and_small_burns_do_not_alert(text: str) -> None:
    assert detect(text, use_model=False) is None
