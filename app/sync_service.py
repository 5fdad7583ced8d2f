"""The app's side of sync: which server (Settings), signing in, a periodic background sync, the
status the window shows, reconciling conflicts, and setting up a new workstation from the server.
Qt-free: the UI runs these calls on its worker threads and hands the callbacks of
:class:`PeriodicSync` to the GUI thread itself.

A practice's workstation starts from the server's data, not from a seed: :func:`setup_workstation`
makes an empty encrypted profile, signs in, downloads the user's schedule window, patients, staff
and practice (reporting progress), and records the account as the profile's user, so the profile
then unlocks like any other. A setup that fails part-way leaves no half-made profile behind.

A practice often runs the sync server with a certificate from its own certificate authority, which
no workstation trusts by default. Each profile keeps that CA certificate's file path (and the
schedule window its first sync downloads) in its own sync state, beside the sign-in the engine
keeps there; every connection the service makes verifies the server against it. A file that is
missing or holds no certificate is refused when it is set (nothing is stored or made), and a server
whose certificate does not verify is :class:`CertificateNotTrusted`, not "offline".

Nothing is ever dropped when a conflict is resolved (DESIGN.md): the losing text stays in the
SyncConflict row, which is marked resolved with who resolved it and how; a reconciled clinical note
is written through the notes service, so a signed note gets an amendment (a new version with a
reason) and a draft a normal save, both of which sync as ordinary changes.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.services import notes, practice, users
from app.store import Store, create_store
from clinicdesk.errors import (
    AuthenticationError,
    ClinicDeskError,
    NotFoundError,
    StoreError,
    SyncError,
    ValidationError,
)
from models import ClinicalNote, SyncConflict, utcnow
from models.enums import ConflictStatus, NoteStatus
from models.registry import SYNCED_MODELS
from sync.errors import BadCaFile, CertificateNotTrusted
from sync.status import SyncReport, SyncStatus

if TYPE_CHECKING:  # the engine and httpx load on first sync, off the app's start-up path
    from app.store.keys import KdfParams
    from sync.engine import SyncEngine
    from sync.protocol import BootstrapResponse, PullResponse
    from sync.transport import HttpTransport

log = logging.getLogger(__name__)

NOTE_ENTITY = "clinical_notes"
RECONCILED_REASON = "Reconciled a sync conflict"
DEFAULT_INTERVAL_SECONDS = 60.0

TransportFactory = Callable[[str], "HttpTransport"]
SIGN_IN_AGAIN = "Sync: sign in again (Settings)"
CERTIFICATE_NOT_TRUSTED = "Sync: server certificate not trusted (Settings)"
CA_FILE_PROBLEM = "Sync: CA certificate file problem (Settings)"
#: The profile's own connection settings, in its sync state (the engine keeps its keys there too).
CA_FILE_KEY = "ca_file"
WINDOW_KEY = "window_days"
#: The longest schedule window the server sends at a first sign-in (its MAX_WINDOW_DAYS).
MAX_WINDOW_DAYS = 400
#: Fields that are bookkeeping, not anybody's work: a conflict on these alone is settled silently.
BOOKKEEPING: dict[str, frozenset[str]] = {"users": frozenset({"last_login_at"})}


def counting_transport(
    server_url: str, on_received: Callable[[int], None], *, ca_file: str | None = None
) -> HttpTransport:
    """An HttpTransport that reports the size of each download, for the first sync's progress."""
    from sync.transport import HttpTransport

    class CountingTransport(HttpTransport):
        def bootstrap(self, *, start: date, end: date) -> BootstrapResponse:
            snapshot = super().bootstrap(start=start, end=end)
            on_received(len(snapshot.records))
            return snapshot

        def pull(self, *, cursor: int, limit: int) -> PullResponse:
            page = super().pull(cursor=cursor, limit=limit)
            on_received(len(page.records))
            return page

    return CountingTransport(server_url, ca_file=ca_file)


def check_window(window_days: tuple[int, int]) -> tuple[int, int]:
    """Days of schedule before and after today that a first sync downloads: what the server allows."""
    before, after = (int(d) for d in window_days)
    if before < 0 or after < 0 or before + after > MAX_WINDOW_DAYS:
        raise ValidationError(
            f"the schedule window must be whole days before and after today, at most {MAX_WINDOW_DAYS} in all"
        )
    return before, after


def check_ca_file(ca_file: str | Path | None) -> str | None:
    """The CA certificate file as it will be stored (an absolute path, so a profile set up from a
    command line in another folder still finds it), after checking it holds a certificate; None for
    no CA file (the usual trusted authorities). Raises BadCaFile naming the file."""
    if ca_file is None or not str(ca_file).strip():
        return None
    from sync.transport import tls_verify

    path = Path(str(ca_file).strip()).expanduser().absolute()
    tls_verify(path)
    return str(path)


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
    #: why the server refused the last sync's sign-in (expired, signed out) or its certificate did
    #: not verify; cleared by signing in, or by a sync that gets through
    problem: str | None = None
    #: the status bar's words for ``problem``
    problem_summary: str = SIGN_IN_AGAIN

    @property
    def summary(self) -> str:
        s = self.status
        if not self.configured:
            text = "Sync: no server set"
        elif self.syncing:
            text = "Syncing…"
        elif self.problem is not None:
            text = self.problem_summary
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
        on_received: Callable[[int], None] | None = None,
    ) -> None:
        self.store = store
        self.server_url = server_url.strip()
        self.user_id = user_id
        self._factory: TransportFactory | None = transport_factory
        self._on_received = on_received
        self._engine: SyncEngine | None = None
        self._lock = threading.Lock()  # one sync at a time; status reads do not wait for it
        self._engine_lock = threading.Lock()  # the sync thread and the worker may both ask first
        self.last_report: SyncReport | None = None
        self.problem: str | None = None
        self.problem_summary = SIGN_IN_AGAIN
        self._profile_settings: tuple[str | None, tuple[int, int] | None] | None = None

    @property
    def configured(self) -> bool:
        return bool(self.server_url)

    # -- the profile's connection settings ------------------------------------------------------

    def _read_profile_settings(self) -> tuple[str | None, tuple[int, int] | None]:
        """(CA file, schedule window) from the profile's sync state; read once, then kept."""
        with self._engine_lock:
            if self._profile_settings is None:
                from sync.local import get_state

                with self.store.sessionmaker() as session:
                    ca_file = get_state(session, CA_FILE_KEY) or None
                    window = get_state(session, WINDOW_KEY)
                days: tuple[int, int] | None = None
                if window is not None:
                    with contextlib.suppress(ValueError):
                        before, after = window.split()
                        days = (int(before), int(after))
                self._profile_settings = (ca_file, days)
            return self._profile_settings

    @property
    def ca_file(self) -> str | None:
        """The CA certificate file the server's certificate is verified against; None: the usual
        trusted authorities."""
        return self._read_profile_settings()[0]

    @property
    def window_days(self) -> tuple[int, int] | None:
        """The schedule window a first sync of this profile downloads (None: the engine's default)."""
        return self._read_profile_settings()[1]

    def _keep_profile_settings(self, ca_file: str | None, window: tuple[int, int] | None) -> None:
        """Stores both settings in the profile and drops the engine made with the old ones, so the
        next connection uses them."""
        from sync.local import set_state

        with self.store.sessionmaker() as session, session.begin():
            set_state(session, CA_FILE_KEY, ca_file)
            set_state(session, WINDOW_KEY, f"{window[0]} {window[1]}" if window else None)
        with self._engine_lock:
            self._profile_settings = (ca_file, window)
            old, self._engine = self._engine, None
        if old is not None:
            old.close()

    def set_ca_file(self, ca_file: str | Path | None) -> str | None:
        """Checks and keeps the profile's CA certificate file (None or "" for none) and returns the
        path as stored. A file that is missing or holds no certificate raises BadCaFile and changes
        nothing."""
        path = check_ca_file(ca_file)
        self._keep_profile_settings(path, self.window_days)
        if self.problem_summary in (CERTIFICATE_NOT_TRUSTED, CA_FILE_PROBLEM):
            self.problem = None  # the next sync tells whether the new file is the right one
        return path

    def set_window_days(self, window_days: tuple[int, int] | None) -> None:
        """Keeps the schedule window (days before, after today) a first sync downloads."""
        self._keep_profile_settings(self.ca_file, check_window(window_days) if window_days else None)

    def set_server(self, server_url: str) -> None:
        """A new address takes effect at once: the engine made for the old one is dropped, so a
        corrected typo is not answered by the connection to the wrong server."""
        url = server_url.strip()
        with self._engine_lock:
            if url == self.server_url:
                return
            old, self._engine = self._engine, None
            self.server_url = url
            self.problem = None
        if old is not None:
            old.close()

    def _sync_engine(self) -> SyncEngine:
        if not self.configured:
            raise SyncError("no sync server is set; enter the server's address in Settings")
        ca_file, window = self._read_profile_settings()
        with self._engine_lock:
            if self._engine is None:
                if not self.server_url.startswith(("http://", "https://")):
                    raise SyncError("the sync server address must start with http:// or https://")
                from sync.engine import DEFAULT_WINDOW, SyncEngine
                from sync.transport import HttpTransport

                try:
                    if self._factory is not None:
                        transport = self._factory(self.server_url)
                    elif self._on_received is not None:
                        transport = counting_transport(self.server_url, self._on_received, ca_file=ca_file)
                    else:
                        transport = HttpTransport(self.server_url, ca_file=ca_file)
                except BadCaFile as exc:
                    # The kept CA file is gone or spoilt: the status and sign-in, read from the
                    # profile, still work (the window and the background loop rely on them), every
                    # request says what is wrong with the file, and the engine is not kept, so the
                    # next call reads the file again (a network drive may be back).
                    from sync.transport import Refusing

                    refusing = HttpTransport(self.server_url, transport=Refusing(exc))
                    return SyncEngine(self.store.sessionmaker, refusing)
                self._engine = SyncEngine(
                    self.store.sessionmaker, transport, window_days=window or DEFAULT_WINDOW
                )
            return self._engine

    def _untrusted(self, exc: CertificateNotTrusted | BadCaFile) -> None:
        summary = CERTIFICATE_NOT_TRUSTED if isinstance(exc, CertificateNotTrusted) else CA_FILE_PROBLEM
        self.problem, self.problem_summary = exc.message, summary

    def sign_in(self, *, username: str, password: str, device_name: str = "workstation") -> None:
        if not username.strip() or not password:
            raise ValidationError("enter the sync username and password")
        try:
            self._sync_engine().sign_in(username=username.strip(), password=password, device_name=device_name)
        except (CertificateNotTrusted, BadCaFile) as exc:
            self._untrusted(exc)
            raise
        self.problem = None

    def signed_in_as(self) -> str | None:
        return self._sync_engine().signed_in_as() if self.configured else None

    def sync_now(self) -> SyncReport:
        """One push and pull; network trouble comes back in the report, not as an exception. A
        sign-in the server no longer accepts is raised and remembered, so the status bar asks the
        user to sign in again instead of still saying "Online"."""
        engine = self._sync_engine()
        if engine.signed_in_as() is None:
            raise SyncError("sign in to the sync server first (Settings, then Sync now)")
        with self._lock:
            try:
                report = engine.sync_once()
            except AuthenticationError as exc:
                self.problem, self.problem_summary = exc.message, SIGN_IN_AGAIN
                raise
            except (CertificateNotTrusted, BadCaFile) as exc:
                self._untrusted(exc)
                raise
            report.conflicts = max(0, report.conflicts - self.settle_bookkeeping())
        self.problem = None
        self.last_report = report
        return report

    def status(self) -> SyncStatus:
        if self.configured:
            return self._sync_engine().status()
        with self.store.sessionmaker() as session:
            from sync.status import read_status

            return read_status(session)

    def state(self, *, syncing: bool = False) -> SyncState:
        return SyncState(
            self.configured,
            self.status(),
            syncing=syncing,
            last_report=self.last_report,
            problem=self.problem if self.configured else None,
            problem_summary=self.problem_summary,
        )

    def note_changed(self, note_id: uuid.UUID, *, content: dict[str, Any], version: int) -> bool:
        """Whether a sync or a reconcile changed the note since the window showed it: a draft's
        text, or a signed note's version (an amendment). Compares without displaying anything."""
        with self.store.sessionmaker() as session:
            row = session.execute(
                select(ClinicalNote.status, ClinicalNote.content, ClinicalNote.current_version).where(
                    ClinicalNote.id == note_id
                )
            ).first()
        if row is None:
            return False
        if row.status is NoteStatus.DRAFT:
            return dict(row.content or {}) != dict(content)
        return bool(row.current_version != version)

    # -- conflicts ------------------------------------------------------------------------------

    def conflicts(self, *, include_resolved: bool = False) -> list[ConflictView]:
        with self.store.sessionmaker() as session:
            query = select(SyncConflict).order_by(SyncConflict.detected_at)
            if not include_resolved:
                query = query.where(SyncConflict.status == ConflictStatus.OPEN)
            return [_conflict_view(c) for c in session.scalars(query)]

    def settle_bookkeeping(self) -> int:
        """Closes conflicts on bookkeeping alone (a sign-in time written by every unlock, so one
        user on two workstations always collides on it): the server's value stays, both stay
        readable in the conflict row, and nobody is asked about it. Returns how many."""
        settled = 0
        with self.store.session(actor_id=self.user_id) as session:
            query = select(SyncConflict).where(
                SyncConflict.status == ConflictStatus.OPEN,
                SyncConflict.entity.in_(list(BOOKKEEPING)),
                SyncConflict.resolution.is_(None),
            )
            for conflict in session.scalars(query):
                if conflict.fields and set(conflict.fields) <= BOOKKEEPING[conflict.entity]:
                    self._close(conflict, "kept the server's value: bookkeeping, not clinical data")
                    settled += 1
        return settled

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


# -- a new workstation ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SetupProgress:
    """What the first sync is doing (for the user) and how many records have arrived so far."""

    step: str
    received: int = 0


@dataclass(frozen=True)
class WorkstationSetup:
    profile_dir: Path
    username: str
    full_name: str
    received: int
    #: the CA certificate file the profile verifies the server with (None: the usual authorities)
    ca_file: str | None = None


def setup_workstation(
    profile_dir: Path,
    *,
    profile_password: str,
    server_url: str,
    username: str,
    server_password: str,
    device_name: str = "workstation",
    progress: Callable[[SetupProgress], None] | None = None,
    kdf: KdfParams | None = None,
    ca_file: str | Path | None = None,
    window_days: tuple[int, int] | None = None,
) -> WorkstationSetup:
    """Makes a profile from the server: an empty encrypted store, signed in as ``username``, filled
    by a first sync, then owned by that account so it unlocks with ``profile_password``.

    ``ca_file`` is the practice's CA certificate when the server's certificate comes from the
    practice's own authority, and ``window_days`` the days of schedule before and after today to
    download; both are kept in the profile for its later syncs. A bad CA file is refused before
    anything is made.

    Runs on a worker (argon2 and the download take seconds). Any failure removes what was made, so
    the user can simply try again; an existing profile is never touched."""
    url = server_url.strip()
    if not url.startswith(("http://", "https://")):
        raise SyncError("the sync server address must start with http:// or https://")
    if not username.strip() or not server_password:
        raise ValidationError("enter the sync username and password")
    if profile_dir.exists() and (not profile_dir.is_dir() or any(profile_dir.iterdir())):
        raise StoreError(f"{profile_dir.name} already holds a profile; unlock it instead of setting it up")
    window = check_window(window_days) if window_days is not None else None
    ca_path = check_ca_file(ca_file)
    received = 0

    def tell(step: str) -> None:
        if progress is not None:
            progress(SetupProgress(step, received))

    def count(n: int) -> None:
        nonlocal received
        received += n
        tell("Downloading the practice's records…")

    existed = profile_dir.exists()
    tell("Creating the encrypted profile…")
    store = create_store(profile_dir, profile_password, display_name=username.strip(), kdf=kdf)
    service = SyncService(store, url, on_received=count)
    done = False
    try:
        service.set_ca_file(ca_path)
        service.set_window_days(window)
        tell("Signing in to the sync server…")
        service.sign_in(username=username, password=server_password, device_name=device_name)
        account = service.signed_in_as() or username.strip()
        tell("Downloading the practice's records…")
        report = service.sync_now()
        if report.errors:
            raise SyncError(
                f"the first sync did not finish ({report.errors[0]}); nothing was kept, try again"
            )
        with store.session() as session:
            try:
                user = users.by_username(session, account)
                practice.get_practice(session)
            except NotFoundError:
                raise SyncError(
                    "the sync server has no practice set up for this account yet; "
                    "ask your administrator to set it up, then try again"
                ) from None
            full_name = user.full_name
        store.meta.display_name = full_name
        store.set_owner(account)
        tell("Done")
        done = True
        return WorkstationSetup(profile_dir, account, full_name, received, ca_path)
    finally:
        service.close()
        store.close()
        if not done:
            _discard(profile_dir, keep_folder=existed)


def _discard(profile_dir: Path, *, keep_folder: bool) -> None:
    """Removes a half-made profile (only ever one this module just created)."""
    if not keep_folder:
        shutil.rmtree(profile_dir, ignore_errors=True)
        return
    for child in profile_dir.iterdir():
        if child.is_dir():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)
