"""Create an encrypted profile full of deterministic demo data.

Rows go in through SQLAlchemy Core ``insert()`` executemany, batch by batch, each batch in its own
transaction: that keeps 50,000 patients x 365 days (about half a million appointments) within a
couple of minutes and bounded memory. Core inserts bypass the outbox on purpose: demo data is the
profile's baseline, not local changes waiting to sync.

Every table draws from its own ``random.Random`` stream, seeded from ``seed`` and the table's name, so
the same seed and ``today`` give the same rows (ids included) on every machine.
"""

from __future__ import annotations

import logging
import random
import shutil
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert

from app.demo import clinical, people, schedule
from app.demo.calendar import PRACTICE_TIMEZONE, holidays_between
from app.store import Store, create_store
from app.store.engine import checkpoint
from app.store.keys import KdfParams
from app.store.profile import write_meta
from clinicdesk.errors import StoreError, ValidationError
from models import (
    Alert,
    Appointment,
    Base,
    CareTeam,
    ClinicalNote,
    Condition,
    Encounter,
    Insurance,
    Patient,
    Practice,
    Task,
    TimeBlock,
    User,
)

log = logging.getLogger(__name__)

MAX_PATIENTS = 200_000
MAX_DAYS = 3 * 366
BATCH_ROWS = 10_000
#: Encounters and notes for every completed visit this recent; older ones only for a sample, which
#: keeps a year-long profile's notes table to what a chart view needs.
FULL_NOTES_DAYS = 30
OLD_NOTES_FRACTION = 0.1

Progress = Callable[[str], None]


def practice_today(tz_name: str = PRACTICE_TIMEZONE) -> date:
    return datetime.now(ZoneInfo(tz_name)).date()


def seed_profile(
    profile_dir: Path,
    password: str,
    *,
    patients: int = 200,
    days: int = 14,
    seed: int = 1,
    today: date | None = None,
    display_name: str | None = None,
    kdf: KdfParams | None = None,
    progress: Progress | None = None,
) -> Store:
    """Create ``profile_dir`` as a new encrypted profile and fill it; returns the open Store.

    Appointments cover ``days`` days around ``today`` (half before, half after). If seeding fails the
    half-made profile is removed, so a retry starts clean; an existing folder is never touched.
    """
    if not 1 <= patients <= MAX_PATIENTS:
        raise ValidationError(f"--patients must be between 1 and {MAX_PATIENTS}")
    if not 1 <= days <= MAX_DAYS:
        raise ValidationError(f"--days must be between 1 and {MAX_DAYS}")
    existed = profile_dir.exists()
    store = create_store(
        profile_dir, password, display_name=display_name or f"{people.PRACTICE_NAME} (demo)", kdf=kdf
    )
    try:
        _Seeder(
            store, patients=patients, days=days, seed=seed, today=today or practice_today(), progress=progress
        ).run()
    except BaseException:
        store.close()
        if not existed:
            shutil.rmtree(profile_dir, ignore_errors=True)
        else:
            for child in profile_dir.iterdir():
                if child.is_dir():
                    shutil.rmtree(child)
                else:
                    child.unlink()
        raise
    return store


class _Seeder:
    def __init__(
        self, store: Store, *, patients: int, days: int, seed: int, today: date, progress: Progress | None
    ) -> None:
        self.store = store
        self.patients = patients
        self.seed = seed
        self.today = today
        self.tz = ZoneInfo(PRACTICE_TIMEZONE)
        self.first = today - timedelta(days=days // 2)
        self.last = self.first + timedelta(days=days - 1)
        self.now = schedule.seed_now(today, self.tz)
        self.progress = progress or (lambda _msg: None)
        self.counts: dict[str, int] = {}

    def rng(self, table: str) -> random.Random:
        return random.Random(f"clinicdesk-demo:{self.seed}:{table}")

    def insert(self, model: type[Base], rows: list[dict[str, Any]]) -> None:
        table = Base.metadata.tables[model.__tablename__]
        for start in range(0, len(rows), BATCH_ROWS):
            with self.store.engine.begin() as conn:
                conn.execute(insert(table), rows[start : start + BATCH_ROWS])
        self.counts[table.name] = self.counts.get(table.name, 0) + len(rows)

    def run(self) -> None:
        started = time.perf_counter()
        roster, user_rows = people.make_roster(self.rng("users"), self.patients, self.now)
        self.insert(User, user_rows)
        self.insert(Practice, [people.practice_row(self.rng("practice"), self.now, self.first, self.last)])
        panels = self._patients(roster)
        everyone = [p for panel in panels for p in panel]
        plans = schedule.plan_blocks(self.rng("time_blocks"), roster.doctors, self.first, self.last)
        block_created = datetime.combine(self.first - timedelta(days=30), dtime(9), tzinfo=UTC)
        self.insert(TimeBlock, schedule.block_rows(self.rng("time_blocks:rows"), plans, block_created))
        self._appointments(roster, panels, plans)
        tasks = max(40, self.patients // 20)
        self.insert(Task, clinical.task_rows(self.rng("tasks"), roster, everyone, self.now, tasks))
        alerts = max(30, self.patients // 25)
        self.insert(Alert, clinical.alert_rows(self.rng("alerts"), roster, everyone, self.now, alerts))
        self.progress("analyzing")
        with self.store.engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
        checkpoint(self.store.engine)
        meta = self.store.meta
        meta.extra.update(
            username=roster.owner.username,
            user_id=str(roster.owner.id),
            demo={"seed": self.seed, "today": self.today.isoformat()},
        )
        write_meta(self.store.profile_dir, meta)
        summary = ", ".join(f"{k} {v}" for k, v in self.counts.items())
        log.info("seeded demo profile in %.1f s: %s", time.perf_counter() - started, summary)

    def _patients(self, roster: people.Roster) -> list[list[people.PatientFacts]]:
        factory = people.PatientFactory(self.rng("patients"), roster, self.today, self.now, self.patients)
        panels: list[list[people.PatientFacts]] = [[] for _ in roster.doctors]
        batch: dict[str, list[dict[str, Any]]] = {"p": [], "c": [], "i": [], "d": []}
        for done, rows in enumerate(factory.patients(), start=1):
            panels[rows.facts.doctor].append(rows.facts)
            batch["p"].append(rows.patient)
            batch["c"].extend(rows.care_team)
            batch["i"].extend(rows.insurances)
            batch["d"].extend(rows.conditions)
            if len(batch["p"]) >= BATCH_ROWS or done == self.patients:
                self.insert(Patient, batch["p"])
                self.insert(CareTeam, batch["c"])
                self.insert(Insurance, batch["i"])
                self.insert(Condition, batch["d"])
                batch = {k: [] for k in batch}
                self.progress(f"patients {done}/{self.patients}")
        return panels

    def _appointments(
        self,
        roster: people.Roster,
        panels: list[list[people.PatientFacts]],
        plans: list[tuple[people.Staff, Any]],
    ) -> None:
        factory = schedule.AppointmentFactory(
            self.rng("appointments"),
            roster=roster,
            panels=panels,
            plans=plans,
            today=self.today,
            first=self.first,
            last=self.last,
            closed=set(holidays_between(self.first, self.last)),
            tz=self.tz,
            per_day=schedule.appointments_per_doctor_day(self.patients, len(roster.doctors)),
            now=self.now,
        )
        notes_rng = self.rng("encounters")
        recent = self.now - timedelta(days=FULL_NOTES_DAYS)
        appts: list[dict[str, Any]] = []
        encounters: list[dict[str, Any]] = []
        notes: list[dict[str, Any]] = []
        for rows, booked in factory.days():
            appts.extend(rows)
            for visit in booked:
                if visit.status not in ("completed", "in_progress"):
                    continue
                if visit.start < recent and notes_rng.random() >= OLD_NOTES_FRACTION:
                    continue
                encounter, note = clinical.encounter_rows(notes_rng, visit)
                encounters.append(encounter)
                notes.append(note)
            if len(appts) >= 2 * BATCH_ROWS:
                self._flush(appts, encounters, notes)
                appts, encounters, notes = [], [], []
        self._flush(appts, encounters, notes)

    def _flush(
        self, appts: list[dict[str, Any]], encounters: list[dict[str, Any]], notes: list[dict[str, Any]]
    ) -> None:
        self.insert(Appointment, appts)
        self.insert(Encounter, encounters)
        self.insert(ClinicalNote, notes)
        self.progress(f"appointments {self.counts.get('appointments', 0)}")


def ensure_demo_profile(password: str, *, profile_dir: Path | None = None) -> Path:
    """The demo profile's folder, seeded on first use (~200 patients, two weeks around today)."""
    if profile_dir is None:
        from app.settings import demo_profile_dir

        profile_dir = demo_profile_dir()
    if (profile_dir / "profile.json").is_file():
        return profile_dir
    if profile_dir.exists() and any(profile_dir.iterdir()):
        raise StoreError(f"{profile_dir} exists but holds no ClinicDesk profile; move it away and retry")
    seed_profile(profile_dir, password).close()
    return profile_dir
