"""Write-once bytes of a record, kept in a GridFS bucket of their own: a recording's audio, a
document's file. The bytes are the workstation's ciphertext; the server stores and returns them as
given and never holds a key that opens them (docs/DESIGN-keys.md)."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import gridfs
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError


class BlobExists(Exception):
    """Other bytes are stored for this record already: uploads are write-once."""


class BlobBucket:
    def __init__(self, db: Database[dict[str, Any]], name: str) -> None:
        self.files = db[f"{name}.files"]
        self.bucket = gridfs.GridFSBucket(db, bucket_name=name)

    def digest(self, record_id: uuid.UUID) -> str | None:
        """The SHA-256 of the bytes stored for a record, None when there are none yet."""
        existing = self.files.find_one({"_id": str(record_id)}, {"metadata": 1})
        if existing is None:
            return None
        return str((existing.get("metadata") or {}).get("sha256") or "")

    def put(self, record_id: uuid.UUID, data: bytes, *, mime_type: str) -> str:
        """Store a record's bytes once: the same bytes again is a harmless repeat; other bytes never
        replace them (raises BlobExists). Returns the SHA-256 stored."""
        digest = hashlib.sha256(data).hexdigest()
        existing = self.digest(record_id)
        if existing is None:
            try:
                self.bucket.upload_from_stream_with_id(
                    str(record_id), str(record_id), data, metadata={"sha256": digest, "mime_type": mime_type}
                )
                return digest
            except (gridfs.errors.FileExists, DuplicateKeyError):
                existing = self.digest(record_id)  # a concurrent upload got there first
        if existing != digest:
            raise BlobExists(record_id)
        return digest

    def get(self, record_id: uuid.UUID) -> tuple[bytes, str] | None:
        try:
            stream = self.bucket.open_download_stream(str(record_id))
        except gridfs.errors.NoFile:
            return None
        meta = stream.metadata or {}
        return stream.read(), str(meta.get("mime_type", "application/octet-stream"))
