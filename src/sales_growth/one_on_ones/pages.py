"""Pages of 1on1 records: the list, the form 「1on1を記録」, and the record page with its live analysis.

While an analysis is queued or running, its panel asks the server for itself again every second (HTMX
``hx-trigger="every 1s"``); the finished panel carries no trigger, so the polling stops by itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from sales_growth.accounts import policy
from sales_growth.accounts.deps import ExpensiveUser, NowDep
from sales_growth.accounts.models import Role, User
from sales_growth.accounts.service import names_of
from sales_growth.coaching import service as coaching
from sales_growth.coaching.models import Dialogue
from sales_growth.errors import DomainError
from sales_growth.feedback import service as feedback
from sales_growth.one_on_ones import analyses, service
from sales_growth.one_on_ones.highlighting import highlight
from sales_growth.one_on_ones.models import Analysis, AnalysisStatus, OneOnOne
from sales_growth.one_on_ones.schemas import RecordCreate
from sales_growth.settings import Settings
from sales_growth.web import pagecache
from sales_growth.web.deps import SessionDep, SessionRoute, SettingsDep
from sales_growth.web.pages import PageUser, render, see_other

router = APIRouter(tags=["one-on-ones-pages"], include_in_schema=False, route_class=SessionRoute)

RECORDS_PER_PAGE = 30
POLL_SECONDS = 1


# --- the list ----------------------------------------------------------------------------------------------------


@router.get("/one-on-ones", response_class=HTMLResponse)
def list_page(
    request: Request, session: SessionDep, user: PageUser, member_id: str = "", page: int = 1
) -> HTMLResponse:
    chosen = int(member_id) if member_id.isdigit() else None
    page = max(page, 1)

    def shown() -> list[str]:
        members = [chosen] if chosen is not None else session.scalars(policy.visible_user_ids(user))
        return pagecache.member_names(members, plans=False)

    pagecache.cache_page(request, session, user, shown)
    filters = service.RecordFilter(member_id=chosen, limit=RECORDS_PER_PAGE, offset=(page - 1) * RECORDS_PER_PAGE)
    records, total = service.list_records(session, user, filters, content=False)
    latest = service.latest_analyses(session, [r.id for r in records])
    members = _visible_members(session, user)
    context = {
        "records": records,
        "latest": latest,
        "names": {m.id: m.name for m in members} | names_of(session, {r.member_id for r in records}),
        "members": members,
        "member_id": chosen,
        "total": total,
        "page": page,
        "pages": max(1, -(-total // RECORDS_PER_PAGE)),
    }
    return render(request, "one_on_ones/list.html", context)


def _visible_members(session: Session, user: User) -> list[User]:
    """The people whose records the user may filter by (none to choose for a member: only themself)."""
    if user.role == Role.MEMBER:
        return []
    query = select(User).where(User.id.in_(policy.visible_user_ids(user))).order_by(User.name, User.id)
    return list(session.scalars(query))


# --- the form 「1on1を記録」 ----------------------------------------------------------------------------------------


@router.get("/one-on-ones/new", response_class=HTMLResponse)
def new_page(request: Request, session: SessionDep, user: PageUser, now: NowDep, member_id: str = "") -> HTMLResponse:
    values = {"member_id": member_id, "held_on": coaching.today_in_japan(now).isoformat()}
    return _form(request, session, user, values=values)


def _form(
    request: Request,
    session: Session,
    user: User,
    *,
    values: dict[str, str],
    errors: list[str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    context = {
        "members": service.recordable_members(session, user),
        "values": values,
        "errors": errors or [],
        "max_bytes": request.app.state.settings.max_upload_bytes,
    }
    return render(request, "one_on_ones/new.html", context, status_code=status_code)


@router.post("/one-on-ones/new", response_model=None)
def create(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: PageUser,
    _limited: ExpensiveUser,
    member_id: Annotated[str, Form()] = "",
    held_on: Annotated[str, Form()] = "",
    title: Annotated[str, Form()] = "",
    content: Annotated[str, Form()] = "",
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Store the record (pasted text, or the uploaded file when one is chosen) and go to its page, where the
    analysis runs live. A refused form comes back with the problem and what was typed."""
    values = {"member_id": member_id, "held_on": held_on, "title": title, "content": content}
    try:
        data, upload = _record_input(settings, values, file)
        record, _analysis = service.create_record(
            session, user, data, max_bytes=settings.max_upload_bytes, engine=settings.engine, upload=upload
        )
    except DomainError as error:
        session.rollback()
        return _form(request, session, user, values=values, errors=[error.message], status_code=error.status_code)
    except _FormError as error:
        return _form(request, session, user, values=values, errors=error.problems, status_code=422)
    return see_other(f"/one-on-ones/{record.id}")


class _FormError(Exception):
    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


def _record_input(
    settings: Settings, values: dict[str, str], file: UploadFile | None
) -> tuple[RecordCreate, service.UploadedFile | None]:
    problems = []
    if not values["member_id"].isdigit():
        problems.append("メンバーを選んでください。")
    if not _is_date(values["held_on"]):
        problems.append("実施日を入力してください。")
    upload = None
    text = values["content"]
    if file is not None and file.filename:
        raw = service.UploadedFile(
            filename=file.filename,
            content_type=file.content_type or "application/octet-stream",
            data=file.file.read(settings.max_upload_bytes + 1),
        )
        text, upload = service.decode_upload(raw, limit=settings.max_upload_bytes)
    elif not text.strip():
        problems.append("内容を貼り付けるか、ファイルを選んでください。")
    if len(values["title"]) > 200:
        problems.append("タイトルは200文字以内にしてください。")
    if problems:
        raise _FormError(problems)
    try:
        data = RecordCreate(
            member_id=int(values["member_id"]), held_on=values["held_on"], content=text, title=values["title"] or None
        )
    except ValidationError as exc:
        raise _FormError(["入力内容を確認してください。"]) from exc
    return data, upload


def _is_date(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


# --- the record page -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnalysisView:
    """What the analysis panel needs; built the same way for the page and for the polled fragment."""

    record: OneOnOne
    analysis: Analysis | None
    result: dict[str, Any] | None
    strengths: list[tuple[int, dict[str, Any]]]
    challenges: list[tuple[int, dict[str, Any]]]
    text: Any
    feedback: feedback.AnalysisFeedback | None
    dialogue: Dialogue | None
    is_member: bool

    @property
    def running(self) -> bool:
        return self.analysis is not None and self.analysis.status in {AnalysisStatus.QUEUED, AnalysisStatus.RUNNING}


def analysis_view(session: Session, user: User, record: OneOnOne, runs: list[Analysis] | None = None) -> AnalysisView:
    """What the analysis panel shows: the latest run (the first of ``runs``, newest first, when read already)."""
    analysis = analyses.latest(session, record.id) if runs is None else next(iter(runs), None)
    succeeded = analysis is not None and analysis.status == AnalysisStatus.SUCCEEDED and analysis.result
    result = analysis.result if succeeded and analysis is not None else None
    findings = list(enumerate((result or {}).get("findings", [])))
    is_member = policy.can_read_dialogue(user, record.member_id)
    dialogue = None
    if is_member:
        dialogue = coaching.dialogue_of_record(session, record.id)
    return AnalysisView(
        record=record,
        analysis=analysis,
        result=result,
        strengths=[(i, f) for i, f in findings if f["polarity"] == "strength"],
        challenges=[(i, f) for i, f in findings if f["polarity"] == "challenge"],
        text=highlight(record.content, [f for _, f in findings]),
        feedback=feedback.analysis_feedback(session, user, analysis, record) if result and analysis else None,
        dialogue=dialogue,
        is_member=is_member,
    )


def _people_of_record(session: Session, record_id: int) -> list[str]:
    """Who a record's page shows: its member (their records, which plans they have) and its author."""
    people = pagecache.record_people(session, record_id)
    if people is None:
        return []
    member, author = people
    return [*pagecache.member_names([member], plans=False), pagecache.plan_set_of(member), pagecache.user_of(author)]


@router.get("/one-on-ones/{record_id:int}", response_class=HTMLResponse)
def record_page(request: Request, record_id: int, session: SessionDep, user: PageUser, now: NowDep) -> HTMLResponse:
    pagecache.cache_page(request, session, user, lambda: _people_of_record(session, record_id))
    record = service.get_record(session, user, record_id)
    pagecache.cache_page(
        request, session, user, lambda: map(pagecache.plan_of, coaching.plans_on_record_page(session, record))
    )
    today = coaching.today_in_japan(now)
    history = service.analysis_runs(session, record)
    context = {
        "view": analysis_view(session, user, record, history),
        "names": names_of(session, {record.member_id, record.created_by_id}),
        "plan": coaching.plan_of(session, user, record),
        "previous_items": coaching.previous_open_items(session, record),
        "history": history,
        "today": today,
        "poll_seconds": POLL_SECONDS,
        "can_edit": policy.can_administer(user) or record.created_by_id == user.id,
    }
    return render(request, "one_on_ones/record.html", context)


@router.get("/one-on-ones/{record_id:int}/analysis", response_class=HTMLResponse)
def analysis_fragment(request: Request, record_id: int, session: SessionDep, user: PageUser) -> HTMLResponse:
    """The analysis panel alone, polled by the record page while the analysis runs."""
    pagecache.cache_page(request, session, user, lambda: _people_of_record(session, record_id))
    record = service.get_record(session, user, record_id)
    context = {"view": analysis_view(session, user, record), "poll_seconds": POLL_SECONDS}
    return render(request, "one_on_ones/_analysis.html", context)


@router.post("/one-on-ones/{record_id:int}/reanalyse")
def reanalyse(
    record_id: int, session: SessionDep, settings: SettingsDep, user: PageUser, _l: ExpensiveUser
) -> RedirectResponse:
    """「再分析」: a new run; earlier runs stay as history."""
    service.reanalyse(session, user, record_id, engine=settings.engine)
    return see_other(f"/one-on-ones/{record_id}?notice=reanalysing")
