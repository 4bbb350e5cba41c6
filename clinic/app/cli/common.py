"""What several command groups share: how listings print, the errors that exit with 2, dates
read from the command line, and who is acting."""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any, TypeAlias, TypeVar

Row = TypeVar("Row")
# The object `add_subparsers` returns: each command module adds its groups to it.
Groups: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


class UsageError(ValueError):
    """A command used wrongly: `main` prints it and exits with 2, like argparse."""


def emit(
    rows: Sequence[Row],
    args: argparse.Namespace,
    as_json: Callable[[Row], Any],
    line: Callable[[Row], str],
    empty: str,
) -> int:
    """Every listing prints the same way: JSON with --json (contract fields), else one French
    line per row, or a sentence saying there is nothing."""
    if args.json:
        print(json.dumps([as_json(row) for row in rows], ensure_ascii=False, indent=2))
    elif not rows:
        print(empty)
    else:
        for row in rows:
            print(line(row))
    return 0


def iso_day(value: str) -> date:
    """An argparse `type`: a bad day is a usage error naming the expected form."""
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError("expected YYYY-MM-DD") from error


def acting_staff() -> str:
    """Who is acting, for the transcript's audit: CLINIC_STAFF, else the system user."""
    import getpass

    return os.environ.get("CLINIC_STAFF") or getpass.getuser()
