"""Guards against a Qt binding that leaks references to None (PySide6 6.12.0 did, on CPython 3.11,
and a long session then died with "Fatal Python error: none_dealloc"). Run in a subprocess: a
faulty binding aborts the interpreter, which would take pytest down with it."""

from __future__ import annotations

import os
import subprocess
import sys

CALLS = 50_000  # far more than None's few thousand references at start-up

LOOP = f"""
import sys
from PySide6.QtWidgets import QApplication, QLabel
app = QApplication([])
label = QLabel()
before = sys.getrefcount(None)
for _ in range({CALLS}):
    label.setText("x")  # a void method: returns None
    app.processEvents()
print(sys.getrefcount(None) - before)
"""


def test_many_void_qt_calls_neither_crash_nor_leak_references_to_none() -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-c", LOOP], env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert abs(int(done.stdout.strip().splitlines()[-1])) < 100
