"""A stand-in for "any application": one text box whose text is written to a file on every
change (atomically), so a test or benchmark sees what a paste put there."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from PySide6.QtWidgets import QApplication, QPlainTextEdit


def main() -> int:
    out = Path(sys.argv[1])
    app = QApplication(sys.argv[:1])
    box = QPlainTextEdit()
    box.setWindowTitle("Quick Fill target")

    def save() -> None:
        partial = out.with_suffix(".tmp")
        partial.write_text(box.toPlainText(), encoding="utf-8")
        os.replace(partial, out)

    box.textChanged.connect(save)
    box.resize(520, 300)
    box.move(40, 40)
    box.show()
    box.activateWindow()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
