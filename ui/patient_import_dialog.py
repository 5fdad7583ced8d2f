"""Import patients (File → Import patients…): a CSV file with its column mapping, or a FHIR R4 Bundle
of Patient resources; a dry run that reports bad rows; then the import itself, all good rows or
nothing, unless "skip bad rows" is ticked (app/patient_import.py). The file is read and checked on
the worker; a large import shows its progress.

On a workstation that syncs, new MRNs come from numbers the server reserved for it: when the file
leaves more MRNs to generate than it holds, it asks the server for enough first.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from app import patient_import
from app.ops import registration as registration_ops
from app.patient_import import FIELDS, ImportReport
from app.services import mrn
from app.sync_service import SyncService
from clinicdesk.errors import ClinicDeskError
from ui.app import error_label, set_accessible, show_error_in
from ui.worker import Operations, QueryOp

FILES = "Patient files (*.csv *.json);;CSV (*.csv);;FHIR bundle (*.json);;All files (*)"
NOT_MAPPED = "— not imported —"


class ImportPatientsDialog(QDialog):
    """``checked`` fires with a dry run's report, ``imported`` with the real import's."""

    checked = Signal(ImportReport)
    imported = Signal(ImportReport)
    _progress = Signal(int)

    def __init__(
        self, ops: Operations, *, sync: SyncService | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import patients")
        self.setMinimumSize(640, 560)
        self._ops = ops
        self._sync = sync
        self.busy = False
        #: set once the dialog has closed: answers still on their way are dropped
        self.closed = False
        self.finished.connect(lambda _r: setattr(self, "closed", True))
        intro = QLabel(
            "A CSV file (first row: column names) or a FHIR R4 Bundle of Patient resources (.json). "
            "Check it first: nothing is imported while a row is bad, unless you choose to skip bad rows."
        )
        intro.setWordWrap(True)
        self.path = QLineEdit()
        set_accessible(self.path, "File to import")
        browse = QPushButton("Browse…")
        set_accessible(browse, "Browse for the file to import")
        browse.clicked.connect(self._browse)
        self.path.editingFinished.connect(self.read_headers)
        file_row = QHBoxLayout()
        file_row.addWidget(self.path, 1)
        file_row.addWidget(browse)
        self.mapping = QTableWidget(len(FIELDS), 2)
        self.mapping.setHorizontalHeaderLabels(["Field", "Column in the file"])
        self.mapping.verticalHeader().setVisible(False)
        set_accessible(self.mapping, "Column mapping", "Which column of the file fills each field")
        self.boxes: dict[str, QComboBox] = {}
        for row, name in enumerate(FIELDS):
            self.mapping.setCellWidget(row, 0, QLabel(name))
            box = QComboBox()
            set_accessible(box, f"Column for {name}")
            self.boxes[name] = box
            self.mapping.setCellWidget(row, 1, box)
        self.mapping.resizeColumnsToContents()
        self.mapping.horizontalHeader().setStretchLastSection(True)
        self.skip_bad = QCheckBox("Skip bad rows (import the good ones and list the others)")
        set_accessible(self.skip_bad, "Skip bad rows")
        self.report = QListWidget()
        set_accessible(self.report, "Import report")
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        self.summary.setAccessibleName("Import summary")
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        set_accessible(self.progress, "Import progress")
        self._progress.connect(self.progress.setValue)
        self.error = error_label()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.check_button = self.buttons.addButton("&Check (dry run)", QDialogButtonBox.ButtonRole.ActionRole)
        set_accessible(self.check_button, "Check the file")
        self.import_button = self.buttons.addButton("&Import", QDialogButtonBox.ButtonRole.AcceptRole)
        set_accessible(self.import_button, "Import the patients")
        self.check_button.clicked.connect(lambda: self.run(dry_run=True))
        self.import_button.clicked.connect(lambda: self.run(dry_run=False))
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(file_row)
        layout.addWidget(self.mapping, 3)
        layout.addWidget(self.skip_bad)
        layout.addWidget(self.summary)
        layout.addWidget(self.report, 1)
        layout.addWidget(self.progress)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Patients to import", "", FILES)
        if path:
            self.set_file(Path(path))

    def file(self) -> Path:
        return Path(self.path.text().strip())

    def is_fhir(self) -> bool:
        return self.file().suffix.lower() == ".json"

    def set_file(self, path: Path) -> None:
        self.path.setText(str(path))
        self.read_headers()

    def read_headers(self) -> None:
        """The CSV's headers fill the mapping (each field guessed from a column's name)."""
        self.error.setVisible(False)
        fhir = self.is_fhir()
        self.mapping.setEnabled(not fhir)
        if fhir or not self.path.text().strip():
            return
        try:
            headers = patient_import.csv_headers(self.file())
        except ClinicDeskError as exc:
            show_error_in(self.error, exc)
            return
        guess = patient_import.suggest_mapping(headers)
        for name, box in self.boxes.items():
            box.clear()
            box.addItem(NOT_MAPPED, None)
            for header in headers:
                box.addItem(header, header)
            box.setCurrentIndex(max(0, box.findData(guess.get(name))))

    def chosen_mapping(self) -> dict[str, str]:
        return {name: str(box.currentData()) for name, box in self.boxes.items() if box.currentData()}

    def set_mapping(self, field: str, header: str) -> None:
        box = self.boxes[field]
        box.setCurrentIndex(max(0, box.findData(header)))

    # -- running ----------------------------------------------------------------------------------

    def run(self, *, dry_run: bool) -> None:
        if self.busy or not self.path.text().strip():
            return
        path, fhir, skip = self.file(), self.is_fhir(), self.skip_bad.isChecked()
        mapping = None if fhir else self.chosen_mapping()
        self._set_busy(True, dry_run=dry_run)
        ops, sync = self._ops, self._sync

        def progress(done: int) -> None:  # on the worker: the signal queues it to the GUI thread
            self._progress.emit(done)

        def check() -> ImportReport:
            rows = patient_import.read_rows(path, mapping=mapping)
            return registration_ops.import_file(ops.workspace, rows, dry_run=True, skip_bad=skip).value

        if dry_run:
            QueryOp(ops.runner, check, label="checking the file").success(self._checked).failure(
                self._failed
            ).run()
            return
        ops.op(
            lambda ws: registration_ops.import_file(
                ws,
                self._rows_after_reserving(path, mapping, sync),
                skip_bad=skip,
                source="fhir" if fhir else "csv",
                progress=progress,
            ),
            label="importing patients",
            initiator=self,
        ).success(self._imported).failure(self._failed).run()

    def _rows_after_reserving(
        self, path: Path, mapping: dict[str, str] | None, sync: SyncService | None
    ) -> Any:
        self._reserve_mrns(path, mapping, sync)
        return patient_import.read_rows(path, mapping=mapping)

    def _reserve_mrns(self, path: Path, mapping: dict[str, str] | None, sync: SyncService | None) -> None:
        """Enough MRN numbers for the rows without one (on the worker, before the import's transaction)."""
        if sync is None or not sync.configured:
            return
        needed = patient_import.mrns_needed(patient_import.read_rows(path, mapping=mapping))
        with self._ops.workspace.reading() as session:
            held = mrn.numbers_left(session)
        if needed > held:
            sync.reserve_mrns(needed - held + mrn.BLOCK_SIZE)

    def _set_busy(self, busy: bool, *, dry_run: bool = True) -> None:
        self.busy = busy
        for widget in (self.check_button, self.import_button, self.path, self.mapping, self.skip_bad):
            widget.setEnabled(not busy)
        self.progress.setVisible(busy and not dry_run)
        self.progress.setRange(0, 0)
        if busy:
            self.error.setVisible(False)
            self.summary.setText("Checking…" if dry_run else "Importing…")

    def _show_report(self, report: ImportReport, verb: str) -> None:
        self.report.clear()
        for problem in report.skipped:
            self.report.addItem(f"Row {problem.row}: {problem.reason}")
        bad = f"; {len(report.skipped)} bad row(s)" if report.skipped else ""
        self.summary.setText(
            f"{verb} {report.imported} patient(s); {report.duplicates} likely duplicate(s) left out{bad}."
        )

    def _checked(self, report: ImportReport) -> None:
        if self.closed:
            return
        self._set_busy(False)
        if report.skipped and not self.skip_bad.isChecked():
            verb = "Nothing can be imported while rows are bad; fix them, or skip them. Would import"
        else:
            verb = "Would import"
        self._show_report(report, verb)
        self.checked.emit(report)

    def _imported(self, report: ImportReport) -> None:
        if self.closed:
            return
        self._set_busy(False)
        self._show_report(report, "Imported")
        self.imported.emit(report)

    def _failed(self, error: ClinicDeskError) -> None:
        if self.closed:
            return
        self._set_busy(False)
        refused = getattr(error, "report", None)
        if isinstance(refused, ImportReport):
            self._show_report(refused, "Nothing was imported. Would import")
        show_error_in(self.error, error)
