from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response

from server.api.deps import CurrentUser, ServicesDep
from server.api.uploads import DOWNLOAD, UPLOAD_BODY, download, upload
from sync.protocol import MAX_RECORDING_BYTES, RecordingStored

router = APIRouter(tags=["recordings"])


@router.put(
    "/recordings/{recording_id}/audio",
    response_model=RecordingStored,
    openapi_extra=UPLOAD_BODY,
    responses={409: {"description": "Other audio is stored for this recording already"}},
)
async def put_audio(
    recording_id: uuid.UUID, request: Request, who: CurrentUser, services: ServicesDep
) -> RecordingStored:
    """Store a recording's (client-encrypted) audio in GridFS, once, by the user who made the
    recording; repeating the same upload is harmless, other bytes never replace it."""
    size, digest = await upload(
        services, who, request, entity="recordings", record_id=recording_id,
        bucket=services.docs.recordings, limit=MAX_RECORDING_BYTES, noun="audio",
    )  # fmt: skip
    return RecordingStored(recording_id=recording_id, size_bytes=size, sha256=digest)


@router.get("/recordings/{recording_id}/audio", response_class=Response, responses=DOWNLOAD)
def get_audio(recording_id: uuid.UUID, who: CurrentUser, services: ServicesDep) -> Response:
    return download(
        services,
        who,
        entity="recordings",
        record_id=recording_id,
        bucket=services.docs.recordings,
        noun="audio",
    )
