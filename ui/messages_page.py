"""Staff messages (seed 001): the conversations on the left, the chosen one on the right with its
read receipts, a reply box under it, and "New message…" about a patient or in general.

Writing works offline: a message waits in the outbox and reaches its recipient at the next sync of
both workstations. Opening a conversation marks what was sent to the reader as read; the sender
sees "read" once that has synced back. The unread count goes to the navigation (``counted``).
"""

from __future__ import annotations

import uuid
from html import escape
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from app.ops import messages as message_ops
from app.ops import schedule as schedule_ops
from app.ops.changes import Changes
from app.services.messages import MessageRecord, ThreadSummary
from app.services.records import PatientSummary, UserSummary
from clinicdesk.errors import ClinicDeskError
from ui.actions import Menu
from ui.app import error_label, set_accessible, show_error_in
from ui.clinical_dialogs import FormDialog
from ui.page import Page, PageContext


class NewMessageDialog(FormDialog):
    def __init__(
        self, staff: list[UserSummary], *, me: uuid.UUID, patient: PatientSummary | None,
        parent: QWidget | None = None,
    ) -> None:  # fmt: skip
        super().__init__("New message", "&Send", parent)
        self.resize(560, 380)
        self.recipient = QComboBox()
        set_accessible(self.recipient, "Recipient")
        for person in staff:
            if person.id != me:
                self.recipient.addItem(f"{person.full_name} ({person.role.value})", str(person.id))
        self.patient = patient
        self.about = QCheckBox(
            f"About {patient.full_name} ({patient.mrn})" if patient else "About no patient"
        )
        self.about.setChecked(patient is not None)
        self.about.setEnabled(patient is not None)
        set_accessible(self.about, "About the patient in view")
        self.subject = QLineEdit()
        set_accessible(self.subject, "Subject")
        self.body = QPlainTextEdit()
        self.body.setTabChangesFocus(True)
        set_accessible(self.body, "Message")
        form = QFormLayout()
        form.addRow("&To:", self.recipient)
        form.addRow("", self.about)
        form.addRow("S&ubject:", self.subject)
        form.addRow("&Message:", self.body)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.recipient.setFocus()

    def values(self) -> dict[str, Any]:
        return {
            "recipient_id": uuid.UUID(str(self.recipient.currentData())),
            "subject": self.subject.text().strip() or None,
            "body": self.body.toPlainText().strip(),
            "patient_id": self.patient.id if self.patient is not None and self.about.isChecked() else None,
        }

    def problem(self) -> str | None:
        if self.recipient.currentData() is None:
            return "choose who the message is for"
        return None if self.body.toPlainText().strip() else "a message needs some text"


def conversation_html(messages: list[MessageRecord], tz: Any) -> str:
    parts = []
    for m in messages:
        when = f"{m.sent_at.astimezone(tz):%a %d %b %H:%M}"
        if m.mine:
            receipt = f"read {m.read_at.astimezone(tz):%a %H:%M}" if m.read_at else "not read yet"
            head = f"<b>You</b> to {escape(m.recipient_name)}, {when} · <i>{receipt}</i>"
            colour = "#eef5ff"
        else:
            head = f"<b>{escape(m.sender_name)}</b>, {when}"
            colour = "#f5f5f5"
        body = escape(m.body).replace("\n", "<br/>")
        parts.append(
            f"<table width='100%' cellpadding='6' style='background:{colour}; margin:4px 0'>"
            f"<tr><td>{head}<br/>{body}</td></tr></table>"
        )
    return "".join(parts)


class MessagesPage(Page):
    """``counted(unread)`` after each load; ``loaded(list[ThreadSummary])``; ``sent(MessageRecord)``."""

    reload_on_show = True

    counted = Signal(int)
    loaded = Signal(list)
    shown_thread = Signal(list)
    sent = Signal(MessageRecord)
    failed = Signal(ClinicDeskError)

    def __init__(
        self, ctx: PageContext, *, patient_in_view: Any = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(ctx, parent)
        self._patient_in_view = patient_in_view or (lambda: None)
        self._generation = 0
        self.threads: list[ThreadSummary] = []
        self.current: uuid.UUID | None = None
        self.staff: list[UserSummary] = []
        self.dialog: NewMessageDialog | None = None
        title = QLabel("Messages")
        title.setObjectName("viewTitle")
        self.info = QLabel("")
        self.info.setObjectName("dayInfo")
        self.list = QListWidget()
        set_accessible(self.list, "Conversations", "Latest first; unread ones in bold")
        self.list.currentItemChanged.connect(lambda item, _prev: self._chosen(item))
        self.view = QTextBrowser()
        set_accessible(
            self.view, "Conversation", "The messages of the chosen conversation, with read receipts"
        )
        self.reply = QPlainTextEdit()
        self.reply.setFixedHeight(70)
        self.reply.setTabChangesFocus(True)
        self.reply.setPlaceholderText("Write a reply")
        set_accessible(self.reply, "Reply")
        self.reply_button = QPushButton("Send &reply")
        set_accessible(self.reply_button, "Send reply")
        self.reply_button.clicked.connect(self.send_reply)
        self.error = error_label()
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.view, 1)
        row = QHBoxLayout()
        row.addWidget(self.reply, 1)
        row.addWidget(self.reply_button)
        right_layout.addLayout(row)
        right_layout.addWidget(self.error)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.list)
        splitter.addWidget(right)
        splitter.setSizes([380, 620])
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(self.info)
        layout.addWidget(splitter, 1)
        self.new_action = ctx.actions.create(
            "New &message…",
            name="new_message",
            menu=Menu.WORK,
            group=2,
            shortcut="F11",
            slot=self.new_message,
        )
        ctx.actions.get_routed("refresh").handle(self, self.reload)

    def update_actions(self) -> None:
        self.ctx.actions.enable(self.new_action, True)
        self.reply_button.setEnabled(self.current is not None)

    def on_changes(self, changes: Changes, initiator: object) -> None:
        if initiator is self:
            return
        if changes.messages or changes.external:  # the count is shown in the navigation: always
            self.reload()

    def reload(self) -> None:
        self._generation += 1
        generation = self._generation
        self.ctx.ops.query(message_ops.threads, label="loading messages").success(
            lambda threads: self._show(generation, threads)
        ).failure(self._fail).run()

    def _show(self, generation: int, threads: list[ThreadSummary]) -> None:
        if generation != self._generation:
            return
        self.threads = list(threads)
        wanted = self.current
        self.list.blockSignals(True)
        self.list.clear()
        for thread in threads:
            about = f" · {thread.patient_name}" if thread.patient_name else ""
            badge = f"  [{thread.unread} unread]" if thread.unread else ""
            item = QListWidgetItem(f"{thread.subject} — {thread.with_name}{about}{badge}\n{thread.last_text}")
            item.setData(Qt.ItemDataRole.UserRole, thread.thread_id)
            if thread.unread:
                font = item.font()
                font.setBold(True)
                item.setFont(font)
            self.list.addItem(item)
            if thread.thread_id == wanted:
                self.list.setCurrentItem(item)
        self.list.blockSignals(False)
        unread = sum(t.unread for t in threads)
        self.info.setText(
            f"{len(threads)} conversation(s), {unread} unread" if threads else "No messages yet (F11)."
        )
        self.update_actions()
        self.loaded.emit(self.threads)
        self.counted.emit(unread)
        if wanted is not None and self.isVisible():
            self.open_thread(wanted)

    def _fail(self, error: ClinicDeskError) -> None:
        show_error_in(self.error, error)
        self.failed.emit(error)

    def _chosen(self, item: QListWidgetItem | None) -> None:
        thread_id = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        if isinstance(thread_id, uuid.UUID):
            self.open_thread(thread_id)

    def open_thread(self, thread_id: uuid.UUID) -> None:
        """Shows the conversation; what was sent to the reader becomes read (the receipt)."""
        self.current = thread_id
        self.update_actions()
        for row in range(self.list.count()):
            if self.list.item(row).data(Qt.ItemDataRole.UserRole) == thread_id:
                self.list.blockSignals(True)
                self.list.setCurrentRow(row)
                self.list.blockSignals(False)
        self.ctx.ops.op(
            lambda ws: message_ops.read_thread(ws, thread_id),
            label="opening the conversation",
            initiator=self,
        ).success(self._shown).failure(self._fail).run()

    def _shown(self, messages: list[MessageRecord]) -> None:
        self.view.setHtml(conversation_html(messages, self.workspace.practice_tz))
        bar = self.view.verticalScrollBar()
        bar.setValue(bar.maximum())
        unread_before = any(t.thread_id == self.current and t.unread for t in self.threads)
        self.shown_thread.emit(messages)
        if unread_before:
            self.reload()

    def send_reply(self) -> None:
        text = self.reply.toPlainText().strip()
        thread = next((t for t in self.threads if t.thread_id == self.current), None)
        if thread is None or not text:
            self._fail(ClinicDeskError("write the reply first"))
            return
        thread_id = thread.thread_id
        self.error.setVisible(False)
        self.ctx.ops.op(
            # the thread's id is its first message's: a reply to it goes to the other participant
            lambda ws: message_ops.send(ws, reply_to=thread_id, body=text),
            label="sending the reply",
            initiator=self,
        ).success(self._replied).failure(self._fail).run()

    def _replied(self, message: MessageRecord) -> None:
        self.reply.clear()
        self.sent.emit(message)
        self.status_message.emit("Reply saved; it goes out with the next sync", 5000)
        self.reload()

    def new_message(self) -> None:
        self.show_requested.emit()
        if not self.staff:
            self.ctx.ops.query(schedule_ops.staff, label="loading staff").success(
                self._staff_then_write
            ).run()
            return
        self._write()

    def _staff_then_write(self, staff: list[UserSummary]) -> None:
        self.staff = list(staff)
        self._write()

    def _write(self) -> None:
        dialog = NewMessageDialog(
            self.staff, me=self.workspace.user.id, patient=self._patient_in_view(), parent=self
        )

        def submit() -> None:
            values = dialog.values()
            self.ctx.ops.op(
                lambda ws: message_ops.send(ws, **values), label="sending the message", initiator=self
            ).success(dialog.closing(self._written)).failure(dialog.show_error).run()

        dialog.on_submit = submit
        dialog.finished.connect(dialog.deleteLater)
        self.dialog = dialog
        dialog.open()

    def _written(self, message: MessageRecord) -> None:
        self.current = message.thread_id
        self._replied(message)
