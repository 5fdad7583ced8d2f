from __future__ import annotations

from fastapi import APIRouter

from server.api.deps import CurrentUser, ServicesDep
from server.services import mrn
from sync.protocol import MrnBlock, MrnRequest

router = APIRouter(tags=["patients"])


@router.post("/patients/mrn-block", response_model=MrnBlock)
def reserve_mrns(body: MrnRequest, who: CurrentUser, services: ServicesDep) -> MrnBlock:
    """MRN numbers only this workstation will give out (it registers patients offline with them)."""
    return mrn.reserve(services.engine, who, body.count)
