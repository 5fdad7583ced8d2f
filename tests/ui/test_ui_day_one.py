"""Day one of a new practice, through the real windows and the real sync server.

An empty practice on the server (an organisation of its own with only its administrator, as
``clinicdesk-server --dev --no-demo`` or ``init`` leave it): the administrator's workstation is led
through the practice record and makes two staff accounts; the receptionist registers a patient
(and is warned of a likely duplicate), imports 200 patients from a CSV file, books a visit,
reschedules it and blocks a recurring lunch hour; then the doctor's workstation signs in and sees
all of it, and the administrator's finds the imported patients."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from PySide6.QtCore import QDate, Qt, QTime
from PySide6.QtWidgets import QWizard
from pytestqt.qtbot import QtBot
from sqlalchemy import Engine, text

from app.services.records import PatientSummary
from app.settings import WorkstationSettings
from app.sync_service import setup_workstation
from app.workspace import Workspace
from models.enums import AppointmentType, TimeBlockType
from server.db import make_engine
from server.services import accounts
from sync.protocol import PROTOCOL_HEADER, UserCreate
from tests.integration.conftest import SyncServer
from tests.support.day_one import patient_rows, write_csv
from tests.support.profiles import FAST_KDF
from tests.support.synced import sync_now
from tests.support.window import WAIT_MS, ui_settings
from ui.main_window import MainWindow
from ui.scheduling_dialogs import AppointmentDetailsDialog
from ui.worker import Runner
from ui.workstation_setup import WorkstationSetupDialog

pytest_plugins = ["tests.ui.sync_fixtures"]

SERVER_PASSWORD = "correct horse battery"
PROFILE_PASSWORD = "workstation-profile-pw"


@pytest.fixture
def empty_practice(sync_server: SyncServer) -> str:
    """An organisation with its administrator and nothing else; returns the admin's username."""
    engine = make_engine(sync_server.database_url, pool_size=1)
    try:
        org = accounts.create_organization(engine, f"Day One Clinic {uuid.uuid4().hex[:6]}")
        admin = f"admin-{uuid.uuid4().hex[:8]}"
        data = UserCreate(username=admin, password=SERVER_PASSWORD, full_name="Ada Min", role="admin")
        accounts.create_user(engine, None, data, organization_id=org)
    finally:
        engine.dispose()
    return admin


@pytest.fixture
def workstation(
    qtbot: QtBot, sync_server: SyncServer, tmp_path: Path
) -> Iterator[Callable[[str, str], MainWindow]]:
    """A workstation set up from the server for ``username`` (its first sync done), its window open."""
    windows: list[MainWindow] = []

    def open_for(username: str, password: str) -> MainWindow:
        made = setup_workstation(
            tmp_path / username, profile_password=PROFILE_PASSWORD, server_url=sync_server.url,
            username=username, server_password=password, device_name=f"{username}-pc", kdf=FAST_KDF,
        )  # fmt: skip
        settings = WorkstationSettings(**{**ui_settings().__dict__, "server_url": sync_server.url})
        window = MainWindow(
            Workspace.unlock(made.profile_dir, PROFILE_PASSWORD), settings=settings, sync_interval=3600
        )
        qtbot.addWidget(window)
        window.show()
        windows.append(window)
        return window

    yield open_for
    for window in windows:
        window.close()


def quiet(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.waitUntil(lambda: window.runner.pending == 0, timeout=WAIT_MS)


def set_up_the_practice(qtbot: QtBot, window: MainWindow) -> None:
    """The wizard opens by itself for the administrator of an empty practice."""
    qtbot.waitUntil(lambda: window.practice_page.wizard is not None, timeout=WAIT_MS)
    wizard = window.practice_page.wizard
    assert wizard is not None and window.pages.currentWidget() is window.practice_page
    form = wizard.form
    qtbot.keyClicks(form.name, "Harbour Street Clinic")
    form.timezone.setCurrentText("UTC")
    wizard.next()
    for key, box in form.open_days.items():  # open every day, so the test does not depend on today
        box.setChecked(True)
        form.opens[key].setTime(QTime(8, 0))
        form.closes[key].setTime(QTime(18, 0))
    for _ in range(3):
        wizard.next()
    qtbot.keyClicks(form.plan_name, "OHIP")
    qtbot.keyClick(form.plan_name, Qt.Key.Key_Return)
    with qtbot.waitSignal(window.practice_page.practice_saved, timeout=WAIT_MS) as saved:
        qtbot.mouseClick(wizard.button(QWizard.WizardButton.FinishButton), Qt.MouseButton.LeftButton)
    practice = saved.args[0]
    assert practice.name == "Harbour Street Clinic" and practice.insurance_plans == ("OHIP",)
    assert practice.appointment_types["routine"] == {
        "duration_minutes": 30,
        "min_lead_hours": 24,
        "max_lead_days": 60,
    }


def make_account(qtbot: QtBot, window: MainWindow, username: str, role: str, name: str) -> None:
    page = window.staff_page
    window.show_page(page)
    page.new_account()
    dialog = page.dialog
    assert dialog is not None
    qtbot.keyClicks(dialog.username, username)
    qtbot.keyClicks(dialog.password, SERVER_PASSWORD)
    dialog.role.setCurrentIndex(dialog.role.findData(role))
    qtbot.keyClicks(dialog.fields["full_name"], name)
    qtbot.keyClicks(dialog.fields["credentials"], "MD" if role == "doctor" else "")
    with qtbot.waitSignal(page.changed, timeout=WAIT_MS):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: any(m.username == username for m in page.model.rows), timeout=WAIT_MS)


def register(qtbot: QtBot, window: MainWindow, first: str, last: str, born: date, phone: str) -> Any:
    window.patients.tools.register()
    dialog = window.patients.tools.register_dialog
    assert dialog is not None
    form = dialog.form
    qtbot.keyClicks(form.first_name, first)
    qtbot.keyClicks(form.last_name, last)
    form.date_of_birth.setDate(QDate(born.year, born.month, born.day))
    qtbot.keyClicks(form.phone, phone)
    return dialog


def choose_doctor(qtbot: QtBot, window: MainWindow, name: str) -> None:
    box = window.schedule.clinician_box
    qtbot.waitUntil(lambda: box.findText(name, Qt.MatchFlag.MatchStartsWith) >= 0, timeout=WAIT_MS)
    box.setCurrentIndex(box.findText(name, Qt.MatchFlag.MatchStartsWith))


def test_day_one_from_an_empty_server_to_a_second_workstation(
    qtbot: QtBot,
    ui: Any,
    empty_practice: str,
    workstation: Callable[[str, str], MainWindow],
    server_db: Engine,
    tmp_path: Path,
) -> None:
    suffix = uuid.uuid4().hex[:6]
    desk_name, doctor_name = f"desk-{suffix}", f"dr-{suffix}"

    # The administrator: the practice, then two staff accounts, then the practice reaches the server.
    admin = workstation(empty_practice, SERVER_PASSWORD)
    set_up_the_practice(qtbot, admin)
    admin.show_page(admin.settings_page)
    qtbot.mouseClick(admin.settings_page.practice_button, Qt.MouseButton.LeftButton)
    assert admin.pages.currentWidget() is admin.practice_page, "Settings → Practice edits it later"
    make_account(qtbot, admin, desk_name, "receptionist", "Rae Desk")
    make_account(qtbot, admin, doctor_name, "doctor", "Dr Mei Lee")
    sync_now(qtbot, admin)

    # The receptionist's workstation starts from the server: practice, staff, MRN numbers.
    desk = workstation(desk_name, SERVER_PASSWORD)
    qtbot.waitUntil(lambda: desk.schedule.schedule is not None, timeout=WAIT_MS)
    desk.show_page(desk.patients)
    first = register(qtbot, desk, "Mara", "Quill", date(1979, 4, 2), "416 555 0101")
    with qtbot.waitSignal(first.registered, timeout=WAIT_MS) as registered:
        qtbot.mouseClick(first.register_button, Qt.MouseButton.LeftButton)
    mara: PatientSummary = registered.args[0]
    assert mara.mrn.startswith("MRN") and len(mara.mrn) == 10, "generated in the practice's format"

    again = register(qtbot, desk, "mara", "QUILL", date(1979, 4, 2), "")
    with qtbot.waitSignal(again.duplicates_shown, timeout=WAIT_MS) as shown:
        qtbot.mouseClick(again.register_button, Qt.MouseButton.LeftButton)
    assert [p.id for p in shown.args[0]] == [mara.id]
    assert again.duplicates.isVisible() and again.anyway_button.isVisible()
    with qtbot.waitSignal(desk.patients.chart_shown, timeout=WAIT_MS) as opened:
        qtbot.mouseClick(again.open_button, Qt.MouseButton.LeftButton)
    assert opened.args[0].patient.id == mara.id, "the user chose the existing record"

    # 200 patients from the old system's CSV: checked first, then imported whole.
    csv_path = write_csv(tmp_path / "old-system.csv", patient_rows(200))
    desk.patients.tools.import_patients()
    importer = desk.patients.tools.import_dialog
    assert importer is not None
    importer.set_file(csv_path)
    with qtbot.waitSignal(importer.checked, timeout=WAIT_MS) as checked:
        qtbot.mouseClick(importer.check_button, Qt.MouseButton.LeftButton)
    assert checked.args[0].to_json() == {"imported": 200, "duplicates": 0, "skipped": []}
    with qtbot.waitSignal(importer.imported, timeout=WAIT_MS * 2) as imported:
        qtbot.mouseClick(importer.import_button, Qt.MouseButton.LeftButton)
    assert imported.args[0].imported == 200
    importer.close()

    # Book a follow-up with the new doctor two days ahead, move it, block lunch every day.
    visit_day = datetime.now(UTC).date() + timedelta(days=2)
    desk.show_page(desk.schedule)
    choose_doctor(qtbot, desk, "Dr Mei Lee")
    ui.show_day(desk, visit_day)
    desk.schedule.book()
    booking = desk.schedule.booking_dialog
    assert booking is not None
    booking.set_patient(mara)
    booking.set_slot(visit_day, time(10, 0))
    booking.set_type(AppointmentType.FOLLOW_UP)
    with qtbot.waitSignal(booking.booked, timeout=WAIT_MS) as booked:
        qtbot.mouseClick(booking.book_button, Qt.MouseButton.LeftButton)
    visit = booked.args[0]
    quiet(qtbot, desk)
    ui.show_day(desk, visit_day)
    assert desk.schedule.select_appointment(visit.id)
    desk.schedule.tools.reschedule_action.trigger()
    mover = desk.schedule.tools.dialog
    assert mover is not None
    mover.set_slot(datetime.combine(visit_day, time(11, 0), tzinfo=UTC))
    qtbot.keyClicks(mover.reason, "patient asked for later")
    with qtbot.waitSignal(mover.moved, timeout=WAIT_MS):
        qtbot.mouseClick(mover.ok_button, Qt.MouseButton.LeftButton)

    desk.schedule.tools.block_action.trigger()
    blocker = desk.schedule.tools.dialog
    assert blocker is not None
    blocker.date_edit.setDate(QDate.currentDate())
    blocker.start.setTime(QTime(12, 0))
    blocker.end.setTime(QTime(13, 0))
    blocker.kind.setCurrentIndex(blocker.kind.findData(TimeBlockType.BREAK.value))
    qtbot.keyClicks(blocker.reason, "Lunch")
    blocker.repeat.setCurrentIndex(blocker.repeat.findData("weekly"))
    for box in blocker.weekdays:
        box.setChecked(True)
    until = visit_day + timedelta(days=30)
    blocker.until.setDate(QDate(until.year, until.month, until.day))
    with qtbot.waitSignal(blocker.saved, timeout=WAIT_MS):
        qtbot.mouseClick(blocker.ok_button, Qt.MouseButton.LeftButton)
    shown_day = ui.show_day(desk, visit_day)
    assert [(e.kind, e.start.hour) for e in shown_day.entries] == [("appointment", 11), ("block", 12)]
    sync_now(qtbot, desk)

    # The doctor's own workstation, set up now, holds all of it.
    doctor = workstation(doctor_name, SERVER_PASSWORD)
    qtbot.waitUntil(lambda: doctor.schedule.schedule is not None, timeout=WAIT_MS)
    day = ui.show_day(doctor, visit_day)
    assert [(e.kind, e.start.hour, e.reason) for e in day.entries] == [
        ("appointment", 11, None),
        ("block", 12, "Lunch"),
    ]
    assert day.entries[0].patient_id == mara.id
    doctor.schedule.tools.week_action.trigger()
    qtbot.waitUntil(lambda: bool(doctor.schedule.tools.week.week), timeout=WAIT_MS)
    assert doctor.schedule.tools.week.cell_text(visit_day, time(12, 0)) == "Lunch"
    assert doctor.schedule.select_appointment(visit.id)
    doctor.schedule.tools.details_action.trigger()
    details_dialog = doctor.schedule.tools.dialog
    assert isinstance(details_dialog, AppointmentDetailsDialog)
    qtbot.waitUntil(lambda: details_dialog.details is not None, timeout=WAIT_MS)
    assert details_dialog.details is not None
    [move] = details_dialog.details.reschedule_history
    assert move["reason"] == "patient asked for later"
    assert "Rae Desk" in details_dialog.view.toPlainText()
    # The practice and its staff came with the first sync; the imported patients are on the server
    # (a new workstation downloads the patients of its own schedule window, the booked one here).
    assert doctor.workspace.practice_tz.key == "UTC"
    doctor.show_page(doctor.staff_page)
    qtbot.waitUntil(lambda: {m.username for m in doctor.staff_page.model.rows} >= {desk_name, doctor_name},
                    timeout=WAIT_MS)  # fmt: skip
    with server_db.connect() as conn:
        on_server = conn.execute(
            text("SELECT count(*) FROM patients p JOIN users u ON u.organization_id = p.organization_id"
                 " WHERE u.username = :desk AND p.mrn LIKE 'OLD%'"),
            {"desk": desk_name},
        ).scalar_one()  # fmt: skip
    assert on_server == 200
    # The administrator's workstation, set up before any patient existed, receives every change
    # since: the registered and the imported patients are found there by name and by old MRN.
    sync_now(qtbot, admin)
    admin.show_page(admin.patients)
    for query, expected in (("Quill", {mara.mrn, "OLD0000001"}), ("OLD0000200", {"OLD0000200"})):
        admin.patients.search.setText(query)
        with qtbot.waitSignal(admin.patients.searched, timeout=WAIT_MS) as found:
            admin.patients.run_search()
        assert {p.mrn for p in found.args[0]} >= expected

    # The administrator deactivates the doctor: at the doctor's next sync the workstation locks and
    # stays locked (the profile's password no longer opens it), and the server refuses the sign-in.
    admin.show_page(admin.staff_page)
    qtbot.waitUntil(lambda: admin.staff_page.select(doctor_name), timeout=WAIT_MS)
    with qtbot.waitSignal(admin.staff_page.changed, timeout=WAIT_MS):
        qtbot.mouseClick(admin.staff_page.buttons["active"], Qt.MouseButton.LeftButton)
    sync_now(qtbot, admin)
    with qtbot.waitSignal(doctor.locked_changed, timeout=WAIT_MS):
        doctor.sync.sync_action.trigger()
    assert doctor.locked and doctor.error_box is not None
    assert "deactivated" in doctor.error_box.text()
    doctor.error_box.close()
    qtbot.keyClicks(doctor.lock_screen.password, PROFILE_PASSWORD)
    qtbot.keyClick(doctor.lock_screen.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "deactivated" in doctor.lock_screen.message.text(), timeout=WAIT_MS)
    assert doctor.locked


def test_a_password_an_administrator_reset_is_replaced_when_the_workstation_is_set_up(
    qtbot: QtBot, sync_server: SyncServer, clinic: Any, tmp_path: Path
) -> None:
    admin, admin_password = sync_server.user("admin")
    with httpx.Client(base_url=sync_server.url, headers={PROTOCOL_HEADER: "1"}) as client:
        login = client.post(
            "/auth/login",
            json={"username": admin, "password": admin_password, "device_id": str(uuid.uuid4())},
        )
        client.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
        reset = client.post(f"/users/{clinic.doctor_id}/password", json={"password": "temporary pw 1"})
        assert reset.status_code == 200, reset.text
    dialog = WorkstationSetupDialog(Runner(), WorkstationSettings(server_url=sync_server.url), root=tmp_path)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.new_password.isHidden()
    for field, typed in (
        (dialog.username, clinic.doctor), (dialog.server_password, "temporary pw 1"),
        (dialog.profile_password, PROFILE_PASSWORD), (dialog.profile_password_again, PROFILE_PASSWORD),
    ):  # fmt: skip
        qtbot.keyClicks(field, typed)
    qtbot.mouseClick(dialog.set_up_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.busy and dialog.error.isVisible(), timeout=WAIT_MS)
    assert "choose a new password" in dialog.error.text() and dialog.new_password.isVisible()
    assert not (tmp_path / clinic.doctor).exists(), "nothing was made"
    qtbot.keyClicks(dialog.new_password, "my own new password")
    qtbot.keyClicks(dialog.new_password_again, "my own new password")
    with qtbot.waitSignal(dialog.accepted, timeout=WAIT_MS):
        qtbot.mouseClick(dialog.set_up_button, Qt.MouseButton.LeftButton)
    assert dialog.setup is not None and dialog.setup.username == clinic.doctor
