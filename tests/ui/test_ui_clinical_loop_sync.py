"""The clinical loop between workstations, through the real window and the real sync server: a
message written offline reaches its recipient after the next sync and its read receipt comes back;
a document attached and a recording dictated on one doctor's workstation open, decrypted, on another
doctor's, with the practice's keys shared between them and nothing decrypted on the server."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import text

from app.ops import notes as note_ops
from app.ops.notes import DictatedAudio
from app.settings import WorkstationSettings
from app.sync_service import setup_workstation
from audio.wavfile import encode_wav
from models import Message
from tests.support.profiles import FAST_KDF
from tests.support.sync_clients import create_user
from tests.support.synced import open_visit, sync_now
from tests.ui.test_ui_microphone_pulse import virtual_microphone
from tests.unit.services.test_documents_messages_keys import png
from ui.documents import DocumentsDialog
from ui.main_window import MainWindow
from ui.recordings import RecordingsDialog

if TYPE_CHECKING:
    from .sync_fixtures import Clinic

pytest_plugins = ["tests.ui.sync_fixtures"]
__all__ = ["virtual_microphone"]

WAIT_MS = 30_000
Opener = Callable[[Path, WorkstationSettings], MainWindow]


def settings_for(clinic: Clinic, **extra: Any) -> WorkstationSettings:
    settings = WorkstationSettings(
        speech_engine="whisper", whisper_model="tiny.en", server_url=clinic.server.url
    )
    settings.extra.update(extra)
    return settings


def workstation(clinic: Clinic, folder: Path, username: str, password: str) -> Path:
    return setup_workstation(
        folder, profile_password=clinic.profile_password, server_url=clinic.server.url, username=username,
        server_password=password, device_name=folder.name, kdf=FAST_KDF,
    ).profile_dir  # fmt: skip


def test_a_message_written_offline_is_delivered_at_the_next_sync_and_its_read_receipt_comes_back(
    qtbot: QtBot, ui: Any, clinic: Clinic, synced_window: Opener, tmp_path: Path
) -> None:
    nurse, nurse_password = clinic.server.user("nurse")
    doctor = synced_window(
        workstation(clinic, tmp_path / "exam-room", clinic.doctor, clinic.password), settings_for(clinic)
    )
    desk = synced_window(
        workstation(clinic, tmp_path / "nurses-desk", nurse, nurse_password), settings_for(clinic)
    )
    nurse_id = desk.workspace.user.id

    # The exam room has lost the network; the doctor writes to the nurse about the patient anyway.
    doctor.sync.set_server("http://127.0.0.1:9")
    page = doctor.messages
    doctor.show_page(page)
    page.new_message()
    qtbot.waitUntil(lambda: page.dialog is not None and page.dialog.isVisible(), timeout=WAIT_MS)
    dialog = page.dialog
    dialog.recipient.setCurrentIndex(dialog.recipient.findData(str(nurse_id)))
    qtbot.keyClicks(dialog.subject, "Mara's blood pressure")
    qtbot.keyClicks(dialog.body, "Please recheck her blood pressure at 3 pm.")
    with qtbot.waitSignal(page.sent, timeout=WAIT_MS) as sent:
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    message_id = sent.args[0].id
    with qtbot.waitSignal(doctor.sync.synced, timeout=WAIT_MS) as offline:
        doctor.sync.sync_action.trigger()
    assert offline.args[0].errors, "no network: nothing went"
    assert "waiting" in doctor.sync_label.text()

    def on_server() -> int:
        with clinic.db.connect() as conn:
            return int(
                conn.execute(
                    text("SELECT count(*) FROM messages WHERE id = :id"), {"id": message_id}
                ).scalar()
            )

    assert on_server() == 0

    # Back online: the next sync delivers it; the nurse's workstation shows it once it syncs.
    doctor.sync.set_server(clinic.server.url)
    assert sync_now(qtbot, doctor).applied >= 1 and on_server() == 1
    assert desk.messages.threads == []
    sync_now(qtbot, desk)
    nav = desk.navigation.item(desk.pages.indexOf(desk.messages))
    qtbot.waitUntil(lambda: nav.text() == "Messages (1)", timeout=WAIT_MS)
    [thread] = desk.messages.threads
    assert (thread.subject, thread.with_name, thread.unread) == (
        "Mara's blood pressure",
        doctor.workspace.user.full_name,
        1,
    )
    assert thread.patient_name is None  # written from the messages page: about no patient in view
    desk.show_page(desk.messages)
    with qtbot.waitSignal(desk.messages.shown_thread, timeout=WAIT_MS) as shown:
        desk.messages.list.setCurrentRow(0)
    assert shown.args[0][0].body == "Please recheck her blood pressure at 3 pm."
    qtbot.waitUntil(lambda: nav.text() == "Messages", timeout=WAIT_MS)

    # The reading goes back to the doctor as a receipt.
    sync_now(qtbot, desk)
    sync_now(qtbot, doctor)
    doctor.messages.open_thread(thread.thread_id)
    qtbot.waitUntil(lambda: "read " in doctor.messages.view.toPlainText(), timeout=WAIT_MS)
    with doctor.workspace.store.session() as s:
        assert s.get(Message, message_id).read_at is not None


def test_a_document_and_a_recording_of_one_doctor_open_decrypted_on_another_doctors_workstation(
    qtbot: QtBot,
    ui: Any,
    clinic: Clinic,
    synced_window: Opener,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    try:
        request.getfixturevalue("virtual_microphone")  # a PulseAudio sink to play into
        speaker: str | None = "pulse"
    except pytest.skip.Exception:
        speaker = None
    colleague = f"doctor-{uuid.uuid4().hex[:10]}"
    create_user(clinic.server.database_url, username=colleague, role="doctor")
    exam = synced_window(
        workstation(clinic, tmp_path / "exam-room", clinic.doctor, clinic.password), settings_for(clinic)
    )
    office = synced_window(
        workstation(clinic, tmp_path / "office", colleague, clinic.password),
        settings_for(clinic, speaker=speaker),
    )
    sync_now(qtbot, exam)  # the exam room learns of the office's workstation (its public key)

    # In the exam room the first doctor dictates into the visit's note and attaches a wound photo.
    open_visit(qtbot, exam, ui, clinic)
    note = exam.encounter.note
    assert note is not None
    tone = (0.2 * np.sin(np.linspace(0, 2 * np.pi * 440, 16_000))).astype(np.float32)
    wav = encode_wav(tone)
    note_ops.save_dictation(
        exam.workspace, note.id, {"subjective": "Wound check."}, loaded_at=note.loaded_at, soap={},
        audio=DictatedAudio(wav, 1.0, "whisper", "tiny.en"),
    )  # fmt: skip
    exam.clinical.documents_action.trigger()
    qtbot.waitUntil(lambda: isinstance(exam.clinical.dialog, DocumentsDialog), timeout=WAIT_MS)
    photo = tmp_path / "wound.png"
    photo.write_bytes(png(4, 3))
    with qtbot.waitSignal(exam.clinical.dialog.changed, timeout=WAIT_MS):
        exam.clinical.dialog.attach(photo, title="Wound photo")
    qtbot.waitUntil(lambda: len(exam.clinical.dialog.documents) == 1, timeout=WAIT_MS)
    exam.clinical.dialog.reject()
    report = sync_now(qtbot, exam)
    assert report.uploaded == 2 and report.rejected == 0  # the sealed audio and the sealed photo
    with clinic.db.connect() as conn:
        grants = conn.execute(text("SELECT count(DISTINCT device_key_id) FROM key_grants")).scalar()
    assert grants >= 2, "the exam room's key was sealed for the office's workstation too"

    # In the office, the second doctor finds the patient and opens both, decrypted there.
    sync_now(qtbot, office)
    office.patients.find_action.trigger()
    qtbot.keyClicks(office.patients.search, "1979-04-02")  # her date of birth
    with qtbot.waitSignal(office.patients.chart_shown, timeout=WAIT_MS):
        qtbot.waitUntil(lambda: office.patients.model.rows != [], timeout=WAIT_MS)
        office.patients.table.selectRow(0)
    qtbot.waitUntil(office.clinical.documents_action.isEnabled, timeout=WAIT_MS)
    office.clinical.documents_action.trigger()
    qtbot.waitUntil(lambda: isinstance(office.clinical.dialog, DocumentsDialog), timeout=WAIT_MS)
    documents = office.clinical.dialog
    qtbot.waitUntil(lambda: len(documents.documents) == 1, timeout=WAIT_MS)
    assert documents.documents[0].created_by == exam.workspace.user.full_name
    with qtbot.waitSignal(documents.opened, timeout=WAIT_MS) as opened:
        documents.open_selected()
    assert opened.args[1] == photo.read_bytes()
    assert documents.viewer is not None and documents.viewer.pixmap.width() == 4
    documents.viewer.reject()
    documents.reject()

    office.clinical.recordings_action.trigger()
    qtbot.waitUntil(lambda: isinstance(office.clinical.dialog, RecordingsDialog), timeout=WAIT_MS)
    recordings = office.clinical.dialog
    qtbot.waitUntil(lambda: len(recordings.recordings) == 1, timeout=WAIT_MS)
    with qtbot.waitSignal(recordings.decrypted, timeout=WAIT_MS) as decrypted:
        recordings.play_selected()
    assert decrypted.args[0] == wav
    if speaker is not None:
        with qtbot.waitSignal(recordings.finished_playing, timeout=WAIT_MS) as played:
            pass
        assert played.args[0] == pytest.approx(1.0, abs=0.1)
    recordings.reject()
    # The server holds only what it cannot read.
    with clinic.api() as api:
        stored = api.get(f"/recordings/{recordings.recordings[0].id}/audio").content
    assert stored != wav and stored.startswith(b"CDK1")
