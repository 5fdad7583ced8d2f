"""Sync from the real window against the real sync server (PostgreSQL, MongoDB-wire, uvicorn in its
own process), as a practice lives it: a new workstation is set up from the server, the doctor's
work goes up from the window, and a note edited on two workstations is reconciled in the window
with nothing lost.

A workstation starts from the server's data (the demo seed is unknown to any server), so each test
has the server hold a practice, a doctor account and a booked patient (sync_fixtures.py)."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from pytestqt.exceptions import TimeoutError
from pytestqt.qtbot import QtBot
from sqlalchemy import select, text

from app.ops import conflicts as conflict_ops
from app.settings import WorkstationSettings
from app.sync_service import SetupProgress, SyncService
from models import ClinicalNote, SyncConflict
from models.enums import AppointmentStatus, ConflictStatus
from tests.support.synced import open_visit, save_note, select_visit, sync_now, two_workstations, type_into
from ui.main_window import MainWindow
from ui.worker import Runner
from ui.workstation_setup import WorkstationSetupDialog

if TYPE_CHECKING:
    from .sync_fixtures import Clinic

pytest_plugins = ["tests.ui.sync_fixtures"]

WAIT_MS = 30_000
#: the status bar after a clean sync: "Online · last sync 14:05 · 0 waiting"
ONLINE_AND_DONE = re.compile(r"^Online · last sync \d\d:\d\d · 0 waiting$")
Opener = Callable[[Path, WorkstationSettings], MainWindow]


def ui_settings(server_url: str) -> WorkstationSettings:
    return WorkstationSettings(speech_engine="whisper", whisper_model="tiny.en", server_url=server_url)


def wait_status(qtbot: QtBot, window: MainWindow, want: Callable[[str], Any]) -> str:
    try:
        qtbot.waitUntil(lambda: bool(want(window.sync_label.text())), timeout=WAIT_MS)
    except TimeoutError:
        raise AssertionError(f"the status bar still says {window.sync_label.text()!r}") from None
    return window.sync_label.text()


def network_threads(service: SyncService) -> list[threading.Thread]:
    """Notes the thread each sign-in and sync of ``service`` runs on: never the GUI thread."""
    threads: list[threading.Thread] = []
    for name in ("sign_in", "sync_now"):

        def spy(*args: Any, _real: Any = getattr(service, name), **kwargs: Any) -> Any:
            threads.append(threading.current_thread())
            return _real(*args, **kwargs)

        setattr(service, name, spy)
    return threads


def test_a_new_workstation_is_set_up_from_the_server_and_the_doctors_work_in_the_window_reaches_it(
    qtbot: QtBot, ui: Any, clinic: Clinic, synced_window: Opener
) -> None:
    # First start on a new workstation: the IT person types the server and the doctor's account.
    runner = Runner()
    dialog = WorkstationSetupDialog(runner, WorkstationSettings())
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.server_url, clinic.server.url)
    qtbot.keyClicks(dialog.username, clinic.doctor)
    qtbot.keyClicks(dialog.server_password, clinic.password)
    qtbot.keyClicks(dialog.profile_password, clinic.profile_password)
    qtbot.keyClicks(dialog.profile_password_again, clinic.profile_password)
    shown: list[tuple[SetupProgress, bool, str]] = []
    dialog.progressed.connect(
        lambda p: shown.append((p, dialog.progress.isVisible(), dialog.progress_text.text()))
    )
    with qtbot.waitSignal(dialog.accepted, timeout=WAIT_MS):
        qtbot.mouseClick(dialog.set_up_button, Qt.MouseButton.LeftButton)
    setup = dialog.setup
    assert setup is not None and setup.username == clinic.doctor
    # the first sync showed its progress: a busy bar and the count of records as they arrived
    arriving = [(p, visible, label) for p, visible, label in shown if p.received]
    assert arriving and all(visible for _p, visible, _label in arriving)
    assert f"{arriving[-1][0].received:,} records received" in arriving[-1][2]
    assert setup.received == arriving[-1][0].received
    assert WorkstationSettings.load().server_url == clinic.server.url  # the next start knows the server
    runner.shutdown()

    # The profile unlocks like any other and the window opens on the server's schedule.
    window = synced_window(setup.profile_dir, ui_settings(WorkstationSettings.load().server_url))
    assert window.workspace.user.username == clinic.doctor
    threads = network_threads(window.sync_service)
    wait_status(qtbot, window, lambda t: t.startswith("Online · last sync "))
    day = ui.show_day(window, clinic.day)
    assert any(e.appointment_id == clinic.appointment_id for e in day.entries)

    # Weeks later the server no longer takes the stored sign-in: the status bar says so instead of
    # "Online", and the doctor signs in again on the Settings page.
    with clinic.db.begin() as conn:
        conn.execute(
            text("UPDATE refresh_tokens SET expires_at = now() WHERE user_id = :u"), {"u": clinic.doctor_id}
        )
    with qtbot.waitSignal(window.sync.failed, timeout=WAIT_MS) as failed:
        window.sync.sync_action.trigger()
    assert "sign in again" in failed.args[0].message
    wait_status(qtbot, window, lambda t: t.startswith("Sync: sign in again (Settings)"))
    window.settings_page.settings_action.trigger()
    page = window.settings_page
    assert window.pages.currentWidget() is page and page.server_url.text() == clinic.server.url
    qtbot.keyClicks(page.server_user, clinic.doctor)
    qtbot.keyClicks(page.server_password, clinic.password)
    with qtbot.waitSignal(window.sync.synced, timeout=WAIT_MS) as synced:  # signing in syncs at once
        qtbot.mouseClick(page.sign_in_button, Qt.MouseButton.LeftButton)
    assert synced.args[0].ok and page.server_password.text() == ""
    assert page.sign_in_state.text() == f"Signed in to the sync server as {clinic.doctor}."
    wait_status(qtbot, window, ONLINE_AND_DONE.match)

    # The doctor checks the patient in from the schedule: the change waits, then goes up.
    select_visit(qtbot, window, ui, clinic)
    with qtbot.waitSignal(window.schedule.status_changed, timeout=WAIT_MS):
        window.schedule.check_in_action.trigger()
    wait_status(qtbot, window, lambda t: re.match(r"^Online · last sync .* · [1-9]\d* waiting$", t))
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT_MS)
    with qtbot.waitSignal(window.sync.synced, timeout=WAIT_MS) as synced:
        qtbot.keyClick(
            window, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
        )
    report = synced.args[0]
    assert report.ok and report.applied >= 1 and report.rejected == 0
    wait_status(qtbot, window, ONLINE_AND_DONE.match)
    assert len(threads) == 4 and threading.main_thread() not in threads  # none on the GUI thread
    on_server = clinic.row("appointments", clinic.appointment_id)
    assert on_server["status"] == AppointmentStatus.CHECKED_IN.value
    assert on_server["status_history"][-1]["status"] == AppointmentStatus.CHECKED_IN.value
    assert on_server["checked_in_at"] is not None


def test_a_note_edited_on_two_workstations_is_reconciled_in_the_window_and_both_texts_are_kept(
    qtbot: QtBot, ui: Any, clinic: Clinic, synced_window: Opener, tmp_path: Path
) -> None:
    # The same doctor works in the exam room and in the office: two workstations, one server.
    profiles = two_workstations(clinic, tmp_path)
    settings = ui_settings(clinic.server.url)
    exam, office = (synced_window(p, settings) for p in profiles)

    # In the exam room the doctor opens the visit and writes the note; it goes up.
    open_visit(qtbot, exam, ui, clinic)
    note = exam.encounter.note
    assert note is not None
    type_into(qtbot, exam, "subjective", "Cough for three days.")
    save_note(qtbot, exam)
    assert sync_now(qtbot, exam).applied >= 1

    # The office pulls it and opens the same note. Both workstations wrote the doctor's sign-in
    # time when they were unlocked: bookkeeping, settled without asking anyone.
    first = sync_now(qtbot, office)
    assert first.pulled >= 1 and first.conflicts == 0 and office.sync.conflict_dialog is None
    assert conflict_ops.open_conflicts(office.workspace) == []
    open_visit(qtbot, office, ui, clinic)
    assert office.encounter.note is not None and office.encounter.note.id == note.id
    assert office.encounter.editor.section_text("subjective") == "Cough for three days."

    # Both change it before either hears of the other.
    type_into(qtbot, exam, "plan", "Rest and fluids.")
    save_note(qtbot, exam)
    assert sync_now(qtbot, exam).applied >= 1
    type_into(qtbot, office, "subjective", " Worse at night.")
    save_note(qtbot, office)
    with qtbot.waitSignal(office.sync.synced, timeout=WAIT_MS) as synced:
        office.sync.sync_action.trigger()
    assert synced.args[0].conflicts == 1
    wait_status(
        qtbot, office, lambda t: t.startswith("Online · last sync ") and t.endswith(" · 1 conflict(s)")
    )
    qtbot.waitUntil(lambda: office.sync.conflict_dialog is not None, timeout=WAIT_MS)  # offered at once
    ui.wait_quiet(office)
    assert office.sync.conflict_dialog is not None
    office.sync.conflict_dialog.reject()

    # The doctor opens the reconcile view from the status bar: both texts side by side.
    qtbot.mouseClick(office.sync_label, Qt.MouseButton.LeftButton)
    dialog = office.sync.conflict_dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.list.count() == 1 and dialog.current() is not None, timeout=WAIT_MS)
    assert dialog.isVisible() and dialog.texts.isVisible() and dialog.merge_button.isEnabled()
    assert dialog.server_edits["subjective"].toPlainText() == "Cough for three days."
    assert dialog.local_edits["subjective"].toPlainText() == "Cough for three days. Worse at night."
    assert dialog.server_edits["plan"].toPlainText() == "Rest and fluids."
    assert dialog.local_edits["plan"].toPlainText() == ""
    assert dialog.merged_edits["plan"].toPlainText() == "Rest and fluids."  # only one side wrote it
    merged_subjective = dialog.merged_edits["subjective"]
    merged_subjective.selectAll()
    qtbot.keyClicks(merged_subjective, "Cough for three days, worse at night.")
    with qtbot.waitSignal(dialog.resolved, timeout=WAIT_MS) as resolved:
        qtbot.mouseClick(dialog.merge_button, Qt.MouseButton.LeftButton)
    assert resolved.args[0].status is ConflictStatus.RESOLVED
    qtbot.waitUntil(lambda: dialog.list.count() == 0, timeout=WAIT_MS)
    dialog.reject()
    wait_status(qtbot, office, lambda t: "conflict" not in t)

    # The merged text goes up; the office's window shows the note as it now stands.
    report = sync_now(qtbot, office)
    assert report.ok and report.applied >= 1 and report.conflicts == 0
    wait_status(qtbot, office, ONLINE_AND_DONE.match)
    merged = {"subjective": "Cough for three days, worse at night.", "plan": "Rest and fluids."}
    qtbot.waitUntil(lambda: office.encounter.editor.section_text("subjective") == merged["subjective"])
    with office.workspace.store.session() as s:
        kept = s.scalars(select(SyncConflict).where(SyncConflict.record_id == note.id)).one()
        assert kept.status is ConflictStatus.RESOLVED and kept.resolved_at is not None
        assert kept.local_values["content"]["subjective"] == "Cough for three days. Worse at night."
        assert kept.server_values["content"]["subjective"] == "Cough for three days."

    # On the server: the merged text is current, and the losing text is kept beside the versions.
    with clinic.api() as api:
        answer = api.get(f"/notes/{note.id}/history")
    answer.raise_for_status()
    revisions = answer.json()["revisions"]
    versions = [r for r in revisions if r["kind"] == "version"]
    lost = [r for r in revisions if r["kind"] == "conflict"]
    assert {k: versions[-1]["fields"]["content"][k] for k in merged} == merged
    assert [r["fields"]["content"]["subjective"] for r in lost] == ["Cough for three days. Worse at night."]
    assert clinic.row("clinical_notes", note.id)["version"] == versions[-1]["version"]

    # The exam room pulls the merged text, and its open note shows it.
    assert sync_now(qtbot, exam).pulled >= 1
    qtbot.waitUntil(lambda: exam.encounter.editor.section_text("subjective") == merged["subjective"])
    assert exam.encounter.editor.section_text("plan") == merged["plan"]
    with exam.workspace.store.session() as s:
        pulled = s.get(ClinicalNote, note.id)
        assert pulled is not None and {k: pulled.content[k] for k in merged} == merged
