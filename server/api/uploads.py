"""What the routes that carry a record's bytes share (a recording's audio, a document's file): the
record must exist in the user's organisation, every read and upload is audited, an upload is made
once by the user who made the record, and reading needs a role that reads the entity's content.
The bytes are the workstation's ciphertext, stored and returned as given."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import HTTPException, Request, Response
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import select

from server.api.deps import Services
from server.blobs import BlobBucket, BlobExists
from server.db import scope
from server.policy import Principal, may_read_content, may_upload
from server.records import entity_info, row_to_wire
from server.services.audit import write_event

OCTETS = {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}
UPLOAD_BODY = {"requestBody": {"required": True, "content": OCTETS}}
DOWNLOAD: dict[int | str, dict[str, Any]] = {200: {"content": OCTETS}}


def stored_record(
    services: Services, who: Principal, entity: str, record_id: uuid.UUID, action: str
) -> dict[str, Any]:
    """The record's row (in the user's organisation), with the read or upload audited."""
    info = entity_info(entity)
    assert info is not None
    table = info.table
    with services.engine.begin() as conn:
        scope(conn, who.organization_id)
        row = (
            conn.execute(
                select(table).where(table.c.id == record_id, table.c.organization_id == who.organization_id)
            )
            .mappings()
            .first()
        )
        if row is None or row["deleted_at"] is not None:
            raise HTTPException(404, f"no such {entity.removesuffix('s')}: sync its record first")
        write_event(
            conn,
            user_id=who.user_id,
            organization_id=who.organization_id,
            action=action,
            resource_type=entity,
            resource_id=record_id,
        )
    return row_to_wire(info, row)


async def upload(
    services: Services,
    who: Principal,
    request: Request,
    *,
    entity: str,
    record_id: uuid.UUID,
    bucket: BlobBucket,
    limit: int,
    noun: str,
) -> tuple[int, str]:
    """Stores the request's body (the record's ``noun``: audio, file) once; returns (size, SHA-256)."""
    record = await run_in_threadpool(stored_record, services, who, entity, record_id, "upload")
    what = entity.removesuffix("s")
    if not may_upload(who, entity, record):
        raise HTTPException(403, f"only the user who made this {what} uploads its {noun}")
    data = await request.body()
    if not data:
        raise HTTPException(422, f"a {what} upload needs its {noun}")
    if len(data) > limit:
        raise HTTPException(413, f"a {what} may hold at most {limit // (1024 * 1024)} MB")
    mime = request.headers.get("content-type", "application/octet-stream")[:64]
    try:
        digest = await run_in_threadpool(bucket.put, record_id, data, mime_type=mime)
    except BlobExists:
        raise HTTPException(409, f"this {what}'s {noun} is stored already and cannot be replaced") from None
    return len(data), digest


def download(
    services: Services, who: Principal, *, entity: str, record_id: uuid.UUID, bucket: BlobBucket, noun: str
) -> Response:
    if not may_read_content(who, entity):
        raise HTTPException(403, f"your role cannot read {entity}")
    stored_record(services, who, entity, record_id, "read")
    found = bucket.get(record_id)
    if found is None:
        raise HTTPException(404, f"no {noun} stored for this {entity.removesuffix('s')}")
    return Response(content=found[0], media_type="application/octet-stream")
