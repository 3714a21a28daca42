"""The one Jinja2 environment of every page, with the globals and filters the templates share.

Templates live in ``web/templates`` (shared ones at the top, each domain's under ``<domain>/``). Autoescaping is on
for every ``.html`` template: user text is always escaped unless a filter below marks it safe after escaping it.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape
from starlette.requests import Request

from sales_growth.analysis.models import SKILL_IDS, SKILL_LABELS_JA
from sales_growth.ops.gate import maintenance_banner
from sales_growth.ops.security import csrf_token
from sales_growth.web import notices

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"
JST = timezone(timedelta(hours=9), "JST")

ROLE_LABELS = {"member": "メンバー", "manager": "マネージャー", "admin": "管理者"}
ANALYSIS_STATUS_LABELS = {"queued": "待機中", "running": "分析中", "succeeded": "完了", "failed": "失敗"}
ANALYSIS_STAGE_LABELS = {
    "queued": "順番待ち",
    "retry_wait": "再試行待ち",
    "analyzing": "分析中",
    "done": "完了",
    "failed": "失敗",
}
ITEM_STATUS_LABELS = {"todo": "未着手", "doing": "進行中", "done": "完了"}
PLAN_STATUS_LABELS = {"draft": "下書き", "agreed": "合意済み"}
POLARITY_LABELS = {"strength": "強み", "challenge": "課題"}
_WEEKDAYS = "月火水木金土日"

templates = Jinja2Templates(directory=TEMPLATES_DIR)
# The templates ship with the package and change only with it (a new version starts new processes): Jinja's
# default, checking every template's file time on each use, was a system call per template and page (about 4 % of
# the web processes' samples at 1,000 people).
templates.env.auto_reload = False


def current_user(request: Request) -> Any:
    """The user a page dependency put on the request (None on the login page and error pages before login)."""
    return getattr(request.state, "user", None)


def skill_label(skill: str | None) -> str:
    if not skill:
        return ""
    return SKILL_LABELS_JA.get(skill, skill)  # type: ignore[call-overload, no-any-return]


def japanese_date(value: date | datetime | None, *, weekday: bool = False) -> str:
    """``2026年11月2日`` (and ``(月)`` with ``weekday``); a moment is shown in Japan time."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(JST).date()
    text = f"{value.year}年{value.month}月{value.day}日"
    return f"{text}({_WEEKDAYS[value.weekday()]})" if weekday else text


def japanese_datetime(value: datetime | None) -> str:
    """``2026年11月2日 14:05`` in Japan time."""
    if value is None:
        return ""
    local = value.astimezone(JST)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


def record_label(record: Any) -> str:
    """A record as a person names it: its date, and its title when it is more than the default 「…の1on1」."""
    day = japanese_date(record.held_on)
    if record.title == f"{record.held_on:%Y年%m月%d日}の1on1":
        return f"{day}の1on1"
    return f"{day} {record.title}"


def paragraphs(text: str | None) -> Markup:
    """Plain text as escaped lines joined by ``<br>``, for messages and notes."""
    if not text:
        return Markup("")
    return Markup("<br>").join(escape(line) for line in text.split("\n"))


templates.env.globals.update(
    csrf_token=csrf_token,
    maintenance_banner=maintenance_banner,
    notice_html=notices.html,
    current_user=current_user,
    SKILL_IDS=SKILL_IDS,
    SKILL_LABELS=SKILL_LABELS_JA,
    ROLE_LABELS=ROLE_LABELS,
    ANALYSIS_STATUS_LABELS=ANALYSIS_STATUS_LABELS,
    ANALYSIS_STAGE_LABELS=ANALYSIS_STAGE_LABELS,
    ITEM_STATUS_LABELS=ITEM_STATUS_LABELS,
    PLAN_STATUS_LABELS=PLAN_STATUS_LABELS,
    POLARITY_LABELS=POLARITY_LABELS,
)
templates.env.filters.update(
    skill_label=skill_label,
    jdate=japanese_date,
    jdatetime=japanese_datetime,
    paragraphs=paragraphs,
    record_label=record_label,
)
