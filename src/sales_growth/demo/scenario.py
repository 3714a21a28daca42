"""The sample organisation as data: its people (``scenario.toml``), its 1on1 records (``records/index.json`` and the
files beside it) and what each member did after a 1on1 (``scenario.toml``). Read once, checked when read."""

from __future__ import annotations

import json
import tomllib
from datetime import date
from functools import lru_cache
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field, model_validator

from sales_growth.accounts.models import Role

# Content types of the record formats, as a browser would send them with the upload.
CONTENT_TYPES = {".txt": "text/plain", ".md": "text/markdown", ".vtt": "text/vtt", ".srt": "application/x-subrip"}


class DemoUser(BaseModel):
    name: str
    email: str
    role: Role
    manager: str | None = None  # the manager's name


class DemoRecord(BaseModel):
    """One file of ``records/`` with its member, manager (who recorded it), date and title."""

    file: str
    member: str
    manager: str
    held_on: date
    title: str

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.file[self.file.rfind(".") :]]

    def data(self) -> bytes:
        """The file's bytes, exactly as they would be uploaded."""
        return _records_dir().joinpath(self.file).read_bytes()


class Progress(BaseModel):
    """One update of a plan item by its member, at a moment of the story."""

    item: str = Field(min_length=1)  # a part of the item's title
    status: Literal["todo", "doing", "done"]
    at: AwareDatetime
    note: str | None = None


class Comment(BaseModel):
    """A comment of the member's manager on an item."""

    item: str = Field(min_length=1)
    body: str = Field(min_length=1)


class Coaching(BaseModel):
    """What a member did after one 1on1: a dialogue, and the plan it produced, in the order they happened."""

    record: str
    at: AwareDatetime  # when the dialogue took place
    messages: list[str] = Field(min_length=1)  # the member's answers, in order
    stage: Literal["in_progress", "draft", "agreed"]
    agreed_at: AwareDatetime | None = None
    drop: list[str] = Field(default_factory=list)  # title parts of suggested items removed, if suggested
    progress: list[Progress] = Field(default_factory=list)
    comments: list[Comment] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> Coaching:
        if (self.stage == "agreed") != (self.agreed_at is not None):
            raise ValueError(f"{self.record}: agreed_at is set exactly when the plan is agreed")
        if self.stage != "agreed" and (self.progress or self.comments):
            raise ValueError(f"{self.record}: progress and comments need an agreed plan")
        return self


class Scenario(BaseModel):
    users: list[DemoUser]
    records: list[DemoRecord]
    coaching: list[Coaching]

    @model_validator(mode="after")
    def _references_exist(self) -> Scenario:
        names = {user.name for user in self.users}
        for user in self.users:
            if user.manager is not None and user.manager not in names:
                raise ValueError(f"unknown manager {user.manager!r} of {user.name}")
        for record in self.records:
            if {record.member, record.manager} - names:
                raise ValueError(f"{record.file}: unknown member or manager")
        files = {record.file for record in self.records}
        for coaching in self.coaching:
            if coaching.record not in files:
                raise ValueError(f"coaching of unknown record {coaching.record}")
        return self

    def coaching_of(self, record: DemoRecord) -> Coaching | None:
        return next((c for c in self.coaching if c.record == record.file), None)

    def timeline(self) -> list[DemoRecord]:
        """The records in the order they were held, so each member's previous plan exists before their next 1on1."""
        return sorted(self.records, key=lambda r: (r.held_on, r.file))


def _package() -> Traversable:
    return resources.files("sales_growth.demo")


def _records_dir() -> Traversable:
    return _package().joinpath("records")


@lru_cache(maxsize=1)
def load() -> Scenario:
    """The scenario of the sample organisation."""
    people = tomllib.loads(_package().joinpath("scenario.toml").read_text("utf-8"))
    index = json.loads(_records_dir().joinpath("index.json").read_text("utf-8"))
    return Scenario.model_validate({"users": people["users"], "records": index, "coaching": people["coaching"]})
