"""The FastAPI application: routes, error handling, the request-size guard and the OpenAPI schema."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio.to_thread
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from clinicdesk import __version__
from server.api.deps import Services
from server.api.errors import COMMON_RESPONSES, BodyLimit, QuietErrors, install_error_handlers
from server.api.routes import auth, documents, health, notes, recordings, registration, sync, users
from server.db import make_data_engine, make_engine
from server.mongo import DocumentStore
from server.settings import Settings
from sync.protocol import MAX_BODY_BYTES, MAX_RECORDING_BYTES, ErrorBody


def create_app(settings: Settings, *, services: Services | None = None) -> FastAPI:
    if services is None:
        services = Services(
            settings=settings,
            engine=make_data_engine(settings.database_url, pool_size=settings.pool_size),
            owner=make_engine(settings.database_url, pool_size=settings.pool_size),
            docs=DocumentStore(settings.mongodb_url, settings.mongodb_db),
        )
    ready = services

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.threads
        # The note-history query reads by (record, version): make sure its index exists before the
        # first request (idempotent; every instance may do it).
        await anyio.to_thread.run_sync(ready.docs.ensure_indexes)
        yield

    app = FastAPI(
        title="ClinicDesk sync service", version=__version__, responses=COMMON_RESPONSES, lifespan=lifespan
    )
    app.state.services = services
    install_error_handlers(app)
    for module in (health, auth, users, sync, notes, recordings, documents, registration):
        app.include_router(module.router)
    app.add_middleware(BodyLimit, limit=MAX_BODY_BYTES, recording_limit=MAX_RECORDING_BYTES)
    # Outermost: an unexpected error becomes a plain 500 here and goes no further, so neither
    # Starlette nor uvicorn ever logs its message or traceback (either may quote patient data).
    app.add_middleware(QuietErrors)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _exact_openapi(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


def _exact_openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI documents 422 with its own list-shaped body; ours is ``{"detail": str}`` everywhere."""
    schema = get_openapi(title=app.title, version=app.version, routes=app.routes)
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["ErrorBody"] = ErrorBody.model_json_schema()
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    ref = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.get("responses", {})
            for code, response in responses.items():
                if code.startswith(("4", "5")):
                    response["content"] = ref
    return schema
