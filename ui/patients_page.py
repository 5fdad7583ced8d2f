"""Patient search (name, MRN or date of birth) and the chart summary of the chosen patient.

The search box is debounced: typing restarts a short timer and only the last text is searched, on
the worker, so a 50,000-patient profile never stalls the keyboard. Opening a chart is an audited
read; the chart is rendered as HTML in a QTextBrowser, which screen readers read as a document, with
allergies in a highlighted box because missing one is dangerous. The search results refresh
themselves when patients changed; the chart does when its own patient's record did (re-reading a
chart is audited, so a sync's records alone do not reopen it).
"""

from __future__ import annotations

import uuid
from datetime import date, tzinfo
from html import escape
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QLabel,
    QLineEdit,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from app.ops import patients as patient_ops
from app.ops.changes import Changes
from app.services.records import PatientChart, PatientSummary
from clinicdesk.errors import ClinicDeskError
from ui.actions import Menu
from ui.app import icon, set_accessible
from ui.page import Page, PageContext
from ui.patient_tools import PatientTools
from ui.schedule_model import status_label, type_label
from ui.table_model import ListTableModel, list_table

SEARCH_DELAY_MS = 250
MIN_SEARCH_CHARS = 2


class PatientListModel(ListTableModel[PatientSummary]):
    COLUMNS = ("Name", "MRN", "Date of birth", "Phone")

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        patient = self.row_item(index.row())
        if patient is None or role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return None
        return (
            f"{patient.last_name}, {patient.first_name}",
            patient.mrn,
            patient.date_of_birth.isoformat(),
            patient.phone or "",
        )[index.column()]


class PatientsPage(Page):
    """``chart_shown`` fires with the PatientChart once it is displayed; ``searched`` with the
    result list after each search (tests wait on both)."""

    searched = Signal(list)  # list[PatientSummary]
    chart_shown = Signal(PatientChart)
    failed = Signal(ClinicDeskError)

    def __init__(self, ctx: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self._search_generation = 0
        self._chart_generation = 0
        self.chart: PatientChart | None = None
        self._requested: uuid.UUID | None = None
        self._stale_search = False
        self._stale_chart = False

        title = QLabel("Patients")
        title.setObjectName("viewTitle")
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search by name, MRN or date of birth (YYYY-MM-DD)")
        self.search.addAction(icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        self.search.setClearButtonEnabled(True)
        set_accessible(self.search, "Patient search", "Name, MRN or date of birth")
        self.info = QLabel(f"Type at least {MIN_SEARCH_CHARS} characters.")
        self.info.setObjectName("dayInfo")

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(SEARCH_DELAY_MS)
        self._debounce.timeout.connect(self.run_search)
        self.search.textChanged.connect(lambda _text: self._debounce.start())
        self.search.returnPressed.connect(self._search_now_or_open)

        self.model = PatientListModel(self)
        self.table = list_table("Patient results", "Patients matching the search")
        self.table.setModel(self.model)
        self.table.activated.connect(lambda index: self._open_row(index.row()))  # Enter or double-click
        self.table.selectionModel().currentRowChanged.connect(
            lambda current, _prev: self._open_row(current.row())
        )

        self.chart_view = QTextBrowser()
        self.chart_view.setObjectName("chart")
        self.chart_view.setAccessibleName("Patient chart")
        self.chart_view.setOpenLinks(False)
        self.chart_view.setHtml(_empty_state("Choose a patient to see their chart."))

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(title)
        left_layout.addWidget(self.search)
        left_layout.addWidget(self.info)
        left_layout.addWidget(self.table, 1)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(self.chart_view)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([420, 600])
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)
        self.find_action = ctx.actions.create(
            "&Find patient…", name="find_patient", menu=Menu.PATIENT, shortcut=QKeySequence.StandardKey.Find,
            slot=self.find_patient, icon_name="search",
        )  # fmt: skip
        ctx.actions.get_routed("refresh").handle(self, self.run_search)
        self.tools = PatientTools(self)  # registering, the record's parts, importing

    def find_patient(self) -> None:
        self.show_requested.emit()
        self.focus_search()

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def patient_in_view(self) -> PatientSummary | None:
        """The patient whose chart is on screen (booking from the chart books for them)."""
        return self.chart.patient if self.chart is not None and self.isVisible() else None

    def on_changes(self, changes: Changes, initiator: object) -> None:
        if changes.touches("patients"):
            self._stale_search = True
            self.reload_when_shown()
        if (
            self.chart is not None
            and not changes.external
            and changes.touches_record("patients", self.chart.patient.id)
        ):
            self._stale_chart = True
            self.reload_when_shown()

    def reload(self) -> None:
        if self._stale_search:
            self._stale_search = False
            self.run_search()
        if self._stale_chart and self.chart is not None:
            self._stale_chart = False
            self.open_chart(self.chart.patient.id)

    # -- search -----------------------------------------------------------------------------------

    def run_search(self) -> None:
        self._debounce.stop()
        text = self.search.text().strip()
        self._search_generation += 1
        generation = self._search_generation
        if len(text) < MIN_SEARCH_CHARS:
            self.model.replace_rows([])
            self.info.setText(f"Type at least {MIN_SEARCH_CHARS} characters.")
            return
        self.info.setText("Searching…")
        self.ctx.ops.query(
            lambda ws: patient_ops.search(ws, text, limit=100), label="searching patients"
        ).success(lambda found: self._show_results(generation, found)).failure(
            lambda error: self._failed(error, generation=generation)
        ).run()

    def _search_now_or_open(self) -> None:
        if self._debounce.isActive():
            self.run_search()
        elif self.model.rows:
            self._open_row(max(self.table.currentIndex().row(), 0))

    def _show_results(self, generation: int, patients: list[PatientSummary]) -> None:
        if generation != self._search_generation:
            return
        self.model.replace_rows(patients)
        count = len(patients)
        self.info.setText(
            "No patient matches."
            if not count
            else f"{count} patient(s)" + (" (first 100)" if count >= 100 else "")
        )
        self.searched.emit(patients)

    # -- chart ------------------------------------------------------------------------------------

    def _open_row(self, row: int) -> None:
        patient = self.model.row_item(row)
        if patient is not None and patient.id != self._requested:
            self.open_chart(patient.id)

    def open_chart(self, patient_id: uuid.UUID) -> None:
        """Each opening is an audited read, so choosing the same row again does not fetch it twice."""
        self._requested = patient_id
        self._chart_generation += 1
        generation = self._chart_generation
        self.chart_view.setHtml(_empty_state("Opening the chart…"))
        self.ctx.ops.query(lambda ws: patient_ops.chart(ws, patient_id), label="opening the chart").success(
            lambda chart: self._show_chart(generation, chart)
        ).failure(lambda error: self._failed(error, chart_generation=generation)).run()

    def _show_chart(self, generation: int, result: PatientChart) -> None:
        if generation != self._chart_generation:
            return
        self.chart = result
        workspace = self.workspace
        self.chart_view.setHtml(chart_html(result, today=workspace.today(), tz=workspace.practice_tz))
        self.chart_shown.emit(result)

    def _failed(
        self, error: ClinicDeskError, *, generation: int | None = None, chart_generation: int | None = None
    ) -> None:
        if generation is not None and generation == self._search_generation:
            self.info.setText(error.message)
        if chart_generation is not None and chart_generation == self._chart_generation:
            self._requested = None  # let the user retry
            self.chart_view.setHtml(_empty_state(error.message))
        self.failed.emit(error)


def _empty_state(text: str) -> str:
    return f"<p style='color:#777; margin:24px'>{escape(text)}</p>"


def _age(dob: date, today: date) -> int:
    return today.year - dob.year - ((today.month, today.day) < (dob.month, dob.day))


def _section(title: str, body: str) -> str:
    spacer = "<p style='margin:0; font-size:4pt'>&nbsp;</p>"  # an empty <p> would collapse after a table
    return f"<h3 style='margin:8px 0 4px 0; color:#2b6cb0'>{escape(title)}</h3>{body}{spacer}"


def _table(rows: list[list[str]], header: list[str] | None = None) -> str:
    head = "".join(f"<th align='left' style='padding:2px 10px 2px 0'>{escape(h)}</th>" for h in header or [])
    body = "".join(
        "<tr>" + "".join(f"<td style='padding:2px 10px 2px 0'>{cell}</td>" for cell in row) + "</tr>"
        for row in rows
    )
    return f"<table cellspacing='0'>{'<tr>' + head + '</tr>' if head else ''}{body}</table>"


def _none(text: str) -> str:
    return f"<p style='color:#777'>{escape(text)}</p>"


def chart_html(chart: PatientChart, *, today: date, tz: tzinfo) -> str:
    """The chart summary as HTML, times in the practice's timezone. Every value from the record is
    escaped."""
    p = chart.patient
    e = escape
    demographics = _table(
        [
            [
                "<b>Date of birth</b>",
                f"{e(p.date_of_birth.isoformat())} (age {_age(p.date_of_birth, today)})",
            ],
            ["<b>Sex/gender</b>", e(chart.gender or "—")],
            ["<b>Phone</b>", e(p.phone or "—")],
            ["<b>Email</b>", e(chart.email or "—")],
            ["<b>Address</b>", e(chart.address or "—")],
            ["<b>Blood group</b>", e(chart.blood_group or "—")],
            ["<b>Language</b>", e(chart.preferred_language or "—")],
            [
                "<b>Emergency contact</b>",
                e(", ".join(str(v) for v in chart.emergency_contact.values() if v) or "—"),
            ],
        ]
    )
    if chart.allergies:
        items = "".join(
            f"<li><b>{e(str(a.get('substance', '?')))}</b>"
            + (f" — {e(str(a['reaction']))}" if a.get("reaction") else "")
            + (f" <i>({e(str(a['severity']))})</i>" if a.get("severity") else "")
            + "</li>"
            for a in chart.allergies
        )
        allergies = (
            "<table width='100%' cellpadding='6' style='background:#fde8e8; border:1px solid #c53030'>"
            "<tr><td style='color:#9b1c1c'><b>⚠ Allergies</b>"
            f"<ul style='margin:2px 0'>{items}</ul></td></tr></table>"
        )
    elif chart.allergy_status == "none_known":
        allergies = "<p style='color:#1f6b3a'><b>No known allergies</b></p>"
    else:  # nobody has asked: that is not the same as "no known allergies"
        allergies = "<p style='color:#9c4221'><b>Allergies not recorded</b> — ask the patient</p>"
    active = [c for c in chart.conditions if c.get("status") != "resolved"]
    conditions = (
        _table(
            [
                [
                    f"<b>{e(str(c.get('icd10') or '—'))}</b>",
                    e(str(c.get("name", ""))),
                    e(str(c.get("status", ""))),
                    e(str(c.get("diagnosed") or "")),
                ]
                for c in active
            ],
            ["ICD-10", "Condition", "Status", "Diagnosed"],
        )
        if active
        else _none("No active conditions.")
    )
    insurance = (
        _table(
            [
                [
                    f"<b>{e(str(i.get('payer', '')))}</b>" + (" (primary)" if i.get("primary") else ""),
                    e(f"policy {i.get('policy_number', '')}"),
                    e(f"group {i['group_number']}" if i.get("group_number") else ""),
                    e(str(i.get("coverage_type") or "")),
                    e(f"until {i['expiry']}" if i.get("expiry") else ""),
                ]
                for i in chart.insurance
            ]
        )
        if chart.insurance
        else _none("No insurance on file.")
    )
    encounter_rows = []
    for enc in chart.encounters:
        notes = "; ".join(
            f"{e(str(n.get('note_type', 'note')))} note ({e(str(n.get('status', '')))})"
            + (f": {e(str(n['assessment']))}" if n.get("assessment") else "")
            for n in enc.notes
        )
        encounter_rows.append(
            [
                e(f"{enc.start.astimezone(tz):%Y-%m-%d}"),
                e(type_label(enc.encounter_type)),
                e(enc.chief_complaint or ""),
                e(enc.clinician_name),
                notes or "<span style='color:#777'>no note</span>",
            ]
        )
    encounters = (
        _table(encounter_rows, ["Date", "Type", "Chief complaint", "Clinician", "Notes"])
        if encounter_rows
        else _none("No encounters yet.")
    )
    upcoming = (
        _table(
            [
                [
                    e(f"{a.start.astimezone(tz):%a %Y-%m-%d %H:%M}"),
                    e(type_label(a.appointment_type)),
                    e(status_label(a.status)),
                    e(a.reason or ""),
                ]
                for a in chart.upcoming
            ],
            ["When", "Type", "Status", "Reason"],
        )
        if chart.upcoming
        else _none("No upcoming appointments.")
    )
    return (
        f"<h2 style='margin:4px 0'>{e(p.first_name)} {e(p.last_name)}</h2>"
        f"<p style='color:#555; margin:0'>{e(p.mrn)} · born {e(p.date_of_birth.isoformat())}</p>"
        + allergies
        + _section("Demographics", demographics)
        + _section("Active conditions", conditions)
        + _section("Insurance", insurance)
        + _section("Recent encounters and notes", encounters)
        + _section("Upcoming appointments", upcoming)
    )
