from datetime import date

import pytest

from sales_growth.analysis.calendar import add_business_days, is_business_day


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 5, 1), True),  # Friday before Golden Week
        (date(2026, 5, 4), False),  # みどりの日
        (date(2026, 5, 6), False),  # substitute holiday for 憲法記念日 on Sunday
        (date(2026, 5, 7), True),
        (date(2026, 11, 28), False),  # Saturday
        (date(2027, 1, 1), False),  # 元日
    ],
)
def test_weekends_and_japanese_holidays_are_not_business_days(day: date, expected: bool) -> None:
    assert is_business_day(day) is expected


def test_golden_week_is_skipped() -> None:
    assert add_business_days(date(2026, 5, 1), 1) == date(2026, 5, 7)


def test_a_friday_plus_one_is_the_next_monday() -> None:
    assert add_business_days(date(2026, 11, 27), 1) == date(2026, 11, 30)


def test_new_years_day_is_skipped_at_year_end() -> None:
    assert add_business_days(date(2026, 12, 31), 1) == date(2027, 1, 4)


def test_zero_days_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        add_business_days(date(2026, 11, 24), 0)
