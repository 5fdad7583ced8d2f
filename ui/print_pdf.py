"""Lays a print job (app/printing: HTML) out as a PDF with Qt's own writer (QPdfWriter and
QTextDocument), in memory: the PDF's bytes go back to the operation, which keeps them sealed in the
chart and writes them where the user chose. Runs on a worker thread (painting on a QPdfWriter is
allowed off the GUI thread; the document is never shown in a widget)."""

from __future__ import annotations

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMarginsF, QSizeF
from PySide6.QtGui import QPageLayout, QPageSize, QPdfWriter, QTextDocument

from app.printing import PrintJob

RESOLUTION = 300


def render_pdf(job: PrintJob) -> bytes:
    """The job as an A4 PDF (title set, margins 18 mm)."""
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buffer)
    writer.setTitle(job.title)
    writer.setCreator("ClinicDesk")
    writer.setResolution(RESOLUTION)
    writer.setPageLayout(
        QPageLayout(
            QPageSize(QPageSize.PageSizeId.A4),
            QPageLayout.Orientation.Portrait,
            QMarginsF(18, 18, 18, 18),
            QPageLayout.Unit.Millimeter,
        )
    )
    document = QTextDocument()
    document.setHtml(job.html)
    page = writer.pageLayout().paintRectPixels(RESOLUTION).size()
    document.setPageSize(QSizeF(page.width(), page.height()))
    document.print_(writer)
    del writer  # the PDF is finished when its writer goes
    buffer.close()
    return bytes(data.data())
