"""JSON routes for 1on1 records (``/api/v1/one-on-ones``)."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from sales_growth.accounts.deps import CurrentUser, ExpensiveUser, NowDep
from sales_growth.errors import InvalidInputError, NotFoundError, PayloadTooLargeError
from sales_growth.one_on_ones import analyses, service
from sales_growth.one_on_ones.models import Analysis, OneOnOne
from sales_growth.one_on_ones.schemas import (
    AnalysisList,
    AnalysisOut,
    RecordCreate,
    RecordList,
    RecordOut,
    RecordUpdate,
)
from sales_growth.web import pagecache
from sales_growth.web.deps import SessionDep, SessionRoute, SettingsDep

router = APIRouter(prefix="/api/v1", tags=["one-on-ones"], route_class=SessionRoute)

# JSON escapes can make a body several times longer than the text it carries; anything beyond this is refused
# before it is read, the exact limit is applied to the decoded text.
_JSON_OVERHEAD = 8
_MULTIPART_OVERHEAD = 64_000

_CREATE_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": RecordCreate.model_json_schema()},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["member_id", "held_on", "file"],
                    "properties": {
                        "member_id": {"type": "integer"},
                        "held_on": {"type": "string", "format": "date"},
                        "title": {"type": "string", "maxLength": 200},
                        "file": {"type": "string", "format": "binary", "description": ".txt .md .vtt .srt, 1 MB まで"},
                    },
                }
            },
        },
    }
}

RecordInput = tuple[RecordCreate, service.UploadedFile | None]


async def read_record_input(request: Request, settings: SettingsDep) -> RecordInput:
    """A new record from either a JSON body or a multipart upload of one file."""
    limit = settings.max_upload_bytes
    content_type = request.headers.get("content-type", "")
    declared = _declared_length(request)
    if content_type.startswith("multipart/form-data"):
        if declared > limit + _MULTIPART_OVERHEAD:
            raise PayloadTooLargeError(_too_large_message(limit))
        return await _read_multipart(request, limit)
    if declared > limit * _JSON_OVERHEAD:
        raise PayloadTooLargeError(_too_large_message(limit))
    try:
        body = json.loads(await request.body())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInputError("JSON として読み取れませんでした。") from exc
    return _validated(body), None


def _declared_length(request: Request) -> int:
    value = request.headers.get("content-length", "")
    return int(value) if value.isdigit() else 0


async def _read_multipart(request: Request, limit: int) -> RecordInput:
    async with request.form(max_files=1, max_fields=10) as form:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise InvalidInputError("ファイル（file）を添付してください。")
        data = await upload.read(limit + 1)
        file = service.UploadedFile(
            filename=upload.filename or "",
            content_type=upload.content_type or "application/octet-stream",
            data=data,
        )
        fields = {key: value for key, value in form.items() if isinstance(value, str)}
    text, file = service.decode_upload(file, limit=limit)
    return _validated({**fields, "content": text}), file


def _validated(body: object) -> RecordCreate:
    try:
        return RecordCreate.model_validate(body)
    except ValidationError as exc:
        raise RequestValidationError([{**err, "loc": ("body", *err["loc"])} for err in exc.errors()]) from exc


def _too_large_message(limit: int) -> str:
    return f"ファイルが大きすぎます。{limit // 1_000_000} MB 以下にしてください。"


def _out(record: OneOnOne, analysis: Analysis | None, *, with_result: bool = True) -> RecordOut:
    out = RecordOut.model_validate(record)
    out.analysis = analyses.as_dict(analysis, with_result=with_result) if analysis else None
    return out


def _out_with_review(session: Session, record: OneOnOne, analysis: Analysis | None, now: datetime) -> RecordOut:
    """One record with the previous plan's open items (the caller may see the record, so also the plan)."""
    from sales_growth.coaching import service as coaching

    out = _out(record, analysis)
    today = coaching.today_in_japan(now)
    out.previous_open_items = [
        coaching.open_item_out(item, today).model_dump(mode="json")
        for item in coaching.previous_open_items(session, record)
    ]
    return out


@router.post("/one-on-ones", status_code=201, openapi_extra=_CREATE_BODY)
def create_record(
    payload: Annotated[RecordInput, Depends(read_record_input)],
    session: SessionDep,
    settings: SettingsDep,
    user: ExpensiveUser,
    now: NowDep,
) -> RecordOut:
    """1on1の記録を保存します（JSON またはファイルのアップロード）。前回の行動計画の未完了項目も返します。"""
    data, upload = payload
    record, analysis = service.create_record(
        session, user, data, max_bytes=settings.max_upload_bytes, engine=settings.engine, upload=upload
    )
    return _out_with_review(session, record, analysis, now)


@router.get("/one-on-ones")
def list_records(
    session: SessionDep,
    user: CurrentUser,
    member_id: int | None = None,
    held_from: Annotated[date | None, Query(alias="from")] = None,
    held_to: Annotated[date | None, Query(alias="to")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> RecordList:
    """見られる記録の一覧（新しい順）。"""
    filters = service.RecordFilter(
        member_id=member_id, held_from=held_from, held_to=held_to, limit=limit, offset=offset
    )
    records, total = service.list_records(session, user, filters)
    latest = service.latest_analyses(session, [r.id for r in records])
    items = [_out(r, latest.get(r.id), with_result=False) for r in records]
    return RecordList(items=items, total=total, limit=limit, offset=offset)


@router.get("/one-on-ones/{record_id}")
def get_record(record_id: int, session: SessionDep, user: CurrentUser, now: NowDep) -> RecordOut:
    """1件の記録と最新の分析。前回の行動計画で、この記録の時点で未完了だった項目も返します。"""
    record = service.get_record(session, user, record_id)
    return _out_with_review(session, record, analyses.latest(session, record.id), now)


@router.patch("/one-on-ones/{record_id}")
def update_record(
    record_id: int, changes: RecordUpdate, session: SessionDep, settings: SettingsDep, user: CurrentUser
) -> RecordOut:
    max_bytes, engine = settings.max_upload_bytes, settings.engine
    record = service.update_record(session, user, record_id, changes, max_bytes=max_bytes, engine=engine)
    return _out(record, analyses.latest(session, record.id))


@router.get("/one-on-ones/{record_id}/analysis")
def get_analysis(request: Request, record_id: int, session: SessionDep, user: CurrentUser) -> AnalysisOut:
    """最新の分析の状態と結果: ``{status: queued|running|succeeded|failed, stage, progress, result?, error?}``。"""

    def shown() -> list[str]:
        people = pagecache.record_people(session, record_id)
        return pagecache.member_names([people[0]] if people else [], plans=False)

    pagecache.cache_page(request, session, user, shown)
    record = service.get_record(session, user, record_id)
    analysis = analyses.latest(session, record.id)
    if analysis is None:
        raise NotFoundError("この記録の分析はまだありません。")
    return AnalysisOut.model_validate(analyses.as_dict(analysis))


@router.post("/one-on-ones/{record_id}/analysis", status_code=202)
def start_analysis(record_id: int, session: SessionDep, settings: SettingsDep, user: ExpensiveUser) -> AnalysisOut:
    """分析をやり直します。以前の分析は履歴として残ります。"""
    analysis = service.reanalyse(session, user, record_id, engine=settings.engine)
    return AnalysisOut.model_validate(analyses.as_dict(analysis))


@router.get("/one-on-ones/{record_id}/analyses")
def list_analyses(record_id: int, session: SessionDep, user: CurrentUser) -> AnalysisList:
    """この記録の分析の履歴（新しい順）。"""
    runs = service.analysis_history(session, user, record_id)
    items = [AnalysisOut.model_validate(analyses.as_dict(a, with_result=False)) for a in runs]
    return AnalysisList(items=items, total=len(items))


@router.delete("/one-on-ones/{record_id}", status_code=204)
def delete_record(record_id: int, session: SessionDep, user: CurrentUser) -> Response:
    service.delete_record(session, user, record_id)
    return Response(status_code=204)


@router.get("/one-on-ones/{record_id}/upload")
def download_upload(record_id: int, session: SessionDep, user: CurrentUser) -> Response:
    """アップロードされた元のファイルを、そのままのバイト列で返します。"""
    upload = service.get_upload(session, user, record_id)
    return Response(
        content=upload.data,
        media_type="application/octet-stream",
        headers={"Content-Disposition": _attachment(upload.filename)},
    )


def _attachment(filename: str) -> str:
    return f"attachment; filename*=UTF-8''{quote(filename)}"
