"""1on1 records: every read and write goes through the permission policy of ``accounts``.

Services flush; the caller (request or CLI) commits.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import date
from functools import cache

from sqlalchemy import Integer, Select, bindparam, func, select
from sqlalchemy.orm import Session, defer, joinedload, undefer

from sales_growth.accounts import policy
from sales_growth.accounts.models import Role, User
from sales_growth.analysis.decoding import check_suffix, check_text, decode_record_with_encoding
from sales_growth.analysis.errors import AnalysisInputError, RecordTooLargeError
from sales_growth.errors import InvalidInputError, NotFoundError, PayloadTooLargeError, PermissionDeniedError
from sales_growth.one_on_ones import analyses
from sales_growth.one_on_ones.models import Analysis, OneOnOne, RecordUpload
from sales_growth.one_on_ones.schemas import RecordCreate, RecordUpdate

DEFAULT_TITLE = "{held_on:%Y年%m月%d日}の1on1"


@dataclass(frozen=True)
class UploadedFile:
    filename: str
    content_type: str
    data: bytes
    encoding: str = ""  # filled in by decode_upload


@dataclass(frozen=True)
class RecordFilter:
    member_id: int | None = None
    held_from: date | None = None
    held_to: date | None = None
    limit: int = 50
    offset: int = 0


def create_record(
    session: Session,
    actor: User,
    data: RecordCreate,
    *,
    max_bytes: int,
    engine: str,
    upload: UploadedFile | None = None,
) -> tuple[OneOnOne, Analysis]:
    """Store a record for a member the actor may act for (else 404 if invisible, 403 if only visible).

    The record and its queued analysis are written in the caller's transaction; the job follows the commit.
    """
    _require_record_for(session, actor, data.member_id)
    content = _checked_text(data.content, max_bytes=max_bytes)
    record = OneOnOne(
        member_id=data.member_id,
        held_on=data.held_on,
        title=(data.title or "").strip() or DEFAULT_TITLE.format(held_on=data.held_on),
        content=content,
        created_by_id=actor.id,
        upload=_upload_row(upload) if upload is not None else None,
    )
    session.add(record)
    session.flush()
    return record, analyses.start(session, record, engine=engine)


def decode_upload(upload: UploadedFile, *, limit: int) -> tuple[str, UploadedFile]:
    """The text of an uploaded record file, and the upload with its encoding; 413 when too large, else 422."""
    try:
        check_suffix(upload.filename)
        decoded = decode_record_with_encoding(upload.data, limit=limit)
    except RecordTooLargeError as exc:
        raise PayloadTooLargeError(str(exc)) from exc
    except AnalysisInputError as exc:
        raise InvalidInputError(str(exc)) from exc
    return decoded.text, replace(upload, encoding=decoded.encoding)


def list_records(
    session: Session, actor: User, filters: RecordFilter, *, content: bool = True
) -> tuple[list[OneOnOne], int]:
    """The records the actor may see, newest first, with the total before paging; without ``content``, their
    texts are left in the database (a list shows titles and dates; a text may be up to ``MAX_UPLOAD_BYTES``)."""
    params = _record_params(actor, filters)
    total = session.scalar(_count_of_records(actor.role, *_shape(filters)), params) or 0
    return list(session.scalars(_page_of_records(actor.role, *_shape(filters), content), params)), total


def page_of_records(session: Session, actor: User, filters: RecordFilter, *, content: bool = True) -> list[OneOnOne]:
    """The same page without the total (for a caller that knows it already)."""
    statement = _page_of_records(actor.role, *_shape(filters), content)
    return list(session.scalars(statement, _record_params(actor, filters)))


def _shape(filters: RecordFilter) -> tuple[bool, bool, bool]:
    """Which filters are set: the statements are built once per role and shape, the values bound when they run."""
    return filters.member_id is not None, filters.held_from is not None, filters.held_to is not None


def _record_params(actor: User, filters: RecordFilter) -> dict[str, object]:
    return policy.bound(
        actor,
        member_id=filters.member_id,
        held_from=filters.held_from,
        held_to=filters.held_to,
        limit=filters.limit,
        offset=filters.offset,
    )


def _visible_records(role: Role, by_member: bool, since: bool, until: bool) -> Select[OneOnOne]:
    query = select(OneOnOne).where(policy.scoped(role, OneOnOne.member_id))
    if by_member:
        query = query.where(OneOnOne.member_id == bindparam("member_id"))
    if since:
        query = query.where(OneOnOne.held_on >= bindparam("held_from"))
    if until:
        query = query.where(OneOnOne.held_on <= bindparam("held_to"))
    return query


@cache
def _count_of_records(role: Role, by_member: bool, since: bool, until: bool) -> Select[int]:
    ids = _visible_records(role, by_member, since, until).with_only_columns(OneOnOne.id)  # not their texts
    return select(func.count()).select_from(ids.subquery())


@cache
def _page_of_records(role: Role, by_member: bool, since: bool, until: bool, content: bool) -> Select[OneOnOne]:
    texts = () if content else (defer(OneOnOne.content, raiseload=True),)  # read one: an error, not a query each
    return (
        _visible_records(role, by_member, since, until)
        .options(joinedload(OneOnOne.upload), *texts)
        .order_by(OneOnOne.held_on.desc(), OneOnOne.id.desc())
        .limit(bindparam("limit", type_=Integer))
        .offset(bindparam("offset", type_=Integer))
    )


def get_record(session: Session, actor: User, record_id: int) -> OneOnOne:
    """One record the actor may see; 404 when it is missing or invisible alike."""
    record = session.scalar(_record(actor.role), policy.bound(actor, record_id=record_id))
    if record is None:
        raise NotFoundError("1on1の記録が見つかりません。")
    return record


@cache
def _record(role: Role) -> Select[OneOnOne]:  # SQLAlchemy 2.1 spelling
    return (
        select(OneOnOne)
        .where(OneOnOne.id == bindparam("record_id"), policy.scoped(role, OneOnOne.member_id))
        .options(joinedload(OneOnOne.upload))
    )


def update_record(
    session: Session, actor: User, record_id: int, changes: RecordUpdate, *, max_bytes: int, engine: str
) -> OneOnOne:
    """Edit a record; new content (or a new date, which moves due dates) starts a new analysis."""
    record = _editable_record(session, actor, record_id)
    reanalyse = False
    if changes.held_on is not None and changes.held_on != record.held_on:
        record.held_on = changes.held_on
        reanalyse = True
    if changes.content is not None:
        content = _checked_text(changes.content, max_bytes=max_bytes)
        reanalyse = reanalyse or content != record.content
        record.content = content
    if changes.title is not None:
        record.title = changes.title.strip() or DEFAULT_TITLE.format(held_on=record.held_on)
    session.flush()
    if reanalyse:
        analyses.start(session, record, engine=engine)
    return record


def reanalyse(session: Session, actor: User, record_id: int, *, engine: str) -> Analysis:
    """Start a new analysis run of a visible record; earlier runs stay as history."""
    return analyses.start(session, get_record(session, actor, record_id), engine=engine)


def latest_analyses(session: Session, record_ids: list[int]) -> dict[int, Analysis]:
    """The newest analysis of each record, in one query."""
    if not record_ids:
        return {}
    return {a.one_on_one_id: a for a in session.scalars(_latest_analyses(), {"record_ids": record_ids})}


@cache
def _latest_analyses() -> Select[Analysis]:  # SQLAlchemy 2.1 spelling
    newest = (
        select(func.max(Analysis.id))
        .where(Analysis.one_on_one_id.in_(bindparam("record_ids", expanding=True)))
        .group_by(Analysis.one_on_one_id)
    )
    return select(Analysis).where(Analysis.id.in_(newest))


def analysis_history(session: Session, actor: User, record_id: int) -> list[Analysis]:
    return analysis_runs(session, get_record(session, actor, record_id))


def analysis_runs(session: Session, record: OneOnOne) -> list[Analysis]:
    """Every analysis run of a record already fetched through :func:`get_record`, newest first."""
    return list(session.scalars(_analysis_runs(), {"record_id": record.id}))


@cache
def _analysis_runs() -> Select[Analysis]:  # SQLAlchemy 2.1 spelling
    return select(Analysis).where(Analysis.one_on_one_id == bindparam("record_id")).order_by(Analysis.id.desc())


def delete_record(session: Session, actor: User, record_id: int) -> None:
    session.delete(_editable_record(session, actor, record_id))
    session.flush()


def get_upload(session: Session, actor: User, record_id: int) -> RecordUpload:
    """The uploaded file of a visible record, its bytes loaded (every other read leaves them deferred)."""
    record = get_record(session, actor, record_id)
    upload = session.scalar(
        select(RecordUpload).where(RecordUpload.one_on_one_id == record.id).options(undefer(RecordUpload.data))
    )
    if upload is None:
        raise NotFoundError("この記録にはアップロードされたファイルがありません。")
    return upload


def _editable_record(session: Session, actor: User, record_id: int) -> OneOnOne:
    """Edits and deletes are for the record's author and admins; others who can see it get 403."""
    record = get_record(session, actor, record_id)
    if not (policy.can_administer(actor) or record.created_by_id == actor.id):
        raise PermissionDeniedError("記録を編集・削除できるのは、記録した人と管理者だけです。")
    return record


def _require_record_for(session: Session, actor: User, member_id: int) -> None:
    if not policy.can_see_user(session, actor, member_id):
        raise NotFoundError("メンバーが見つかりません。")
    if not policy.can_record_for(session, actor, member_id):
        raise PermissionDeniedError("このメンバーの1on1を記録する権限がありません。")


def _checked_text(content: str, *, max_bytes: int) -> str:
    size = len(content.encode("utf-8"))
    if size > max_bytes:
        raise PayloadTooLargeError(str(RecordTooLargeError(size, max_bytes)))
    try:
        return check_text(content.replace("\r\n", "\n").replace("\r", "\n"))
    except AnalysisInputError as exc:
        raise InvalidInputError(str(exc)) from exc


def _upload_row(upload: UploadedFile) -> RecordUpload:
    return RecordUpload(
        filename=upload.filename,
        content_type=upload.content_type,
        encoding=upload.encoding,
        size=len(upload.data),
        sha256=hashlib.sha256(upload.data).hexdigest(),
        data=upload.data,
    )


def recordable_members(session: Session, actor: User) -> list[User]:
    """Whom the actor may record a 1on1 for, as :func:`policy.can_record_for` decides: a member themself, a
    manager the people below them (not themself), an admin anyone active. In one query, for the form's select."""
    query = select(User).where(User.id.in_(policy.visible_user_ids(actor)), User.is_active.is_(True))
    if actor.role == Role.MANAGER:
        query = query.where(User.id != actor.id)
    return list(session.scalars(query.order_by(User.name, User.id)))
