"""None, True and False made immortal on CPython 3.11, as CPython 3.12 makes them (PEP 683),
because PySide6 6.12 takes references from them that it never gave.

Measured with PySide6-Essentials 6.12.0 on CPython 3.11 (``python -m tests.refcount_probe``):
every call of a C++ method returning void (``label.setText``, ``widget.update``,
``painter.save``, ``painter.setPen``, ``view.repaint``...) takes one reference from None, as
does a C++ model's ``data`` returning nothing, and every ``Signal.emit`` takes one from True.
6.7.3, 6.8.3, 6.9.3, 6.10.3, 6.11.0 and 6.11.3 take none (``pyproject.toml`` keeps to them).
CPython 3.11 counts references to these three like any object's: once the window is
imported None has about 35,000 and True about 8,000, and when a count reaches zero the
interpreter aborts ("Fatal Python error: none_dealloc" or "bool_dealloc"): a writer's long
session, ``bench/list_scroll.py`` after about 140 screenfuls of the list, the test suite
after about 300 tests. From CPython 3.12 their counts are fixed and never fall.

``make_immortal`` raises the three counts by 2**60, once, before any Qt call: at one lost
reference per call and a million calls a second that lasts 36,000 years, and the count
(a 64-bit ``Py_ssize_t``) stays below its limit, 2**63. Nothing reads these counts but
``sys.getrefcount`` and the check at zero. The package imports this first
(``desktop/ui/__init__.py``), so no window code can run without it.
"""

from __future__ import annotations

import ctypes
import sys

#: Added once to each count: the objects can then lose 2**60 references.
RESERVE = 2**60
SHARED = (None, True, False)


def _count(obj: object) -> ctypes.c_ssize_t:
    """The object's reference count, in place (``ob_refcnt``: the first field of every
    object in a release build of CPython, at the address ``id`` gives)."""
    return ctypes.c_ssize_t.from_address(id(obj))


def make_immortal() -> bool:
    """Raise the counts of None, True and False by ``RESERVE`` (on CPython 3.11, once).
    Whether they are now out of reach of a lost reference."""
    if sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return True  # immortal already (PEP 683), or no reference counts
    for obj in SHARED:
        count = _count(obj)
        if count.value >= RESERVE:
            continue  # done already
        if abs(count.value - sys.getrefcount(obj)) > 1000:
            return False  # not where a release build keeps it: leave it alone
        count.value += RESERVE
    return True
