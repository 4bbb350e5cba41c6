"""The privacy notice (GDPR art. 13): the short first layer a new patient gets with their first
answer, and the full page the assistant serves at NOTICE_PATH."""

from __future__ import annotations

from html import escape

from clinic.domain.practice import Practice

NOTICE_PATH = "/webhooks/whatsapp/confidentialite"


def notice_text(practice: Practice, base_url: str) -> str:
    """The short notice a new patient gets with their first answer (art. 13, first layer)."""
    rules = practice.privacy
    contact = rules.contact or practice.address
    return (
        f"ℹ️ Vos messages et vos rendez-vous sont traités par le {practice.name} pour gérer vos "
        f"rendez-vous. Les messages sont gardés {rules.conversation_retention.days} jours. Vous "
        "pouvez consulter ou effacer vos données : écrivez « mes données » ou « supprimez mes "
        f"données », ou contactez le cabinet ({contact}). Tout savoir : "
        f"{base_url.rstrip('/')}{NOTICE_PATH}"
    )


def notice_page(practice: Practice) -> str:
    """The full notice (art. 13), served by the assistant at NOTICE_PATH."""
    rules = practice.privacy
    name, address = escape(practice.name), escape(practice.address)
    contact = escape(rules.contact or f"{practice.address}, {practice.phone}")
    reminders = {
        "ask": "envoyés sauf si vous les refusez (bouton « Non merci » ou « plus de rappels »)",
        "required": "envoyés seulement si vous les acceptez",
        "none": "envoyés avec chaque rendez-vous (« plus de rappels » les arrête)",
    }[rules.reminder_consent]
    return f"""<!doctype html><html lang="fr"><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Vos données – {name}</title>
<body style="font-family:system-ui;max-width:40em;margin:2em auto;padding:0 1em;line-height:1.5">
<h1>Vos données personnelles</h1>
<p><strong>Responsable :</strong> {name}, {address}. Version de cette information :
{escape(rules.notice_version)}.</p>
<h2>Pourquoi</h2>
<p>L'assistant WhatsApp du cabinet prend, déplace et annule vos rendez-vous, vous envoie un
rappel la veille et prévient l'équipe en cas d'urgence. Ces données sont des données de santé :
elles sont traitées pour la gestion de vos soins (RGPD, art. 9.2.h), sous le secret
professionnel.</p>
<h2>Quelles données</h2>
<p>Votre numéro WhatsApp, le nom que vous donnez, vos messages, vos rendez-vous (date, motif,
praticien). Numéro, nom et messages sont chiffrés dans notre base.</p>
<h2>Combien de temps</h2>
<ul>
<li>Messages : {rules.conversation_retention.days} jours après leur envoi.</li>
<li>Rendez-vous passés : {rules.appointment_retention.days} jours, puis ils sont anonymisés.</li>
<li>Sans message ni rendez-vous pendant {rules.inactive_patient_retention.days // 365} ans :
tout est effacé.</li>
</ul>
<h2>Rappels</h2>
<p>Les rappels WhatsApp sont {reminders}.</p>
<h2>Qui les reçoit</h2>
<p>L'équipe du cabinet ; nos sous-traitants techniques : Meta (WhatsApp), l'hébergeur de
l'assistant, et Google si le cabinet utilise Google Agenda (sans votre nom ni votre motif dans
l'agenda).</p>
<h2>Vos droits</h2>
<p>Accès, rectification, effacement, opposition, limitation, portabilité. Sur WhatsApp, écrivez
« mes données » (vous recevez tout ce que nous gardons) ou « supprimez mes données ». Ou
contactez le cabinet : {contact}. Vous pouvez aussi saisir la CNIL (www.cnil.fr).</p>
<p>Une urgence ? Appelez le 15 ou le 112.</p>
</body></html>"""
