"""``clinicdesk export-fhir``: signed notes as one FHIR R4 Bundle (type collection) following US Core.

clinicdesk export-fhir --profile DIR --password PW (--note ID | --patient MRN) --out FILE.json

A note that is not signed is refused with a clear message and nothing is written.
"""

from __future__ import annotations

import argparse
import uuid
from pathlib import Path

from app.cli.common import add_profile_args, read_password
from app.ops import fhir as fhir_ops
from app.workspace import Workspace
from clinicdesk.errors import UsageError


def configure(parser: argparse.ArgumentParser) -> None:
    add_profile_args(parser)
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--note", metavar="ID", help="the id of one signed note")
    which.add_argument("--patient", metavar="MRN", help="every signed note of the patient with this MRN")
    parser.add_argument(
        "--out", required=True, type=Path, metavar="FILE.json", help="where the Bundle is written"
    )


def run(args: argparse.Namespace) -> int:
    note_id = None
    if args.note is not None:
        try:
            note_id = uuid.UUID(args.note)
        except ValueError:
            raise UsageError(f"--note must be a note's id (a UUID), not {args.note!r}") from None
    workspace = Workspace.unlock(args.profile, read_password(args))
    try:
        done = fhir_ops.export_to(workspace, args.out, note_id=note_id, mrn=args.patient).value
    finally:
        workspace.close()
    print(f"wrote {done.notes} signed note(s), {done.resources} resources, to {done.path}")
    return 0
