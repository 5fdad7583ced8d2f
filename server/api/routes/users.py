from __future__ import annotations

import uuid

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool

from server.api.deps import CurrentUser, ServicesDep
from server.services import accounts, actions
from sync.protocol import ChangeResult, DeviceList, PasswordReset, UserCreate, UserPublic, UserUpdate

router = APIRouter(tags=["users"])


@router.post(
    "/users", response_model=UserPublic, status_code=201, responses={409: {"description": "Username taken"}}
)
async def create_user(body: UserCreate, who: CurrentUser, services: ServicesDep) -> UserPublic:
    """A staff account with a password, in the administrator's organisation."""
    return await run_in_threadpool(accounts.create_user, services.owner, who, body)


@router.patch(
    "/users/{user_id}",
    response_model=ChangeResult,
    responses={403: {"description": "The policy refuses it"}, 409: {"description": "Conflict"}},
)
def update_user(
    user_id: uuid.UUID, body: UserUpdate, who: CurrentUser, services: ServicesDep
) -> ChangeResult:
    """Change a staff account (an administrator; anyone else only their own preferences, through
    sync). A new role or a deactivation takes effect on the user's next request."""
    fields = body.model_dump(exclude_none=True)
    return actions.update_user(services.engine, services.docs, who, user_id, fields)


@router.post("/users/{user_id}/password", response_model=UserPublic)
async def reset_password(
    user_id: uuid.UUID, body: PasswordReset, who: CurrentUser, services: ServicesDep
) -> UserPublic:
    """An administrator's temporary password: the account's sessions end now, and its next sign-in
    must choose a new password (428 until it does)."""
    return await run_in_threadpool(accounts.reset_password, services.owner, who, user_id, body.password)


@router.get("/users/{user_id}/devices", response_model=DeviceList)
def user_devices(user_id: uuid.UUID, who: CurrentUser, services: ServicesDep) -> DeviceList:
    """One account's workstations (an administrator, or the account's own user)."""
    return DeviceList(devices=accounts.user_devices(services.owner, who, user_id))
