"""The pages of 1on1 records: the form 「1on1を記録」, the list, and the record page with its live analysis."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select, update

from sales_growth.one_on_ones.models import Analysis, AnalysisStatus
from tests.personas import PERSONA_TREE
from tests.web.browsing import RECORD, Site, assert_no_inline_code, counted_queries


def test_the_form_has_the_labels_of_the_issue(site: Site) -> None:
    html = site.as_("M1").get("/one-on-ones/new").text
    for label in ("メンバー", "実施日", "内容", "ファイル", "保存して分析"):
        assert label in html
    for field in ('for="member_id"', 'for="held_on"', 'for="content"', 'for="file"', 'type="file"'):
        assert field in html
    assert_no_inline_code(html)


def test_the_member_select_offers_only_whom_the_user_may_record_for(site: Site) -> None:
    html = site.as_("M1").get("/one-on-ones/new").text
    options = set(re.findall(r'<option value="(\d+)"', html))
    assert options == {str(site.personas.id("A1")), str(site.personas.id("A2"))}


def test_a_member_records_for_themself_only(site: Site) -> None:
    html = site.as_("A1").get("/one-on-ones/new").text
    assert set(re.findall(r'<option value="(\d+)"', html)) == {str(site.personas.id("A1"))}


def test_saving_goes_to_the_record_page_with_the_analysis_running(site: Site) -> None:
    record_id = site.record("M1", "A1")
    html = site.as_("M1").get(f"/one-on-ones/{record_id}").text
    assert "分析中です" in html
    assert "順番待ち" in html
    assert f'hx-get="/one-on-ones/{record_id}/analysis"' in html
    assert 'hx-trigger="every 1s"' in html
    assert "<progress" in html


def test_an_uploaded_file_is_the_record(site: Site) -> None:
    files = {"file": ("memo.txt", RECORD.encode("cp932"), "text/plain")}
    data = {"member_id": str(site.personas.id("A1")), "held_on": "2026-11-26", "content": ""}
    response = site.as_("M1").post("/one-on-ones/new", data=data, files=files)
    assert response.status_code == 303
    html = site.as_("M1").get(response.headers["location"]).text
    assert "予算の確認を忘れてしまいました" in html
    assert "memo.txt" in html


def test_a_form_without_content_comes_back_with_a_japanese_message_and_the_input(site: Site) -> None:
    data = {"member_id": str(site.personas.id("A1")), "held_on": "2026-11-26", "title": "商談の振り返り"}
    response = site.as_("M1").post("/one-on-ones/new", data=data)
    assert response.status_code == 422
    assert "内容を貼り付けるか、ファイルを選んでください。" in response.text
    assert 'value="商談の振り返り"' in response.text


def test_a_file_of_the_wrong_kind_is_refused_with_the_reason(site: Site) -> None:
    files = {"file": ("memo.pdf", b"%PDF-1.4", "application/pdf")}
    data = {"member_id": str(site.personas.id("A1")), "held_on": "2026-11-26"}
    response = site.as_("M1").post("/one-on-ones/new", data=data, files=files)
    assert response.status_code == 422
    assert 'role="alert"' in response.text


def test_recording_for_someone_outside_the_team_is_refused(site: Site) -> None:
    data = {"member_id": str(site.personas.id("B1")), "held_on": "2026-11-26", "content": RECORD}
    response = site.as_("M1").post("/one-on-ones/new", data=data)
    assert response.status_code == 404
    assert "メンバーが見つかりません。" in response.text


def test_the_finished_analysis_shows_its_headings_skills_and_highlighted_evidence(site: Site) -> None:
    record_id = site.analysed_record()
    html = site.as_("M1").get(f"/one-on-ones/{record_id}").text
    for heading in ("<h2>要約</h2>", "<h2>キーワード</h2>", "<h2>強み</h2>", "<h2>課題</h2>"):
        assert heading in html
    assert "ヒアリング・質問力" in html
    assert re.search(r'<mark id="evidence-\d+" class="mark--challenge">[^<]*(?:予算|決裁者)', html)
    assert "hx-trigger" not in html  # finished: the polling stops
    assert_no_inline_code(html)


def test_the_polled_fragment_is_the_panel_alone(site: Site) -> None:
    record_id = site.record("M1", "A1")
    running = site.as_("A1").get(f"/one-on-ones/{record_id}/analysis").text
    assert running.lstrip().startswith('<section id="analysis"')
    assert "hx-trigger" in running
    site.analyse(record_id)
    done = site.as_("A1").get(f"/one-on-ones/{record_id}/analysis").text
    assert "<h2>要約</h2>" in done
    assert "hx-trigger" not in done
    assert "<html" not in done


def test_a_script_in_a_record_is_shown_as_text(site: Site) -> None:
    content = RECORD + '新人：<script>alert("x")</script> と書いてみました。\n'
    record_id = site.record("M1", "A1", content=content)
    site.analyse(record_id)
    html = site.as_("A1").get(f"/one-on-ones/{record_id}").text
    assert '<script>alert("x")</script>' not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html


def test_a_failed_analysis_gives_the_reason_and_a_retry_button(site: Site) -> None:
    record_id = site.record("M1", "A1")
    site.session.execute(
        update(Analysis)
        .where(Analysis.one_on_one_id == record_id)
        .values(status=AnalysisStatus.FAILED, stage="failed", error="分析に失敗しました（3回試行）。原因: テスト")
    )
    site.session.commit()
    html = site.as_("A1").get(f"/one-on-ones/{record_id}").text
    assert "分析に失敗しました（3回試行）。原因: テスト" in html
    assert f'action="/one-on-ones/{record_id}/reanalyse"' in html
    assert "再分析" in html


def test_reanalysing_starts_a_new_run(site: Site) -> None:
    record_id = site.analysed_record()
    response = site.as_("M1").post(f"/one-on-ones/{record_id}/reanalyse")
    assert response.status_code == 303
    runs = site.session.scalars(select(Analysis).where(Analysis.one_on_one_id == record_id).order_by(Analysis.id)).all()
    assert [r.status for r in runs] == ["succeeded", "queued"]
    html = site.as_("M1").get(response.headers["location"]).text
    assert "再分析を始めました" in html
    assert "分析の履歴（2回）" in html


def test_before_a_plan_the_page_says_how_one_comes(site: Site) -> None:
    record_id = site.analysed_record()
    html = site.as_("A1").get(f"/one-on-ones/{record_id}").text
    assert "対話セッションを完了するとアクションプランが表示されます" in html
    assert "対話セッションを始める" in html
    assert "対話セッションを始める" not in site.as_("M1").get(f"/one-on-ones/{record_id}").text


def test_a_form_post_without_the_csrf_token_is_refused(site: Site) -> None:
    data = {"member_id": str(site.personas.id("A1")), "held_on": "2026-11-26", "content": RECORD}
    response = site.as_("M1").client.post("/one-on-ones/new", data=data)
    assert response.status_code == 403
    assert "不正な送信" in response.text


VISIBLE_TO = {"A1", "M1", "M0", "admin"}


@pytest.mark.parametrize("persona", sorted(PERSONA_TREE))
def test_a_record_page_is_404_for_whoever_may_not_see_it(site: Site, persona: str) -> None:
    record_id = site.record("M1", "A1")
    for path in (f"/one-on-ones/{record_id}", f"/one-on-ones/{record_id}/analysis"):
        response = site.as_(persona).get(path)
        if persona in VISIBLE_TO:
            assert response.status_code == 200
        else:
            assert response.status_code == 404
            assert "1on1の記録が見つかりません。" in response.text
            assert response.headers["content-type"].startswith("text/html")


def test_the_list_shows_only_visible_records(site: Site) -> None:
    site.record("M1", "A1", content=RECORD.replace("青葉電機", "赤坂商事"))
    site.record("M2", "B1")
    html = site.as_("M1").get("/one-on-ones").text
    assert "1件" in html
    assert site.personas.users["A1"].name in html
    assert site.personas.users["B1"].name not in html


def test_the_list_costs_the_same_queries_for_one_record_or_many(site: Site) -> None:
    site.record("M1", "A1")
    browser = site.as_("M0")
    browser.get("/one-on-ones")
    with counted_queries(site.app) as few:
        browser.get("/one-on-ones")
    for member in ("A1", "A2", "A1", "A2"):
        site.record("M1", member)
    with counted_queries(site.app) as many:
        browser.get("/one-on-ones")
    assert len(many) == len(few) <= 8, (len(few), len(many))


def test_the_record_page_costs_the_same_queries_whatever_its_findings(site: Site) -> None:
    short = site.analysed_record(content="新人：予算の確認を忘れてしまいました。\n")
    long = site.analysed_record(content=RECORD * 3)
    browser = site.as_("A1")
    browser.get(f"/one-on-ones/{short}")
    with counted_queries(site.app) as few:
        browser.get(f"/one-on-ones/{short}")
    with counted_queries(site.app) as many:
        browser.get(f"/one-on-ones/{long}")
    assert len(many) == len(few) <= 14, (len(few), len(many))
