"""UI tests never read or write the user's real window settings."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _isolated(isolated_qsettings: None) -> None:
    """Every UI test gets its own QSettings (see tests/conftest.py)."""
