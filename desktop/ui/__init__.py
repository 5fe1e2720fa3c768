"""The window (Qt). Before any of it runs, None, True and False are made immortal on
CPython 3.11: PySide6 6.12 takes references from them on every void call and every signal
emitted, and a long session would abort (``desktop/ui/immortal.py``)."""

from desktop.ui.immortal import make_immortal

make_immortal()
