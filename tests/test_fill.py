"""Filling variables: the extended forms stay one ordinary variable for GravyJS, built-ins,
defaults, choice lists, presets and remembered values."""

from __future__ import annotations

import re
from datetime import datetime

from hypothesis import given
from hypothesis import strategies as st

from desktop.fill import (
    FORBIDDEN,
    Field,
    fields,
    format_moment,
    initial_values,
    parse_field,
    preset_values,
    to_remember,
)
from desktop.variables import populate

# What a web page's populate most plausibly does: everything between [[ and ]].
WEB_PATTERN = re.compile(r"\[\[(.*?)\]\]")

part = st.text(
    st.characters(
        blacklist_characters=sorted(FORBIDDEN | set("|:&")),
        blacklist_categories=("Cs", "Cc", "Zl", "Zp"),
    ),
    min_size=1,
    max_size=12,
).filter(lambda s: s.strip() == s and s.strip())


@given(name=part, options=st.lists(part, min_size=0, max_size=4))
def test_every_form_stays_one_variable_the_web_app_fills_by_its_whole_text(
    name: str, options: list[str]
) -> None:
    key = "|".join([name, *options])
    content = f"<p>Dear [[{key}]], bye</p>"
    assert [m.group(1) for m in WEB_PATTERN.finditer(content)] == [key]
    (field,) = fields(content)
    assert field.key == key and field.name == name
    result = populate(content, {field.key: "X"})
    assert result.html == "<p>Dear X, bye</p>" and result.missing == []
    if len(options) == 1:
        assert (field.kind, field.default) == ("text", options[0])
    elif options:
        assert (field.kind, field.choices) == ("choice", tuple(options))


@given(st.datetimes(min_value=datetime(1000, 1, 1)))
def test_date_formats_agree_with_strftime(moment: datetime) -> None:
    assert format_moment("YYYY-MM-DD HH:mm:ss", moment) == moment.strftime("%Y-%m-%d %H:%M:%S")
    assert format_moment("dddd D MMMM YY, h A", moment) == (
        f"{moment:%A} {moment.day} {moment:%B %y}, {moment.hour % 12 or 12} {moment:%p}"
    )


def test_built_ins_defaults_and_remembered_values_prefill_the_form() -> None:
    content = (
        "<p>[[date]] [[date:DD/MM/YYYY]] [[time]] [[clipboard]] [[client]] "
        "[[tone|formal|friendly]] [[sign|Ann]] [[city|Paris]] [[Re: topic]]</p>"
    )
    form = fields(content)
    assert [f.kind for f in form] == [
        "date",
        "date",
        "time",
        "clipboard",
        "text",
        "choice",
        "text",
        "text",
        "text",
    ]
    assert form[-1] == Field("Re: topic", "Re: topic")
    now = datetime(2026, 3, 4, 9, 5)
    remembered = {"client": "ACME", "tone": "rude", "city": "Lyon", "date": "never"}
    values = initial_values(form, remembered, clipboard="copied", now=now)
    assert values == {
        "date": "2026-03-04",
        "date:DD/MM/YYYY": "04/03/2026",
        "time": "09:05",
        "clipboard": "copied",
        "client": "ACME",
        "tone|formal|friendly": "formal",  # "rude" is not one of its choices
        "sign|Ann": "Ann",
        "city|Paris": "Lyon",
        "Re: topic": "",
    }
    assert preset_values(form, {"client": "Globex", "sign|Ann": "Bo", "x": "y"}) == {
        "client": "Globex",
        "sign|Ann": "Bo",
    }
    values["Re: topic"] = "Hello"
    assert to_remember(form, values) == {
        "client": "ACME",
        "tone": "formal",
        "sign": "Ann",
        "city": "Lyon",
        "Re: topic": "Hello",
    }


def test_a_date_with_a_choice_bar_is_a_typed_variable_named_date() -> None:
    assert parse_field("date|tomorrow") == Field("date|tomorrow", "date", default="tomorrow")
    assert parse_field(" time : H:mm ").format == "H:mm"
