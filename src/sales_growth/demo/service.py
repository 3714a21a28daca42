"""Filling the sample organisation for practice (サンプルデータでの練習環境), only through the domain services.

:func:`seed` creates the people of the scenario, records their 20 1on1s from the original files (as a manager
would upload them, on the dates they were held), analyses each one at once with the built-in engine, and plays
each member's coaching: the dialogue with the built-in coach in the member's words, the plan it produced, its
agreement, progress and the manager's comments, each at its moment of the story. Records are seeded in the
order they were held, so a record's analysis already sees the open items of the member's previous plan.

It is idempotent and resumable: whatever already exists (an account by its e-mail address, a record by its member,
date and title or file, a dialogue by its record) is kept as it is, so a second run adds nothing and a run that
was interrupted is completed. The analyses
run in this process; the job each record enqueues after its commit finds the run finished and does nothing.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from sales_growth.accounts import passwords
from sales_growth.accounts import service as accounts
from sales_growth.accounts.models import Role, User
from sales_growth.accounts.schemas import UserCreate
from sales_growth.analysis.coach import BuiltinCoach
from sales_growth.coaching import service as coaching
from sales_growth.coaching.models import ActionPlan, ActionPlanItem
from sales_growth.coaching.schemas import ItemUpdate
from sales_growth.db import create_db_engine, create_session_factory, transaction
from sales_growth.demo import DEMO_PASSWORD
from sales_growth.demo.scenario import Coaching, DemoRecord, DemoUser, Scenario, load
from sales_growth.errors import ConflictError, DomainError
from sales_growth.one_on_ones import analyses
from sales_growth.one_on_ones import service as records
from sales_growth.one_on_ones.models import Analysis, AnalysisStatus
from sales_growth.one_on_ones.schemas import RecordCreate
from sales_growth.settings import Settings

ANALYSIS_WAIT_SECONDS = 60.0  # for a run another process claimed first


@dataclass(frozen=True)
class Login:
    """A sample account. ``password`` is None when the account exists with another password than the one given."""

    role: Role
    name: str
    email: str
    manager: str | None
    password: str | None


@dataclass(frozen=True)
class SeedReport:
    """What :func:`seed` found and did."""

    existed: bool  # some of the sample organisation was there before this run
    added: bool  # this run added something
    logins: list[Login]
    records: int


@dataclass
class _Run:
    factory: sessionmaker[Session]
    settings: Settings
    scenario: Scenario
    user_ids: dict[str, int]
    created: set[str] = field(default_factory=set)  # e-mail addresses of the accounts made by this run
    added: bool = False
    existed: bool = False


def seed(
    settings: Settings, *, password: str = DEMO_PASSWORD, on_record: Callable[[DemoRecord], None] | None = None
) -> SeedReport:
    """Fill the sample organisation into the (migrated) database of ``settings``; ``on_record`` follows progress.

    The sample accounts get ``password``; accounts that already exist keep theirs.
    """
    passwords.check_policy(password)
    local = settings.model_copy(update={"engine": "local"})  # the demo is the same on every machine
    engine = create_db_engine(local)
    run = _Run(create_session_factory(engine), local, load(), {})
    try:
        # A run stopped mid-analysis (Ctrl-C) left its claim behind: queue it again, as serve does at start-up.
        analyses.recover_orphans(run.factory, local)
        _seed_users(run, password)
        for record in run.scenario.timeline():
            _seed_record(run, record)
            if on_record is not None:
                on_record(record)
        logins = _logins(run, password)
    finally:
        engine.dispose()
    return SeedReport(existed=run.existed, added=run.added, logins=logins, records=len(run.scenario.records))


# --- people ------------------------------------------------------------------------------------------------------


def _seed_users(run: _Run, password: str) -> None:
    """Managers before their reports: the scenario lists the admin, then the managers, then the members.

    The accounts share one password, hashed once: argon2 is slow on purpose, nine times would take seconds."""
    hashed: str | None = None
    with transaction(run.factory) as session:
        for person in run.scenario.users:
            existing = session.scalar(select(User).where(User.email == person.email))
            if existing is not None:
                _require_same(existing, person)
                run.existed = True
                run.user_ids[person.name] = existing.id
                continue
            data = UserCreate(
                email=person.email,
                name=person.name,
                role=person.role,
                manager_id=run.user_ids[person.manager] if person.manager else None,
                password=password,
            )
            hashed = hashed or passwords.hash_password(password)
            run.user_ids[person.name] = accounts.create_user(session, None, data, password_hash=hashed).id
            run.created.add(person.email)
            run.added = True


def _require_same(user: User, person: DemoUser) -> None:
    if user.name != person.name or user.role != person.role:
        raise ConflictError(
            f"サンプル組織のメールアドレス {person.email} は、既に別のユーザー（{user.name}）が使っています。"
            "サンプル組織は、空のデータベースかサンプル組織だけのデータベースに作ってください。"
        )


def _logins(run: _Run, password: str) -> list[Login]:
    """The accounts, with ``password`` where it is theirs (verified once per distinct hash, for speed)."""
    with run.factory() as session:
        users = {u.email: u for u in session.scalars(select(User).where(User.id.in_(run.user_ids.values())))}
    names = {user.id: user.name for user in users.values()}
    matches: dict[str | None, bool] = {}

    def known(user: User) -> bool:
        if user.email in run.created:
            return True
        if user.password_hash not in matches:
            matches[user.password_hash] = passwords.verify(password, user.password_hash)
        return matches[user.password_hash]

    return [
        Login(
            role=user.role,
            name=user.name,
            email=user.email,
            manager=names.get(user.manager_id or 0),
            password=password if known(user) else None,
        )
        for user in (users[person.email] for person in run.scenario.users)
    ]


# --- records and their analyses ----------------------------------------------------------------------------------


def _seed_record(run: _Run, record: DemoRecord) -> None:
    record_id = _stored_record(run, record)
    _analysed(run, record, record_id)
    plan = run.scenario.coaching_of(record)
    if plan is not None:
        _play_coaching(run, record, record_id, plan)


def _stored_record(run: _Run, record: DemoRecord) -> int:
    """The record's id, recording it first (as its manager, from the original file) when it is not there yet.

    A record is there when the member has one on that date with its title or from its file (a retitled one too)."""
    data = record.data()
    with transaction(run.factory) as session:
        manager = _user(session, run, record.manager)
        member_id = run.user_ids[record.member]
        window = records.RecordFilter(member_id=member_id, held_from=record.held_on, held_to=record.held_on)
        for existing in records.list_records(session, manager, window)[0]:
            if existing.title == record.title or (existing.upload and existing.upload.sha256 == _sha256(data)):
                run.existed = True
                return existing.id
        upload = records.UploadedFile(filename=record.file, content_type=record.content_type, data=data)
        text, upload = records.decode_upload(upload, limit=run.settings.max_upload_bytes)
        fields = RecordCreate(member_id=member_id, held_on=record.held_on, content=text, title=record.title)
        created, _ = records.create_record(
            session, manager, fields, max_bytes=run.settings.max_upload_bytes, engine="local", upload=upload
        )
        run.added = True
        return created.id


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _analysed(run: _Run, record: DemoRecord, record_id: int) -> None:
    """Run the record's analysis now unless it has succeeded; a failed one is run again."""
    with run.factory() as session:
        latest = analyses.latest(session, record_id)
        status = latest.status if latest else None
        analysis_id = latest.id if latest else None
    if status == AnalysisStatus.SUCCEEDED:
        return
    if analysis_id is None or status == AnalysisStatus.FAILED:
        with transaction(run.factory) as session:
            manager = _user(session, run, record.manager)
            analysis_id = records.reanalyse(session, manager, record_id, engine="local").id
    analyses.run(run.factory, run.settings, analysis_id)
    run.added = True
    _require_success(run, record, analysis_id)


def _require_success(run: _Run, record: DemoRecord, analysis_id: int) -> None:
    """The run succeeded; one claimed by another process (a worker) is waited for."""
    deadline = time.monotonic() + ANALYSIS_WAIT_SECONDS
    while True:
        with run.factory() as session:
            analysis = session.get(Analysis, analysis_id)
            assert analysis is not None
            status, error = analysis.status, analysis.error
        if status == AnalysisStatus.SUCCEEDED:
            return
        if status != AnalysisStatus.RUNNING or time.monotonic() > deadline:
            raise DomainError(f"サンプルの記録「{record.title}」を分析できませんでした。{error or ''}".strip())
        time.sleep(0.1)


# --- coaching ----------------------------------------------------------------------------------------------------


def _play_coaching(run: _Run, record: DemoRecord, record_id: int, story: Coaching) -> None:
    """The member's dialogue and plan, all in one transaction: a record has either all of its story or none."""
    coach = BuiltinCoach()
    with transaction(run.factory) as session:
        member = _user(session, run, record.member)
        dialogue, created = coaching.start_dialogue(
            session, member, record_id, coach=coach, settings=run.settings, now=story.at
        )
        if not created:
            run.existed = True
            return
        run.added = True
        for message in story.messages:
            turn = coaching.begin_turn(session, member, dialogue.id, message, settings=run.settings)
            if isinstance(turn, coaching.AnsweredTurn):
                raise RuntimeError(f"{record.file}: the coach answered {message!r} for safety; change the scenario")
            coaching.finish_turn(session, turn, coach.reply(turn.context, turn.history))
        if story.stage == "in_progress":
            return
        plan, _ = coaching.complete_dialogue(
            session, member, dialogue.id, coach=coach, settings=run.settings, now=story.at
        )
        _follow_plan(session, run, member, plan.id, story)


def _follow_plan(session: Session, run: _Run, member: User, plan_id: int, story: Coaching) -> None:
    # The suggested items the member removes, where the analysis suggested them: what the engine suggests may
    # change as it learns, and the practice data must still be made.
    for part in story.drop:
        for item in _items(session, member, plan_id):
            if part in item.title:
                coaching.delete_item(session, member, item.id)
    if story.agreed_at is None:
        return  # left as a draft
    coaching.agree_plan(session, member, plan_id, now=story.agreed_at)
    items = _items(session, member, plan_id)
    for step in story.progress:
        changes = ItemUpdate(status=step.status, **({"note": step.note} if step.note else {}))
        coaching.update_item(session, member, _match(items, step.item).id, changes, now=step.at)
    if story.comments:
        assert member.manager_id is not None
        manager = session.get(User, member.manager_id)
        assert manager is not None
        for comment in story.comments:
            coaching.add_comment(session, manager, _match(items, comment.item).id, comment.body)


def _items(session: Session, member: User, plan_id: int) -> list[ActionPlanItem]:
    """The plan's items as they stand now, through the policy."""
    stale = session.get(ActionPlan, plan_id)
    if stale is not None:
        session.expire(stale, ["items"])  # items dropped a moment ago must not linger in the loaded list
    return list(coaching.get_plan(session, member, plan_id).items)


def _match(items: list[ActionPlanItem], part: str) -> ActionPlanItem:
    """The one item whose title contains ``part``; a scenario that names none or several is a mistake in it."""
    found = [item for item in items if part in item.title]
    if len(found) != 1:
        titles = [item.title for item in items]
        raise RuntimeError(f"{len(found)} items match {part!r}; the plan's items are {titles}")
    return found[0]


def _user(session: Session, run: _Run, name: str) -> User:
    user = session.get(User, run.user_ids[name])
    assert user is not None
    return user
