"""``clinicdesk sync``: one sync of a profile with the central server, summary as JSON.

    clinicdesk sync --profile DIR --server URL [--username U] [--ca-file CA.pem] [--window BEFORE AFTER]

The profile's password comes from --password, $CLINICDESK_PASSWORD or the first line of standard
input; the server password from --server-password, $CLINICDESK_SERVER_PASSWORD or (when the first
line gave the profile's) the second line of standard input, and otherwise is the profile's password.

A profile folder that does not exist yet (or is empty) is set up from the server, as a practice's
new workstation is: an encrypted profile with that password, signed in as ``--username``, filled by
a first sync, owned by that account (app.sync_service.setup_workstation). A failed setup leaves no
folder behind. An existing profile syncs once: its first sync signs in as ``--username``, later ones
reuse the stored, encrypted refresh token. Network trouble during such a sync is not an error of the
command: it is reported in the summary's ``errors`` (exit status 9), and the changes wait in the
outbox for the next run.

A server whose certificate comes from the practice's own certificate authority needs that CA's
certificate: ``--ca-file`` is checked first (a missing file or one without a certificate is an error
naming it, and nothing is made), then kept in the profile, so later syncs, from here or from the
app, verify the server with it; ``--ca-file ""`` goes back to the usual trusted authorities.
``--window`` is likewise kept. A certificate that does not verify is an error that says so.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from app.cli.common import PASSWORD_ENV, add_profile_args, read_password, stdin_lines
from app.store import open_store
from clinicdesk.errors import AuthenticationError, SyncError, UsageError
from sync.errors import BadCaFile, CertificateNotTrusted, SyncOffline
from sync.protocol import DEFAULT_WINDOW_DAYS

if TYPE_CHECKING:
    from app.sync_service import SetupProgress

SERVER_PASSWORD_ENV = "CLINICDESK_SERVER_PASSWORD"


def configure(parser: argparse.ArgumentParser) -> None:
    before, after = DEFAULT_WINDOW_DAYS
    add_profile_args(parser)
    parser.add_argument(
        "--server", required=True, metavar="URL", help="the sync server, e.g. https://sync.clinic:8700"
    )
    parser.add_argument(
        "--username", "--user", dest="user",
        help="server username (needed to set a profile up and for its first sync)",
    )  # fmt: skip
    parser.add_argument(
        "--server-password",
        help=f"the server password (better: {SERVER_PASSWORD_ENV} or the second line of standard input); "
        "the profile's password when not given",
    )
    parser.add_argument(
        "--window", type=int, nargs=2, metavar=("BEFORE", "AFTER"), default=None,
        help="days of schedule before and after today to download at a profile's first sync "
        f"(default {before} {after}); kept in the profile",
    )  # fmt: skip
    parser.add_argument(
        "--ca-file", metavar="CA.pem",
        help="the practice's CA certificate (PEM or DER) to verify the server's TLS certificate with, "
        "instead of the usual trusted authorities; kept in the profile (\"\" removes it)",
    )  # fmt: skip


def server_password(args: argparse.Namespace, profile_password: str) -> str:
    """--server-password, else $CLINICDESK_SERVER_PASSWORD, else the second line of standard input
    when the first gave the profile's password, else the profile's own password (one account, one
    password, as before). Standard input is not read when the profile's password came from elsewhere:
    a script may be piping something else into it."""
    if args.server_password:
        return str(args.server_password)
    from_env = os.environ.get(SERVER_PASSWORD_ENV)
    if from_env:
        return from_env
    if not args.password and not os.environ.get(PASSWORD_ENV):
        lines = stdin_lines()
        if len(lines) >= 2 and lines[1]:
            return lines[1]
    return profile_password


def is_new_profile(profile: Path) -> bool:
    return not profile.exists() or (profile.is_dir() and not any(profile.iterdir()))


def run(args: argparse.Namespace) -> int:
    if not args.server.startswith(("http://", "https://")):
        raise UsageError("--server must be an http:// or https:// URL")
    password = read_password(args)
    if is_new_profile(args.profile):
        return set_up(args, password)
    return sync_existing(args, password)


def set_up(args: argparse.Namespace, password: str) -> int:
    """Makes the missing profile from the server; prints what was set up as JSON."""
    from app.sync_service import setup_workstation

    if not args.user:
        raise UsageError(
            f"{args.profile} is not a profile yet; to set it up from the server, give --username"
        )
    verbose = sys.stderr.isatty()

    def progress(step: SetupProgress) -> None:
        if verbose:
            count = f" ({step.received:,} records)" if step.received else ""
            print(f"clinicdesk sync: {step.step}{count}", file=sys.stderr)

    try:
        made = setup_workstation(
            args.profile,
            profile_password=password,
            server_url=args.server,
            username=args.user,
            server_password=server_password(args, password),
            device_name=socket.gethostname()[:120],
            progress=progress,
            ca_file=args.ca_file or None,
            window_days=(args.window[0], args.window[1]) if args.window is not None else None,
        )
    except AuthenticationError as exc:
        raise AuthenticationError(
            f"{exc.message}; check --username and the server password (--server-password, "
            f"{SERVER_PASSWORD_ENV} or the second line of standard input); no profile was made"
        ) from None
    except SyncOffline as exc:
        raise SyncOffline(f"{exc.message}; check --server and the network; no profile was made") from None
    except (BadCaFile, CertificateNotTrusted) as exc:
        raise type(exc)(f"{exc.message}; no profile was made") from None
    print(
        json.dumps(
            {
                "set_up": True,
                "profile": str(made.profile_dir),
                "username": made.username,
                "received": made.received,
                "ca_file": made.ca_file,
            }
        )
    )
    return 0


def sync_existing(args: argparse.Namespace, password: str) -> int:
    from app.sync_service import SyncService, check_ca_file, check_window

    # checked before the profile is opened: a bad file or window changes nothing
    if args.ca_file:
        check_ca_file(args.ca_file)
    if args.window is not None:
        check_window((args.window[0], args.window[1]))

    try:
        store = open_store(args.profile, password)
    except AuthenticationError as exc:
        raise AuthenticationError(
            f"the profile {args.profile} did not unlock: {exc.message} (the profile's password comes "
            f"from --password, {PASSWORD_ENV} or the first line of standard input)"
        ) from None
    service = SyncService(store, args.server)  # the profile's kept CA file and window
    try:
        if args.ca_file is not None:
            service.set_ca_file(args.ca_file or None)
        if args.window is not None:
            service.set_window_days((args.window[0], args.window[1]))
        signed_in = service.signed_in_as()
        if args.user and signed_in not in (None, args.user):
            raise SyncError(f"this profile syncs as {signed_in}; it cannot sync as {args.user}")
        if signed_in is None:
            if not args.user:
                raise UsageError("the first sync of a profile needs --username")
            service.sign_in(
                username=args.user,
                password=server_password(args, password),
                device_name=socket.gethostname()[:120],
            )
        report = service.sync_now()
    finally:
        service.close()
        store.close()
    print(json.dumps(report.to_json()))
    return 0 if report.ok else SyncError.exit_code
