"""De-identification of patients' French messages before trainers read them (the export).

What a patient writes is replaced, span by span, by a placeholder:

| what | placeholder | found by |
|---|---|---|
| a person's name (the patient, a relative, a doctor) | `<nom>` | spaCy's French NER (`fr_core_news_md`, PER), the conversation's own names, and rules: a name after a relative (« ma fille Léa », « mon mari jean-pierre »), a title (« Mme », « Dr »), an introduction (« je m'appelle », « c'est », « jsuis », « ici »), « pour » / « rdv pr » |
| an age | `<âge>` | « 3 ans », « 2 mois et demi », « quarante ans »; not a duration (« depuis 3 jours », « ça fait 6 mois ») |
| an address, a town, a postcode | `<adresse>` | street patterns, postcode + town, spaCy LOC, « j'habite X », « à Décines », hyphenated towns |
| a date of birth | `<date de naissance>` | a date with a year after « né(e) le », « ddn », « date de naissance », or whose year is before last year; an appointment date (« le 12/04 à 9h », « jeudi ») stays |
| a phone number, an e-mail, a social-security number | `<contact>` | patterns |
| a sensitive diagnosis or status | `<santé>` | a lexicon (« séropositif », « enceinte », « cancer du sein », « dépression », « IVG »…); ordinary visit reasons (« mal de gorge », « renouvellement d'ordonnance », « vaccin ») stay, trainers need them |

Why spaCy plus rules rather than Presidio, with the numbers on the labelled corpus of
tests/privacy/deid/: docs/decisions.md (43). Lowercase SMS names are told from ordinary words with
the French model's own lexicon (its lemmatizer's tables): « mehdi » is not a French word,
« mardi » is.

`Deidentifier.load()` loads the model (a few seconds): once per export, never at import.
`Deidentifier(None)` runs the rules alone (no NER, no lexicon), for callers that cannot load it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from clinic.adapters import logs

PLACEHOLDERS = {
    "PERSON": "<nom>",
    "AGE": "<âge>",
    "LOCATION": "<adresse>",
    "DATE": "<date de naissance>",
    "CONTACT": "<contact>",
    "HEALTH": "<santé>",
}
#: The spaCy model (a pinned package, requirements.txt).
MODEL = "fr_core_news_md"


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    label: str


def fold(text: str) -> str:
    """Lower case without accents, one character for one (offsets stay those of `text`)."""
    out = []
    for char in text:
        decomposed = unicodedata.normalize("NFKD", char.lower())
        kept = "".join(c for c in decomposed if not unicodedata.combining(c))
        out.append((kept or char)[:1])
    return "".join(out).replace("’", "'")


# --- word lists (folded) -----------------------------------------------------------------------

_RELATIVES = (
    "fils|fille|filles|mari|femme|epoux|epouse|compagnon|compagne|conjoint|conjointe|copain|"
    "copine|pere|mere|papa|maman|frere|soeur|sœur|oncle|tante|neveu|niece|cousin|cousine|"
    "grand-pere|grand-mere|grand pere|grand mere|grand-mere|arriere-grand-mere|beau-pere|"
    "belle-mere|beau-frere|belle-soeur|belle-sœur|belle-fille|beau-fils|petit-fils|"
    "petite-fille|bebe|bb|enfant|enfants|ado|fiston|voisin|voisine|ami|amie|collegue|patient|"
    "patiente|petit|petite|jumeaux|jumelles|garcon|filleul|filleule|nounou|tuteur|tutrice"
)
_TITLES = (
    r"m\.|mr\.?|mme\.?|mlle\.?|madame|monsieur|mademoiselle|dr\.?|docteur|docteure|doctoresse|"
    r"pr\.?|professeur|professeure|maitre|me\."
)
#: Words after which a patient writes a name: introductions, « pour », greetings, thanks.
_INTRODUCERS = (
    r"je m'appelle|je m'apelle|je m appelle|jm'appelle|je me nomme|mon nom est|mon nom c'est|"
    r"moi c'est|je suis|jsuis|j'suis|chui|ici c'est|c'est|c'|ici|de la part de|la part de|"
    r"pour|pr|bonjour|bonsoir|salut|coucou|merci|ok|au nom de|rdv pour|rdv pr|c est|cest|c"
)
#: Not names even when capitalised or unknown to the lexicon: SMS words, greetings, courtesy.
_NOT_NAMES = set(
    """svp stp bjr bsr slt cc coucou dsl desole desolee bcp pr pk pq rdv rdvs dispo dispos mtn qqch
    qq qqn ok oki okay merci bonjour bonsoir salut jpeu jpeux jveux jvoudrai jvoudrais jvoulais
    jsuis jsui chui jai jcrois jsais jsp jpense jdois jarrive jviens jamais c ct cest g ya yaura
    tkt mdr lol svp. vs ds tjs tt tte ttes tous toute bb ado aprem apres-midi matin soir demain
    hier aujourd aujourd'hui auj cabinet docteur doctoresse dr madame monsieur mme mr mlle
    secretaire secretariat medecin remplacant remplacante ici urgent urgence info infos
    certif certificat visio ordonnance ordo vaccin vaccins rappel rappels consultation
    pilule frottis bilan radio prise sang examen resultats analyse analyses traitement
    renouvellement suivi controle visite domicile nouveau nouvelle patient patiente
    oui non voila bien top super parfait genial cool num numero tel tél portable fixe mail
    mail. email sécu secu ddn nee ne née né né(e) carte vitale mutuelle feuille soin soins
    lundi mardi mercredi jeudi vendredi samedi dimanche janvier fevrier mars avril mai juin
    juillet aout septembre octobre novembre decembre noel paques toussaint hello allo wesh yo
    ouais bref re nn hi dun dune jvais cest ke ki koi pcq psk tjrs msg mn stv doctolib ameli
    whatsapp sms covid doliprane dafalgan efferalgan spasfon smecta ventoline levothyrox""".split()
)
_DAYS_MONTHS = (
    "lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|janvier|fevrier|mars|avril|mai|juin|"
    "juillet|aout|septembre|octobre|novembre|decembre"
)
_MONTHS = "janvier|fevrier|mars|avril|mai|juin|juillet|aout|septembre|octobre|novembre|decembre"
_NUMBER_WORDS = (
    "un|une|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|onze|douze|treize|quatorze|quinze|"
    "seize|dix-sept|dix-huit|dix-neuf|vingt|trente|quarante|cinquante|soixante|soixante-dix|"
    "quatre-vingt|quatre-vingts|quatre-vingt-dix|cent"
)
_PARTICLES = {"de", "du", "des", "la", "le", "el", "al", "ben", "bin", "van", "von", "da", "di",
              "dos", "das", "d'", "l'", "ould", "ait", "abou", "mac", "mc", "y"}  # fmt: skip

#: Sensitive diagnoses and statuses (folded, as regular expressions). Ordinary visit reasons
#: (« angine », « gastro », « mal de gorge », « fièvre », « otite », « migraine »), treatments
#: (« chimio », « insuline ») and life stages (« ménopause ») are deliberately absent.
_HEALTH = r"""
seropositi(?:f|ve|fs|ves) | sero\s?po(?:sitif|sitive)? | serologie\s+positive | vih | sida |
hiv | ist | mst | chlamydia | syphilis | gonorrhee | gonocoque | herpes\s+genital |
papillomavirus | hpv | hepatite\s*[abcde]? | tuberculose |
enceinte | grossesse | fausse[\s-]couche | ivg | avortement | interruption\s+(?:volontaire\s+)?de\s+grossesse |
infertilite | sterilite | pma | fiv | endometriose | sopk |
cancers? (?:\s+(?:du|de\s+la|de\s+l'|des|de)\s+[a-z]+)? | cancereu(?:x|se) | tumeurs? | leucemie |
lymphome | melanome | metastases? | sarcome | myelome |
diabet(?:e|ique|iques)(?:\s+(?:de\s+)?type\s*(?:1|2|i|ii|un|deux))? |
asthm(?:e|atique) | epilep(?:sie|tique) | mucoviscidose | drepanocytose | hemophil(?:e|ie) |
insuffisan(?:ce|t|te)\s+(?:cardiaque|renale|respiratoire|hepatique|veineuse) |
insuffisant(?:e)?\s+(?:cardiaque|renal|renale|respiratoire) |
dialys(?:e|ee|é|es|ees) | greff(?:e|ee)\s+(?:du|de)\s+[a-z]+ | infarctus | avc | hemiplegi(?:e|que) |
cirrhose | hypertension | hypertendu(?:e)? | hypothyroidie | hyperthyroidie | thyroidite |
obesite | obese | lupus | polyarthrite | spondylarthrite | fibromyalgie | sclerose\s+en\s+plaques |
sla | maladie\s+de\s+[a-z]+ | maladie\s+d'[a-z]+ | parkinson | alzheimer | crohn |
rectocolite | demence | dement(?:e)? |
depression | depressi(?:f|ve) | deprime(?:e)? | burn[\s-]?out | bipolaire | bipolarite |
schizophren(?:e|ie) | psychose | psychotique | paranoia | paranoiaque | borderline |
troubles?\s+(?:anxieux|bipolaires?|psychiatriques?|psychotiques?|obsessionnels?(?:\s+compulsifs?)?|
  du\s+comportement(?:\s+alimentaire)?|alimentaires?|de\s+la\s+personnalite|de\s+l'humeur|
  anxio-depressifs?|dys[a-z]*|de\s+l'attention) |
toc | tdah | anorexi(?:e|que) | boulimi(?:e|que) | phobie\s+[a-z]+ | stress\s+post[\s-]traumatique |
tentative\s+de\s+suicide | idees\s+(?:suicidaires|noires) | suicidaire | automutilation |
scarification | autis(?:me|te|tes) | asperger | trisomi(?:e|que) | hyperacti(?:f|ve|vite) |
handicap(?:e|ee)? | paraplegi(?:e|que) | tetraplegi(?:e|que) | sourd(?:e|s|es)? |
malentendant(?:e|s)? | aveugle | malvoyant(?:e)? |
addict(?:ion|e|s)?(?:\s+(?:a\s+l'|a\s+la\s+|aux\s+|au\s+|a\s+)[a-z]+)? |
dependan(?:ce|t|te)\s+(?:a\s+l'|a\s+la\s+|aux\s+|au\s+|a\s+)[a-z]+ | alcooli(?:que|sme) | toxicomane |
toxicomanie | heroinomane | cocainomane | sevrage
"""
_HEALTH_RE = re.compile(r"(?<![\w-])(?:" + re.sub(r"\s*\|\s*", "|", _HEALTH.strip()).replace("\n", "") + r")(?![\w-])", re.IGNORECASE | re.VERBOSE)  # fmt: skip

_EMAIL = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+")
_PHONE = re.compile(
    r"(?<![\w+])(?:(?:\+|00)\s?33\s?\(?0?\)?\s?[1-9](?:[\s.\-]?\d{2}){4}"
    r"|0[1-9](?:[\s.\-]?\d{2}){4}"
    r"|\+\d{1,3}(?:[\s.\-]?\d){6,12})(?![\w])"
)
#: French social-security numbers: 13 digits, 15 with the key, spaced or not.
_NIR = re.compile(r"(?<!\d)[12](?:\s?\d){12}(?:\s?\d{2})?(?!\d)")
_DATE_NUMERIC = re.compile(
    r"(?<![\d/])(\d{1,2})[/.\-](\d{1,2})[/.\-]((?:19|20)\d{2}|\d{2})(?![\d/])"
)
_DATE_WORDS = re.compile(
    r"(?<!\w)(?:(\d{1,2})(?:er)?\s+)?(" + _MONTHS + r")\s+((?:19|20)\d{2})(?!\d)", re.IGNORECASE
)
#: « née en 1962 », « ddn 1962 »: a year alone, right after a birth word.
_BIRTH_YEAR = re.compile(
    r"(?:\bn[eé]e?s?\s+en|\bddn\s*:?|naissance\s*:?)\s+((?:19|20)\d{2})(?!\d)", re.IGNORECASE
)
_BIRTH_CONTEXT = re.compile(
    r"(?:\bn[eé]e?s?\b|\bddn\b|naissance|\bdob\b)[\s:,(]*(?:le|en|du|au)?[\s:]*$", re.IGNORECASE
)
_AGE = re.compile(
    r"(?<![\w,.])((?:\d{1,3}\s*(?:,|et|ou)\s*)*(?:\d{1,3}|(?:"
    + _NUMBER_WORDS
    + r")(?:[\s-](?:"
    + _NUMBER_WORDS
    + r"))*)"
    r"\s*(ans|an|mois|semaines?|sem|jours?)(?:\s+et\s+demi)?)(?![\w])",
    re.IGNORECASE,
)
#: What makes « 3 ans » a duration, not an age (read just before it).
_DURATION = re.compile(
    r"(?:depuis|fait|y a|ya|pendant|dans|durant|enceinte\s+de|tous\s+les|toutes\s+les|"
    r"en|sous|pour|d'ici|encore|apres|plus\s+de|moins\s+de|il\s+y\s+a|fois|"
    r"de\s+retard|tout\s+les|chaque|reviens?|revenir|ca\s+fait|cela\s+fait)\s*(?:\(?\s*)$",
    re.IGNORECASE,
)
#: Days are an age only for a baby (« bébé de 10 jours »).
_BABY = re.compile(r"(?:bebe|bb|nourrisson|nouveau-ne|nouveau ne|ne)\s+(?:de\s+|a\s+)?$")

_STREET = (
    r"rue|avenue|av\.?|boulevard|bd|place|impasse|allee|chemin|route|quai|cours|square|passage|"
    r"montee|chaussee|voie|residence|lotissement|hameau|lieu-dit|sentier|rond-point|cite|parc"
)
#: The head of a street address, on folded text: « 12 rue des », « bât C, 15 rue », « place ».
_STREET_HEAD = re.compile(
    r"(?<!\w)(?:(?:bat(?:iment)?\.?\s+\w{1,3}\s*,\s*)?(?P<number>\d{1,4})\s?(?:bis|ter|b)?\s*,?\s+)?"
    r"(?:" + _STREET + r")\s+(?:(?:du|de\s+la|de\s+l'|des|de|d'|la|le|les|l')\s*)?",
    re.IGNORECASE,
)
_WORD_AHEAD = re.compile(r"[ \t]*([\w'\-]+)")
_POSTCODE_TOWN = re.compile(r"(?<!\d)\d{5}\s+[A-ZÉÈ][\w'\-]+", re.UNICODE)
_POSTCODE_CONTEXT = re.compile(r"(?:code\s+postal|\bcp)\s*:?\s*(\d{5})(?!\d)", re.IGNORECASE)
_TOWN_SHAPE = re.compile(
    r"(?<![\w-])(?:(?:saint|sainte|st|ste)-[\w'-]+|[A-Za-zÀ-ÿ]+-(?:la|le|les|en|sur|sous|les|lez|"
    r"de|du|des|et|aux|au)-[\w'-]+)(?![\w-])",
    re.IGNORECASE,
)
_LIVES = re.compile(
    r"(?:habite|habitons|habitent|habiter|vis|vit|vivons|vivent|demenage|demenagee?|demenages|"
    r"demenager|installee?s?|domiciliee?|residons|reside|loge|logee?|travaille|bosse|originaire|"
    r"heberge|hebergee)\s+(?:(?:a|au|en|sur|vers|pres\s+de|chez|dans)\s+)?$",
    re.IGNORECASE,
)
_TOWN_AFTER = re.compile(r"(?:\ba|\bau|\ben|\bsur|\bvers|\bde|\bpres\s+de)\s+$", re.IGNORECASE)
_ELISION = re.compile(r"(?:[cdjlmnst]|qu|jusqu|lorsqu|puisqu)'", re.IGNORECASE)
_TOKEN = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿŒœ][A-Za-zÀ-ÖØ-öø-ÿŒœ'\-]*")
_RELATIVE_RE = re.compile(
    r"(?<!\w)(?:mon|ma|mes|notre|nos|son|sa|ses|le|la|les|du|de\s+la|de\s+mon|de\s+ma|votre)\s+"
    r"(?:" + _RELATIVES + r")(?:\s+(?:de|d')\s*)?(?=\s|$|')",
    re.IGNORECASE,
)
_TITLE_RE = re.compile(r"(?<!\w)(?:" + _TITLES + r")(?=\s|$)", re.IGNORECASE)
_INTRO_RE = re.compile(r"(?<![\w'])(?:" + _INTRODUCERS + r")(?=[\s,:]|$)", re.IGNORECASE)
_AFTER_NAME = re.compile(
    r"\s*(?:,|\bici\b|\bet moi\b|\ba\b|\best\b|\bnee?\b|\bma\b|\bmon\b|\bva\b|\bpeut\b|\bdoit\b|"
    r"\bvient\b|\bsouhaite\b|\bvoudrait\b|\bdevait\b|\brdv\b|\d)",
    re.IGNORECASE,
)


class Deidentifier:
    """Finds and replaces what identifies a person, or discloses their health (module doc)."""

    def __init__(self, nlp: Any | None = None, *, today: date | None = None) -> None:
        """`nlp`: a loaded spaCy French pipeline (`load()`), or None for the rules alone."""
        self.nlp = nlp
        self.this_year = (today or date.today()).year
        self.words: frozenset[str] = _lexicon(nlp) if nlp is not None else frozenset()

    @classmethod
    def load(cls, *, today: date | None = None) -> Deidentifier:
        """The model loaded (a few seconds, about 150 MB): call it once per export."""
        import spacy

        nlp = spacy.load(
            MODEL, disable=["parser", "lemmatizer", "morphologizer", "attribute_ruler"]
        )
        return cls(nlp, today=today)

    # --- the public part -----------------------------------------------------------------------

    def __call__(self, text: str, names: Iterable[str] = ()) -> str:
        """`text` with every span found replaced by its placeholder."""
        return self.replace(text, self.spans(text, names))

    def spans(self, text: str, names: Iterable[str] = ()) -> list[Span]:
        """What to replace, merged: no two spans overlap; sorted."""
        folded = fold(text)
        caps = _mostly_upper(text)
        found: list[Span] = []
        found += self._contacts(text)
        found += self._addresses(text, folded)
        found += self._birth_dates(text, folded)
        found += self._ages(text, folded)
        found += [Span(m.start(), m.end(), "HEALTH") for m in _HEALTH_RE.finditer(folded)]
        found += self._known_names(text, folded, names)
        found += self._context_names(text, folded, caps)
        if self.nlp is not None:
            found += self._ner(text, folded, caps)
        found += self._towns(text, folded, caps)
        return _merge(found, text)

    @staticmethod
    def replace(text: str, spans: list[Span]) -> str:
        for span in sorted(spans, key=lambda s: s.start, reverse=True):
            text = text[: span.start] + PLACEHOLDERS[span.label] + text[span.end :]
        return text

    # --- rules ---------------------------------------------------------------------------------

    def _contacts(self, text: str) -> list[Span]:
        spans = [Span(m.start(), m.end(), "CONTACT") for m in _EMAIL.finditer(text)]
        spans += [Span(m.start(), m.end(), "CONTACT") for m in _PHONE.finditer(text)]
        spans += [Span(m.start(), m.end(), "CONTACT") for m in _NIR.finditer(text)]
        # and whatever the logs' own masking would hide (« 0612 345 678 », a bare wa_id)
        spans += [Span(start, end, "CONTACT") for start, end in logs.contacts(text)]
        return spans

    def _addresses(self, text: str, folded: str) -> list[Span]:
        spans = []
        caps = _mostly_upper(text)
        for match in _STREET_HEAD.finditer(folded):
            # The street's name: capitalised words, numbers and particles (« du 4 Août 1789 »);
            # without a house number, it must open with a capital (« rue Garibaldi », not « la
            # place vendredi »).
            end, words = match.end(), 0
            while (word := _WORD_AHEAD.match(text, end)) is not None:
                token, low = word[1], fold(word[1])
                capital = token[:1].isupper() or token[:1].isdigit()
                if words == 0 and not capital and not caps:
                    break
                if not (
                    capital
                    or low in _PARTICLES
                    or re.fullmatch(_MONTHS, low)
                    or (caps and not _STOPWORD.fullmatch(low))
                ):
                    break
                end, words = word.end(), words + 1
            if words and (match["number"] or text[match.end() : match.end() + 1].isupper()):
                spans.append(Span(match.start(), end, "LOCATION"))
        spans += [Span(m.start(), m.end(), "LOCATION") for m in _POSTCODE_TOWN.finditer(text)]
        spans += [
            Span(m.start(1), m.end(1), "LOCATION") for m in _POSTCODE_CONTEXT.finditer(folded)
        ]
        return spans

    def _birth_dates(self, text: str, folded: str) -> list[Span]:
        spans = []
        for match in (*_DATE_NUMERIC.finditer(folded), *_DATE_WORDS.finditer(folded)):
            year = int(match[3]) if len(match[3]) == 4 else 1900 + int(match[3])
            if len(match[3]) == 2 and year < 1920:
                year += 100
            before = folded[max(0, match.start() - 30) : match.start()]
            if _BIRTH_CONTEXT.search(before) or year < self.this_year - 1:
                spans.append(Span(match.start(), match.end(), "DATE"))
        spans += [Span(m.start(1), m.end(1), "DATE") for m in _BIRTH_YEAR.finditer(folded)]
        return spans

    def _ages(self, text: str, folded: str) -> list[Span]:
        spans = []
        for match in _AGE.finditer(folded):
            before = folded[max(0, match.start() - 25) : match.start()]
            if _DURATION.search(before):
                continue
            unit = match[2].lower()
            if unit.startswith("jour") and not _BABY.search(before):
                continue
            spans.append(Span(match.start(1), match.end(), "AGE"))
        return spans

    def _known_names(self, text: str, folded: str, names: Iterable[str]) -> list[Span]:
        """The conversation's own names (booked name, records), token by token."""
        spans = []
        tokens = {fold(t) for n in names for t in re.split(r"[\s\-']+", n) if len(t) >= 2}
        # « de », « la » of « Enguerrand de la Roche » are not names: every « de » would go
        tokens = {t for t in tokens if t not in _PARTICLES and not _STOPWORD.fullmatch(t)}
        ligatures = (("œ", "oe"), ("æ", "ae"))
        tokens |= {t.replace(a, b) for t in tokens for a, b in ligatures}  # Quillebœuf, -boeuf
        tokens |= {t.replace(b, a) for t in tokens for a, b in ligatures}
        for token in tokens:
            for match in re.finditer(rf"(?<!\w){re.escape(token)}(?!\w)", folded):
                spans.append(Span(match.start(), match.end(), "PERSON"))
        return spans

    def _context_names(self, text: str, folded: str, caps: bool) -> list[Span]:
        """Names after a relative, a title or an introduction; and a message that opens with
        one (« Amandine ici », « Jean a rdv », « noah né le … », « Prudence et moi … »)."""
        spans = []
        for match in _RELATIVE_RE.finditer(folded):
            spans += self._name_at(text, match.end(), caps)
        for match in _TITLE_RE.finditer(folded):
            strong = not re.match(r"doct|pr", match[0])  # « le docteur sait », not a name
            spans += self._name_at(text, match.end(), caps, after_title=strong)
        for match in _INTRO_RE.finditer(folded):
            spans += self._name_at(text, match.end(), caps)
        start = _opening(folded)
        for span in self._name_at(text, start, caps, opening=True):
            if _AFTER_NAME.match(folded, span.end):
                spans.append(span)
        first = _TOKEN.match(text, start)
        if (
            first
            and first[0][:1].isupper()
            and re.match(r"\s+(?:et moi|ici)\b", folded[first.end() :])
        ):
            spans.append(Span(first.start(), first.end(), "PERSON"))
        return spans

    def _name_at(
        self, text: str, at: int, caps: bool, *, after_title: bool = False, opening: bool = False
    ) -> list[Span]:
        """A name of one to four words starting at `at` (after spaces), if one is there; and
        « et Kylian Lopez » after it."""
        spans: list[Span] = []
        while True:
            words: list[tuple[int, int]] = []
            position = at
            while len(words) < 4:
                match = _TOKEN.match(text, _skip_spaces(text, position))
                if match is None:
                    break
                word = match[0]
                if fold(word) in _PARTICLES:
                    # « Da Silva », « Le Goff », « de la roche », « el amrani »
                    nxt = _TOKEN.match(text, _skip_spaces(text, match.end()))
                    if nxt is not None and fold(nxt[0]) in _PARTICLES:
                        nxt = _TOKEN.match(text, _skip_spaces(text, nxt.end()))
                    leading = not words and word[:1].isupper() and not caps
                    if (
                        (words or leading)
                        and nxt is not None
                        and self._name_word(nxt[0], caps, first=False)
                    ):
                        words.append((match.start(), match.end()))
                        position = match.end()
                        continue
                    break
                if not self._name_word(
                    word, caps, first=not words, after_title=after_title and not words,
                    opening=opening and not words,
                ):  # fmt: skip
                    break
                words.append((match.start(), match.end()))
                position = match.end()
            while words and fold(text[words[-1][0] : words[-1][1]]) in _PARTICLES:
                words.pop()
            if not words:
                return spans
            spans.append(Span(words[0][0], words[-1][1], "PERSON"))
            more = re.match(r"\s*(?:et|&)\s+", text[words[-1][1] :])
            following = _TOKEN.match(text, words[-1][1] + more.end()) if more else None
            if following is None or not following[0][:1].isupper() or caps:
                return spans
            at, after_title, opening = following.start(), False, False

    def _name_word(
        self,
        word: str,
        caps: bool,
        *,
        first: bool,
        after_title: bool = False,
        opening: bool = False,
    ) -> bool:
        """Could `word` be (part of) a name here? A capitalised word can, unless it is courtesy,
        an SMS word or, opening a message, an ordinary French word (« Bonne année »); a
        lowercase one only when the French lexicon does not know it, or right after « Mme »."""
        low = fold(word)
        if _ELISION.match(low) or len(low) < 2 or _STOPWORD.fullmatch(low):
            return False
        if _HEALTH_RE.fullmatch(low) or low in _PARTICLES:
            return False
        capital = word[:1].isupper() and not caps
        if low in _NOT_NAMES and (first or not capital):
            return False  # « Patrick Noël » is a name, « pour Noël » is not
        if (first or not capital) and re.fullmatch(_RELATIVES + "|" + _DAYS_MONTHS, low):
            return False
        if re.fullmatch(r"m|mr|mme|mlle|madame|monsieur|mademoiselle|dr|docteur|doctoresse", low):
            return False
        if word.isupper() and len(word) <= 4 and not caps:
            return False  # an acronym: « VIH », « ROR », « MDPH »
        if after_title:
            return True  # « Mme fournier », « MONSIEUR BERNARD »
        known = low in self.words or (low.endswith("s") and low[:-1] in self.words)
        if capital:
            return not (opening and known)
        return bool(self.words) and not known

    def _towns(self, text: str, folded: str, caps: bool) -> list[Span]:
        spans = [Span(m.start(), m.end(), "LOCATION") for m in _TOWN_SHAPE.finditer(text)]
        for match in _TOKEN.finditer(text):
            before = folded[max(0, match.start() - 30) : match.start()]
            word = match[0]
            low = fold(word)
            if _LIVES.search(before) and low not in _NOT_NAMES and not _STOPWORD.fullmatch(low):
                if word[:1].isupper() or low not in self.words:
                    spans.append(Span(match.start(), match.end(), "LOCATION"))
            elif _TOWN_AFTER.search(before) and word[:1].isupper() and not caps:
                if low not in self.words and low not in _NOT_NAMES and len(low) > 2:
                    spans.append(Span(match.start(), match.end(), "LOCATION"))
        return spans

    def _ner(self, text: str, folded: str, caps: bool) -> list[Span]:
        """spaCy's PER, LOC and MISC entities, trimmed of what the model glues to a name
        (greetings, titles, SMS words); an entity left with an ordinary word alone is dropped."""
        assert self.nlp is not None
        spans = []
        start = _opening(folded)
        for entity in self.nlp(text).ents:
            if entity.label_ not in ("PER", "LOC", "MISC"):
                continue
            words = [(m.start() + entity.start_char, m.end() + entity.start_char, m[0])
                     for m in _TOKEN.finditer(entity.text)]  # fmt: skip
            kept: list[tuple[int, int, str]] = []
            for s, e, w in words:  # « Patrick Noël » keeps « Noël », « Bonjour c' » nothing
                if fold(w) in _PARTICLES or self._name_word(w, caps, first=not kept):
                    kept.append((s, e, w))
            while kept and fold(kept[0][2]) in _PARTICLES:
                kept.pop(0)
            while kept and fold(kept[-1][2]) in _PARTICLES:
                kept.pop()
            if not kept:
                continue
            known = [w for _, _, w in kept if fold(w) in self.words]
            if entity.label_ == "MISC" and known:
                continue  # « Bonsoir », « HIER SOIR », « Tilleuls »: MISC is mostly noise
            if kept[0][0] <= start and len(kept) == 1 and known:
                # « Bonne année » opens with an ordinary word; « Jean a rdv » with a name.
                if not _AFTER_NAME.match(folded, kept[0][1]):
                    continue
            label = "LOCATION" if entity.label_ == "LOC" else "PERSON"
            spans.append(Span(kept[0][0], kept[-1][1], label))
        return spans


# --- helpers -----------------------------------------------------------------------------------

_STOPWORD = re.compile(
    r"a|au|aux|avec|ce|ces|dans|de|des|du|elle|en|et|eux|il|je|la|le|les|leur|lui|ma|mais|me|"
    r"meme|mes|moi|mon|ne|nos|notre|nous|on|ou|par|pas|pour|qu|que|qui|sa|se|ses|son|sur|ta|te|"
    r"tes|toi|ton|tu|un|une|vos|votre|vous|c|d|j|l|m|n|s|t|y|ete|etre|est|sont|suis|es|ai|as|"
    r"avons|avez|ont|fait|faire|peut|peux|veux|veut|voudrais|voudrait|aimerais|ca|cela|ceci|"
    r"quel|quelle|quand|comment|pourquoi|combien|ici|la-bas|tres|trop|plus|moins|bien|mal|"
    r"encore|deja|aussi|toujours|jamais|rien|tout|tous|toute|toutes|si|oui|non|qui|quoi|dont"
)


def _lexicon(nlp: Any) -> frozenset[str]:
    """The French words the model's lemmatizer knows, folded: its lemmas (the index, the
    exceptions' and the lookup's values) and the inflected forms it lists (the exceptions' keys,
    and the lookup's keys its string store still spells)."""
    words: set[str] = set()
    lookups = nlp.get_pipe("lemmatizer").lookups

    def add(value: Any) -> None:
        if isinstance(value, str):
            words.add(value)
        elif isinstance(value, (list, tuple, set, frozenset)):
            words.update(v for v in value if isinstance(v, str))

    if lookups.has_table("lemma_index"):
        for lemmas in lookups.get_table("lemma_index").values():
            add(lemmas)
    if lookups.has_table("lemma_exc"):
        for forms in lookups.get_table("lemma_exc").values():
            for form, lemmas in forms.items():
                add(form)
                add(lemmas)
    if lookups.has_table("lemma_lookup"):
        table, strings = lookups.get_table("lemma_lookup"), nlp.vocab.strings
        for key, lemmas in table.items():
            add(lemmas)
            if key in strings:
                add(strings[key])
    from spacy.lang.fr.stop_words import STOP_WORDS

    words.update(STOP_WORDS)
    return frozenset(fold(w) for w in words)


def _opening(folded: str) -> int:
    """Where a message's first word is, after a greeting."""
    opening = re.match(
        r"\s*(?:(?:bonjour|bonsoir|bjr|bsr|slt|salut|coucou|hello|re)\b[\s,!]*)?", folded
    )
    return opening.end() if opening else 0


def _mostly_upper(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 8 and sum(c.isupper() for c in letters) > 0.8 * len(letters)


def _skip_spaces(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t,:":
        if text[position] == "," and position > 0:
            return position  # a comma ends a name
        position += 1
    return position


#: What may stand between two pieces of one name (« Léa » « Martin ») or one address
#: (« 12 rue des Lilas » « , » « 69100 Villeurbanne », « 8 chemin de la Croix » « à » « Caluire »).
_GLUE = {"PERSON": r"\s*", "LOCATION": r"\s*(?:,|a|au)?\s*"}


def _merge(spans: list[Span], text: str) -> list[Span]:
    """Overlapping spans become one (the longest gives the label); a name written in two
    pieces (« Léa » « Martin ») becomes one placeholder."""
    spans = [s for s in spans if s.end > s.start]
    spans.sort(key=lambda s: (s.start, -(s.end - s.start)))
    merged: list[Span] = []
    for span in spans:
        if merged and span.start < merged[-1].end:
            last = merged[-1]
            longest = last if (last.end - last.start) >= (span.end - span.start) else span
            merged[-1] = Span(last.start, max(last.end, span.end), longest.label)
        elif (
            merged
            and merged[-1].label == span.label
            and span.label in ("PERSON", "LOCATION")
            and re.fullmatch(_GLUE[span.label], fold(text[merged[-1].end : span.start]))
        ):
            merged[-1] = Span(merged[-1].start, span.end, span.label)
        else:
            merged.append(span)
    return merged
