"""What every page shares: Japanese error pages, the login redirect, the strict CSP, the vendored libraries."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from sales_growth.coaching.models import Dialogue
from sales_growth.web.templating import STATIC_DIR
from tests.personas import PERSONA_TREE
from tests.web.browsing import Site, assert_no_inline_code, counted_queries

PAGES = {
    "member": ["/home", "/one-on-ones", "/one-on-ones/new"],
    "manager": ["/team", "/one-on-ones", "/one-on-ones/new", "/home"],
    "admin": [
        "/admin/users",
        "/admin/users/new",
        "/admin/users/import",
        "/admin/accounts/inactive",
        "/admin/audit",
        "/admin/status",
        "/team",
        "/one-on-ones",
    ],
}


@pytest.mark.parametrize("persona", sorted(PERSONA_TREE))
def test_every_page_is_japanese_with_no_inline_code_and_a_strict_csp(site: Site, persona: str) -> None:
    site.analysed_record()
    role = site.personas.users[persona].role
    for path in PAGES[role]:
        response = site.as_(persona).get(path)
        assert response.status_code == 200, path
        assert '<html lang="ja">' in response.text
        assert "script-src 'self'" in response.headers["content-security-policy"]
        assert "unsafe-inline" not in response.headers["content-security-policy"]
        assert_no_inline_code(response.text)
        assert site.personas.users[persona].name in response.text  # the header


def test_a_page_without_login_redirects_to_the_login_page(site: Site) -> None:
    client = TestClient(site.app, follow_redirects=False)
    response = client.get("/one-on-ones?member_id=3")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fone-on-ones%3Fmember_id%3D3"


def test_an_htmx_request_without_login_redirects_the_whole_page(site: Site) -> None:
    client = TestClient(site.app, follow_redirects=False)
    headers = {"HX-Request": "true", "HX-Current-URL": "http://testserver/one-on-ones/1"}
    response = client.get("/one-on-ones/1/analysis", headers=headers)
    assert response.headers["hx-redirect"] == "/login?next=%2Fone-on-ones%2F1"


def test_pages_stay_within_their_query_budgets(site: Site) -> None:
    """Fixed numbers of statements per page, whatever the data (the list, record, home and team pages are also
    checked against more data in their own tests)."""
    from tests.coaching.test_pages import _planned

    _record_id, plan_id = _planned(site, ["次は予算を聞きます", "以上です"])
    dialogue_id = site.session.scalar(select(Dialogue.id))
    budgets = {
        ("A1", f"/action-plans/{plan_id}"): 12,
        ("A1", f"/dialogues/{dialogue_id}"): 10,
        ("M1", f"/members/{site.personas.id('A1')}"): 18,
        ("admin", "/admin/users"): 6,
        ("admin", "/admin/audit"): 6,
        ("admin", "/admin/status"): 12,
        ("admin", "/admin/accounts/inactive"): 5,
    }
    for (persona, path), budget in budgets.items():
        site.as_(persona).get(path)
        with counted_queries(site.app) as statements:
            assert site.as_(persona).get(path).status_code == 200
        assert len(statements) <= budget, (path, len(statements))


def test_an_unknown_page_is_a_japanese_404_page_and_the_api_keeps_json(site: Site) -> None:
    page = site.as_("A1").get("/no-such-page")
    assert page.status_code == 404
    assert "ページが見つかりません" in page.text
    assert page.headers["content-type"].startswith("text/html")
    api = site.as_("A1").get("/api/v1/no-such-thing")
    assert api.status_code == 404
    assert api.json()["error"]["message"] == "見つかりません。"


def test_an_unexpected_error_is_a_japanese_page_without_a_trace(site: Site) -> None:
    def boom() -> None:
        raise RuntimeError("secret internals")

    site.app.add_api_route("/boom", boom)
    client = TestClient(site.app, raise_server_exceptions=False)
    response = client.get("/boom")
    assert response.status_code == 500
    assert "サーバーで問題が発生しました" in response.text
    assert "secret internals" not in response.text
    assert "Traceback" not in response.text


def test_bad_query_values_on_a_page_are_a_japanese_page(site: Site) -> None:
    response = site.as_("admin").get("/admin/users?page=abc")
    assert response.status_code == 422
    assert "入力内容に誤りがあります" in response.text


def test_the_vendored_libraries_are_served_with_their_licences(site: Site) -> None:
    client = site.as_("A1").client
    for path in ("/static/vendor/htmx/htmx.min.js", "/static/vendor/uplot/uPlot.iife.min.js", "/static/js/app.js"):
        assert client.get(path).status_code == 200
    assert (STATIC_DIR / "vendor/htmx/LICENSE").read_text().startswith("Zero-Clause BSD")
    assert "MIT" in (STATIC_DIR / "vendor/uplot/LICENSE").read_text()


def test_htmx_sends_the_csrf_token_and_runs_no_eval(site: Site) -> None:
    html = site.as_("A1").get("/home").text
    assert f'hx-headers=\'{{"X-CSRF-Token": "{site.as_("A1").csrf}"}}\'' in html
    assert '"allowEval": false' in html
    assert '"includeIndicatorStyles": false' in html


def test_an_htmx_post_with_the_header_token_is_accepted(site: Site) -> None:
    record_id = site.analysed_record()
    browser = site.as_("A1")
    headers = {"HX-Request": "true", "X-CSRF-Token": browser.csrf}
    response = browser.client.post(f"/one-on-ones/{record_id}/reanalyse", headers=headers)
    assert response.status_code == 303
    refused = browser.client.post(f"/one-on-ones/{record_id}/reanalyse", headers={"HX-Request": "true"})
    assert refused.status_code == 403


def test_an_announced_maintenance_is_a_banner_on_every_page(site: Site) -> None:
    from datetime import timedelta

    from sales_growth.db import utcnow
    from sales_growth.ops import maintenance

    start = utcnow() + timedelta(days=1)
    maintenance.announce(site.session, start=start, end=start + timedelta(hours=2), message="サーバーの更新")
    site.session.commit()
    html = site.as_("A1").get("/home").text
    assert re.search(r'<aside class="banner" role="status">メンテナンスのお知らせ: [^<]*サーバーの更新</aside>', html)


def test_no_page_shares_a_path_with_the_api() -> None:
    """The pages' routers come first (most requests are page views and routing tries routes in order): that only
    keeps every API route reachable while no page route matches an API path."""
    import importlib

    def paths(module: str) -> set[str]:
        return {route.path for route in importlib.import_module(f"sales_growth.{module}").router.routes}

    features = ("accounts", "one_on_ones", "coaching", "feedback", "ops")
    pages = set().union(*(paths(f"{feature}.pages") for feature in features))
    api = set().union(*(paths(f"{feature}.api") for feature in features), paths("ops.audit_api"))
    assert len(pages) > 20
    assert len(api) > 20
    assert not {p for p in pages if p.startswith("/api/")}, "a page under /api/"
    assert not pages & api
    assert {p for p in api if not p.startswith("/api/v1/")} == {"/health", "/metrics"}
