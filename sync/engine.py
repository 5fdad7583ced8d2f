"""The client sync engine: push the outbox, pull by cursor, record conflicts (DESIGN.md, "Sync
contract"). It works on a SQLAlchemy session factory handed to it, so it knows nothing of the app.

Crash safety comes from ordering, not from care at each call site: a push's answers and a pull's
page are each applied in one local transaction together with the state they advance (outbox
statuses, the cursor). A crash anywhere leaves either the old state, which simply repeats the work
(pushes are idempotent on the server, pulled records are idempotent locally), or the new one.

After the push, each pushed recording's audio and each pushed document's file is uploaded as stored
(still encrypted) and marked done in the store; the marker is written after the server confirmed the
bytes, so a crash in between only repeats an idempotent upload. Bytes another workstation made are
downloaded on demand (:meth:`SyncEngine.download`), never with the records.

The UI calls :meth:`SyncEngine.sync_once` ("sync now", off the GUI thread) and :meth:`status`.
"""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session, sessionmaker

from clinicdesk.errors import PermissionDeniedError, SyncError
from models import Document, OutboxEntry, Recording, SyncConflict, SyncState
from models.enums import OutboxStatus
from models.local import REMOTE_APPLY
from models.registry import SYNCED_MODELS
from sync.backoff import Backoff
from sync.errors import ProtocolTooOld, SyncOffline
from sync.local import (
    apply_records,
    begin_remote,
    get_state,
    missing_parents,
    pending_fields,
    set_state,
)
from sync.protocol import (
    DEFAULT_WINDOW_DAYS,
    MAX_PULL_PAGE,
    MAX_PUSH_BATCH,
    ChangeIn,
    ChangeResult,
    Operation,
    RecordOut,
    RecordRef,
    ResultStatus,
    TokenPair,
)
from sync.status import (
    LAST_ERROR,
    LAST_SUCCESS,
    ONLINE,
    REFRESH_TOKEN,
    USERNAME,
    SyncReport,
    SyncStatus,
    read_status,
)

if TYPE_CHECKING:  # httpx loads with the transport, on the first real sync, not with the app
    from sync.transport import HttpTransport

log = logging.getLogger(__name__)

# SyncState keys
CURSOR = "cursor"
DEVICE_ID = "device_id"
USER_ID = "user_id"
SERVER_URL = "server_url"
#: SyncState key prefix: ``audio:<recording id>`` = sha256 of the audio bytes the server has.
AUDIO_PREFIX = "audio:"
#: Records whose bytes travel apart from them: entity -> (model, the bytes' attribute, the prefix of
#: the marker that says the server has them).
BLOBS: dict[str, tuple[type[Recording] | type[Document], str, str]] = {
    "recordings": (Recording, "audio", AUDIO_PREFIX),
    "documents": (Document, "blob", "file:"),
}

MAX_PARENT_DEPTH = 8
#: Changes per push and records per pull page. The server takes up to MAX_PUSH_BATCH and
#: MAX_PULL_PAGE, but a request's JSON is encoded, and an answer parsed, in single calls into C
#: (json, pydantic-core) that hold the GIL from start to end: about 22 ms for a page of 1000
#: records, during which the GUI thread can run no Python at all. At these sizes each hold stays
#: near 5 ms; a large sync takes a few more round trips instead.
PUSH_BATCH = 200
PULL_PAGE = 250


def change_of(entry: OutboxEntry) -> ChangeIn:
    """An outbox entry as a push sends it (its id makes a retried push idempotent)."""
    return ChangeIn(
        id=entry.id,
        entity=entry.entity,
        record_id=entry.record_id,
        operation=Operation(entry.operation.value),
        base_version=entry.base_version,
        payload=entry.payload or {},
    )


class SyncEngine:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        transport: HttpTransport,
        *,
        push_batch: int = PUSH_BATCH,
        pull_page: int = PULL_PAGE,
        window_days: tuple[int, int] = DEFAULT_WINDOW_DAYS,
        today: Callable[[], date] = lambda: datetime.now(UTC).date(),
    ) -> None:
        self.sessions = sessions
        self.transport = transport
        self.push_batch = min(push_batch, MAX_PUSH_BATCH)
        self.pull_page = min(pull_page, MAX_PULL_PAGE)
        self.window_days = window_days
        self.today = today
        transport.on_tokens = self._store_tokens
        with self.sessions() as session:
            transport.refresh_token = transport.refresh_token or get_state(session, REFRESH_TOKEN)

    def close(self) -> None:
        self.transport.close()

    # --- state ---------------------------------------------------------------------------------

    def _write_state(self, **values: str | None) -> None:
        with self.sessions() as session, session.begin():
            session.info[REMOTE_APPLY] = True
            for key, value in values.items():
                set_state(session, key, value)

    def _store_tokens(self, pair: TokenPair) -> None:
        self._write_state(
            **{REFRESH_TOKEN: pair.refresh_token, USERNAME: pair.user.username, USER_ID: str(pair.user.id)}
        )

    def device_id(self) -> uuid.UUID:
        """This workstation's id for this profile, made once and kept in the store."""
        with self.sessions() as session, session.begin():
            session.info[REMOTE_APPLY] = True
            value = get_state(session, DEVICE_ID)
            if value is None:
                value = str(uuid.uuid4())
                set_state(session, DEVICE_ID, value)
            return uuid.UUID(value)

    def signed_in_as(self) -> str | None:
        with self.sessions() as session:
            return get_state(session, USERNAME) if get_state(session, REFRESH_TOKEN) else None

    def sign_in(
        self,
        *,
        username: str,
        password: str,
        device_name: str = "workstation",
        new_password: str | None = None,
    ) -> None:
        with self.sessions() as session:
            known = get_state(session, USERNAME)
        if known is not None and known != username:
            raise SyncError(f"this profile syncs as {known}; it cannot sign in as another user")
        self.transport.login(
            username=username,
            password=password,
            device_id=self.device_id(),
            device_name=device_name,
            new_password=new_password,
        )
        self._write_state(**{SERVER_URL: self.transport.base_url})

    def status(self) -> SyncStatus:
        with self.sessions() as session:
            return read_status(session)

    # --- one sync ------------------------------------------------------------------------------

    def sync_once(self) -> SyncReport:
        """Push everything waiting, then pull everything new. Network trouble is reported (and the
        status goes offline), not raised; a refused sign-in or an outdated app is raised."""
        started = time.perf_counter()
        report = SyncReport()
        try:
            self._bootstrap_if_new(report)
            self._push_all(report)
            self._upload_recordings(report)
            self._pull_all(report)
        except SyncOffline as exc:
            report.errors.append(exc.message)
            self._write_state(**{ONLINE: "0", LAST_ERROR: exc.message})
        else:
            now = datetime.now(UTC).isoformat()
            self._write_state(**{ONLINE: "1", LAST_ERROR: None, LAST_SUCCESS: now})
        report.seconds = time.perf_counter() - started
        return report

    def sync_with_retry(
        self,
        *,
        attempts: int = 5,
        backoff: Backoff | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> SyncReport:
        """``sync_once`` until it succeeds or ``attempts`` runs out, backing off with jitter between."""
        backoff = backoff or Backoff()
        report = self.sync_once()
        for _ in range(attempts - 1):
            if report.ok:
                break
            sleep(backoff.next_delay())
            report = self.sync_once()
        return report

    def _bootstrap_if_new(self, report: SyncReport) -> None:
        with self.sessions() as session:
            if get_state(session, CURSOR) is not None:
                return
        today = self.today()
        before, after = self.window_days
        snapshot = self.transport.bootstrap(
            start=today - timedelta(days=before), end=today + timedelta(days=after)
        )
        report.pulled += self._apply_page(snapshot.records, cursor=snapshot.cursor)

    def _push_all(self, report: SyncReport) -> None:
        while True:
            with self.sessions() as session:
                entries = list(
                    session.execute(
                        select(OutboxEntry)
                        .where(OutboxEntry.status == OutboxStatus.PENDING)
                        .order_by(OutboxEntry.seq)
                        .limit(self.push_batch)
                    ).scalars()
                )
                session.expunge_all()
            if not entries:
                return
            response = self.transport.push([change_of(e) for e in entries])
            self._apply_results(response.results, report)
            if len(entries) < self.push_batch:
                return

    def _apply_results(self, results: list[ChangeResult], report: SyncReport) -> None:
        stale = self._apply_results_locally(results, report)
        if stale:
            # Our change was applied, but while it waited a pull brought a newer version whose
            # fields we held back for it: take the server's current record to be sure we match.
            records = self.transport.fetch(stale)
            with self.sessions() as session, session.begin():
                begin_remote(session)
                apply_records(session, records, same_version=True)

    def _apply_results_locally(self, results: list[ChangeResult], report: SyncReport) -> list[RecordRef]:
        """Record the server's answers in one transaction. The common answer (applied, nothing to
        merge) costs no ORM objects: statuses and versions move with a few set-based statements
        per batch, which is what keeps a push of thousands of changes linear."""
        stale: list[RecordRef] = []
        server_records: list[RecordOut] = []
        outbox: Any = OutboxEntry.__table__
        with self.sessions() as session, session.begin():
            begin_remote(session)
            ids = [r.id for r in results]
            waiting: set[uuid.UUID] = set()
            for start in range(0, len(ids), 500):
                waiting.update(
                    session.execute(
                        select(OutboxEntry.id).where(
                            OutboxEntry.id.in_(ids[start : start + 500]),
                            OutboxEntry.status == OutboxStatus.PENDING,
                        )
                    ).scalars()
                )
            sent: list[uuid.UUID] = []
            refused: list[ChangeResult] = []
            versions: dict[tuple[str, uuid.UUID], int] = {}
            for result in results:
                if result.id not in waiting:
                    continue
                waiting.discard(result.id)  # a repeated id in one answer counts once
                report.pushed += 1
                if result.status is ResultStatus.APPLIED:
                    sent.append(result.id)
                    report.applied += 1
                else:
                    refused.append(result)
                if result.server_record is not None and result.version:
                    server_records.append(
                        RecordOut(
                            entity=result.entity,
                            record_id=result.record_id,
                            version=result.version,
                            deleted=result.server_record.get("deleted_at") is not None,
                            values=result.server_record,
                        )
                    )
                elif result.version:
                    key = (result.entity, result.record_id)
                    versions[key] = max(versions.get(key, 0), result.version)
            for start in range(0, len(sent), 500):
                session.execute(
                    update(outbox)
                    .where(outbox.c.id.in_(sent[start : start + 500]))
                    .values(status=OutboxStatus.SENT, attempts=outbox.c.attempts + 1)
                )
            self._record_refusals(session, refused, report)
            session.flush()
            if server_records:
                keys = [(r.entity, r.record_id) for r in server_records]
                pending = pending_fields(session, keys)
                apply_records(session, server_records, pending=pending, same_version=True)
                session.flush()
            stale = self._advance_versions(session, versions)
        return stale

    @staticmethod
    def _record_refusals(session: Session, refused: list[ChangeResult], report: SyncReport) -> None:
        if not refused:
            return
        entries = {
            e.id: e
            for e in session.execute(
                select(OutboxEntry).where(OutboxEntry.id.in_([r.id for r in refused]))
            ).scalars()
        }
        for result in refused:
            entry = entries[result.id]
            entry.attempts += 1
            conflict = result.status is ResultStatus.CONFLICT
            entry.status = OutboxStatus.CONFLICT if conflict else OutboxStatus.REJECTED
            entry.last_error = (result.reason or "")[:500] or None
            report.conflicts += conflict
            report.rejected += not conflict
            server = result.server_record or {}
            session.add(
                SyncConflict(
                    entity=result.entity,
                    record_id=result.record_id,
                    outbox_id=result.id,
                    fields=list(result.fields),
                    local_values={f: (entry.payload or {}).get(f) for f in result.fields},
                    server_values={f: server.get(f) for f in result.fields},
                    resolution=None if conflict else f"rejected by the server: {result.reason}",
                )
            )

    @staticmethod
    def _advance_versions(session: Session, versions: dict[tuple[str, uuid.UUID], int]) -> list[RecordRef]:
        """Stamp our applied rows with the version the server gave them (one read and one
        executemany per entity); a row already ahead of that version is stale and returned."""
        stale: list[RecordRef] = []
        by_entity: dict[str, list[uuid.UUID]] = defaultdict(list)
        for entity, record_id in versions:
            if entity in SYNCED_MODELS:
                by_entity[entity].append(record_id)
        for entity, ids in by_entity.items():
            table: Any = SYNCED_MODELS[entity].__table__
            moves: list[dict[str, Any]] = []
            for start in range(0, len(ids), 500):
                rows = session.execute(
                    select(table.c.id, table.c.version).where(table.c.id.in_(ids[start : start + 500]))
                )
                for record_id, local in rows:
                    version = versions[(entity, record_id)]
                    if (local or 0) < version:
                        moves.append({"b_id": record_id, "b_version": version})
                    elif local > version:
                        stale.append(RecordRef(entity=entity, record_id=record_id))
            if moves:
                # updated_at set to itself: this is not a local edit, so its onupdate must not fire.
                session.execute(
                    update(table)
                    .where(table.c.id == bindparam("b_id"))
                    .values(version=bindparam("b_version"), updated_at=table.c.updated_at),
                    moves,
                )
        return stale

    # --- bytes apart from their records (recordings, documents) ------------------------------------

    def _blobs_to_upload(self, entity: str) -> list[uuid.UUID]:
        """Records with bytes here whose row the server has (a version) and whose bytes were not
        uploaded yet. Records pulled from elsewhere have no bytes here until they are downloaded, and
        a download writes the marker, so they are never candidates. The bytes are written once, so
        the marker is enough (no re-hashing on every sync, which would make a sync with nothing to
        do cost a pass over every recording)."""
        model, attribute, prefix = BLOBS[entity]
        column: Any = getattr(model, attribute)
        with self.sessions() as session:
            done = set(
                session.execute(
                    select(SyncState.key).where(SyncState.key.startswith(prefix, autoescape=True))
                ).scalars()
            )
            ids = session.execute(
                select(model.id)
                .where(model.version.is_not(None), column.is_not(None))
                .order_by(model.created_at)
            ).scalars()
            return [rid for rid in ids if prefix + str(rid) not in done]

    def _recordings_to_upload(self) -> list[uuid.UUID]:
        return self._blobs_to_upload("recordings")

    def _bytes(self, entity: str, record_id: uuid.UUID) -> bytes | None:
        model, attribute, _ = BLOBS[entity]
        with self.sessions() as session:
            data: bytes | None = session.execute(
                select(getattr(model, attribute)).where(model.id == record_id)
            ).scalar()
        return data

    def _upload_recordings(self, report: SyncReport) -> None:
        """Upload each pushed record's bytes exactly as stored: the AES-GCM ciphertext, never
        decrypted here, so the server keeps only what it cannot read. One at a time, so memory
        holds one file. Idempotent: the server stores the same bytes once, and a crash before the
        local marker is written just uploads the same bytes again."""
        for entity, (_, _, prefix) in BLOBS.items():
            for record_id in self._blobs_to_upload(entity):
                data = self._bytes(entity, record_id)
                if not data:
                    continue
                digest = hashlib.sha256(data).hexdigest()
                try:
                    stored = self.transport.put_blob(entity, record_id, data)
                except (SyncOffline, ProtocolTooOld):
                    raise
                except (SyncError, PermissionDeniedError) as exc:
                    # Refused (a role that may not store it, a row the server rejected): not a
                    # reason to fail the sync; it is tried again next time.
                    log.warning("%s %s not uploaded: %s", entity, record_id, exc.message)
                    continue
                if stored.sha256 != digest or stored.size_bytes != len(data):
                    raise SyncOffline("the sync server stored a file differently; it will be sent again")
                self._write_state(**{prefix + str(record_id): digest})
                report.uploaded += 1

    def download(self, entity: str, record_id: uuid.UUID) -> bytes:
        """The bytes of a record made on another workstation (still encrypted), from the server,
        kept in this store with the marker that says the server has them (so they are never
        uploaded back). Raises SyncOffline when the server cannot be reached."""
        model, attribute, prefix = BLOBS[entity]
        data = self.transport.get_blob(entity, record_id)
        with self.sessions() as session, session.begin():
            session.info[REMOTE_APPLY] = True
            session.execute(update(model).where(model.id == record_id).values({attribute: data}))
            set_state(session, prefix + str(record_id), hashlib.sha256(data).hexdigest())
        return data

    def _pull_all(self, report: SyncReport) -> None:
        while True:
            with self.sessions() as session:
                cursor = int(get_state(session, CURSOR) or 0)
            page = self.transport.pull(cursor=cursor, limit=self.pull_page)
            if page.records or page.cursor != cursor:
                report.pulled += self._apply_page(page.records, cursor=page.cursor)
            if not page.has_more:
                return

    def _apply_page(self, records: list[RecordOut], *, cursor: int) -> int:
        """Apply one page with any parents it refers to that this store lacks, and move the cursor,
        in one transaction."""
        records = list(records)
        with self.sessions() as session:
            refs = missing_parents(session, records)
        depth = 0
        while refs and depth < MAX_PARENT_DEPTH:
            fetched = self.transport.fetch(refs)
            records = fetched + records
            with self.sessions() as session:
                refs = missing_parents(session, records)
            depth += 1
        with self.sessions() as session, session.begin():
            begin_remote(session)
            changed = apply_records(session, records)
            set_state(session, CURSOR, str(cursor))
        return changed
