"""The page cache: a page seen again costs no SQL, every write that changes what it shows refreshes it at once,
and nobody is ever served a page that is not theirs (another session, a team they left, a session that ended).
On SQLite with the per-process cache and on PostgreSQL + Redis with the cache in Redis."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select
from sqlalchemy.orm import Session

from sales_growth.accounts.deps import SESSION_COOKIE
from sales_growth.coaching import growth
from sales_growth.coaching.models import ActionPlanItem
from sales_growth.db import transaction
from sales_growth.ops.cache import RedisCache
from sales_growth.settings import Settings
from sales_growth.web.admission import AdmissionMiddleware
from tests.coaching.flows import FLOW
from tests.personas import Personas, cached_app
from tests.web.browsing import Site, browsing, counted_queries


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def cached_site(
    request: pytest.FixtureRequest, settings: Settings, db_session: Session, personas: Personas
) -> Iterator[Site]:
    redis_url = request.getfixturevalue("redis_url") if request.param == "redis" else None
    with cached_app(settings, redis_url) as app, browsing(app, db_session, settings, personas) as made:
        yield made


def _get(site: Site, who: str, path: str) -> tuple[int, str, int]:
    """(status, body, SQL statements) of one page view."""
    with counted_queries(site.app) as statements:
        response = site.as_(who).get(path)
    return response.status_code, response.text, len(statements)


def _cached(site: Site, who: str, path: str) -> str:
    """The page, viewed until it is served from the cache (a session's first request goes to the database)."""
    for _ in range(3):
        status, body, statements = _get(site, who, path)
        assert status == 200, (who, path, body)
        if statements == 0:
            return body
    raise AssertionError(f"{path} is not cached for {who}")


def _planned(site: Site) -> tuple[int, int, int]:
    """A1's analysed record with an agreed plan made through the pages: (record, plan, first item) ids."""
    record_id = site.analysed_record()
    response = site.as_("A1").post(f"/one-on-ones/{record_id}/dialogue")
    dialogue_id = int(response.headers["location"].rsplit("/", 1)[1])
    for message in FLOW:
        assert site.as_("A1").post(f"/dialogues/{dialogue_id}/messages", data={"content": message}).status_code == 303
    response = site.as_("A1").post(f"/dialogues/{dialogue_id}/complete")
    plan_id = int(response.headers["location"].split("/")[-1].split("?")[0])
    assert site.as_("A1").post(f"/action-plans/{plan_id}/agree").status_code == 303
    item_id = site.session.scalar(select(ActionPlanItem.id).where(ActionPlanItem.plan_id == plan_id).limit(1))
    assert item_id is not None
    return record_id, plan_id, item_id


def test_a_page_seen_again_costs_no_query_and_is_the_same(cached_site: Site) -> None:
    record_id, plan_id, _item_id = _planned(cached_site)
    for who, path in [
        ("A1", "/home"),
        ("A1", "/one-on-ones"),
        ("A1", f"/one-on-ones/{record_id}"),
        ("A1", f"/action-plans/{plan_id}"),
        ("M1", "/team"),
        ("M1", f"/members/{cached_site.personas.id('A1')}"),
        ("M1", f"/one-on-ones?member_id={cached_site.personas.id('A1')}"),
        ("A1", f"/api/v1/one-on-ones/{record_id}/analysis"),
        ("M1", f"/api/v1/members/{cached_site.personas.id('A1')}/growth"),
    ]:
        first = _cached(cached_site, who, path)
        assert _get(cached_site, who, path) == (200, first, 0), path


def test_admin_pages_are_not_cached(cached_site: Site) -> None:
    """An admin sees everyone: their pages are rendered each time (their team summary may come from its own
    cache), never kept."""

    def counts() -> list[float]:
        results = ("hit", "stored")
        return [REGISTRY.get_sample_value("page_cache_total", {"result": r, "route": "/team"}) or 0.0 for r in results]

    before = counts()
    for _ in range(3):
        assert _get(cached_site, "admin", "/team")[0] == 200
    assert counts() == before


def test_progress_on_an_item_refreshes_every_page_that_shows_it(cached_site: Site) -> None:
    record_id, plan_id, item_id = _planned(cached_site)
    member = cached_site.personas.id("A1")
    pages = [("A1", "/home"), ("A1", f"/action-plans/{plan_id}"), ("M1", f"/action-plans/{plan_id}"),
             ("M1", f"/members/{member}"), ("A1", f"/one-on-ones/{record_id}")]  # fmt: skip
    for who, path in pages:
        _cached(cached_site, who, path)
    title = "先方の部長に電話で予算を確認する"
    form = {"title": title, "due_date": "2026-12-04", "success_metric": "予算額を聞く", "steps": "電話する"}
    assert cached_site.as_("A1").post(f"/action-items/{item_id}", data=form).status_code == 303
    for who, path in pages[:4]:
        status, body, statements = _get(cached_site, who, path)
        assert (status, statements > 0, title in body) == (200, True, True), (who, path)
    # The record page shows the plan's items too: it is rendered again, not served as it was.
    assert _get(cached_site, "A1", f"/one-on-ones/{record_id}")[2] > 0
    # The records list shows no plan: it stays cached.
    _cached(cached_site, "A1", "/one-on-ones")
    cached_site.as_("A1").post(f"/action-items/{item_id}/progress", data={"status": "done", "note": "電話した"})
    assert _get(cached_site, "A1", "/one-on-ones")[2] == 0


def test_a_comment_reaches_the_members_cached_plan_page(cached_site: Site) -> None:
    _record_id, plan_id, item_id = _planned(cached_site)
    _cached(cached_site, "A1", f"/action-plans/{plan_id}")
    form = {"body": "いいですね、その調子で進めましょう"}
    assert cached_site.as_("M1").post(f"/action-items/{item_id}/comments", data=form).status_code == 303
    assert "いいですね、その調子で進めましょう" in _get(cached_site, "A1", f"/action-plans/{plan_id}")[1]


def test_a_finished_analysis_replaces_the_queued_page(cached_site: Site) -> None:
    record_id = cached_site.record("M1", "A1")
    queued = _cached(cached_site, "A1", f"/one-on-ones/{record_id}")
    _cached(cached_site, "A1", "/home")
    _cached(cached_site, "M1", "/team")
    cached_site.analyse(record_id)  # the worker's UPDATEs, not a flush of the app's
    status, done, statements = _get(cached_site, "A1", f"/one-on-ones/{record_id}")
    assert (status, statements > 0, done != queued) == (200, True, True)
    assert "課題" in done
    assert _get(cached_site, "A1", "/home")[2] > 0
    assert _get(cached_site, "M1", "/team")[2] > 0


def test_a_new_record_appears_on_the_cached_lists(cached_site: Site) -> None:
    member = cached_site.personas.id("A1")
    _cached(cached_site, "A1", "/one-on-ones")
    _cached(cached_site, "M1", f"/one-on-ones?member_id={member}")
    _cached(cached_site, "M0", "/one-on-ones")  # the manager above sees the records of the whole subtree
    cached_site.record("M1", "A1", held_on="2026-11-20")
    for who, path in [("A1", "/one-on-ones"), ("M1", f"/one-on-ones?member_id={member}"), ("M0", "/one-on-ones")]:
        assert "2026年11月20日" in _get(cached_site, who, path)[1], (who, path)


def test_a_member_moved_to_another_team_leaves_the_old_managers_cached_pages(cached_site: Site) -> None:
    record_id = cached_site.analysed_record()
    member = cached_site.personas.id("A1")
    _cached(cached_site, "M1", f"/members/{member}")
    _cached(cached_site, "M1", f"/one-on-ones/{record_id}")
    team_before = _cached(cached_site, "M1", "/team")
    name = cached_site.personas.users["A1"].name
    assert name in team_before
    body = {"manager_id": cached_site.personas.id("M2")}
    admin = cached_site.personas.headers["admin"]
    cached_site.as_("admin").client.patch(f"/api/v1/users/{member}", json=body, headers=admin)
    assert _get(cached_site, "M1", f"/members/{member}")[0] == 404
    assert _get(cached_site, "M1", f"/one-on-ones/{record_id}")[0] == 404
    assert name not in _get(cached_site, "M1", "/team")[1]


def test_a_renamed_member_is_renamed_on_the_cached_pages(cached_site: Site) -> None:
    member = cached_site.personas.id("A1")
    _cached(cached_site, "M1", "/team")
    _cached(cached_site, "A1", "/home")
    admin = cached_site.personas.headers["admin"]
    cached_site.as_("admin").client.patch(f"/api/v1/users/{member}", json={"name": "改名 太郎"}, headers=admin)
    assert "改名 太郎" in _get(cached_site, "M1", "/team")[1]
    assert "改名 太郎" in _get(cached_site, "A1", "/home")[1]


def test_a_page_is_never_served_to_another_session(cached_site: Site) -> None:
    mine = _cached(cached_site, "A1", "/home")
    theirs = _get(cached_site, "A2", "/home")
    assert theirs[2] > 0  # rendered for A2, not A1's page
    assert cached_site.personas.users["A2"].name in theirs[1]
    assert cached_site.personas.users["A2"].name not in mine


def test_a_cached_page_stops_with_its_session(cached_site: Site) -> None:
    browser = cached_site.as_("A1")
    _cached(cached_site, "A1", "/home")
    assert browser.post("/logout").status_code == 303
    browser.client.cookies.set(SESSION_COOKIE, browser.client.cookies.get(SESSION_COOKIE) or "ended")
    response = browser.get("/home")
    assert response.status_code != 200


def test_a_deactivated_member_gets_no_cached_page(cached_site: Site) -> None:
    _cached(cached_site, "A1", "/home")
    member = cached_site.personas.id("A1")
    admin = cached_site.personas.headers["admin"]
    cached_site.as_("admin").client.patch(f"/api/v1/users/{member}", json={"is_active": False}, headers=admin)
    assert cached_site.as_("A1").get("/home").status_code != 200


def test_a_write_during_a_render_leaves_that_page_stale(cached_site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    """A write that commits after the page read its counters but before it was stored: the stored page is never
    served, since its counters are older than the write."""
    _record_id, _plan_id, item_id = _planned(cached_site)
    title = "描画中に名前が変わった行動"
    read_growth = growth.member_growth

    def growth_with_a_write_meanwhile(*args: Any, **kwargs: Any) -> Any:
        with transaction(cached_site.app.state.session_factory) as other:  # another request, committed meanwhile
            item = other.get(ActionPlanItem, item_id)
            assert item is not None
            item.title = title
        return read_growth(*args, **kwargs)

    path = "/home?tab=race"  # a page not yet cached (the query is part of the key)
    monkeypatch.setattr(growth, "member_growth", growth_with_a_write_meanwhile)
    assert _get(cached_site, "A1", path)[2] > 0
    monkeypatch.setattr(growth, "member_growth", read_growth)
    status, body, statements = _get(cached_site, "A1", path)
    assert (status, statements > 0, title in body) == (200, True, True)


def test_a_failing_cache_never_breaks_a_page(cached_site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    """Redis gone while the app runs: the page comes from the database, whole, and is simply not kept."""
    expected = _cached(cached_site, "A1", "/home")
    cache = cached_site.app.state.cache

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise ConnectionError("the cache is down")

    monkeypatch.setattr(cache, "set", broken)
    status, body, statements = _get(cached_site, "A1", "/home?tab=new")  # a miss whose store fails
    assert (status, statements > 0, body.rstrip().endswith("</html>")) == (200, True, True)
    monkeypatch.setattr(cache, "fetch", broken)
    monkeypatch.setattr(cache, "versions", broken)
    status, body, statements = _get(cached_site, "A1", "/home")  # the lookup itself fails
    assert (status, statements > 0) == (200, True)
    assert body == expected
    calls = iter([True, False])  # the lookup's read works, the page's own declaration fails

    def once(names: list[str]) -> list[int]:
        if next(calls, False):
            return [0] * len(names)
        raise ConnectionError("the cache is down")

    monkeypatch.setattr(cache, "fetch", lambda keys, names: ([cache.get(key) for key in keys], once(names)))
    monkeypatch.setattr(cache, "versions", once)
    assert _get(cached_site, "A1", "/home?tab=later")[0] == 200


def test_a_change_in_one_plan_refreshes_only_the_pages_showing_that_plan(cached_site: Site) -> None:
    """The later record's page lists the open items of the earlier plan: a change there refreshes it; a change in
    the later plan leaves the earlier record's and plan's pages cached."""
    first_record, first_plan, first_item = _planned(cached_site)
    second_record, second_plan, second_item = _planned(cached_site)
    pages = [f"/one-on-ones/{first_record}", f"/action-plans/{first_plan}", f"/one-on-ones/{second_record}"]
    for path in [*pages, f"/action-plans/{second_plan}"]:
        _cached(cached_site, "A1", path)
    form = {"status": "doing", "note": "見積を送った"}
    assert cached_site.as_("A1").post(f"/action-items/{second_item}/progress", data=form).status_code == 303
    assert _get(cached_site, "A1", f"/action-plans/{second_plan}")[2] > 0
    assert _get(cached_site, "A1", f"/one-on-ones/{second_record}")[2] > 0
    assert [_get(cached_site, "A1", path)[2] for path in pages[:2]] == [0, 0]
    title = "前回の宿題を片付ける"
    edit = {"title": title, "due_date": "2026-12-04", "success_metric": "完了する", "steps": "やる"}
    assert cached_site.as_("A1").post(f"/action-items/{first_item}", data=edit).status_code == 303
    for path in pages:
        status, body, statements = _get(cached_site, "A1", path)
        assert (status, statements > 0, title in body) == (200, True, True), path


def test_the_page_after_a_post_is_the_page_seen_later_with_its_notice(cached_site: Site) -> None:
    """The redirect's ``?notice=saved`` page is kept as the plain page: seen again without the notice, it costs
    no query; the notice appears only where it was asked for, also when served from the cache."""
    _record_id, plan_id, item_id = _planned(cached_site)
    form = {"status": "doing", "note": "見積を送った"}
    response = cached_site.as_("A1").post(f"/action-items/{item_id}/progress", data=form)
    assert response.headers["location"] == f"/action-plans/{plan_id}?notice=saved#item-{item_id}"
    notice = '<p class="notice" role="status">保存しました。</p>'
    status, after_post, statements = _get(cached_site, "A1", f"/action-plans/{plan_id}?notice=saved")
    assert (status, statements > 0, notice in after_post) == (200, True, True)
    status, later, statements = _get(cached_site, "A1", f"/action-plans/{plan_id}")
    assert (status, statements, notice in later, "page-notice" in later) == (200, 0, False, False)
    assert later == after_post.replace(notice, "")
    for query, shown in [("?notice=saved", True), ("?notice=<b>x</b>", False), ("?notice=", False)]:
        status, body, statements = _get(cached_site, "A1", f"/action-plans/{plan_id}{query}")
        assert (status, statements, notice in body, "<b>x" in body) == (200, 0, shown, False), query


def test_a_stored_page_is_served_without_waiting_at_the_admission_gate(cached_site: Site) -> None:
    """Hits need no connection: they never queue behind the pages being rendered. Here the gate refuses
    everyone: a page not yet kept fails at it, a kept one is served."""
    record_id, plan_id, _item_id = _planned(cached_site)
    _cached(cached_site, "A1", f"/action-plans/{plan_id}")

    class ClosedGate:
        async def __aenter__(self) -> None:
            raise RuntimeError("waited at the admission gate")

        async def __aexit__(self, *_exc: object) -> None:
            return None

    layer: Any = cached_site.app.middleware_stack
    while not isinstance(layer, AdmissionMiddleware):
        layer = layer.app
    layer.gate = ClosedGate()
    assert _get(cached_site, "A1", f"/action-plans/{plan_id}")[:3:2] == (200, 0)
    with pytest.raises(RuntimeError, match="admission gate"):
        cached_site.as_("A1").get(f"/one-on-ones/{record_id}?tab=never-seen")


def _round_trips(cache: RedisCache, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The commands this cache sends from now on, one item per round trip (a pipeline's commands joined by +)."""
    sent: list[str] = []
    client = cache._client
    execute, pipeline = client.execute_command, client.pipeline

    def counted(*args: Any, **options: Any) -> Any:
        sent.append(str(args[0]))
        return execute(*args, **options)

    def counted_pipeline(*args: Any, **options: Any) -> Any:
        pipe = pipeline(*args, **options)
        run = pipe.execute

        def counted_run(*run_args: Any, **run_options: Any) -> Any:
            sent.append("+".join(str(command[0][0]) for command in pipe.command_stack))
            return run(*run_args, **run_options)

        pipe.execute = counted_run  # type: ignore[method-assign]
        return pipe

    monkeypatch.setattr(client, "execute_command", counted)
    monkeypatch.setattr(client, "pipeline", counted_pipeline)
    return sent


def test_a_page_on_redis_costs_one_round_trip_to_serve_and_two_to_render(
    cached_site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A hit on a page this process stored: the session's entry and the page's counters in one MGET (the page is
    held in the process). A render: that MGET, with the counters of who the viewer is and, for a page seen before,
    the counters it showed, then the page's SET (the session's entry is not read again). A page another process
    stored comes from Redis with its expiry, its counters in one more MGET, and is then held here too."""
    cache = cached_site.app.state.cache
    if not isinstance(cache, RedisCache):
        pytest.skip("round trips are Redis's: the per-process cache has none")
    record_id, plan_id, item_id = _planned(cached_site)
    for path in ("/home", f"/action-plans/{plan_id}", f"/one-on-ones/{record_id}"):
        _cached(cached_site, "A1", path)
    sent = _round_trips(cache, monkeypatch)
    assert _get(cached_site, "A1", "/home")[::2] == (200, 0)
    assert sent == ["MGET"]
    form = {"status": "doing", "note": "見積を送った"}
    assert cached_site.as_("A1").post(f"/action-items/{item_id}/progress", data=form).status_code == 303
    for path in (f"/action-plans/{plan_id}", f"/one-on-ones/{record_id}", "/home"):
        sent.clear()
        status, _body, statements = _get(cached_site, "A1", path)
        assert (status, statements > 0, sent) == (200, True, ["MGET", "SET"]), path
    cache._near.clear()  # as in another web process
    sent.clear()
    assert _get(cached_site, "A1", "/home")[::2] == (200, 0)
    assert sent == ["MGET+PTTL", "MGET"]
    sent.clear()
    assert _get(cached_site, "A1", "/home")[::2] == (200, 0)
    assert sent == ["MGET"]
