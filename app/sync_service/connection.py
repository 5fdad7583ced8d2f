"""One profile's connection to the sync server: which server, its CA file and schedule window, the
engine made from them, signing in, one sync, and the status the window shows.

A practice often runs the sync server with a certificate from its own certificate authority, which
no workstation trusts by default. Each profile keeps that CA certificate's file path (and the
schedule window its first sync downloads) in its own sync state, beside the sign-in the engine keeps
there; every connection the service makes verifies the server against it. A file that is missing or
holds no certificate is refused when it is set (nothing is stored or made), and a server whose
certificate does not verify is :class:`CertificateNotTrusted`, not "offline".

The sync engine and httpx are imported on the first connection, off the app's start-up path.
"""

from __future__ import annotations

import contextlib
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from app.store import Store
from app.sync_service.conflicts import settle_bookkeeping
from clinicdesk.errors import AuthenticationError, SyncError, ValidationError
from models import User
from models.local import REMOTE_APPLY
from sync.errors import BadCaFile, CertificateNotTrusted
from sync.limits import DEFAULT_WINDOW_DAYS, MAX_WINDOW_DAYS
from sync.status import SyncReport, SyncStatus

if TYPE_CHECKING:
    from sync.engine import SyncEngine
    from sync.protocol import BootstrapResponse, PullResponse
    from sync.transport import HttpTransport

TransportFactory = Callable[[str], "HttpTransport"]
SIGN_IN_AGAIN = "Sync: sign in again (Settings)"
CERTIFICATE_NOT_TRUSTED = "Sync: server certificate not trusted (Settings)"
CA_FILE_PROBLEM = "Sync: CA certificate file problem (Settings)"
#: The profile's own connection settings, in its sync state (the engine keeps its keys there too).
CA_FILE_KEY = "ca_file"
WINDOW_KEY = "window_days"


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


def check_server_url(server_url: str) -> str:
    url = server_url.strip()
    if not url.startswith(("http://", "https://")):
        raise SyncError("the sync server address must start with http:// or https://")
    return url


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


class AccountDeactivated(AuthenticationError):
    """The server refused the account as deactivated; the workstation is signed out."""


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

    # -- the engine ------------------------------------------------------------------------------

    def _sync_engine(self) -> SyncEngine:
        if not self.configured:
            raise SyncError("no sync server is set; enter the server's address in Settings")
        ca_file, window = self._read_profile_settings()
        with self._engine_lock:
            if self._engine is None:
                url = check_server_url(self.server_url)
                from sync.engine import SyncEngine
                from sync.transport import HttpTransport

                try:
                    if self._factory is not None:
                        transport = self._factory(url)
                    elif self._on_received is not None:
                        transport = counting_transport(url, self._on_received, ca_file=ca_file)
                    else:
                        transport = HttpTransport(url, ca_file=ca_file)
                except BadCaFile as exc:
                    # The kept CA file is gone or spoilt: the status and sign-in, read from the
                    # profile, still work (the window and the background loop rely on them), every
                    # request says what is wrong with the file, and the engine is not kept, so the
                    # next call reads the file again (a network drive may be back).
                    from sync.transport import Refusing

                    refusing = HttpTransport(url, transport=Refusing(exc))
                    return SyncEngine(self.store.sessionmaker, refusing)
                self._engine = SyncEngine(
                    self.store.sessionmaker, transport, window_days=window or DEFAULT_WINDOW_DAYS
                )
            return self._engine

    def _untrusted(self, exc: CertificateNotTrusted | BadCaFile) -> None:
        summary = CERTIFICATE_NOT_TRUSTED if isinstance(exc, CertificateNotTrusted) else CA_FILE_PROBLEM
        self.problem, self.problem_summary = exc.message, summary

    # -- signing in, syncing, the status ---------------------------------------------------------

    def sign_in(
        self,
        *,
        username: str,
        password: str,
        device_name: str = "workstation",
        new_password: str | None = None,
    ) -> None:
        """``new_password``: the user's own password, when an administrator's reset requires one at
        this sign-in (PasswordChangeRequired)."""
        if not username.strip() or not password:
            raise ValidationError("enter the sync username and password")
        try:
            self._sync_engine().sign_in(
                username=username.strip(),
                password=password,
                device_name=device_name,
                new_password=new_password,
            )
        except (CertificateNotTrusted, BadCaFile) as exc:
            self._untrusted(exc)
            raise
        self.problem = None

    def signed_in_as(self) -> str | None:
        return self._sync_engine().signed_in_as() if self.configured else None

    def transport(self) -> HttpTransport:
        """The signed-in connection, for what people ask of the server directly (staff accounts)."""
        return self._sync_engine().transport

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
                from sync.protocol import ACCOUNT_DEACTIVATED

                if ACCOUNT_DEACTIVATED in exc.message:
                    self._signed_out_deactivated()
                    signed_out = ACCOUNT_DEACTIVATED + "; this workstation is signed out"
                    raise AccountDeactivated(signed_out) from None
                raise
            except (CertificateNotTrusted, BadCaFile) as exc:
                self._untrusted(exc)
                raise
            with self.store.session(actor_id=self.user_id) as session:
                settled = settle_bookkeeping(session)
            report.conflicts = max(0, report.conflicts - settled)
            if report.ok:
                self._keep_mrns_reserved(engine)
            from app.sync_service.after import after_sync  # the rules and keys load with the first sync

            after_sync(self.store, engine, report, user_id=self.user_id)
        self.problem = None
        self.last_report = report
        return report

    def _signed_out_deactivated(self) -> None:
        """The server says the account was deactivated: this profile forgets its sign-in and marks
        its user inactive (as the server holds it), so the profile no longer unlocks."""
        from sync.local import set_state
        from sync.status import REFRESH_TOKEN

        with self.store.session() as session:
            session.info[REMOTE_APPLY] = True
            set_state(session, REFRESH_TOKEN, None)
            user = session.get(User, self.user_id) if self.user_id else None
            if user is not None:
                user.active = False

    def _keep_mrns_reserved(self, engine: SyncEngine) -> None:
        """Tops up the MRN numbers the server reserved for this workstation (app/services/mrn.py), so
        registering a patient offline has numbers no other workstation holds. Not being able to is
        no sync failure: the next sync asks again."""
        from app.services import mrn

        with self.store.session() as session:
            if mrn.numbers_left(session) >= mrn.LOW_WATER:
                return
        with contextlib.suppress(SyncError):
            self.reserve_mrns(mrn.BLOCK_SIZE, engine=engine)

    def reserve_mrns(self, count: int, *, engine: SyncEngine | None = None) -> int:
        """Asks the server for ``count`` more MRN numbers for this workstation (an import of many
        patients needs more than a sync keeps); returns how many it now holds."""
        from app.services import mrn

        block = (engine or self._sync_engine()).transport.reserve_mrns(count)
        with self.store.session() as session:
            mrn.keep_block(session, block.start, block.end)
            return mrn.numbers_left(session)

    def download(self, entity: str, record_id: uuid.UUID) -> bytes:
        """The sealed bytes of a recording or document made on another workstation, fetched from the
        server and kept in this profile (app/ops/media.py opens them)."""
        engine = self._sync_engine()
        if engine.signed_in_as() is None:
            raise SyncError("sign in to the sync server first (Settings) to open files made elsewhere")
        return engine.download(entity, record_id)

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

    def close(self) -> None:
        if self._engine is not None:
            self._engine.close()
            self._engine = None
