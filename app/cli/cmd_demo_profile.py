"""``clinicdesk demo-profile``: the demo profile's folder, seeded on first use.

``scripts/dev.py run`` calls it as ``clinicdesk demo-profile --password-env`` and reads the path from
standard output, so standard output carries the path and nothing else.
"""

from __future__ import annotations

import argparse
import os

from app.cli.common import PASSWORD_ENV, read_password
from app.demo import ensure_demo_profile
from clinicdesk.errors import UsageError


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--password-env",
        action="store_true",
        help=f"take the password from the {PASSWORD_ENV} environment variable",
    )
    parser.add_argument("--password", help=f"the password (better: {PASSWORD_ENV} or standard input)")


def run(args: argparse.Namespace) -> int:
    if args.password_env:
        password = os.environ.get(PASSWORD_ENV, "")
        if not password:
            raise UsageError(f"--password-env was given but {PASSWORD_ENV} is not set")
    else:
        password = read_password(args)
    print(ensure_demo_profile(password))
    return 0
