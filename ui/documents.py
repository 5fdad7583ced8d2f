"""A patient's documents (and an encounter's): attaching a scan or letter, opening one (an image is
shown; a PDF is saved where the user chooses, which is how a kept printout is printed again), from
this workstation or downloaded from the server when it was attached elsewhere. Files are checked by
their content in the core; the dialog says why one was refused, and nothing is kept then."""

from __future__ import annotations

import uuid
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.ops import media as media_ops
from app.ops.media import Fetch
from app.services.documents import JPEG, PNG, DocumentRecord
from clinicdesk.errors import ClinicDeskError
from models.enums import DocumentCategory
from ui.app import error_label, icon, set_accessible, show_error_in
from ui.table_model import enum_words
from ui.worker import Operations

FILES = "Documents (*.pdf *.jpg *.jpeg *.png);;All files (*)"


def _size(n: int) -> str:
    return f"{n / 1024:.0f} KB" if n < 1024 * 1024 else f"{n / (1024 * 1024):.1f} MB"


class ImageViewer(QDialog):
    """An image document, shown from memory."""

    def __init__(self, title: str, data: bytes, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.pixmap = QPixmap()
        if not self.pixmap.loadFromData(data):
            raise ClinicDeskError("this image cannot be shown (its data is not a picture Qt can read)")
        label = QLabel()
        label.setPixmap(self.pixmap)
        label.setAccessibleName(title)
        scroll = QScrollArea()
        scroll.setWidget(label)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll, 1)
        layout.addWidget(buttons)
        self.resize(min(900, self.pixmap.width() + 60), min(700, self.pixmap.height() + 90))


class DocumentsDialog(QDialog):
    """``opened(record, data)`` once a document's clear bytes are here; ``changed`` after an attach."""

    opened = Signal(object, bytes)
    saved = Signal(Path)
    changed = Signal()
    failed = Signal(ClinicDeskError)

    def __init__(
        self,
        ops: Operations,
        *,
        patient_id: uuid.UUID,
        patient_name: str,
        encounter_id: uuid.UUID | None = None,
        fetch: Fetch = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Documents — {patient_name}")
        self.setWindowIcon(icon("app"))
        self.resize(720, 420)
        self._ops, self._fetch = ops, fetch
        self.patient_id, self.encounter_id = patient_id, encounter_id
        self.documents: list[DocumentRecord] = []
        self.viewer: ImageViewer | None = None
        self.list = QListWidget()
        set_accessible(self.list, "Documents", "The patient's documents, newest first; Enter opens one")
        self.list.itemActivated.connect(lambda _i: self.open_selected())
        self.category = QComboBox()
        for kind in DocumentCategory:
            self.category.addItem(enum_words(kind), kind.value)
        self.category.setCurrentIndex(self.category.findData(DocumentCategory.SCAN.value))
        set_accessible(self.category, "Category of the next attachment")
        self.attach_button = QPushButton("&Attach file…")
        self.open_button = QPushButton("&Open")
        self.save_button = QPushButton("&Save a copy…")
        for button, name in ((self.attach_button, "Attach file"), (self.open_button, "Open document"),
                             (self.save_button, "Save a copy")):  # fmt: skip
            set_accessible(button, name)
        self.attach_button.clicked.connect(self._choose_and_attach)
        self.open_button.clicked.connect(self.open_selected)
        self.save_button.clicked.connect(self._choose_and_save)
        self.error = error_label()
        self.info = QLabel("")
        self.info.setWordWrap(True)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        row = QHBoxLayout()
        row.addWidget(self.attach_button)
        row.addWidget(self.category)
        row.addStretch(1)
        row.addWidget(self.open_button)
        row.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("PDF, JPEG or PNG, up to 20 MB. Kept encrypted; opened on any workstation."))
        layout.addWidget(self.list, 1)
        layout.addLayout(row)
        layout.addWidget(self.info)
        layout.addWidget(self.error)
        layout.addWidget(close)
        self.reload()

    # -- the list ---------------------------------------------------------------------------------

    def reload(self) -> None:
        patient_id = self.patient_id
        self._ops.query(lambda ws: media_ops.of_patient(ws, patient_id), label="loading documents").success(
            self._show
        ).failure(self._fail).run()

    def _show(self, documents: list[DocumentRecord]) -> None:
        self.documents = list(documents)
        self.list.clear()
        for doc in documents:
            kind = {"application/pdf": "PDF", JPEG: "JPEG", PNG: "PNG"}.get(doc.mime_type, doc.mime_type)
            text = (
                f"{doc.title} — {enum_words(doc.category)}, {kind}, {_size(doc.size_bytes)}, "
                f"{doc.created_at:%Y-%m-%d}" + (f", by {doc.created_by}" if doc.created_by else "")
            )
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, doc.id)
            self.list.addItem(item)
        if documents:
            self.list.setCurrentRow(0)
        else:
            self.list.addItem("No documents yet: attach a scan or letter.")
        self.changed.emit()

    def selected(self) -> DocumentRecord | None:
        item = self.list.currentItem()
        chosen = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        return next((d for d in self.documents if d.id == chosen), None)

    def _fail(self, error: ClinicDeskError) -> None:
        show_error_in(self.error, error)
        self.failed.emit(error)

    # -- attaching --------------------------------------------------------------------------------

    def _choose_and_attach(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Attach a document", "", FILES)
        if path:
            self.attach(Path(path))

    def attach(self, path: Path, *, title: str | None = None) -> None:
        """Attaches the file (checked and sealed on the worker); the list reloads after."""
        patient_id, encounter_id = self.patient_id, self.encounter_id
        category = DocumentCategory(str(self.category.currentData()))
        name = title or path.stem.replace("_", " ").replace("-", " ").strip() or "Document"
        self.error.setVisible(False)
        self._ops.op(
            lambda ws: media_ops.attach_file(
                ws, patient_id, path, title=name, category=category, encounter_id=encounter_id
            ),
            label="attaching the document",
            initiator=self,
        ).success(lambda record: self._attached(record)).failure(self._fail).run()

    def _attached(self, record: DocumentRecord) -> None:
        self.info.setText(f"Attached {record.title}.")
        self.reload()

    # -- opening and saving -----------------------------------------------------------------------

    def open_selected(self) -> None:
        doc = self.selected()
        if doc is None:
            return
        document_id, fetch = doc.id, self._fetch
        self.info.setText("Opening…")
        self._ops.query(
            lambda ws: media_ops.open_document(ws, document_id, fetch=fetch), label="opening the document"
        ).success(lambda found: self._opened(*found)).failure(self._fail).run()

    def _opened(self, record: DocumentRecord, data: bytes) -> None:
        self.info.setText(f"{record.title}: {_size(len(data))}.")
        if record.mime_type in (JPEG, PNG):
            try:
                self.viewer = ImageViewer(record.title, data, self)
            except ClinicDeskError as exc:
                self._fail(exc)
                return
            self.viewer.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            self.viewer.open()
        else:
            self.info.setText(f"{record.title} is a PDF: use Save a copy (Alt+S) to read or print it.")
        self.opened.emit(record, data)

    def _choose_and_save(self) -> None:
        doc = self.selected()
        if doc is None:
            return
        default = doc.filename or f"{doc.title}.pdf"
        path, _ = QFileDialog.getSaveFileName(self, "Save a copy", default, FILES)
        if path:
            self.save_selected(Path(path))

    def save_selected(self, path: Path) -> None:
        doc = self.selected()
        if doc is None:
            return
        document_id, fetch = doc.id, self._fetch
        self._ops.query(
            lambda ws: media_ops.save_document(ws, document_id, path, fetch=fetch), label="saving a copy"
        ).success(lambda _r: self._saved(path)).failure(self._fail).run()

    def _saved(self, path: Path) -> None:
        self.info.setText(f"Saved a copy as {path.name}.")
        self.saved.emit(path)
