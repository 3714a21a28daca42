"""The chat of the dialogue page streams through the JSON API with the browser's session cookie and CSRF header."""

from __future__ import annotations

from tests.web.browsing import Site


def test_a_cookie_session_streams_the_whole_reply(site: Site) -> None:
    record_id = site.analysed_record()
    browser = site.as_("A1")
    dialogue_id = int(browser.post(f"/one-on-ones/{record_id}/dialogue").headers["location"].rsplit("/", 1)[1])
    response = browser.client.post(
        f"/api/v1/dialogues/{dialogue_id}/messages?stream=1",
        json={"content": "次の商談で予算をきちんと聞けるようになりたいです"},
        headers={"X-CSRF-Token": browser.csrf},
    )
    assert response.status_code == 200
    assert "event: delta" in response.text
    assert "event: done" in response.text
