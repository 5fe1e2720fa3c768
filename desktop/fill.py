"""Filling a template's variables for Quick Fill's form: built-in values, defaults, choice
lists, presets and the values used last time.

The syntax stays inside what GravyJS treats as one variable (a name between ``[[`` and
``]]`` with no ``[``, ``]``, ``<`` or ``>`` in it), so the web app shows every form below as
an ordinary variable to fill, named by the whole text between the brackets, and its
populate replaces it like any other:

- ``[[name]]``: typed (remembered from the last fill).
- ``[[name|default]]``: typed, ``default`` until something else is typed or remembered.
- ``[[name|one|two|three]]``: a choice list; ``one`` is the default.
- ``[[date]]``, ``[[date:DD/MM/YYYY]]``: today's date (``YYYY-MM-DD`` unless a format is
  given); ``[[time]]``, ``[[time:HH:mm:ss]]``: the time now (``HH:mm``).
- ``[[clipboard]]``: the clipboard's text when the form opens.

Built-in values and defaults only prefill the form: the writer can change every field.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from desktop.variables import Delimiters, extract_variables

Kind = Literal["text", "choice", "date", "time", "clipboard"]

DEFAULT_FORMATS = {"date": "YYYY-MM-DD", "time": "HH:mm"}
BUILT_INS = ("date", "time", "clipboard")
#: Characters a variable may not contain if GravyJS and this app are to see one variable.
FORBIDDEN = frozenset("[]<>")

_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


@dataclass(frozen=True)
class Field:
    """One variable of a template as the form shows it.

    ``key`` is the whole text between the delimiters (what populate fills), ``name`` the
    part before any ``|`` or ``:`` (what presets and remembered values are keyed by).
    """

    key: str
    name: str
    kind: Kind = "text"
    default: str = ""
    choices: tuple[str, ...] = ()
    format: str = ""

    @property
    def built_in(self) -> bool:
        return self.kind in BUILT_INS


def parse_field(key: str) -> Field:
    key = key.strip()
    if "|" in key:
        name, *options = (part.strip() for part in key.split("|"))
        if len(options) == 1:
            return Field(key, name, default=options[0])
        return Field(key, name, "choice", default=options[0], choices=tuple(options))
    head, _, fmt = key.partition(":")
    head = head.strip()
    if head in ("date", "time"):
        return Field(key, head, head, format=fmt.strip() or DEFAULT_FORMATS[head])  # type: ignore[arg-type]
    if key == "clipboard":
        return Field(key, key, "clipboard")
    return Field(key, key)


def fields(content_html: str, delimiters: Delimiters | None = None) -> list[Field]:
    """The form's fields, in order of first appearance."""
    found = extract_variables(content_html, delimiters or Delimiters())
    return [parse_field(key) for key in found]


_TOKEN = re.compile(r"YYYY|YY|MMMM|MMM|MM|M|DD|D|dddd|ddd|HH|H|hh|h|mm|ss|A")


def format_moment(fmt: str, moment: datetime) -> str:
    """``moment`` written with the tokens YYYY YY MMMM MMM MM M DD D dddd ddd HH H hh h mm
    ss A (the common subset of Moment.js and day.js); other characters are kept as they are."""
    hour12 = moment.hour % 12 or 12
    values = {
        "YYYY": f"{moment.year:04d}",
        "YY": f"{moment.year % 100:02d}",
        "MMMM": _MONTHS[moment.month - 1],
        "MMM": _MONTHS[moment.month - 1][:3],
        "MM": f"{moment.month:02d}",
        "M": str(moment.month),
        "DD": f"{moment.day:02d}",
        "D": str(moment.day),
        "dddd": _DAYS[moment.weekday()],
        "ddd": _DAYS[moment.weekday()][:3],
        "HH": f"{moment.hour:02d}",
        "H": str(moment.hour),
        "hh": f"{hour12:02d}",
        "h": str(hour12),
        "mm": f"{moment.minute:02d}",
        "ss": f"{moment.second:02d}",
        "A": "AM" if moment.hour < 12 else "PM",
    }
    return _TOKEN.sub(lambda match: values[match.group(0)], fmt)


def initial_values(
    form: Iterable[Field],
    remembered: Mapping[str, str] | None = None,
    clipboard: str = "",
    now: datetime | None = None,
) -> dict[str, str]:
    """What each field (by key) shows when the form opens: a built-in's value; else the
    value remembered for its name (for a choice list, only if still one of its choices);
    else its default."""
    remembered = remembered or {}
    moment = now or datetime.now()
    values: dict[str, str] = {}
    for field in form:
        if field.kind in ("date", "time"):
            values[field.key] = format_moment(field.format, moment)
        elif field.kind == "clipboard":
            values[field.key] = clipboard
        elif field.kind == "choice":
            last = remembered.get(field.name)
            values[field.key] = last if last in field.choices else field.default
        else:
            values[field.key] = remembered.get(field.name, field.default)
    return values


def preset_values(form: Iterable[Field], preset: Mapping[str, str]) -> dict[str, str]:
    """The values a preset gives the form's fields (matched by key, then by name)."""
    values: dict[str, str] = {}
    for field in form:
        if field.key in preset:
            values[field.key] = preset[field.key]
        elif field.name in preset:
            values[field.key] = preset[field.name]
    return values


def to_remember(form: Iterable[Field], values: Mapping[str, str]) -> dict[str, str]:
    """The typed values worth remembering, by name (built-ins are computed each time)."""
    return {
        field.name: values[field.key]
        for field in form
        if not field.built_in and values.get(field.key)
    }
