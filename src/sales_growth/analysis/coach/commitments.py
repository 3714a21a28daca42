"""Commitments read out of the junior's own answers: what, for whom, how many, and by when.

A sentence is a commitment when it says what the junior will do (「〜します」「〜したい」「〜しようと思います」), not
what happened (「〜しました」) or what is (「〜があります」). Its parts, all taken from the junior's words:

- ``what``: the sentence with the date expression and the fillers taken out (「青葉電機の田中部長に予算を確認します」);
- ``who``: the companies and people named (「青葉電機」「田中部長」), and any known name (the record's customer);
- ``how_many``: a number with a counter (「3社」「質問を5つ」→「5つ」), in kanji or full width as well;
- ``due_date``: the date expression resolved by :mod:`sales_growth.analysis.coach.dates`.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from importlib import resources

from pydantic import BaseModel, Field

from sales_growth.analysis.coach.dates import NEXT_ONE_ON_ONE_DAYS, DueDate, find_due_date, normalize_numbers
from sales_growth.analysis.models import SKILL_IDS, SkillId
from sales_growth.analysis.planner import company_names

_SENTENCE = re.compile(r"[^。！？!?\n]+[。！？!?]*")
# A second action inside one sentence: 「明日電話して予算を聞きます。それと、来週中に提案書を出します」.
_LIST_JOINT = re.compile(r"、?(?:それと|それから|あと|また|さらに)、")
_INTENT = re.compile(
    r"(?:ます|ますね|ますよ|ましょう|る|たい|たいです|たいと思います|うと思います|うと思ってます|うと思っています|"
    r"つもりです|つもり|てみます|ようにします|ことにします|予定です|うかな|[くすつぬぶむぐう])[。！!]*$"
)
_NOT_INTENT = re.compile(
    r"(?:ました|でした|ません|ませんでした|あります|ありました|[てでがはもに]います|なります|わかります|分かります|"
    r"思います|感じます|できます|ですか|ますか|でしょうか|ある|いる|なる|思う|言う|違う|という|もらう|しまう|合う)[。！!？?]*$"
)
# 「〜たい」「送ろうと思います」「やってみようかな」: wanting to, even where the sentence ends in 「思います」.
_WANTS_TO = re.compile(r"(?:たい|[おこそとのほもよろごぞどぼぽ]う(?:と|かな|かと)|つもり|てみ|ようにし|ことにし|予定)")
_PERSON = re.compile(
    r"([一-龥々]{1,4}|[ァ-ヴー]{2,8})(さん|様|さま|部長|課長|係長|社長|専務|常務|主任|担当|先輩|マネージャー|リーダー|所長|店長)"
)
_NOT_A_NAME = {"客", "お客", "皆", "先方", "相手", "業者", "奥", "神", "上", "担当者", "各", "次", "営業", "同", "当"}
_COUNT = re.compile(
    r"(\d{1,4})\s*(件|社|回|本|通|人|名|つ|個|枚|時間|割|%|％|項目|点|案|パターン|ページ|枚|店|台|箇所|か所|ヶ所)"
)
_DUE_PARTICLE = re.compile(r"^(?:まで(?:に)?(?:は)?|中に|中|に|には|で|のうちに|の間に|、)*[、,\s]*")
_LEADING_DATE_WORD = re.compile(r"^(?:今日|明日|明後日|今週|来週|再来週|今月|来月|月末)+")


class Commitment(BaseModel):
    """One thing the junior said they will do, in their words."""

    what: str = Field(min_length=1)
    quote: str = Field(min_length=1, description="The sentence as the junior wrote it")
    who: list[str] = Field(default_factory=list)
    how_many: str | None = None
    due_date: date | None = None
    due_expression: str | None = None
    skill: SkillId | None = None
    success_metric: str | None = None


@dataclass(frozen=True)
class AnswerPatterns:
    stuck: re.Pattern[str]
    help: re.Pattern[str]
    yes: re.Pattern[str]
    no_more: re.Pattern[str]
    correction: re.Pattern[str]
    fillers: re.Pattern[str]
    skill_words: dict[SkillId, tuple[str, ...]]


@lru_cache(maxsize=1)
def answer_patterns() -> AnswerPatterns:
    """The coach's reading of answers, from ``data/coach.toml``."""
    raw = tomllib.loads(
        resources.files("sales_growth.analysis.coach").joinpath("data", "coach.toml").read_text("utf-8")
    )
    answers = raw["answers"]
    return AnswerPatterns(
        **{key: re.compile(answers[key], re.IGNORECASE) for key in ("stuck", "help", "yes", "no_more", "correction")},
        fillers=re.compile(answers["fillers"]),
        skill_words={skill: tuple(raw["skill_words"][skill]) for skill in SKILL_IDS},
    )


def sentences(text: str) -> list[str]:
    """The sentences of an answer, each as written (trailing punctuation kept), lists split apart."""
    parts: list[str] = []
    for match in _SENTENCE.finditer(text):
        parts.extend(p for p in _LIST_JOINT.split(match.group()) if p.strip())
    return [p.strip() for p in parts if p.strip()]


def without_fillers(text: str) -> str:
    """``text`` without leading fillers (「はい、えっと、」) and trailing punctuation."""
    fillers = answer_patterns().fillers
    previous = None
    while previous != text:
        previous, text = text, fillers.sub("", text.strip(), count=1)
    return text.strip().rstrip("。！!、,")


def extract_commitments(
    text: str,
    today: date,
    *,
    known_names: Iterable[str] = (),
    focus: SkillId | None = None,
    lenient: bool = False,
    next_one_on_one_days: int = NEXT_ONE_ON_ONE_DAYS,
) -> list[Commitment]:
    """The commitments of one answer. ``lenient`` (the coach has just asked what the junior will do) also takes
    a sentence without a verb of intent when it names a date (「明日、青葉電機に電話」)."""
    names = [n for n in known_names if n]
    found: list[Commitment] = []
    for sentence in sentences(text):
        due = find_due_date(sentence, today, next_one_on_one_days=next_one_on_one_days)
        if not _is_commitment(sentence, due, lenient=lenient):
            continue
        what = _what(sentence, due)
        if len(what) < 4:
            continue
        found.append(
            Commitment(
                what=what,
                quote=sentence.rstrip(),
                who=people_and_companies(sentence, names),
                how_many=how_many(sentence),
                due_date=due.date if due else None,
                due_expression=due.expression if due else None,
                skill=skill_of(sentence, focus=focus),
            )
        )
    return found


def _is_commitment(sentence: str, due: DueDate | None, *, lenient: bool) -> bool:
    core = sentence.strip().rstrip("。！!")
    if answer_patterns().stuck.match(core) or core.endswith(("？", "?")) or re.search(r"(?<!う)か$", core):
        return False
    if _NOT_INTENT.search(core) and not _WANTS_TO.search(core):
        return False
    if _INTENT.search(core):
        return True
    return lenient and due is not None


def _what(sentence: str, due: DueDate | None) -> str:
    if due is not None:
        sentence = sentence[: due.start].rstrip() + _DUE_PARTICLE.sub("", sentence[due.end :])
    return without_fillers(sentence)


def people_and_companies(sentence: str, known_names: Iterable[str] = ()) -> list[str]:
    """Companies and people named in ``sentence``, in reading order, each once."""
    found: list[tuple[int, str]] = []
    for name in company_names(sentence):
        cleaned = _LEADING_DATE_WORD.sub("", name)
        if len(cleaned) >= 2:
            found.append((sentence.find(cleaned), cleaned))
    for match in _PERSON.finditer(sentence):
        name, title = match.group(1), match.group(2)
        if name in _NOT_A_NAME or any(name in company or company in name for _, company in found):
            continue
        found.append((match.start(), name + title))
    for known in known_names:
        base = re.sub(r"(さん|様|さま)$", "", known)
        if base and base in sentence and not any(base in n or n in base for _, n in found):
            found.append((sentence.find(base), base))
    return list(dict.fromkeys(name for _, name in sorted(found)))


def how_many(sentence: str) -> str | None:
    """The first number with a counter, as written (「三社」「5つ」); None when there is none."""
    normalized = normalize_numbers(sentence)
    match = _COUNT.search(normalized.text)
    if match is None:
        return None
    start, end = normalized.span(*match.span())
    return sentence[start:end]


def skill_of(sentence: str, *, focus: SkillId | None = None) -> SkillId | None:
    """The skill whose words the sentence uses most; the dialogue's focus on a tie or when none is used."""
    words = answer_patterns().skill_words
    scores = {skill: sum(1 for w in words[skill] if w.lower() in sentence.lower()) for skill in SKILL_IDS}
    best = max(scores.values())
    if best == 0:
        return focus
    leaders = [skill for skill, score in scores.items() if score == best]
    return focus if focus in leaders else leaders[0]
