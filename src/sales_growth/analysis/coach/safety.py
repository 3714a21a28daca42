"""Safety: noticing distress or thoughts of self-harm in the junior's words, and the caring reply instead of coaching.

The cues live in ``data/safety.toml`` (ids and levels, patterns, ordinary business uses, negation). A message is
read after NFKC normalisation (half-width katakana, full-width letters). :func:`assess` returns the concern's
level and the ids of the cues it found, never the words: the ids are what a safety event may carry.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Literal

Level = Literal["crisis", "distress"]

YORISOI_HOTLINE = "よりそいホットライン 0120-279-338（24時間・無料）"
KOKORO_DIAL = "こころの健康相談統一ダイヤル 0570-064-556"

_WINDOW = 24  # characters after a cue that may take it back


@dataclass(frozen=True)
class Cue:
    id: str
    level: Level
    pattern: re.Pattern[str]


@dataclass(frozen=True)
class SafetyLexicon:
    cues: tuple[Cue, ...]
    ordinary: tuple[re.Pattern[str], ...]
    negation: re.Pattern[str]
    reported: re.Pattern[str]


@dataclass(frozen=True)
class SafetyConcern:
    """What :func:`assess` found: the most serious level and the cue ids (categories, not text)."""

    level: Level
    cues: tuple[str, ...]


@lru_cache(maxsize=1)
def load_safety_lexicon() -> SafetyLexicon:
    raw = tomllib.loads(
        resources.files("sales_growth.analysis.coach").joinpath("data", "safety.toml").read_text("utf-8")
    )
    return SafetyLexicon(
        cues=tuple(Cue(c["id"], c["level"], re.compile(c["pattern"])) for c in raw["cue"]),
        ordinary=tuple(re.compile(p) for p in raw["ordinary"]["patterns"]),
        negation=re.compile(raw["negation"]["pattern"]),
        reported=re.compile(raw["negation"]["reported"]),
    )


def assess(text: str) -> SafetyConcern | None:
    """The safety concern in one message of the junior, or None when there is none."""
    lexicon = load_safety_lexicon()
    normalized = unicodedata.normalize("NFKC", text)
    ordinary = [m.span() for pattern in lexicon.ordinary for m in pattern.finditer(normalized)]
    found: dict[str, Level] = {}
    for cue in lexicon.cues:
        for match in cue.pattern.finditer(normalized):
            if _counts(match, cue.level, normalized, ordinary, lexicon):
                found[cue.id] = cue.level
                break
    if not found:
        return None
    level: Level = "crisis" if "crisis" in found.values() else "distress"
    return SafetyConcern(level=level, cues=tuple(found))


def _counts(
    match: re.Match[str], level: Level, text: str, ordinary: list[tuple[int, int]], lexicon: SafetyLexicon
) -> bool:
    start, end = match.span()
    if any(start < o_end and o_start < end for o_start, o_end in ordinary):
        return False
    rest = text[end : end + _WINDOW]
    if lexicon.negation.match(rest):
        return False
    return not (level == "distress" and _quoted(text, start) and lexicon.reported.match(rest))


def _quoted(text: str, start: int) -> bool:
    before = text[:start]
    return max(before.rfind("「"), before.rfind("『")) > max(before.rfind("」"), before.rfind("』"))


def safe_reply(concern: SafetyConcern, *, manager_name: str | None = None) -> str:
    """The reply that replaces coaching: care first, then the people who can help, with a public line."""
    manager = f"上司の{manager_name}さん" if manager_name else "上司"
    opening = (
        "話してくれてありがとうございます。とてもつらい気持ちを抱えているのですね。あなたの安全がいちばん大切なので、"
        "ここでコーチングはいったんお休みにします。"
        if concern.level == "crisis"
        else "話してくれてありがとうございます。今は計画づくりより、あなた自身を大切にしてほしいので、"
        "コーチングはここでいったん止めます。つらさを一人で抱えなくて大丈夫です。"
    )
    closing = (
        "今すぐ命の危険を感じるときは、迷わず119番に電話してください。"
        if concern.level == "crisis"
        else "落ち着いたら、いつでもまたここで話しましょう。"
    )
    return "\n".join([opening, "今日のうちに、話せる人に話してみてください。", *_helpers(manager), closing])


def paused_reply(*, manager_name: str | None = None) -> str:
    """The reply to any message after coaching has stopped for safety: no coaching, the same help."""
    manager = f"上司の{manager_name}さん" if manager_name else "上司"
    return "\n".join(["この対話ではコーチングをお休みしています。話せる人に相談してみてください。", *_helpers(manager)])


def _helpers(manager: str) -> list[str]:
    return [
        f"・{manager}（話しにくければ、ほかの上司や先輩でもかまいません）",
        "・人事部の相談窓口",
        "・会社の産業医（人事部から面談を申し込めます）",
        f"・{YORISOI_HOTLINE}",
        f"・{KOKORO_DIAL}",
    ]
