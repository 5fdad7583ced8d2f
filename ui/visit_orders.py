"""The visit's prescriptions and orders, beside its note: the list, a new prescription (offered the
note's medications) or order, and signing a draft. Each change is one operation; the list is read
again after it, and after another page's or a sync's changes to prescriptions or orders."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QWidget

from app.ops import orders as order_ops
from app.services.orders import OrderRecord, PrescriptionRecord
from clinicdesk.errors import ClinicDeskError
from ui.app import set_accessible
from ui.clinical_dialogs import FormDialog, OrderDialog, PrescriptionDialog
from ui.prescription_signing import sign_prescription
from ui.worker import Operations

OpenDialog = Callable[[FormDialog, Callable[[], None]], None]


class VisitOrders(QListWidget):
    """``changed`` after the list was read again."""

    changed = Signal()

    def __init__(
        self, ops: Operations, *, fail: Callable[[ClinicDeskError], None], open_dialog: OpenDialog,
        parent: QWidget | None = None,
    ) -> None:  # fmt: skip
        super().__init__(parent)
        set_accessible(self, "Prescriptions and orders", "This visit's prescriptions and orders")
        self.setMaximumHeight(150)
        self._ops = ops
        self._fail = fail
        self._open_dialog = open_dialog
        self.encounter_id: uuid.UUID | None = None
        self.prescriptions: list[PrescriptionRecord] = []
        self.orders: list[OrderRecord] = []

    def show_records(self, prescriptions: list[PrescriptionRecord], orders: list[OrderRecord]) -> None:
        self.prescriptions, self.orders = list(prescriptions), list(orders)
        self.clear()
        for rx in prescriptions:
            meds = ", ".join(
                f"{i['medication']} {i.get('dosage') or ''} {i.get('frequency') or ''}".strip()
                for i in rx.items
            )
            item = QListWidgetItem(f"℞ {rx.status.value.upper()}: {meds}")
            item.setData(Qt.ItemDataRole.UserRole, ("rx", rx.id))
            self.addItem(item)
        for order in orders:
            names = ", ".join(str(i["name"]) for i in order.items)
            item = QListWidgetItem(
                f"{order.order_type.value.capitalize()} order {order.status.value.upper()}: {names}"
            )
            item.setData(Qt.ItemDataRole.UserRole, ("order", order.id))
            self.addItem(item)
        if not prescriptions and not orders:
            self.addItem("No prescriptions or orders yet (Ctrl+Shift+P, Ctrl+Shift+O).")

    def reload(self) -> None:
        encounter_id = self.encounter_id
        if encounter_id is None:
            return
        self._ops.query(lambda ws: order_ops.of_encounter(ws, encounter_id), label="loading orders").success(
            self._reloaded
        ).failure(self._fail).run()

    def _reloaded(self, found: tuple[list[PrescriptionRecord], list[OrderRecord]]) -> None:
        self.show_records(*found)
        self.changed.emit()

    def _reload_after(self, _record: object) -> None:
        self.reload()

    def new_prescription(self, suggestions: list[dict[str, Any]]) -> None:
        encounter_id = self.encounter_id
        if encounter_id is None:
            return
        dialog = PrescriptionDialog(suggestions, self.window())

        def submit() -> None:
            items = dialog.items()
            self._ops.op(
                lambda ws: order_ops.create_prescription(ws, encounter_id, items),
                label="saving the prescription",
                initiator=self,
            ).success(dialog.closing(self._reload_after)).failure(dialog.show_error).run()

        self._open_dialog(dialog, submit)

    def new_order(self) -> None:
        encounter_id = self.encounter_id
        if encounter_id is None:
            return
        dialog = OrderDialog(self.window())

        def submit() -> None:
            kind, items, priority = dialog.order_type(), dialog.items(), dialog.priority.currentText()
            self._ops.op(
                lambda ws: order_ops.create_order(ws, encounter_id, kind, items, priority=priority),
                label="saving the order",
                initiator=self,
            ).success(dialog.closing(self._reload_after)).failure(dialog.show_error).run()

        self._open_dialog(dialog, submit)

    def sign_selected(self) -> None:
        """Signs the selected draft prescription or order (or the first draft when none is selected)."""
        chosen = self.currentItem()
        data = chosen.data(Qt.ItemDataRole.UserRole) if chosen is not None else None
        if data is None:
            drafts = [("rx", r.id) for r in self.prescriptions if r.status.value == "draft"] + [
                ("order", o.id) for o in self.orders if o.status.value == "draft"
            ]
            data = drafts[0] if drafts else None
        if data is None:
            return
        kind, record_id = data
        if kind == "rx":  # the safety checks first, shown to the doctor (ui/prescription_signing.py)
            sign_prescription(
                self._ops, record_id, parent=self.window(), open_dialog=self._open_dialog,
                done=self._reload_after, fail=self._fail, initiator=self,
            )  # fmt: skip
        else:
            self._ops.op(
                lambda ws: order_ops.sign_order(ws, record_id), label="signing", initiator=self
            ).success(self._reload_after).failure(self._fail).run()
