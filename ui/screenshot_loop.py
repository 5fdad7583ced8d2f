"""The clinical loop's screenshots (``clinicdesk screenshot --view messages|safety|results|documents``):
each sets its scene up with the app's own operations on the screenshot's throw-away profile (a
patient's penicillin allergy, a prescription, a resulted order, documents, a conversation), then
shows it in the real window and gives back the widget to grab: the window, or the dialog on it."""

from __future__ import annotations

import struct
import uuid
import zlib
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from app.ops import messages as message_ops
from app.ops import orders as order_ops
from app.ops import results as result_ops
from app.ops import schedule as schedule_ops
from app.ops.media import attach_bytes
from app.services import messages as message_service
from app.services.orders import OrderItemInput, PrescriptionItemInput
from app.services.results import ResultInput
from clinicdesk.errors import NotFoundError
from models import Patient
from models.enums import DocumentCategory, OrderType, Role


def open_first_visit(window: Any, schedule: Any, waiter: type, *, begun: bool = False) -> Any:
    """Opens the encounter of the day's first open appointment (with ``begun``, one already checked in
    or in progress counts as open too), as a doctor does from the schedule."""
    from models.enums import AppointmentStatus as S

    open_ = {S.SCHEDULED, S.CONFIRMED} | ({S.CHECKED_IN, S.IN_PROGRESS} if begun else set())
    entry = next((e for e in schedule.entries if e.kind == "appointment" and e.status in open_), None)
    if entry is None:
        raise NotFoundError("the day has no open appointment to open an encounter for; choose --date")
    opened = waiter()
    window.encounter.opened.connect(opened.done)
    window.encounter.failed.connect(opened.fail)
    window.schedule.select_appointment(entry.appointment_id)
    return opened.wait(window.schedule.request_encounter)


def _dialog_of(action: Any, dialog: Any, window: Any, waiter: type) -> QWidget:
    """Triggers ``action`` and, once its dialog has had time to open and fill, gives it back."""
    shown = waiter()
    action.trigger()
    shown.timer.singleShot(2500, shown.done)
    shown.wait()
    found: QWidget = dialog() or window
    return found


def _choose(window: Any, kind: str) -> None:
    listing = window.encounter.orders_list
    for row in range(listing.count()):
        data = listing.item(row).data(Qt.ItemDataRole.UserRole)
        if isinstance(data, tuple) and data[0] == kind:
            listing.setCurrentRow(row)


def _reload_orders(window: Any, waiter: type) -> None:
    reloaded = waiter()
    window.encounter.orders_changed.connect(reloaded.done)
    reloaded.wait(window.encounter.reload_orders)


def safety(window: Any, schedule: Any, waiter: type) -> QWidget:
    """The safety checks holding a prescription: an allergy and a dose outside the usual range."""
    bundle = open_first_visit(window, schedule, waiter)
    ws = window.workspace
    with ws.store.session() as s:
        patient = s.get(Patient, bundle.chart.patient.id)
        patient.allergies = [{"substance": "Penicillin", "reaction": "hives", "severity": "moderate"}]
    order_ops.create_prescription(
        ws,
        bundle.encounter.id,
        [PrescriptionItemInput("Amoxicillin", "1500 mg", "three times daily", "7 days")],
    )
    _reload_orders(window, waiter)
    _choose(window, "rx")
    return _dialog_of(window.encounter.sign_order_action, lambda: window.encounter.dialog, window, waiter)


def results(window: Any, schedule: Any, waiter: type) -> QWidget:
    """An abnormal basic metabolic panel, as the ordering doctor reviews it."""
    bundle = open_first_visit(window, schedule, waiter)
    ws = window.workspace
    order = order_ops.create_order(
        ws, bundle.encounter.id, OrderType.LAB, [OrderItemInput("Basic metabolic panel", "24323-8")]
    ).value
    order_ops.sign_order(ws, order.id)
    result_ops.enter(
        ws,
        order.id,
        [
            ResultInput("Sodium", "138", "mmol/L", 135, 145),
            ResultInput("Potassium", "6.1", "mmol/L", 3.5, 5.1),
            ResultInput("Creatinine", "142", "µmol/L", 60, 110),
            ResultInput("Glucose", "5.6", "mmol/L", 3.9, 7.8),
            ResultInput("Comment", report="Sample slightly haemolysed; repeat potassium advised."),
        ],
    )
    _reload_orders(window, waiter)
    _choose(window, "order")
    return _dialog_of(window.clinical.review_action, lambda: window.clinical.dialog, window, waiter)


def _png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(
        b"\x00" + b"".join(bytes((200, 120 + (x * 60) // width, 110)) for x in range(width))
        for _ in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def documents(window: Any, schedule: Any, waiter: type) -> QWidget:
    """A chart's documents: a wound photo, a referral letter, a printed prescription."""
    from ui.print_pdf import render_pdf

    bundle = open_first_visit(window, schedule, waiter)
    ws, patient_id = window.workspace, bundle.chart.patient.id
    pdf = render_pdf(_letter(bundle.chart.patient.full_name))
    for data, title, category in (
        (_png(320, 200), "Wound photo, left shin", DocumentCategory.SCAN),
        (pdf, "Referral letter from cardiology", DocumentCategory.REFERRAL),
    ):
        attach_bytes(
            ws,
            patient_id,
            data,
            title=title,
            filename=f"{title}.{'png' if category is DocumentCategory.SCAN else 'pdf'}",
            category=category,
            encounter_id=bundle.encounter.id,
        )
    return _dialog_of(window.clinical.documents_action, lambda: window.clinical.dialog, window, waiter)


def _letter(name: str) -> Any:
    from app.printing import STYLE, PrintJob

    html = (
        f"<html><head>{STYLE}</head><body><h1>Harbour Cardiology</h1><p>Re: {name}</p>"
        "<p>Thank you for seeing this patient with exertional chest tightness.</p></body></html>"
    )
    return PrintJob("Referral letter", html, "documents", uuid.uuid4(), uuid.uuid4())


def messages(window: Any, waiter: type) -> QWidget:
    """A conversation about a patient between the doctor and a nurse, with its receipts."""
    ws = window.workspace
    staff = schedule_ops.staff(ws)
    nurse = next((p for p in staff if p.role is Role.NURSE), None)
    if nurse is None:
        raise NotFoundError("the profile has no nurse to write to")
    day = window.schedule.schedule
    patient_id = next((e.patient_id for e in day.entries if e.patient_id is not None), None) if day else None
    first = message_ops.send(
        ws, recipient_id=nurse.id, subject="Blood pressure recheck", patient_id=patient_id,
        body="Could you recheck her blood pressure before she leaves? It was 168/98 on arrival.",
    ).value  # fmt: skip
    with ws.store.session(actor_id=nurse.id) as session:  # the nurse read it and answered
        message_service.read_thread(session, first.thread_id)
        message_service.send(
            session, reply_to=first.id, body="Rechecked at 11:40: 142/88, sitting, left arm."
        )
    message_ops.send(
        ws, recipient_id=nurse.id, subject="Lab requisition",
        body="The fasting lipid panel requisition for tomorrow is on the printer.",
    )  # fmt: skip
    loaded = waiter()
    window.messages.loaded.connect(loaded.done)
    loaded.wait(lambda: window.show_page(window.messages))
    shown = waiter()
    window.messages.shown_thread.connect(shown.done)
    shown.wait(lambda: window.messages.open_thread(first.thread_id))
    grabbed: QWidget = window
    return grabbed
