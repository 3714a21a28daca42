"""Every main page on a 375 px phone without sideways scrolling, and a visible focus for keyboard users."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import LiveApp, log_in, screenshot

pytestmark = pytest.mark.slow

PHONE_PAGES = {
    "member": ["/home", "/one-on-ones", "/one-on-ones/new"],
    "manager": ["/team", "/members/{member}", "/one-on-ones"],
    "admin": ["/admin/users", "/admin/audit", "/admin/status", "/admin/accounts/inactive", "/admin/users/import"],
}


def _overflow(page: Any) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth"))


@pytest.mark.parametrize("role", sorted(PHONE_PAGES))
def test_the_pages_fit_a_375px_screen(new_page: Any, live_app: LiveApp, role: str) -> None:
    page = new_page(width=375, height=812)
    log_in(page, live_app, role)
    for path in PHONE_PAGES[role]:
        page.goto(path.format(member=live_app.id("member")))
        assert _overflow(page) <= 0, f"{path} scrolls sideways by {_overflow(page)} px"
    page.goto(PHONE_PAGES[role][0].format(member=live_app.id("member")))
    screenshot(page, f"phone-{role}")


def test_the_record_page_fits_a_375px_screen(new_page: Any, live_app: LiveApp) -> None:
    page = new_page(width=375, height=812)
    log_in(page, live_app, "member")
    page.goto("/one-on-ones")
    page.locator("tbody a").first.click()
    page.get_by_role("heading", name="要約").wait_for()
    assert _overflow(page) <= 0
    screenshot(page, "phone-record")


def _focus_ring(page: Any) -> dict[str, str]:
    return dict(
        page.evaluate(
            """() => { const s = getComputedStyle(document.activeElement);
                 return {tag: document.activeElement.tagName, text: document.activeElement.textContent.trim(),
                         style: s.outlineStyle, width: s.outlineWidth}; }"""
        )
    )


def test_keyboard_focus_is_visible_from_the_skip_link_to_the_login_button(new_page: Any, live_app: LiveApp) -> None:
    page = new_page()
    page.goto("/login")
    page.keyboard.press("Tab")
    ring = _focus_ring(page)
    assert ring["text"] == "本文へ移動"
    assert page.get_by_role("link", name="本文へ移動").is_visible()
    seen = []
    while ring["text"] != "ログイン" and len(seen) < 10:
        ring = _focus_ring(page)
        assert ring["style"] != "none", ring
        assert float(ring["width"].removesuffix("px")) >= 2, ring
        seen.append(ring["tag"])
        page.keyboard.press("Tab")
    assert seen == ["A", "A", "INPUT", "INPUT", "BUTTON"]
    page.keyboard.press("Shift+Tab")
    screenshot(page, "focus", full_page=False)


def test_a_member_can_log_in_and_record_with_the_keyboard_alone(new_page: Any, live_app: LiveApp) -> None:
    page = new_page()
    page.goto("/login")
    page.get_by_label("メールアドレス").focus()
    page.keyboard.type(live_app.email("member"))
    page.keyboard.press("Tab")
    page.keyboard.type("browser-test-42")
    page.keyboard.press("Enter")
    page.wait_for_url("**/home")
    page.goto("/one-on-ones/new")
    page.get_by_label("内容").focus()
    page.keyboard.type("新人：予算の確認を忘れてしまいました。")
    for _ in range(20):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == "保存して分析":
            break
    assert page.evaluate("document.activeElement.textContent.trim()") == "保存して分析"
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="要約").wait_for(timeout=20_000)
