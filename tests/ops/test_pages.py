"""The admin's operations pages: the audit log with its filters, and the system status with the KPIs."""

from __future__ import annotations

from sqlalchemy import select

from sales_growth.db import utcnow
from sales_growth.feedback import service as feedback
from sales_growth.feedback.schemas import RatingIn
from sales_growth.one_on_ones.models import Analysis
from sales_growth.ops.audit import record_event
from tests.web.browsing import Site, assert_no_inline_code


def test_the_audit_log_lists_events_in_japanese(site: Site) -> None:
    record_event(
        "user_created", session=site.session, actor_id=site.personas.id("admin"), target_id=site.personas.id("A1")
    )
    site.session.commit()
    html = site.as_("admin").get("/admin/audit").text
    assert "ユーザーの作成" in html
    assert "admin@example.com" in html
    assert "a1@example.com" in html
    assert_no_inline_code(html)


def test_the_audit_log_filters_by_action_actor_and_date(site: Site) -> None:
    admin, m1 = site.personas.id("admin"), site.personas.id("M1")
    record_event("user_created", session=site.session, actor_id=admin, target_id=m1)
    record_event("logout", session=site.session, actor_id=m1, target_id=m1)
    site.session.commit()
    browser = site.as_("admin")
    by_action = browser.get("/admin/audit?action=logout").text
    assert "ログアウト</td>" in by_action
    assert "ユーザーの作成</td>" not in by_action
    by_actor = browser.get("/admin/audit?actor=admin@example.com").text
    assert "ユーザーの作成</td>" in by_actor
    assert "ログアウト</td>" not in by_actor
    assert "1件" in by_actor
    unknown = browser.get("/admin/audit?actor=nobody@example.com").text
    assert "条件に合う記録はありません。" in unknown
    assert "条件に合う記録はありません。" in browser.get("/admin/audit?until=2000-01-01").text


def test_the_status_page_shows_health_queue_failures_and_the_kpis(site: Site) -> None:
    record_id = site.analysed_record()
    analysis = site.session.scalar(select(Analysis).where(Analysis.one_on_one_id == record_id))
    assert analysis is not None
    feedback.rate_analysis(site.session, site.personas.users["A1"], analysis.id, RatingIn(score=4), now=utcnow())
    site.session.commit()
    browser = site.as_("admin")
    browser.get("/home")
    html = browser.get("/admin/status").text
    for text in (
        "データベース",
        "ジョブキュー",
        "待ちジョブ",
        "失敗した分析",
        "平均応答時間",
        "エラー率",
        "利用者の満足度",
        "AIの精度",
    ):
        assert text in html
    assert "4.00 / 5" in html
    assert "100.0%" in html  # rated, nothing corrected: the reviewer agreed with every finding
    assert " ms</p>" in html


def test_status_and_audit_are_refused_to_managers(site: Site) -> None:
    for path in ("/admin/status", "/admin/audit"):
        assert site.as_("M1").get(path).status_code == 403


def test_the_request_summary_counts_server_errors_and_leaves_out_probes() -> None:
    from sales_growth.ops import metrics

    before = metrics.request_summary()
    metrics.REQUESTS.labels("/api/v1/summary-test", "GET", "500").inc()
    metrics.REQUESTS.labels("/api/v1/summary-test", "GET", "200").inc(3)
    metrics.REQUESTS.labels("/health", "GET", "503").inc(10)
    metrics.REQUEST_DURATION.labels("/api/v1/summary-test", "GET").observe(0.2)
    metrics.REQUEST_DURATION.labels("/health", "GET").observe(5.0)
    after = metrics.request_summary()
    assert after["responses"] == before["responses"] + 4
    assert after["errors"] == before["errors"] + 1
    assert after["requests"] == before["requests"] + 1
