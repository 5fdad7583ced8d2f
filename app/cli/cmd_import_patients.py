"""``clinicdesk import-patients``: import a practice's existing patients from a CSV file or a FHIR R4
Bundle of Patient resources (app/patient_import.py).

clinicdesk import-patients FILE.csv|FILE.json --profile DIR --password PW [--dry-run] [--skip-bad]
    [--map FIELD=HEADER ...] --format json
-> {"imported": N, "duplicates": N, "skipped": [{"row": N, "reason": "..."}]}

Exit 0 when the patients were imported (or a dry run found nothing wrong); a file with bad rows is
refused whole (nothing imported, one line on stderr, non-zero) unless --skip-bad is given. A dry run
prints its report either way and exits non-zero when the real import would be refused.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from app import patient_import
from app.cli.common import add_format_arg, add_profile_args, print_json, read_password
from app.ops import registration
from app.workspace import Workspace
from clinicdesk.errors import UsageError


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, metavar="FILE", help="a .csv file, or a .json FHIR R4 Bundle")
    add_profile_args(parser)
    parser.add_argument("--dry-run", action="store_true", help="check and report; import nothing")
    parser.add_argument(
        "--skip-bad", action="store_true", help="import the good rows and list the bad ones (default: refuse)"
    )
    parser.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="FIELD=HEADER",
        help="take FIELD from the CSV column HEADER (repeatable); the fields: "
        + ", ".join(patient_import.FIELDS),
    )
    add_format_arg(parser)


def _mapping(args: argparse.Namespace) -> dict[str, str] | None:
    if not args.map:
        return None
    mapping = patient_import.suggest_mapping(patient_import.csv_headers(args.file))
    for item in args.map:
        target, sep, header = item.partition("=")
        if not sep or not target.strip() or not header.strip():
            raise UsageError(f"--map takes FIELD=HEADER, not {item!r}")
        mapping[target.strip()] = header.strip()
    return mapping


def run(args: argparse.Namespace) -> int:
    mapping = _mapping(args) if args.file.suffix.lower() != ".json" else None
    source = "fhir" if args.file.suffix.lower() == ".json" else "csv"
    rows = patient_import.read_rows(args.file, mapping=mapping)
    workspace = Workspace.unlock(args.profile, read_password(args))
    try:
        report = registration.import_file(
            workspace, rows, dry_run=args.dry_run, skip_bad=args.skip_bad, source=source
        ).value
    finally:
        workspace.close()
    if args.format == "json":
        print_json(report.to_json())
    else:
        verb = "would import" if args.dry_run else "imported"
        print(f"{verb} {report.imported} patient(s); {report.duplicates} likely duplicate(s) left out")
        for problem in report.skipped:
            print(f"row {problem.row}: {problem.reason}")
    if args.dry_run and report.skipped and not args.skip_bad:
        raise patient_import.ImportRefused(report)
    return 0
