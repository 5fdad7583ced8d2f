"""Error responses: always ``{"detail": "..."}`` with one clear sentence, never a request's values
(they may be patient data), never a traceback."""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from clinicdesk.errors import (
    AuthenticationError,
    ClinicDeskError,
    NotFoundError,
    PasswordChangeRequired,
    PermissionDeniedError,
    UsageError,
    ValidationError,
)

log = logging.getLogger(__name__)

STATUS_FOR: list[tuple[type[ClinicDeskError], int]] = [
    (PasswordChangeRequired, 428),
    (AuthenticationError, 401),
    (PermissionDeniedError, 403),
    (NotFoundError, 404),
    (ValidationError, 409),
    (UsageError, 400),
]

ERROR_CONTENT: dict[str, Any] = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
COMMON_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"description": text, "content": ERROR_CONTENT}
    for code, text in (
        (400, "Malformed request"),
        (401, "Not signed in, or the token is expired, forged or revoked"),
        (403, "The user's role does not allow this"),
        (404, "Not found"),
        (411, "A request body needs a Content-Length"),
        (413, "Request body too large"),
        (415, "Unsupported content type"),
        (422, "Request does not match the schema"),
        (426, "Client speaks an unsupported protocol version"),
        (428, "The password was reset: sign in with a new one (new_password)"),
    )
}


def _describe(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors()[:3]:
        loc = ".".join(str(p) for p in err.get("loc", ()))
        parts.append(f"{loc}: {err.get('msg', 'invalid')}")
    return "invalid request: " + "; ".join(parts)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": _describe(exc)}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse({"detail": str(exc.detail)}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(ClinicDeskError)
    async def _domain(request: Request, exc: ClinicDeskError) -> JSONResponse:
        status = next((code for kind, code in STATUS_FOR if isinstance(exc, kind)), 400)
        return JSONResponse({"detail": exc.message}, status_code=status)


class QuietErrors:
    """Turn any unexpected error into ``500 {"detail": "internal server error"}`` and log only its
    type and the route. The error goes no further: Starlette's error middleware and uvicorn would
    log its message and traceback, and a database error's message can quote the values of the
    statement that failed (a note's text, a patient's MRN)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception as exc:
            log.error(
                "internal error on %s %s: %s", scope.get("method"), scope.get("path"), type(exc).__name__
            )
            if not started:
                await _reject(send, 500, "internal server error")


class BodyLimit:
    """Refuse bodies over ``limit`` bytes with 413 before anything reads them. A request with a body
    must say its length (411 otherwise), so the check never depends on reading the body."""

    def __init__(self, app: ASGIApp, *, limit: int, recording_limit: int) -> None:
        self.app = app
        self.limit = limit
        self.recording_limit = recording_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        # recordings and documents carry their bytes apart from any record, and may be larger
        limit = (
            self.recording_limit if scope["path"].startswith(("/recordings/", "/documents/")) else self.limit
        )
        length: int | None = None
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    length = int(value)
                except ValueError:
                    length = -1
        if length is None or length < 0:
            await _reject(send, 411, "request body needs a Content-Length")
        elif length > limit:
            await _reject(send, 413, "request body too large")
        else:
            await self.app(scope, receive, send)


async def _reject(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
