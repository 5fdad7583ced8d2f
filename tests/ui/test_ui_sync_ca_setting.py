"""The "CA certificate" setting for a sync server whose certificate comes from the practice's own
certificate authority: on the settings page and in the workstation set-up dialog, found by its
accessible name, reached from the keyboard, filled by Browse…, checked off the GUI thread before
anything is saved; and end to end, a workstation set up in the dialog against the real TLS server
whose window then syncs through the profile's CA file (tests/integration/sync/tls_support.py)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QFileDialog, QLabel, QWidget
from pytestqt.qtbot import QtBot

from app.settings import SETTINGS_FILE, WorkstationSettings, data_root
from app.sync_service import SyncService
from app.workspace import Workspace
from sync.status import SyncReport
from tests.integration.sync.practice_ca import PracticeCa, make_practice_ca
from tests.support.profiles import PASSWORD
from tests.support.window import page_context
from ui.main_window import MainWindow
from ui.settings_page import SettingsPage
from ui.worker import Runner
from ui.workstation_setup import WorkstationSetupDialog

if TYPE_CHECKING:
    from tests.integration.sync.tls_support import TlsServer

    from .sync_fixtures import Clinic

pytest_plugins = ["tests.ui.sync_fixtures", "tests.integration.sync.tls_support"]

WAIT_MS = 30_000


@pytest.fixture
def ca(tmp_path: Path) -> PracticeCa:
    return make_practice_ca(tmp_path / "ca")


@pytest.fixture
def runner() -> Iterator[Runner]:
    made = Runner()
    yield made
    made.shutdown()


@pytest.fixture
def workspace(profile: Path) -> Iterator[Workspace]:
    made = Workspace.unlock(profile, PASSWORD)
    yield made
    made.close()


def choose_in_file_dialog(monkeypatch: pytest.MonkeyPatch, path: Path) -> list[str]:
    """The file dialog, answered with ``path``; returns the titles it was opened with."""
    asked: list[str] = []

    def answer(parent: QWidget, title: str, start: str, filters: str) -> tuple[str, str]:
        asked.append(title)
        return str(path), filters.split(";;")[0]

    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(answer))
    return asked


def worker_threads(service: SyncService) -> list[threading.Thread]:
    """Notes the thread each CA change of ``service`` runs on."""
    threads: list[threading.Thread] = []
    real = service.set_ca_file

    def spy(*args: Any, **kwargs: Any) -> Any:
        threads.append(threading.current_thread())
        return real(*args, **kwargs)

    service.set_ca_file = spy  # type: ignore[method-assign]
    return threads


def activate(qtbot: QtBot, widget: QWidget) -> None:
    widget.show()
    widget.activateWindow()
    qtbot.waitUntil(widget.isActiveWindow, timeout=WAIT_MS)


def tab_from(qtbot: QtBot, widget: QWidget) -> QWidget | None:
    widget.setFocus()
    qtbot.keyClick(widget, Qt.Key.Key_Tab)
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    return app.focusWidget()


def label_for(root: QWidget, field: QWidget) -> QLabel:
    return next(label for label in root.findChildren(QLabel) if label.buddy() is field)


def test_the_settings_page_keeps_the_ca_file_in_the_profile_and_refuses_a_bad_one(
    qtbot: QtBot, runner: Runner, workspace: Workspace, ca: PracticeCa, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = workspace.store
    service = SyncService(store, "https://sync.harbour-street.internal:8700")
    settings = WorkstationSettings(server_url=service.server_url)
    view = SettingsPage(page_context(runner, workspace, settings), sync=service)
    qtbot.addWidget(view)
    activate(qtbot, view)
    threads = worker_threads(service)

    # Named for screen readers, labelled with a mnemonic, and next after the server's address.
    assert view.ca_file.accessibleName() == "CA certificate file"
    assert "practice's own certificate authority" in view.ca_file.accessibleDescription()
    assert view.ca_browse.accessibleName() == "Browse for the CA certificate file"
    assert label_for(view, view.ca_file).text() == "CA cer&tificate:"
    assert view.ca_file.text() == ""
    assert tab_from(qtbot, view.server_url) is view.ca_file
    assert tab_from(qtbot, view.ca_file) is view.ca_browse

    # Browse… from the keyboard fills the field; nothing is kept until Save.
    asked = choose_in_file_dialog(monkeypatch, ca.key_only)
    view.ca_browse.setFocus()
    qtbot.keyClick(view.ca_browse, Qt.Key.Key_Space)
    assert asked == ["Practice CA certificate"] and view.ca_file.text() == str(ca.key_only)
    assert service.ca_file is None

    # A file that is no certificate: said on the page, naming it; neither profile nor settings change.
    view.save_button.click()
    qtbot.waitUntil(lambda: view.error.isVisible() and view.save_button.isEnabled(), timeout=WAIT_MS)
    assert view.error.text() == (
        f"The CA certificate file {ca.key_only} holds no certificate; choose the practice's CA "
        "certificate (a .pem, .crt or .cer file)"
    )
    assert service.ca_file is None and SyncService(store, service.server_url).ca_file is None
    assert not (data_root() / SETTINGS_FILE).exists()

    # The practice's CA: checked on the worker, kept in the profile, and the page says nothing wrong.
    view.ca_file.clear()
    qtbot.keyClicks(view.ca_file, str(ca.ca_pem))
    with qtbot.waitSignal(view.saved, timeout=WAIT_MS):
        view.save_button.click()
    assert not view.error.isVisible()
    assert service.ca_file == str(ca.ca_pem)
    assert SyncService(store, service.server_url).ca_file == str(ca.ca_pem)  # the next start's too
    assert WorkstationSettings.load().ca_file == str(ca.ca_pem)  # offered when the next profile is set up
    assert threads and all(t is not threading.main_thread() for t in threads)

    # Saving again without a change saves at once; emptying the field goes back to no CA file.
    with qtbot.waitSignal(view.saved, timeout=WAIT_MS):
        view.save_button.click()
    assert len(threads) == 2  # the refused file and the practice's CA: no third check
    view.ca_file.clear()
    with qtbot.waitSignal(view.saved, timeout=WAIT_MS):
        view.save_button.click()
    assert service.ca_file is None and WorkstationSettings.load().ca_file == ""


def test_the_set_up_dialog_offers_the_ca_file_and_a_bad_one_makes_no_profile(
    qtbot: QtBot, runner: Runner, ca: PracticeCa, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "profiles"
    dialog = WorkstationSetupDialog(
        runner, WorkstationSettings(server_url="https://127.0.0.1:1", ca_file=str(ca.ca_pem)), root=root
    )
    qtbot.addWidget(dialog)
    activate(qtbot, dialog)
    # offered from the workstation's last set-up, named, labelled, and reached from the address
    assert dialog.ca_file.text() == str(ca.ca_pem)
    assert dialog.ca_file.accessibleName() == "CA certificate file"
    assert label_for(dialog, dialog.ca_file).text() == "CA cer&tificate:"
    assert tab_from(qtbot, dialog.server_url) is dialog.ca_file
    assert tab_from(qtbot, dialog.ca_file) is dialog.ca_browse

    choose_in_file_dialog(monkeypatch, ca.empty)
    qtbot.mouseClick(dialog.ca_browse, Qt.MouseButton.LeftButton)
    assert dialog.ca_file.text() == str(ca.empty)
    for field, text in (
        (dialog.username, "dr.vale"),
        (dialog.server_password, "server password"),
        (dialog.profile_password, PASSWORD),
        (dialog.profile_password_again, PASSWORD),
    ):
        qtbot.keyClicks(field, text)
    qtbot.mouseClick(dialog.set_up_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.error.isVisible() and not dialog.busy, timeout=WAIT_MS)
    assert dialog.error.text().startswith(f"The CA certificate file {ca.empty} is empty")
    assert not (root / "dr.vale").exists() and dialog.isVisible() and dialog.setup is None
    assert dialog.ca_file.isEnabled() and dialog.ca_browse.isEnabled()


def test_a_workstation_set_up_with_the_practices_ca_syncs_from_its_window(
    qtbot: QtBot,
    runner: Runner,
    clinic: Clinic,
    tls_server: TlsServer,
    synced_window: Callable[[Path, WorkstationSettings], MainWindow],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dialog = WorkstationSetupDialog(runner, WorkstationSettings())
    qtbot.addWidget(dialog)
    activate(qtbot, dialog)
    qtbot.keyClicks(dialog.server_url, tls_server.url)
    for field, text in (
        (dialog.username, clinic.doctor),
        (dialog.server_password, clinic.password),
        (dialog.profile_password, clinic.profile_password),
        (dialog.profile_password_again, clinic.profile_password),
    ):
        qtbot.keyClicks(field, text)

    # Without the CA the server's certificate is refused, and the dialog says where the CA goes.
    qtbot.mouseClick(dialog.set_up_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.error.isVisible() and not dialog.busy, timeout=WAIT_MS)
    assert dialog.error.text().startswith("The sync server's certificate is not trusted")
    assert "CA certificate in the sync settings" in dialog.error.text()

    choose_in_file_dialog(monkeypatch, tls_server.ca.ca_pem)
    qtbot.mouseClick(dialog.ca_browse, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(dialog.accepted, timeout=WAIT_MS):
        qtbot.mouseClick(dialog.set_up_button, Qt.MouseButton.LeftButton)
    made = dialog.setup
    assert made is not None and made.ca_file == str(tls_server.ca.ca_pem) and made.received > 0
    saved = WorkstationSettings.load()
    assert saved.server_url == tls_server.url and saved.ca_file == str(tls_server.ca.ca_pem)

    # The window makes its SyncService from the server's address alone; the profile's CA file does
    # the rest: Sync now goes through TLS and the status bar says Online.
    window = synced_window(
        made.profile_dir, WorkstationSettings(whisper_model="tiny.en", server_url=tls_server.url)
    )
    window.settings_page.settings_action.trigger()  # the page reads the profile's CA file when shown
    qtbot.waitUntil(lambda: window.settings_page.ca_file.text() == str(tls_server.ca.ca_pem), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.runner.pending == 0, timeout=WAIT_MS)
    with qtbot.waitSignal(window.sync.synced, timeout=WAIT_MS) as synced:
        window.sync.sync_action.trigger()
    report = synced.args[0]
    assert isinstance(report, SyncReport) and report.ok
    qtbot.waitUntil(lambda: window.sync_label.text().startswith("Online"), timeout=WAIT_MS)
