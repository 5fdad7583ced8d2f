from __future__ import annotations

import uuid

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool

from server.api.deps import CurrentUser, ServicesDep
from server.services import accounts
from sync.protocol import (
    DevicePublic,
    LoginRequest,
    RefreshRequest,
    TokenPair,
    UserCreate,
    UserPublic,
)

router = APIRouter(tags=["auth"])


@router.post("/auth/login", response_model=TokenPair)
async def login(body: LoginRequest, services: ServicesDep) -> TokenPair:
    # argon2 is deliberately slow: keep it off the event loop.
    return await run_in_threadpool(
        accounts.login,
        services.engine,
        services.settings,
        username=body.username,
        password=body.password,
        device_id=body.device_id,
        device_name=body.device_name,
    )


@router.post("/auth/refresh", response_model=TokenPair)
def refresh(body: RefreshRequest, services: ServicesDep) -> TokenPair:
    return accounts.refresh(services.engine, services.settings, body.refresh_token)


@router.post("/auth/logout", status_code=204)
def logout(who: CurrentUser, services: ServicesDep) -> None:
    accounts.logout(services.engine, who)


@router.get("/auth/me", response_model=UserPublic)
def me(who: CurrentUser, services: ServicesDep) -> UserPublic:
    with services.engine.connect() as conn:
        account = accounts._account(conn, user_id=who.user_id)
    assert account is not None  # principal_for checked it exists
    return account.public()


@router.get("/devices", response_model=list[DevicePublic])
def devices(who: CurrentUser, services: ServicesDep) -> list[DevicePublic]:
    return accounts.list_devices(services.engine, who)


@router.post("/devices/{device_id}/revoke", response_model=DevicePublic)
def revoke(device_id: uuid.UUID, who: CurrentUser, services: ServicesDep) -> DevicePublic:
    return accounts.revoke_device(services.engine, who, device_id)


@router.post(
    "/users", response_model=UserPublic, status_code=201, responses={409: {"description": "Username taken"}}
)
async def create_user(body: UserCreate, who: CurrentUser, services: ServicesDep) -> UserPublic:
    return await run_in_threadpool(accounts.create_user, services.engine, who, body)
