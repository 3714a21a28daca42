"""Request and response shapes of the 1on1 records API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

TITLE_MAX = 200


class RecordCreate(BaseModel):
    member_id: int
    held_on: date
    content: str = Field(min_length=1)
    title: str | None = Field(default=None, max_length=TITLE_MAX)


class RecordUpdate(BaseModel):
    held_on: date | None = None
    content: str | None = Field(default=None, min_length=1)
    title: str | None = Field(default=None, max_length=TITLE_MAX)


class UploadInfo(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    filename: str
    content_type: str
    encoding: str
    size: int
    sha256: str


class AnalysisOut(BaseModel):
    id: int
    status: Literal["queued", "running", "succeeded", "failed"]
    stage: str
    progress: int
    attempts: int
    engine: str
    error: str | None = None
    queued_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    duration_ms: int | None = None
    # The shape of ``sales-growth analyze --json`` (AnalysisResult), present once succeeded.
    result: dict[str, Any] | None = None


class AnalysisList(BaseModel):
    items: list[AnalysisOut]
    total: int


class RecordOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    member_id: int
    held_on: date
    title: str
    content: str
    created_by: int = Field(validation_alias="created_by_id")
    created_at: datetime
    updated_at: datetime
    upload: UploadInfo | None = None
    # The latest analysis run of this record.
    analysis: dict[str, Any] | None = None
    # The previous plan's items still open when this record was made, for review (single-record answers only).
    previous_open_items: list[dict[str, Any]] | None = None


class RecordList(BaseModel):
    items: list[RecordOut]
    total: int
    limit: int
    offset: int
