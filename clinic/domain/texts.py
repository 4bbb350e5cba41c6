"""What the assistant says on its own, outside the dialogue (French, vouvoiement), on any channel."""

MEDIA = (
    "Je ne sais lire que les messages écrits. Pouvez-vous m'écrire votre demande en quelques mots ?"
)
VOICE = (
    "Je ne peux pas écouter les messages vocaux. Pouvez-vous m'écrire votre demande ? "
    "En cas d'urgence, appelez le 15 ou le 112."
)
LOCATION = (
    "Merci, mais je ne peux pas utiliser une position. Écrivez-moi ce que vous souhaitez, "
    "par exemple « un rendez-vous mardi matin »."
)
STALE = (
    "Votre message nous est parvenu avec beaucoup de retard, désolé. "
    "Pouvez-vous me réécrire votre demande ?"
)
THROTTLED = (
    "Je reçois beaucoup de messages de votre part : je vous réponds dans un instant. "
    "En cas d'urgence, appelez le 15 ou le 112."
)
ERROR = (
    "Désolé, un problème technique m'empêche de vous répondre. "
    "Réessayez dans quelques minutes{phone}."
)


def error(phone: str | None) -> str:
    return ERROR.format(phone=f" ou appelez le cabinet au {phone}" if phone else "")


HOLDING = "Je rencontre un petit souci technique : je reviens vers vous dans un instant{phone}."


def holding(phone: str | None) -> str:
    """Said when a turn takes longer than its budget; the real answer follows."""
    return HOLDING.format(phone=f" (urgent : appelez le cabinet au {phone})" if phone else "")
