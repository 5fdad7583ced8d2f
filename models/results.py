"""Results of an order: what came back from the lab or imaging, one row per measured item."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Float, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Synced, str_enum
from models.enums import ResultFlag


class OrderResult(Synced, Base):
    """One result of an order: a value with its unit and reference range (``numeric`` holds the value
    as a number when it is one, so flags and alerts need not parse text), or a free-text report.
    ``patient_id`` is copied from the order by the server, so a chart finds results without the
    order; ``entered_by_id`` is whoever typed them in (set by the server)."""

    __tablename__ = "order_results"

    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id"), index=True)
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"), index=True)
    code: Mapped[str | None] = mapped_column(String(32), default=None)
    name: Mapped[str] = mapped_column(String(200))
    value: Mapped[str | None] = mapped_column(String(64), default=None)
    numeric: Mapped[float | None] = mapped_column(Float, default=None)
    unit: Mapped[str | None] = mapped_column(String(32), default=None)
    reference_low: Mapped[float | None] = mapped_column(Float, default=None)
    reference_high: Mapped[float | None] = mapped_column(Float, default=None)
    flag: Mapped[ResultFlag] = mapped_column(str_enum(ResultFlag), default=ResultFlag.NORMAL)
    report: Mapped[str | None] = mapped_column(Text, default=None)
    resulted_at: Mapped[datetime]
    entered_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), default=None)
