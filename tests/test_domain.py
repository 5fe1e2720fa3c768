from __future__ import annotations

import re

import pytest

from desktop import domain
from desktop.domain import InvalidInput, validated


def make(**fields: object) -> domain.Template:
    return validated(domain.Template, "template", **fields)


def test_new_ids_have_the_gravyjs_shape() -> None:
    template = make(title="Letter")
    assert re.fullmatch(r"template-\d{13}-[0-9a-z]{9}", template.templateId)
    assert re.fullmatch(r"track-\d{13}-[0-9a-z]{9}", domain.UsageEvent(templateId="t1").trackingId)
    assert re.fullmatch(r"[0-9a-f-]{36}", domain.Page(title="p").id)


def test_timestamps_are_javascript_iso_strings() -> None:
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", domain.now_iso())


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"title": "   "}, "title: must not be empty"),
        ({"title": "x" * 201}, "at most 200 characters"),
        ({"title": "ok", "tags": ["t"] * 1 + [f"t{i}" for i in range(25)]}, "at most 20 tags"),
        ({"title": "ok", "tags": ["x" * 51]}, "longer than 50 characters"),
        ({"title": "ok", "tags": [" "]}, "tags must not be empty"),
        ({"title": "ok", "templateId": "has#hash"}, "may contain only letters"),
        ({"title": "ok", "templateId": ""}, "must not be empty"),
        ({"title": "ok", "isOffline": True}, "Extra inputs are not permitted"),
        ({"title": "ok", "updatedAt": "yesterday"}, "not an ISO-8601 timestamp"),
    ],
)
def test_invalid_templates_are_rejected_with_a_clear_message(
    fields: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        make(**fields)
    assert message in str(caught.value)
    assert str(caught.value).startswith("template ")


def test_tags_are_trimmed_and_deduplicated() -> None:
    assert make(title="t", tags=[" a", "b", "a "]).tags == ["a", "b"]


def test_content_that_would_exceed_dynamodb_item_limit_is_rejected() -> None:
    fits = make(title="big", content="x" * 300_000)
    fits.check_item_size()
    too_big = make(title="big", content="é" * 210_000)  # 420,000 bytes in UTF-8
    with pytest.raises(InvalidInput, match=r"too large to sync: about 41\d KB"):
        too_big.check_item_size()


def test_item_size_estimate_counts_names_and_utf8_bytes() -> None:
    assert domain.estimate_item_size({"ab": "é"}) == 2 + 2
    assert domain.estimate_item_size({"l": ["ab", "c"]}) == 1 + 3 + (1 + 2) + (1 + 1)


def test_preset_variable_names_must_not_be_empty() -> None:
    with pytest.raises(InvalidInput, match="variable names must not be empty"):
        validated(domain.VariablePreset, "preset", name="p", values={" ": "x"})


def test_node_prediction_status_is_checked() -> None:
    with pytest.raises(InvalidInput, match="predictionStatus"):
        validated(domain.Node, "node", pageId="p1", title="n", predictionStatus="exploded")
