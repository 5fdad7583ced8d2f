"""The QApplication, its look, and small helpers every window uses (icons, actions with shortcuts).

Kept free of the Workspace and the data views so that importing it is cheap: the cold start only
pays for what the first screen needs.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QColor, QGuiApplication, QIcon, QKeySequence, QPalette, QWindow
from PySide6.QtWidgets import QApplication, QLabel, QWidget

import resources
from clinicdesk.errors import ClinicDeskError

RESOURCES = resources.path("ui")
APP_NAME = "ClinicDesk"


def application(argv: list[str] | None = None) -> QApplication:
    """The process's QApplication, created on first use with ClinicDesk's name, icon and style."""
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    # Worker threads (speech, sync, database) hand the GIL back sooner, so the GUI thread never waits
    # long for it between events; 1 ms costs the workers little and keeps input and painting smooth.
    sys.setswitchinterval(0.001)
    app = QApplication(argv if argv is not None else [sys.argv[0]])
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(APP_NAME)
    app.setApplicationDisplayName(APP_NAME)
    app.setWindowIcon(icon("app"))
    apply_style(app)
    return app


def apply_style(app: QApplication) -> None:
    style = os.environ.get("CLINICDESK_QT_STYLE", "Fusion")
    if style:
        app.setStyle(style)
    app.setStyleSheet((RESOURCES / "style.qss").read_text(encoding="utf-8"))
    apply_theme(app)
    app.styleHints().colorSchemeChanged.connect(lambda _scheme: apply_theme(app))


THEME_ENV = "CLINICDESK_THEME"


def dark_mode(app: QApplication) -> bool:
    """The system's choice (Qt 6.5+ reads it on Windows, macOS and GNOME/KDE); CLINICDESK_THEME=dark
    or light overrides it for screenshots and for users whose desktop does not report one."""
    forced = os.environ.get(THEME_ENV, "").lower()
    if forced in ("dark", "light"):
        return forced == "dark"
    return app.styleHints().colorScheme() == Qt.ColorScheme.Dark


def dark_palette() -> QPalette:
    p = QPalette()
    roles = QPalette.ColorRole
    for role, colour in (
        (roles.Window, "#1f2227"), (roles.WindowText, "#e6e6e6"), (roles.Base, "#16181c"),
        (roles.AlternateBase, "#23262c"), (roles.Text, "#e6e6e6"), (roles.Button, "#2a2e35"),
        (roles.ButtonText, "#e6e6e6"), (roles.ToolTipBase, "#2a2e35"), (roles.ToolTipText, "#e6e6e6"),
        (roles.Highlight, "#2b6cb0"), (roles.HighlightedText, "#ffffff"), (roles.Link, "#63b3ed"),
        (roles.PlaceholderText, "#9aa0a6"), (roles.Mid, "#3a3f47"), (roles.Midlight, "#34383f"),
    ):  # fmt: skip
        p.setColor(role, QColor(colour))
    p.setColor(QPalette.ColorGroup.Disabled, roles.Text, QColor("#777777"))
    p.setColor(QPalette.ColorGroup.Disabled, roles.ButtonText, QColor("#777777"))
    p.setColor(QPalette.ColorGroup.Disabled, roles.WindowText, QColor("#777777"))
    return p


def apply_theme(app: QApplication) -> None:
    dark = dark_mode(app)
    app.setProperty("clinicdeskDark", dark)
    app.setPalette(dark_palette() if dark else app.style().standardPalette())


_icons: dict[str, QIcon] = {}


def icon(name: str) -> QIcon:
    """An icon from resources/ui/icons (SVG), cached: QIcon loads the file lazily on first paint."""
    cached = _icons.get(name)
    if cached is None:
        cached = QIcon(str(RESOURCES / "icons" / f"{name}.svg"))
        _icons[name] = cached
    return cached


def shortcut_text(shortcut: QKeySequence | QKeySequence.StandardKey | str) -> str:
    seq = shortcut if isinstance(shortcut, QKeySequence) else QKeySequence(shortcut)
    return seq.toString(QKeySequence.SequenceFormat.NativeText)


def make_action(
    parent: QObject,
    text: str,
    *,
    shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None,
    slot: Callable[[], object] | None = None,
    icon_name: str | None = None,
    tip: str | None = None,
    name: str | None = None,
) -> QAction:
    """An action whose tooltip and status tip show its shortcut, so every command is discoverable
    from the keyboard (menus show the shortcut themselves)."""
    action = QAction(text, parent)
    if icon_name:
        action.setIcon(icon(icon_name))
    described = tip or text.replace("&", "").rstrip(".…")
    if shortcut is not None:
        action.setShortcut(shortcut if isinstance(shortcut, QKeySequence) else QKeySequence(shortcut))
        described = f"{described} ({shortcut_text(shortcut)})"
    action.setToolTip(described)
    action.setStatusTip(described)
    if name:
        action.setObjectName(name)
    if slot is not None:
        action.triggered.connect(lambda _checked=False: slot())
    return action


def set_accessible(widget: QWidget, name: str, description: str = "") -> QWidget:
    """Name a control for screen readers (and for tests, which find controls by these names)."""
    widget.setAccessibleName(name)
    if description:
        widget.setAccessibleDescription(description)
    if not widget.objectName():
        widget.setObjectName(name.replace(" ", "_").lower())
    return widget


def error_label() -> QLabel:
    """A dialog's or page's own error line (hidden until there is an error): a refused rule is said
    where the field is, not in a message box."""
    label = QLabel("")
    label.setObjectName("errorMessage")
    label.setWordWrap(True)
    label.setAccessibleName("Error message")
    label.setVisible(False)
    return label


def show_error_in(label: QLabel, error: ClinicDeskError) -> None:
    """An error's message in a dialog's error line, starting with a capital."""
    message = error.message
    label.setText(message[:1].upper() + message[1:])
    label.setVisible(True)


#: What counts as the user doing something (for the idle lock).
INPUT_EVENTS = frozenset(
    {
        QEvent.Type.KeyPress,
        QEvent.Type.MouseButtonPress,
        QEvent.Type.MouseMove,
        QEvent.Type.Wheel,
        QEvent.Type.TouchBegin,
        QEvent.Type.TabletPress,
    }
)


class WindowInputWatcher(QObject):
    """Calls ``on_input`` when the user types, clicks, scrolls or moves the mouse in any of the
    application's windows, without an application-wide event filter.

    An application-wide filter written in Python is called for every event of every object (timers,
    queued signals, paints, layout requests: 1000 to 1500 a second while a dictation and a sync run),
    and each call must first take the GIL, which the worker threads hold much of the time: the GUI
    thread then queues for the GIL on every event. Input reaches a top-level window (QWindow) before
    any of its widgets, so a filter on each top-level window sees all of it for a few dozen calls a
    second. Windows are picked up when the focus moves, which is how a new window or dialog comes in.
    """

    def __init__(self, on_input: Callable[[], object], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._on_input = on_input
        self._app = QGuiApplication.instance()
        if isinstance(self._app, QGuiApplication):
            self._app.focusWindowChanged.connect(self._focus_moved)
            self._focus_moved(None)

    def watch(self, window: QWindow | None) -> None:
        """Also watch ``window`` now (one shown without taking the focus)."""
        if window is not None:
            window.installEventFilter(self)  # installing twice keeps a single filter

    def _focus_moved(self, _window: QWindow | None) -> None:
        for window in QGuiApplication.topLevelWindows():
            self.watch(window)

    def stop(self) -> None:
        if isinstance(self._app, QGuiApplication):
            self._app.focusWindowChanged.disconnect(self._focus_moved)
            for window in QGuiApplication.topLevelWindows():
                window.removeEventFilter(self)
        self._app = None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in INPUT_EVENTS:
            self._on_input()
        return False
