"""A manager's main flows in a real browser: the team page and its heat map, a member's page, recording a 1on1
from a file, and comments on a member's plan."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import LiveApp, log_in, screenshot
from tests.browser.seed import DIALOGUE, LIVE_RECORD

pytestmark = pytest.mark.slow


def test_the_team_page_shows_each_member_and_the_heat_map(new_page: Any, live_app: LiveApp) -> None:
    page = new_page()
    log_in(page, live_app, "manager")
    assert page.url.endswith("/team")
    table = page.locator(".team-table")
    for key in ("member", "member2", "member3"):
        assert table.get_by_role("link", name=live_app.name(key)).is_visible()
    heat = page.locator("table.heatmap")
    rows = heat.locator("tbody tr").count()
    assert rows >= 3
    assert heat.locator("td[class^='heat-']").count() == rows * 10
    assert heat.locator("td.heat-4").count() >= 1
    screenshot(page, "manager-team")
    assert page.csp_violations == []


def test_the_member_page_shows_growth_and_history(new_page: Any, live_app: LiveApp) -> None:
    page = new_page()
    log_in(page, live_app, "manager")
    page.get_by_role("link", name=live_app.name("member2")).first.click()
    page.wait_for_url(f"**/members/{live_app.id('member2')}")
    page.locator("#growth-chart canvas").first.wait_for()
    assert page.get_by_role("heading", name="1on1の履歴").is_visible()
    screenshot(page, "manager-member")


def test_the_manager_records_a_1on1_from_a_file(new_page: Any, live_app: LiveApp, tmp_path: Path) -> None:
    transcript = tmp_path / "meeting.vtt"
    transcript.write_text(
        "WEBVTT\n\n00:00:01.000 --> 00:00:05.000\n<v 佐藤>今週の商談はどうだった？\n\n"
        "00:00:06.000 --> 00:00:12.000\n<v 田中>提案はできたんですが、次のアポを取らずに帰ってきてしまいました。\n",
        encoding="utf-8",
    )
    page = new_page()
    log_in(page, live_app, "manager")
    page.goto("/one-on-ones/new")
    page.get_by_label("メンバー").select_option(str(live_app.id("member2")))
    page.get_by_label("実施日").fill("2026-11-27")
    page.get_by_label("またはファイルをアップロード").set_input_files(str(transcript))
    screenshot(page, "record-form")
    page.get_by_role("button", name="保存して分析").click()
    page.get_by_role("heading", name="要約").wait_for(timeout=20_000)
    assert page.get_by_text("meeting.vtt").is_visible()
    assert page.get_by_text("次のアポを取らずに帰ってきてしまいました").first.is_visible()


def test_the_manager_comments_on_a_members_action_item(new_page: Any, live_app: LiveApp) -> None:
    record_id = live_app.analysed_record(author="manager", member="member3", held_on="2026-11-26", content=LIVE_RECORD)
    dialogue = live_app.api("POST", f"/api/v1/one-on-ones/{record_id}/dialogue", "member3")
    for message in DIALOGUE:
        live_app.api("POST", f"/api/v1/dialogues/{dialogue['id']}/messages", "member3", json={"content": message})
    plan = live_app.api("POST", f"/api/v1/dialogues/{dialogue['id']}/complete", "member3")
    live_app.api("POST", f"/api/v1/action-plans/{plan['id']}/agree", "member3")
    page = new_page()
    log_in(page, live_app, "manager")
    page.goto(f"/action-plans/{plan['id']}")
    assert page.get_by_role("button", name="進捗を保存").count() == 0  # the plan is the member's to change
    first = page.locator(".plan-item").first
    first.get_by_label("コメントを書く").fill("田中部長への電話、応援しています！")
    first.get_by_role("button", name="コメントを送る").click()
    assert page.get_by_text("コメントを送りました。").is_visible()
    assert page.locator(".comments").first.get_by_text("田中部長への電話、応援しています！").is_visible()
    screenshot(page, "manager-comment")
