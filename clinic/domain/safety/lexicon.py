"""The words of each red-flag category, as patients write them (after `normalise.words`: lower
case, no accents, no apostrophes, SMS spelt out).

A rule fires on its pattern; `with_` must also be found somewhere in the message (fever for a
stiff neck, a pregnancy for bleeding, a child for a small burn…) and `unless` must not (an infant
whose age is given as 3 months or more). Tuned on clinic/domain/safety/data/tuning.jsonl only.

Over 400 lines on purpose: it is a table (the rules of 15 categories), read top to bottom by
whoever checks a category; split by category it would hide the rules that overlap.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from clinic.domain.safety.categories import Category


def _any(*parts: str) -> str:
    return "(?:" + "|".join(parts) + ")"


def gap(n: int) -> str:
    """Up to `n` words between two parts of a phrase."""
    return rf"(?:\w+ ){{0,{n}}}"


#: Who else the message may be about (third person).
SOMEONE = r"(?:il|elle|mon \w+|ma \w+|le \w+|la \w+|bebe|petit|petite)"
#: A child, for burns and ingestions (any burn on a child is a red flag).
CHILD = _any(
    r"bebe", r"nourrisson", r"enfant", r"gamin\w*", r"gosse", r"petit\w*", r"fils", r"fille",
    r"loulou", r"bambin", r"ado", r"\b(?:[0-9]|1[0-4]) ans", r"(?:un|deux|trois|quatre|cinq|six) ans",
    r"\d{1,2} mois", r"neveu", r"niece", r"bout de chou", r"minot", r"garcon", r"puce",
)  # fmt: skip
FEVER = _any(
    r"fievre\w*", r"febri\w*", r"brulant\w*", r"bouillant\w*", r"chaud comme", r"\bla ?fiev\w*",
    # a number is a temperature unless a unit says otherwise (« 38 semaines », « 39 ans »)
    r"3[89](?:[.,]\d+)?(?! ?(?:semaines?|sem\b|sa\b|ans?\b|kg|kilos?|min\b|minutes|heures?|h\b|eme\b|mois|mg|ml|cm|euros?))(?: ?(?:°|degres?|deg|c\b))?",
    r"4[01](?:[.,]\d+)?(?! ?(?:semaines?|sem\b|sa\b|ans?\b|kg|kilos?|min\b|minutes|heures?|h\b|eme\b|mois|mg|ml|cm|euros?))(?: ?(?:°|degres?|deg|c\b))?",
    r"\b3[89] [0-9]\b", r"\b40 [0-9]\b", r"trente (?:huit|neuf)\b", r"quarante\b(?! ans)",
    r"de la temp\w*", r"temperature (?:\w+ ){0,2}"
    r"(?:3[89]|4[01])",
)  # fmt: skip
MEDICINES = _any(
    r"medicaments", r"cachets", r"comprimes", r"pilules", r"gelules", r"somniferes?",
    r"anxiolytiques?", r"antidepresseurs?", r"xanax", r"lexomil", r"stilnox", r"doliprane",
    r"dafalgan", r"efferalgan", r"paracetamol", r"ibuprofene", r"advil", r"aspirine",
    r"lyrica", r"tramadol", r"morphine", r"methadone", r"subutex", r"insuline", r"lithium",
    r"neuroleptiques?", r"benzo\w*", r"pillules", r"sirop", r"boite", r"plaquettes?",
    r"traitement", r"anti ?coagulants?", r"previscan", r"xarelto", r"levothyrox", r"vitamines?",
    r"fer\b", r"gouttes",
)  # fmt: skip
PRODUCTS = _any(
    r"javel", r"eau de javel", r"produit\w*", r"lessive", r"detergent\w*", r"capsules?",
    r"pastilles?", r"tablettes?", r"lave ?vaisselle", r"white ?spirit", r"essence", r"petrole",
    r"pile\w*", r"aimants?", r"champignons?", r"antigel", r"deboucheur", r"soude", r"destop",
    r"alcool a bruler", r"insecticide", r"mort aux rats", r"raticide", r"poison", r"acide",
    r"ammoniac", r"chlore", r"gel hydro\w*", r"vernis", r"dissolvant", r"huile essentielle\w*",
    r"baies?", r"plantes?", r"laurier ?rose", r"datura", r"digitale", r"muguet", r"belladone",
    r"colchique", r"ricin", r"dieffenbachia", r"feuilles? de \w+", r"cigarettes?", r"nicotine", r"cannabis", r"shit", r"alcool",
    r"vodka", r"whisky", r"liquide", r"e ?liquide", r"savon", r"shampo\w*", r"lave ?vitres?",
    r"lave ?glace", r"nettoyant\w*", r"adoucissant", r"anti ?calcaire",
)  # fmt: skip
PREGNANT = _any(
    r"enceinte", r"grossesse", r"\d+ ?sa\b", r"test (?:\w+ ){0,2}positif", r"\d+ ?(?:mois|semaines?|sem) de grossesse",
    r"enceinte de", r"future maman", r"attend (?:un|une|des) (?:bebe|enfant|jumeaux)",
    r"a terme", r"accouch\w*", r"bebe (?:dans|ds) (?:le|mon|son) ventre", r"fausse couche",
    r"gross?esse", r"(?:perte|perdu|poche) (?:des|les) eaux", r"enceite",
    r"\b[2-4]\d ?(?:semaines|sa|sem)\b", r"encinte", r"enciente", r"ensseinte", r"ensceinte",
    r"gravida", r"gravidez", r"embarazada",
)  # fmt: skip
#: An infant under 3 months: days, weeks, 1 or 2 months, a newborn.
YOUNG_INFANT = _any(
    r"(?:de|des|a|agee?s? de|fait|fete|bebe|nourrisson|fille|fils|garcon|ne|nee) (?:\d{1,2} ?|(?:un|une|deux|trois|quatre|cinq|six|huit|dix|"
    r"quinze) )(?:j|jours?|jrs?|semaines?|sem|sems|mois)\b(?<!\b[3-9] mois)(?<!\b[1-9]\d mois)",
    r"(?:1|un) mois et demi", r"(?:2|deux) mois et demi", r"(?:1er|premier|2e|2eme|deuxieme) mois", r"nouveau ne\w*", r"nouveaune\w*",
    r"ne (?:il y a|depuis|le) ", r"nee? (?:il y a|depuis|le) ", r"naissance", r"sorti\w* de la mat",
    r"maternite", r"nourrisson", r"bebe de (?:\d+ )?(?:j|jours|semaines)", r"post ?natal\w*",
    r"\ba j ?(?:[1-9]|[12]\d)\b",
    r"(?:petit|petite|bebe|dernier|derniere|fils|fille|ne|nee) , (?:\d{1,2}|une|deux|trois|quatre|"
    r"cinq|six|huit|dix) (?:j|jours?|semaines?|sem)\b",
)  # fmt: skip
SPOTS = r"(?:taches?|boutons?|points?|plaques?|marques?|petechies?)"
#: Purple, like purpura.
PURPLE = r"(?:violet\w*|violac\w*|pourpres?|rouges? fonce\w*|noir\w*|lie de vin|mauves?)"
OLDER_INFANT = (
    r"\b(?:de|a|fait|fete) (?:[3-9]|1[0-9]|trois|quatre|cinq|six|sept|huit|neuf|dix|onze) ?mois\b|"
    r"(?<!maman )(?<!mere )(?<!pere )(?<!papa )(?<!parent )"
    r"\b(?:de|a|fait) (?:\d{1,2}|un|deux|trois|quatre|cinq|six|sept|huit|neuf|dix) ans?\b"
)


@dataclass(frozen=True)
class Rule:
    category: Category
    pattern: re.Pattern[str]
    with_: re.Pattern[str] | None = None
    unless: re.Pattern[str] | None = None
    #: A sign of danger already under way (suicidal: the 15 too).
    immediate: bool = False
    #: « juste un bleu », « pas grave » in the sentence lowers it (severity is the criterion).
    minimisable: bool = False
    #: « il y a 5 ans », « depuis son AVC » makes it history (not for suicidal words: they are now).
    historic: bool = True
    #: The model, trained on French, may veto it (a score under CONFIRM); not for English words,
    #: which it cannot read.
    vetoable: bool = True


#: A gap of words in a pattern never crosses a negation (« crache pas de sang »).
_GAP = "(?:\\w+ ){"
_GAP_NO_NEGATION = "(?:(?!pas |jamais |aucune? |ni |sans )\\w+ ){"


def rule(category: Category, *parts: str, **options: object) -> Rule:
    parts = tuple(part.replace(_GAP, _GAP_NO_NEGATION) for part in parts)
    options = {
        key: re.compile(value) if isinstance(value, str) else value
        for key, value in options.items()
    }
    return Rule(category, re.compile(_any(*parts)), **options)  # type: ignore[arg-type]


def english(category: Category, *parts: str, **options: object) -> Rule:
    """A rule on English words: the model (French) neither vetoes it nor knows its words."""
    return rule(category, *parts, vetoable=False, **options)


C = Category
RULES: tuple[Rule, ...] = (
    # --- breathing distress -----------------------------------------------------------------
    rule(
        C.BREATHING,
        r"(?:peux|peut|pouvons) (?:plus|pas) (?:faire|marcher) (?:\w+ ){0,2}pas\b",
        with_=r"essouffl\w*|essoufl\w*|souffle|parler|respir\w*",
    ),
    rule(
        C.BREATHING,
        r"(?:respire|respirer) (?:\w+ ){1,4}(?:mal|difficilement)\b",
        r"bleuiss\w*",
        r"bleuit",
        r"pauses? (?:\w+ ){0,3}respir\w*",
        r"(?:satur\w*|sat|spo2|saturometre|oxymetre) (?:\w+ ){0,3}(?:[5-8]\d|9[01])\b(?! ?(?:ans|kg|mg))",
        r"s arrete (?:\w+ ){0,3}(?:secondes|respirer)",
        r"(?:n arrive|arrive|peut|peux) (?:plus|pas) a (?:finir|terminer|faire) (?:\w+ ){0,1}phrases?",
        r"(?:crise|asthme) (?:\w+ ){0,3}(?:qui )?(?:ne )?passe (?:pas|plus)",
        r"meme avec (?:la |sa |ma )?(?:ventoline|pompe|inhalateur)",
        r"(?:ne |n )?(?:respire|respirer|respiration) (?:plus|pas|mal|tres mal|difficilement|"
        r"avec difficulte|super mal|hyper mal|tres vite|tres fort|bizarre\w*|bruyamment|par "
        r"saccades|en sifflant|tres difficile)",
        r"(?:du mal|de la peine|peine|difficulte\w*|galere\w*|n arrive (?:plus|pas)|arrive "
        r"(?:plus|pas)|n y arrive (?:plus|pas)|peu[tx] (?:plus|pas)|impossible) (?:a |pour |de )?"
        r"(?:respirer|reprendre (?:son|mon|sa) souffle|avaler sa salive|parler tellement)",
        r"manque d air",
        r"manquer d air",
        r"manque de souffle",
        r"plus d air",
        r"(?:respire|respiration|souffle) (?:\w+ ){0,1}(?:super|tres|hyper|trop|tellement|"
        r"vraiment|beaucoup trop) (?:vite|rapide\w*|fort)",
        r"(?:narines|ailes du nez) (?:\w+ ){0,2}(?:bougent|battent|s ouvrent|pincent)",
        r"battement des ailes du nez",
        r"souffle (?:court|coupe)\b.{0,30}(?:fort|tres|grave|panique|bleu)",
        r"etouf+\w*\b(?! de rire)(?! (?:dans|au|avec|sous|a cause) (?:\w+ ){0,1}(?:bureau|travail|boulot|job|"
        r"appart\w*|maison|couple|relation|famille|pression|chaleur|chef))",
        r"suffo\w*",
        r"asphyx\w*",
        r"(?:levres?|visage|bouche|ongles|doigts|peau|tout) (?:\w+ ){0,3}(?:bleu|bleue|bleues|bleus|"
        r"violet\w*|grise?s?)\b",
        r"devien\w* (?:tout |toute )?(?:bleu|bleue|violet\w*|gris\w*)",
        r"siffle\w* (?:fort|enormement|beaucoup|a chaque|tres)",
        r"crise d asthme (?:qui|grave|severe|forte|violente|enorme|terrible|sans)",
        r"(?:ventoline|inhalateur|bronchodilatateur|pompe) (?:\w+ ){0,4}(?:ne |n )?(?:fait|marche|"
        r"agit|change|sert) (?:plus |pas |rien|a rien)",
        r"(?:ventoline|pompe|inhalateur) "
        r"(?:\w+ ){0,3}(?:sans effet|aucun effet|inefficace|rien n y fait)",
        r"pauses? (?:respiratoires?|dans sa respiration)",
        r"s arrete de respirer",
        r"arrete de respirer",
        r"arret respiratoire",
        r"tirage",
        r"cotes qui se creusent",
        r"(?:avale|coince|bloque\w*|pris) (?:\w+ ){0,4}(?:de travers|dans (?:la|sa) gorge|"
        r"dans la trachee)",
        r"fausse route",
        r"detresse respiratoire",
        r"(?:cherche|chercher) (?:son|sa|mon|ma) (?:air|souffle|respiration)",
        r"(?:ne|n) (?:arrive|peut|parvient) (?:plus|pas) a (?:reprendre|retrouver) (?:son|sa|mon) "
        r"(?:souffle|respiration)",
        r"respire comme un poisson",
        r"gorge (?:\w+ ){0,2}bloquee",
        r"(?:gorge|trachee) (?:\w+ ){0,2}(?:se ferme|fermee)",
        r"(?:la )?respiration (?:\w+ ){0,2}(?:rapide|sifflante|difficile|bloquee|saccadee|"
        r"irreguliere|bruyante|courte)",
        r"essouffl\w* (?:\w+ ){0,4}(?:au repos|sans rien faire|en parlant|allonge|la nuit|tres|"
        r"d un coup|brutalement|soudain\w*|"
        r"enorme|bleu|grave)",
        # a blocked nose, or anxiety that passes, is not distress
        unless=r"^(?!.*(?:bleu|violet|levres|connaissance|ne repond|sifffl|siffle)).*(?:respirer par le nez|"
        r"nez (?:\w+ ){0,2}bouche|quand je stresse|crises? d (?:angoisse|anxiete)|attaques? de panique)",
    ),
    # --- chest pain ---------------------------------------------------------------------------
    rule(
        C.CHEST_PAIN,
        r"(?:douleur\w*|mal|serre\w*|serrement|oppress\w*|pression|poids|barre|brulure\w*|"
        r"point|pince\w*|ecrase\w*|comprim\w*|etau|coup de poignard|elancement\w*|"
        r"douloureu\w*|compresse)\b (?:\w+ ){0,5}(?:poitrine|thorax|thoracique|sternum|"
        r"cage thoracique|torse|plexus|coeur|pectora\w*|entre les seins)",
        r"(?:poitrine|thorax|sternum|torse|coeur) (?:\w+ ){0,4}(?:serre\w*|ecrase\w*|douleur\w*|"
        r"mal\b|brule|oppress\w*|comprim\w*|etau|explose|en feu|fait mal|me tue|bloque\w*|lourd)",
        r"douleur thoracique",
        r"crise cardiaque",
        r"infarctus",
        r"infar\w*",
        r"arret cardiaque",
        r"attaque cardiaque",
        r"crise cardique",
        r"douleur d angine",
        r"(?:natispray|trinitrine) (?:\w+ ){0,6}(?:pas|rien|sans effet)",
        r"malgre (?:\w+ ){0,4}(?:natispray|trinitrine|pulverisations)",
        r"irradi\w* (?:\w+ ){0,6}(?:bras|machoire|epaule|"
        r"dos)",
        r"angine de poitrine",
        r"elephant (?:\w+ ){0,3}(?:sur|assis)",
        r"(?:tient|tenant|tenait|agrippe\w*|se serre|serrant|appuie sur) (?:\w+ ){0,2}"
        r"(?:poitrine|torse|coeur|thorax|sternum)",
        r"coeur (?:\w+ ){0,3}(?:a fond|s emballe|"
        r"bat (?:tres |trop )?(?:fort|vite))\b (?:\w+ ){0,8}(?:douleur|mal|serre|oppress|malaise)",
        unless=r"^(?!.*(?:poitrine|serre|irradi|bras|oppress|douleur|sueur|transpir|pesanteur)).*"
        r"\bmal au coeur\b|(?:va|vont|vas|allez) (?:me|nous) (?:\w+ ){0,2}"
        r"(?:faire|donner|filer) (?:faire )?(?:une )?crise cardiaque|failli (?:\w+ ){0,2}(?:crise "
        r"cardiaque|infarctus)|cru (?:\w+ ){0,2}(?:crise cardiaque|infarctus)|"
        r"^(?!.*(?:irradi|bras|machoire|sueur|transpir|essouffl|oppress|serre|malaise|souffle)).*"
        r"(?:quand (?:j|on|il|elle) (?:\w+ ){0,1}appuie|qu au toucher)|"
        # heartburn relieved by an antacid, with no cardiac sign
        r"^(?!.*(?:machoire|bras|sueur|transpir|essouffl|malaise|serre|passe pas|ne passe|\bcou\b|"
        r"\bdos\b|pale|comme (?:mes|mon|d habitude))).*(?:gaviscon|\breflux\b)",
    ),
    # « ça serre fort au milieu et je transpire »: a tightness with a cardiac sign.
    rule(
        C.CHEST_PAIN,
        r"(?:serre\w*|pesanteur|poids|etau|oppress\w*|ecrase\w*|brulure\w*)\b (?:\w+ ){0,3}(?:au milieu|au "
        r"centre|estomac|creux|plexus)",
        with_=r"transpir\w*|sueurs?|bras|machoire|essouffl\w*|souffle|malaise|pale",
    ),
    # « j'ai fait un infarctus en 2019 et là j'ai la même douleur »: the history is the sign.
    rule(
        C.CHEST_PAIN,
        r"\b(?:meme|memes|pareille?s?|identiques?) (?:\w+ ){0,1}(?:douleur\w*|sensation\w*|"
        r"symptomes?)",
        r"\b(?:douleur\w*|sensation\w*|symptomes?) (?:\w+ ){0,1}(?:identique\w*|pareil\w*)",
        with_=r"infarctus|crise cardiaque|angine de poitrine|stent\w*|pontage",
        historic=False,
    ),
    # The chest tight again, in someone who had an infarction: the history is the sign.
    rule(
        C.CHEST_PAIN,
        r"(?:poitrine|thorax) (?:\w+ ){0,4}(?:serre\w*|ecrase\w*|oppress\w*|comprim\w*)",
        r"(?:serre\w*|ecrase\w*|oppress\w*) (?:\w+ ){0,3}(?:poitrine|thorax)",
        with_=r"infarctus|crise cardiaque|stent\w*|pontage",
        historic=False,
    ),
    rule(
        C.CHEST_PAIN,
        r"(?:mal|douleur\w*|fourmi\w*|engourdi\w*|lourd\w*) (?:\w+ ){0,6}(?:bras gauche|"
        r"machoire|epaule gauche)",
        r"(?:bras gauche|machoire) (?:\w+ ){0,4}(?:engourdi\w*|"
        r"douleur\w*|mal\b|lourd|fourmi\w*)",
        with_=r"poitrine|thora\w*|coeur|torse|sternum|oppress\w*|essouffl\w*|transpir\w*|sueurs?|"
        r"malaise|pale|nausee|vomi\w*|souffle",
    ),
    # --- stroke ------------------------------------------------------------------------------
    rule(
        C.STROKE,
        r"\bavc\b",
        r"\ba v c\b",
        r"accident vasculaire",
        r"attaque cerebrale",
        r"hemiplegi\w*",
        r"aphasi\w*",
        r"(?:main|bras|jambe|pied) (?:\w+ ){0,2}ne (?:lui |leur |me )?(?:obei\w*|repond\w*) plus",
        r"(?:visage|bouche|levre|joue|oeil|paupiere|sourire|figure|face) (?:\w+ ){0,4}"
        r"(?:de travers|tombe\w*|paralys\w*|deform\w*|tordu\w*|affaiss\w*|pend|penche\w*|"
        r"tire\w* d un cote|asymetri\w*|fige\w*|engourdi\w*|a plat|s affaisse|glisse)",
        r"(?:visage|bouche|levre|joue|sourire|figure|face) (?:\w+ ){0,4}coule",
        r"(?:bouche|visage|sourire) (?:tordue?|de travers|asymetrique)",
        r"paralys\w*",
        r"(?:bras|jambe|main|cote|moitie du corps|membre) (?:\w+ ){0,5}(?:ne repond plus|inerte|"
        r"engourdi\w*|plus de force|sans force|ne bouge plus|lache\w*|mort\b|morte\b|"
        r"ne (?:le |la )?(?:tient|sent) plus|tombe\w* tout\w* seul\w*|retombe|insensible|"
        r"paralyse\w*)",
        r"(?:arrive|peut|peux|sait|parvient|arrivons) (?:plus|pas) a (?:parler|articuler|sourire|"
        r"(?:bouger|lever|soulever|sentir|serrer|tenir) (?:\w+ ){0,2}(?:bras|jambe|main|cote|"
        r"doigts|pied))",
        r"(?:ne|n) peut plus parler",
        r"elocution",
        r"faiblesse (?:\w+ ){0,4}(?:cote|bras|jambe|moitie|main)",
        r"moitie (?:\w+ ){0,3}(?:vision|champ|choses|visage|corps)",
        r"(?:cote|champ) (?:\w+ ){0,4}(?:disparu|noir|vide)",
        r"rideau noir",
        r"(?:voi[st]|vu|vois) (?:\w+ ){0,1}plus (?:rien|d un|de l|du tout|que)",
        r"(?<!sont )tombe\w* tout\w* seul\w*",  # not « les strips sont tombés tout seuls »
        r"sans queue ni tete",
        r"(?:plus de|pas de|sans|perdu (?:la|sa)) force (?:\w+ ){0,3}(?:bras|jambe|main|cote)",
        r"(?:perdu|perte|perdre|perd) (?:\w+ ){0,1}(?:la vue|la vision|la parole)",
        r"(?:cherche|trouve|trouver|trouvait) (?:\w+ ){0,1}(?:ses|mes) mots",
        r"langue qui fourche",
        r"(?:dis|dit|disait) (?:pas|plus) les (?:bons )?mots",
        r"mots (?:\w+ ){0,3}(?:veulent rien "
        r"dire|sans sens|n ont pas de sens)",
        r"engourdissement\w* (?:\w+ ){0,2}(?:brutal\w*|"
        r"soudain\w*|bras|jambe|cote|visage)",
        r"(?:parle|articule|prononce|parole) (?:\w+ ){0,2}(?:bizarre\w*|de travers|plus|"
        r"n importe comment|pateu\w*|bredouill\w*|brouill\w*|incomprehensible\w*|mal\b|"
        r"difficile\w*|mou\w*|lentement|ivre|saoul)",
        r"cherche ses mots",
        r"trouve plus ses mots",
        r"mots (?:\w+ ){0,3}(?:melang\w*|sortent pas|viennent pas|incomprehensibles)",
        r"charabia",
        r"bouillie",
        r"incomprehensible\w*",
        r"baragouin\w*",
        r"(?:perdu|perte de) (?:la vue|la vision)\b",
        r"ne voit plus (?:rien|d un|de l|du tout)",
        r"vision (?:\w+ ){0,2}(?:double|trouble) (?:\w+ ){0,6}(?:d un coup|soudain\w*|brutal\w*)",
        r"engourdi\w* (?:\w+ ){0,4}(?:tout le cote|moitie|cote (?:gauche|droit)|visage)",
        r"(?:mal de tete|migraine|cephalee\w*) (?:\w+ ){0,4}(?:brutal\w*|violent\w*|coup de "
        r"tonnerre|jamais eu|pire|explosi\w*|d un coup)",
        r"(?:tete|crane) (?:qui )?(?:va )?explos\w*",
        r"comme un coup de (?:tonnerre|massue)",
        # an arm numb from being slept on; what was kept after an old stroke
        unless=r"dormi (?:\w+ ){0,2}(?:dessus|sur (?:mon|son|le|ma|sa) (?:bras|main|jambe))",
    ),
    # --- unconscious --------------------------------------------------------------------------
    rule(
        C.UNCONSCIOUS,
        r"(?:deux|trois|quatre|plusieurs|[2-9]) malaises",
        with_=r"connaissance|aujourd hui|depuis|ce matin|cette nuit|palpitation\w*",
        vetoable=False,
    ),
    # Fainting again and again: the model, which reads the politeness around it, may not veto it.
    rule(
        C.UNCONSCIOUS,
        r"(?:perdu connaissance|evanoui\w*|tombe\w* dans les pommes) (?:\w+ ){0,2}(?:deux|trois|quatre|plusieurs|[2-9]) fois",
        vetoable=False,
    ),
    rule(
        C.UNCONSCIOUS,
        r"(?:allonge\w*|etendu\w*|par terre) (?:\w+ ){0,4}(?:ne )?respire (?:plus|pas)\b",
    ),
    rule(
        C.UNCONSCIOUS,
        r"malaise",
        r"inconscien\w*",
        r"perdu connaissance",
        r"perd connaissance",
        r"perte de connaissance",
        r"perdu conscience",
        r"evanou\w*",
        r"evanoi\w*",
        r"syncope",
        r"tomb\w* dans les pommes",
        r"tomb\w* dans les vapes",
        r"dans les pommes",
        r"(?:ne |n )?(?:se )?reveill?\w* (?:plus|pas)",
        r"(?:impossible|n arrive pas|arrive pas|"
        r"n arrive plus|arrive plus) (?:a |de )?(?:le |la |l )?reveill?\w*",
        r"(?:ne |n )?(?:reagit|reagi|reagissait|repond|bouge|ouvre) (?:\w+ ){0,2}(?:plus|pas|"
        r"rien|meme pas)\b(?! a mes messages| au telephone| au tel| a mes appels| aux messages)",
        r"aucune reaction",
        r"plus de reaction",
        r"s effondr\w*",
        r"s ecroul\w*",
        r"(?:reagit|repond) (?:\w+ ){0,1}ni\b",
        r"ne reagit a rien",
        r"(?:revien\w*|reprend\w*) (?:pas|plus) (?:a (?:elle|lui|soi)|connaissance|ses esprits)",
        r"sans reaction",
        r"(?:s est|s etait) (?:\w+ ){0,2}(?:effondre\w*|ecroule\w*|affaisse\w*)",
        r"effondre\w* (?:par terre|au sol|sur le sol|d un coup)",
        r"ecroule\w*",
        r"(?:allonge\w*|etendu\w*|inanime\w*|par terre) (?:\w+ ){0,3}(?:sans bouger|inerte|"
        r"ne bouge|les yeux (?:fermes|ouverts|dans le vide))",
        r"inanime\w*",
        r"inerte",
        r"yeux (?:\w+ ){0,2}(?:revulse\w*|dans le vide|retournes|blancs)",
        r"tomb\w* (?:\w+ ){0,2}(?:raide|d un coup) (?:\w+ ){0,3}(?:ne |n )?(?:bouge|reagit|repond)",
        r"ne reprend pas (?:connaissance|conscience|ses esprits)",
        r"tout mou\b (?:\w+ ){0,4}(?:ne |n )?(?:repond|reagit)",
        r"mou comme (?:une|un) \w+",
        unless=r"\brespire pas mal\b|"
        r"\b(?:cru|failli|manque de|presque|deux doigts de) (?:\w+ ){0,2}(?:tomber dans les "
        r"pommes|m evanouir|m ecrouler|tomber)\b(?!.*(?:ne repond|ne reagit|inconscien))",
    ),
    # --- seizures -----------------------------------------------------------------------------
    rule(
        C.SEIZURE,
        r"crise (?:\w+ ){0,1}dure (?:depuis )?(?:plus de )?\d+ ?(?:minutes|min)",
        r"buccolam",
        r"mouvements (?:\w+ ){0,1}saccad\w*",
        r"tremble (?:\w+ ){0,2}(?:incontrol\w*|sans pouvoir s arreter)",
        with_=r"fixe le vide|repond pas|repond plus|levres bleues|par terre|buccolam|crise|dure",
    ),
    rule(
        C.SEIZURE,
        r"convuls\w*",
        r"convul\w*",
        r"crises? (?:d )?epilep\w*",
        r"epilepti\w* (?:\w+ ){0,2}crise",
        r"(?:en )?refait une (?:autre )?(?:crise)?",
        r"(?:autre|deuxieme|2e|seconde|nouvelle) crise",
        r"crise (?:convulsive|tonico\w*|generalisee|comitiale)",
        r"(?:trembl\w*|secou\w*|spasm\w*|sursaut\w*|gigot\w*|agite\w*|tressaut\w*|saccade\w*) "
        r"(?:\w+ ){0,3}"
        r"(?:de partout|de tout son corps|tout le corps|dans tous les sens|bras et jambes|"
        r"les bras et les jambes|sans s arreter|sans arret|violemment|par saccades)",
        r"(?:tout le corps|tout son corps|ses bras et ses jambes|bras et jambes) (?:\w+ ){0,3}"
        r"(?:tremble\w*|secou\w*|spasm\w*|raidi\w*|tressaut\w*|convuls\w*|saccad\w*)",
        r"se (?:mord|mordu|mordait) la langue",
        r"bave (?:\w+ ){0,4}(?:tremble|secou|raid|yeux)",
        r"(?:yeux|regard) (?:revulse\w*|retourne\w*|en l air|dans le vide)\b(?!.*\bpas\b)",
        r"(?:raidi|rigide|raide)\w* (?:\w+ ){0,4}(?:trembl|secou|saccad|spasm|bave|yeux)",
        r"(?:fait|fais|a|avec) des secousses",
        r"secousses (?:\w+ ){0,4}(?:raide|yeux|bave|pipi)",
        r"spasmes",
        r"tetanis\w*",
        unless=r"\bpas de crise depuis\b",
    ),
    rule(
        C.SEIZURE,
        r"(?:fait|fais|faire|refait|en pleine|a eu|avoir) (?:une )?crise\b(?! d angoisse| de panique|"
        r" de larmes| de colere| de nerfs| d asthme| de foie| de rire| d urticaire| de migraine| de "
        r"goutte| d hemorroides| de tetanie| d eczema| de boulimie)",
        with_=r"reveill\w*|yeux|bave|raid\w*|convuls\w*|trembl\w*|secou\w*|epilep\w*|inconscien\w*|"
        r"ne repond|reagit|bleu|mord|fievre|tout mou|sans connaissance|tomb\w*|par terre|sevrage",
    ),
    # --- heavy bleeding -----------------------------------------------------------------------
    rule(
        C.BLEEDING,
        r"hemorr?ag\w*",
        r"hemora\w*",
        r"\bgicl\w*",
        r"pisse le sang",
        r"sang (?:rouge )?(?:\w+ ){0,2}(?:toilettes|cuvette|partout|plein)",
        r"(?:urine|pisse|fait pipi|pipi) (?:\w+ ){0,3}(?:du |de |le )?sang",
        r"caillots? (?:\w+ ){0,4}(?:sang|urine|selles|pale)",
        r"saign\w* (?:\w+ ){0,3}(?:beaucoup|enormement|abondamment|a flot|partout|comme|fort|"
        r"trop|non stop|sans arret|sans s arreter|de plus en plus|tellement|a grosses gouttes|"
        r"grave|depuis (?:plus d )?(?:une|1|2|deux|trois|45|40|30) ?(?:h|heures?|minutes)|"
        r"abondant|tres|hyper|un max|a mort|pas? arreter?)",
        r"saign\w* (?:\w+ ){0,3}(?:ne |n )?(?:s arrete|arrete|s arretent|veut) (?:\w+ ){0,2}"
        r"(?:pas|plus|jamais)",
        r"(?:ca|ca ne|le sang|saignement) (?:\w+ ){0,2}s arrete (?:pas|"
        r"plus|jamais)",
        r"sang partout",
        r"arrete (?:pas|plus) de saign\w*",
        r"saign\w* (?:\w+ ){0,2}(?:par saccades|en jet|gicle\w*)",
        r"plein de sang",
        r"flaque de sang",
        r"mare de sang",
        r"(?:perd|perdu|pisse|pissait|gicle|giclait|coule|coulait|jaillit|pompe|sort) (?:\w+ ){0,3}"
        r"(?:du |de |le |beaucoup de |enormement de )?sang",
        r"sang (?:qui )?(?:gicle|coule|jaillit|pisse|sort|n arrete|ne s arrete|partout|pulse)",
        r"(?:vomi\w*|crach\w*|tousse\w*|toussait) (?:\w+ ){0,3}(?:du |de |le )?sang",
        r"sang en (?:touss\w*|crach\w*)",
        r"(?:rendu|crache\w*) (?:\w+ ){0,5}(?:de |du )?sang",
        r"sang (?:\w+ ){0,3}(?:vomi\w*|crachat\w*|selles|urine|caca)",
        r"(?:selles|caca) (?:\w+ ){0,3}(?:sang|rouges?)",
        r"(?:selles|caca) (?:\w+ ){0,3}noir\w*(?!.*\b(?:fer|tardyferon|ferograd|fumafer|timoferol|"
        r"charbon|reglisse|myrtilles?|boudin)\b)",
        r"melena",
        r"(?:diarrhee\w*|selles|caca|urine\w*) (?:\w+ ){0,2}(?:plein\w* de |avec du |de )?sang",
        r"baign\w* dans (?:son|le) sang",
        r"(?:coupure|plaie|entaille|blessure) (?:\w+ ){0,3}"
        r"(?:profonde|enorme|beante|grave|ouverte|tres grosse|qui saigne|pisse)",
        r"saignement\w* (?:\w+ ){0,3}(?:abondant|important|enorme|qui ne|incontrol\w*|massif|"
        r"arrete pas|s arrete pas|grave|fort)",
        r"saigne du nez depuis (?:plus d )?(?:une|1|2) ?h",
        r"ne coagule",
        r"torchons? (?:\w+ ){0,3}(?:sang|rouge|trempe)",
        r"(?:serviettes?|compresses?|t shirt|pansements?) (?:\w+ ){0,4}(?:trempe\w*|imbibe\w*|"
        r"rouge\w* de sang|pleine?s? de sang)",
        r"(?:garrot|comprim\w* (?:\w+ ){0,2}(?:plaie|blessure))",
        r"rempli\w* (?:\w+ ){0,2}(?:serviettes?|protections?|garnitures?) (?:\w+ ){0,3}"
        r"(?:toutes les|en|par) (?:\w+ ){0,1}(?:minutes?|min|heure|h)\b",
        minimisable=True,
    ),
    # Under an anticoagulant, blood in the urine or bruises everywhere: a bleed (a pharmacist's
    # « sous Préviscan, urines très rouges et hématomes partout »).
    rule(
        C.BLEEDING,
        r"urines? (?:\w+ ){0,2}(?:tres )?(?:rouges?|sang\w*|marron)",
        r"(?:hematomes?|bleus) (?:\w+ ){0,2}(?:partout|sur tout le corps|enormes?)",
        r"saign\w* (?:\w+ ){0,3}(?:gencives?|nez) (?:\w+ ){0,3}(?:arrete pas|s arrete pas|sans arret)",
        with_=r"previscan|coumadine|sintrom|eliquis|xarelto|pradaxa|lixiana|anticoagul\w*|\bavk\b|"
        r"fluindione|warfarine|apixaban|rivaroxaban",
    ),
    rule(
        C.BLEEDING,
        r"(?:perds|perd|pisse|coule) (?:\w+ ){0,2}(?:plein|beaucoup|enormement|tellement) de sang",
        historic=False,  # « depuis ma fausse couche » says when it began
    ),
    # --- serious falls and trauma -------------------------------------------------------------
    rule(
        C.TRAUMA,
        r"(?:ne se souvient|se souvient) (?:plus )?de rien",
        r"repete (?:\w+ ){0,1}(?:les )?memes questions",
        with_=r"coup|choc|tombe\w*|chute|frappe\w*|cogne\w*|accident|rugby|match",
    ),
    rule(
        C.TRAUMA,
        r"doigts? (?:\w+ ){0,2}(?:broye\w*|arrache\w*|ecrase\w*)",
        r"(?:broye|ecrase)\w* (?:\w+ ){0,2}(?:la |sa |ma )?main",
    ),
    rule(
        C.TRAUMA,
        r"(?:frappe\w*|coup\w*|tombe\w*) (?:\w+ ){0,3}(?:a|sur) la tete",
        with_=r"vomi\w*|mal de tete qui (?:augmente|empire)|somnolent\w*|fourmi\w*|nuque|ne se souvient",
    ),
    rule(
        C.TRAUMA,
        r"ventre (?:\w+ ){0,1}(?:est )?dur\b",
        with_=r"coup|choc|tombe\w*|chute|accident|guidon",
    ),
    rule(
        C.TRAUMA,
        r"(?:orteils?|doigts?|main|pied|bras|jambe) (?:\w+ ){0,2}(?:arrache\w*|sectionne\w*|ampute\w*|coupe\w* net)",
        r"(?:tomb\w*|chut\w*|glisse\w*|degringol\w*|dévale\w*|dévalé) (?:\w+ ){0,5}"
        r"(?:echelle|escabeau|escaliers?|toit|balcon|fenetre|de haut|metres?|etage|arbre|"
        r"mur|falaise|mezzanine|tracteur|chantier|grenier|table a langer|lit superpose|"
        r"rambarde|pont|echafaudage|cheval|moto|scooter)",
        r"(?:ne |n )?(?:peut|peux|arrive|arrivons|parvient|reussit|arrivent) (?:plus |pas |"
        r"meme pas )?(?:a )?(?:se |le |la |l )?(?:relever|releve|lever|levee|bouger la jambe|"
        r"poser le pied|mettre le pied)",
        r"(?:ne|n) (?:se )?releve (?:plus|pas)",
        r"reste (?:\w+ ){0,2}(?:par terre|au sol)",
        r"impossible de (?:la |le |l |me |se )?(?:relever|lever|bouger|deplacer)",
        r"retrouve\w* (?:\w+ ){0,1}(?:au sol|par terre)",
        r"(?:par terre|au sol) (?:\w+ ){0,4}(?:depuis|impossible|sans pouvoir)",
        r"(?:tete|crane|front) (?:\w+ ){0,4}(?:fracas\w*|ouvert\w*|fendu\w*|en sang)",
        r"(?:plante\w*|enfonce\w*|planter) (?:\w+ ){0,3}(?:couteau|lame|ciseaux|tournevis|"
        r"cutter)",
        r"(?:couteau|lame|ciseaux|tournevis) (?:\w+ ){0,3}(?:dans (?:le|la|sa|son|"
        r"mon|ma)|plante\w*|enfonce\w*)",
        r"fracture (?:ouverte|du crane|de la hanche|du col|du femur|du bassin|de la colonne)",
        r"os (?:qui )?(?:sort|depasse|perce|visible)",
        r"(?:jambe|bras|poignet|cheville|genou|"
        r"epaule|pied|hanche) (?:\w+ ){0,4}(?:tordu\w*|deform\w*|a l envers|angle bizarre|"
        r"pas dans le bon sens|dans un drole d angle|pend\w*|tournee?)",
        r"accident (?:de (?:voiture|moto|scooter|la route|velo|trottinette)|grave|de la circulation)",
        r"(?:renverse\w*|percute\w*|fauche\w*) (?:\w+ ){0,4}(?:voiture|camion|moto|scooter|bus)",
        r"(?:voiture|camion|moto|scooter|bus) (?:\w+ ){0,4}(?:renverse\w*|percute\w*|fauche\w*)",
        r"poignard\w*",
        r"coup\w* de couteau",
        r"(?:balle|tir|arme) (?:\w+ ){0,2}(?:feu|blesse)",
        r"traumatisme cranien",
        r"trauma cranien",
        r"polytrauma\w*",
        r"(?:vomi\w*|somnol\w*|endormi\w*|confus\w*|dort|saigne\w* (?:du nez|des oreilles)) "
        r"(?:\w+ ){0,6}(?:apres|depuis) (?:\w+ ){0,3}(?:chute|choc|tombe|cogne|coup)",
        r"(?:chute|tombe\w*) (?:\w+ ){0,8}(?:vomi\w*|somnol\w*|ne repond|confus|saigne)",
        r"defenestr\w*",
        r"coup de sabot",
        r"ruade",
        r"ecrase\w* (?:\w+ ){0,3}(?:sous|par) ",
        r"coince\w* sous",
        r"(?:noyade|noye\w*)",
        r"colonne (?:vertebrale|cassee)",
        r"(?:ne sent plus|paralys\w*) "
        r"(?:\w+ ){0,3}(?:jambes|pieds)",
        minimisable=True,
    ),
    rule(
        C.TRAUMA,
        r"(?:tomb\w*|chut\w*|cogne\w*|tape\w*|heurte\w*|choc|coup) (?:\w+ ){0,6}(?:tete|crane|"
        r"front|nuque)",
        r"(?:tete|crane|front|nuque) (?:\w+ ){0,4}(?:cogne\w*|choc|tape\w*|"
        r"heurte\w*|contre)",
        r"(?:tomb\w*|chute) (?:\w+ ){0,4}(?:canape|lit|table|chaise|"
        r"poussette|bras|toboggan|velo|cheval|moto|scooter|trottinette|skate|hauteur)",
        with_=r"vomi\w*|somnol\w*|endormi\w*|s endort|dort tout le temps|confus\w*|ne repond|"
        r"inconscien\w*|flou|bosse molle|saign\w* (?:du nez|des oreilles|de l oreille)|convuls\w*|"
        r"ne se reveille|bizarre|perdu connaissance|ne reconnait|souvient|repete|amnesi\w*",
    ),
    # --- burns (large, or on a child) -----------------------------------------------------------
    # The extent speaks louder than « sûrement superficiel »: not minimisable.
    rule(
        C.BURN,
        r"(?:jambe|bras|dos|ventre|torse|cuisse|main|visage)s? (?:\w+ ){0,1}entiere?s? (?:\w+ ){0,2}"
        r"brul\w*",
        r"brul\w* (?:\w+ ){0,3}(?:sur )?(?:tout le|toute la|tout son|toute sa) (?:jambe|bras|dos|"
        r"ventre|torse|cuisse|visage|poitrine)",
    ),
    # A baby's burn that blisters is never « rien de grave ».
    rule(
        C.BURN,
        r"cloqu\w*",
        r"(?:s est|a ete|s etait) (?:\w+ ){0,1}brule\w*",
        r"brulure\w* (?:\w+ ){0,2}(?:main|doigts?|bras|jambe|pied|visage|paume)",
        with_=r"\bbebe\b|\bbb\b|nourrisson|\b(?:de|a) (?:\d{1,2}|un|deux|trois|quatre|cinq|six|sept|"
        r"huit|neuf|dix|onze) mois\b",
    ),
    rule(
        C.BURN,
        r"(?:brul\w*|ebouillant\w*) (?:\w+ ){0,6}(?:tout le|toute la|tout son|toute sa|grande "
        r"partie|visage|figure|yeux|main entiere|les deux mains|torse|dos|ventre|cuisses?|"
        r"poitrine|cou|jambes?|bras|parties|entrejambe|tete)",
        r"(?:visage|figure|yeux|torse|dos|ventre|poitrine|cou|cuisse|jambe|bras) (?:\w+ ){0,3}"
        r"brul\w*",
        r"cloques? (?:\w+ ){0,3}(?:partout|enormes?|grosses?|immenses?|sur tout)",
        r"(?:grosses?|enormes?|grandes?) cloques?",
        r"peau (?:\w+ ){0,2}(?:part|se decolle|decollee?|pele\w*|blanche|noire|cartonnee|fondu\w*|"
        r"arrachee|en lambeaux|carbonis\w*|qui s en va)",
        r"electrocut\w*",
        r"electrise\w*",
        r"brulure\w* (?:\w+ ){0,2}(?:chimique|electrique|grave|"
        r"profonde|enorme|etendue|du (?:2|3|deuxieme|troisieme|second) degre|(?:2|3)e degre)",
        r"(?:acide|soude|javel|produit|chaux|ciment) (?:\w+ ){0,4}(?:yeux|oeil|peau|visage|"
        r"bras|mains?|jambes?|brul\w*)",
        r"peau (?:\w+ ){0,2}(?:attaquee|fait des bulles|bulles)",
        r"(?:peau|bras|main|mains|doigts|jambe|ventre|torse|pieds|plantes? des pieds) (?:\w+ ){0,3}"
        r"(?:bulles|cloqu\w*)",
        r"prise (?:electrique|de courant)",
        r"(?:decharge|jus) electrique",
        r"cloqu\w*",
        r"(?:renverse\w*|tombe\w*) (?:\w+ ){0,4}(?:theiere|bouilloire|casserole|"
        r"friteuse|eau chaude|the|cafe|soupe)",
        r"immole\w*",
        r"en feu",
        r"pris feu",
        r"flammes?",
        r"(?:eau|huile|lait|soupe|the|cafe|friteuse|bouilloire|casserole) (?:\w+ ){0,5}"
        r"(?:bouillant\w*|brulant\w*|chaud\w*|renvers\w*|dessus)",
        r"(?:renverse\w*|tombe\w*|verse\w*) (?:\w+ ){0,5}(?:eau|huile|lait|soupe|the|cafe|"
        r"casserole|friteuse|bouilloire) (?:\w+ ){0,3}(?:bouillant\w*|chaud\w*|brulant\w*)",
        r"brul\w*",
        with_=_any(
            CHILD,
            r"bouillant\w*",
            r"tout le",
            r"toute la",
            r"grande?",
            r"enorme\w*",
            r"visage",
            r"figure",
            r"yeux",
            r"electri\w*",
            r"chimique",
            r"acide",
            r"soude",
            r"flammes?",
            r"feu",
            r"cloques?",
            r"peau",
            r"degre",
            r"torse",
            r"dos",
            r"ventre",
            r"poitrine",
            r"bras",
            r"jambes?",
            r"cuisses?",
        ),
        unless=r"\bcoup de soleil\b(?!.*(?:cloques?|bebe|nourrisson))|\bbrul\w* (?:d estomac|"
        r"urinaire|en urinant|quand je fais pipi|au pipi)|\bbrulures? d estomac|"
        r"\b(?:verrue\w*|azote|cryo\w*)\b|"
        r"\b(?:il|elle|bebe|front|corps|fils|fille) (?:est|etait) (?:tout |toute )?brulant\w*\b"
        r"(?!.*(?:cloqu|bouillant|ebouillant|eau|huile|the|cafe|four|feu))|\bzona\b|reflux|gaviscon|brulures? d estomac",
        minimisable=True,
    ),
    # A sunburn is small, unless it blisters with fever, chills or vomiting: a burn to be seen.
    rule(
        C.BURN,
        r"coup de soleil",
        with_=r"^(?=.*(?:cloqu\w*|cloques?|boursoufl\w*))(?=.*(?:fievre|vomi\w*|frissons?|malaise))",
    ),
    # --- anaphylaxis --------------------------------------------------------------------------
    rule(
        C.ANAPHYLAXIS,
        r"(?:plaques|boutons|urticaire) (?:\w+ ){0,2}(?:partout|sur tout le corps)",
        r"couvert\w* (?:\w+ ){0,1}(?:de )?(?:plaques|boutons|urticaire)",
        r"gonfl\w* de partout",
        with_=r"siffl\w*|respire (?:mal|fort)|du mal a respirer|tension (?:\w+ ){0,1}basse|molle?\b|"
        r"tousse|gorge|voix|avaler",
    ),
    rule(
        C.ANAPHYLAXIS,
        r"piq\w* (?:\w+ ){0,3}dans la bouche",
        r"dans la bouche (?:\w+ ){0,3}(?:enfle|gonfle)",
    ),
    rule(
        C.ANAPHYLAXIS,
        r"anaphyla\w*",
        r"oedeme de quincke",
        r"quincke",
        r"choc allergique",
        r"(?:reaction|crise) allergique (?:\w+ ){0,2}(?:grave|severe|forte|violente|enorme|"
        r"terrible|serieuse)",
        r"(?:gorge|langue|levres?|visage|figure|face|yeux|paupieres?|bouche|cou|tete|joues?|glotte|"
        r"larynx) (?:\w+ ){0,4}(?:gonfl\w*|enfl\w*|oedem\w*|double\w* de volume|gros\w*|"
        r"se ferme\w*|serre\w*|bouffi\w*|enorme\w*|grossi\w*)",
        r"(?:gonfl\w*|enfl\w*|oedem\w*|bouffi\w*) (?:\w+ ){0,4}(?:gorge|langue|levres?|visage|"
        r"figure|yeux|paupieres?|bouche|cou|joues?|glotte)",
        r"(?:utilise\w*|fait|injecte\w*|mis|pique\w*|donne\w*) (?:\w+ ){0,3}(?:stylo|epi ?pen|anapen|jext|emerade|adrenaline)",
        r"(?:stylo|epi ?pen|anapen|jext|emerade|adrenaline) (?:\w+ ){0,4}(?:fait|injecte\w*|utilise\w*|donne\w*|pique\w*|rien fait|pas suffi)",
        r"urticaire (?:\w+ ){0,8}(?:respir\w*|avaler|gorge|partout|tout le corps|malaise|souffle)",
        r"(?:plaques|boutons) (?:\w+ ){0,4}partout (?:\w+ ){0,8}(?:respir\w*|avaler|gorge|souffle)",
        r"(?:du mal|n arrive (?:pas|plus)|arrive (?:pas|plus)|peut (?:pas|plus)) (?:a )?"
        r"(?:avaler|deglutir) (?:\w+ ){0,10}(?:piq\w*|allerg\w*|cacahu\w*|arachide\w*|crustace\w*|"
        r"fruits de mer|noix|guepe|abeille|frelon)",
        r"(?:piq\w*|allerg\w*|cacahu\w*|arachide\w*|crustace\w*|fruits de mer|guepe|abeille|"
        r"frelon) (?:\w+ ){0,12}(?:du mal a (?:avaler|respirer)|respire mal|gonfl\w*|enfl\w*|"
        r"malaise|plaques partout|urticaire)",
        unless=r"\b(?:rhume des foins|pollen\w*|conjonctivite)\b(?!.*(?:respir|gorge|avaler))|"
        r"moustique\w*(?!.*(?:respir|gorge|avaler|langue|levres?|visage))",
    ),
    rule(  # a fall, then the legs or the feet are no longer felt: the spine
        C.TRAUMA,
        r"(?:ne )?(?:sent|sens|sentait) (?:plus|pas) (?:bien )?(?:ses|les|mes) (?:pieds|jambes)",
        r"(?:jambes|pieds) (?:\w+ ){0,2}(?:insensibles?|paralys\w*|engourdi\w*|ne repondent plus)",
        with_=r"tomb\w*|chute\w*|marche|escalier\w*|accident\w*|glisse\w*",
        historic=False,  # « après sa chute » is the cause, not a past event
    ),
    rule(  # a sting or an allergen today, then hives, or feeling faint
        C.ANAPHYLAXIS,
        r"(?:se sent|me sens|se sentir|se sentait) partir",
        r"urticaire",
        with_=r"piqu\w*|guepe|abeille|frelon|cacahu\w*|arachide\w*|crustace\w*|fruits de mer",
    ),
    # --- poisoning and ingestion --------------------------------------------------------------
    rule(
        C.POISONING,
        r"anti ?limaces?",
        r"melange\w* (?:\w+ ){0,2}(?:javel|chlore|detartrant|ammoniaque|acide)",
    ),
    rule(  # a child who swallowed a medicine or a product
        C.POISONING,
        rf"(?:avale\w*|ingere\w*|bu\b|boire|boit|mange\w*|croque\w*|lech\w*|mise? (?:dans|a) (?:sa|la) bouche|"
        rf"gobe\w*|mache\w*|machouill\w*|suce\w*|aval\w*|mordu\w*|pris) (?:\w+ ){{0,8}}(?:{MEDICINES}|{PRODUCTS})",
        rf"(?:{MEDICINES}|{PRODUCTS}) (?:\w+ ){{0,6}}(?:avale\w*|ingere\w*|bu\b|mange\w*|"
        rf"croque\w*|dans (?:sa|la) bouche|lech\w*)",
        with_=CHILD,
        unless=r"\b(?:arrive|peut|peux|reussit|parvient|veut) (?:pas|plus) a avaler",
    ),
    rule(  # a child and an opioid substitute or a strong painkiller within reach
        C.POISONING,
        r"(?:flacon|boite|comprimes?|gelules?|sirop|dose|plaquette|fiole) (?:\w+ ){0,3}(?:methadone|"
        r"subutex|buprenorphine|morphin\w*|oxycodone|fentanyl|skenan|tramadol)",
        with_=CHILD,
        unless=r"(?:renouvel\w*|ordonnance) (?:\w+ ){0,4}(?:methadone|subutex|buprenorphine|"
        r"morphin\w*|oxycodone|fentanyl|skenan|tramadol)",
    ),
    rule(  # anyone, a household product, a poison or too much of a medicine
        C.POISONING,
        r"(?:avale\w*|ingere\w*|bu\b|mange\w*|croque\w*|pris|mis dans (?:sa|la) bouche) "
        r"(?:\w+ ){0,6}(?:javel|lessive|detergent\w*|capsules? de lessive|pastilles? (?:de )?lave|"
        r"tablettes? (?:de )?lave|white ?spirit|essence|petrole|piles? bouton|pile\b|piles\b|"
        r"aimants?|champignons? (?:\w+ ){0,3}(?:cueilli\w*|ramasse\w*|foret|bois)|antigel|"
        r"deboucheur|soude|destop|alcool a bruler|insecticide|mort aux rats|raticide|poison|acide|"
        r"ammoniac|chlore|produit (?:\w+ ){0,2}(?:menager|vaisselle|nettoyant|wc|toilettes|"
        r"chimique|ménage))",
        r"avale\w* (?:des|les|ses|plein de|tous? (?:ses|les)|une poignee de) (?:\w+ ){0,1}"
        rf"{MEDICINES}",
        r"intox\w*",
        r"empoisonn\w*",
        r"overdose",
        r"over dose",
        r"surdose",
        r"\bod\b",
        r"monoxyde",
        r"(?:bu|boire|avale\w*) (?:\w+ ){0,7}(?:gel|solution) hydro ?alcool\w*",
        r"(?:barbecue|brasero) (?:\w+ ){0,4}(?:dedans|a l interieur|dans (?:la|le|l) (?:maison|appart\w*|salon|chambre|cuisine|garage))",
        r"chauff\w* (?:\w+ ){0,4}(?:avec (?:un |le )?(?:barbecue|brasero))",
        r"(?:bu|boire|avale\w*) (?:\w+ ){0,3}(?:la moitie|tout|toute|la totalite|le reste)\w* (?:\w+ ){0,2}"
        r"(?:flacon|bouteille|boite|tube) (?:\w+ ){0,3}(?:sirop|medicament\w*|doliprane|paracetamol|dafalgan|efferalgan|comprimes)",
        r"\bco\b (?:\w+ ){0,3}(?:detecteur|alarme|chaudiere)",
        r"detecteur de co",
        r"(?:toute|tout|une|deux|2|plusieurs|moitie de la|la moitie d une|toutes? les) "
        r"(?:boites?|plaquettes?|flacons?|tubes?) (?:\w+ ){0,3}(?:de |d )?(?:\w+ ){0,1}"
        rf"{MEDICINES}",
        r"centre anti ?poison\w*",
        r"anti ?poison",
        r"(?:pris|avale\w*) (?:\w+ ){0,3}par erreur",
        r"par erreur (?:\w+ ){0,3}(?:pris|avale\w*)",
        r"(?:2|deux|3|trois|double|triple) fois (?:sa|la|ma|leur|son|mon) (?:dose|traitement)",
        r"(?:double|triple)\w* (?:\w+ ){0,2}(?:ma|sa|la|leur|mes|ses) (?:dose|traitement|doses)",
        r"(?:trop|beaucoup trop|\d{2,}|dizaine|vingtaine|trentaine|quinzaine|plein|double|triple) "
        rf"(?:de |d )?(?:\w+ ){{0,2}}{MEDICINES}",
        r"(?:avale\w*|pris|bu|ingere\w*) (?:\w+ ){0,3}(?:toute?s?|tous|tout) (?:\w+ ){0,2}"
        rf"{MEDICINES}",
        unless=r"\b(?:est ce que|peut on|puis je|je peux|on peut|dois je|faut il) (?:\w+ ){0,4}"
        r"prendre\b(?!.*(?:avale|trop|toute))|intoxications? alimentaires?",
    ),
    rule(
        C.POISONING,
        r"chaudiere",
        r"chauffe ?(?:eau|bain)",
        r"poele a (?:bois|petrole|gaz)",
        r"brasero",
        r"groupe electrogene",
        r"chauffage (?:\w+ ){0,2}(?:gaz|petrole)",
        with_=r"mal (?:a|de) (?:la )?tete|maux de tete|vomi\w*|nausee\w*|malaise|vertige\w*|"
        r"somnol\w*|evanou\w*",
    ),
    rule(  # a blister pack found empty, a child who had it in hand
        C.POISONING,
        rf"(?:{MEDICINES}) (?:\w+ ){{0,4}}(?:vide|entamee?|ouverte?)\b",
        r"en manqu\w* (?:\w+ ){0,1}\d+",
        # the child had it: a bottle merely empty is a renewal
        with_=r"dans (?:les|ses|sa) mains?|l avait (?:dans|entre)|jou\w* avec",
        # (and for the model too: doses missing « pour finir » the course are a renewal)
        unless=r"pour finir\b",
    ),
    rule(
        C.POISONING,
        r"(?:mange\w*|cueilli\w*|ramasse\w*|gout\w*) (?:\w+ ){0,4}champignons?",
        with_=r"vomi\w*|hallucin\w*|diarrhee\w*|malade\w*|mal au ventre|trembl\w*|bizarre|"
        r"malaise|somnol\w*|confus\w*",
    ),
    # --- infant under 3 months with fever ------------------------------------------------------
    rule(
        C.INFANT_FEVER,
        FEVER,
        with_=YOUNG_INFANT,
        unless=OLDER_INFANT + r"|\bpas de fievre\b|\bsans fievre\b",
        # under 3 months any fever is the 15, even « elle a l'air en forme »: the model, which
        # reads the reassurance, does not veto it
        vetoable=False,
    ),
    # --- fever with a stiff neck, or purpura ---------------------------------------------------
    rule(
        C.MENINGITIS,
        r"purpura",
        r"meningite\w*(?! (?:b|c|acwy)\b)",
        r"menningite\w*",
        rf"{SPOTS} (?:\w+ ){{0,4}}{PURPLE}",
        rf"{SPOTS} (?:\w+ ){{0,8}}(?:(?:ne |n )?(?:disparai\w*|s effac\w*|partent|part|"
        r"blanchi\w*|pali\w*|s en vont|s en va)) (?:pas|plus|meme pas)",
        r"(?:verre|vitre) (?:\w+ ){0,8}(?:taches?|boutons?|plaques?|points?|toujours|restent|"
        r"visible)\b(?! (?:\w+ ){0,4}(?:s effacent|s efface|disparaissent|disparait) (?:bien|tres bien|tous))",
        rf"{SPOTS} (?:\w+ ){{0,10}}(?:verre|vitre)\b(?! (?:\w+ ){{0,4}}(?:s effacent|s efface|disparaissent|disparait) (?:bien|tres bien|tous))",
        r"(?:toucher|poser|mettre|coller|baisser) (?:\w+ ){0,3}(?:torse|poitrine|menton) (?:\w+ ){0,3}"
        r"(?:menton|torse|poitrine)",
        r"(?:petits? )?points? (?:\w+ ){0,3}(?:violet\w*|rouges? fonce|pourpres?)",
        r"(?:nuque|cou) (?:\w+ ){0,3}(?:raide\w*|bloque\w*|rigide\w*|dur\w*|coince\w*)",
        r"raideur (?:\w+ ){0,3}(?:nuque|cou)",
        r"torticolis",
        r"regarder (?:ses|mes|les) pieds",
        r"(?:baisser|pencher) la tete",
        r"regarder (?:vers )?(?:le )?bas",
        r"(?:ne |n )?(?:peut|peux|arrive|arrivons|parvient|reussit) (?:plus |pas |meme pas )?"
        r"(?:a )?(?:plier|baisser|bouger|pencher|tourner|flechir|mettre) (?:\w+ ){0,3}"
        r"(?:tete|cou|nuque|menton)",
        r"(?:menton|tete) (?:\w+ ){0,3}(?:poitrine|torse) (?:\w+ ){0,3}(?:impossible|pas|plus)",
        r"(?:mal|douleur) (?:\w+ ){0,2}(?:nuque|cou) (?:\w+ ){0,6}(?:lumiere|fievre|vomi)",
        r"(?:lumiere|clarte|jour) (?:\w+ ){0,3}(?:l |le |la |lui |me )?(?:incommode|gene|derange|fait "
        r"mal|insupportable)",
        r"(?:supporte|supporter) (?:plus|pas) (?:\w+ ){0,1}(?:lumiere|clarte)",
        r"\bkou\b (?:\w+ ){0,2}red\b",  # Antillean creole: « kou a'y rèd »
        with_=_any(
            FEVER,
            r"purpura",
            rf"{SPOTS} (?:\w+ ){{0,6}}(?:verre|vitre|{PURPLE}|"
            r"ne (?:disparai|s effac)\w*|disparaiss\w* pas|s effacent pas|partent pas)",
            r"photophob\w*",
            r"lumiere",
        ),
    ),
    # --- pregnancy with bleeding or severe pain -------------------------------------------------
    rule(
        C.PREGNANCY,
        r"(?:rien|plus rien|aucun mouvement|plus de mouvements?|ne (?:le |la )?sens (?:plus|rien)) "
        r"(?:\w+ ){0,3}depuis (?:ce |le |hier )?(?:matin|midi|soir|hier|\d+ ?h)",
        with_=PREGNANT,
    ),
    rule(
        C.PREGNANCY,
        r"(?:beaucoup )?moins bouge",
        r"liquide (?:\w+ ){0,1}qui coule",
        r"vision (?:\w+ ){0,1}(?:floue|trouble)",
        r"gonflement (?:\w+ ){0,1}du visage",
        with_=PREGNANT,
    ),
    rule(
        C.PREGNANCY,
        r"saign\w*",
        r"(?<!prise de )(?<!analyse de )(?<!bilan de )(?<!test de )\bsang\b(?! a jeun)",
        r"(?:super|hyper|tres|trop|vraiment|atrocement|horriblement|tellement) mal (?:au|dans le|"
        r"en bas du|du) (?:ventre|bas ventre|dos)",
        r"mal (?:au|du) (?:bas )?ventre (?:\w+ ){0,2}"
        r"(?:d un coup|brutal\w*|qui (?:ne )?(?:se calme|passe) pas)",
        r"pertes? (?:\w+ ){0,2}(?:de sang|rouges?|marron|brun\w*)",
        r"hemorr?ag\w*",
        r"caillots?",
        r"(?:douleur\w*|mal|crampes?|contractions?|coliques?) (?:\w+ ){0,4}(?:violent\w*|fort\w*|"
        r"atroce\w*|horrible\w*|insupportable\w*|intense\w*|terrible\w*|enorme\w*|aigu\w*|"
        r"affreu\w*|pas normal\w*|qui (?:ne )?passent? pas|de chien|plie\w* en deux|brutal\w*|"
        r"toutes les \d+ ?(?:min|minutes))",
        r"(?:violent\w*|fort\w*|atroce\w*|horrible\w*|intense\w*|terrible\w*|grosses?|enormes?|"
        r"insupportables?) (?:\w+ ){0,1}(?:douleur\w*|mal|crampes?|contractions?)",
        r"tres mal (?:au|dans le|en bas du) ventre",
        r"plie\w* en deux",
        r"hurle de douleur",
        r"(?:perd|perdu|perte) (?:\w+ ){0,4}(?:les eaux|des eaux|liquide)",
        r"\beau (?:\w+ ){0,2}(?:partir|parti|partie|coule|sort|sortir)",
        r"poche des eaux",
        r"perdi (?:\w+ ){0,1}agua",
        r"bolsa (?:\w+ ){0,1}(?:rompeu|estourou|rota)",
        r"(?:bebe|il|elle) (?:\w+ ){0,3}(?:ne |n )?(?:bouge|remue|sent) (?:\w+ ){0,2}(?:plus|pas)",
        r"(?:ne |n )?(?:le |la )?(?:sens|sent|sentons) (?:\w+ ){0,2}(?:plus|pas) (?:\w+ ){0,4}"
        r"(?:bouger|remuer)",
        r"plus de mouvements?",
        r"(?:bouge|remue) (?:\w+ ){0,2}plus",
        r"mouches (?:\w+ ){0,2}(?:devant|yeux)",
        r"(?:vois|voit|voir) (?:\w+ ){0,2}(?:mouches|"
        r"etoiles|eclairs|flash\w*|points (?:noirs|lumineux|brillants))",
        r"(?:etoiles|eclairs|flash\w*|points "
        r"(?:noirs|lumineux)) (?:\w+ ){0,3}(?:yeux|vue|devant)",
        r"(?:mal de tete|migraine|maux de tete|cephalee\w*) (?:\w+ ){0,4}(?:violent\w*|atroce\w*|"
        r"terrible\w*|horrible\w*|enorme\w*|insupportable\w*|intense\w*|fou|qui ne passe pas)",
        r"pre ?eclampsie",
        r"eclampsie",
        r"tension (?:\w+ ){0,3}(?:16|17|18|19|20|elevee|haute)",
        r"fausse couche",
        r"grossesse extra ?uterine",
        r"geu\b",
        r"contractions? (?:\w+ ){0,4}(?:\d{1,2} ?(?:sa|semaines|mois)|trop tot|premature\w*)",
        r"convuls\w*",
        r"malaise",
        r"evanou\w*",
        with_=PREGNANT,
        unless=r"saign\w* (?:\w+ ){0,2}(?:du |de |des )?(?:nez|gencives?)|(?:nez|gencives?) (?:\w+ ){0,2}saign\w*|"
        r"purpura (?:senile|de bateman)",
    ),
    # --- hypoglycaemia or sudden confusion -------------------------------------------------------
    rule(
        C.STROKE,
        r"melange\w* (?:\w+ ){0,1}(?:les |ses |des )?mots",
        r"(?:dit|dire|emploie|utilise) (?:\w+ ){0,3}au lieu (?:de|d)",
        r"(?:mots|phrases) (?:\w+ ){0,2}(?:sans queue ni tete|qui ne veulent rien dire)",
        with_=r"depuis|d un coup|soudain\w*|brutal\w*|ce matin|ce midi|dejeuner|diner|tout a l heure|"
        r"\bans\b|pere|mere|mari|femme|grand",
    ),
    rule(
        C.CONFUSION,
        r"ne sait plus qui (?:je suis|il est|elle est|nous sommes)",
        r"hallucin\w*",
        r"repete (?:\w+ ){0,1}les memes choses",
        r"comme (?:s il|s ils|si elle|si elles) (?:etait|etaient) la",
        with_=r"depuis (?:\d+ ?h|une heure|ce soir|ce matin|cet apres midi|tout a l heure)|d un coup|"
        r"brutal\w*|soudain\w*|different\w*|bizarre|agite\w*|drole d air|diabet\w*|decede\w*|mort\w*",
    ),
    rule(
        C.CONFUSION,
        r"hypo\b",
        r"hypoglyc\w*",
        r"hypo glyc\w*",
        r"en hypo",
        r"(?:sucre|glycemie|dextro|glyc|glycemi\w*) (?:\w+ ){0,4}(?:bas\w*|0 ?[.,]? ?[1-6]\d?\b|"
        r"chute|effondr\w*|a 0|dans les chaussettes|tres bas|trop bas|[2-5]\d ?mg|lo\b)",
        r"\b0[.,][1-6]\d? ?(?:g\b|gr\b|de sucre|de glyc\w*|au dextro)",
        r"(?:lecteur|capteur|freestyle|glucometre|dexcom) (?:\w+ ){0,4}(?:lo\b|[2-5]\d ?mg)",
        r"diabet\w* (?:\w+ ){0,12}(?:transpire|sueurs?|tremble|incoheren\w*|confus\w*|bizarre|ne "
        r"repond|somnol\w*|agit\w*|mou|pale|desorient\w*|n importe quoi|ailleurs|absent\w*)",
        r"(?:transpire|sueurs?|tremble|incoheren\w*|confus\w*|desorient\w*|bizarre) (?:\w+ ){0,10}"
        r"(?:diabet\w*|insuline|sucre|glycemie)",
        r"confus\w*",
        r"desorient\w*",
        r"incoheren\w*",
        r"delir\w*",
        r"hagard\w*",
        r"\b(?:ne |n )?(?:me |nous |les |la |le |l )?reconnai\w* (?:\w+ ){0,2}(?:plus|pas|personne)",
        r"(?:dit|dire|raconte\w*|parle) (?:\w+ ){0,3}(?:qui (?:n )?ont (?:aucun|pas de|ni queue)|sans "
        r"(?:aucun )?queue) (?:ni tete|sens)",
        r"reconnait personne",
        r"parle (?:a|avec) (?:des gens|quelqu un|des personnes) qui (?:ne )?(?:sont|est) pas la",
        r"(?:demand\w*|sai\w* (?:\w+ )?(?:plus|pas)) (?:\w+ ){0,3}(?:quel jour (?:on|nous)|"
        r"ou (?:elle|il) (?:habite|est|vit)|en quelle annee)",
        # creole: « pa ka rekonèt pèsonn » (« pa » is the sign's, not a denial)
        r"(?:pas |pa )?(?:ka )?rekon\w* (?:\w+ ){0,1}pe\w*sonn?\w*",
        r"pawol (?:\w+ ){0,2}(?:pas|pa) (?:\w+ ){0,1}sans",
        r"(?:ne |n )?sait (?:plus|pas) (?:ou|qui|quel|quelle|comment) "
        r"(?:il|elle|on|jour|annee|est|sont|s appelle)",
        r"(?:dit|raconte|parle|fait) "
        r"(?:\w+ ){0,2}n importe (?:quoi|comment)",
        r"(?:completement|totalement|tout d un coup|"
        r"soudain\w*|brutalement|d un coup) (?:\w+ ){0,3}(?:perdu\w*|ailleurs|paum\w*|"
        r"a l ouest|absent\w*|endormi\w*|somnolent\w*|bizarre)",
        r"(?:perdu\w*|paum\w*|a l ouest|ailleurs) (?:\w+ ){0,3}(?:tout d un coup|d un coup|"
        r"soudain\w*|brutalement|depuis (?:ce matin|tout a l heure|une heure|1h))",
        r"somnolen\w*",
        r"tres (?:\w+ ){0,1}(?:endormi\w*|somnolent\w*)",
        r"(?:bizarre|etrange|perdu\w*|ailleurs|absent\w*|paum\w*) (?:\w+ ){0,2}(?:d un coup|tout "
        r"d un coup|soudain\w*|brutalement)",
        r"(?:regarde|fixe) (?:\w+ ){0,2}sans (?:comprendre|"
        r"reagir|repondre)",
        r"croit (?:qu on est|etre) en (?:19|20)\d\d",
        r"comme (?:ivre|saoul)",
        r"ne tient (?:plus|pas) debout",
        unless=r"\b(?:suis|sommes|soyez|serai|etes) (?:\w+ ){0,2}confus\w* (?:de|d|pour|par)\b",
    ),
    rule(
        C.CONFUSION,
        r"transpir\w*",
        r"sueurs?",
        r"trembl\w*",
        r"(?:me|se) sens \w+ partir",
        r"sens partir",
        r"incoheren\w*",
        r"confus\w*",
        r"bizarre",
        r"malaise",
        r"\b0[.,][1-6]\d?\b",
        r"(?:n arrive|arrive) (?:plus|pas) a (?:penser|reflechir|parler)",
        r"ne repond",
        with_=r"diabet\w*|insuline|glycemi\w*|sucre|dextro|hypo\b",
    ),
    # --- suicidal ideation and self-harm --------------------------------------------------------
    rule(
        C.SUICIDE,
        r"avale\w* (?:\w+ ){0,1}toute (?:ma|sa|la) boite",
        r"enferme\w* (?:\w+ ){0,3}garage (?:\w+ ){0,2}moteur",
        r"prendre tous (?:mes|ses) (?:cachets|medicaments|comprimes)",
        historic=False,
        immediate=True,
    ),
    rule(
        C.SUICIDE,
        r"(?:endormir|dormir) pour (?:de bon|toujours|l eternite)",
        r"ne (?:plus|jamais plus) (?:me |se )?reveiller",
        historic=False,
    ),
    rule(
        C.SUICIDE,
        r"suicid\w*",
        r"sucid\w*",
        r"suicd\w*",
        r"(?:me|se|te|m|s) (?:\w+ ){0,1}(?:flinguer|foutre en l air|fout\w* en l air|"
        r"jeter (?:sous|du|par|dans|d un|de)|pendre|noyer|ouvrir les veines|couper les veines|"
        r"tirer une balle)",
        r"en finir",
        r"finir (?:avec )?(?:ma|la|sa) vie",
        r"mettre fin a (?:mes|ses|tes|ma|sa) (?:jours|vie)",
        r"(?:envie|veux|veut|voudrais|"
        r"voudrait|pense|pensee\w*|prefere\w*|aimerai\w*|prete?|rever?) (?:\w+ ){0,3}(?:de )?"
        r"mourir(?! de (?:honte|rire|faim|froid|chaud|soif|ennui|fatigue|envie|jalousie|peur))",
        r"pense (?:\w+ ){0,4}a mourir",
        r"(?:plus|pas) (?:\w+ ){0,2}envie de vivre",
        r"(?:plus|pas) (?:la )?force de vivre",
        r"a quoi bon (?:vivre|continuer|se battre|me battre|me lever|tout ca)",
        r"marre de (?:la|cette) vie",
        r"(?:plus|pas) (?:\w+ ){0,2}(?:envie|"
        r"goût|gout) (?:\w+ ){0,2}(?:vivre|continuer|etre la)",
        r"idees? (?:\w+ ){0,1}(?:noires?|suicid\w*|de mort)",
        r"(?<!\bva )(?<!\bvont )(?<!\bvas )(?<!\ballez )(?<!\bca )(?:me|m) (?:\w+ ){0,1}tuer\b",
        r"\b(?:se|s|te) (?:\w+ ){0,1}tuer\b",
        r"(?:ouvert\w*|tranche\w*|coupe\w*) (?:\w+ ){0,1}"
        r"(?:les|ses|mes|le|la|son|sa|mon|ma) (?:poignets?|veines?)",
        r"(?:plus )?jamais (?:me|se) "
        r"reveiller",
        r"(?:stocke|stocker|stockais|stockait|accumul\w*) (?:\w+ ){0,2}(?:cachets|medicaments|"
        r"comprimes|pilules|somniferes)",
        r"(?:fusil|arme|pistolet|revolver) (?:\w+ ){0,8}"
        r"(?:genoux|tempe|bouche|le faire|vais|va|en finir)",
        r"laisse (?:\w+ ){0,1}(?:une |un )?"
        r"(?:lettre|mot)\b",
        r"disparaitre (?:pour toujours|"
        r"definitivement|de ce monde|pour de bon)",
        r"(?:scarifi\w*|automutil\w*|mutil\w*|"
        r"taillad\w*|se coupe\w*|me coupe\w*|s est coupe\w* les (?:veines|poignets|bras))",
        r"(?:coupe\w*|entaille\w*|lacer\w*|taillade\w*) (?:\w+ ){0,3}(?:veines?|poignets?|"
        r"avant bras|cuisses?)",
        r"(?<!qui )(?<!ca )(?<!sa )(?<!ce qui )(?:me|se) (?:fai\w*|faire) (?:du )?mal\b(?! au dos| au ventre)",
        r"(?:me|se|te) (?:\w+ ){0,2}(?:faire|fait) du mal",
        r"lettre d adieu",
        r"message d adieu",
        r"dire adieu",
        r"\badieu\b",
        r"plus (?:\w+ ){0,2}la (?:peine|force) de continuer",
        r"(?:corde|noeud coulant) (?:\w+ ){0,5}(?:pendre|cou|poutre|garage|prete?|accrochee)",
        r"sur (?:le|la|un|une) (?:rebord|pont|toit|balcon|falaise|parapet|bord de la fenetre|"
        r"rambarde|voie\w*|quai)",
        r"(?:sauter|se jeter|me jeter|jeter) (?:\w+ ){0,3}(?:pont|"
        r"fenetre|balcon|toit|train|falaise|vide|etage)",
        r"(?:tout )?(?:le monde|vous) (?:\w+ ){0,3}mieux sans moi",
        r"me vois pas (?:passer|vivre|tenir|finir)",
        r"(?:ecrit|laisse|prepare) (?:\w+ ){0,2}(?:lettres?|mots?) (?:pour|a) (?:mes|ses|ma|mon|sa|son)",
        r"(?:foncer|me jeter|me precipiter|precipiter) (?:\w+ ){0,3}(?:pilier|mur|arbre|camion|train|platane|vide)",
        r"mieux si (?:je|j) (?:meurs|mourais|disparais|disparaissais|etais mort\w*)",
        r"mieux sans (?:moi|lui|elle)",
        r"(?:fardeau|poids) pour "
        r"(?:tout le monde|les autres|ma famille|vous)",
        r"(?:plus|pas|aucune) (?:\w+ ){0,2}(?:la peine|"
        r"raisons?) de (?:vivre|continuer)",
        r"(?:mis|mets|mettre|range\w*) (?:\w+ ){0,2}(?:papiers|affaires) en ordre",
        r"(?:mon|son) dernier message",
        r"(?:j ai|il a|elle a) tout avale",
        r"combien de (?:comprimes|cachets|medicaments|pilules) (?:\w+ ){0,2}(?:faudrait|faut|pour)",
        r"(?:las|lasse|fatigue\w*) de vivre",
        r"fait mon temps",
        r"(?:donne|distribue)\w* (?:\w+ ){0,4}(?:affaires|console|fringues|vetements|bijoux|"
        r"jeux) (?:\w+ ){0,3}(?:potes|amis|copains|copines)",
        r"(?:marques?|entailles?|coupures?) (?:\w+ ){0,2}(?:cuisses?|bras|poignets?|ventre|jambes?) "
        r"(?:\w+ ){0,3}(?:compas|lame|rasoir|cutter)",
        r"coupures? sur (?:ses|mes|les) (?:bras|poignets|cuisses)",
        r"partir pour de bon",
        r"ne (?:plus )?me reveiller",
        r"(?:dormir|endormir) (?:\w+ ){0,2}(?:pour toujours|et ne plus)",
        r"jpp de la vie",
        r"en peux plus de (?:vivre|la vie|tout)",
        r"tentative",
        r"\bts\b",
        r"pendu\w*",
        r"(?:plus|pas|aucun) (?:\w+ ){0,2}(?:interet|sens|raison|but) (?:\w+ ){0,2}(?:vivre|vie)",
        r"(?:serai|serais|suis|etre|etais|sens|sent|sentir) (?:\w+ ){0,2}(?:un |une )?(?:poids|fardeau|boulet)",
        r"(?:que|veux que|voudrais que) (?:tout|ca) s arrete",
        r"mieux si (?:je|j) (?:n )?"
        r"(?:etais|etait|serais) plus la",
        r"(?:garde|mets|met) (?:\w+ ){0,2}(?:cachets|medicaments|"
        r"comprimes|pilules) de cote",
        r"(?:veux|veut|voudrais|voudrait|envie de|prefere\w*) (?:\w+ ){0,1}(?:plus|pas|jamais) "
        r"(?:me|se|m|s) (?:re)?reveiller",
        r"pour (?:\w+ ){0,2}(?:mourir|plus (?:jamais )?se "
        r"reveiller|ne plus (?:jamais )?se reveiller|en finir|disparaitre)",
        r"(?:pense|envie|veux|veut|tente\w*) (?:\w+ ){0,2}(?:a |d |de )?(?:avaler|prendre) "
        r"(?:\w+ ){0,2}(?:toute?s?|tous|la boite|les boites)",
        r"(?:me|se) (?:suis|est|sont) (?:\w+ ){0,1}(?:coupe\w*|taillade\w*|scarifie\w*|"
        r"mutile\w*|lacere\w*) (?:\w+ ){0,2}(?:bras|poignets?|veines|cuisses?|jambes|"
        r"ventre)",
        r"(?:me|se) brul\w* (?:\w+ ){0,4}(?:cigarettes?|briquet|expres)",
        r"(?:j ai|je viens de|jai) (?:\w+ ){0,1}(?:pris|avale\w*) (?:(?:de|les|mes|ses|"
        r"ma|la|sa|une) )?(?:toute?s?|\d{2,}|tous|la boite|une boite|plaquettes?|tout le tube) ",
        r"(?<!quatre )veines",
        r"(?:arme|fusil|pistolet|couteau|lame|rasoir|cutter) (?:\w+ ){0,6}"
        r"(?:tuer|mourir|en finir|poignets?|gorge|veines|contre (?:lui|elle|moi)|suicid\w*)",
        unless=r"\bce (?:\w+ ){0,2}me tue\b(?!.*(?:envie|veux|suicid|mourir|finir))|pris \d+ (?:kilos?|kg)\b",
        historic=False,  # « depuis son AVC » is still now; only years ago is history
    ),
    rule(  # « depuis la mort de papa, elle veut aller le rejoindre »
        C.SUICIDE,
        r"(?:aller|partir|veut|veux|voudrai\w*|envie de) (?:le|la|les) rejoindre",
        r"(?:le|la|les) rejoindre (?:la haut|au ciel|au paradis)",
        with_=r"mort\w*|dece\w*|\bdecede\w*|disparu\w*|ciel|paradis|enterr\w*|veu(?:f|ve)\b|"
        r"funerailles|obseques",
        historic=False,
    ),
    # --- English, as expatriates and tourists write it (« I » reads « il » after normalise) -----
    # Words spelt the same in French (convulsion, overdose, suicide…) are left to the French
    # rules, which the model may veto.
    english(
        C.BREATHING,
        r"(?:can t|cant|cannot|can not|struggl\w*|unable) (?:\w+ ){0,1}(?:to )?breath\w*",
        r"short of breath",
        r"out of breath (?:\w+ ){0,3}(?:resting|sitting|talking|lying)",
        r"breath\w* (?:\w+ ){0,2}(?:really |very |so )?(?:fast|hard|heavily|badly|weird\w*|noisy)",
        r"lips (?:\w+ ){0,3}(?:blue|grey|gray|purple)",
        r"turn\w* blue",
        r"choking",
        r"(?:inhaler|ventolin\w*) (?:\w+ ){0,3}(?:doesn t|does not|isn t|not) (?:\w+ ){0,1}(?:work|help)",
    ),
    english(
        C.CHEST_PAIN,
        r"chest (?:\w+ ){0,2}(?:pain|tight\w*|pressure|hurts?|heavy|crush\w*)",
        r"(?:pain|pressure|tightness|weight) (?:\w+ ){0,3}(?:in|on|across) (?:my |his |her |the )?chest",
        r"heart attack",
        r"(?:heartburn|indigestion) (?:\w+ ){0,8}(?:sweat\w*|pale|short of breath|arm|jaw)",
        r"(?:jaw|arms?|shoulders?) (?:\w+ ){0,4}(?:ache\w*|hurt\w*|pain\w*) (?:\w+ ){0,8}(?:clammy|sweat\w*|sick|pale|short of breath)",
        r"(?:sweat\w*|pale) (?:\w+ ){0,6}(?:heartburn|indigestion|chest)",
    ),
    english(
        C.STROKE,
        r"slurr\w*",
        r"face (?:\w+ ){0,3}(?:droop\w*|drop\w*|crooked|numb|one side)",
        r"(?:can t|cant|cannot) (?:\w+ ){0,1}(?:see|speak|talk|lift|move) (?:\w+ ){0,3}(?:left|right|"
        r"eye|arm|leg|words)",
        r"(?:arm|leg|side) (?:\w+ ){0,3}(?:numb|weak|dead|limp|paraly\w*)",
        r"stroke",
        r"words (?:\w+ ){0,3}(?:wrong|jumbled|mixed|slurred|don t make sense)",
        r"(?:lost|losing|loss of) (?:\w+ ){0,3}(?:vision|sight)",
        r"curtain (?:\w+ ){0,3}(?:coming down|over|across)",
    ),
    english(
        C.UNCONSCIOUS,
        r"unconscious",
        r"(?:not|isn t|won t|doesn t|does not|didn t|did not|can t|cant) (?:\w+ ){0,1}(?:respond\w*|wake|waking|"
        r"react\w*)\b(?! to (?:\w+ ){0,2}(?:treatment|medication|meds|antibiotics|tablets|pills))",
        r"pass\w* out",
        r"faint\w*",
        r"collaps\w*",
        r"unresponsive",
        r"knocked out",
    ),
    english(
        C.SEIZURE,
        r"seizur\w*",
        r"\bfits?\b (?:\w+ ){0,3}(?:shaking|jerking|eyes|floor)",
        r"(?:shaking|jerking) (?:\w+ ){0,3}(?:all over|whole body|arms and legs|uncontrollabl\w*)",
        r"eyes (?:\w+ ){0,2}roll\w*",
    ),
    english(
        C.BLEEDING,
        r"bleed\w* (?:\w+ ){0,3}(?:a lot|heavily|badly|loads|won t stop|will not stop|doesn t stop|"
        r"everywhere|non stop|so much)",
        r"(?:won t|doesn t|will not|can t) stop (?:the )?bleed\w*",
        r"(?:vomit\w*|threw up|throwing up|cough\w*) (?:\w+ ){0,5}blood",
        r"coffee grounds",
        r"(?:spurt\w*|gush\w*|pouring|pumping) (?:\w+ ){0,2}blood",
        r"fistula (?:\w+ ){0,6}(?:bleed\w*|blood)",
        r"blood (?:\w+ ){0,3}(?:everywhere|spurt\w*|pouring|gushing|soaked)",
        r"(?:black|tarry|bloody) (?:stools?|poo|poop)",
    ),
    english(
        C.TRAUMA,
        r"fell (?:\w+ ){0,4}(?:ladder|stairs|roof|balcony|window|horse|bike|tree|height)",
        r"(?:can t|cant|cannot) (?:\w+ ){0,1}(?:get up|stand up|move (?:his|her|my) (?:leg|legs|neck))",
        r"hit (?:\w+ ){0,2}head (?:\w+ ){0,6}(?:vomit\w*|sleepy|drowsy|confused|blood thinners)",
        r"(?:car|motorbike|bike|scooter) (?:crash|accident)",
        r"(?:leg|arm|wrist|ankle) (?:\w+ ){0,3}(?:weird angle|bent|deformed)",
    ),
    english(
        C.BURN,
        r"(?:blister\w*|burn\w*|scald\w*) (?:\w+ ){0,4}(?:both|whole|face|hands|feet|chest|back|"
        r"large|big|huge|all over)",
        r"(?:both|whole|all) (?:\w+ ){0,2}(?:feet|hands|legs|arms|face|back) (?:\w+ ){0,2}"
        r"(?:blister\w*|burn\w*|scald\w*)",
        r"(?:boiling|hot) (?:water|oil|tea|coffee|soup|milk) (?:\w+ ){0,8}(?:on|over) (?:him|her|his|my|the)",
        r"skin (?:\w+ ){0,3}peel\w*",
        r"badly (?:burn\w*|scald\w*)",
        r"(?:face|arm|arms|leg|legs|hand|hands|chest|back) (?:\w+ ){0,4}(?:blistering|white in places)",
        rf"(?:burn\w*|scald\w*|blister\w*) (?:\w+ ){{0,6}}(?:{CHILD}|baby|toddler|son|daughter|kid)",
        r"(?:burn\w*|scald\w*) (?:\w+ ){0,3}(?:face|cheek|eyes?|lips|mouth|neck)",
        r"(?:baby|toddler|son|daughter|kid|boy|girl|little one) (?:\w+ ){0,10}(?:burn\w*|scald\w*|blister\w*)",
    ),
    english(C.BURN, r"electrocut\w*", r"electric (?:shock|burn)\w*"),
    english(  # any burn on a young child, the child named in another clause
        C.BURN,
        r"(?:big|large|huge) blister\w*",
        r"(?:burnt|burned|scalded) (?:him|her)sel\w*",
        with_=r"baby|toddler|infant|\b\d{1,2} months old",
    ),
    english(
        C.ANAPHYLAXIS,
        r"(?:throat|tongue|lips|face|eyes) (?:\w+ ){0,3}(?:swell\w*|swollen|puff\w*|closing|tight)",
        r"swell\w* (?:\w+ ){0,3}(?:throat|tongue|lips|face)",
        r"(?:hives|welts|urticaria) (?:\w+ ){0,10}(?:breath\w*|faint\w*|dizzy|throat|wheez\w*|hoarse|swallow\w*)",
    ),
    english(  # hives in one clause, the throat in the next (franglais)
        C.ANAPHYLAXIS,
        r"du mal (?:a |to )?(?:avaler|swallow|respirer|breathe)",
        r"(?:hard|difficult|trouble|struggling) (?:\w+ ){0,2}(?:swallow\w*|breath\w*)",
        with_=r"hives|welts|urticaria|urticaire",
    ),
    english(
        C.POISONING,
        r"swallow\w* (?:\w+ ){0,4}(?:pills|tablets|medicine\w*|battery|batteries|bleach|detergent|"
        r"pods?|magnets?|e liquid|poison|all)",
        r"carbon monoxide",
        r"(?:button|coin|flat|lithium) (?:cell|batter\w*)",
        r"(?:laundry|washing|dishwasher) (?:\w+ ){0,1}(?:pod|capsule|tablet)s?",
        r"batter\w* (?:\w+ ){0,8}(?:swallow\w*|in (?:her|his) mouth)",
        r"(?:gas|paraffin|oil|old) (?:heater|boiler|stove|fire) (?:\w+ ){0,10}(?:headache\w*|dizzy|sick|sleepy|sluggish)",
        r"(?:headache\w*|dizzy|sick) (?:\w+ ){0,12}(?:gas heater|boiler|paraffin heater)",
        r"(?:drank|drunk|ate|eaten) (?:\w+ ){0,4}(?:bleach|detergent|pills|tablets|medicine\w*|"
        r"poison|mushrooms?|berries)",
    ),
    english(
        C.INFANT_FEVER,
        r"fever",
        r"temperature",
        r"\b3[89](?:[.,]\d)?\b",
        with_=r"(?:\d|one|two|three|four|five|six|seven|eight|ten) (?:days?|weeks?) old|newborn|"
        r"(?:one|1|two|2) months? old|(?:baby|infant|girl|boy|newborn) (?:\w+ ){0,1}(?:[1-9]|1\d) "
        r"(?:days?|weeks?)\b|(?:baby|infant|girl|boy|newborn) (?:\w+ ){0,1}(?:1|2|one|two) months?\b",
        # an age of 3 months or more in English or another language rules it out (for the model
        # too, which reads « 38.4 » and « baby » but not the age)
        unless=r"\b(?:[3-9]|1[0-2]|three|four|five|six|seven|eight|nine|ten|eleven) months?\b|"
        r"\b\d+ (?:years?|yrs?) old\b|\b(?:[3-9]|1[0-2]) (?:meses|mesi|luni|aylik)\b",
    ),
    english(
        C.MENINGITIS,
        r"(?:stiff|sore) neck",
        r"neck (?:\w+ ){0,2}stiff",
        r"(?:rash|spots) (?:\w+ ){0,6}(?:doesn t|does not|don t|won t) (?:\w+ ){0,1}(?:fade|go away|"
        r"disappear)",
        r"purple (?:\w+ ){0,2}spots",
        r"(?:glass|tumbler) test",
        r"(?:can t|cant|cannot|unable to) (?:\w+ ){0,1}(?:bend|move|touch) (?:\w+ ){0,2}(?:neck|chin)",
        with_=r"fever|temperature|\b3[89]|\b40|purple|glass|fi[eè]v\w*",
    ),
    english(
        C.PREGNANCY,
        r"waters? (?:\w+ ){0,2}(?:broke|broken|breaking)",
        r"bleed\w*",
        r"(?:severe|horrible|terrible|strong|bad) (?:\w+ ){0,2}(?:pain|cramps?)",
        r"faint\w*",
        r"(?:baby|he|she) (?:\w+ ){0,3}(?:not moving|stopped moving|isn t moving|hasn t moved)",
        r"(?:haven t|hasn t|not|didn t|can t) (?:\w+ ){0,1}(?:felt|feel) (?:\w+ ){0,2}(?:baby|him|her) (?:\w+ ){0,1}mov\w*",
        r"flashing lights",
        r"(?:seeing|see) (?:spots|stars)",
        r"(?:face|hands|feet) (?:\w+ ){0,4}swollen",
        r"severe headache",
        with_=r"pregnan\w*|enceinte\w*|\d+ ?sa\b|grossesse|\b(?:2\d|3\d|40|41) weeks\b",
    ),
    english(
        C.CONFUSION,
        r"acting (?:\w+ ){0,1}(?:weird|strange|odd)",
        r"(?:completely|totally) lost",
        r"doesn t (?:\w+ ){0,1}(?:recogni[sz]e|know where)",
        r"(?:blood )?sugar (?:\w+ ){0,3}(?:low|hypo|\b[2-5]\d\b)",
        r"talking nonsense",
    ),
    english(
        C.SUICIDE,
        r"kill (?:\w+ ){0,1}(?:myself|himself|herself|themselves)",
        r"end (?:it all|my life|his life|her life)",
        r"(?:want|going|gonna|wants) to end it\b",
        r"(?:ending|end) (?:it all|my life|his life|her life)",
        r"thinking (?:about|of) (?:ending|killing|suicide)",
        r"(?:don t|dont|do not|doesn t|doesnt) want to (?:live|be here|wake up)",
        r"want to die",
        r"self harm\w*",
        r"cutting (?:\w+ ){0,1}(?:myself|himself|herself)",
        r"cuts on (?:his|her|my) (?:arms|wrists|thighs|legs)",
        r"(?:letter|note) (?:\w+ ){0,3}(?:sorry|goodbye)",
        r"goodbye (?:letter|note|message)",
        r"better off without me",
        r"(?:no|don t see the|do not see the) point (?:\w+ ){0,3}(?:anything|living|life|going on)",
        r"took (?:\w+ ){0,2}(?:mother s|father s|wife s|husband s|all (?:the|my|his|her)|whole) (?:\w+ ){0,1}(?:pills|tablets|medication|medicines|box\w*)",
        historic=False,
    ),
)


#: What the model alone needs to be heard for a category defined by two signs.
MODEL_NEEDS: dict[Category, re.Pattern[str]] = {
    # a fever and an infant: the model alone read « elle a 38,5 » or « 39 SA » as an infant's
    Category.INFANT_FEVER: re.compile(
        rf"^(?=.*{FEVER})(?=.*(?:{YOUNG_INFANT}|\bbebe\b|nourrisson|baby|newborn|infant|semaines?\b|"
        r"weeks?\b|\bsem\b|\b(?:1|un|2|deux) mois\b|\b(?:a|de|agee?s? de) (?:\d+|un|deux|trois|quatre|"
        r"cinq|six|sept|huit|neuf|dix|onze|douze|treize|quatorze|quinze|seize|dix \w+|vingt \w*) jours\b|"
        r"\bdays? old\b))"
    ),
}

#: Signs, in a suicidal message, that the act is under way: the 15 before the 3114.
IMMEDIATE = re.compile(
    _any(
        r"(?:j ai|il a|elle a|a|ai|viens de|vient de|deja) (?:\w+ ){0,4}(?:pris|avale\w*|bu|"
        r"pris toute|ingere)",
        r"(?:avale\w*|pris|bu|ingere\w*) (?:\w+ ){0,6}(?:"
        + MEDICINES
        + r"|"
        + PRODUCTS
        + r"|toute|tout|la boite)",
        r"en train de",
        r"(?:mon|son) dernier message",
        r"swallow\w*|overdos\w*|right now|tonight|took (?:all|the whole|every)",
        r"on (?:the|a) (?:bridge|roof|ledge|balcony)",
        r"(?:je|il|elle|j) (?:\w+ ){0,2}(?:saigne|vais sauter|va sauter|"
        r"vais le faire|va le faire|vais me|va se)",
        r"sur (?:le|la|un|une) (?:rebord|pont|toit|"
        r"balcon|falaise|parapet|bord|rambarde|voie\w*|quai)",
        r"corde",
        r"(?:arme|fusil|pistolet|"
        r"couteau|lame|rasoir|cutter)",
        r"ce soir",
        r"maintenant",
        r"cette nuit",
        r"tout de suite",
        r"lettre d adieu",
        r"message d adieu",
        r"\badieu\b",
        r"s est (?:\w+ ){0,2}(?:enferme\w*|"
        r"coupe\w*|taillade\w*|pendu\w*)",
        r"taillad\w*",
        r"pendu\w*",
        r"je saigne",
        r"il saigne",
        r"elle saigne",
        r"sang",
        r"veines",
        r"poignets?",
        # the other languages (languages.py): pills already taken, tonight, locked in, a bridge
        r"(?:tome|tomo|ho preso|ha preso|tomei|tomou|am luat|a luat|aldim|aldi|icti|ictim|kliti|"
        r"chrbt|bl3t) (?:\w+ ){0,3}(?:pastillas|pastiglie|pillole|comprimidos|remedios|pastile|"
        r"hap\w*|ilac\w*|7bob|dwa\w*)",
        r"esta noche|stanotte|stasera|esta noite|diseara|in seara asta|bu gece|bu aksam|had lil",
        r"(?:encerr\w*|chius[oa]|trancou|incuiat\w*|kilitle\w*) (?:\w+ ){0,3}(?:bano|bagno|banheiro|baie|banyo)",
        r"(?:puente|ponte|\bpod\b|kopru\w*|balcon\w*|balkon\w*)",
    )
)
