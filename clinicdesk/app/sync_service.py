"""The app's side of sync: which server (Settings), signing in, a periodic background sync, the
status the window shows, and reconciling conflicts. Qt-free: the UI runs these calls on its worker
threads and hands the callbacks of :class:`PeriodicSync` to the GUI thread itself.

Nothing is ever dropped when a conflict is resolved (DESIGN.md): the losing text stays in the
SyncConflict row, which is marked resolved with who resolved it and how; a reconciled clinical note
is written through the notes service, so a signed note gets an amendment (a new version with a
reason) and a draft a normal save, both of which sync as ordinary changes.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinicdesk.app.services import notes
from clinicdesk.app.store import Store
from clinicdesk.errors import ClinicDeskError, NotFoundError, SyncError, ValidationError
from clinicdesk.models import ClinicalNote, SyncConflict, utcnow
from clinicdesk.models.enums import ConflictStatus, NoteStatus
from clinicdesk.models.registry import SYNCED_MODELS
from clinicdesk.sync.status import SyncReport, SyncStatus

if TYPE_CHECKING:  # the engine and httpx load on first sync, off the app's start-up path
    from clinicdesk.sync.engine import SyncEngine
    from clinicdesk.sync.transport import HttpTransport

log = logging.getLogger(__name__)

NOTE_ENTITY = "clinical_notes"
RECONCILED_REASON = "Reconciled a sync conflict"
DEFAULT_INTERVAL_SECONDS = 60.0

TransportFactory = Callable[[str], "HttpTransport"]


@dataclass(frozen=True)
class ConflictView:
    id: uuid.UUID
    entity: str
    record_id: uuid.UUID
    fields: list[str]
    local_values: dict[str, Any]
    server_values: dict[str, Any]
    detected_at: datetime
    status: ConflictStatus
    resolution: str | None

    @property
    def is_note(self) -> bool:
        return self.entity == NOTE_ENTITY

    def note_sections(self) -> dict[str, tuple[str, str]]:
        """Per SOAP section: (server's text, this workstation's text), for the side-by-side view."""
        server = self.server_values.get("content") or {}
        local = self.local_values.get("content") or {}
        return {
            s: (str(server.get(s, "") or ""), str(local.get(s, "") or ""))
            for s in notes.SECTIONS
            if isinstance(server, dict) and isinstance(local, dict)
        }


@dataclass
class SyncState:
    """What the status bar shows; ``configured`` is False until a server URL is set."""

    configured: bool
    status: SyncStatus
    syncing: bool = False
    last_report: SyncReport | None = field(default=None)

    @property
    def summary(self) -> str:
        s = self.status
        if not self.configured:
            text = "Sync: no server set"
        elif self.syncing:
            text = "Syncing…"
        elif s.signed_in_as is None:
            text = "Sync: not signed in"
        else:
            text = "Online" if s.online else "Offline"
        last = f"last sync {s.last_success_at.astimezone():%H:%M}" if s.last_success_at else "never synced"
        parts = [text, last, f"{s.pending_changes} waiting"]
        if s.open_conflicts:
            parts.append(f"{s.open_conflicts} conflict(s)")
        return " · ".join(parts)


def _conflict_view(c: SyncConflict) -> ConflictView:
    return ConflictView(
        id=c.id,
        entity=c.entity,
        record_id=c.record_id,
        fields=list(c.fields or []),
        local_values=dict(c.local_values or {}),
        server_values=dict(c.server_values or {}),
        detected_at=c.detected_at,
        status=c.status,
        resolution=c.resolution,
    )


class SyncService:
    """One profile's sync. ``server_url`` may be empty: the app then works offline and says so."""

    def __init__(
        self,
        store: Store,
        server_url: str,
        *,
        user_id: uuid.UUID | None = None,
        transport_factory: TransportFactory | None = None,
    ) -> None:
        self.store = store
        self.server_url = server_url.strip()
        self.user_id = user_id
        self._factory: TransportFactory | None = transport_factory
        self._engine: SyncEngine | None = None
        self._lock = threading.Lock()  # one sync at a time; status reads do not wait for it
        self.last_report: SyncReport | None = None

    @property
    def configured(self) -> bool:
        return bool(self.server_url)

    def _sync_engine(self) -> SyncEngine:
        if not self.configured:
            raise SyncError("no sync server is set; enter the server's address in Settings")
        if self._engine is None:
            if not self.server_url.startswith(("http://", "https://")):
                raise SyncError("the sync server address must start with http:// or https://")
            from clinicdesk.sync.engine import SyncEngine
            from clinicdesk.sync.transport import HttpTransport

            factory = self._factory or HttpTransport
            self._engine = SyncEngine(self.store.sessionmaker, factory(self.server_url))
        return self._engine

    def sign_in(self, *, username: str, password: str, device_name: str = "workstation") -> None:
        self._sync_engine().sign_in(username=username, password=password, device_name=device_name)

    def signed_in_as(self) -> str | None:
        return self._sync_engine().signed_in_as() if self.configured else None

    def sync_now(self) -> SyncReport:
        """One push and pull; network trouble comes back in the report, not as an exception."""
        engine = self._sync_engine()
        if engine.signed_in_as() is None:
            raise SyncError("sign in to the sync server first (Settings, then Sync now)")
        with self._lock:
            report = engine.sync_once()
        self.last_report = report
        return report

    def status(self) -> SyncStatus:
        if self.configured:
            return self._sync_engine().status()
        with self.store.sessionmaker() as session:
            from clinicdesk.sync.status import read_status

            return read_status(session)

    def state(self, *, syncing: bool = False) -> SyncState:
        return SyncState(self.configured, self.status(), syncing=syncing, last_report=self.last_report)

    # -- conflicts ------------------------------------------------------------------------------

    def conflicts(self, *, include_resolved: bool = False) -> list[ConflictView]:
        with self.store.sessionmaker() as session:
            query = select(SyncConflict).order_by(SyncConflict.detected_at)
            if not include_resolved:
                query = query.where(SyncConflict.status == ConflictStatus.OPEN)
            return [_conflict_view(c) for c in session.scalars(query)]

    def _open_conflict(self, session: Session, conflict_id: uuid.UUID) -> SyncConflict:
        conflict = session.get(SyncConflict, conflict_id)
        if conflict is None:
            raise NotFoundError("no such sync conflict in this profile")
        if conflict.status is not ConflictStatus.OPEN:
            raise ValidationError("this conflict is already resolved")
        return conflict

    def _close(self, conflict: SyncConflict, resolution: str) -> None:
        conflict.status = ConflictStatus.RESOLVED
        conflict.resolved_at = utcnow()
        conflict.resolution = resolution[:500]

    def reconcile_note(self, conflict_id: uuid.UUID, merged: dict[str, str]) -> ConflictView:
        """Writes the reconciled SOAP text as the note's new content (an amendment of a signed note,
        a save of a draft) and closes the conflict; both versions stay in the conflict row."""
        with self.store.session(actor_id=self.user_id) as session:
            conflict = self._open_conflict(session, conflict_id)
            if conflict.entity != NOTE_ENTITY:
                raise ValidationError("only a clinical note conflict is reconciled by text")
            note = session.get(ClinicalNote, conflict.record_id)
            if note is None:
                raise NotFoundError("the note of this conflict is not in this profile yet; sync first")
            content = {s: str(merged.get(s, "")) for s in notes.SECTIONS}
            if any(content[s] != str(note.content.get(s, "")) for s in notes.SECTIONS):
                if note.status is NoteStatus.DRAFT:
                    notes.save_draft(session, note.id, content)
                else:
                    notes.amend_note(session, note.id, content, reason=RECONCILED_REASON)
            self._close(conflict, "reconciled: both texts kept, merged text saved")
            session.flush()
            return _conflict_view(conflict)

    def keep_server(self, conflict_id: uuid.UUID) -> ConflictView:
        """The server's values stay; this workstation's remain readable in the conflict row."""
        with self.store.session(actor_id=self.user_id) as session:
            conflict = self._open_conflict(session, conflict_id)
            self._close(conflict, "kept the server's version; this workstation's is kept in the conflict")
            session.flush()
            return _conflict_view(conflict)

    def keep_mine(self, conflict_id: uuid.UUID) -> ConflictView:
        """Re-applies this workstation's values as a new local change, which the next sync pushes."""
        with self.store.session(actor_id=self.user_id) as session:
            conflict = self._open_conflict(session, conflict_id)
            if conflict.entity == NOTE_ENTITY:
                local = conflict.local_values.get("content")
                if not isinstance(local, dict):
                    raise ValidationError("this conflict holds no note text from this workstation")
                note = session.get(ClinicalNote, conflict.record_id)
                if note is None:
                    raise NotFoundError("the note of this conflict is not in this profile yet; sync first")
                merged = {s: str(local.get(s, "")) for s in notes.SECTIONS}
                if note.status is NoteStatus.DRAFT:
                    notes.save_draft(session, note.id, merged)
                else:
                    notes.amend_note(session, note.id, merged, reason=RECONCILED_REASON)
            else:
                model = SYNCED_MODELS.get(conflict.entity)
                row = session.get(model, conflict.record_id) if model is not None else None
                if row is None:
                    raise NotFoundError("the record of this conflict is not in this profile")
                for name, value in conflict.local_values.items():
                    if name in conflict.fields and hasattr(row, name):
                        setattr(row, name, value)
            self._close(conflict, "kept this workstation's version; the server's is kept in the conflict")
            session.flush()
            return _conflict_view(conflict)

    def close(self) -> None:
        if self._engine is not None:
            self._engine.close()
            self._engine = None


class PeriodicSync:
    """Syncs every ``interval`` seconds on its own thread (and at once on ``trigger``), reporting
    each run through ``on_report`` and every failure through ``on_error``; both are called on this
    thread, so a GUI must pass them on to its own thread."""

    def __init__(
        self,
        service: SyncService,
        *,
        interval: float = DEFAULT_INTERVAL_SECONDS,
        on_start: Callable[[], None] | None = None,
        on_report: Callable[[SyncReport], None] | None = None,
        on_error: Callable[[ClinicDeskError], None] | None = None,
    ) -> None:
        self.service = service
        self.interval = interval
        self.on_start = on_start
        self.on_report = on_report
        self.on_error = on_error
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="clinicdesk-sync", daemon=True)
            self._thread.start()

    def trigger(self) -> None:
        self._wake.set()

    def stop(self, timeout: float | None = 30.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.interval)
            self._wake.clear()
            if self._stop.is_set():
                return
            self.run_once()

    def run_once(self) -> SyncReport | None:
        if not self.service.configured or self.service.signed_in_as() is None:
            return None
        if self.on_start is not None:
            self.on_start()
        try:
            report = self.service.sync_now()
        except ClinicDeskError as exc:
            if self.on_error is not None:
                self.on_error(exc)
            return None
        except Exception as exc:  # a bug must not end background sync; the type only, no data
            log.error("background sync failed with %s", type(exc).__name__)
            if self.on_error is not None:
                self.on_error(ClinicDeskError(f"sync failed ({type(exc).__name__}); please report it"))
            return None
        if self.on_report is not None:
            self.on_report(report)
        return report
