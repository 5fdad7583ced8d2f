"""The registry through which each page places its own actions in the menus and the toolbar
(Spyder's model: a plugin creates its actions and adds them to the application's menus by id and
section; the main window only lays the menus out).

A page makes an action with :meth:`ActionRegistry.create`, naming the menu, the group within it (a
separator between groups) and optionally the toolbar group; actions appear in the order they were
made within a group. The page enables its actions from its own state with :meth:`ActionRegistry.enable`,
which also honours the lock. An action that means "this, on the page being shown" (Refresh, Open
linked) is a :class:`RoutedAction`: one menu entry and shortcut, a handler per page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from PySide6.QtCore import QObject, QSize, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QToolBar, QWidget

from ui.app import make_action

Shortcut = QKeySequence | QKeySequence.StandardKey | str


class Menu(Enum):
    """The menu bar, in order."""

    FILE = "&File"
    VIEW = "&View"
    APPOINTMENT = "&Appointment"
    PATIENT = "&Patient"
    ENCOUNTER = "&Encounter"
    DICTATION = "&Dictation"
    WORK = "&Work"
    HELP = "&Help"


@dataclass(frozen=True)
class _Placed:
    action: QAction
    menu: Menu
    group: int
    toolbar: int | None
    while_locked: bool


class RoutedAction:
    """One action that works on the page being shown: each page that has something to do for it
    registers a handler; on a page without one, the default handler runs."""

    def __init__(self, action: QAction, current_page: Callable[[], QWidget | None]) -> None:
        self.action = action
        self._current_page = current_page
        self._handlers: dict[QWidget, Callable[[], object]] = {}
        self._default: Callable[[], object] | None = None
        action.triggered.connect(lambda _checked=False: self.trigger())

    def handle(self, page: QWidget, handler: Callable[[], object], *, default: bool = False) -> None:
        self._handlers[page] = handler
        if default:
            self._default = handler

    def trigger(self) -> None:
        page = self._current_page()
        handler = self._handlers.get(page) if page is not None else None
        handler = handler or self._default
        if handler is not None:
            handler()


class ActionRegistry(QObject):
    """Every action of the main window, where it sits, and whether it may be used now."""

    def __init__(self, current_page: Callable[[], QWidget | None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._current_page = current_page
        self._placed: list[_Placed] = []
        self._by_name: dict[str, QAction] = {}
        self._routed: dict[str, RoutedAction] = {}
        self._updaters: list[Callable[[], object]] = []
        self.locked = False

    def create(
        self,
        text: str,
        *,
        name: str,
        menu: Menu,
        group: int = 0,
        shortcut: Shortcut,
        slot: Callable[[], object] | None = None,
        icon_name: str | None = None,
        tip: str | None = None,
        toolbar: int | None = None,
        while_locked: bool = False,
    ) -> QAction:
        """A new action (with its shortcut in its tooltip) placed in ``menu``'s ``group`` and, with
        ``toolbar``, in that toolbar group. ``name`` finds it again (:meth:`get`)."""
        action = make_action(
            self, text, shortcut=shortcut, slot=slot, icon_name=icon_name, tip=tip, name=name
        )
        if name in self._by_name:
            raise ValueError(f"two actions are named {name!r}")
        self._by_name[name] = action
        self._placed.append(_Placed(action, menu, group, toolbar, while_locked))
        return action

    def route(self, action: QAction) -> RoutedAction:
        """``action`` (made with :meth:`create`) works on the page being shown: each page that has
        something to do for it registers a handler (``get_routed(name).handle(page, ...)``)."""
        routed = RoutedAction(action, self._current_page)
        self._routed[action.objectName()] = routed
        return routed

    def get(self, name: str) -> QAction:
        return self._by_name[name]

    def get_routed(self, name: str) -> RoutedAction:
        return self._routed[name]

    def trigger(self, name: str) -> None:
        self._by_name[name].trigger()

    def all(self) -> list[QAction]:
        """Every action, in menu order."""
        return [p.action for p in self._in_menu_order()]

    def _in_menu_order(self) -> list[_Placed]:
        order = list(Menu)
        return sorted(self._placed, key=lambda p: (order.index(p.menu), p.group))  # sorted() is stable

    def install(self, window: QMainWindow) -> QToolBar:
        """Lays the menus and the toolbar out; every action also goes on the window, so its shortcut
        works when the menu bar is hidden."""
        bar = window.menuBar()
        placed = self._in_menu_order()
        for menu_id in Menu:
            in_menu = [p for p in placed if p.menu is menu_id]
            if not in_menu:
                continue
            menu = bar.addMenu(menu_id.value)
            menu.setAccessibleName(menu_id.value.replace("&", "") + " menu")
            for i, p in enumerate(in_menu):
                if i and p.group != in_menu[i - 1].group:
                    menu.addSeparator()
                menu.addAction(p.action)
        toolbar = QToolBar("Main toolbar")
        toolbar.setObjectName("mainToolbar")
        toolbar.setMovable(False)
        toolbar.setIconSize(QSize(20, 20))
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        on_toolbar = sorted((p for p in self._placed if p.toolbar is not None), key=lambda p: p.toolbar or 0)
        for i, p in enumerate(on_toolbar):
            if i and p.toolbar != on_toolbar[i - 1].toolbar:
                toolbar.addSeparator()
            toolbar.addAction(p.action)
        window.addToolBar(toolbar)
        window.addActions([p.action for p in self._placed])
        return toolbar

    # -- enabling ----------------------------------------------------------------------------------

    def add_updater(self, update: Callable[[], object]) -> None:
        """``update`` enables its owner's actions from the owner's state; it runs after unlocking."""
        self._updaters.append(update)

    def enable(self, action: QAction, allowed: bool) -> None:
        action.setEnabled(allowed and not self.locked)

    def set_locked(self, locked: bool) -> None:
        """Locked: nothing but what may be used while locked (Quit). Unlocked: each owner enables
        its own actions again."""
        self.locked = locked
        for p in self._placed:
            p.action.setEnabled(p.while_locked or not locked)
        if not locked:
            for update in self._updaters:
                update()
