from __future__ import annotations

import pytest

from desktop.variables import Delimiters, extract_variables, html_to_text, populate


def test_extracts_distinct_names_in_order_of_appearance() -> None:
    html = "<p>Dear [[ name ]], your [[order]] for [[name]]</p><p>[[city]]</p>"
    assert extract_variables(html) == ["name", "order", "city"]


def test_custom_delimiters() -> None:
    delimiters = Delimiters("{{", "}}")
    assert extract_variables("Hi {{first}} [[not]]", delimiters) == ["first"]
    assert populate("Hi {{first}}", {"first": "Ann"}, delimiters).text == "Hi Ann"


def test_delimiters_must_differ_and_not_be_empty() -> None:
    with pytest.raises(ValueError, match="must differ"):
        Delimiters("%", "%")
    with pytest.raises(ValueError, match="must not be empty"):
        Delimiters("", "]]")


def test_populate_escapes_values_in_html_but_not_in_text() -> None:
    result = populate("<p><b>Dear [[name]]</b></p>", {"name": "Tom & <Jerry>"})
    assert result.html == "<p><b>Dear Tom &amp; &lt;Jerry&gt;</b></p>"
    assert result.text == "Dear Tom & <Jerry>"
    assert result.missing == []


def test_populate_reports_missing_values_and_keeps_their_placeholders() -> None:
    result = populate("<p>[[a]] and [[b]]</p><p>[[b]]</p>", {"a": "1"})
    assert result.missing == ["b"]
    assert result.text == "1 and [[b]]\n[[b]]"


def test_placeholder_split_by_markup_is_not_a_variable() -> None:
    assert extract_variables("[[na<b>me</b>]]") == []


def test_html_to_text_keeps_lines_and_list_items() -> None:
    html = "<h1>Title</h1><p>One<br>Two</p><ul><li>a</li><li>b</li></ul>"
    assert html_to_text(html) == "Title\nOne\nTwo\n- a\n- b"
