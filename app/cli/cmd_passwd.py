"""``clinicdesk passwd``: change a profile's password.

Only the wrapped database key changes (re-wrapped under the new password); the database file is not
re-encrypted. The change holds the profile lock from reading profile.json to writing it back
(Store.change_password), so a wrong password typed at the same moment on this computer is counted
against the new key and never writes the old one back. The new password comes from --new-password,
``CLINICDESK_NEW_PASSWORD`` or the second line of standard input (the first being the current
password).
"""

from __future__ import annotations

import argparse
import os

from app.cli.common import NEW_PASSWORD_ENV, add_profile_args, read_password, stdin_lines
from app.store import open_store
from clinicdesk.errors import UsageError


def configure(parser: argparse.ArgumentParser) -> None:
    add_profile_args(parser)
    parser.add_argument(
        "--new-password", help=f"the new password (better: the {NEW_PASSWORD_ENV} environment variable)"
    )


def _new_password(args: argparse.Namespace) -> str:
    if args.new_password:
        return str(args.new_password)
    from_env = os.environ.get(NEW_PASSWORD_ENV)
    if from_env:
        return from_env
    lines = stdin_lines()
    if len(lines) >= 2 and lines[1]:
        return lines[1]
    raise UsageError(
        f"no new password given: use --new-password, the {NEW_PASSWORD_ENV} environment variable, "
        "or a second line on standard input"
    )


def run(args: argparse.Namespace) -> int:
    old = read_password(args)
    new = _new_password(args)
    if new == old:
        raise UsageError("the new password is the same as the current one; nothing was changed")
    store = open_store(args.profile, old)
    try:
        store.change_password(old_password=old, new_password=new)
    finally:
        store.close()
    print(f"password changed for {args.profile}")
    return 0
