"""The Workspace: an unlocked profile and its signed-in user, the one door the CLI and the UI use.

Each method opens its own short session, so the UI can call any of them from a worker thread and
receive plain frozen views back (never live ORM objects).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Concatenate, ParamSpec, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from app.services import appointments, patients, practice, schedule, users
from app.services.views import (
    AppointmentView,
    DaySchedule,
    PatientChart,
    PatientSummary,
    SignedInUser,
    UserSummary,
)
from app.store import Store, open_store
from clinicdesk.errors import NotFoundError, StoreError
from models import utcnow
from models.enums import AppointmentStatus, AppointmentType

P = ParamSpec("P")
R = TypeVar("R")


class Workspace:
    def __init__(self, store: Store, user: SignedInUser, practice_tz: ZoneInfo) -> None:
        self.store = store
        self.user = user
        self.practice_tz = practice_tz

    @classmethod
    def unlock(cls, profile_dir: Path, password: str) -> Workspace:
        store = open_store(profile_dir, password)
        try:
            return cls.for_store(store)
        except BaseException:
            store.close()
            raise

    @classmethod
    def for_store(cls, store: Store) -> Workspace:
        username = store.meta.extra.get("username")
        if not username:
            raise StoreError("this profile has no signed-in user recorded; seed it or sync it first")
        with store.session() as session:
            user = users.by_username(session, str(username))
            signed_in = SignedInUser(
                id=user.id, username=user.username, full_name=user.full_name, role=user.role
            )
            user.last_login_at = utcnow()
            tz = practice.zone(practice.get_practice(session).timezone)
        return cls(store, signed_in, tz)

    @property
    def profile_dir(self) -> Path:
        return self.store.profile_dir

    def today(self) -> date:
        return datetime.now(self.practice_tz).date()

    def verify_password(self, password: str) -> None:
        self.store.verify_password(password)

    def call(self, operation: Callable[Concatenate[Session, P], R], *args: P.args, **kwargs: P.kwargs) -> R:
        """Run one service function (app.services.*) in its own transaction as the
        signed-in user: ``ws.call(notes.sign_note, note_id)``. The UI runs this on a worker thread."""
        with self.store.session(actor_id=self.user.id) as session:
            return operation(session, *args, **kwargs)

    def clinicians(self) -> list[UserSummary]:
        with self.store.session(actor_id=self.user.id) as session:
            return users.clinicians(session)

    def clinician_by_username(self, username: str) -> UserSummary:
        with self.store.session(actor_id=self.user.id) as session:
            return users.user_summary(users.by_username(session, username))

    def schedule(self, day: date | None = None, *, clinician_id: uuid.UUID | None = None) -> DaySchedule:
        with self.store.session(actor_id=self.user.id) as session:
            return schedule.day_schedule(
                session, clinician_id=clinician_id or self.user.id, day=day or self.today()
            )

    def search_patients(self, text: str, *, limit: int = 50) -> list[PatientSummary]:
        with self.store.session(actor_id=self.user.id) as session:
            return patients.search_patients(session, text, limit=limit)

    def patient_chart(self, patient_id: uuid.UUID) -> PatientChart:
        with self.store.session(actor_id=self.user.id) as session:
            return patients.patient_chart(session, patient_id)

    def change_appointment_status(
        self, appointment_id: uuid.UUID, status: AppointmentStatus, *, reason: str | None = None
    ) -> AppointmentView:
        with self.store.session(actor_id=self.user.id) as session:
            return appointments.change_status(session, appointment_id, status, reason=reason)

    def book_appointment(
        self,
        *,
        patient_id: uuid.UUID,
        clinician_id: uuid.UUID,
        start: datetime,
        appointment_type: AppointmentType,
        reason: str | None = None,
        duration_minutes: int | None = None,
    ) -> AppointmentView:
        with self.store.session(actor_id=self.user.id) as session:
            return appointments.book_appointment(
                session,
                patient_id=patient_id,
                clinician_id=clinician_id,
                start=start,
                appointment_type=appointment_type,
                reason=reason,
                duration_minutes=duration_minutes,
            )

    def appointment(self, appointment_id: uuid.UUID) -> AppointmentView:
        from models import Appointment

        with self.store.session(actor_id=self.user.id) as session:
            appt = session.get(Appointment, appointment_id)
            if appt is None:
                raise NotFoundError("no such appointment in this profile")
            return patients.appointment_view(appt)

    def close(self) -> None:
        self.store.close()
