"""A document's file (a scan, a letter, a printed prescription or note): the workstation's ciphertext,
uploaded once by the user who attached it, read by any role that reads documents."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response

from server.api.deps import CurrentUser, ServicesDep
from server.api.uploads import DOWNLOAD, UPLOAD_BODY, download, upload
from sync.protocol import MAX_DOCUMENT_UPLOAD, DocumentStored

router = APIRouter(tags=["documents"])


@router.put(
    "/documents/{document_id}/content",
    response_model=DocumentStored,
    openapi_extra=UPLOAD_BODY,
    responses={409: {"description": "Other content is stored for this document already"}},
)
async def put_content(
    document_id: uuid.UUID, request: Request, who: CurrentUser, services: ServicesDep
) -> DocumentStored:
    """Store a document's (client-encrypted) file in GridFS, once, by the user who attached it."""
    size, digest = await upload(
        services, who, request, entity="documents", record_id=document_id,
        bucket=services.docs.documents, limit=MAX_DOCUMENT_UPLOAD, noun="file",
    )  # fmt: skip
    return DocumentStored(document_id=document_id, size_bytes=size, sha256=digest)


@router.get("/documents/{document_id}/content", response_class=Response, responses=DOWNLOAD)
def get_content(document_id: uuid.UUID, who: CurrentUser, services: ServicesDep) -> Response:
    return download(
        services, who, entity="documents", record_id=document_id, bucket=services.docs.documents, noun="file"
    )
