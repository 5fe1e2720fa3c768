"""The layering rules, read from the modules' imports (``ast``, nothing is imported)."""

from __future__ import annotations

import ast
from pathlib import Path

import desktop
from desktop.store import models

PACKAGE = Path(desktop.__file__).parent

#: The SQLAlchemy classes of the schema: the store hands out plain data instead.
ORM_CLASSES = frozenset(
    name
    for name, value in vars(models).items()
    if isinstance(value, type) and issubclass(value, models.Base)
)


def _imported_names(path: Path) -> set[str]:
    """Every ``desktop.store.models`` name a module imports (or reaches as ``models.X``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    aliases: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "desktop.store.models":
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module == "desktop.store":
            aliases.update(a.asname or a.name for a in node.names if a.name == "models")
        elif isinstance(node, ast.Import):
            aliases.update(
                a.asname or a.name for a in node.names if a.name == "desktop.store.models"
            )
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and ast.unparse(node.value) in aliases:
            names.add(node.attr)
    return names


def test_no_orm_class_is_imported_outside_the_store() -> None:
    assert {"OutboxEntry", "RecordRow", "TemplateRow", "SyncRecord"} <= ORM_CLASSES
    leaks = {
        str(path.relative_to(PACKAGE.parent)): sorted(_imported_names(path) & ORM_CLASSES)
        for path in PACKAGE.rglob("*.py")
        if PACKAGE / "store" not in path.parents
    }
    assert {module: names for module, names in leaks.items() if names} == {}
