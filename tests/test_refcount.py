"""A long session survives PySide6 6.12's lost references to None and True on CPython 3.11
(desktop/ui/immortal.py): the calls that take them, far more times than None and True
have references, in a process of their own (an abort there must not end the test run)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: Each round takes 3 references from None and 1 from True under PySide6 6.12 on 3.11;
#: once the window is imported None has about 35,000 references and True about 8,000
#: (measured), so 100,000 rounds would empty each of them several times over.
ROUNDS = 100_000

SESSION = textwrap.dedent(
    f"""
    import os, sys
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    import desktop.ui  # what every window module imports first
    from PySide6.QtCore import QObject, Signal
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtWidgets import QApplication, QLabel

    class Source(QObject):
        changed = Signal()

    app = QApplication([])
    label, source = QLabel(), Source()
    source.changed.connect(lambda: None)
    image = QImage(16, 16, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    for number in range({ROUNDS}):
        label.setText("edited")  # void
        painter.save()  # void
        painter.restore()  # void
        label.update()  # void
        source.changed.emit()  # True
    painter.end()
    print("survived", {ROUNDS}, "rounds")
    """
)


def test_a_long_session_of_void_calls_and_signals_does_not_abort_the_interpreter() -> None:
    run = subprocess.run(
        [sys.executable, "-c", SESSION], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert "Fatal Python error" not in run.stderr, run.stderr[-2000:]
    assert run.returncode == 0, (run.returncode, run.stderr[-2000:])
    assert f"survived {ROUNDS} rounds" in run.stdout


def test_none_true_and_false_are_out_of_reach_of_lost_references() -> None:
    """Once the window package is imported, each of the three has more references than a
    session can take (2**60 more on 3.11; on 3.12 and later they are immortal, the count
    fixed at 2**32 - 1)."""
    import desktop.ui  # noqa: F401

    for shared in (None, True, False):
        assert sys.getrefcount(shared) > 2**31, shared
