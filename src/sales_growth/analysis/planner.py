"""The action plan: one concrete action per challenge (primary first), from the templates in
``data/action_templates.toml``, made specific with the record's own customer, dated in business days."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from importlib import resources

from sales_growth.analysis.calendar import add_business_days
from sales_growth.analysis.models import SKILL_IDS, ActionItem, SkillId, SkillReport
from sales_growth.analysis.nlp import entries
from sales_growth.analysis.transcript import Transcript

MAX_ACTIONS = 6
NO_CUSTOMER = "担当顧客"  # what {customer} becomes when the record names none
_CUSTOMER = re.compile(
    r"(?:株式会社|\(株\)|（株）)?[ァ-ヴー・A-Za-z一-龥々]{2,}(?:株式会社|商事|物産|工業|製作所|建設|産業|電機|設備|運輸|物流|"
    r"食品|製薬|病院|クリニック|薬局|ホテル|銀行|学園|学校|ホーム|システム|ロジスティクス|精工|化学|ラボ|工務店)"
)


@dataclass(frozen=True)
class ActionTemplate:
    skill: SkillId
    title: str
    days: int
    metric: str
    steps: tuple[str, ...]


@lru_cache(maxsize=1)
def load_templates() -> dict[SkillId, tuple[ActionTemplate, ...]]:
    """Every skill's action templates, first one first."""
    raw = tomllib.loads(
        resources.files("sales_growth.analysis").joinpath("data", "action_templates.toml").read_text("utf-8")
    )
    return {
        skill: tuple(
            ActionTemplate(skill, t["title"], int(t["days"]), t["metric"], tuple(t["steps"])) for t in raw[skill]
        )
        for skill in SKILL_IDS
    }


def plan_actions(
    transcript: Transcript, report: SkillReport, *, session_date: date, keywords: list[str]
) -> list[ActionItem]:
    """1 to 6 actions, at least one for every challenge, none when there is no challenge."""
    challenges = [f.skill for f in report.findings if f.polarity == "challenge"]
    ordered = sorted(set(challenges), key=lambda s: (s != report.primary_challenge, challenges.index(s)))
    customer = main_customer(transcript, keywords)
    return [_action(load_templates()[skill][0], customer, session_date) for skill in ordered[:MAX_ACTIONS]]


def action_from(template: ActionTemplate, customer: str, session_date: date) -> ActionItem:
    return _action(template, customer, session_date)


def _action(template: ActionTemplate, customer: str, session_date: date) -> ActionItem:
    title = template.title.format(customer=customer)
    return ActionItem(
        title=title,
        skill=template.skill,
        due_date=add_business_days(session_date, template.days),
        success_metric=template.metric,
        steps=list(template.steps[:4]),
    )


def main_customer(transcript: Transcript, keywords: list[str]) -> str:
    """The customer the record talks about most: a company-like keyword, else a company name in the text."""
    for keyword in keywords:
        name = re.sub(r"(さん|様|さま)$", "", keyword)
        called = re.search(re.escape(name) + "(さん|様)", transcript.source)  # keywords drop the honorific
        if _CUSTOMER.fullmatch(name) or (called and _looks_like_company(name) and not _common_word(name)):
            return name + "様"
    found: list[str] = _CUSTOMER.findall(transcript.source)
    if found:
        return max(set(found), key=found.count) + "様"
    return NO_CUSTOMER


def company_names(text: str) -> list[str]:
    """Company-like names in ``text`` in reading order (「青葉電機」「株式会社ミドリ」), as written."""
    return [match.group() for match in _CUSTOMER.finditer(text)]


def _common_word(name: str) -> bool:
    """スタッフさん, クリニックさん: an everyday word, said politely, is not a customer's name; a made-up company
    name (マルヤス) is in no dictionary."""
    return any(pos[1] == "普通名詞" for pos in entries(name))


def _looks_like_company(name: str) -> bool:
    # A company is usually written in katakana or with a business word; a person is 2-4 kanji.
    return bool(re.search(r"[ァ-ヴ]{2,}", name)) and len(name) >= 3
