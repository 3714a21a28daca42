"""The scenario data: every record file exists in a supported format, and mistakes in the data are caught when read."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from sales_growth.analysis.decoding import SUPPORTED_SUFFIXES
from sales_growth.demo import scenario


def _data() -> dict[str, Any]:
    story = scenario.load()
    return story.model_dump(mode="json")


def test_every_record_of_the_index_is_a_readable_file_in_a_supported_format() -> None:
    for record in scenario.load().records:
        assert record.data()
        assert record.file[record.file.rfind(".") :] in SUPPORTED_SUFFIXES
        assert record.file.split("_")[-1].startswith(str(record.held_on))


def test_the_timeline_is_in_the_order_the_1on1s_were_held() -> None:
    dates = [record.held_on for record in scenario.load().timeline()]
    assert dates == sorted(dates)


def test_progress_on_a_plan_that_is_not_agreed_is_a_mistake() -> None:
    data = _data()
    draft = next(c for c in data["coaching"] if c["stage"] == "draft")
    draft["progress"] = [{"item": "港南歯科", "status": "done", "at": "2026-11-20T18:00:00+09:00"}]
    with pytest.raises(ValidationError, match="need an agreed plan"):
        scenario.Scenario.model_validate(data)


def test_a_moment_without_its_offset_is_a_mistake() -> None:
    data = _data()
    data["coaching"][0]["at"] = "2026-06-23T18:30:00"
    with pytest.raises(ValidationError):
        scenario.Scenario.model_validate(data)


def test_a_manager_who_is_not_in_the_organisation_is_a_mistake() -> None:
    data = _data()
    data["records"][0]["manager"] = "誰か"
    with pytest.raises(ValidationError, match="unknown member or manager"):
        scenario.Scenario.model_validate(data)
