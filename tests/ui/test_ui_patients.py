"""Patient search (name prefix, MRN, date of birth) and the chart summary, through the real window."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.ops import patients as patient_ops
from app.services.records import PatientSummary


def _search(qtbot: QtBot, window, ui, text: str) -> list[PatientSummary]:
    view = window.patients
    view.search.clear()
    with qtbot.waitSignal(view.searched, timeout=ui.wait_ms) as searched:
        qtbot.keyClicks(view.search, text)  # debounced: one search after typing stops
    return list(searched.args[0])


def test_search_finds_a_patient_by_name_prefix_mrn_and_date_of_birth_and_opens_the_chart(
    qtbot: QtBot, profile: Path, open_window, ui
) -> None:
    window = open_window(profile)
    workspace = window.workspace
    entry = ui.any_appointment(workspace)
    patient = patient_ops.search(workspace, entry.mrn)[0]
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert window.pages.currentWidget() is window.patients

    by_name = _search(qtbot, window, ui, patient.last_name[:3].lower())
    assert patient in by_name
    prefix = patient.last_name[:3].lower()
    assert all(
        p.last_name.lower().startswith(prefix) or p.first_name.lower().startswith(prefix) for p in by_name
    )
    assert _search(qtbot, window, ui, patient.mrn) == [patient]
    by_dob = _search(qtbot, window, ui, patient.date_of_birth.isoformat())
    assert patient in by_dob
    assert {p.date_of_birth for p in by_dob} == {patient.date_of_birth}
    model = window.patients.model
    row = model.rows.index(patient)
    assert model.data(model.index(row, 1)) == patient.mrn

    with qtbot.waitSignal(window.patients.chart_shown, timeout=ui.wait_ms) as shown:
        window.patients.table.selectRow(row)
    chart = shown.args[0]
    assert chart.patient == patient
    text = window.patients.chart_view.toPlainText()
    assert f"{patient.first_name} {patient.last_name}" in text
    headings = (
        "Demographics",
        "Active conditions",
        "Insurance",
        "Recent encounters",
        "Upcoming appointments",
    )
    for heading in headings:
        assert heading in text
    for allergy in chart.allergies:
        assert allergy["substance"] in text
    if not chart.allergies:
        assert "No known allergies" in text
    for condition in chart.conditions:
        if condition["status"] != "resolved" and condition["icd10"]:
            assert condition["icd10"] in text


def test_a_search_with_no_match_says_so_and_shows_no_rows(
    qtbot: QtBot, profile: Path, open_window, ui
) -> None:
    window = open_window(profile)
    window.show_page(1)
    assert _search(qtbot, window, ui, "MRN0000000000") == []
    assert window.patients.model.rowCount() == 0
    assert window.patients.info.text() == "No patient matches."


def test_double_clicking_an_appointment_opens_that_patients_chart(
    qtbot: QtBot, profile: Path, open_window, ui
) -> None:
    window = open_window(profile)
    _day, entry = ui.choose_appointment(window, ui.is_appointment)
    with qtbot.waitSignal(window.patients.chart_shown, timeout=ui.wait_ms) as shown:
        window.schedule.open_chart_action.trigger()
    assert shown.args[0].patient.id == entry.patient_id
    assert window.pages.currentWidget() is window.patients
