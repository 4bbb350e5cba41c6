"""What a patient in danger reads first: the numbers to call, before any notice or greeting.

Sources (docs/safety.md): the 15 (SAMU, medical emergencies) and the 112 (European emergency
number) answer day and night; the 114 takes SMS, for people who cannot speak or hear; the 3114 is
France's suicide-prevention line, free, 24/7, for the person in distress and for those close.
"""

from __future__ import annotations

from clinic.domain.safety.detector import Finding

DANGER = (
    "🚨 Appelez tout de suite le 15 (SAMU) ou le 112. "
    "Si vous ne pouvez pas parler, envoyez un SMS au 114. "
    "Je préviens l'équipe du cabinet, mais n'attendez pas sa réponse."
)
SUICIDE_IMMEDIATE = (
    "🚨 Appelez tout de suite le 15 (SAMU) ou le 112. "
    "Si vous ne pouvez pas parler, envoyez un SMS au 114. "
    "Le 3114 (prévention du suicide, gratuit, 24 h/24) peut aussi vous aider. "
    "Je préviens l'équipe du cabinet."
)
SUICIDE = (
    "Vous pouvez en parler maintenant : appelez le 3114, le numéro national de prévention du "
    "suicide, gratuit, 24 h/24 et 7 j/7. Il répond aussi aux proches. "
    "En cas de danger immédiat, appelez le 15 ou le 112 (SMS au 114 si vous ne pouvez pas parler). "
    "Je préviens l'équipe du cabinet."
)
#: The first bubble for a message plainly not in French (`language.is_foreign`): the numbers in
#: the patient's language, as far as one line allows, and what the assistant can read.
MULTILINGUAL = "Emergency · Emergencia · Emergenza · Emergência · Urgență · Acil · طوارئ : 112."
FOREIGN = (
    f"🚨 Urgence : appelez le 15 ou le 112 (SMS au 114). {MULTILINGUAL} "
    "Je ne lis que le français. I can only read French."
)


def answer(finding: Finding, foreign: bool = False) -> str:
    """The one bubble for a red flag: 15 / 112 for a danger, 3114 for suicidal thoughts (and
    15 / 112 first when the danger is immediate: a drug already taken, an act in progress).
    `foreign`: the message was not in French, so the 112 is also named in other languages."""
    if not finding.suicidal:
        text = DANGER
    elif finding.immediate or len(finding.categories) > 1:
        text = SUICIDE_IMMEDIATE
    else:
        text = SUICIDE
    return f"{text}\n{MULTILINGUAL}" if foreign else text
