"""An order's results: sent → resulted → reviewed.

The care team enters what comes back (a value with its unit and reference range, or a free-text
report); a value outside the range is flagged, and an abnormal one alerts the ordering doctor
(app/alert_rules.py). The ordering doctor reviews the results and signs them off, which resolves
those alerts. Results are checked whole before anything is kept: a numeric value without its unit,
a range upside down, a result with neither value nor report, refuses the whole entry.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import alert_rules
from app.services import audit
from app.services.roles import require_role
from clinicdesk.errors import NotFoundError, PermissionDeniedError, ValidationError
from models import Alert, Order, OrderItem, User, utcnow
from models.enums import AlertStatus, OrderStatus, OrderType, ResultFlag, Role
from models.results import OrderResult

OS = OrderStatus
_NUMBER = re.compile(r"^[<>]?\s*-?\d+(?:\.\d+)?$")
RESULTS_DUE = (OS.SIGNED, OS.SENT, OS.RESULTED)


@dataclass(frozen=True)
class ResultInput:
    name: str
    value: str | None = None
    unit: str | None = None
    reference_low: float | None = None
    reference_high: float | None = None
    #: the lab's own flag, when it gave one (critical is never computed: the lab says so)
    flag: ResultFlag | None = None
    code: str | None = None
    report: str | None = None
    resulted_at: datetime | None = None


@dataclass(frozen=True)
class ResultRecord:
    id: uuid.UUID
    order_id: uuid.UUID
    name: str
    code: str | None
    value: str | None
    unit: str | None
    reference_low: float | None
    reference_high: float | None
    flag: ResultFlag
    report: str | None
    resulted_at: datetime

    @property
    def reference(self) -> str:
        low, high = self.reference_low, self.reference_high
        if low is None and high is None:
            return ""
        if low is None:
            return f"≤ {high:g}"
        if high is None:
            return f"≥ {low:g}"
        return f"{low:g}–{high:g}"


@dataclass(frozen=True)
class OrderResults:
    id: uuid.UUID
    patient_id: uuid.UUID
    encounter_id: uuid.UUID | None
    order_type: OrderType
    status: OrderStatus
    orderer_id: uuid.UUID
    orderer_name: str
    items: list[str]
    resulted_at: datetime | None
    reviewed_at: datetime | None
    reviewed_by: str | None
    review_note: str | None
    results: list[ResultRecord] = field(default_factory=list)

    @property
    def abnormal(self) -> bool:
        return any(r.flag is not ResultFlag.NORMAL for r in self.results)


def numeric(value: str | None) -> float | None:
    """The number a value states ("5.4", "<0.1"), None for words ("positive")."""
    text = (value or "").strip()
    if not _NUMBER.match(text):
        return None
    number = float(text.lstrip("<>").strip())
    return number if math.isfinite(number) else None


def flag_for(
    number: float | None, low: float | None, high: float | None, given: ResultFlag | None
) -> ResultFlag:
    if given is not None and given is not ResultFlag.NORMAL:
        return given
    if number is not None:
        if low is not None and number < low:
            return ResultFlag.LOW
        if high is not None and number > high:
            return ResultFlag.HIGH
    return given or ResultFlag.NORMAL


def check(entry: ResultInput) -> None:
    """One result as the rules want it, or a ValidationError that names the result, not its value."""
    name = entry.name.strip()
    if not name:
        raise ValidationError("each result needs the name of what was measured")
    value = (entry.value or "").strip()
    if not value and not (entry.report or "").strip():
        raise ValidationError(f"the result {name!r} needs a value or a report")
    if numeric(value) is not None and not (entry.unit or "").strip():
        raise ValidationError(
            f"the result {name!r} has a number but no unit (e.g. mmol/L); nothing was saved"
        )
    low, high = entry.reference_low, entry.reference_high
    if low is not None and high is not None and low > high:
        raise ValidationError(f"the reference range of {name!r} runs backwards ({low:g} to {high:g})")
    if len(value) > 64 or len((entry.unit or "").strip()) > 32 or len(name) > 200:
        raise ValidationError(f"the result {name!r} is too long for its fields")


def _order(session: Session, order_id: uuid.UUID) -> Order:
    order = session.get(Order, order_id)
    if order is None or order.deleted_at is not None:
        raise NotFoundError("no such order in this profile")
    return order


def record(row: OrderResult) -> ResultRecord:
    return ResultRecord(
        id=row.id,
        order_id=row.order_id,
        name=row.name,
        code=row.code,
        value=row.value,
        unit=row.unit,
        reference_low=row.reference_low,
        reference_high=row.reference_high,
        flag=row.flag,
        report=row.report,
        resulted_at=row.resulted_at,
    )


def order_results(session: Session, order_id: uuid.UUID) -> OrderResults:
    order = _order(session, order_id)
    orderer = session.get(User, order.orderer_id)
    reviewer = session.get(User, order.reviewed_by_id) if order.reviewed_by_id else None
    items = session.scalars(
        select(OrderItem.name).where(OrderItem.order_id == order.id, OrderItem.deleted_at.is_(None))
    ).all()
    rows = session.scalars(
        select(OrderResult)
        .where(OrderResult.order_id == order.id, OrderResult.deleted_at.is_(None))
        .order_by(OrderResult.resulted_at, OrderResult.created_at)
    ).all()
    return OrderResults(
        id=order.id,
        patient_id=order.patient_id,
        encounter_id=order.encounter_id,
        order_type=order.order_type,
        status=order.status,
        orderer_id=order.orderer_id,
        orderer_name=orderer.full_name if orderer else "",
        items=list(items),
        resulted_at=order.resulted_at,
        reviewed_at=order.reviewed_at,
        reviewed_by=reviewer.full_name if reviewer else None,
        review_note=order.review_note,
        results=[record(r) for r in rows],
    )


def mark_sent(session: Session, order_id: uuid.UUID) -> OrderResults:
    require_role(session, Role.DOCTOR, Role.NURSE, Role.ADMIN, action="send an order")
    order = _order(session, order_id)
    if order.status is not OS.SIGNED:
        raise ValidationError(f"a {order.status.value} order cannot be sent")
    order.status = OS.SENT
    audit.record(
        session, action="update", resource_type="orders", resource_id=order.id, new={"status": "sent"}
    )
    session.flush()
    return order_results(session, order.id)


def enter_results(session: Session, order_id: uuid.UUID, entries: Sequence[ResultInput]) -> OrderResults:
    """The results that came back, all or none; an abnormal one alerts the ordering doctor."""
    require_role(session, Role.DOCTOR, Role.NURSE, Role.ADMIN, action="enter results")
    order = _order(session, order_id)
    if order.status not in RESULTS_DUE:
        raise ValidationError(
            f"results are entered on a signed or sent order, not a {order.status.value} one"
        )
    if not entries:
        raise ValidationError("enter at least one result")
    for entry in entries:
        check(entry)
    now = utcnow()
    rows = []
    for entry in entries:
        number = numeric(entry.value)
        row = OrderResult(
            order_id=order.id,
            patient_id=order.patient_id,
            code=(entry.code or "").strip() or None,
            name=entry.name.strip(),
            value=(entry.value or "").strip() or None,
            numeric=number,
            unit=(entry.unit or "").strip() or None,
            reference_low=entry.reference_low,
            reference_high=entry.reference_high,
            flag=flag_for(number, entry.reference_low, entry.reference_high, entry.flag),
            report=(entry.report or "").strip() or None,
            resulted_at=entry.resulted_at or now,
            entered_by_id=audit.actor_of(session),
        )
        session.add(row)
        rows.append(row)
    old = order.status
    order.status = OS.RESULTED
    order.resulted_at = order.resulted_at or now
    session.flush()
    audit.record(
        session,
        action="update",
        resource_type="orders",
        resource_id=order.id,
        old={"status": old.value},
        new={"status": "resulted", "results": len(rows)},
    )
    for row in rows:
        alert_rules.check_result(session, row)
    return order_results(session, order.id)


def review(session: Session, order_id: uuid.UUID, *, note: str | None = None) -> OrderResults:
    """The ordering doctor signs the results off; the alerts they raised for that doctor resolve."""
    user = require_role(session, Role.DOCTOR, Role.ADMIN, action="review results")
    order = _order(session, order_id)
    if user.role is Role.DOCTOR and order.orderer_id != user.id:
        raise PermissionDeniedError(
            "only the doctor who ordered it (or an administrator) reviews its results"
        )
    if order.status is not OS.RESULTED:
        raise ValidationError(f"only resulted orders are reviewed; this one is {order.status.value}")
    now = utcnow()
    order.status = OS.REVIEWED
    order.reviewed_at = now
    order.reviewed_by_id = user.id
    order.review_note = " ".join((note or "").split()) or None
    audit.record(
        session, action="sign", resource_type="orders", resource_id=order.id, new={"status": "reviewed"},
        reason=order.review_note,
    )  # fmt: skip
    result_ids = session.scalars(select(OrderResult.id).where(OrderResult.order_id == order.id)).all()
    if result_ids:
        for alert in session.scalars(
            select(Alert).where(
                Alert.source == "order_results",
                Alert.source_id.in_(result_ids),
                Alert.recipient_id == user.id,
                Alert.status != AlertStatus.RESOLVED,
            )
        ):
            alert.status = AlertStatus.RESOLVED
            alert.resolved_at = now
            alert.resolved_by_id = user.id
            alert.resolution = "results reviewed"
            alert.read, alert.read_at = True, alert.read_at or now
    session.flush()
    return order_results(session, order.id)


def patient_results(session: Session, patient_id: uuid.UUID, *, limit: int = 50) -> list[ResultRecord]:
    """The chart's results, newest first."""
    rows = session.scalars(
        select(OrderResult)
        .where(OrderResult.patient_id == patient_id, OrderResult.deleted_at.is_(None))
        .order_by(OrderResult.resulted_at.desc())
        .limit(limit)
    ).all()
    return [record(r) for r in rows]
