"""Pages of coaching: the dialogue chat, the action plan (accept, edit, progress, comments), the member's home,
the manager's team page with its heat map, and a member's page with their growth and history.

The chat streams: ``static/js/chat.js`` posts to the JSON API with ``?stream=1`` and shows the coach's reply as
it comes. Without JavaScript the same form posts here and the page reloads with the reply.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from markupsafe import Markup
from pydantic import ValidationError
from sqlalchemy.orm import Session

from sales_growth.accounts import policy
from sales_growth.accounts import service as accounts
from sales_growth.accounts.deps import NowDep
from sales_growth.accounts.models import User
from sales_growth.analysis.coach import get_coach
from sales_growth.analysis.coach.models import STAGE_LABELS_JA
from sales_growth.analysis.models import SKILL_IDS, SKILL_LABELS_JA
from sales_growth.coaching import growth, service
from sales_growth.coaching.models import ActionPlanItem, DialogueStatus
from sales_growth.coaching.schemas import GrowthOut, ItemUpdate
from sales_growth.errors import InvalidInputError
from sales_growth.feedback import service as feedback
from sales_growth.one_on_ones import service as records
from sales_growth.one_on_ones.models import AnalysisStatus
from sales_growth.web import pagecache
from sales_growth.web.deps import SessionDep, SessionRoute, SettingsDep
from sales_growth.web.pages import PageUser, render, see_other

router = APIRouter(tags=["coaching-pages"], include_in_schema=False, route_class=SessionRoute)

HEAT_LEVELS = 4
RECENT_RECORDS = 5


# --- dialogues -------------------------------------------------------------------------------------------------


@router.post("/one-on-ones/{record_id:int}/dialogue")
def start_dialogue(
    record_id: int, session: SessionDep, settings: SettingsDep, user: PageUser, now: NowDep
) -> RedirectResponse:
    """「対話セッションを始める」 (or resume the one already there)."""
    dialogue, _created = service.start_dialogue(
        session, user, record_id, coach=get_coach(settings), settings=settings, now=now
    )
    return see_other(f"/dialogues/{dialogue.id}")


@router.get("/dialogues/{dialogue_id:int}", response_class=HTMLResponse)
def dialogue_page(
    request: Request, dialogue_id: int, session: SessionDep, settings: SettingsDep, user: PageUser
) -> HTMLResponse:
    """The chat for the member; an admin sees only that the dialogue exists and its status; managers get 404."""
    dialogue, readable = service.get_dialogue(session, user, dialogue_id)
    record = records.get_record(session, user, dialogue.one_on_one_id)
    context = {
        "dialogue": dialogue,
        "record": record,
        "readable": readable,
        "messages": service.messages_of(session, dialogue) if readable else [],
        "stage_label": STAGE_LABELS_JA.get(dialogue.stage, dialogue.stage),  # type: ignore[call-overload]
        "turns_left": max(settings.dialogue_max_turns - dialogue.turn_count, 0),
        "plan_id": service.plan_id_of(session, dialogue),
        "is_open": dialogue.status != DialogueStatus.COMPLETED,
    }
    return render(request, "coaching/dialogue.html", context)


@router.post("/dialogues/{dialogue_id:int}/messages")
def post_message(
    dialogue_id: int,
    session: SessionDep,
    settings: SettingsDep,
    user: PageUser,
    content: Annotated[str, Form()] = "",
) -> RedirectResponse:
    """The chat without JavaScript: store the message, ask the coach, show the page again."""
    turn = service.begin_turn(session, user, dialogue_id, content, settings=settings)
    session.commit()  # the member's words are kept before the coach is asked
    if isinstance(turn, service.PendingTurn):
        service.finish_turn(session, turn, get_coach(settings).reply(turn.context, turn.history))
    return see_other(f"/dialogues/{dialogue_id}#latest")


@router.post("/dialogues/{dialogue_id:int}/complete")
def complete_dialogue(
    dialogue_id: int, session: SessionDep, settings: SettingsDep, user: PageUser, now: NowDep
) -> RedirectResponse:
    """「対話を完了して行動計画を作る」."""
    plan, _created = service.complete_dialogue(
        session, user, dialogue_id, coach=get_coach(settings), settings=settings, now=now
    )
    return see_other(f"/action-plans/{plan.id}?notice=created")


# --- action plans ----------------------------------------------------------------------------------------------


@router.get("/action-plans/{plan_id:int}", response_class=HTMLResponse)
def plan_page(request: Request, plan_id: int, session: SessionDep, user: PageUser, now: NowDep) -> HTMLResponse:

    def shown() -> list[str]:  # the plan, and its member's records (the page names its record) and name
        return [
            pagecache.plan_of(plan_id),
            *pagecache.member_names(pagecache.plan_member(session, plan_id), plans=False),
        ]

    pagecache.cache_page(request, session, user, shown)
    plan = service.get_plan(session, user, plan_id)
    record = records.get_record(session, user, plan.one_on_one_id)
    context = {
        "plan": plan,
        "record": record,
        "member_name": accounts.names_of(session, [plan.member_id]).get(plan.member_id, ""),
        "authors": service.author_names(session, plan.items),
        "today": service.today_in_japan(now),
        "can_change": policy.can_change_plan(user, plan.member_id),
        "can_comment": policy.can_comment_on_plan(session, user, plan.member_id),
        "rating": feedback.plan_rating(session, user, plan.id),
    }
    return render(request, "coaching/plan.html", context)


@router.post("/action-plans/{plan_id:int}/agree")
def agree_plan(plan_id: int, session: SessionDep, user: PageUser, now: NowDep) -> RedirectResponse:
    """「この計画に合意する」."""
    service.agree_plan(session, user, plan_id, now=now)
    return see_other(f"/action-plans/{plan_id}?notice=agreed")


@router.post("/action-items/{item_id:int}")
def edit_item(
    item_id: int,
    session: SessionDep,
    user: PageUser,
    now: NowDep,
    title: Annotated[str, Form()] = "",
    due_date: Annotated[str, Form()] = "",
    success_metric: Annotated[str, Form()] = "",
    steps: Annotated[str, Form()] = "",
) -> RedirectResponse:
    """Edit an item's content: one step per line, up to four."""
    try:
        changes = ItemUpdate(
            title=title.strip() or None,
            due_date=date.fromisoformat(due_date) if due_date else None,
            success_metric=success_metric.strip() or None,
            steps=[line.strip() for line in steps.splitlines() if line.strip()] or None,
        )
    except (ValidationError, ValueError) as exc:
        raise InvalidInputError(
            "入力内容を確認してください（タイトルは200文字まで、手順は1〜4行、期限は日付で）。"
        ) from exc
    item = service.update_item(session, user, item_id, changes, now=now)
    return see_other(f"/action-plans/{item.plan_id}?notice=saved#item-{item_id}")


@router.post("/action-items/{item_id:int}/progress")
def update_progress(
    item_id: int,
    session: SessionDep,
    user: PageUser,
    now: NowDep,
    status: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> RedirectResponse:
    """Progress (未着手・進行中・完了) and a note."""
    try:
        changes = ItemUpdate.model_validate({"status": status or None, "note": note})
    except ValidationError as exc:
        raise InvalidInputError("進捗は「未着手」「進行中」「完了」から選んでください（メモは2000文字まで）。") from exc
    item = service.update_item(session, user, item_id, changes, now=now)
    return see_other(f"/action-plans/{item.plan_id}?notice=saved#item-{item_id}")


@router.post("/action-items/{item_id:int}/delete")
def delete_item(item_id: int, session: SessionDep, user: PageUser) -> RedirectResponse:
    plan_id = None
    item = session.get(ActionPlanItem, item_id)
    if item is not None:
        plan_id = item.plan_id
    service.delete_item(session, user, item_id)
    return see_other(f"/action-plans/{plan_id}?notice=saved")


@router.post("/action-items/{item_id:int}/comments")
def add_comment(
    item_id: int, session: SessionDep, user: PageUser, body: Annotated[str, Form()] = ""
) -> RedirectResponse:
    if len(body) > 2000:
        raise InvalidInputError("コメントは2000文字以内で入力してください。")
    comment = service.add_comment(session, user, item_id, body)
    return see_other(f"/action-plans/{comment.item.plan_id}?notice=commented#item-{item_id}")


# --- home, team and member pages -------------------------------------------------------------------------------


def growth_json(data: GrowthOut) -> Markup:
    """The chart's data for a ``<script type="application/json">`` block (never executed: no inline script).

    ``<``, ``>`` and ``&`` are escaped so that no text in the data can close the block.
    """
    payload = {
        "labels": data.labels,
        "skills": {skill: [[p.date.isoformat(), p.score] for p in points] for skill, points in data.skills.items()},
    }
    text = json.dumps(payload, ensure_ascii=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)  # noqa: S704 (JSON of labels, dates and numbers, with the HTML-significant characters escaped)


def _member_context(session: Session, user: User, member: User, now: datetime) -> dict[str, Any]:
    """What both the home and the member page show: growth, open items, recent records and their analyses."""
    today = service.today_in_japan(now)
    data = growth.member_growth(session, user, member.id, today=today)
    # The growth counted the member's records already: the page of the newest needs no count of its own.
    recent = records.page_of_records(
        session, user, records.RecordFilter(member_id=member.id, limit=RECENT_RECORDS), content=False
    )
    latest = records.latest_analyses(session, [r.id for r in recent])
    newest_done = next(
        ((r, latest[r.id]) for r in recent if r.id in latest and latest[r.id].status == AnalysisStatus.SUCCEEDED),
        None,
    )
    return {
        "member": member,
        "growth": data,
        "growth_json": growth_json(data),
        "growth_rows": _growth_rows(data),
        "open_items": service.open_items_of(session, user, member.id),
        "recent": recent,
        "records_total": data.one_on_ones,
        "latest": latest,
        "newest_done": newest_done,
        "today": today,
    }


def _growth_rows(data: GrowthOut) -> list[tuple[str, list[tuple[date, float | None]]]]:
    """The chart as a table (for screen readers and without JavaScript): per date, each skill's score or None."""
    dates = sorted({p.date for points in data.skills.values() for p in points})
    by_skill = {skill: {p.date: p.score for p in points} for skill, points in data.skills.items()}
    return [(day.isoformat(), [(day, by_skill[s].get(day)) for s in data.skills]) for day in dates]


@router.get("/home", response_class=HTMLResponse)
def home(request: Request, session: SessionDep, user: PageUser, now: NowDep) -> HTMLResponse:
    """The member's home: the latest analysis, open and overdue actions, and the growth of the ten skills."""
    pagecache.cache_page(request, session, user, pagecache.member_names([user.id]))
    return render(request, "coaching/home.html", _member_context(session, user, user, now))


@router.get("/members/{member_id:int}", response_class=HTMLResponse)
def member_page(request: Request, member_id: int, session: SessionDep, user: PageUser, now: NowDep) -> HTMLResponse:
    """A member's growth and history, for their managers and admins (and themself)."""
    pagecache.cache_page(request, session, user, pagecache.member_names([member_id]))
    member = accounts.get_user(session, user, member_id)
    context = _member_context(session, user, member, now)
    context["plans"] = service.plans_of(session, user, member.id)
    return render(request, "coaching/member.html", context)


@router.get("/team", response_class=HTMLResponse)
def team_page(
    request: Request, session: SessionDep, settings: SettingsDep, user: PageUser, now: NowDep
) -> HTMLResponse:
    """Each member's last 1on1 and open and overdue items, and the heat map of challenges by skill."""

    def shown() -> list[str]:  # a manager's whole subtree (admins' pages are not kept)
        return pagecache.member_names(sorted(policy.subtree_of(session, user)))

    pagecache.cache_page(request, session, user, shown)
    today = service.today_in_japan(now)
    team, matrix = growth.team_and_challenges(session, user, today=today, ttl=settings.team_cache_seconds)
    context = {"team": team, "heat": heat_map(matrix, [m.id for m in team.items])}
    return render(request, "coaching/team.html", context)


def heat_map(matrix: dict[int, Counter[str]], member_ids: list[int]) -> dict[str, Any]:
    """Counts and intensity levels (0–4, relative to the largest count) per member and skill, and team totals."""
    largest = max((count for counts in matrix.values() for count in counts.values()), default=0)

    def level(count: int) -> int:
        return 0 if count == 0 or largest == 0 else max(1, round(HEAT_LEVELS * count / largest))

    rows = {
        member_id: [(count, level(count)) for count in (matrix.get(member_id, Counter())[s] for s in SKILL_IDS)]
        for member_id in member_ids
    }
    totals = [sum(matrix.get(m, Counter())[s] for m in member_ids) for s in SKILL_IDS]
    return {"skills": [(s, SKILL_LABELS_JA[s]) for s in SKILL_IDS], "rows": rows, "totals": totals, "largest": largest}
