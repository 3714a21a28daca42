"""Japanese relative dates against fixed dialogue dates: a Friday, Golden Week, holidays, month and year ends."""

from __future__ import annotations

from datetime import date

import pytest

from sales_growth.analysis.coach.dates import describe, find_due_date, find_due_dates, normalize_numbers

FRIDAY = date(2026, 11, 27)  # an ordinary Friday; Monday 11/30 is the month's last business day
BEFORE_GOLDEN_WEEK = date(2026, 4, 30)  # Thursday; 5/1 works, 5/2-5/6 are off
GOLDEN_WEEK_FRIDAY = date(2026, 5, 1)
YEAR_END = date(2026, 12, 28)  # Monday; 1/1 is a holiday, 1/11 is 成人の日
NEW_YEARS_EVE = date(2026, 12, 31)
BEFORE_LABOR_THANKSGIVING = date(2026, 11, 20)  # Friday; Monday 11/23 is 勤労感謝の日
SATURDAY_MONTH_END = date(2026, 10, 31)  # the month's last business day (10/30) has passed

TABLE = [
    # (dialogue date, what the junior wrote, due date)
    (FRIDAY, "明日", date(2026, 11, 30)),
    (FRIDAY, "明後日", date(2026, 12, 1)),
    (FRIDAY, "今週中", date(2026, 11, 27)),
    (FRIDAY, "来週の金曜", date(2026, 12, 4)),
    (FRIDAY, "来週中", date(2026, 12, 4)),
    (FRIDAY, "月末まで", date(2026, 11, 30)),
    (FRIDAY, "3日以内", date(2026, 12, 2)),
    (FRIDAY, "2週間後", date(2026, 12, 11)),
    (FRIDAY, "次の1on1まで", date(2026, 12, 11)),
    (BEFORE_GOLDEN_WEEK, "明日", date(2026, 5, 1)),
    (BEFORE_GOLDEN_WEEK, "明後日", date(2026, 5, 7)),
    (BEFORE_GOLDEN_WEEK, "今週中", date(2026, 5, 1)),
    (BEFORE_GOLDEN_WEEK, "来週の金曜", date(2026, 5, 8)),
    (BEFORE_GOLDEN_WEEK, "来週中", date(2026, 5, 8)),
    (BEFORE_GOLDEN_WEEK, "月末まで", date(2026, 4, 30)),
    (BEFORE_GOLDEN_WEEK, "3日以内", date(2026, 5, 8)),
    (BEFORE_GOLDEN_WEEK, "2週間後", date(2026, 5, 14)),
    (BEFORE_GOLDEN_WEEK, "次の1on1まで", date(2026, 5, 14)),
    (GOLDEN_WEEK_FRIDAY, "明日", date(2026, 5, 7)),
    (GOLDEN_WEEK_FRIDAY, "来週の月曜", date(2026, 5, 7)),  # 5/4 is off; the day before would be today
    (GOLDEN_WEEK_FRIDAY, "3日以内", date(2026, 5, 11)),
    (YEAR_END, "今週中", date(2026, 12, 31)),  # the week ends on 1/3; 1/1 is a holiday
    (YEAR_END, "月末まで", date(2026, 12, 31)),
    (YEAR_END, "来週の月曜", date(2027, 1, 4)),
    (YEAR_END, "2週間後", date(2027, 1, 8)),  # 1/11 is 成人の日: the deadline moves to the Friday before
    (YEAR_END, "次の1on1まで", date(2027, 1, 8)),
    (NEW_YEARS_EVE, "明日", date(2027, 1, 4)),
    (NEW_YEARS_EVE, "月末まで", date(2026, 12, 31)),
    (NEW_YEARS_EVE, "来月末", date(2027, 1, 29)),  # 1/31 is a Sunday
    (BEFORE_LABOR_THANKSGIVING, "明日", date(2026, 11, 24)),
    (BEFORE_LABOR_THANKSGIVING, "来週の月曜", date(2026, 11, 24)),
    (BEFORE_LABOR_THANKSGIVING, "3日以内", date(2026, 11, 26)),
    (SATURDAY_MONTH_END, "月末まで", date(2026, 11, 30)),
    (SATURDAY_MONTH_END, "今週中", date(2026, 11, 2)),
]


@pytest.mark.parametrize(("today", "text", "expected"), TABLE, ids=[f"{t}-{x}" for t, x, _ in TABLE])
def test_relative_dates_resolve_in_business_days(today: date, text: str, expected: date) -> None:
    found = find_due_date(f"{text}に青葉電機さんへ電話します。", today)
    assert found is not None
    assert found.date == expected, describe(found.date)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("三日以内", date(2026, 12, 2)),
        ("３日以内", date(2026, 12, 2)),
        ("二週間後", date(2026, 12, 11)),
        ("十日以内", date(2026, 12, 11)),
        ("５営業日で", date(2026, 12, 4)),
        ("次回の1on1までに", date(2026, 12, 11)),
        ("次回の面談まで", date(2026, 12, 11)),
        ("来週金曜日までに", date(2026, 12, 4)),
        ("来週末", date(2026, 12, 4)),
        ("金曜までに", date(2026, 12, 4)),
        ("12月10日までに", date(2026, 12, 10)),
        ("12/10", date(2026, 12, 10)),
        ("10日まで", date(2026, 12, 10)),  # a day of the month: the 10th of December, since 11/10 has passed
        ("今日中に", date(2026, 11, 27)),
        ("今月中に", date(2026, 11, 30)),
        ("来月頭", date(2026, 12, 1)),
        ("1か月以内", date(2026, 12, 25)),  # 12/27 is a Sunday
    ],
)
def test_numerals_in_kanji_and_full_width_and_other_phrasings(text: str, expected: date) -> None:
    found = find_due_date(text, FRIDAY)
    assert found is not None
    assert found.date == expected, describe(found.date)


def test_the_expression_is_reported_as_written_with_its_place() -> None:
    text = "はい、三日以内に見積もりを出します。"
    found = find_due_date(text, FRIDAY)
    assert found is not None
    assert found.expression == "三日以内"
    assert text[found.start : found.end] == "三日以内"


def test_the_next_1on1_interval_can_be_told() -> None:
    found = find_due_date("次の1on1までに", FRIDAY, next_one_on_one_days=7)
    assert found is not None
    assert found.date == date(2026, 12, 4)


def test_several_expressions_are_found_in_reading_order() -> None:
    found = find_due_dates("明日電話して、来週中に提案書を出します。", FRIDAY)
    assert [(f.expression, f.date) for f in found] == [("明日", date(2026, 11, 30)), ("来週中", date(2026, 12, 4))]


@pytest.mark.parametrize("text", ["十分に準備します", "一緒に行きます", "予算を確認します", "あすなろ工業に行きます"])
def test_text_without_a_date_has_none(text: str) -> None:
    assert find_due_date(text, FRIDAY) is None


def test_kanji_numbers_become_digits_only_before_a_counter() -> None:
    normalized = normalize_numbers("二十社に三回、十分に")
    assert normalized.text == "20社に3回、十分に"
    assert normalized.span(0, 3) == (0, 3)  # 「20社」 came from 「二十社」


def test_dates_are_described_in_japanese() -> None:
    assert describe(date(2026, 11, 27)) == "11月27日（金）"
