"""JSON routes for coaching dialogues, action plans, growth and the team picture (``/api/v1``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session, sessionmaker

from sales_growth.accounts.deps import CurrentUser, NowDep
from sales_growth.analysis.coach import get_coach
from sales_growth.analysis.coach.models import STAGE_LABELS_JA, StreamReset
from sales_growth.analysis.models import SKILL_LABELS_JA
from sales_growth.coaching import growth, service
from sales_growth.coaching.models import ActionPlan, ActionPlanItem, Dialogue, DialogueMessage, ItemComment
from sales_growth.coaching.schemas import (
    CommentIn,
    CommentOut,
    DialogueOut,
    GrowthOut,
    ItemOut,
    ItemUpdate,
    MessageIn,
    MessageOut,
    PlanOut,
    TeamOut,
    TurnOut,
)
from sales_growth.settings import Settings
from sales_growth.web import pagecache
from sales_growth.web.deps import SessionDep, SessionRoute, SettingsDep

router = APIRouter(prefix="/api/v1", tags=["coaching"], route_class=SessionRoute)


# --- dialogues -------------------------------------------------------------------------------------------------


@router.post("/one-on-ones/{record_id}/dialogue")
def start_dialogue(
    record_id: int, response: Response, session: SessionDep, settings: SettingsDep, user: CurrentUser, now: NowDep
) -> DialogueOut:
    """対話セッションを始めます（記録の本人だけ）。進行中の対話があれば、それを再開します。"""
    dialogue, created = service.start_dialogue(
        session, user, record_id, coach=get_coach(settings), settings=settings, now=now
    )
    response.status_code = 201 if created else 200
    return _dialogue_out(session, dialogue, settings, with_messages=True)


@router.get("/dialogues/{dialogue_id}")
def get_dialogue(dialogue_id: int, session: SessionDep, settings: SettingsDep, user: CurrentUser) -> DialogueOut:
    """対話の履歴。本文を読めるのは本人だけです（管理者には状態だけが見えます）。"""
    dialogue, readable = service.get_dialogue(session, user, dialogue_id)
    return _dialogue_out(session, dialogue, settings, with_messages=readable)


@router.post("/dialogues/{dialogue_id}/messages", response_model=TurnOut)
def post_message(
    dialogue_id: int,
    body: MessageIn,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
    stream: Annotated[bool, Query(description="1 で返答を Server-Sent Events で少しずつ返します")] = False,
) -> TurnOut | StreamingResponse:
    """コーチへのメッセージ。返答を返します（``?stream=1`` で SSE: ``delta`` … ``done``）。"""
    turn = service.begin_turn(session, user, dialogue_id, body.content, settings=settings)
    # The member's message is kept before the coach is asked: no transaction stays open while an LLM thinks.
    session.commit()
    if stream:
        return StreamingResponse(
            _stream(request.app.state.session_factory, settings, turn),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
    if isinstance(turn, service.AnsweredTurn):
        return _turn_out(session, settings, turn.reply)
    reply = get_coach(settings).reply(turn.context, turn.history)
    return _turn_out(session, settings, service.finish_turn(session, turn, reply))


def _stream(
    factory: sessionmaker[Session], settings: Settings, turn: service.PendingTurn | service.AnsweredTurn
) -> Iterator[str]:
    """``delta`` events with pieces of the reply, ``reset`` when the LLM failed midway and the built-in coach's
    whole reply replaces what was shown, and ``done`` with the stored reply and the dialogue.

    The stream outlives the request's session (committed and closed before the response starts): it stores the
    reply in a session of its own."""
    with factory() as session:
        yield from _stream_in(session, settings, turn)


def _stream_in(session: Session, settings: Settings, turn: service.PendingTurn | service.AnsweredTurn) -> Iterator[str]:
    if isinstance(turn, service.AnsweredTurn):
        yield _event("delta", {"text": turn.reply.content})
        yield _event("done", _turn_out(session, settings, turn.reply).model_dump(mode="json"))
        return
    for piece in get_coach(settings).stream_reply(turn.context, turn.history):
        if isinstance(piece, str):
            yield _event("delta", {"text": piece})
        elif isinstance(piece, StreamReset):
            yield _event("reset", {"reason": piece.reason})
        else:
            message = service.finish_turn(session, turn, piece)
            session.commit()
            yield _event("done", _turn_out(session, settings, message).model_dump(mode="json"))


def _event(name: str, data: object) -> str:
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


@router.post("/dialogues/{dialogue_id}/complete")
def complete_dialogue(
    dialogue_id: int, response: Response, session: SessionDep, settings: SettingsDep, user: CurrentUser, now: NowDep
) -> PlanOut:
    """対話を完了し、行動計画（下書き）を作ります。本人の言葉と期限に、分析の提案を合わせます。"""
    plan, created = service.complete_dialogue(
        session, user, dialogue_id, coach=get_coach(settings), settings=settings, now=now
    )
    response.status_code = 201 if created else 200
    return _plan_out(session, service.get_plan(session, user, plan.id), now)


def _dialogue_out(session: Session, dialogue: Dialogue, settings: Settings, *, with_messages: bool) -> DialogueOut:
    messages = service.messages_of(session, dialogue) if with_messages else None
    return DialogueOut(
        id=dialogue.id,
        one_on_one_id=dialogue.one_on_one_id,
        member_id=dialogue.member_id,
        status=dialogue.status,
        stage=dialogue.stage,
        stage_label=STAGE_LABELS_JA.get(dialogue.stage, dialogue.stage),  # type: ignore[call-overload]
        engine=dialogue.engine,
        dialogue_date=dialogue.dialogue_date,
        turn_count=dialogue.turn_count,
        max_turns=settings.dialogue_max_turns,
        turns_left=max(settings.dialogue_max_turns - dialogue.turn_count, 0),
        created_at=dialogue.created_at,
        updated_at=dialogue.updated_at,
        completed_at=dialogue.completed_at,
        plan_id=service.plan_id_of(session, dialogue),
        messages=[MessageOut.model_validate(m) for m in messages] if messages is not None else None,
    )


def _turn_out(session: Session, settings: Settings, reply: DialogueMessage) -> TurnOut:
    dialogue = session.get(Dialogue, reply.dialogue_id)
    assert dialogue is not None
    summary = _dialogue_out(session, dialogue, settings, with_messages=False)
    return TurnOut(reply=MessageOut.model_validate(reply), dialogue=summary)


# --- plans -----------------------------------------------------------------------------------------------------


@router.get("/one-on-ones/{record_id}/action-plan")
def get_record_plan(record_id: int, session: SessionDep, user: CurrentUser, now: NowDep) -> PlanOut:
    """記録の行動計画。本人、その上司（上位の上司を含む）、管理者が見られます。"""
    return _plan_out(session, service.plan_for_record(session, user, record_id), now)


@router.get("/action-plans/{plan_id}")
def get_plan(plan_id: int, session: SessionDep, user: CurrentUser, now: NowDep) -> PlanOut:
    return _plan_out(session, service.get_plan(session, user, plan_id), now)


@router.post("/action-plans/{plan_id}/agree")
def agree_plan(plan_id: int, session: SessionDep, user: CurrentUser, now: NowDep) -> PlanOut:
    """行動計画に合意します（本人だけ）。合意すると、項目の進捗を更新できるようになります。"""
    plan = service.agree_plan(session, user, plan_id, now=now)
    return _plan_out(session, plan, now)


@router.patch("/action-items/{item_id}")
def update_item(item_id: int, changes: ItemUpdate, session: SessionDep, user: CurrentUser, now: NowDep) -> ItemOut:
    """項目の進捗（todo・doing・done）とメモ、内容を更新します（本人だけ）。"""
    item = service.update_item(session, user, item_id, changes, now=now)
    return _item_out(item, service.author_names(session, [item]), service.today_in_japan(now))


@router.delete("/action-items/{item_id}", status_code=204)
def delete_item(item_id: int, session: SessionDep, user: CurrentUser) -> Response:
    """下書きの行動計画から項目を外します（本人だけ。最低1項目は残ります）。"""
    service.delete_item(session, user, item_id)
    return Response(status_code=204)


@router.post("/action-items/{item_id}/comments", status_code=201)
def add_comment(item_id: int, body: CommentIn, session: SessionDep, user: CurrentUser) -> CommentOut:
    """項目へのコメント（上司と管理者）。項目そのものは本人しか変更できません。"""
    comment = service.add_comment(session, user, item_id, body.body)
    return _comment_out(comment, {user.id: user.name})


def _plan_out(session: Session, plan: ActionPlan, now: datetime) -> PlanOut:
    today = service.today_in_japan(now)
    names = service.author_names(session, plan.items)
    items = [_item_out(item, names, today) for item in plan.items]
    return PlanOut(
        id=plan.id,
        one_on_one_id=plan.one_on_one_id,
        member_id=plan.member_id,
        dialogue_id=plan.dialogue_id,
        status=plan.status,
        goal=plan.goal,
        created_at=plan.created_at,
        agreed_at=plan.agreed_at,
        items=items,
        total=len(items),
        done=sum(1 for i in items if i.status == "done"),
        overdue=sum(1 for i in items if i.overdue),
    )


def _item_out(item: ActionPlanItem, names: dict[int, str], today: date) -> ItemOut:
    return ItemOut(
        id=item.id,
        title=item.title,
        skill=item.skill,
        skill_label=SKILL_LABELS_JA.get(item.skill, item.skill),  # type: ignore[call-overload]
        due_date=item.due_date,
        success_metric=item.success_metric,
        steps=item.steps,
        status=item.status,
        note=item.note,
        overdue=service.is_overdue(item, today),
        completed_at=item.completed_at,
        source=item.source,
        quote=item.quote,
        who=item.who,
        how_many=item.how_many,
        comments=[_comment_out(c, names) for c in item.comments],
    )


def _comment_out(comment: ItemComment, names: dict[int, str]) -> CommentOut:
    return CommentOut(
        id=comment.id,
        author_id=comment.author_id,
        author_name=names.get(comment.author_id, ""),
        body=comment.body,
        created_at=comment.created_at,
    )


# --- growth and team -------------------------------------------------------------------------------------------


@router.get("/members/{member_id}/growth")
def member_growth(request: Request, member_id: int, session: SessionDep, user: CurrentUser, now: NowDep) -> GrowthOut:
    """スキルごとの成長スコアの推移（グラフにそのまま描ける形）と、行動の完了率。"""
    pagecache.cache_page(request, session, user, pagecache.member_names([member_id]))
    return growth.member_growth(session, user, member_id, today=service.today_in_japan(now))


@router.get("/teams/me")
def my_team(session: SessionDep, settings: SettingsDep, user: CurrentUser, now: NowDep) -> TeamOut:
    """チームの状況: メンバーごとの最新の1on1、未完了・期限切れの項目数、よく課題になるスキル。"""
    return growth.team(session, user, today=service.today_in_japan(now), ttl=settings.team_cache_seconds)
