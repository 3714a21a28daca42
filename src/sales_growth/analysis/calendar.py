"""Business days in Japan: weekends and national holidays (jpholiday) are not working days."""

from __future__ import annotations

from datetime import date, timedelta

import jpholiday


def is_business_day(day: date) -> bool:
    return day.weekday() < 5 and not jpholiday.is_holiday(day)


def add_business_days(start: date, days: int) -> date:
    """The date ``days`` business days after ``start`` (``start`` itself never counts)."""
    if days < 1:
        raise ValueError("days must be at least 1")
    current = start
    remaining = days
    while remaining:
        current += timedelta(days=1)
        if is_business_day(current):
            remaining -= 1
    return current


def business_day_on_or_before(day: date) -> date:
    """``day`` when it is a business day, else the business day before it (deadlines move earlier)."""
    while not is_business_day(day):
        day -= timedelta(days=1)
    return day


def business_day_on_or_after(day: date) -> date:
    """``day`` when it is a business day, else the next business day."""
    while not is_business_day(day):
        day += timedelta(days=1)
    return day
