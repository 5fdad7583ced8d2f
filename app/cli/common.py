"""Helpers the profile commands share: where the profile is, where the password comes from, JSON out.

The password may come from ``--password``, the ``CLINICDESK_PASSWORD`` environment variable or the
first line of standard input, so scripts need not put it on a command line where any user's process
list shows it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from clinicdesk.errors import UsageError

PASSWORD_ENV = "CLINICDESK_PASSWORD"
NEW_PASSWORD_ENV = "CLINICDESK_NEW_PASSWORD"


def add_profile_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profile", required=True, type=Path, metavar="DIR", help="the profile folder")
    parser.add_argument(
        "--password",
        help=f"the profile's password (better: the {PASSWORD_ENV} environment variable or standard input)",
    )


def add_format_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output format")


@cache
def stdin_lines() -> tuple[str, ...]:
    """Standard input's lines, read once (several passwords may come from it), never from a terminal:
    a password typed there would echo."""
    if sys.stdin is None or sys.stdin.closed or sys.stdin.isatty():
        return ()
    return tuple(line.rstrip("\r\n") for line in sys.stdin.read().splitlines())


def read_password(args: argparse.Namespace) -> str:
    """--password, else $CLINICDESK_PASSWORD, else the first line of standard input."""
    given = getattr(args, "password", None)
    if given:
        return str(given)
    from_env = os.environ.get(PASSWORD_ENV)
    if from_env:
        return from_env
    lines = stdin_lines()
    if lines and lines[0]:
        return lines[0]
    raise UsageError(
        f"no password given: use --password, the {PASSWORD_ENV} environment variable, or standard input"
    )


def _default(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    from models.registry import to_wire  # here: commands that print no records need no models

    wire = to_wire(value)
    if wire is value:
        raise TypeError(f"not JSON serializable: {type(value).__name__}")
    return wire


def to_json(data: Any) -> str:
    return json.dumps(data, default=_default, ensure_ascii=False, indent=2)


def print_json(data: Any) -> None:
    print(to_json(data))


def parse_day(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--date must look like YYYY-MM-DD, not {text!r}") from None
