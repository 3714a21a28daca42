"""The cache of sessions and team summaries: hits skip the database, every write that matters invalidates, and no
one is ever served what is not theirs. The Redis implementation runs against the real server."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from sales_growth.ops.cache import Cache, MemoryCache, RedisCache, SharedVersions, make_cache
from sales_growth.settings import Settings
from tests.factories import make_user
from tests.personas import Personas, cached_app
from tests.web.browsing import counted_queries

RECORD = "新人：予算の確認を忘れてしまいました。\n課長：次は聞こう。\n"


@pytest.fixture(params=["memory", "shared", pytest.param("redis", marks=pytest.mark.redis)])
def cache(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Cache]:
    if request.param == "memory":
        yield MemoryCache()
        return
    if request.param == "shared":
        yield MemoryCache(shared=SharedVersions(tmp_path / "versions.bin"))
        return
    client = redis.Redis.from_url(request.getfixturevalue("redis_url"))
    yield RedisCache(client)
    client.close()


def test_an_entry_lives_until_deleted_or_expired(cache: Cache) -> None:
    key = f"test:{uuid.uuid4().hex}"
    cache.set(key, {"a": [1, "二"]}, ttl=60)
    assert cache.get(key) == {"a": [1, "二"]}
    cache.delete([key])
    assert cache.get(key) is None
    cache.set(key, 1, ttl=0.001)
    time.sleep(0.01)
    assert cache.get(key) is None


def test_many_entries_are_read_as_each_would_be(cache: Cache) -> None:
    kept, gone, never = (f"test:{uuid.uuid4().hex}" for _ in range(3))
    cache.set(kept, {"page": "本文"}, ttl=60)
    cache.set(gone, 2, ttl=60)
    cache.delete([gone])
    assert cache.fetch([kept, gone, never, kept], [])[0] == [{"page": "本文"}, None, None, {"page": "本文"}]
    assert cache.fetch([], [])[0] == []


def test_a_bump_moves_a_version_for_every_reader(cache: Cache) -> None:
    name = f"test-{uuid.uuid4().hex}"
    (before,) = cache.versions([name])
    cache.bump([name])
    assert cache.versions([name]) == [before + 1]


def test_entries_and_counters_are_fetched_together_as_each_would_be_read(cache: Cache) -> None:
    kept, never, name = f"page:{uuid.uuid4().hex}", f"test:{uuid.uuid4().hex}", f"test-{uuid.uuid4().hex}"
    cache.set(kept, {"body": "本文"}, ttl=60)
    cache.bump([name])
    assert cache.fetch([kept, never], [name, f"{name}-never"]) == ([{"body": "本文"}, None], [1, 0])
    assert cache.fetch([], []) == ([], [])


@pytest.mark.redis
def test_pages_are_also_held_in_the_process_and_nothing_else_is(redis_url: str) -> None:
    """A page (a ``page:`` entry: valid by the counters it carries) is held by the process that stored it or read
    it, with its expiry in Redis; any other entry, such as a session's, is read from Redis each time, so that a
    delete in one process (a logout) reaches every other at once."""
    first, second = (RedisCache(redis.Redis.from_url(redis_url)) for _ in range(2))
    page, token = f"page:{uuid.uuid4().hex}", f"token:{uuid.uuid4().hex}"
    first.set(page, {"body": "本文"}, ttl=60)
    first.set(token, {"user": 1}, ttl=60)
    assert (first.near(page), first.near(token), second.near(page)) == ({"body": "本文"}, None, None)
    assert second.fetch([page, token], []) == ([{"body": "本文"}, {"user": 1}], [])
    assert second.near(page) == {"body": "本文"}
    first.delete([token])
    assert second.fetch([token], [])[0] == [None]
    second._near.expire(time.monotonic() + 61)  # a held copy ends when the entry in Redis does
    assert second.near(page) is None
    first.clear()
    assert first.near(page) is None


def test_two_processes_without_redis_see_each_others_invalidations(tmp_path: Path) -> None:
    """Two web processes on one host (``serve --workers 2``): entries stay each process's own, but a delete or a
    bump in one is seen by the other at once, through the versions file of the data folder."""
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from sales_growth.ops.cache import MemoryCache, SharedVersions\n"
        "other = MemoryCache(shared=SharedVersions(Path(sys.argv[1])))\n"
        "other.delete(['token:abc'])\n"
        "other.bump(['plans:7', 'plans:7'])\n"
    )
    path = tmp_path / "cache-versions.bin"
    mine = MemoryCache(shared=SharedVersions(path))
    mine.set("token:abc", {"user": 1}, ttl=60)
    mine.set("token:def", {"user": 2}, ttl=60)
    before = mine.versions(["plans:7", "plans:8"])
    subprocess.run([sys.executable, "-c", script, str(path)], check=True)
    assert mine.get("token:abc") is None  # deleted in the other process
    assert mine.get("token:def") == {"user": 2}
    assert mine.versions(["plans:7", "plans:8"]) == [before[0] + 2, before[1]]


def test_bumps_from_several_processes_at_once_are_never_lost(tmp_path: Path) -> None:
    """Three processes bumping the same counters at the same moment: each increment counts (the file's lock)."""
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from sales_growth.ops.cache import SharedVersions\n"
        "import time\n"
        "shared = SharedVersions(Path(sys.argv[1]))\n"
        "while time.time() < float(sys.argv[2]):\n"
        "    pass\n"
        "for _ in range(2000):\n"
        "    shared.bump(['plans:1'] * 50 + ['records:2'])\n"
    )
    path = tmp_path / "versions.bin"
    mine = SharedVersions(path)
    before = mine.versions(["plans:1", "records:2", "plans:3"])
    start = str(time.time() + 3)  # every process starts bumping at the same moment
    others = [subprocess.Popen([sys.executable, "-c", script, str(path), start]) for _ in range(2)]
    while time.time() < float(start):
        time.sleep(0.001)
    for _ in range(2000):
        mine.bump(["plans:1"] * 50)
    assert [p.wait(timeout=60) for p in others] == [0, 0]
    assert mine.versions(["plans:1", "records:2", "plans:3"]) == [before[0] + 300_000, before[1] + 4000, before[2]]


@pytest.mark.redis
def test_two_processes_on_redis_see_each_others_writes(redis_url: str) -> None:
    first, second = (RedisCache(redis.Redis.from_url(redis_url)) for _ in range(2))
    key, name = f"test:{uuid.uuid4().hex}", f"test-{uuid.uuid4().hex}"
    first.set(key, "x", ttl=60)
    assert second.get(key) == "x"
    second.delete([key])
    first.bump([name])
    assert first.get(key) is None
    assert second.versions([name]) == [1]


# --- sessions --------------------------------------------------------------------------------------------------


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def cached_api(request: pytest.FixtureRequest, settings: Settings) -> Iterator[TestClient]:
    """The app with its caches on (the per-process one, or Redis)."""
    redis_url = request.getfixturevalue("redis_url") if request.param == "redis" else None
    with cached_app(settings, redis_url) as app, TestClient(app) as client:
        yield client


def _me(api: TestClient, personas: Personas, who: str) -> tuple[int, int]:
    """(status, statements) of GET /api/v1/me."""
    with counted_queries(api.app) as statements:  # type: ignore[arg-type]
        response = api.get("/api/v1/me", headers=personas.headers[who])
    return response.status_code, len(statements)


def _patch(api: TestClient, personas: Personas, who: str, body: dict[str, object]) -> bool:
    return api.patch(f"/api/v1/users/{personas.id(who)}", json=body, headers=personas.headers["admin"]).is_success


def test_a_cached_session_needs_no_query(cached_api: TestClient, personas: Personas) -> None:
    status, statements = _me(cached_api, personas, "A1")
    assert (status, statements > 0) == (200, True)
    assert _me(cached_api, personas, "A1") == (200, 0)


def test_a_deactivated_users_cached_session_stops_at_once(cached_api: TestClient, personas: Personas) -> None:
    _me(cached_api, personas, "A1")
    body = {"is_active": False}
    assert cached_api.patch(
        f"/api/v1/users/{personas.id('A1')}", json=body, headers=personas.headers["admin"]
    ).is_success
    assert _me(cached_api, personas, "A1")[0] == 401


def test_logout_ends_the_cached_session(cached_api: TestClient, personas: Personas) -> None:
    _me(cached_api, personas, "A1")
    assert cached_api.post("/api/v1/auth/logout", headers=personas.headers["A1"]).status_code == 204
    assert _me(cached_api, personas, "A1")[0] == 401


def test_a_password_change_ends_the_cached_session(cached_api: TestClient, personas: Personas) -> None:
    _me(cached_api, personas, "A1")
    body = {"password": "another-horse-77"}
    assert cached_api.patch(
        f"/api/v1/users/{personas.id('A1')}", json=body, headers=personas.headers["admin"]
    ).is_success
    assert _me(cached_api, personas, "A1")[0] == 401


def test_a_role_or_manager_change_is_seen_by_the_next_request(cached_api: TestClient, personas: Personas) -> None:
    headers = personas.headers["A1"]
    assert cached_api.get(f"/api/v1/users/{personas.id('B1')}", headers=personas.headers["M1"]).status_code == 404
    body = {"manager_id": personas.id("M1")}
    url = f"/api/v1/users/{personas.id('B1')}"
    assert cached_api.patch(url, json=body, headers=personas.headers["admin"]).is_success
    assert cached_api.get(url, headers=personas.headers["M1"]).status_code == 200
    cached_api.get("/api/v1/me", headers=headers)
    body = {"role": "manager"}
    assert cached_api.patch(
        f"/api/v1/users/{personas.id('A1')}", json=body, headers=personas.headers["admin"]
    ).is_success
    assert cached_api.get("/api/v1/me", headers=headers).json()["role"] == "manager"


def test_a_lockout_drops_the_cached_session(cached_api: TestClient, settings: Settings, db_session: Session) -> None:
    user = make_user(db_session, email=f"locked-{uuid.uuid4().hex[:8]}@example.com")  # its own login window
    token = cached_api.post("/api/v1/auth/token", json={"email": user.email, "password": "correct-horse-42"})
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    assert cached_api.get("/api/v1/me", headers=headers).json()["locked_until"] is None
    for _ in range(settings.lockout_threshold):
        cached_api.post("/api/v1/auth/token", json={"email": user.email, "password": "wrong-password"})
    cache = cached_api.app.state.cache  # type: ignore[attr-defined]
    assert [cache.get(f"token:{hashed}") for hashed in _hashes(db_session, user.id)] == [None]
    assert cached_api.get("/api/v1/me", headers=headers).json()["locked_until"] is not None


def _hashes(session: Session, user_id: int) -> list[str]:
    from sqlalchemy import select

    from sales_growth.accounts.models import AuthToken

    session.expire_all()
    return list(session.scalars(select(AuthToken.token_hash).where(AuthToken.user_id == user_id)))


# --- team summaries --------------------------------------------------------------------------------------------


def _team(api: TestClient, personas: Personas, who: str) -> tuple[dict[str, int | None], int]:
    """Each member's open items and last 1on1 as ``who`` sees them, and the statements it took."""
    with counted_queries(api.app) as statements:  # type: ignore[arg-type]
        body = api.get("/api/v1/teams/me", headers=personas.headers[who]).json()
    return {m["name"]: m["last_one_on_one"] for m in body["items"]}, len(statements)


def test_a_team_summary_is_cached_and_a_new_record_refreshes_it(cached_api: TestClient, personas: Personas) -> None:
    _team(cached_api, personas, "M1")
    before, statements = _team(cached_api, personas, "M1")
    assert statements == 0
    record = {"member_id": personas.id("A1"), "held_on": "2026-11-26", "content": RECORD}
    assert cached_api.post("/api/v1/one-on-ones", json=record, headers=personas.headers["M1"]).status_code == 201
    after, _ = _team(cached_api, personas, "M1")
    assert before[personas.users["A1"].name] is None
    assert after[personas.users["A1"].name] == "2026-11-26"


def test_a_summary_cached_by_an_older_release_is_counted_again(cached_api: TestClient, personas: Personas) -> None:
    """During a rolling update the shared cache may hold summaries without the heat map's counts: the team is
    counted again instead of failing."""
    from datetime import date

    from sales_growth.accounts.models import User
    from sales_growth.coaching import growth
    from sales_growth.ops.cache import TEAM_VERSION

    app: Any = cached_api.app
    today, key = date(2026, 12, 4), f"team:{personas.id('M1')}:2026-12-04"
    with app.state.session_factory() as session:
        manager = session.get(User, personas.id("M1"))
        first = growth.team_and_challenges(session, manager, today=today, ttl=60)
        cache, entry = app.state.cache, app.state.cache.get(key)
        assert "challenges" in entry
        cache.set(key, {"version": cache.versions([TEAM_VERSION])[0], "team": entry["team"]}, ttl=60)
        assert growth.team_and_challenges(session, manager, today=today, ttl=60) == first


def test_a_cached_summary_is_never_served_to_another_manager(cached_api: TestClient, personas: Personas) -> None:
    mine, _ = _team(cached_api, personas, "M1")
    theirs, _ = _team(cached_api, personas, "M2")
    assert set(mine) == {personas.users[n].name for n in ("A1", "A2")}
    assert set(theirs) == {personas.users["B1"].name}
    assert set(_team(cached_api, personas, "M2")[0]) == set(theirs)
    assert cached_api.get("/api/v1/teams/me", headers=personas.headers["A1"]).status_code == 403


def test_a_new_member_appears_on_the_cached_team(
    cached_api: TestClient, personas: Personas, db_session: Session
) -> None:
    _team(cached_api, personas, "M1")
    body = {"email": "new@example.com", "name": "新人 太郎", "role": "member", "manager_id": personas.id("M1")}
    body["password"] = "correct-horse-42"
    assert cached_api.post("/api/v1/users", json=body, headers=personas.headers["admin"]).status_code == 201
    assert "新人 太郎" in _team(cached_api, personas, "M1")[0]


def test_the_process_cache_is_shared_and_redis_is_chosen_by_settings(redis_url: str, tmp_path: Path) -> None:
    assert make_cache(None) is make_cache(None)
    assert isinstance(make_cache(None), MemoryCache)
    assert make_cache(None, tmp_path) is make_cache(None, tmp_path)
    assert (tmp_path / "cache-versions.bin").exists()  # the versions the host's processes share
    assert isinstance(make_cache(redis_url), RedisCache)
