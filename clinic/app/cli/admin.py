"""`clinic config`, `staff`, `keys` and `worker`: running the installation rather than the
practice's day. `config check`, `keys rotate` and `worker` set `standalone`: they run on the
settings alone, without the services `main` builds for every other command."""

from __future__ import annotations

import argparse
import sys

from clinic.adapters.keys import fingerprint, load_key, rotate
from clinic.adapters.sealing import data_sealer
from clinic.adapters.settings import Settings, SettingsError
from clinic.adapters.storage import Database
from clinic.adapters.storage.staff import StaffError, StaffMember, normalise_email
from clinic.adapters.whatsapp.contacts import Contacts
from clinic.adapters.whatsapp.identity import Keyring
from clinic.app.cli.common import Groups, emit
from clinic.app.wiring import Services
from clinic.domain.practice import Practice
from clinic.domain.statuses import STAFF_ROLES

ROLE_LABELS = {"staff": "équipe", "manager": "responsable"}


def register_config(groups: Groups) -> None:
    """Apart from `register`: `config` comes first in `clinic --help`."""
    config = groups.add_parser("config", help="the practice configuration").add_subparsers(
        dest="action", required=True
    )
    config.add_parser("check", help="validate the settings and the practice file").set_defaults(
        standalone=_config_check
    )


def register(groups: Groups) -> None:
    _add_staff(groups)
    keys = groups.add_parser("keys", help="the key behind patient ids").add_subparsers(
        dest="action", required=True
    )
    rotation = keys.add_parser(
        "rotate",
        help="re-key every patient id to the key read on stdin (run it with the current key "
        "still in force: PATIENT_ID_KEY as today, or unset when the database holds the key)",
    )
    rotation.add_argument("--new-key-stdin", action="store_true", required=True)
    rotation.set_defaults(standalone=_rotate_keys)

    worker = groups.add_parser("worker", help="send the outbox and due jobs until stopped")
    worker.add_argument("--once", action="store_true", help="one pass, then exit")
    worker.set_defaults(standalone=_worker)


def _add_staff(groups: Groups) -> None:
    staff = groups.add_parser("staff", help="console accounts").add_subparsers(
        dest="action", required=True
    )
    add = staff.add_parser("add", help="create a console account (the first one is a manager)")
    add.add_argument("--email", required=True)
    add.add_argument("--name", required=True)
    add.add_argument(
        "--password-stdin", action="store_true", required=True, help="read the password on stdin"
    )
    add.add_argument("--role", choices=STAFF_ROLES, help="default: staff (manager if first)")
    add.set_defaults(handler=_staff_add)
    members = staff.add_parser("list", help="console accounts")
    members.add_argument("--json", action="store_true", help="machine-readable output")
    members.set_defaults(handler=_staff_list)
    disable = staff.add_parser(
        "disable", help="refuse an account from now on (never the last active manager)"
    )
    disable.add_argument("email")
    disable.set_defaults(handler=_staff_disable)
    enable = staff.add_parser("enable", help="accept a disabled account again, unlocked")
    enable.add_argument("email")
    enable.set_defaults(handler=_staff_enable)
    reset = staff.add_parser(
        "reset-password", help="set a new password; open sessions end and the lock is lifted"
    )
    reset.add_argument("email")
    reset.add_argument(
        "--password-stdin", action="store_true", required=True, help="read the password on stdin"
    )
    reset.set_defaults(handler=_staff_reset_password)
    factor = staff.add_parser(
        "reset-2fa", help="remove an account's second factor (a lost phone); it enrols again"
    )
    factor.add_argument("email")
    factor.set_defaults(handler=_staff_reset_second_factor)


def _config_check(settings: Settings, practice: Practice, args: argparse.Namespace) -> int:
    print(f"✓ {settings.practice_config}: « {practice.name} » ({practice.timezone})")
    print(
        f"  {len(practice.practitioners)} praticien(s), {len(practice.reasons)} motif(s), "
        f"créneaux de {int(practice.rules.slot_step.total_seconds() // 60)} min, "
        f"horizon {practice.rules.horizon.days} jours"
    )
    print(f"✓ settings: calendar={settings.calendar_backend}, log format={settings.log_format}")
    if not practice.staff_alerts:
        print("⚠ staff_alerts est vide : personne n'est alerté des urgences / nobody is alerted")
    if practice.staff_emails and not settings.smtp_url:
        print("⚠ staff_alerts a des e-mails mais SMTP_URL n'est pas défini / SMTP_URL is not set")
    return 0


def _staff_add(services: Services, args: argparse.Namespace) -> int:
    password = sys.stdin.readline().rstrip("\r\n")
    try:
        member = services.staff.add(args.email, args.name, password, args.role)
    except StaffError as error:
        print(f"Compte non créé : {error}", file=sys.stderr)
        return 1
    print(f"Compte créé / account created: {member.email} ({ROLE_LABELS[member.role]})")
    return 0


def _staff_list(services: Services, args: argparse.Namespace) -> int:
    tz = services.practice.tz

    def line(m: StaffMember) -> str:
        state = "actif" if m.active else "DÉSACTIVÉ"
        return f"{m.email:<32} {m.name:<24} {ROLE_LABELS[m.role]:<12} {state}"

    return emit(services.staff.list(), args, lambda m: m.as_json(tz), line, "Aucun compte.")


def _staff_disable(services: Services, args: argparse.Namespace) -> int:
    try:
        found = services.staff.disable(args.email)
    except StaffError as error:  # the last active manager
        print(f"{str(error).capitalize()}.", file=sys.stderr)
        return 1
    if not found:
        print(f"Compte introuvable / no such account: {args.email}", file=sys.stderr)
        return 1
    print(f"Compte désactivé / account disabled: {normalise_email(args.email)}")
    return 0


def _staff_enable(services: Services, args: argparse.Namespace) -> int:
    if not services.staff.enable(args.email):
        print(f"Compte introuvable / no such account: {args.email}", file=sys.stderr)
        return 1
    print(f"Compte réactivé / account enabled: {normalise_email(args.email)}")
    return 0


def _staff_reset_second_factor(services: Services, args: argparse.Namespace) -> int:
    member = services.staff.by_email(args.email)
    if member is None:
        print(f"Compte introuvable / no such account: {args.email}", file=sys.stderr)
        return 1
    services.second_factors.remove(member.id)
    services.staff.end_sessions(member.id)
    print(f"Double authentification retirée / second factor removed: {member.email}")
    return 0


def _staff_reset_password(services: Services, args: argparse.Namespace) -> int:
    password = sys.stdin.readline().rstrip("\r\n")
    try:
        found = services.staff.reset_password(args.email, password)
    except StaffError as error:
        print(f"Mot de passe non changé : {error}", file=sys.stderr)
        return 1
    if not found:
        print(f"Compte introuvable / no such account: {args.email}", file=sys.stderr)
        return 1
    email = normalise_email(args.email)
    print(f"Mot de passe changé / password changed: {email} (sessions ouvertes fermées)")
    return 0


def _rotate_keys(settings: Settings, practice: Practice, args: argparse.Namespace) -> int:
    """Re-key the ids of every patient whose WhatsApp number is known, in one transaction."""
    new = sys.stdin.readline().strip().encode()
    database = Database(settings.database_url)
    try:
        database.create_schema()
        old = load_key(database, settings.patient_id_key)
        keyring = Keyring(new) if len(new) >= 16 else None
        if keyring is None:
            raise SettingsError("the new key must be at least 16 characters long")
        numbers = Contacts(database, data_sealer(settings)).numbers()
        rekey = {patient_id: keyring.patient_id(wa_id) for patient_id, wa_id in numbers.items()}
        count = rotate(database, old, new, rekey)
    finally:
        database.dispose()
    print(f"{count} identifiant(s) patient re-chiffré(s) / patient id(s) re-keyed")
    print(f"Empreinte de la nouvelle clé / new key fingerprint: {fingerprint(new)}")
    print(
        "Mettez maintenant PATIENT_ID_KEY à la nouvelle clé et redémarrez / now set PATIENT_ID_KEY"
    )
    return 0


def _worker(settings: Settings, practice: Practice, args: argparse.Namespace) -> int:
    import asyncio

    from clinic.adapters.logs import configure_logging
    from clinic.app.worker import main_async

    configure_logging(settings.log_format, settings.log_level)
    return asyncio.run(main_async(settings, args.once))
