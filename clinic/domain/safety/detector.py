"""The red-flag detector: categories found in one patient message, negations and hypotheses aside.

Two readers vote (`detect`). The patterns of `lexicon.RULES`: one found in a clause counts unless
the clause denies it (NegEx-style cue just before: « pas de douleur dans la poitrine », « il n'a
jamais fait de convulsions »), the sentence makes it a hypothesis or a question about risk (« si
jamais », « au cas où », « est-ce que … peut donner »), or the clause places it in the past (« un
AVC il y a 5 ans »); for injuries, « juste un bleu » in the sentence lowers it. And a small
in-process model (clinic.domain.safety.classifier) for the words the patterns never saw. Neither needs
I/O once built, so the answer comes when the Rasa model, the action server or Duckling is down.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise

from clinic.domain.safety import classifier, lexicon
from clinic.domain.safety.categories import Category
from clinic.domain.safety.languages import FOREIGN_RULES
from clinic.domain.safety.lexicon import IMMEDIATE, MODEL_NEEDS, Rule
from clinic.domain.safety.normalise import sentences

#: French and English first, then the other languages.
RULES = lexicon.RULES + FOREIGN_RULES

#: A negation cue close before a match: « pas de », « aucun », « sans », « ni », « jamais »…
_NEGATION = re.compile(
    r"\b(?:pas|aucune?|sans|ni|jamais|absence|non|nul|nulle|zero|plus de|plus d|plus aucune?|no|without|"
    r"didn t|did not|don t have|do not have|doesn t have|does not have|haven t had|has no|have no|"
    r"no sign of|nunca|sin|senza|nao|nu|fara|nici|niciun\w*|ningun\w*|nessun\w*|nenhum\w*|hic|ma \w+(?:ch|sh)|"
    r"plus du tout|"
    r"rien a voir avec|pas question de|"
    r"n y a plus|ne \w+ plus|ne s est pas|n a pas|n a jamais|n ai pas|n ai jamais|n est pas|"
    r"ne fait pas|ne fait plus|pas eu|exclu\w*|ecarte\w*|negati\w*)\b(?: \w+){0,4} ?$"
)
#: Words after « pas » that are not a negation of what follows (« pas bien », « je sais pas »).
_PSEUDO = re.compile(
    r"\bcomme jamais\b|"
    r"\b(?:pas|plus) (?:bien|normal\w*|sur|sure|terrible|top|fort|possible|moyen|du tout bien|"
    r"ce que|quoi|combien|si|comment|pourquoi|quel\w*|trop quoi)\b|"
    r"\b(?:sais|sait|savons|savais|comprends|comprend|reponds|repond|arrive|arrete|passe|"
    r"peu[tx]|pouvons|pouvez|bouge|reagit|respire|reveille|voi[st]|reconnai\w*|tient|sens|sent|"
    r"parvien\w*|reussi\w*|arrivait|"
    r"s arrete|s arretent|disparai\w*|s effacent|part|partent|pouvons|arrivons) (?:\w+ )?"
    r"(?:pas|plus)\b|"
    r"\bsans (?:faire expres|le vouloir|faire attention|le faire expres|arret|s arreter|cesse|raison|prevenir|pouvoir|reagir|bouger|repondre|"
    r"respirer|connaissance|effet)\b|\bnon stop\b|\bplus en plus\b|\bni (?:une|un) ni\b"
)
#: A subject between the cue and the match starts a new statement: « il veut pas manger, il est
#: tout confus ».
_NEW_SUBJECT = re.compile(r"^\w+(?: \w+)*? (?:il|elle|je|j|on|ils|elles|tu|vous|nous)\b")
#: After the match: « fièvre : non », « malaise ? aucun ».
#: A pet's symptoms (« mon chat fait des crises d'épilepsie »).
_ANIMAL = re.compile(
    r"\b(?:mon|ma|le|la|notre|son|sa|my|our) (?:chat|chatte|chaton|chien|chienne|chiot|lapin|hamster|"
    r"cheval|jument|perroquet|cochon d inde|furet|cat|dog|puppy|kitten)\b"
)
_NEGATION_AFTER = re.compile(
    # « fièvre non », but not Italian « il dolore non passa »
    r"^ ?(?:non(?! (?:passa|passe|va|si|mi|ci|smette|riesce|respira|parla))|aucune?|absente?s?|negati\w*|rien)\b|^ ?(?:\w+ ){0,2}(?:yok|yoktu|yoktur|degil\w*)\b|^ ?free\b"
)
_NE = re.compile(r"\b(?:ne|n)\b")
_NE_BEFORE = re.compile(r"\b(?:ne|n)(?: (?:s|se|me|m|l|le|la|lui|les))? $")
_DENIED_AFTER = re.compile(r"^ ?(?:pas|plus|jamais|rien)\b")
#: A hypothesis or a general question before the match in its clause.
_HYPOTHESIS = re.compile(
    r"\b(?:si jamais|au cas ou|en cas d|et si|que faire si|j ai cru que|je croyais que|j ai eu peur que|"
    r"est ce (?:que|qu) (?:un|une|des|les)(?: \w+)? $|what are the signs|signs of (?:a|an)|just asking|"
    r"quoi faire si|comment faire si|"
    r"on fait quoi si|comment (?:reconnaitre|savoir|reagir|eviter|prevenir)|je me renseigne|"
    r"par precaution|prevention|quels sont les|c est quoi les|est ce qu \w+ risque|"
    r"a quoi (?:on )?reconnai\w*|comment (?:on )?(?:reconnai\w*|sait|voit|savoir)|"
    r"pour (?:que|qu) (?:\w+ ){0,3}ne (?:\w+ ){1,2}pas|comment (?:ranger|eviter|proteger)|"
    r"est ce (?:que|qu) (?:\w+ ){0,10}(?:peu[tx]|peuvent|pourrai\w*|risque\w*|normal|dangereu\w*|"
    r"grave|frequent)|(?:peu[tx]|peuvent|pourrai\w*) (?:\w+ ){0,2}(?:donner|provoquer|causer|"
    r"entrainer|declencher|faire (?:un|une|des))|risques? (?:de|d)|signes? (?:de|d|du)|"
    r"symptomes? (?:de|d|du)|peur (?:de|d|que|qu) (?:\w+ ){0,3}(?:fasse|fait|refasse|ait|"
    r"recommence)|pour savoir|formation|brochure|protocole|a partir de (?:quand|combien|quel\w*)|"
    r"combien de degres|parle t on|quand faut il|"
    r"(?:dangereux|grave|normal|risque|grave) si|"
    r"(?<!sais pas )(?<!sait pas )(?<!savoir )(?<!demande )(?<!voir )(?<!comme )(?<!meme )"
    r"(?<!ignore )\bsi (?:un|une|mon|ma|mes|le|la|les|il|elle|on|j|je|son|sa|ses|vous|nous|ils|"
    r"elles|jamais|votre|notre|leur|quelqu|qqn|quelqu un))\b|"
    r"(?<!sais pas )(?<!sait pas )(?<!savoir )(?<!demande )(?<!voir )(?<!ignore )"
    r"(?<!comme )\bs ils? (?!vous plait|te plait)|"
    r"\b(?:que hago si|que hacer si|cosa (?:faccio|fare|facciamo) se|o que (?:fazer|faco) se|ce fac daca|"
    r"ne yapmali\w* eger|what (?:do|should) (?:i|il|we) do if)\b|"
    r"(?<!know )(?<!sure )(?<!wonder )(?<!knows )\bif\b|\bwhat should (?:il|we) do\b|\bin case\b"
)
#: A message that asks in general (prevention, how to recognise), whatever it names.
_GENERAL_QUESTION = re.compile(
    r"\b(?:si jamais|au cas ou|que faire si|quoi faire si|comment faire si|on fait quoi si|"
    r"comment (?:on )?(?:reconnaitre|reconnait|sait|voit|savoir|reagir|eviter|prevenir|ranger|"
    r"proteger)|a quoi (?:on )?reconnai\w*|je me renseigne|par precaution|prevention|pour savoir|"
    r"c est une question|simple question|juste une question|pour (?:que|qu) (?:\w+ ){0,3}ne "
    r"(?:\w+ ){1,2}pas)\b"
)
#: A lesson or a course: nothing in the message is happening to anyone.
_TEACHING = re.compile(
    r"\b(?:formation (?:\w+ ){0,3}(?:secourisme|premiers secours|travail|prevention)|cours de "
    r"(?:secourisme|prevention|svt|bio\w*)|seance de prevention|pour mon cours|mon expose|"
    r"quels sont les signes|question pour (?:un|une|mon|ma) (?:cours|seance|formation|expose)|"
    r"(?:vu|regarde|lu) (?:un|une|le|la) (?:documentaire|reportage|emission|article)|"
    r"pour ma culture|par curiosite|question de curiosite)\b"
)
#: « il y a 5 ans », « l'an dernier », « suivi de mon AVC »: history, not today.
_HISTORY = re.compile(
    r"\b(?:il y a (?:\d+|un|une|deux|trois|quatre|cinq|six|dix|quelques|plusieurs) "
    r"(?:ans?|annees?|mois)|l an(?:nee)? (?:dernier|derniere|passe|passee)|(?<!on est )(?<!etre )en (?:19|20)\d\d|"
    r"antecedents?|dans le passe|(?<!ne )(?<!nee )le mois (?:dernier|passe)|"
    r"(?:\d+|one|two|three|four|five|six|ten|a few|several) years? ago|last year|"
    r"hace (?:\d+|un|una|dos|tres|unos|varios) (?:anos?|meses)|(?:\d+|un|due|tre|qualche) (?:anni|anno|mesi) fa|"
    r"ha (?:\d+|um|dois|tres) anos|\d+ (?:yil|sene) once|gecen (?:yil|sene)|acum (?:\d+|un|doi|trei) (?:ani|an)|"
    r"anul trecut|l anno scorso|el ano pasado|o ano passado|dat\w* de (?:19|20)\d\d|\bin (?:19|20)\d\d\b|"
    r"(?:\d+|a few|several|two|three) (?:months|weeks) ago|garde\w* (?:\w+ ){0,3}(?:faiblesse|sequelles?)|"
    r"depuis (?:qu (?:il|elle|je|j) (?:est|etait|suis|etais) )?(?:tout )?(?:jeune|petite?|enfant|l enfance|"
    r"l adolescence|toujours)|a eu (?:un|une) (?:\w+ ){0,2}a \d{2}\b(?! ?(?:h|heures?|minutes?|mn))|"
    r"as a (?:child|kid|baby|teenager)|(?:suivi|controle|bilan|suite|depuis|apres|reeducation|"
    r"sequelles?) (?:de |d |a |du |pour )?(?:mon|ma|son|sa|mes|ses|l|leur|un|une) (?:\w+ ){0,2}"
    r"(?:avc|infarctus|crise|accident|chute|fracture|operation|hemorragie|tentative|angine|"
    r"intoxication|epilepsie|malaise|meningite|embolie|brulure|fausse couche)|"
    r"(?:ancien|ancienne|vieille|vieux) (?:\w+ ){0,1}(?:brulure|fracture|avc|cicatrice)|"
    r"(?:pas de|aucune) crise depuis|quand (?:j|il|elle) (?:etai[st]|etait) (?:petit|petite|"
    r"jeune|enfant|bebe)|quand (?:il|elle|j) (?:avait|avais) \d+ (?:ans|mois)|a fait (?:un|une|des) (?:\w+ ){1,2}a \d{1,2} ans|"
    r"(?:j ai|il a|elle a) fait (?:un|une|des) (?:\w+ ){1,5}(?:enfant|petit|petite|jeune)$|"
    r"renouvel\w* (?:\w+ ){0,3}(?:stylos?|epipen|anapen|adrenaline)|(?:\w+ ){0,2}enfant (?:est ce|"
    r"cela|ca))\b"
)
#: « depuis un accident ce matin »: what a history cue names happened today.
_TODAY = re.compile(
    r"\b(?:ce matin|cet apres midi|ce soir|cette nuit|tout a l heure|a l instant|aujourd hui|"
    r"il y a (?:\d+|une|un|deux|trois|quelques) (?:minutes?|mn|min|heures?|h)\b)"
)
#: History even for suicidal words: years ago, as a child.
_LONG_AGO = re.compile(
    r"\b(?:il y a (?:\d+|deux|trois|quatre|cinq|dix|quelques|plusieurs) (?:ans|annees)|"
    r"quand (?:j|il|elle) (?:etai[st]|etait|avais|avait) (?:\d+ ans|petit|petite|jeune|ado)|"
    r"(?:\d+|two|three|four|five|ten|a few|several) years ago|hace \d+ anos|\d+ anni fa|ha \d+ anos|"
    r"\d+ yil once|acum \d+ ani)\b"
)
#: « … et j'ai », « … et il est »: a new statement inside a clause.
_AND_SUBJECT = re.compile(
    r" et (?=(?:j|je|il|elle|on|mon|ma|mes|la|le|maintenant|la) )"
    # « … serre très fort | il a déjà fait un infarctus il y a deux ans »: the history is its own
    r"| (?=(?:il|elle|j|je) (?:a|ai|avait|avais) deja )"
)
#: « juste un bleu », « rien de grave »: lowers injuries, burns and bleeding only.
_MINIMISED = re.compile(
    r"\b(?:(?<!peut etre )(?<!surement )(?<!sans doute )(?<!j espere )pas grave|rien de grave|pas (?:bien )?mechant\w*|rien de (?:casse|grave|mechant)|"
    r"juste (?:un|une|des) (?:\w+ ){0,1}(?:bleu|bosse|egratignure|ecorchure|griffure|rougeur)|"
    r"plus de peur que de mal|petite? (?:brulure|coupure|chute|bosse|plaie|cloque|rougeur)|"
    r"(?:brulure|coupure|chute|plaie) (?:\w+ ){0,1}(?:legere|superficielle|sans gravite)|"
    r"juste (?:un peu )?rouge|"
    r"superficiel\w*|(?:c est )?tout petit\b|pas urgent|rien d urgent|sans gravite|n est pas urgent|legere?s? "
    r"(?:brulure|coupure|chute)|deja (?:arrete|cicatrise|gueri)|(?:s est|c est) (?:arrete|ferme|referme)|"
    r"brul\w* legerement|legerement brul\w*|"
    r"(?:ne saigne|saigne) plus|coup de soleil(?!.*(?:fievre|vomi|frisson))|petite (?:zone|marque)|"
    # a burn's size, only next to the burn: « 3 cm » alone may be a deep cut
    r"brul\w* (?:\w+ ){0,8}(?:(?:[1-3]|un|deux|trois) cm|(?:grand\w* comme|taille d) une piece)|"
    r"(?:(?:[1-3]|un|deux|trois) cm|grand\w* comme une piece) (?:\w+ ){0,4}brul\w*)\b"
)

#: Getting worse, or signs of shock: a « petite chute » then stays a danger.
_WORSENING = re.compile(
    r"\bde plus en plus (?:mal|douleur|pale|essouffl\w*|gonfl\w*)|"
    r"(?:coeur|pouls) (?:\w+ ){0,2}(?:bat|battre|s emballe) (?:\w+ ){0,1}(?:vite|fort|a toute)|"
    r"tachycard\w*"
)


#: What is read of a message (WhatsApp allows 4,096 characters).
MAX_TEXT = 4096
#: The model's danger score that flags a message on its own, and the one a pattern needs from
#: it. ALONE was chosen on the second round and checked by leaving one round of the tuning part
#: out (bench/safety_rounds.py): 0.7 would catch 0.977 of danger messages from hands the model
#: never learnt from, against 0.968, but it flags « j'ai mal à la gorge depuis 3 jours » (0.73),
#: the most ordinary request there is (docs/safety.md). CONFIRM was chosen on the third round.
ALONE = 0.8
CONFIRM = 0.1


@dataclass(frozen=True)
class Finding:
    """What one message showed: the categories (first found first) and, for suicidal words,
    whether the danger is under way."""

    categories: tuple[Category, ...]
    immediate: bool = False

    @property
    def suicidal(self) -> bool:
        return Category.SUICIDE in self.categories

    @property
    def category(self) -> Category:
        """The one stored with the alert: suicidal first (it decides the numbers), else the first."""
        return Category.SUICIDE if self.suicidal else self.categories[0]


def _qualified(clause: str, start: int, end: int, historic: bool = True) -> bool:
    """True when the match [start:end] in `clause` is denied, hypothetical or history."""
    before = clause[max(0, start - 60) : start]
    cue = _NEGATION.search(before)
    while cue:  # « non il n'est pas tombé »: the nearest cue counts, not only the first
        if not _PSEUDO.search(before[max(0, cue.start() - 12) :]) and not _NEW_SUBJECT.search(
            before[cue.start() :]
        ):
            return True
        cue = _NEGATION.search(before, cue.start() + 1)
    if _ANIMAL.search(clause[:start]):
        return True
    if _NEGATION_AFTER.search(clause[end : end + 20]):
        return True
    if (
        (_NE.search(clause[start:end]) or _NE_BEFORE.search(clause[max(0, start - 12) : start]))
        and _DENIED_AFTER.search(clause[end : end + 12])
        and not _PSEUDO.search(clause[max(start, end - 20) : end + 12])
    ):
        return True  # « mes lèvres ne gonflent pas », but « elle ne répond plus » is the sign
    if _HYPOTHESIS.search(clause[:start]):
        return True
    statement = _statement(clause, start)
    if historic:
        return bool(_HISTORY.search(statement)) and not _TODAY.search(statement)
    return bool(_LONG_AGO.search(statement))


def _statement(clause: str, start: int) -> str:
    """The part of the clause the match belongs to: « j'ai fait un infarctus il y a 2 ans | et
    j'ai la même douleur dans la poitrine » are two statements."""
    cuts = [0, *(m.start() for m in _AND_SUBJECT.finditer(clause)), len(clause)]
    for left, right in pairwise(cuts):
        if left <= start < right:
            return clause[left:right]
    return clause


def _found(
    pattern: re.Pattern[str],
    parsed: list[list[str]],
    minimisable: bool = False,
    historic: bool = True,
) -> bool:
    """Whether `pattern` matches somewhere, not denied, hypothetical, history (nor minimised)."""
    for clauses in parsed:
        sentence = " , ".join(clauses)
        if minimisable and _MINIMISED.search(sentence) and not _WORSENING.search(sentence):
            continue
        for clause in clauses:
            for match in pattern.finditer(clause):
                if not _qualified(clause, match.start(), match.end(), historic):
                    return True
    return False


def _fires(rule: Rule, parsed: list[list[str]], whole: str) -> bool:
    if rule.unless is not None and rule.unless.search(whole):
        return False
    if not _found(rule.pattern, parsed, rule.minimisable, rule.historic):
        return False
    return rule.with_ is None or _found(rule.with_, parsed, historic=rule.historic)


#: Every rule's exception, by category (a category may have several rules, each its own).
_UNLESS: dict[Category, list[re.Pattern[str]]] = {}
for _rule in RULES:
    if _rule.unless is not None:
        _UNLESS.setdefault(_rule.category, []).append(_rule.unless)
_MINIMISABLE = {rule.category for rule in RULES if rule.minimisable}


def _plausible(score: classifier.Score, parsed: list[list[str]], whole: str) -> bool:
    """The model alone is not heard on a general question, against what rules its category
    out (an infant whose age is given as 3 months or more), nor where the patterns found the
    danger's words and saw them denied, hypothetical or past (« pas de douleur dans la
    poitrine »)."""
    if _GENERAL_QUESTION.search(whole):
        return False
    if any(unless.search(whole) for unless in _UNLESS.get(score.category, ())):
        return False
    needs = MODEL_NEEDS.get(score.category)
    if needs is not None and not needs.search(whole):
        return False
    if score.category in _MINIMISABLE and _MINIMISED.search(whole) and not _WORSENING.search(whole):
        return False
    return not _denied(score.category, parsed)


def _denied(category: Category, parsed: list[list[str]]) -> bool:
    """The category's words are in the message, and each time denied, hypothetical or past."""
    seen = False
    for rule in RULES:
        if rule.category is not category:
            continue
        for clauses in parsed:
            for clause in clauses:
                for match in rule.pattern.finditer(clause):
                    if not _qualified(clause, match.start(), match.end(), rule.historic):
                        return False
                    seen = True
    return seen


def matched(text: str) -> tuple[Category, ...]:
    """The categories whose patterns fire (the patterns alone, as the benchmark reports them)."""
    parsed = sentences(text[:MAX_TEXT])
    return _matched(parsed, classifier.join(parsed))


def _matched(parsed: list[list[str]], whole: str) -> tuple[Category, ...]:
    return tuple(dict.fromkeys(rule.category for rule in _fired(parsed, whole)))


def _fired(parsed: list[list[str]], whole: str) -> list[Rule]:
    return [rule for rule in RULES if _fires(rule, parsed, whole)]


def detect(text: str, use_model: bool = True) -> Finding | None:
    """The red flags in one message, or None. Button payloads (« /intent ») are not words.

    The patterns and the model (clinic.domain.safety.classifier) vote: a pattern counts unless the
    model finds the message plainly ordinary (below CONFIRM: « j'étouffe dans ce bureau »), and
    the model alone flags what it scores at ALONE or more (new words for a known danger)."""
    if not text or text.lstrip().startswith("/"):
        return None
    parsed = sentences(text[:MAX_TEXT])  # read once: patterns, cues and the model share it
    whole = classifier.join(parsed)
    if _TEACHING.search(whole):
        return None
    fired = _fired(parsed, whole)
    categories = tuple(dict.fromkeys(rule.category for rule in fired))
    danger_model = classifier.model() if use_model else None
    if danger_model is not None:
        score = danger_model.score_normalised(whole)
        if (
            score.danger < CONFIRM
        ):  # plainly ordinary; suicidal and English words are never overruled
            kept = {rule.category for rule in fired if not rule.vetoable} | {Category.SUICIDE}
            categories = tuple(c for c in categories if c in kept)
        if (
            score.danger >= ALONE
            and score.category not in categories
            and _plausible(score, parsed, whole)
        ):
            categories = (*categories, score.category)
    if not categories:
        return None
    immediate = Category.SUICIDE in categories and (
        bool(IMMEDIATE.search(whole)) or Category.POISONING in categories
    )
    return Finding(categories, immediate)


def is_red_flag(text: str) -> bool:
    """True when `text` names a sign of a vital emergency."""
    return detect(text) is not None
