"""The stylesheet's text colours on their backgrounds meet WCAG AA (4.5:1 for text)."""

from __future__ import annotations

import re

import pytest

from sales_growth.web.templating import STATIC_DIR

CSS = (STATIC_DIR / "css" / "app.css").read_text(encoding="utf-8")
VARIABLES = dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-fA-F]{6})", CSS))


def _colour(value: str) -> str:
    """``#rrggbb``, ``--name`` or ``var(--name)`` as ``#rrggbb``."""
    name = value.removeprefix("var(").removesuffix(")")
    return VARIABLES[name[2:]] if name.startswith("--") else value


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(foreground: str, background: str) -> float:
    lighter, darker = sorted((_luminance(_colour(foreground)), _luminance(_colour(background))), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def _heat_levels() -> list[tuple[str, str, str]]:
    rules = re.findall(r"\.(heat-\d) \{ background: (#[0-9a-fA-F]{6}|#fff(?:fff)?); color: ([^;]+); \}", CSS)
    return [(name, bg if len(bg) == 7 else "#ffffff", fg.strip()) for name, bg, fg in rules]


PAIRS = [
    ("--text", "--bg"),
    ("--muted", "--bg"),
    ("--muted", "--surface"),
    ("--primary", "--bg"),
    ("--primary", "--surface"),
    ("#ffffff", "--primary"),
    ("#ffffff", "--primary-dark"),
    ("--strength", "--strength-bg"),
    ("--danger", "--danger-bg"),
    ("#ffffff", "--danger"),
    ("#6a4a00", "#fff4ce"),
    ("#4d3800", "#fff4ce"),
    ("--text", "--mark"),
]


@pytest.mark.parametrize(("foreground", "background"), PAIRS)
def test_text_colours_meet_aa(foreground: str, background: str) -> None:
    assert contrast(foreground, background) >= 4.5


def test_every_heat_map_level_is_readable() -> None:
    levels = _heat_levels()
    assert [name for name, _bg, _fg in levels] == [f"heat-{n}" for n in range(5)]
    for _name, background, foreground in levels:
        assert contrast(foreground, background) >= 4.5
