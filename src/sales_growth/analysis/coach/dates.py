"""Japanese relative dates (「明日」「来週の金曜」「3日以内」「次の1on1まで」…) resolved against the dialogue's date.

The rules, all in Japanese business days (weekends and national holidays are not working days):

- 今日・本日 → the dialogue date (the next business day when it falls on a day off);
- 明日 → the next business day, 明後日 → the second; so 「明日」 on a Friday is the Monday;
- 今週中・今週末 / 来週中・来週末 / 再来週中 → the last business day of that week (Monday to Sunday);
- 来週の金曜 / 今週の水曜 / 再来週の月曜 → that weekday of that week; a bare 「金曜まで」 is the next Friday;
- 月末まで・今月中 → the last business day of the month (next month's when this month's has passed);
  来月末・来月中 → the last business day of next month; 来月頭 → the first business day of next month;
- N日以内・N日後・N営業日 → N business days after the dialogue date;
- N週間後・N週間以内 / Nか月後 → that calendar date;
- 次の1on1まで → the dialogue date plus the 1on1 interval (14 days unless told otherwise);
- 11月20日・11/20 → that date (next year's when it has passed), as said.

A calendar date that lands on a day off moves to the business day before it (a deadline is met before the
holiday, not after), but never to today or earlier. Numerals may be written in kanji (三日以内) or full width
(３日以内).
"""

from __future__ import annotations

import calendar as month_calendar
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from sales_growth.analysis.calendar import (
    add_business_days,
    business_day_on_or_after,
    business_day_on_or_before,
)

NEXT_ONE_ON_ONE_DAYS = 14

_WEEKDAYS = "月火水木金土日"
_KANJI_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_KANJI_UNITS = {"十": 10, "百": 100}
# Kanji numerals are read only before a counter: 「十分」 (enough) and 「一緒」 must stay words.
_KANJI_NUMBER = re.compile(
    r"[〇零一二三四五六七八九十百]+(?=営業日|日|週|か月|ヶ月|カ月|ヵ月|ケ月|箇月|月|件|社|回|つ|名|本|通|枚|個|時間|割)"
)
_FULL_WIDTH = str.maketrans("０１２３４５６７８９／", "0123456789/")


@dataclass(frozen=True)
class DueDate:
    """A date read from the text, the expression it was read from, and where that expression stands."""

    date: date
    expression: str
    start: int
    end: int


@dataclass(frozen=True)
class NormalizedText:
    """Text with numerals in ASCII digits, and for each of its characters the offset in the original."""

    text: str
    origin: list[int]
    original: str

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The span of the original text that ``text[start:end]`` came from."""
        original_end = self.origin[end] if end < len(self.text) else len(self.original)
        return self.origin[start], original_end


def normalize_numbers(text: str) -> NormalizedText:
    """Full-width digits and kanji numerals before a counter become ASCII digits (「三日」→「3日」)."""
    parts: list[str] = []
    origin: list[int] = []
    position = 0
    for match in _KANJI_NUMBER.finditer(text):
        _copy(text, position, match.start(), parts, origin)
        value = _kanji_value(match.group())
        digits = str(value) if value is not None else match.group()
        parts.append(digits)
        origin.extend([match.start()] * len(digits))
        position = match.end()
    _copy(text, position, len(text), parts, origin)
    return NormalizedText(text="".join(parts).translate(_FULL_WIDTH), origin=origin, original=text)


def _copy(text: str, start: int, end: int, parts: list[str], origin: list[int]) -> None:
    parts.append(text[start:end])
    origin.extend(range(start, end))


def _kanji_value(numeral: str) -> int | None:
    """一→1, 十二→12, 二十→20, 百五→105; None for what is not a number (「一一」 is read digit by digit)."""
    if all(ch in _KANJI_DIGITS for ch in numeral):
        return int("".join(str(_KANJI_DIGITS[ch]) for ch in numeral))
    total, current = 0, 0
    for ch in numeral:
        if ch in _KANJI_DIGITS:
            current = _KANJI_DIGITS[ch]
        elif ch in _KANJI_UNITS:
            total += (current or 1) * _KANJI_UNITS[ch]
            current = 0
    return total + current


def find_due_date(text: str, today: date, *, next_one_on_one_days: int = NEXT_ONE_ON_ONE_DAYS) -> DueDate | None:
    """The first date expression of ``text``, resolved against ``today`` (the dialogue's date); None if none."""
    found = find_due_dates(text, today, next_one_on_one_days=next_one_on_one_days)
    return found[0] if found else None


def find_due_dates(text: str, today: date, *, next_one_on_one_days: int = NEXT_ONE_ON_ONE_DAYS) -> list[DueDate]:
    """Every date expression of ``text`` in reading order; overlapping matches keep the longest."""
    normalized = normalize_numbers(text)
    candidates: list[tuple[int, int, date]] = []
    for pattern, resolve in _rules(next_one_on_one_days):
        for match in pattern.finditer(normalized.text):
            resolved = resolve(match, today)
            if resolved is not None:
                candidates.append((match.start(), match.end(), resolved))
    candidates.sort(key=lambda c: (c[0], -(c[1] - c[0])))
    result: list[DueDate] = []
    covered_until = -1
    for start, end, resolved in candidates:
        if start < covered_until:
            continue
        original_start, original_end = normalized.span(start, end)
        result.append(DueDate(resolved, text[original_start:original_end], original_start, original_end))
        covered_until = end
    return result


Resolver = Callable[[re.Match[str], date], date | None]


@lru_cache(maxsize=8)
def _rules(next_one_on_one_days: int) -> list[tuple[re.Pattern[str], Resolver]]:
    return [
        (
            re.compile(r"次(?:回|の)?(?:の)?\s*(?:1\s*on\s*1|ワンオンワン|面談)", re.IGNORECASE),
            lambda m, d: next_one_on_one_date(d, next_one_on_one_days),
        ),
        (re.compile(r"(今週|来週|再来週)の?([月火水木金土日])曜?日?"), _weekday_of_week),
        (re.compile(r"(今週|来週|再来週)(?:中|末|いっぱい|の終わり)"), _end_of_week),
        (re.compile(r"(?<!毎週)(?<!毎週の)([月火水木金])曜日?(?=まで|までに|に|中|の|、|$)"), _next_weekday),
        (re.compile(r"(今月|来月)(?:末|中|いっぱい|の終わり)|月末"), _end_of_month),
        (re.compile(r"来月(?:頭|初め|はじめ|早々|上旬)"), lambda m, d: business_day_on_or_after(_month_start(d, 1))),
        (re.compile(r"(\d{1,3})営業日"), lambda m, d: _business_days(d, int(m.group(1)))),
        (re.compile(r"(\d{1,3})日(?:以内|後|で|間で|のうち)"), lambda m, d: _business_days(d, int(m.group(1)))),
        (re.compile(r"(?<![\d月/])(\d{1,2})日(?=まで)"), _day_of_month),
        (
            re.compile(r"(\d{1,2})週間(?:以内|後|で|のうち|まで)?"),
            lambda m, d: _deadline(d, d + timedelta(weeks=int(m.group(1)))),
        ),
        (
            re.compile(r"(\d{1,2})[かヶカヵケ箇]月(?:以内|後|で|のうち|まで)?"),
            lambda m, d: _deadline(d, _add_months(d, int(m.group(1)))),
        ),
        (re.compile(r"(\d{1,2})月(\d{1,2})日"), _absolute),
        (re.compile(r"(?<![\d/])(\d{1,2})/(\d{1,2})(?![\d/])"), _absolute),
        (re.compile(r"明後日|あさって"), lambda m, d: add_business_days(d, 2)),
        (re.compile(r"明日|あした|あす(?=まで|中|の|に|、|。)"), lambda m, d: add_business_days(d, 1)),
        (re.compile(r"今日|本日"), lambda m, d: business_day_on_or_after(d)),
    ]


def next_one_on_one_date(today: date, days: int = NEXT_ONE_ON_ONE_DAYS) -> date:
    """The expected date of the next 1on1, as a deadline: ``days`` after today, on a business day."""
    return _deadline(today, today + timedelta(days=days))


def _business_days(today: date, days: int) -> date | None:
    return add_business_days(today, days) if 1 <= days <= 260 else None


def _deadline(today: date, day: date, *, today_allowed: bool = False) -> date:
    """A calendar date as a deadline: the business day on or before it, but not earlier than today (nor today
    itself, unless the expression is the end of a period that today belongs to, like 「今週中」 on a Friday)."""
    moved = business_day_on_or_before(day)
    if moved > today or (today_allowed and moved == today):
        return moved
    return business_day_on_or_after(day)


def _week_start(today: date, weeks_ahead: int) -> date:
    return today - timedelta(days=today.weekday()) + timedelta(weeks=weeks_ahead)


_WEEKS_AHEAD = {"今週": 0, "来週": 1, "再来週": 2}


def _weekday_of_week(match: re.Match[str], today: date) -> date:
    day = _week_start(today, _WEEKS_AHEAD[match.group(1)]) + timedelta(days=_WEEKDAYS.index(match.group(2)))
    return _deadline(today, day) if day > today else business_day_on_or_after(today)


def _end_of_week(match: re.Match[str], today: date) -> date:
    last = _week_start(today, _WEEKS_AHEAD[match.group(1)]) + timedelta(days=6)
    return _deadline(today, last, today_allowed=True)


def _next_weekday(match: re.Match[str], today: date) -> date:
    ahead = (_WEEKDAYS.index(match.group(1)) - today.weekday()) % 7 or 7
    return _deadline(today, today + timedelta(days=ahead))


def _end_of_month(match: re.Match[str], today: date) -> date:
    months = 1 if match.group(1) == "来月" else 0
    last = _last_business_day_of_month(_month_start(today, months))
    if last < today:  # the month's last business day has passed: the junior means next month's
        last = _last_business_day_of_month(_month_start(today, months + 1))
    return last


def _month_start(today: date, months_ahead: int) -> date:
    month_index = today.month - 1 + months_ahead
    return date(today.year + month_index // 12, month_index % 12 + 1, 1)


def _last_business_day_of_month(first: date) -> date:
    last = first.replace(day=month_calendar.monthrange(first.year, first.month)[1])
    return business_day_on_or_before(last)


def _add_months(today: date, months: int) -> date:
    first = _month_start(today, months)
    return first.replace(day=min(today.day, month_calendar.monthrange(first.year, first.month)[1]))


def _absolute(match: re.Match[str], today: date) -> date | None:
    month, day = int(match.group(1)), int(match.group(2))
    for year in (today.year, today.year + 1):
        try:
            candidate = date(year, month, day)
        except ValueError:
            return None
        if candidate >= today:
            return candidate
    return None


def _day_of_month(match: re.Match[str], today: date) -> date | None:
    """「20日まで」: the 20th of this month, or of next month when it has passed."""
    for months in (0, 1):
        first = _month_start(today, months)
        day = int(match.group(1))
        if day <= month_calendar.monthrange(first.year, first.month)[1] and first.replace(day=day) >= today:
            return first.replace(day=day)
    return None


def describe(day: date) -> str:
    """A date as a Japanese reader expects it: 「11月20日（金）」."""
    return f"{day.month}月{day.day}日（{_WEEKDAYS[day.weekday()]}）"
