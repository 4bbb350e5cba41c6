"""`clinic`: the staff and operator command line.

    clinic config check
    clinic appointments list [--from DATE] [--to DATE] [--status S] [--json]
    clinic appointments cancel ID
    clinic appointments confirm ID      (a pending booking)
    clinic appointments refuse ID       (a pending booking)
    clinic calendar sync
    clinic calendar block START END [--practitioner ID] [--label TEXT]
    clinic conversations list [--status paused|active|all] [--json]
    clinic conversations show ID [--json]
    clinic conversations reply ID TEXT       (free text, inside WhatsApp's 24-hour window)
    clinic conversations reply ID --template (the « reprise de contact » template, outside it)
    clinic conversations resume ID
    clinic flags list [--json]           (= conversations list --status paused)
    clinic patients export ID [--out FILE]   (everything kept about a patient, JSON)
    clinic patients erase ID --yes           (forget a patient: GDPR erasure)
    clinic privacy purge [--dry-run] [--json]   (the retention pass the worker runs daily)
    clinic privacy reseal                    (after DATA_ENCRYPTION_KEY=new,old: all under new)
    clinic reminders list [--status S] [--json]
    clinic audit list [--appointment ID] [--json]
    clinic whatsapp outbox [--status S] [--patient ID] [--json]
    clinic trace WAMID [--logs DIR|-] [--json]   (one message's path: processes, actions, sends)
    clinic conversations export --anonymise --since D [--out DIR]   (Rasa YAML for trainers)
    clinic report --from D --to D [--out F.html] [--json]   (the pilot's figures, no personal data)
    clinic staff add --email E --name N --password-stdin [--role staff|manager]
    clinic staff list [--json]
    clinic staff disable EMAIL           (its open console sessions end too)
    clinic keys rotate --new-key-stdin
    clinic worker [--once]

Dates are the practice's local time: `2026-12-03` (a whole day) or `2026-12-03T14:00`.
A conversation ID is its id or the reference staff alerts give (« 3f9a0c1e »). Staff actions are
recorded under CLINIC_STAFF (default: the system user name).
"""

from __future__ import annotations

import argparse
import sys

from clinic.adapters.settings import Settings, SettingsError
from clinic.app.cli import admin, appointments, conversations, operations
from clinic.app.cli.common import UsageError
from clinic.app.wiring import build_services
from clinic.domain.practice import Practice, PracticeConfigError, load_practice


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    try:
        settings = Settings.from_env()
        practice = load_practice(settings.practice_config)
        code = _run(args, settings, practice)
    except (SettingsError, PracticeConfigError, UsageError) as error:
        print(f"error: {error}", file=sys.stderr)
        code = 2
    raise SystemExit(code)


def _run(args: argparse.Namespace, settings: Settings, practice: Practice) -> int:
    """A `standalone` command gets the settings; every other one the services, built for it
    and their database connections closed after."""
    standalone = getattr(args, "standalone", None)
    if standalone is not None:
        return standalone(settings, practice, args)
    services = build_services(settings, practice)
    try:
        return args.handler(services, args)
    finally:
        services.database.dispose()


def _parser() -> argparse.ArgumentParser:
    """One `register` per concern; the order they are called in is `clinic --help`'s."""
    parser = argparse.ArgumentParser(
        prog="clinic", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    groups = parser.add_subparsers(dest="group", required=True)
    admin.register_config(groups)
    appointments.register(groups)
    conversations.register(groups)
    operations.register(groups)
    admin.register(groups)
    return parser
