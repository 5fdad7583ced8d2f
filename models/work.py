"""Nurses' and clinicians' work items: tasks, alerts and messages."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Synced, str_enum
from models.enums import AlertSeverity, AlertStatus, AlertType, Role, TaskPriority, TaskStatus, TaskType


class Task(Synced, Base):
    __tablename__ = "tasks"
    __table_args__ = (Index("ix_tasks_assignee_status_due", "assignee_id", "status", "due_at"),)

    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text, default=None)
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), default=None)
    creator_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    team: Mapped[str | None] = mapped_column(String(64), default=None)
    patient_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("patients.id"), default=None)
    encounter_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("encounters.id"), default=None)
    due_at: Mapped[datetime | None] = mapped_column(default=None)
    priority: Mapped[TaskPriority] = mapped_column(str_enum(TaskPriority), default=TaskPriority.MEDIUM)
    status: Mapped[TaskStatus] = mapped_column(str_enum(TaskStatus), default=TaskStatus.PENDING)
    task_type: Mapped[TaskType] = mapped_column(str_enum(TaskType), default=TaskType.OTHER)
    completed_at: Mapped[datetime | None] = mapped_column(default=None)
    #: a task given to a role rather than a person (any nurse): ``assignee_id`` is then empty
    assignee_role: Mapped[Role | None] = mapped_column(str_enum(Role), default=None)
    #: the alert this task was made from (no reference: alerts are read by their recipient only)
    source_alert_id: Mapped[uuid.UUID | None] = mapped_column(default=None)


class Alert(Synced, Base):
    __tablename__ = "alerts"
    __table_args__ = (Index("ix_alerts_recipient_read", "recipient_id", "read"),)

    recipient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    patient_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("patients.id"), default=None)
    alert_type: Mapped[AlertType] = mapped_column(str_enum(AlertType))
    severity: Mapped[AlertSeverity] = mapped_column(str_enum(AlertSeverity), default=AlertSeverity.MEDIUM)
    title: Mapped[str] = mapped_column(String(200))
    message: Mapped[str | None] = mapped_column(Text, default=None)
    read: Mapped[bool] = mapped_column(Boolean, default=False)
    read_at: Mapped[datetime | None] = mapped_column(default=None)
    source: Mapped[str | None] = mapped_column(String(32), default=None)
    source_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    #: the rule that raised it (app/alert_rules.py), None for one made by hand
    rule: Mapped[str | None] = mapped_column(String(32), default=None)
    status: Mapped[AlertStatus] = mapped_column(str_enum(AlertStatus), default=AlertStatus.OPEN)
    acknowledged_at: Mapped[datetime | None] = mapped_column(default=None)
    acknowledged_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)
    resolved_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), default=None)
    resolution: Mapped[str | None] = mapped_column(Text, default=None)


class Message(Synced, Base):
    __tablename__ = "messages"

    sender_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    recipient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    patient_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("patients.id"), default=None)
    body: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime]
    read_at: Mapped[datetime | None] = mapped_column(default=None)
    #: the first message of the conversation (its own id for a new one); no reference, so a reply
    #: never needs a message its reader may not have
    thread_id: Mapped[uuid.UUID | None] = mapped_column(default=None, index=True)
    subject: Mapped[str | None] = mapped_column(String(200), default=None)
