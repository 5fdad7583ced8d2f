"""The QApplication, its look, and small helpers every window uses (icons, actions with shortcuts).

Kept free of the Workspace and the data views so that importing it is cheap: the cold start only
pays for what the first screen needs.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QColor, QIcon, QKeySequence, QPalette
from PySide6.QtWidgets import QApplication, QWidget

RESOURCES = Path(__file__).resolve().parent.parent / "resources" / "ui"
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
