"""``clinicdesk patients``: search by name prefix ("smi", "smith, jo", "john smi"), MRN or birth date."""

from __future__ import annotations

import argparse
from typing import Any

from app.cli.common import add_format_arg, add_profile_args, print_json, read_password
from app.ops import patients as patient_ops
from app.services.records import PatientSummary
from app.workspace import Workspace


def configure(parser: argparse.ArgumentParser) -> None:
    add_profile_args(parser)
    parser.add_argument("--search", required=True, metavar="TEXT", help="name prefix, MRN or date of birth")
    parser.add_argument("--limit", type=int, default=50, help="at most this many results (50)")
    add_format_arg(parser)


def summary_json(p: PatientSummary) -> dict[str, Any]:
    return {
        "id": p.id,
        "mrn": p.mrn,
        "first_name": p.first_name,
        "last_name": p.last_name,
        "date_of_birth": p.date_of_birth,
        "phone": p.phone,
    }


def run(args: argparse.Namespace) -> int:
    workspace = Workspace.unlock(args.profile, read_password(args))
    try:
        found = patient_ops.search(workspace, args.search, limit=max(1, args.limit))
    finally:
        workspace.close()
    if args.format == "json":
        print_json({"query": args.search, "results": [summary_json(p) for p in found]})
    else:
        for p in found:
            print(f"{p.mrn}  {p.last_name}, {p.first_name}  {p.date_of_birth.isoformat()}  {p.phone or ''}")
        if not found:
            print("no patients found")
    return 0
