from __future__ import annotations

import uuid

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool

from server.api.deps import CurrentUser, ServicesDep
from server.services import accounts
from sync.protocol import DevicePublic, LoginRequest, RefreshRequest, TokenPair, UserPublic

router = APIRouter(tags=["auth"])


@router.post(
    "/auth/login",
    response_model=TokenPair,
    responses={428: {"description": "The password was reset: send new_password with the sign-in"}},
)
async def login(body: LoginRequest, services: ServicesDep) -> TokenPair:
    # argon2 is deliberately slow: keep it off the event loop.
    return await run_in_threadpool(
        accounts.login,
        services.owner,
        services.settings,
        username=body.username,
        password=body.password,
        device_id=body.device_id,
        device_name=body.device_name,
        new_password=body.new_password,
    )


@router.post("/auth/refresh", response_model=TokenPair)
def refresh(body: RefreshRequest, services: ServicesDep) -> TokenPair:
    return accounts.refresh(services.owner, services.settings, body.refresh_token)


@router.post("/auth/logout", status_code=204)
def logout(who: CurrentUser, services: ServicesDep) -> None:
    accounts.logout(services.owner, who)


@router.get("/auth/me", response_model=UserPublic)
def me(who: CurrentUser, services: ServicesDep) -> UserPublic:
    with services.owner.connect() as conn:
        account = accounts.account(conn, user_id=who.user_id)
    assert account is not None  # principal_for checked it exists
    return account.public()


@router.get("/devices", response_model=list[DevicePublic])
def devices(who: CurrentUser, services: ServicesDep) -> list[DevicePublic]:
    return accounts.list_devices(services.owner, who)


@router.post("/devices/{device_id}/revoke", response_model=DevicePublic)
def revoke(device_id: uuid.UUID, who: CurrentUser, services: ServicesDep) -> DevicePublic:
    return accounts.revoke_device(services.owner, who, device_id)
