"""The status bar shows the whole sync state, whatever came before it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.sync_service import SyncState
from sync.status import SyncStatus


def state(*, online: bool, waiting: int, conflicts: int = 0) -> SyncState:
    status = SyncStatus(
        online=online,
        last_success_at=datetime(2026, 12, 7, 8, 30, tzinfo=UTC) if online else None,
        pending_changes=waiting,
        open_conflicts=conflicts,
        last_error=None,
        signed_in_as="doctor" if online else None,
    )
    return SyncState(configured=True, status=status)


def test_each_sync_state_is_shown_in_full_after_the_one_before(
    qtbot: QtBot, profile: Path, open_window, ui
) -> None:
    window = open_window(profile)
    window.sync.shutdown()  # no more status reads: only the states below are shown
    ui.wait_quiet(window)
    label = window.sync_label
    for shown in (
        state(online=False, waiting=0),
        state(online=False, waiting=19),
        state(online=True, waiting=1234),
        state(online=True, waiting=3, conflicts=2),
        state(online=False, waiting=100_000),
    ):
        label.show_state(shown)
        QApplication.processEvents()
        qtbot.waitUntil(lambda: label.width() >= label.sizeHint().width(), timeout=2_000)
        assert label.text() == shown.summary
