"""``clinicdesk schedule``: one clinician's day, appointments and time blocks in time order."""

from __future__ import annotations

import argparse
from typing import Any

from app.cli.common import add_format_arg, add_profile_args, parse_day, print_json, read_password
from app.ops import schedule as schedule_ops
from app.services.records import DaySchedule, ScheduleEntry
from app.workspace import Workspace


def configure(parser: argparse.ArgumentParser) -> None:
    add_profile_args(parser)
    parser.add_argument("--date", metavar="YYYY-MM-DD", help="the day (default: today in the practice)")
    parser.add_argument("--clinician", metavar="USERNAME", help="whose day (default: the profile's user)")
    add_format_arg(parser)


def entry_json(entry: ScheduleEntry) -> dict[str, Any]:
    patient = None
    if entry.patient_id is not None:
        patient = {"id": entry.patient_id, "name": entry.patient_name, "mrn": entry.mrn}
    return {
        "kind": entry.kind,
        "start": entry.start,
        "end": entry.end,
        "patient": patient,
        "type": entry.appointment_type,
        "status": entry.status,
        "reason": entry.reason,
        "block_type": entry.block_type,
    }


def schedule_json(day: DaySchedule) -> dict[str, Any]:
    return {
        "date": day.day,
        "clinician": {"username": day.clinician.username, "full_name": day.clinician.full_name},
        "timezone": day.timezone,
        "closed_reason": day.closed_reason,
        "entries": [entry_json(e) for e in day.entries],
    }


def _print_text(day: DaySchedule) -> None:
    print(f"{day.day.isoformat()}  {day.clinician.full_name} ({day.clinician.username})  [{day.timezone}]")
    if day.closed_reason:
        print(f"  the practice is closed ({day.closed_reason})")
    for e in day.entries:
        span = f"{e.start:%H:%M}-{e.end:%H:%M}"
        if e.kind == "block":
            block_type = e.block_type.value if e.block_type else ""
            print(f"  {span}  [{block_type}] {e.reason or ''}")
        else:
            kind = e.appointment_type.value if e.appointment_type else ""
            status = e.status.value if e.status else ""
            print(f"  {span}  {e.patient_name} ({e.mrn})  {kind}  {status}  {e.reason or ''}")
    if not day.entries:
        print("  nothing booked")


def run(args: argparse.Namespace) -> int:
    day = parse_day(args.date)
    workspace = Workspace.unlock(args.profile, read_password(args))
    try:
        clinician_id = workspace.user.id
        if args.clinician:
            clinician_id = schedule_ops.clinician_by_username(workspace, args.clinician).id
        result = schedule_ops.day(workspace, clinician_id=clinician_id, day=day or workspace.today())
    finally:
        workspace.close()
    if args.format == "json":
        print_json(schedule_json(result))
    else:
        _print_text(result)
    return 0
