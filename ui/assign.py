"""Giving a task to someone: a person, or everyone of a role ("any nurse"). The box that chooses, the
dialog that reassigns a task, and the one that makes a follow-up task from an alert."""

from __future__ import annotations

import uuid
from typing import Any

from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from app.services.records import UserSummary
from app.services.work import AlertRecord
from models.enums import Role, TaskPriority
from ui.app import set_accessible
from ui.clinical_dialogs import FormDialog
from ui.table_model import enum_words

ROLES = (Role.NURSE, Role.DOCTOR, Role.RECEPTIONIST, Role.ADMIN)


class AssigneeBox(QComboBox):
    """Roles first ("Any nurse"), then each active colleague."""

    def __init__(self, staff: list[UserSummary], *, current: uuid.UUID | None = None) -> None:
        super().__init__()
        set_accessible(self, "Assign to", "A colleague, or everyone of a role")
        for role in ROLES:
            self.addItem(f"Any {role.value}", ("role", role.value))
        for person in staff:
            self.addItem(f"{person.full_name} ({person.role.value})", ("user", str(person.id)))
        if current is not None:
            self.setCurrentIndex(max(0, self.findData(("user", str(current)))))

    def choice(self) -> tuple[uuid.UUID | None, Role | None]:
        kind, value = self.currentData()
        return (uuid.UUID(value), None) if kind == "user" else (None, Role(value))


class ReassignDialog(FormDialog):
    def __init__(self, staff: list[UserSummary], *, title: str, parent: QWidget | None = None) -> None:
        super().__init__("Reassign task", "&Reassign", parent)
        self.assignee = AssigneeBox(staff)
        form = QFormLayout()
        form.addRow(QLabel(title))
        form.addRow("&Give to:", self.assignee)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.assignee.setFocus()


class TaskFromAlertDialog(FormDialog):
    """A follow-up task for the alert's patient (the alert is acknowledged with it)."""

    def __init__(self, alert: AlertRecord, staff: list[UserSummary], parent: QWidget | None = None) -> None:
        super().__init__("New task from alert", "&Create task", parent)
        self.title = QLineEdit(f"Follow up: {alert.title}"[:200])
        set_accessible(self.title, "Task title")
        self.assignee = AssigneeBox(staff)
        self.priority = QComboBox()
        set_accessible(self.priority, "Task priority")
        for p in TaskPriority:
            self.priority.addItem(enum_words(p), p.value)
        self.priority.setCurrentIndex(self.priority.findData(TaskPriority.HIGH.value))
        self.description = QLineEdit(alert.message or "")
        set_accessible(self.description, "Task description")
        form = QFormLayout()
        form.addRow("Patient:", QLabel(alert.patient_name or "none"))
        form.addRow("&Title:", self.title)
        form.addRow("&Give to:", self.assignee)
        form.addRow("&Priority:", self.priority)
        form.addRow("D&escription:", self.description)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.title.setFocus()

    def problem(self) -> str | None:
        return None if self.title.text().strip() else "a task needs a title"

    def values(self) -> dict[str, Any]:
        person, role = self.assignee.choice()
        return {
            "title": self.title.text().strip(),
            "assignee_id": person,
            "assignee_role": role,
            "priority": TaskPriority(str(self.priority.currentData())),
            "description": self.description.text().strip() or None,
        }
