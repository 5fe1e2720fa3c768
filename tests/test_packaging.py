"""The installers' PyInstaller spec keeps up with the app's dependencies, and the self-test
catches a package that lost its icon font. (The build itself is packaging/smoke.py's:
minutes long, not part of this run.)"""

from __future__ import annotations

import ast
import importlib.util
import os
import re
import subprocess
import sys
import tomllib
from fnmatch import fnmatch
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "packaging" / "gravy-desktop.spec"


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _runtime_dependencies() -> set[str]:
    """The distribution names of pyproject.toml's ``dependencies`` (extras not included)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names = (re.split(r"[\s<>=!~;\[(]", d, maxsplit=1)[0] for d in project["dependencies"])
    return {_normalized(name) for name in names}


def _spec_constant(name: str) -> object:
    """A top-level constant of the spec (it is run by PyInstaller, so it is read, not run)."""
    for node in ast.parse(SPEC.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == name for target in node.targets
        ):
            return ast.literal_eval(node.value)
    raise AssertionError(f"{SPEC.name} has no {name}")


def test_the_spec_lists_every_runtime_dependency_of_pyproject() -> None:
    listed = _spec_constant("DEPENDENCIES")
    assert isinstance(listed, dict)
    in_spec = {_normalized(name) for name in listed}
    required = _runtime_dependencies()
    assert required - in_spec == set(), "add them to DEPENDENCIES in packaging/gravy-desktop.spec"
    assert in_spec - required == set(), "no longer dependencies: remove them from the spec"
    for distribution, modules in listed.items():
        for module in modules:
            assert importlib.util.find_spec(module) is not None, (distribution, module)


def test_the_spec_ships_the_icon_font_the_window_reads() -> None:
    from desktop.ui import icons

    pattern = _spec_constant("ICON_FONT")
    assert isinstance(pattern, str)
    spec = importlib.util.find_spec("qtawesome")
    assert spec is not None and spec.submodule_search_locations
    package = Path(next(iter(spec.submodule_search_locations)))
    for name in (icons.FONT, icons.CHARMAP):
        assert fnmatch(f"fonts/{name}", pattern), (name, pattern)
        assert (package / "fonts" / name).is_file(), name


def test_the_self_test_fails_when_the_icon_font_is_missing(tmp_path: Path) -> None:
    """A package without qtawesome's font would open a window of words alone: the
    self-test says so (a qtawesome without its fonts folder shadows the real one here)."""
    (tmp_path / "qtawesome").mkdir()
    (tmp_path / "qtawesome" / "__init__.py").write_text("")
    done = subprocess.run(
        [str(Path(sys.executable).with_name("gravy-desktop")), "--self-test"],
        capture_output=True,
        text=True,
        timeout=120,
        env=os.environ | {"QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(tmp_path)},
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "FAILED: main window opened and closed: no icon font" in done.stdout
    assert "self-test FAILED (1 step)" in done.stdout


def test_the_self_test_finds_quick_fills_keyboard_backend_on_an_x_display() -> None:
    """pynput loads its backend by name for the desktop it finds; the self-test names it
    (packaging/smoke.py runs the installed package's self-test on Xvfb and requires it)."""
    done = subprocess.run(
        ["xvfb-run", "-a", str(Path(sys.executable).with_name("gravy-desktop")), "--self-test"],
        capture_output=True,
        text=True,
        timeout=120,
        env={k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ok: Quick Fill keys (pynput.keyboard._xorg)" in done.stdout
