"""MongoDB side of the server: clinical note documents with every version and conflict revision,
and voice recordings in GridFS.

A note document is written *before* the PostgreSQL row that points at it commits, with an upsert
keyed by (entity, record id, version): a retried or rolled-back push rewrites the same key, and no
client can see a version until its row is committed, so a half-done write is never visible.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from pymongo import ASCENDING, MongoClient
from pymongo.database import Database

from server.blobs import BlobBucket, BlobExists

NOTES = "clinical_notes"
#: A recording's audio is stored already, with other bytes: uploads are write-once.
RecordingExists = BlobExists


def _key(entity: str, record_id: uuid.UUID, version: int) -> str:
    return f"{entity}:{record_id}:{version}"


class DocumentStore:
    def __init__(self, url: str, db_name: str) -> None:
        self.client: MongoClient[dict[str, Any]] = MongoClient(
            url, uuidRepresentation="standard", serverSelectionTimeoutMS=10_000, tz_aware=True
        )
        self.db: Database[dict[str, Any]] = self.client[db_name]
        self.notes = self.db[NOTES]
        self.recordings = BlobBucket(self.db, "recordings")
        self.documents = BlobBucket(self.db, "documents")

    #: The index the note-history query (record_id, then version) runs on.
    HISTORY_INDEX = "record_id_1_version_1"

    def ensure_indexes(self) -> None:
        """Idempotent: called by every service instance when it starts."""
        self.notes.create_index([("record_id", ASCENDING), ("version", ASCENDING)], name=self.HISTORY_INDEX)

    def close(self) -> None:
        self.client.close()

    # --- notes --------------------------------------------------------------------------------

    def put_version(
        self,
        *,
        entity: str,
        record_id: uuid.UUID,
        version: int,
        fields: Mapping[str, Any],
        device_id: uuid.UUID,
        user_id: uuid.UUID,
    ) -> None:
        doc = {
            "_id": _key(entity, record_id, version),
            "entity": entity,
            "record_id": str(record_id),
            "version": version,
            "kind": "version",
            "fields": dict(fields),
            "device_id": str(device_id),
            "user_id": str(user_id),
            "at": datetime.now(UTC).isoformat(),
        }
        self.notes.replace_one({"_id": doc["_id"]}, doc, upsert=True)

    def put_conflict(
        self,
        *,
        entity: str,
        record_id: uuid.UUID,
        outbox_id: uuid.UUID,
        server_version: int,
        fields: Mapping[str, Any],
        device_id: uuid.UUID,
        user_id: uuid.UUID,
    ) -> None:
        """Keep the losing side of a note conflict next to the versions, for the author to reconcile."""
        doc = {
            "_id": f"conflict:{outbox_id}",
            "entity": entity,
            "record_id": str(record_id),
            "version": server_version,
            "kind": "conflict",
            "fields": dict(fields),
            "device_id": str(device_id),
            "user_id": str(user_id),
            "at": datetime.now(UTC).isoformat(),
        }
        self.notes.replace_one({"_id": doc["_id"]}, doc, upsert=True)

    def current(
        self, entity: str, versions: Iterable[tuple[uuid.UUID, int]]
    ) -> dict[uuid.UUID, dict[str, Any]]:
        keys = [_key(entity, rid, v) for rid, v in versions]
        if not keys:
            return {}
        found: dict[uuid.UUID, dict[str, Any]] = {}
        for doc in self.notes.find({"_id": {"$in": keys}}, {"record_id": 1, "fields": 1}):
            found[uuid.UUID(doc["record_id"])] = dict(doc.get("fields") or {})
        return found

    def history(self, record_id: uuid.UUID) -> list[dict[str, Any]]:
        return list(
            self.notes.find({"record_id": str(record_id)}).sort([("version", ASCENDING), ("at", ASCENDING)])
        )

    # --- recordings ---------------------------------------------------------------------------

    def recording_digest(self, recording_id: uuid.UUID) -> str | None:
        """The SHA-256 of the audio stored for a recording, None when there is none yet."""
        return self.recordings.digest(recording_id)

    def put_recording(self, recording_id: uuid.UUID, data: bytes, *, mime_type: str) -> str:
        """Store a recording's bytes once (see BlobBucket.put; raises RecordingExists)."""
        return self.recordings.put(recording_id, data, mime_type=mime_type)

    def get_recording(self, recording_id: uuid.UUID) -> tuple[bytes, str] | None:
        return self.recordings.get(recording_id)
