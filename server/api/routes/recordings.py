from __future__ import annotations

import uuid

from fastapi import APIRouter, HTTPException, Request, Response
from sqlalchemy import select

from models import Recording
from server.api.deps import CurrentUser, ServicesDep
from server.permissions import can_read_note_text
from server.services.audit import audit_row, write_audit
from sync.protocol import RecordingStored

router = APIRouter(tags=["recordings"])
AUDIO_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    }
}


def _require_recording(services: ServicesDep, recording_id: uuid.UUID) -> None:
    with services.engine.connect() as conn:
        if conn.execute(select(Recording.id).where(Recording.id == recording_id)).first() is None:
            raise HTTPException(404, "no such recording: sync its record first")


@router.put("/recordings/{recording_id}/audio", response_model=RecordingStored, openapi_extra=AUDIO_BODY)
async def put_audio(
    recording_id: uuid.UUID, request: Request, who: CurrentUser, services: ServicesDep
) -> RecordingStored:
    """Store a recording's (client-encrypted) audio in GridFS; repeating the upload is harmless."""
    if not can_read_note_text(who):
        raise HTTPException(403, "your role cannot store recordings")
    _require_recording(services, recording_id)
    data = await request.body()
    mime = request.headers.get("content-type", "application/octet-stream")[:64]
    digest = services.docs.put_recording(recording_id, data, mime_type=mime)
    with services.engine.begin() as conn:
        write_audit(
            conn,
            [
                audit_row(
                    user_id=who.user_id, action="upload", resource_type="recordings", resource_id=recording_id
                )
            ],
        )
    return RecordingStored(recording_id=recording_id, size_bytes=len(data), sha256=digest)


@router.get(
    "/recordings/{recording_id}/audio",
    response_class=Response,
    responses={
        200: {"content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}
    },
)
def get_audio(recording_id: uuid.UUID, who: CurrentUser, services: ServicesDep) -> Response:
    if not can_read_note_text(who):
        raise HTTPException(403, "your role cannot read recordings")
    found = services.docs.get_recording(recording_id)
    if found is None:
        raise HTTPException(404, "no audio stored for this recording")
    with services.engine.begin() as conn:
        write_audit(
            conn,
            [
                audit_row(
                    user_id=who.user_id, action="read", resource_type="recordings", resource_id=recording_id
                )
            ],
        )
    return Response(content=found[0], media_type="application/octet-stream")
