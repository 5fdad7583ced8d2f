"""Day one's screenshots (``clinicdesk screenshot --view practice|practice-wizard|staff|register|record|
import|week|block|checkin``): each sets its scene up with the app's own widgets on the screenshot's
throw-away profile, then gives back the widget to grab (the window, or the dialog on it)."""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QApplication, QWidget
from sqlalchemy import select

from app.services.patients import summary
from clinicdesk.errors import NotFoundError
from models import ClinicalNote, Patient
from models.enums import NoteStatus
from ui.practice_setup import PracticeWizard
from ui.scheduling_dialogs import CheckInDialog

Scene = Callable[[Any, Any, type], QWidget]


def _settle(waiter: type, ms: int = 1500) -> None:
    pause = waiter()
    pause.timer.singleShot(ms, pause.done)
    pause.wait()


def _signal(waiter: type, signal: Any, start: Callable[[], object]) -> Any:
    got = waiter()
    signal.connect(got.done)
    return got.wait(start)


def practice(window: Any, _schedule: Any, waiter: type) -> QWidget:
    page = window.practice_page
    _signal(waiter, page.loaded, lambda: window.show_page(page))
    return window  # type: ignore[no-any-return]


def practice_wizard(window: Any, _schedule: Any, waiter: type) -> QWidget:
    """The day-one wizard, on its appointment types page (the booking rules), for a new practice."""
    wizard = PracticeWizard(window.ops, window)
    wizard.form.name.setText("Harbour Street Clinic")
    wizard.resize(760, 600)
    wizard.show()
    for _ in range(3):
        wizard.next()
    _settle(waiter, 500)
    return wizard


def staff(window: Any, _schedule: Any, waiter: type) -> QWidget:
    page = window.staff_page
    _signal(waiter, page.loaded, lambda: window.show_page(page))
    page.table.selectRow(0)
    return window  # type: ignore[no-any-return]


def register(window: Any, _schedule: Any, waiter: type) -> QWidget:
    """Registering someone already there: the likely duplicate is shown before saving."""
    with window.workspace.reading() as s:
        known = s.scalars(select(Patient).where(Patient.phone.is_not(None)).limit(1)).one()
        first, last, born = known.first_name, known.last_name, known.date_of_birth
    window.show_page(window.patients)
    window.patients.tools.register()
    dialog = window.patients.tools.register_dialog
    from PySide6.QtCore import QDate

    dialog.form.first_name.setText(first)
    dialog.form.last_name.setText(last)
    dialog.form.date_of_birth.setDate(QDate(born.year, born.month, born.day))
    _signal(waiter, dialog.duplicates_shown, lambda: dialog.submit(duplicates_seen=False))
    return dialog  # type: ignore[no-any-return]


def record(window: Any, _schedule: Any, waiter: type) -> QWidget:
    """A patient's record on its problem list, with a signed note's diagnosis offered for it."""
    with window.workspace.reading() as s:
        patient_id = s.scalars(
            select(ClinicalNote.patient_id).where(ClinicalNote.status == NoteStatus.SIGNED).limit(1)
        ).first()
    if patient_id is None:
        raise NotFoundError("the profile has no signed note to offer a diagnosis from")
    window.show_page(window.patients)
    _signal(waiter, window.patients.chart_shown, lambda: window.patients.open_chart(patient_id))
    window.patients.tools.open_record(patient_id)
    dialog = window.patients.tools.record_dialog
    dialog.resize(720, 720)
    _settle(waiter)  # the record and the signed notes' diagnoses arrive from the worker
    dialog.tabs.setCurrentIndex(dialog.problems_tab)
    dialog.icd.text.setText("asthma")
    dialog.search_icd()
    _settle(waiter)
    return dialog  # type: ignore[no-any-return]


def import_file(window: Any, _schedule: Any, waiter: type) -> QWidget:
    """A dry run of a CSV from the practice's old system, one row of which is bad."""
    with window.workspace.reading() as s:
        known = s.scalars(select(Patient).limit(2)).all()
    folder = Path(tempfile.mkdtemp(prefix="clinicdesk-shot-"))
    path = folder / "old-system.csv"
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["Chart no", "Given name", "Surname", "DOB", "Sex", "Telephone"])
        writer.writerow(["A-1001", "Iris", "Vale", "1983-09-14", "F", "416 555 0142"])
        writer.writerow(["A-1002", "Omar", "Haddad", "14/09/1983", "M", "416 555 0143"])
        writer.writerow(["A-1003", "Lena", "Okoye", "1990-01-31", "F", "416 555 0144"])
        for p in known:
            writer.writerow(
                [f"A-{p.mrn[-4:]}", p.first_name, p.last_name, p.date_of_birth.isoformat(), "", ""]
            )
    window.show_page(window.patients)
    window.patients.tools.import_patients()
    dialog = window.patients.tools.import_dialog
    dialog.set_file(path)
    dialog.set_mapping("mrn", "Chart no")
    result = _signal(waiter, dialog.checked, lambda: dialog.run(dry_run=True))
    path.unlink()
    folder.rmdir()
    return dialog if result is not None else window  # type: ignore[no-any-return]


def week(window: Any, schedule: Any, waiter: type) -> QWidget:
    tools = window.schedule.tools
    _signal(waiter, tools.week.loaded, tools.toggle_week)
    return window  # type: ignore[no-any-return]


def block(window: Any, schedule: Any, waiter: type) -> QWidget:
    """A recurring lunch block, opened to edit this occurrence or the whole series."""
    entry = next((e for e in schedule.entries if e.kind == "block" and e.recurring), None)
    if entry is None:
        raise NotFoundError("the day has no recurring block; choose --date")
    for row, shown in enumerate(window.schedule.model.rows):
        if shown == entry:
            window.schedule.table.selectRow(row)
    window.schedule.tools.edit_block()
    dialog = window.schedule.tools.dialog
    _settle(waiter, 500)
    return dialog  # type: ignore[no-any-return]


def checkin(window: Any, schedule: Any, waiter: type) -> QWidget:
    """The front desk confirms who the patient is before checking them in."""
    entry = next((e for e in schedule.entries if e.kind == "appointment" and e.status is not None), None)
    if entry is None or entry.appointment_id is None:
        raise NotFoundError("the day has no appointment; choose --date")
    dialog = CheckInDialog(window.ops, entry.appointment_id, f"{entry.patient_name} ({entry.mrn})", window)
    with window.workspace.reading() as s:
        patient = summary(s.get(Patient, entry.patient_id))
    dialog.identity.show_record(
        f"On file: <b>{patient.full_name}</b>, born {patient.date_of_birth}, MRN {patient.mrn}, "
        f"phone {patient.phone or '—'}. Ask the patient to say them, then tick what matches."
    )
    dialog.identity.full_name.setChecked(True)
    dialog.identity.date_of_birth.setChecked(True)
    dialog.show()
    QApplication.processEvents()
    _settle(waiter, 300)
    return dialog


SCENES: dict[str, Scene] = {
    "practice": practice, "practice-wizard": practice_wizard, "staff": staff, "register": register,
    "record": record, "import": import_file, "week": week, "block": block, "checkin": checkin,
}  # fmt: skip
