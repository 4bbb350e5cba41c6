"""The words staff read for the core's codes, kept in one place so every page says the same."""

from __future__ import annotations

from clinic.domain.safety.categories import Category

#: An emergency's red-flag category, as staff read it (« douleur thoracique »).
DANGERS = {category.value: category.label for category in Category}
REASONS = {
    "emergency": "Urgence",
    "handoff": "Demande à parler à l'équipe",
    "fallback": "Incompris, demande l'équipe",
    "data_request": "Demande RGPD",
    "number_changed": "A changé de numéro",
}
STATUSES = {
    "pending": "À confirmer",
    "booked": "Réservé",
    "confirmed": "Confirmé par le patient",
    "cancelled": "Annulé",
}
ATTENDANCE = {"arrived": "Arrivé", "no_show": "Absent"}
ROLES = {"staff": "Équipe", "manager": "Responsable"}
AUDIT_ACTIONS = {
    "booked": "Réservé",
    "pending": "Enregistré en attente",
    "moved": "Déplacé",
    "confirmed": "Confirmé",
    "cancelled": "Annulé",
    "arrived": "Marqué arrivé",
    "no_show": "Marqué absent",
}
ACTORS = {"patient": "le patient (WhatsApp)", "system": "le système"}
#: What a redirect's `?msg=` shows: fixed texts only, so a link cannot put words on the page.
MESSAGES = {
    "sent": "Réponse envoyée au patient.",
    "template": "Le modèle « reprise de contact » est envoyé.",
    "window": "Le patient n'a pas écrit depuis plus de 24 h : WhatsApp n'accepte plus de texte "
    "libre. Envoyez le modèle « reprise de contact » ci-dessous.",
    "unreachable": "Ce patient n'a pas WhatsApp : appelez-le.",
    "empty": "Écrivez d'abord votre réponse.",
    "resumed": "La conversation est rendue à l'assistant ; le patient en est informé.",
    "closed": "Conversation close, sans message au patient.",
    "not_paused": "Cette conversation est déjà avec l'assistant.",
    "done_whatsapp": "C'est fait ; le patient est prévenu sur WhatsApp.",
    "done_phone": "C'est fait. Ce patient n'a pas WhatsApp : prévenez-le par téléphone.",
    "marked": "Présence enregistrée.",
    "marked_whatsapp": "Absence enregistrée ; le patient reçoit un message pour reprendre "
    "rendez-vous.",
    "not_found": "Rendez-vous introuvable.",
    "not_pending": "Ce rendez-vous n'est plus en attente.",
    "not_active": "Ce rendez-vous est annulé.",
    "unverified": "L'agenda du cabinet est injoignable : rien n'est changé, réessayez plus tard.",
    "taken": "Cet horaire est déjà pris : choisissez-en un autre.",
    "not_yet": "La présence se note le jour du rendez-vous.",
    "booked_whatsapp": "Rendez-vous pris ; le patient reçoit la confirmation sur WhatsApp.",
    "booked_phone": "Rendez-vous pris. Le patient ne reçoit rien sur WhatsApp : donnez-lui la date "
    "et l'heure au téléphone.",
    "limit": "Ce patient a déjà le nombre maximum de rendez-vous à venir.",
    "missing": "Indiquez le nom du patient, le motif et un horaire.",
    "staff_added": "Compte créé.",
    "staff_disabled": "Compte désactivé.",
    "second_factor_reset": "Double authentification réinitialisée : la personne l'activera de nouveau "
    "à sa prochaine connexion.",
}
