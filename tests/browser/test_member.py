"""A member's main flows in a real browser: home, the record page, the dialogue to a plan, progress."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import LiveApp, log_in, screenshot
from tests.browser.seed import DIALOGUE, LIVE_RECORD

pytestmark = pytest.mark.slow


def test_the_login_page_says_what_went_wrong(new_page: Any, live_app: LiveApp) -> None:
    page = new_page()
    page.goto("/login")
    screenshot(page, "login")
    page.get_by_label("メールアドレス").fill(live_app.email("member"))
    page.get_by_label("パスワード").fill("wrong-password")
    page.get_by_role("button", name="ログイン").click()
    assert page.get_by_role("alert").inner_text() == "メールアドレスまたはパスワードが正しくありません。"


def test_the_home_shows_the_latest_analysis_actions_and_a_drawn_growth_chart(new_page: Any, live_app: LiveApp) -> None:
    page = new_page()
    log_in(page, live_app, "member")
    assert page.url.endswith("/home")
    assert page.get_by_role("heading", name="最新の分析").is_visible()
    page.locator("#growth-chart canvas").first.wait_for()
    assert page.locator("#growth-chart .u-legend").inner_text().count("ヒアリング") == 1
    assert page.locator("header").get_by_text(live_app.name("member")).is_visible()
    screenshot(page, "member-home")
    assert page.csp_violations == []


def test_a_member_records_their_own_1on1_and_the_analysis_appears_live(new_page: Any, live_app: LiveApp) -> None:
    page = new_page()
    log_in(page, live_app, "member")
    page.get_by_role("link", name="1on1を記録").first.click()
    assert page.get_by_label("メンバー").input_value() == str(live_app.id("member"))
    page.get_by_label("実施日").fill("2026-11-26")
    page.get_by_label("内容").fill(LIVE_RECORD)
    with live_app.worker_paused():
        page.get_by_role("button", name="保存して分析").click()
        page.wait_for_url("**/one-on-ones/*")
        status = page.get_by_role("status").filter(has_text="分析中です")
        status.wait_for()
        assert "順番待ち" in status.inner_text()
        screenshot(page, "record-running", full_page=False)
        page.evaluate("window.__notReloaded = true")
    page.get_by_role("heading", name="要約").wait_for(timeout=20_000)
    assert page.evaluate("window.__notReloaded") is True  # the panel changed in place: no reload
    for heading in ("キーワード", "強み", "課題"):
        assert page.get_by_role("heading", name=heading, exact=True).is_visible()
    assert page.locator("#record-text mark").count() >= 1
    assert page.get_by_text("ヒアリング・質問力").first.is_visible()
    assert page.get_by_text("対話セッションを完了するとアクションプランが表示されます").is_visible()
    screenshot(page, "record-analysed")
    assert page.csp_violations == []


def _planned_record(page: Any, live_app: LiveApp) -> str:
    """Log in as the member, open a fresh analysed record and walk the dialogue to a plan; the plan page's URL."""
    record_id = live_app.analysed_record(author="manager", member="member", held_on="2026-11-26", content=LIVE_RECORD)
    log_in(page, live_app, "member")
    page.goto(f"/one-on-ones/{record_id}")
    page.get_by_role("button", name="対話セッションを始める").click()
    page.wait_for_url("**/dialogues/*")
    box = page.get_by_label("メッセージ")
    page.evaluate("window.__sameDocument = true")
    for number, message in enumerate(DIALOGUE, start=1):
        box.fill(message)
        page.get_by_role("button", name="送信").click()
        # The reply streams into the page: no navigation, one more coach message each time.
        page.locator(".chat__message--coach:not(.chat__message--pending)").nth(number).wait_for()
    assert page.evaluate("window.__sameDocument") is True  # streamed by chat.js, never a form post and reload
    screenshot(page, "dialogue")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="対話を完了して行動計画を作る").click()
    page.wait_for_url("**/action-plans/*")
    return str(page.url)


def test_a_dialogue_leads_to_a_plan_the_member_agrees_to_and_updates(new_page: Any, live_app: LiveApp) -> None:
    page = new_page()
    _planned_record(page, live_app)
    assert page.get_by_text("下書き").first.is_visible()
    assert page.get_by_text("田中部長").first.is_visible()
    screenshot(page, "plan-draft")
    page.get_by_role("button", name="この計画に合意する").click()
    assert page.get_by_text("行動計画に合意しました。").is_visible()
    first = page.locator(".plan-item").first
    first.get_by_label("進捗").select_option("doing")
    first.get_by_label("メモ（任意）").fill("明日の朝に電話します")
    first.get_by_role("button", name="進捗を保存").click()
    assert page.locator(".plan-item").first.get_by_text("進行中").first.is_visible()
    assert page.get_by_text("明日の朝に電話します").first.is_visible()
    screenshot(page, "plan-agreed")
    assert page.csp_violations == []


def test_a_file_too_large_is_refused_before_it_is_sent(new_page: Any, live_app: LiveApp) -> None:
    page = new_page()
    log_in(page, live_app, "member")
    page.goto("/one-on-ones/new")
    big = {"name": "long.txt", "mimeType": "text/plain", "buffer": "あ".encode() * 400_000}
    page.get_by_label("またはファイルをアップロード").set_input_files(files=[big])
    message = page.get_by_label("またはファイルをアップロード").evaluate("input => input.validationMessage")
    assert message == "ファイルが大きすぎます。1 MB 以下にしてください。"
