"""The sample organisation as its users find it, on SQLite and PostgreSQL: seeded once per backend for this module
(seeding takes seconds), then read through the API the pages use, with the permission policy in force."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sales_growth.accounts.models import User
from sales_growth.coaching.models import ActionPlan, ActionPlanItem, Dialogue, DialogueMessage, ItemComment
from sales_growth.db import create_db_engine, create_session_factory
from sales_growth.demo import DEMO_PASSWORD, service
from sales_growth.demo.service import SeedReport
from sales_growth.one_on_ones.models import Analysis, OneOnOne, RecordUpload
from sales_growth.settings import Settings
from tests.conftest import empty_tables
from tests.factories import auth_headers, make_token
from tests.personas import make_app

RECORDS = resources.files("sales_growth.demo").joinpath("records")
INDEX = json.loads(RECORDS.joinpath("index.json").read_text("utf-8"))
TEAMS = {
    "上野 博之": {"村田 健太", "星野 美咲", "荒木 翔"},
    "片山 由紀": {"杉本 拓海", "内田 まどか", "横山 亮"},
}
MEMBERS = sorted(TEAMS["上野 博之"] | TEAMS["片山 由紀"])


@dataclass
class Demo:
    settings: Settings
    report: SeedReport
    session: Session
    api: TestClient
    headers: dict[str, dict[str, str]]  # by user name, a token made through the service

    def user(self, name: str) -> User:
        user = self.session.scalar(select(User).where(User.name == name))
        assert user is not None
        return user

    def get(self, name: str, path: str) -> Any:
        response = self.api.get(path, headers=self.headers[name])
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def demo(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    if request.param == "sqlite":
        data_dir: Path = request.getfixturevalue("sqlite_dir")
        settings = Settings(data_dir=data_dir, env="test", secret_key="test-secret-key")  # type: ignore[arg-type]
    else:
        url: str = request.getfixturevalue("postgres_url")
        data_dir = tmp_path_factory.mktemp("demo")
        settings = Settings(data_dir=data_dir, database_url=url, env="test", secret_key="test-secret-key")  # type: ignore[arg-type]
    # An LLM engine is configured (at a port where nothing answers): the demo is analysed by the built-in one all
    # the same, so that it is complete, and the same, on every machine.
    llm = {"engine": "llm", "llm_base_url": "http://127.0.0.1:9/v1", "llm_model": "unreachable"}
    report = service.seed(settings.model_copy(update=llm))
    engine = create_db_engine(settings)
    try:
        with create_session_factory(engine)() as session, TestClient(make_app(settings)) as api:
            users = list(session.scalars(select(User)))
            headers = {u.name: auth_headers(make_token(session, u, settings)) for u in users}
            yield Demo(settings, report, session, api, headers)
    finally:
        engine.dispose()
        empty_tables(settings)


def _count(session: Session, model: type[Any]) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_there_are_an_admin_two_managers_and_six_members(demo: Demo) -> None:
    roles = Counter(user.role for user in demo.session.scalars(select(User)))
    assert roles == {"admin": 1, "manager": 2, "member": 6}
    assert all(user.email.endswith("@example.com") for user in demo.session.scalars(select(User)))


def test_each_member_reports_to_the_manager_of_the_index(demo: Demo) -> None:
    for manager, members in TEAMS.items():
        boss = demo.user(manager)
        assert boss.manager_id is None
        assert {demo.user(name).manager_id for name in members} == {boss.id}


def test_the_report_lists_every_login_with_the_password(demo: Demo) -> None:
    assert (demo.report.added, demo.report.existed) == (True, False)
    logins = {login.name: login for login in demo.report.logins}
    assert len(logins) == 9
    assert {login.password for login in logins.values()} == {DEMO_PASSWORD}
    assert logins["村田 健太"].manager == "上野 博之"
    assert logins["中川 理恵"].role == "admin"


def test_the_records_keep_their_original_files_dates_and_authors(demo: Demo) -> None:
    stored = {
        upload.filename: (upload, record)
        for upload, record in demo.session.execute(
            select(RecordUpload, OneOnOne).join(OneOnOne, OneOnOne.id == RecordUpload.one_on_one_id)
        )
    }
    assert len(stored) == len(INDEX) == 20
    for entry in INDEX:
        upload, record = stored[entry["file"]]
        assert upload.sha256 == hashlib.sha256(RECORDS.joinpath(entry["file"]).read_bytes()).hexdigest()
        assert (str(record.held_on), record.title) == (entry["held_on"], entry["title"])
        assert record.member_id == demo.user(entry["member"]).id
        assert record.created_by_id == demo.user(entry["manager"]).id
    assert {Path(name).suffix for name in stored} == {".txt", ".md", ".vtt", ".srt"}
    months = {record.held_on.month for _, record in stored.values()}
    assert len(months) >= 5  # months of history


def test_every_record_is_analysed_by_the_built_in_engine(demo: Demo) -> None:
    runs = list(demo.session.scalars(select(Analysis)))
    assert len(runs) == 20
    assert {(run.status, run.attempts, run.engine) for run in runs} == {("succeeded", 1, "local")}
    assert all(run.result and run.result["engine"] == "local" and run.result["summary"] for run in runs)
    assert not any(run.result and run.result.get("fallback_reason") for run in runs)


def test_dialogues_and_plans_are_at_different_stages(demo: Demo) -> None:
    dialogues = Counter(d.status for d in demo.session.scalars(select(Dialogue)))
    plans = Counter(p.status for p in demo.session.scalars(select(ActionPlan)))
    items = Counter(i.status for i in demo.session.scalars(select(ActionPlanItem)))
    assert dialogues == {"completed": 18, "open": 1}
    assert plans == {"agreed": 17, "draft": 1}
    assert set(items) == {"todo", "doing", "done"}
    assert items["done"] > items["doing"] + items["todo"]  # months of history: most of it is done


def test_one_member_is_in_the_middle_of_a_dialogue(demo: Demo) -> None:
    hoshino = demo.user("星野 美咲")
    (open_dialogue,) = demo.session.scalars(select(Dialogue).where(Dialogue.status == "open"))
    assert open_dialogue.member_id == hoshino.id
    body = demo.get("星野 美咲", f"/api/v1/dialogues/{open_dialogue.id}")
    assert body["stage"] == "options"
    assert body["turns_left"] > 0
    assert "藤堂設計事務所" in body["messages"][-2]["content"]  # her own words, about her customer


def test_one_member_has_a_draft_plan_to_agree(demo: Demo) -> None:
    (draft,) = demo.session.scalars(select(ActionPlan).where(ActionPlan.status == "draft"))
    body = demo.get("横山 亮", f"/api/v1/action-plans/{draft.id}")
    assert body["member_id"] == demo.user("横山 亮").id
    assert any("港南歯科" in item["title"] for item in body["items"])


def test_every_finished_dialogue_was_closed_by_the_members_confirmation(demo: Demo) -> None:
    """The scripted answers led the built-in coach through GROW: each plan starts with the member's commitments."""
    for dialogue in demo.session.scalars(select(Dialogue).where(Dialogue.status == "completed")):
        last = demo.session.scalar(
            select(DialogueMessage)
            .where(DialogueMessage.dialogue_id == dialogue.id, DialogueMessage.role == "coach")
            .order_by(DialogueMessage.id.desc())
            .limit(1)
        )
        assert last is not None
        assert last.stage == "closed", last.content
        plan = demo.session.scalar(select(ActionPlan).where(ActionPlan.dialogue_id == dialogue.id))
        assert plan is not None
        sources = [
            i.source for i in demo.session.scalars(select(ActionPlanItem).where(ActionPlanItem.plan_id == plan.id))
        ]
        assert sources.count("commitment") >= 2


def test_dialogues_took_place_on_the_day_of_their_1on1(demo: Demo) -> None:
    for dialogue in demo.session.scalars(select(Dialogue)):
        record = demo.session.get(OneOnOne, dialogue.one_on_one_id)
        assert record is not None
        assert dialogue.dialogue_date == record.held_on


def test_managers_commented_on_their_members_items(demo: Demo) -> None:
    comments = list(demo.session.scalars(select(ItemComment)))
    assert len(comments) >= 8
    for comment in comments:
        item = demo.session.get(ActionPlanItem, comment.item_id)
        assert item is not None
        plan = demo.session.get(ActionPlan, item.plan_id)
        assert plan is not None
        member = demo.session.get(User, plan.member_id)
        assert member is not None
        assert comment.author_id == member.manager_id


# The story's dates are fixed (its last 1on1 is on 2026-11-19): its items' due dates pass as the calendar does, and
# from 2026-12-04 every open item is overdue. The team pages are checked on the day the story was written for.
STORY_TODAY = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)  # noon in Japan


def test_the_team_pages_show_open_and_overdue_actions_on_the_story_s_day(
    demo: Demo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(demo.api.app.state, "clock", lambda: STORY_TODAY, raising=False)
    for manager, members in TEAMS.items():
        team = demo.get(manager, "/api/v1/teams/me")["items"]
        assert {row["name"] for row in team} == members
        assert sum(row["overdue_items"] for row in team) >= 1
        assert sum(row["open_items"] for row in team) > sum(row["overdue_items"] for row in team)
        assert all(row["last_one_on_one"] >= "2026-10-20" for row in team)


@pytest.mark.parametrize("name", MEMBERS)
def test_each_members_growth_chart_has_several_points(demo: Demo, name: str) -> None:
    growth = demo.get(name, f"/api/v1/members/{demo.user(name).id}/growth")
    lengths = [len(points) for points in growth["skills"].values()]
    assert growth["one_on_ones"] >= 3
    assert sum(lengths) >= 4
    assert max(lengths) >= 2  # a line, not a dot


@pytest.mark.parametrize("name", MEMBERS)
def test_a_member_sees_only_their_own_records(demo: Demo, name: str) -> None:
    own = [entry["file"] for entry in INDEX if entry["member"] == name]
    listed = demo.get(name, "/api/v1/one-on-ones?limit=100")
    assert listed["total"] == len(own)
    assert {item["member_id"] for item in listed["items"]} == {demo.user(name).id}
    others = demo.session.scalars(select(OneOnOne.id).where(OneOnOne.member_id != demo.user(name).id)).all()
    for record_id in others:
        response = demo.api.get(f"/api/v1/one-on-ones/{record_id}", headers=demo.headers[name])
        assert response.status_code == 404


@pytest.mark.parametrize("manager", sorted(TEAMS))
def test_a_manager_sees_their_team_but_not_the_other_team_or_any_dialogue_text(demo: Demo, manager: str) -> None:
    team_ids = {demo.user(name).id for name in TEAMS[manager]}
    listed = demo.get(manager, "/api/v1/one-on-ones?limit=100")
    assert {item["member_id"] for item in listed["items"]} == team_ids
    assert listed["total"] == sum(1 for entry in INDEX if entry["member"] in TEAMS[manager])
    outside = demo.session.scalars(select(OneOnOne.id).where(OneOnOne.member_id.not_in(team_ids))).all()
    assert all(
        demo.api.get(f"/api/v1/one-on-ones/{record_id}", headers=demo.headers[manager]).status_code == 404
        for record_id in outside
    )
    own_team_dialogues = demo.session.scalars(select(Dialogue.id).where(Dialogue.member_id.in_(team_ids))).all()
    assert own_team_dialogues
    assert all(
        demo.api.get(f"/api/v1/dialogues/{dialogue_id}", headers=demo.headers[manager]).status_code == 404
        for dialogue_id in own_team_dialogues
    )


def test_the_admin_sees_every_record(demo: Demo) -> None:
    assert demo.get("中川 理恵", "/api/v1/one-on-ones?limit=100")["total"] == 20
