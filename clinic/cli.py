"""`clinic`: the staff and operator command line (appointments and reminders join it later)."""

from __future__ import annotations

import argparse
import sys

from clinic.practice import PracticeConfigError, load_practice
from clinic.settings import Settings, SettingsError


def _config_check(settings: Settings) -> int:
    practice = load_practice(settings.practice_config)
    print(f"✓ {settings.practice_config}: « {practice.name} » ({practice.timezone})")
    print(f"✓ settings: calendar={settings.calendar_backend}, log format={settings.log_format}")
    return 0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="clinic", description=__doc__)
    sub = parser.add_subparsers(dest="group", required=True)
    config = sub.add_parser("config", help="the practice configuration")
    config_sub = config.add_subparsers(dest="action", required=True)
    config_sub.add_parser("check", help="validate settings and the practice file")
    parser.parse_args(argv)  # only `config check` so far
    try:
        settings = Settings.from_env()
        code = _config_check(settings)
    except (SettingsError, PracticeConfigError) as error:
        print(f"error: {error}", file=sys.stderr)
        code = 2
    raise SystemExit(code)
