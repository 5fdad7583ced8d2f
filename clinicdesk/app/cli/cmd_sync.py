"""``clinicdesk sync``: one sync of a profile with the central server, summary as JSON.

    clinicdesk sync --profile DIR --password PW --server URL [--user U]

The first sync of a profile signs in as ``--user`` (with the same password, or
$CLINICDESK_SERVER_PASSWORD) and downloads the user's schedule window; later ones reuse the stored,
encrypted refresh token. Network trouble is not an error of the command: it is reported in the
summary's ``errors`` (exit status 9), and the changes wait in the outbox for the next run.
"""

from __future__ import annotations

import argparse
import json
import os
import socket

from clinicdesk.app.cli.common import add_profile_args, read_password
from clinicdesk.app.store import open_store
from clinicdesk.errors import SyncError, UsageError
from clinicdesk.sync.engine import SyncEngine
from clinicdesk.sync.transport import HttpTransport

SERVER_PASSWORD_ENV = "CLINICDESK_SERVER_PASSWORD"


def configure(parser: argparse.ArgumentParser) -> None:
    add_profile_args(parser)
    parser.add_argument(
        "--server", required=True, metavar="URL", help="the sync server, e.g. https://sync.clinic:8700"
    )
    parser.add_argument("--user", help="server username (needed the first time this profile syncs)")
    parser.add_argument(
        "--window", type=int, nargs=2, metavar=("BEFORE", "AFTER"), default=(1, 14),
        help="days of schedule before and after today to download at first sign-in (default 1 14)",
    )  # fmt: skip
    parser.add_argument("--ca-file", help="CA bundle to trust for the server's TLS certificate")


def run(args: argparse.Namespace) -> int:
    if not args.server.startswith(("http://", "https://")):
        raise UsageError("--server must be an http:// or https:// URL")
    password = read_password(args)
    store = open_store(args.profile, password)
    transport = HttpTransport(args.server, verify=args.ca_file or True)
    engine = SyncEngine(store.sessionmaker, transport, window_days=(args.window[0], args.window[1]))
    try:
        signed_in = engine.signed_in_as()
        if args.user and signed_in not in (None, args.user):
            raise SyncError(f"this profile syncs as {signed_in}; it cannot sync as {args.user}")
        if signed_in is None:
            if not args.user:
                raise UsageError("the first sync of a profile needs --user")
            server_password = os.environ.get(SERVER_PASSWORD_ENV) or password
            engine.sign_in(
                username=args.user, password=server_password, device_name=socket.gethostname()[:120]
            )
        report = engine.sync_once()
    finally:
        engine.close()
        store.close()
    print(json.dumps(report.to_json()))
    return 0 if report.ok else SyncError.exit_code
