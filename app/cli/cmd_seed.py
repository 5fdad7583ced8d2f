"""``clinicdesk seed``: a new encrypted profile full of deterministic demo data."""

from __future__ import annotations

import argparse
import sys

from sqlalchemy import func, select

from app.cli.common import add_profile_args, parse_day, read_password
from app.demo import OWNER_USERNAME, practice_today, seed_profile
from models import Appointment, Patient


def configure(parser: argparse.ArgumentParser) -> None:
    add_profile_args(parser)
    parser.add_argument("--patients", type=int, default=200, metavar="N", help="number of patients (200)")
    parser.add_argument(
        "--days", type=int, default=14, metavar="D", help="days of appointments around today (14)"
    )
    parser.add_argument("--seed", type=int, default=1, metavar="S", help="random seed (1)")
    parser.add_argument(
        "--today", metavar="YYYY-MM-DD", help="pretend today is this date (default: today in the practice)"
    )
    parser.add_argument("--verbose", action="store_true", help="report progress on standard error")


def run(args: argparse.Namespace) -> int:
    password = read_password(args)
    today = parse_day(args.today) or practice_today()

    def progress(message: str) -> None:
        if args.verbose:
            print(f"seed: {message}", file=sys.stderr, flush=True)

    store = seed_profile(
        args.profile,
        password,
        patients=args.patients,
        days=args.days,
        seed=args.seed,
        today=today,
        progress=progress,
    )
    try:
        with store.engine.connect() as conn:
            patients = conn.execute(select(func.count()).select_from(Patient)).scalar_one()
            appointments = conn.execute(select(func.count()).select_from(Appointment)).scalar_one()
    finally:
        store.close()
    print(
        f"created {args.profile}: {patients} patients, {appointments} appointments over {args.days} days "
        f"around {today.isoformat()}; signed-in user {OWNER_USERNAME}"
    )
    return 0
