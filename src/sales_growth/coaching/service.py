"""Coaching dialogues and action plans: every read and write goes through the permission policy of ``accounts``.

The dialogue is the member's own; the plan is shared with their managers and admins, who may comment but never
change it. Services flush; the caller (request or job) commits.

A turn has two halves so that no transaction stays open while an LLM thinks: :func:`begin_turn` stores the
member's message (or answers for their safety), the caller commits, asks the coach, then :func:`finish_turn`
stores the reply.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import cache

from sqlalchemy import Date, Integer, Select, bindparam, func, select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, contains_eager, joinedload, selectinload

from sales_growth.accounts import policy
from sales_growth.accounts import service as accounts
from sales_growth.accounts.models import Role, User
from sales_growth.analysis.coach.grounding import customer_of
from sales_growth.analysis.coach.models import Coach, CoachContext, CoachReply, Turn
from sales_growth.analysis.coach.plan import build_plan
from sales_growth.analysis.coach.safety import SafetyConcern, assess, paused_reply, safe_reply
from sales_growth.analysis.models import AnalysisResult, OpenItem
from sales_growth.coaching.models import (
    ActionPlan,
    ActionPlanItem,
    Dialogue,
    DialogueMessage,
    DialogueStatus,
    ItemComment,
    ItemStatus,
    PlanStatus,
)
from sales_growth.coaching.safety import record_safety_event
from sales_growth.coaching.schemas import ItemUpdate, OpenItemOut
from sales_growth.errors import ConflictError, InvalidInputError, NotFoundError, PermissionDeniedError
from sales_growth.one_on_ones import analyses
from sales_growth.one_on_ones import service as records
from sales_growth.one_on_ones.models import Analysis, AnalysisStatus, OneOnOne
from sales_growth.settings import Settings

JST = timezone(timedelta(hours=9), "JST")  # Japan keeps no daylight saving time
DIALOGUE_NOT_FOUND = "対話セッションが見つかりません。"
PLAN_NOT_FOUND = "行動計画はまだありません。対話セッションを完了すると作られます。"
ITEM_NOT_FOUND = "行動計画の項目が見つかりません。"


def today_in_japan(now: datetime) -> date:
    return now.astimezone(JST).date()


# --- dialogues -------------------------------------------------------------------------------------------------


def start_dialogue(
    session: Session, actor: User, record_id: int, *, coach: Coach, settings: Settings, now: datetime
) -> tuple[Dialogue, bool]:
    """The record's dialogue, started with the coach's first message, or the one already there.

    Returns the dialogue and whether it was created now. Only the record's member may start it (others who can
    see the record get 403); the record's analysis must have succeeded (409 otherwise, saying why).
    """
    record = records.get_record(session, actor, record_id)
    if not policy.can_read_dialogue(actor, record.member_id):
        raise PermissionDeniedError("対話セッションを始められるのは、記録の本人だけです。")
    existing = dialogue_of_record(session, record.id)
    if existing is not None:
        return existing, False
    analysis = _succeeded_analysis(session, record.id)
    dialogue = Dialogue(
        one_on_one_id=record.id,
        member_id=record.member_id,
        analysis_id=analysis.id,
        engine=settings.engine,
        dialogue_date=today_in_japan(now),
    )
    # The coach (perhaps an LLM) speaks before anything is written: no write lock waits on it.
    opening = coach.opening(_context(session, dialogue, settings, record=record, analysis=analysis))
    try:
        with session.begin_nested():
            session.add(dialogue)
            session.flush()
    except IntegrityError:  # another request started it a moment ago: resume that one
        existing = dialogue_of_record(session, record.id)
        if existing is None:
            raise
        return existing, False
    _add_message(session, dialogue, role="coach", content=opening.content, stage=opening.stage, reply=opening)
    return dialogue, True


def dialogue_of_record(session: Session, record_id: int) -> Dialogue | None:
    """A record's dialogue, if it has one (the caller has checked that the actor may read it)."""
    return session.scalar(_dialogue(), {"record_id": record_id})


@cache
def _dialogue() -> Select[Dialogue]:  # SQLAlchemy 2.1 spelling
    return select(Dialogue).where(Dialogue.one_on_one_id == bindparam("record_id"))


def _succeeded_analysis(session: Session, record_id: int) -> Analysis:
    analysis = analyses.latest(session, record_id)
    if analysis is None or analysis.status in {AnalysisStatus.QUEUED, AnalysisStatus.RUNNING}:
        raise ConflictError("分析がまだ終わっていません。分析が終わってから対話を始められます。")
    if analysis.status == AnalysisStatus.FAILED or analysis.result is None:
        raise ConflictError("この記録の分析に失敗しています。再分析が終わってから対話を始めてください。")
    return analysis


def get_dialogue(session: Session, actor: User, dialogue_id: int, *, lock: bool = False) -> tuple[Dialogue, bool]:
    """A dialogue the actor may know of, and whether they may read its text (only its member may).

    Managers get 404, exactly as for a dialogue that does not exist. ``lock`` holds the row until the commit
    (PostgreSQL), so that two messages sent at once cannot both take the last turn.
    """
    dialogue = session.get(Dialogue, dialogue_id, with_for_update=lock)
    if dialogue is None or not policy.can_see_dialogue_exists(actor, dialogue.member_id):
        raise NotFoundError(DIALOGUE_NOT_FOUND)
    return dialogue, policy.can_read_dialogue(actor, dialogue.member_id)


def _own_dialogue(session: Session, actor: User, dialogue_id: int) -> Dialogue:
    dialogue, readable = get_dialogue(session, actor, dialogue_id, lock=True)
    if not readable:
        raise PermissionDeniedError("対話セッションを進められるのは本人だけです。")
    return dialogue


def messages_of(session: Session, dialogue: Dialogue) -> list[DialogueMessage]:
    query = select(DialogueMessage).where(DialogueMessage.dialogue_id == dialogue.id).order_by(DialogueMessage.id)
    return list(session.scalars(query))


def plan_id_of(session: Session, dialogue: Dialogue) -> int | None:
    return session.scalar(select(ActionPlan.id).where(ActionPlan.dialogue_id == dialogue.id))


@dataclass(frozen=True)
class PendingTurn:
    """A member message stored and waiting for the coach's reply (ask the coach, then :func:`finish_turn`)."""

    dialogue_id: int
    context: CoachContext
    history: list[Turn]


@dataclass(frozen=True)
class AnsweredTurn:
    """A turn answered without coaching (for the member's safety): the reply is already stored."""

    dialogue_id: int
    reply: DialogueMessage


def begin_turn(
    session: Session, actor: User, dialogue_id: int, content: str, *, settings: Settings
) -> PendingTurn | AnsweredTurn:
    """Check and store the member's message. A message of distress stops the coaching: it is answered with care
    and the people who can help, and a safety event (without the text) is recorded."""
    dialogue = _own_dialogue(session, actor, dialogue_id)
    text = _checked_message(content, settings)
    _require_open(dialogue, settings)
    concern = assess(text)
    dialogue.turn_count += 1
    _add_message(session, dialogue, role="member", content=text, stage=dialogue.stage, flagged=concern is not None)
    if concern is not None or dialogue.status == DialogueStatus.STOPPED:
        return AnsweredTurn(dialogue.id, _answer_for_safety(session, actor, dialogue, concern))
    context = _context(session, dialogue, settings)
    return PendingTurn(dialogue.id, context, _history(messages_of(session, dialogue)))


def _history(messages: list[DialogueMessage]) -> list[Turn]:
    """The dialogue as the coach reads it; the caring replies of the safety path are not coaching."""
    return [Turn.model_validate({"role": m.role, "content": m.content}) for m in messages if m.engine != "safety"]


def _checked_message(content: str, settings: Settings) -> str:
    text = content.replace("\r\n", "\n").strip()
    if not text:
        raise InvalidInputError("メッセージを入力してください。")
    limit = settings.dialogue_message_max_chars
    if len(text) > limit:
        raise InvalidInputError(f"メッセージは{limit}文字以内で入力してください（今は{len(text)}文字です）。")
    return text


def _require_open(dialogue: Dialogue, settings: Settings) -> None:
    if dialogue.status == DialogueStatus.COMPLETED:
        raise ConflictError("この対話セッションは完了しています。行動計画で内容を確認・編集してください。")
    if dialogue.turn_count >= settings.dialogue_max_turns:
        raise ConflictError(
            f"対話は{settings.dialogue_max_turns}回までです。「対話を完了」で行動計画を作ってください。"
        )


def _answer_for_safety(
    session: Session, actor: User, dialogue: Dialogue, concern: SafetyConcern | None
) -> DialogueMessage:
    manager = session.get(User, actor.manager_id) if actor.manager_id else None
    manager_name = manager.name if manager else None
    if concern is None:
        content = paused_reply(manager_name=manager_name)
    else:
        content = safe_reply(concern, manager_name=manager_name)
        dialogue.status = DialogueStatus.STOPPED
        if dialogue.safety_level != "crisis":
            dialogue.safety_level = concern.level
        record_safety_event(session, member_id=dialogue.member_id, dialogue_id=dialogue.id, concern=concern)
    return _add_message(session, dialogue, role="coach", content=content, stage=dialogue.stage, engine="safety")


def finish_turn(session: Session, turn: PendingTurn, reply: CoachReply) -> DialogueMessage:
    """Store the coach's reply to a pending turn."""
    dialogue = session.get(Dialogue, turn.dialogue_id)
    if dialogue is None:
        raise NotFoundError(DIALOGUE_NOT_FOUND)
    dialogue.stage = reply.stage
    return _add_message(session, dialogue, role="coach", content=reply.content, stage=reply.stage, reply=reply)


def _add_message(
    session: Session,
    dialogue: Dialogue,
    *,
    role: str,
    content: str,
    stage: str,
    reply: CoachReply | None = None,
    engine: str | None = None,
    flagged: bool = False,
) -> DialogueMessage:
    message = DialogueMessage(
        dialogue_id=dialogue.id,
        role=role,
        content=content,
        stage=stage,
        engine=reply.engine if reply else engine,
        fallback_reason=reply.fallback_reason if reply else None,
        flagged=flagged,
    )
    session.add(message)
    session.flush()
    return message


def _context(
    session: Session,
    dialogue: Dialogue,
    settings: Settings,
    *,
    record: OneOnOne | None = None,
    analysis: Analysis | None = None,
) -> CoachContext:
    record = record or session.get(OneOnOne, dialogue.one_on_one_id)
    analysis = analysis or (session.get(Analysis, dialogue.analysis_id) if dialogue.analysis_id else None)
    if record is None or analysis is None or analysis.result is None:
        raise ConflictError("対話のもとになった分析が見つかりません。記録を再分析してから対話を始めてください。")
    result = AnalysisResult.model_validate(analysis.result)
    member = session.get(User, dialogue.member_id)
    manager = session.get(User, member.manager_id) if member and member.manager_id else None
    return CoachContext(
        analysis=result,
        dialogue_date=dialogue.dialogue_date,
        member_name=_family_name(member.name) if member else None,
        manager_name=_family_name(manager.name) if manager else None,
        customer=customer_of(record.content, result.keywords),
        next_one_on_one_days=settings.next_one_on_one_days,
        max_turns=settings.dialogue_max_turns,
    )


def _family_name(name: str) -> str:
    # 「山本 花子」 is addressed as 「山本さん」.
    return name.replace("　", " ").split(" ")[0]


# --- completion: the plan ----------------------------------------------------------------------------------------


def complete_dialogue(
    session: Session, actor: User, dialogue_id: int, *, coach: Coach, settings: Settings, now: datetime
) -> tuple[ActionPlan, bool]:
    """The dialogue's action plan (a draft), made now from what the dialogue produced, or the one made before."""
    dialogue = _own_dialogue(session, actor, dialogue_id)
    existing = session.scalar(select(ActionPlan).where(ActionPlan.one_on_one_id == dialogue.one_on_one_id))
    if existing is not None:
        return existing, False
    context = _context(session, dialogue, settings)
    outcome = coach.outcome(context, _history(messages_of(session, dialogue)))
    plan = ActionPlan(
        one_on_one_id=dialogue.one_on_one_id, member_id=dialogue.member_id, dialogue_id=dialogue.id, goal=outcome.goal
    )
    for position, item in enumerate(build_plan(context, outcome)):
        plan.items.append(ActionPlanItem(position=position, **item.model_dump()))
    session.add(plan)
    dialogue.status = DialogueStatus.COMPLETED
    dialogue.stage = "closed"
    dialogue.completed_at = now
    session.flush()
    return plan, True


# --- plans and items -------------------------------------------------------------------------------------------


def plan_for_record(session: Session, actor: User, record_id: int) -> ActionPlan:
    """The record's plan, for the member, their managers and admins (404 for anyone else, as for no plan)."""
    plan = plan_of(session, actor, records.get_record(session, actor, record_id))
    if plan is None:
        raise NotFoundError(PLAN_NOT_FOUND)
    return plan


def plan_of(session: Session, actor: User, record: OneOnOne) -> ActionPlan | None:
    """The plan of a record already fetched through ``get_record`` (the record page: no second fetch)."""
    plans = session.scalars(_visible_plans(actor.role, "one_on_one_id"), policy.bound(actor, key=record.id))
    return plans.unique().first()


@cache
def _visible_plans(role: Role, by: str) -> Select[ActionPlan]:  # SQLAlchemy 2.1 spelling
    """The plans the actor may see whose column ``by`` is the bound ``key``, newest first, with their items."""
    return (
        select(ActionPlan)
        .where(getattr(ActionPlan, by) == bindparam("key"), policy.scoped(role, ActionPlan.member_id))
        .options(joinedload(ActionPlan.items).joinedload(ActionPlanItem.comments))  # one query: a plan has a few
        .order_by(ActionPlan.id.desc())
    )


def get_plan(session: Session, actor: User, plan_id: int) -> ActionPlan:
    plan = session.scalars(_visible_plans(actor.role, "id"), policy.bound(actor, key=plan_id)).unique().first()
    if plan is None:
        raise NotFoundError(PLAN_NOT_FOUND)
    return plan


def agree_plan(session: Session, actor: User, plan_id: int, *, now: datetime) -> ActionPlan:
    """The member accepts their plan (after editing it, if they like); agreeing twice changes nothing."""
    plan = get_plan(session, actor, plan_id)
    _require_member(actor, plan)
    if plan.status == PlanStatus.DRAFT:
        plan.status = PlanStatus.AGREED
        plan.agreed_at = now
        session.flush()
    return plan


def _require_member(actor: User, plan: ActionPlan) -> None:
    if not policy.can_change_plan(actor, plan.member_id):
        raise PermissionDeniedError("行動計画を変更できるのは本人だけです。上司はコメントで伝えてください。")


def _visible_item(session: Session, actor: User, item_id: int) -> ActionPlanItem:
    item = session.scalar(_item(actor.role), policy.bound(actor, item_id=item_id))
    if item is None:
        raise NotFoundError(ITEM_NOT_FOUND)
    return item


@cache
def _item(role: Role) -> Select[ActionPlanItem]:  # SQLAlchemy 2.1 spelling
    return (
        select(ActionPlanItem)
        .join(ActionPlan, ActionPlan.id == ActionPlanItem.plan_id)
        .where(ActionPlanItem.id == bindparam("item_id"), policy.scoped(role, ActionPlan.member_id))
        .options(joinedload(ActionPlanItem.plan, innerjoin=True), selectinload(ActionPlanItem.comments))
    )


def update_item(session: Session, actor: User, item_id: int, changes: ItemUpdate, *, now: datetime) -> ActionPlanItem:
    """The member edits an item or updates its progress; progress needs an agreed plan."""
    item = _visible_item(session, actor, item_id)
    _require_member(actor, item.plan)
    values = changes.model_dump(exclude_unset=True)
    if values.get("status") is not None and item.plan.status != PlanStatus.AGREED:
        raise ConflictError("進捗は、行動計画に合意してから更新できます。")
    for field in ("title", "due_date", "success_metric", "steps"):
        if values.get(field) is not None:
            setattr(item, field, _cleaned(field, values[field]))
    if "note" in values:
        item.note = (values["note"] or "").strip() or None
    if values.get("status") is not None:
        _set_status(item, values["status"], now)
    session.flush()
    return item


def _cleaned(field: str, value: object) -> object:
    if field == "steps":
        assert isinstance(value, list)
        steps = [step.strip() for step in value if step.strip()]
        if not steps or any(len(step) > 200 for step in steps):
            raise InvalidInputError("手順は1〜4個、それぞれ200文字以内で入力してください。")
        return steps
    if isinstance(value, str):
        if not value.strip():
            raise InvalidInputError("空にはできません。内容を入力してください。")
        return value.strip()
    return value


def _set_status(item: ActionPlanItem, status: str, now: datetime) -> None:
    if status == ItemStatus.DONE and item.status != ItemStatus.DONE:
        item.completed_at = now
    elif status != ItemStatus.DONE:
        item.completed_at = None
    item.status = status


def delete_item(session: Session, actor: User, item_id: int) -> None:
    """The member drops an item from a draft plan; a plan keeps at least one item."""
    item = _visible_item(session, actor, item_id)
    _require_member(actor, item.plan)
    if item.plan.status != PlanStatus.DRAFT:
        raise ConflictError("合意した行動計画の項目は削除できません。状態やメモで進み具合を記録してください。")
    remaining = session.scalar(select(func.count()).where(ActionPlanItem.plan_id == item.plan_id)) or 0
    if remaining <= 1:
        raise ConflictError("行動計画には少なくとも1つの項目が必要です。")
    session.delete(item)
    session.flush()


def add_comment(session: Session, actor: User, item_id: int, body: str) -> ItemComment:
    """A manager (anyone above the member) or an admin comments on an item; the member writes notes instead."""
    item = _visible_item(session, actor, item_id)
    if not policy.can_comment_on_plan(session, actor, item.plan.member_id):
        raise PermissionDeniedError("コメントできるのは上司と管理者です。ご自身の項目にはメモを書いてください。")
    if not body.strip():
        raise InvalidInputError("コメントを入力してください。")
    comment = ItemComment(item=item, author_id=actor.id, body=body.strip())  # with its item: the route reads it
    session.add(comment)
    session.flush()
    return comment


def author_names(session: Session, items: Iterable[ActionPlanItem]) -> dict[int, str]:
    """The names of everyone who commented on these items, in one query."""
    return accounts.names_of(session, (c.author_id for item in items for c in item.comments))


def is_overdue(item: ActionPlanItem, today: date) -> bool:
    """Past its due date and not done."""
    return item.status != ItemStatus.DONE and item.due_date < today


# --- continuity: the previous plan's open items --------------------------------------------------------------------


def _previous_plan_id() -> Select[int]:  # SQLAlchemy 2.1 spelling
    """The member's previous plan: the plan of their latest record before this one (see :func:`_of_record`)."""
    before = tuple_(bindparam("held_on", type_=Date), bindparam("record_id", type_=Integer))
    return (
        select(ActionPlan.id)
        .join(OneOnOne, OneOnOne.id == ActionPlan.one_on_one_id)
        .where(ActionPlan.member_id == bindparam("member_id"), tuple_(OneOnOne.held_on, OneOnOne.id) < before)
        .order_by(OneOnOne.held_on.desc(), OneOnOne.id.desc())
        .limit(1)
    )


def _of_record(record: OneOnOne) -> dict[str, object]:
    return {"member_id": record.member_id, "held_on": record.held_on, "record_id": record.id}


def plans_on_record_page(session: Session, record: OneOnOne) -> list[int]:
    """The ids of the plans a record's page shows: its own, and the previous one whose open items it lists."""
    row = session.execute(_plans_on_record_page(), _of_record(record)).one()
    return [plan_id for plan_id in row if plan_id is not None]


@cache
def _plans_on_record_page() -> Select[int | None, int | None]:  # SQLAlchemy 2.1 spelling
    own = select(ActionPlan.id).where(ActionPlan.one_on_one_id == bindparam("record_id")).scalar_subquery()
    return select(own, _previous_plan_id().scalar_subquery())


def previous_open_items(session: Session, record: OneOnOne) -> list[ActionPlanItem]:
    """The items of the member's previous plan (the plan of their latest record before this one) that were still
    open when this record was made: not done, or done only after it."""
    items = session.scalars(_previous_items(), _of_record(record))
    return [i for i in items if i.status != ItemStatus.DONE or (i.completed_at and i.completed_at > record.created_at)]


@cache
def _previous_items() -> Select[ActionPlanItem]:  # SQLAlchemy 2.1 spelling
    return (
        select(ActionPlanItem)
        .where(ActionPlanItem.plan_id == _previous_plan_id().scalar_subquery())
        .options(joinedload(ActionPlanItem.plan, innerjoin=True))
        .order_by(ActionPlanItem.position)
    )


def open_item_out(item: ActionPlanItem, today: date) -> OpenItemOut:
    return OpenItemOut(
        id=item.id,
        plan_id=item.plan_id,
        one_on_one_id=item.plan.one_on_one_id,
        title=item.title,
        skill=item.skill,
        due_date=item.due_date,
        status=item.status,
        note=item.note,
        overdue=is_overdue(item, today),
    )


def open_items_for_progress(session: Session, record_id: int) -> list[OpenItem]:
    """The previous plan's open items of a record, as the progress reader of the analysis takes them."""
    record = session.get(OneOnOne, record_id)
    if record is None:
        return []
    return [
        OpenItem.model_validate({"id": i.id, "title": i.title, "skill": i.skill, "who": i.who})
        for i in previous_open_items(session, record)
    ]


def open_items_of(session: Session, actor: User, member_id: int) -> list[ActionPlanItem]:
    """A member's items not yet done across all their plans, earliest due first (empty for an invisible member)."""
    return list(session.scalars(_open_items(actor.role), policy.bound(actor, member_id=member_id)))


@cache
def _open_items(role: Role) -> Select[ActionPlanItem]:  # SQLAlchemy 2.1 spelling
    return (
        select(ActionPlanItem)
        .join(ActionPlan, ActionPlan.id == ActionPlanItem.plan_id)
        .where(
            ActionPlan.member_id == bindparam("member_id"),
            policy.scoped(role, ActionPlan.member_id),
            ActionPlanItem.status != ItemStatus.DONE,
        )
        .options(contains_eager(ActionPlanItem.plan))  # the plan joined for the filter
        .order_by(ActionPlanItem.due_date, ActionPlanItem.id)
    )


def plans_of(session: Session, actor: User, member_id: int) -> list[ActionPlan]:
    """A member's plans the actor may see, newest first, with their items (for the member page)."""
    return list(session.scalars(_visible_plans(actor.role, "member_id"), policy.bound(actor, key=member_id)).unique())
