"""Time blocks and appointments for every doctor over the seeded range.

Appointments are laid out day by day, doctor by doctor, on a cursor that walks the day's free windows
(business hours minus that day's time blocks), so nothing overlaps, nothing sits in a block, and
nothing falls on a weekend or holiday by construction rather than by checking afterwards. Booking
times respect each appointment type's lead-time rules, and status histories are consistent with the
seed's notion of "now" (``seed_now``: today, late morning in the practice's timezone).
"""

from __future__ import annotations

import random
import string
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from app.demo import vocab
from app.demo.calendar import WEEKDAYS, BlockSpec, is_business_day
from app.demo.people import APPOINTMENT_TYPES, PatientFacts, Roster, Staff
from app.demo.util import Weighted, base_row, chance

DAY_OPEN = 8 * 60
DAY_CLOSE = 17 * 60
TYPE_WEIGHTS = (
    ("routine", 28),
    ("follow_up", 32),
    ("urgent", 8),
    ("consultation", 8),
    ("procedure", 6),
    ("telemedicine", 18),
)
_CONFIRMATION_ALPHABET = string.ascii_uppercase.replace("O", "").replace("I", "") + "23456789"


@dataclass
class Booked:
    """An appointment as later tables (encounters, notes, tasks) need to see it."""

    id: uuid.UUID
    patient: PatientFacts
    doctor: Staff
    start: datetime
    end: datetime
    appointment_type: str
    status: str
    reason: str


def seed_now(today: date, tz: ZoneInfo) -> datetime:
    """The moment the demo pretends it is: late morning, so today's list shows finished visits, one in
    progress, patients in the waiting room and an afternoon still to come."""
    return datetime.combine(today, time(11, 40), tzinfo=tz).astimezone(UTC)


def appointments_per_doctor_day(patients: int, doctors: int) -> int:
    """~10 visits per patient per year spread over ~250 business days, at least 10 a day so even a
    small demo profile shows a busy-looking schedule."""
    per_day = patients * 10 / 250 / doctors
    return max(10, min(16, round(per_day)))


def plan_blocks(
    rng: random.Random, doctors: list[Staff], first: date, last: date
) -> list[tuple[Staff, BlockSpec]]:
    monday = first - timedelta(days=first.weekday())
    plans: list[tuple[Staff, BlockSpec]] = []
    for index, doctor in enumerate(doctors):
        admin_day = index % 5
        afternoon = index % 2 == 0
        specs = [
            BlockSpec(
                monday, time(12), time(13), "FREQ=WEEKLY;BYDAY=" + ",".join(WEEKDAYS), "Lunch", "break"
            ),
            BlockSpec(
                monday + timedelta(days=admin_day),
                time(15) if afternoon else time(8),
                time(17) if afternoon else time(10),
                f"FREQ=WEEKLY;BYDAY={WEEKDAYS[admin_day]}",
                "Charting, referrals and forms",
                "admin",
            ),
            BlockSpec(
                monday + timedelta(days=1),
                time(8),
                time(9),
                "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU",
                "Clinical team meeting",
                "meeting",
            ),
        ]
        if chance(rng, 0.3):
            day = first + timedelta(days=rng.randrange(max(1, (last - first).days + 1)))
            specs.append(BlockSpec(day, time(13), time(17), None, "CME conference", "other"))
        if chance(rng, 0.2):
            until = min(last, first + timedelta(days=rng.randint(30, 120)))
            specs.append(
                BlockSpec(
                    monday + timedelta(days=3),
                    time(8),
                    time(10),
                    f"FREQ=WEEKLY;BYDAY=TH;UNTIL={until:%Y%m%d}",
                    "Hospital rounds",
                    "other",
                    end_date=until,
                )
            )
        plans.extend((doctor, spec) for spec in specs)
    return plans


def block_rows(
    rng: random.Random, plans: list[tuple[Staff, BlockSpec]], created: datetime
) -> list[dict[str, Any]]:
    rows = []
    for doctor, spec in plans:
        rows.append(
            {
                **base_row(rng, created),
                "clinician_id": doctor.id,
                "start_date": spec.start_date,
                "start_time": spec.start_time,
                "end_time": spec.end_time,
                "rrule": spec.rrule,
                "end_date": spec.end_date,
                "reason": spec.reason,
                "block_type": spec.block_type,
            }
        )
    return rows


def _free_windows(blocked: list[tuple[int, int]]) -> list[tuple[int, int]]:
    windows = []
    cursor = DAY_OPEN
    for start, end in sorted(blocked):
        if start > cursor:
            windows.append((cursor, min(start, DAY_CLOSE)))
        cursor = max(cursor, end)
    if cursor < DAY_CLOSE:
        windows.append((cursor, DAY_CLOSE))
    return [w for w in windows if w[1] > w[0]]


class AppointmentFactory:
    def __init__(
        self,
        rng: random.Random,
        *,
        roster: Roster,
        panels: list[list[PatientFacts]],
        plans: list[tuple[Staff, BlockSpec]],
        today: date,
        first: date,
        last: date,
        closed: set[date],
        tz: ZoneInfo,
        per_day: int,
        now: datetime,
    ) -> None:
        self.rng = rng
        self.roster = roster
        self.panels = panels
        self.today = today
        self.first = first
        self.last = last
        self.closed = closed
        self.tz = tz
        self.per_day = per_day
        self.now = now
        self.types = Weighted(list(TYPE_WEIGHTS))
        self.via = Weighted([("staff", 70), ("patient_portal", 22), ("voice_agent", 8)])
        self._upcoming = 0
        self._seen_today: set[uuid.UUID] = set()
        self.blocked: dict[tuple[uuid.UUID, date], list[tuple[int, int]]] = {}
        for doctor, spec in plans:
            for day in spec.occurrences(first, last):
                self.blocked.setdefault((doctor.id, day), []).append(spec.minutes())

    def days(self) -> Iterator[tuple[list[dict[str, Any]], list[Booked]]]:
        day = self.first
        while day <= self.last:
            if is_business_day(day, self.closed):
                rows: list[dict[str, Any]] = []
                booked: list[Booked] = []
                self._seen_today = set()
                base = datetime.combine(day, time(12), tzinfo=self.tz).astimezone(UTC) - timedelta(hours=12)
                for index, doctor in enumerate(self.roster.doctors):
                    self._doctor_day(day, base, index, doctor, rows, booked)
                yield rows, booked
            day += timedelta(days=1)

    def _doctor_day(
        self,
        day: date,
        base: datetime,
        index: int,
        doctor: Staff,
        rows: list[dict[str, Any]],
        booked: list[Booked],
    ) -> None:
        rng = self.rng
        windows = _free_windows(self.blocked.get((doctor.id, day), []))
        if not windows or not self.panels[index]:
            return
        wanted = max(1, self.per_day + rng.randint(-2, 2))
        free = sum(e - s for s, e in windows)
        slack = max(0, free - wanted * 27)
        w = 0
        cursor = windows[0][0]
        self._upcoming = 0
        for placed in range(wanted):
            kind = self.types.pick(rng)
            # a booking made no later than "now" must still respect the type's maximum lead time
            start_guess = base + timedelta(minutes=cursor)
            if start_guess - self.now > timedelta(days=APPOINTMENT_TYPES[kind]["max_lead_days"]):
                kind = "follow_up"
            rule = APPOINTMENT_TYPES[kind]
            duration = rng.choice(rule.get("durations", [rule["duration_minutes"]]))
            if slack > 0:  # spread the day's spare time over the gaps so visits fill the whole day
                gap = 5 * round(rng.uniform(0, 2 * slack / (wanted - placed)) / 5)
                cursor += min(gap, slack)
                slack -= min(gap, slack)
            while w < len(windows) and cursor + duration > windows[w][1]:
                w += 1
                if w < len(windows):
                    cursor = max(cursor, windows[w][0])
            if w >= len(windows):
                return
            start = base + timedelta(minutes=cursor)
            cursor += duration
            patient = rng.choice(self.panels[index])
            for _ in range(20):  # one visit per patient per day: no patient is in two rooms at once
                if patient.id not in self._seen_today:
                    break
                patient = rng.choice(self.panels[index])
            self._seen_today.add(patient.id)
            row, item = self._appointment(day, doctor, patient, kind, start, duration)
            rows.append(row)
            booked.append(item)

    def _appointment(
        self, day: date, doctor: Staff, patient: PatientFacts, kind: str, start: datetime, duration: int
    ) -> tuple[dict[str, Any], Booked]:
        rng = self.rng
        rule = APPOINTMENT_TYPES[kind]
        end = start + timedelta(minutes=duration)
        latest = min(self.now, start - timedelta(hours=rule["min_lead_hours"]))
        earliest = start - timedelta(days=rule["max_lead_days"])
        if latest <= earliest:  # further ahead than any type allows: a recall booked recently
            latest, earliest = self.now, self.now - timedelta(days=7)
        created = latest - (latest - earliest) * (rng.random() ** 2)
        created = created.replace(microsecond=0)
        via = "walk_in" if kind == "urgent" and chance(rng, 0.4) else self.via.pick(rng)
        desk = rng.choice(self.roster.receptionists)
        booked_by = None if via in ("patient_portal", "voice_agent") else str(desk.id)
        history: list[dict[str, Any]] = [
            {"status": "scheduled", "at": created.isoformat(), "by": booked_by, "reason": _BOOKED_REASON[via]}
        ]
        status = self._status(day, start, end)
        row: dict[str, Any] = {
            **base_row(rng, created),
            "patient_id": patient.id,
            "clinician_id": doctor.id,
            "start_at": start,
            "duration_minutes": duration,
            "appointment_type": kind,
            "status": status,
            "status_history": history,
            "reason": rng.choice(vocab.REASONS[kind]),
            "notes": None,
            "notes_history": [],
            "confirmation_number": "".join(rng.choices(_CONFIRMATION_ALPHABET, k=8)),
            "created_via": via,
            "checked_in_at": None,
            "checked_out_at": None,
            "cancellation_reason": None,
            "cancelled_by_id": None,
            "cancelled_at": None,
        }
        if chance(rng, 0.08):
            note = rng.choice(_DESK_NOTES)
            row["notes"] = note
            row["notes_history"] = [{"notes": note, "at": created.isoformat(), "by": str(desk.id)}]
        self._history(row, history, status, created, start, end, doctor, desk)
        row["updated_at"] = datetime.fromisoformat(history[-1]["at"])
        return row, Booked(row["id"], patient, doctor, start, end, kind, status, row["reason"])

    def _status(self, day: date, start: datetime, end: datetime) -> str:
        rng = self.rng
        roll = rng.random()
        if day < self.today:
            return "completed" if roll < 0.80 else ("cancelled" if roll < 0.93 else "no_show")
        if day == self.today:
            # by order rather than by the clock, so every doctor's today has a visit under way and a
            # waiting room even when "now" falls in a gap of their day
            if end <= self.now:
                return "completed" if roll < 0.94 else "no_show"
            self._upcoming += 1
            if self._upcoming == 1:
                return "in_progress"
            if self._upcoming <= 3:
                return "checked_in"
            return "cancelled" if roll < 0.04 else ("confirmed" if roll < 0.75 else "scheduled")
        if roll < 0.04:
            return "cancelled"
        confirmed = 0.75 if start - self.now <= timedelta(days=2) else 0.15
        return "confirmed" if rng.random() < confirmed else "scheduled"

    def _history(
        self,
        row: dict[str, Any],
        history: list[dict[str, Any]],
        status: str,
        created: datetime,
        start: datetime,
        end: datetime,
        doctor: Staff,
        desk: Staff,
    ) -> None:
        rng = self.rng

        def add(state: str, at: datetime, by: Staff, reason: str | None = None) -> datetime:
            at = max(at, datetime.fromisoformat(history[-1]["at"]) + timedelta(minutes=1)).replace(
                microsecond=0
            )
            history.append({"status": state, "at": at.isoformat(), "by": str(by.id), "reason": reason})
            return at

        if status == "scheduled":
            return
        if status == "cancelled":
            at = created + (min(start, self.now) - created) * rng.uniform(0.3, 0.95)
            reason = rng.choice(vocab.CANCEL_REASONS)
            at = add("cancelled", at, desk, reason)
            row.update(cancellation_reason=reason, cancelled_by_id=desk.id, cancelled_at=at)
            return
        if chance(rng, 0.85) or status == "confirmed":
            confirm_at = min(self.now - timedelta(minutes=5), start - timedelta(days=rng.uniform(0.5, 3)))
            add("confirmed", confirm_at, desk, rng.choice(("Confirmed by phone", "Confirmed by SMS", None)))
        if status in ("scheduled", "confirmed"):
            return
        if status == "no_show":
            add("no_show", start + timedelta(minutes=20), desk, "Patient did not arrive")
            return
        row["checked_in_at"] = add("checked_in", start - timedelta(minutes=rng.randint(2, 15)), desk)
        if status == "checked_in":
            return
        add("in_progress", start + timedelta(minutes=rng.randint(0, 8)), doctor)
        if status == "in_progress":
            return
        row["checked_out_at"] = add("completed", end + timedelta(minutes=rng.randint(0, 10)), doctor)


_BOOKED_REASON = {
    "staff": None,
    "walk_in": "Walk-in",
    "patient_portal": "Booked through the patient portal",
    "voice_agent": "Booked by the phone voice agent",
}

_DESK_NOTES = (
    "Needs a French interpreter",
    "Bring current medication list",
    "Wheelchair access required",
    "Fasting bloodwork beforehand",
    "Prefers afternoon calls",
    "Parent or guardian to attend",
)
