"""Dependencies shared by the routes, as Annotated aliases (FastAPI full-stack template style)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine

from clinicdesk.errors import AuthenticationError
from server.mongo import DocumentStore
from server.policy import Principal
from server.services import accounts
from server.settings import Settings
from sync.protocol import PROTOCOL_HEADER, PROTOCOL_VERSION, SUPPORTED_PROTOCOLS


@dataclass(frozen=True)
class Services:
    """``engine`` reads and writes records as the service's role, under row-level security (every
    transaction names its organisation: server.db.scope); ``owner`` signs users in and keeps
    devices and tokens (server/db.py)."""

    settings: Settings
    engine: Engine
    owner: Engine
    docs: DocumentStore


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]
_bearer = HTTPBearer(auto_error=False, description="Access token from /auth/login or /auth/refresh")


def current_principal(
    services: ServicesDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(401, "sign in first: no access token", headers={"WWW-Authenticate": "Bearer"})
    try:
        return accounts.principal_for(services.owner, services.settings, credentials.credentials)
    except AuthenticationError as exc:
        raise HTTPException(401, exc.message, headers={"WWW-Authenticate": "Bearer"}) from None


CurrentUser = Annotated[Principal, Depends(current_principal)]


def check_protocol(
    protocol: Annotated[
        int, Header(alias=PROTOCOL_HEADER, ge=0, le=1_000_000, description="Sync protocol version")
    ],
) -> int:
    if protocol not in SUPPORTED_PROTOCOLS:
        raise HTTPException(
            426,
            f"this client speaks sync protocol {protocol}; the server speaks {PROTOCOL_VERSION}: "
            "update ClinicDesk",
        )
    return protocol


ProtocolChecked = Annotated[int, Depends(check_protocol)]
