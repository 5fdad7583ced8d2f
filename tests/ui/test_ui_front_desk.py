"""The front desk in the real window (a copy of the seeded clinic): bad input is said where it was
typed and changes nothing; check-in confirms who the patient is; a patient's record is kept (allergies,
insurance, the problem list with ICD-10-CM search and a signed note's diagnosis offered for it)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, Qt, QTime
from PySide6.QtWidgets import QComboBox
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from app.ops import schedule as schedule_ops
from app.workspace import Workspace
from models import Appointment, IdentityCheck, Patient, User
from models.enums import AllergyStatus, AppointmentType, Role
from tests.support.day_one import patient_rows, write_csv
from tests.support.profiles import sign_in_as
from tests.support.window import WAIT_MS, Ui
from ui.main_window import MainWindow

Opener = Callable[..., MainWindow]


def count(window: MainWindow, model: Any) -> int:
    with window.workspace.reading() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def receptionist_of(profile: Path) -> str:
    workspace = Workspace.unlock(profile, Ui.password)
    try:
        with workspace.reading() as s:
            return str(s.scalars(select(User.username).where(User.role == Role.RECEPTIONIST).limit(1)).one())
    finally:
        workspace.close()


def choose(qtbot: QtBot, box: QComboBox, value: object) -> None:
    """Chooses the item whose data is ``value`` once the box has it (a UUID compares by value)."""

    def index() -> int:
        return next((i for i in range(box.count()) if box.itemData(i) == value), -1)

    qtbot.waitUntil(lambda: index() >= 0, timeout=WAIT_MS)
    box.setCurrentIndex(index())


def weekday(start: date, offset: int) -> date:
    day = start + timedelta(days=offset)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def test_bad_input_at_the_front_desk_is_said_where_it_was_typed_and_changes_nothing(
    qtbot: QtBot, ui: Ui, profile: Path, open_window: Opener, tmp_path: Path
) -> None:
    sign_in_as(profile, receptionist_of(profile))
    window = open_window(profile)
    patients, appointments = count(window, Patient), count(window, Appointment)
    tools = window.patients.tools

    # A duplicate MRN typed into the registration form.
    with window.workspace.reading() as s:
        taken = s.scalars(select(Patient.mrn).limit(1)).one()
    tools.register()
    dialog = tools.register_dialog
    assert dialog is not None
    qtbot.keyClicks(dialog.form.first_name, "Iris")
    qtbot.keyClicks(dialog.form.last_name, "Newcomer")
    qtbot.keyClicks(dialog.form.mrn, taken)
    qtbot.mouseClick(dialog.register_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(dialog.error.isVisible, timeout=WAIT_MS)
    assert dialog.error.text().startswith("That MRN is already in use")
    dialog.reject()

    # A CSV file with a bad row, then a JSON file that is no FHIR bundle: refused whole.
    rows = patient_rows(3)
    rows[1]["date_of_birth"] = "31/12/1980"
    tools.import_patients()
    importer = tools.import_dialog
    assert importer is not None
    importer.set_file(write_csv(tmp_path / "old.csv", rows))
    qtbot.mouseClick(importer.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: importer.error.isVisible() and not importer.busy, timeout=WAIT_MS)
    assert importer.error.text().startswith("1 bad row(s) (row 2: date_of_birth is not a date (YYYY-MM-DD))")
    assert importer.report.item(0).text() == "Row 2: date_of_birth is not a date (YYYY-MM-DD)"
    assert "31/12/1980" not in importer.error.text()
    bundle = tmp_path / "bundle.json"
    bundle.write_text(json.dumps({"resourceType": "Patient", "id": "x"}), encoding="utf-8")
    importer.set_file(bundle)
    qtbot.mouseClick(importer.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not importer.busy and "FHIR Bundle" in importer.error.text(), timeout=WAIT_MS)
    importer.reject()

    # Bookings: beyond a routine visit's 60 days, and inside a block made for the doctor.
    house = window.workspace
    with house.reading() as s:
        doctor = s.scalars(select(User).where(User.username == "dr.house")).one()
        doctor_id, doctor_name = doctor.id, doctor.full_name
    window.show_page(window.schedule)
    choose(qtbot, window.schedule.clinician_box, doctor_id)
    block_day = weekday(house.today(), 3)
    ui.show_day(window, block_day)
    window.schedule.tools.block_action.trigger()
    blocker = window.schedule.tools.dialog
    blocker.date_edit.setDate(QDate(block_day.year, block_day.month, block_day.day))  # type: ignore[union-attr]
    blocker.start.setTime(QTime(14, 0))  # type: ignore[union-attr]
    blocker.end.setTime(QTime(15, 0))  # type: ignore[union-attr]
    qtbot.keyClicks(blocker.reason, "Staff meeting")  # type: ignore[union-attr]
    with qtbot.waitSignal(blocker.saved, timeout=WAIT_MS):  # type: ignore[union-attr]
        qtbot.mouseClick(blocker.ok_button, Qt.MouseButton.LeftButton)  # type: ignore[union-attr]
    with house.reading() as s:
        someone = s.scalars(select(Patient).limit(1)).one()
    from app.services.patients import summary

    too_far = "Routine appointments can be booked at most 60 days ahead"
    in_block = "The clinician is unavailable 14:00–15:00 (Staff meeting)"
    for day, at, kind, message in (
        (weekday(house.today(), 70), time(10), AppointmentType.ROUTINE, too_far),
        (block_day, time(14, 15), AppointmentType.FOLLOW_UP, in_block),
    ):
        window.schedule.book()
        booking = window.schedule.booking_dialog
        assert booking is not None
        booking.set_patient(summary(someone))
        booking.set_slot(day, at)
        booking.set_type(kind)
        choose(qtbot, booking.clinician_box, doctor_id)
        qtbot.mouseClick(booking.book_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda b=booking: b.error.isVisible() and b.book_button.isEnabled(), timeout=WAIT_MS)
        assert booking.error.text().startswith(message), booking.error.text()
        booking.reject()
    assert (count(window, Patient), count(window, Appointment)) == (patients, appointments), "nothing changed"
    assert doctor_name


def test_check_in_at_the_front_desk_confirms_who_the_patient_is(
    qtbot: QtBot, ui: Ui, profile: Path, open_window: Opener
) -> None:
    sign_in_as(profile, receptionist_of(profile))
    window = open_window(profile)
    with window.workspace.reading() as s:
        house = s.scalars(select(User.id).where(User.username == "dr.house")).one()
    window.show_page(window.schedule)
    choose(qtbot, window.schedule.clinician_box, house)
    day, entry = next(
        (d.day, e)
        for offset in range(10)
        for d in [
            schedule_ops.day(
                window.workspace, clinician_id=house, day=window.workspace.today() + timedelta(days=offset)
            )
        ]
        for e in d.entries
        if ui.is_open_appointment(e) and e.start > datetime.now(e.start.tzinfo)
    )
    ui.show_day(window, day)
    ui.select_appointment(window, entry)
    window.schedule.check_in_action.trigger()
    dialog = window.schedule.tools.dialog
    assert dialog is not None and dialog.isVisible()
    dialog.identity.full_name.setChecked(True)  # type: ignore[attr-defined]
    dialog.identity.date_of_birth.setChecked(True)  # type: ignore[attr-defined]
    assert dialog.reason.isEnabled()  # type: ignore[attr-defined]
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)  # type: ignore[attr-defined]
    qtbot.waitUntil(dialog.error.isVisible, timeout=WAIT_MS)  # type: ignore[attr-defined]
    assert "give the reason" in dialog.error.text()  # type: ignore[attr-defined]
    assert count(window, IdentityCheck) == 0
    qtbot.keyClicks(dialog.reason, "photo ID left at home")  # type: ignore[attr-defined]
    with qtbot.waitSignal(window.schedule.status_changed, timeout=WAIT_MS) as changed:
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)  # type: ignore[attr-defined]
    assert changed.args[0].status_history[-1]["reason"] == "identity not confirmed: photo ID left at home"
    with window.workspace.reading() as s:
        check = s.scalars(select(IdentityCheck)).one()
    assert not check.verified and check.reason == "photo ID left at home"


def test_a_doctor_keeps_a_patients_record_and_takes_a_signed_notes_diagnosis_onto_the_problem_list(
    qtbot: QtBot, profile: Path, open_window: Opener
) -> None:
    window = open_window(profile)  # Dr House
    with window.workspace.reading() as s:
        from models import ClinicalNote
        from models.enums import NoteStatus

        patient_id = s.scalars(
            select(ClinicalNote.patient_id).where(ClinicalNote.status == NoteStatus.SIGNED).limit(1)
        ).one()
    window.show_page(window.patients)
    with qtbot.waitSignal(window.patients.chart_shown, timeout=WAIT_MS):
        window.patients.open_chart(patient_id)
    window.patients.tools.record_action.trigger()
    record = window.patients.tools.record_dialog
    assert record is not None
    qtbot.waitUntil(lambda: record.details is not None and record.offered.count() > 0, timeout=WAIT_MS)

    record.none_known.setChecked(True)
    for row in record.allergy_rows:
        row.remove.setChecked(True)
    with qtbot.waitSignal(record.saved, timeout=WAIT_MS):
        qtbot.mouseClick(record.save_allergies, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: record.details is not None and record.details.allergy_status is AllergyStatus.NONE_KNOWN,
        timeout=WAIT_MS,
    )

    record._new_coverage()
    record.payer.setCurrentText("Sun Life")
    qtbot.keyClicks(record.policy, "G-77")
    with qtbot.waitSignal(record.saved, timeout=WAIT_MS):
        qtbot.mouseClick(record.save_coverage, Qt.MouseButton.LeftButton)

    offered_before = record.offered.count()
    record.offered.setCurrentRow(0)
    with qtbot.waitSignal(record.saved, timeout=WAIT_MS):
        qtbot.mouseClick(record.take_offered, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: record.offered.count() == offered_before - 1, timeout=WAIT_MS)

    qtbot.keyClicks(record.icd.text, "J45.909")
    record.search_icd()
    qtbot.waitUntil(lambda: record.icd.results.count() > 0, timeout=WAIT_MS)
    record.icd.results.setCurrentRow(0)
    assert record.problem_code.text() == "J45.909"
    with qtbot.waitSignal(record.saved, timeout=WAIT_MS):
        qtbot.mouseClick(record.add_problem, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: any("J45.909" in record.problems.item(i).text() for i in range(record.problems.count())),
        timeout=WAIT_MS,
    )
    record.accept()
    with qtbot.waitSignal(window.patients.chart_shown, timeout=WAIT_MS) as shown:
        window.patients.open_chart(patient_id)
    chart = shown.args[0]
    assert chart.allergy_status == "none_known" and not chart.allergies
    assert any(i["payer"] == "Sun Life" for i in chart.insurance)
    assert any(c["icd10"] == "J45.909" for c in chart.conditions)


def test_a_booking_by_phone_needs_the_callers_identity_and_records_each_attempt(
    qtbot: QtBot, ui: Ui, profile: Path, open_window: Opener
) -> None:
    sign_in_as(profile, receptionist_of(profile))
    window = open_window(profile)
    with window.workspace.reading() as s:
        house = s.scalars(select(User.id).where(User.username == "dr.house")).one()
        someone = s.scalars(select(Patient).limit(1)).one()
    from app.services.patients import summary

    window.show_page(window.schedule)
    choose(qtbot, window.schedule.clinician_box, house)
    appointments = count(window, Appointment)
    window.schedule.book()
    booking = window.schedule.booking_dialog
    assert booking is not None
    booking.set_patient(summary(someone))
    choose(qtbot, booking.clinician_box, house)
    booking.set_type(AppointmentType.FOLLOW_UP)
    with qtbot.waitSignal(booking.slot_found, timeout=WAIT_MS):
        qtbot.mouseClick(booking.next_free_button, Qt.MouseButton.LeftButton)
    booking.by_phone.setChecked(True)
    assert booking.identity.isVisible()
    booking.identity.full_name.setChecked(True)
    qtbot.mouseClick(booking.book_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: booking.error.isVisible() and booking.book_button.isEnabled(), timeout=WAIT_MS)
    assert "not confirmed" in booking.error.text() and "nothing was booked" in booking.error.text()
    assert count(window, Appointment) == appointments and count(window, IdentityCheck) == 1
    booking.identity.confirm_all("mrn")
    with qtbot.waitSignal(booking.booked, timeout=WAIT_MS) as booked:
        qtbot.mouseClick(booking.book_button, Qt.MouseButton.LeftButton)
    with window.workspace.reading() as s:
        checks = s.scalars(select(IdentityCheck).order_by(IdentityCheck.at)).all()
    assert [(c.verified, c.context.value) for c in checks] == [
        (False, "phone_booking"),
        (True, "phone_booking"),
    ]
    assert checks[1].appointment_id == booked.args[0].id
    assert checks[1].identifiers == ["full_name", "date_of_birth", "mrn"]
