"""The knowledge files load, cover every skill, and give measurable, dated actions."""

from __future__ import annotations

from datetime import date

import pytest

from sales_growth.analysis.calendar import add_business_days, is_business_day
from sales_growth.analysis.findings import load_lexicon
from sales_growth.analysis.models import SKILL_IDS
from sales_growth.analysis.planner import load_templates


def test_every_skill_has_cues() -> None:
    lexicon = load_lexicon()
    covered = {skill for cues in lexicon.skill_words.values() for skill, _ in cues}
    covered |= {skill for _, (skill, _) in lexicon.skill_phrases}
    assert covered == set(SKILL_IDS)


def test_every_skill_has_at_least_two_action_templates_within_the_horizon() -> None:
    templates = load_templates()
    for skill in SKILL_IDS:
        assert len(templates[skill]) >= 2
        for template in templates[skill]:
            assert 1 <= len(template.steps) <= 4
            assert add_business_days(date(2026, 12, 25), template.days) <= date(2027, 2, 5)


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        (date(2026, 4, 30), 1, date(2026, 5, 1)),  # Thursday → Friday
        (date(2026, 5, 1), 1, date(2026, 5, 7)),  # Golden Week: 5/2-5/6 are weekend and holidays
        (date(2026, 11, 20), 1, date(2026, 11, 24)),  # Monday 11/23 is Labour Thanksgiving Day
        (date(2026, 12, 30), 1, date(2026, 12, 31)),
        (date(2026, 11, 2), 5, date(2026, 11, 10)),  # 11/3 Culture Day is skipped
    ],
)
def test_due_dates_skip_weekends_and_japanese_holidays(start: date, days: int, due: date) -> None:
    assert add_business_days(start, days) == due


def test_holidays_are_not_business_days() -> None:
    assert not is_business_day(date(2026, 1, 1))
    assert not is_business_day(date(2026, 11, 3))
    assert is_business_day(date(2026, 11, 4))
