"""The desktop UI (PySide6). Nothing outside this package imports Qt.

PySide6 is pinned to 6.11.3: 6.12.0 drops a reference to ``None`` on every void Qt call, which on
CPython 3.11 (where ``None`` is not immortal) ends a long session with "Fatal Python error:
none_dealloc". tests/ui/test_ui_binding_guard.py catches a binding with that fault.
"""
