from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import select

from models import Recording
from server.api.deps import CurrentUser, ServicesDep
from server.db import scope
from server.mongo import RecordingExists
from server.policy import Principal, may_read_content, may_upload
from server.records import entity_info, row_to_wire
from server.services.audit import write_event
from sync.protocol import RecordingStored

router = APIRouter(tags=["recordings"])
AUDIO_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    }
}


def _recording(services: ServicesDep, who: Principal, recording_id: uuid.UUID, action: str) -> dict[str, Any]:
    """The recording's row (in the user's organisation), with the read or upload audited."""
    info = entity_info("recordings")
    assert info is not None
    with services.engine.begin() as conn:
        scope(conn, who.organization_id)
        row = (
            conn.execute(
                select(Recording.__table__).where(
                    Recording.id == recording_id, Recording.organization_id == who.organization_id
                )
            )
            .mappings()
            .first()
        )
        if row is None or row["deleted_at"] is not None:
            raise HTTPException(404, "no such recording: sync its record first")
        write_event(
            conn,
            user_id=who.user_id,
            organization_id=who.organization_id,
            action=action,
            resource_type="recordings",
            resource_id=recording_id,
        )
    return row_to_wire(info, row)


@router.put(
    "/recordings/{recording_id}/audio",
    response_model=RecordingStored,
    openapi_extra=AUDIO_BODY,
    responses={409: {"description": "Other audio is stored for this recording already"}},
)
async def put_audio(
    recording_id: uuid.UUID, request: Request, who: CurrentUser, services: ServicesDep
) -> RecordingStored:
    """Store a recording's (client-encrypted) audio in GridFS, once, by the user who made the
    recording; repeating the same upload is harmless, other bytes never replace it."""
    record = await run_in_threadpool(_recording, services, who, recording_id, "upload")
    if not may_upload(who, "recordings", record):
        raise HTTPException(403, "only the user who made this recording uploads its audio")
    data = await request.body()
    if not data:
        raise HTTPException(422, "a recording upload needs its audio")
    mime = request.headers.get("content-type", "application/octet-stream")[:64]
    try:
        digest = await run_in_threadpool(services.docs.put_recording, recording_id, data, mime_type=mime)
    except RecordingExists:
        raise HTTPException(409, "this recording's audio is stored already and cannot be replaced") from None
    return RecordingStored(recording_id=recording_id, size_bytes=len(data), sha256=digest)


@router.get(
    "/recordings/{recording_id}/audio",
    response_class=Response,
    responses={
        200: {"content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}
    },
)
def get_audio(recording_id: uuid.UUID, who: CurrentUser, services: ServicesDep) -> Response:
    if not may_read_content(who, "recordings"):
        raise HTTPException(403, "your role cannot read recordings")
    _recording(services, who, recording_id, "read")
    found = services.docs.get_recording(recording_id)
    if found is None:
        raise HTTPException(404, "no audio stored for this recording")
    return Response(content=found[0], media_type="application/octet-stream")
