from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from server.api.deps import CurrentUser, ProtocolChecked, ServicesDep
from server.services import pull as pull_service
from server.services import push as push_service
from sync.protocol import (
    DEFAULT_PULL_PAGE,
    DEFAULT_WINDOW_DAYS,
    MAX_PULL_PAGE,
    MAX_WINDOW_DAYS,
    BootstrapResponse,
    FetchRequest,
    FetchResponse,
    PullResponse,
    PushRequest,
    PushResponse,
)

router = APIRouter(prefix="/sync", tags=["sync"])


@router.post("/push", response_model=PushResponse)
def push(body: PushRequest, who: CurrentUser, services: ServicesDep, _: ProtocolChecked) -> PushResponse:
    """Apply outbox entries in one transaction; answer per entry. A replayed entry gets its first answer."""
    return push_service.push(services.engine, services.docs, who, body.changes)


@router.get("/pull", response_model=PullResponse)
def pull(
    who: CurrentUser,
    services: ServicesDep,
    _: ProtocolChecked,
    cursor: Annotated[int, Query(ge=0, le=2**62)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PULL_PAGE)] = DEFAULT_PULL_PAGE,
) -> PullResponse:
    """Records changed after ``cursor`` (a USN), oldest first; continue with the returned cursor."""
    return pull_service.pull(services.engine, services.docs, who, cursor=cursor, limit=limit)


@router.get("/bootstrap", response_model=BootstrapResponse)
def bootstrap(
    who: CurrentUser,
    services: ServicesDep,
    _: ProtocolChecked,
    start: date | None = None,
    end: date | None = None,
) -> BootstrapResponse:
    """First sign-in on a workstation: the schedule window (by default DEFAULT_WINDOW_DAYS around today)."""
    today = datetime.now(UTC).date()
    before, after = DEFAULT_WINDOW_DAYS
    start = start or today - timedelta(days=before)
    end = end or today + timedelta(days=after)
    if end < start or (end - start).days > MAX_WINDOW_DAYS:
        raise HTTPException(422, f"the window must run forwards and span at most {MAX_WINDOW_DAYS} days")
    return pull_service.bootstrap(services.engine, services.docs, who, start=start, end=end)


@router.post("/fetch", response_model=FetchResponse)
def fetch(body: FetchRequest, who: CurrentUser, services: ServicesDep, _: ProtocolChecked) -> FetchResponse:
    """Records a client lacks because something it pulled refers to them."""
    return FetchResponse(records=pull_service.fetch(services.engine, services.docs, who, body.refs))
