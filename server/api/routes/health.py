from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select

from server.api.deps import ServicesDep
from server.tables import usn_counter
from sync.protocol import PROTOCOL_VERSION, Health

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health)
def health(services: ServicesDep) -> Health:
    """Liveness for load balancers; also tells a client which protocol the server speaks."""
    with services.engine.connect() as conn:
        usn = int(conn.execute(select(usn_counter.c.value).where(usn_counter.c.id == 1)).scalar_one())
    return Health(status="ok", protocol=PROTOCOL_VERSION, server_usn=usn)
