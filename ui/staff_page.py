"""Staff (administrators): the practice's accounts, and what an administrator does with them.

Editing a staff member's details, changing their role, deactivating or reactivating them are
operations on the store (app.ops.staff), offline first, synced and checked again by the server's
policy. A new account, a password reset and a user's devices need the sync server
(app.services.staff through the SyncService's connection) and run on the worker; without a network
they say so. The page is read-only for everyone but an administrator.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.ops import staff as staff_ops
from app.ops.changes import Changes
from app.services import staff
from app.services.staff import NewAccount, StaffDetails, StaffMember
from app.sync_service import SyncService
from clinicdesk.errors import ClinicDeskError, SyncError
from models.enums import Role
from ui.actions import Menu
from ui.app import error_label, set_accessible, show_error_in
from ui.page import Page, PageContext
from ui.table_model import ListTableModel, list_table, selected_row
from ui.worker import QueryOp

if TYPE_CHECKING:  # the protocol's pydantic models load when the page first asks the server
    from sync.protocol import DevicePublic, UserPublic

ROLES = (Role.DOCTOR, Role.NURSE, Role.RECEPTIONIST, Role.ADMIN)


class StaffModel(ListTableModel[StaffMember]):
    COLUMNS = ("Name", "Username", "Role", "Status", "Specialty", "Credentials", "Licence", "Ext.")

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        m = self.row_item(index.row())
        if m is None or role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return None
        return (
            m.full_name, m.username, m.role.value, "active" if m.active else "deactivated", m.specialty or "",
            m.credentials or "", m.license_number or "", m.phone_extension or "",
        )[index.column()]  # fmt: skip


class StaffDialog(QDialog):
    """A new account (username, role, first password and details) or an existing one's details and
    role. ``submitted`` carries (details, role, username, password) for the page to save."""

    def __init__(self, member: StaffMember | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New staff account" if member is None else f"Staff: {member.full_name}")
        self.setMinimumWidth(460)
        self.member = member
        self.username = QLineEdit(member.username if member else "")
        self.username.setEnabled(member is None)
        set_accessible(self.username, "Staff username")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        set_accessible(self.password, "First password", "At least 8 characters; the user changes it later")
        self.role = QComboBox()
        for role in ROLES:
            self.role.addItem(role.value.capitalize(), role.value)
        set_accessible(self.role, "Staff role")
        self.fields = {name: QLineEdit() for name in staff.DETAILS}
        for name, field in self.fields.items():
            set_accessible(field, f"Staff {staff.DETAILS[name][0]}")
            field.setMaxLength(staff.DETAILS[name][1])
            if member is not None:
                field.setText(getattr(member, name) or "")
        if member is not None:
            self.role.setCurrentIndex(self.role.findData(member.role.value))
        self.error = error_label()
        form = QFormLayout()
        form.addRow("&Username:", self.username)
        if member is None:
            form.addRow("First pass&word:", self.password)
        form.addRow("&Role:", self.role)
        form.addRow("&Name:", self.fields["full_name"])
        form.addRow("&Email:", self.fields["email"])
        form.addRow("&Credentials:", self.fields["credentials"])
        form.addRow("&Specialty:", self.fields["specialty"])
        form.addRow("&Licence number:", self.fields["license_number"])
        form.addRow("E&xtension:", self.fields["phone_extension"])
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.addButton(
            "Create &account" if member is None else "&Save", QDialogButtonBox.ButtonRole.AcceptRole
        )
        set_accessible(self.ok_button, "Save staff account")
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

    def details(self) -> StaffDetails:
        return StaffDetails(**{name: field.text() for name, field in self.fields.items()})

    def chosen_role(self) -> Role:
        return Role(str(self.role.currentData()))

    def show_error(self, error: ClinicDeskError) -> None:
        self.ok_button.setEnabled(True)
        show_error_in(self.error, error)


class DevicesDialog(QDialog):
    """A user's workstations, with "Sign out" for each (revoking the device ends its session)."""

    revoke_requested = Signal(uuid.UUID)

    def __init__(
        self, member: StaffMember, devices: list[DevicePublic], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Devices of {member.full_name}")
        self.setMinimumWidth(460)
        self.list = QListWidget()
        set_accessible(self.list, "Devices")
        self.revoke_button = QPushButton("&Sign this device out")
        set_accessible(self.revoke_button, "Revoke device")
        self.revoke_button.clicked.connect(self._revoke)
        self.error = error_label()
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.list)
        layout.addWidget(self.revoke_button)
        layout.addWidget(self.error)
        layout.addWidget(close)
        self.show_devices(devices)

    def show_devices(self, devices: list[DevicePublic]) -> None:
        self.list.clear()
        for device in devices:
            seen = f", last seen {device.last_seen_at:%Y-%m-%d %H:%M}" if device.last_seen_at else ""
            state = "signed out" if device.revoked else "signed in"
            item = QListWidgetItem(f"{device.name} — {state}{seen}")
            item.setData(Qt.ItemDataRole.UserRole, device)
            self.list.addItem(item)
        if not devices:
            self.list.addItem("No workstation has signed in with this account.")

    def _revoke(self) -> None:
        item = self.list.currentItem()
        device = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        from sync.protocol import DevicePublic

        if isinstance(device, DevicePublic) and not device.revoked:
            self.revoke_requested.emit(device.id)


class StaffPage(Page):
    """``changed`` fires after each change an administrator made (tests wait on it)."""

    loaded = Signal(list)
    changed = Signal(str)
    failed = Signal(ClinicDeskError)

    def __init__(self, ctx: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.sync: SyncService | None = None
        self.dialog: StaffDialog | None = None
        self.devices_dialog: DevicesDialog | None = None
        title = QLabel("Staff")
        title.setObjectName("viewTitle")
        self.info = QLabel("")
        self.info.setWordWrap(True)
        self.model = StaffModel(self)
        self.table = list_table("Staff", "The practice's staff accounts")
        self.table.setModel(self.model)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self.update_actions())
        self.table.activated.connect(lambda _i: self.edit())
        self.error = error_label()
        self.buttons: dict[str, QPushButton] = {}
        row = QHBoxLayout()
        for key, text, slot in (
            ("new", "&New account…", self.new_account),
            ("edit", "&Edit…", self.edit),
            ("active", "&Deactivate", self.toggle_active),
            ("password", "Reset &password…", self.reset_password),
            ("devices", "De&vices…", self.show_devices),
        ):
            button = QPushButton(text)
            set_accessible(button, text.replace("&", "").rstrip("…"))
            button.clicked.connect(slot)
            self.buttons[key] = button
            row.addWidget(button)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(self.info)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.error)
        layout.addLayout(row)
        self.new_action = ctx.actions.create(
            "New &staff account…", name="new_staff", menu=Menu.FILE, group=1, shortcut="Ctrl+U",
            slot=self._new_from_menu, icon_name="staff",
        )  # fmt: skip
        self.reload_on_show = True

    @property
    def is_admin(self) -> bool:
        return self.workspace.user.role is Role.ADMIN

    def reload(self) -> None:
        self.ctx.ops.query(staff_ops.members, label="reading the staff").success(self._show).run()

    def on_changes(self, changes: Changes, initiator: object) -> None:
        if changes.touches("staff"):
            self.reload_when_shown()

    def _show(self, members: list[StaffMember]) -> None:
        selected = self.selected()
        self.model.replace_rows(members)
        if selected is not None:
            for row, m in enumerate(members):
                if m.id == selected.id:
                    self.table.selectRow(row)
        self.info.setText(
            "New accounts, password resets and devices need the sync server; the rest works offline and "
            "syncs."
            if self.is_admin
            else "Only an administrator changes staff accounts."
        )
        self.update_actions()
        self.loaded.emit(members)

    def selected(self) -> StaffMember | None:
        row = selected_row(self.table)
        return self.model.row_item(row) if row is not None else None

    def select(self, username: str) -> bool:
        for row, member in enumerate(self.model.rows):
            if member.username == username:
                self.table.selectRow(row)
                return True
        return False

    def update_actions(self) -> None:
        member = self.selected()
        admin = self.is_admin and not self.ctx.actions.locked
        self.ctx.actions.enable(self.new_action, self.is_admin)
        self.buttons["new"].setEnabled(admin)
        for key in ("edit", "active", "password", "devices"):
            self.buttons[key].setEnabled(admin and member is not None)
        if member is not None:
            self.buttons["active"].setText("&Reactivate" if not member.active else "&Deactivate")

    # -- store changes ----------------------------------------------------------------------------

    def edit(self) -> None:
        member = self.selected()
        if member is None or not self.is_admin:
            return
        dialog = StaffDialog(member, self.window())
        dialog.ok_button.clicked.connect(lambda: self._save_edit(dialog, member))
        self._open(dialog)

    def _save_edit(self, dialog: StaffDialog, member: StaffMember) -> None:
        details, role = dialog.details(), dialog.chosen_role()
        dialog.ok_button.setEnabled(False)
        self.ctx.ops.op(
            lambda ws: staff_ops.update_member(ws, member.id, details, role),
            label="saving the staff record",
            initiator=self,
        ).success(lambda _m: self._done(dialog, f"Saved {member.username}")).failure(dialog.show_error).run()

    def toggle_active(self) -> None:
        member = self.selected()
        if member is None or not self.is_admin:
            return
        active = not member.active
        self.ctx.ops.op(
            lambda ws: staff_ops.set_active(ws, member.id, active),
            label="changing the account",
            initiator=self,
        ).success(
            lambda m: self.changed.emit(f"{m.username} is {'active again' if m.active else 'deactivated'}")
        ).failure(self._failed).run()

    # -- server changes ---------------------------------------------------------------------------

    def _new_from_menu(self) -> None:
        self.show_requested.emit()
        self.new_account()

    def new_account(self) -> None:
        if not self.is_admin:
            return
        dialog = StaffDialog(None, self.window())
        dialog.ok_button.clicked.connect(lambda: self._create(dialog))
        self._open(dialog)

    def _server(self) -> Any:
        sync = self.sync
        if sync is None or not sync.configured:
            raise SyncError("this needs the sync server: set its address in Settings and sign in")
        return sync

    def _create(self, dialog: StaffDialog) -> None:
        account = NewAccount(
            username=dialog.username.text().strip(),
            password=dialog.password.text(),
            role=dialog.chosen_role(),
            details=dialog.details(),
        )
        dialog.ok_button.setEnabled(False)

        def create() -> UserPublic:
            staff.check_new_account(account)
            sync = self._server()
            made = staff.create_account(sync.transport(), account)
            sync.sync_now()  # brings the new account's record to this workstation
            return made

        QueryOp(self.ctx.ops.runner, create, label="creating the staff account").success(
            lambda made: self._created(dialog, made)
        ).failure(dialog.show_error).run()

    def _created(self, dialog: StaffDialog, made: UserPublic) -> None:
        self.ctx.ops.announce(Changes.from_elsewhere(), self)
        self._done(dialog, f"Created the account {made.username}")

    def reset_password(self) -> None:
        member = self.selected()
        if member is None or not self.is_admin:
            return
        dialog = QDialog(self.window())
        dialog.setWindowTitle(f"Reset the password of {member.full_name}")
        field = QLineEdit()
        field.setEchoMode(QLineEdit.EchoMode.Password)
        set_accessible(field, "Temporary password", "The user must choose a new one when they next sign in")
        error = error_label()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        ok = buttons.addButton("&Reset password", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.rejected.connect(dialog.reject)
        layout = QVBoxLayout(dialog)
        layout.addWidget(QLabel("A temporary password. The user must choose their own at the next sign-in."))
        layout.addWidget(field)
        layout.addWidget(error)
        layout.addWidget(buttons)
        password_dialog = dialog

        def reset() -> UserPublic:
            return staff.reset_password(self._server().transport(), member.id, field.text())

        ok.clicked.connect(
            lambda: (
                QueryOp(self.ctx.ops.runner, reset, label="resetting the password")
                .success(lambda _u: self._done(password_dialog, f"Reset the password of {member.username}"))
                .failure(lambda e: show_error_in(error, e))
                .run()
            )
        )
        self._open(dialog)

    def show_devices(self) -> None:
        member = self.selected()
        if member is None or not self.is_admin:
            return
        QueryOp(
            self.ctx.ops.runner,
            lambda: self._server().transport().user_devices(member.id),
            label="listing devices",
        ).success(lambda devices: self._devices(member, devices)).failure(self._failed).run()

    def _devices(self, member: StaffMember, devices: list[DevicePublic]) -> None:
        dialog = DevicesDialog(member, devices, self.window())
        self.devices_dialog = dialog

        def revoke(device_id: uuid.UUID) -> list[DevicePublic]:
            transport = self._server().transport()
            transport.revoke_device(device_id)
            return list(transport.user_devices(member.id))

        dialog.revoke_requested.connect(
            lambda device_id: (
                QueryOp(self.ctx.ops.runner, lambda: revoke(device_id), label="signing a device out")
                .success(dialog.show_devices)
                .failure(lambda e: show_error_in(dialog.error, e))
                .run()
            )
        )
        dialog.finished.connect(lambda _r: setattr(self, "devices_dialog", None))
        dialog.open()

    # -- common -----------------------------------------------------------------------------------

    def _open(self, dialog: QDialog) -> None:
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        if isinstance(dialog, StaffDialog):
            self.dialog = dialog
            dialog.finished.connect(lambda _r: setattr(self, "dialog", None))
        dialog.open()

    def _done(self, dialog: QDialog, message: str) -> None:
        dialog.accept()
        self.error.setVisible(False)
        self.status_message.emit(message, 6000)
        self.reload()
        self.changed.emit(message)

    def _failed(self, error: ClinicDeskError) -> None:
        show_error_in(self.error, error)
        self.failed.emit(error)
