"""The coaching pages: the dialogue to a plan, the plan's agreement, edits, progress and comments, the member's
home, the team page with its heat map, and the member page."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from sales_growth.coaching import growth
from sales_growth.coaching.models import ActionPlan, ActionPlanItem, Dialogue
from tests.coaching.flows import FLOW
from tests.personas import PERSONA_TREE
from tests.web.browsing import Site, assert_no_inline_code, counted_queries


def _dialogue(site: Site, record_id: int) -> int:
    response = site.as_("A1").post(f"/one-on-ones/{record_id}/dialogue")
    assert response.status_code == 303
    return int(response.headers["location"].rsplit("/", 1)[1])


def _planned(site: Site, messages: list[str] = FLOW) -> tuple[int, int]:
    """A1's analysed record, a dialogue through ``messages`` in the page's form, completed; (record, plan) ids."""
    record_id = site.analysed_record()
    dialogue_id = _dialogue(site, record_id)
    for message in messages:
        assert site.as_("A1").post(f"/dialogues/{dialogue_id}/messages", data={"content": message}).status_code == 303
    response = site.as_("A1").post(f"/dialogues/{dialogue_id}/complete")
    assert response.status_code == 303
    return record_id, int(response.headers["location"].split("/")[-1].split("?")[0])


def test_the_dialogue_page_opens_with_the_coach_and_a_labelled_message_box(site: Site) -> None:
    dialogue_id = _dialogue(site, site.analysed_record())
    html = site.as_("A1").get(f"/dialogues/{dialogue_id}").text
    assert "chat__message--coach" in html
    assert '<label for="chat-input">メッセージ</label>' in html
    assert 'src="/static/js/chat.js"' in html
    assert "対話を完了して行動計画を作る" in html
    assert_no_inline_code(html)


def test_a_message_without_javascript_gets_the_coach_reply(site: Site) -> None:
    dialogue_id = _dialogue(site, site.analysed_record())
    site.as_("A1").post(f"/dialogues/{dialogue_id}/messages", data={"content": FLOW[0]})
    html = site.as_("A1").get(f"/dialogues/{dialogue_id}").text
    assert FLOW[0] in html
    assert html.count("chat__message--coach") == 2


def test_the_dialogue_leads_to_a_draft_plan_the_member_agrees_to(site: Site) -> None:
    record_id, plan_id = _planned(site)
    html = site.as_("A1").get(f"/action-plans/{plan_id}").text
    assert "下書き" in html
    assert "この計画に合意する" in html
    assert "田中部長" in html  # the member's own commitment
    site.as_("A1").post(f"/action-plans/{plan_id}/agree")
    agreed = site.as_("A1").get(f"/action-plans/{plan_id}").text
    assert "合意済み" in agreed
    assert "進捗を保存" in agreed
    assert (
        "対話セッションを完了するとアクションプランが表示されます"
        not in site.as_("A1").get(f"/one-on-ones/{record_id}").text
    )


def test_the_member_updates_progress_and_edits_an_item(site: Site) -> None:
    _record_id, plan_id = _planned(site)
    site.as_("A1").post(f"/action-plans/{plan_id}/agree")
    item_id = site.session.scalar(select(ActionPlanItem.id).where(ActionPlanItem.plan_id == plan_id).limit(1))
    site.as_("A1").post(f"/action-items/{item_id}/progress", data={"status": "doing", "note": "電話は明日の朝"})
    form = {
        "title": "田中部長に予算を確認する",
        "due_date": "2026-12-04",
        "success_metric": "予算額を聞く",
        "steps": "電話する\n課長に報告する",
    }
    assert site.as_("A1").post(f"/action-items/{item_id}", data=form).status_code == 303
    site.session.expire_all()
    item = site.session.get(ActionPlanItem, item_id)
    assert item is not None
    assert (item.status, item.note, item.title, item.steps) == (
        "doing",
        "電話は明日の朝",
        "田中部長に予算を確認する",
        ["電話する", "課長に報告する"],
    )


def test_an_invalid_progress_is_a_japanese_error_page(site: Site) -> None:
    _record_id, plan_id = _planned(site)
    item_id = site.session.scalar(select(ActionPlanItem.id).where(ActionPlanItem.plan_id == plan_id).limit(1))
    response = site.as_("A1").post(f"/action-items/{item_id}/progress", data={"status": "finished"})
    assert response.status_code == 422
    assert "「未着手」「進行中」「完了」から選んでください" in response.text


def test_the_manager_comments_and_the_member_reads_it(site: Site) -> None:
    _record_id, plan_id = _planned(site)
    item_id = site.session.scalar(select(ActionPlanItem.id).where(ActionPlanItem.plan_id == plan_id).limit(1))
    manager_view = site.as_("M1").get(f"/action-plans/{plan_id}").text
    assert "コメントを書く" in manager_view
    assert "進捗を保存" not in manager_view
    assert "内容を編集する" not in manager_view
    site.as_("M1").post(f"/action-items/{item_id}/comments", data={"body": "いいですね。<b>応援</b>しています"})
    member_view = site.as_("A1").get(f"/action-plans/{plan_id}").text
    assert "いいですね。&lt;b&gt;応援&lt;/b&gt;しています" in member_view
    assert site.personas.users["M1"].name in member_view


@pytest.mark.parametrize("persona", sorted(PERSONA_TREE))
def test_the_dialogue_page_is_the_members_alone(site: Site, persona: str) -> None:
    dialogue_id = _dialogue(site, site.analysed_record())
    response = site.as_(persona).get(f"/dialogues/{dialogue_id}")
    if persona == "A1":
        assert "chat__message" in response.text
    elif persona == "admin":
        assert response.status_code == 200
        assert "chat__message" not in response.text
        assert "対話の内容は本人だけが読めます。" in response.text
    else:
        assert response.status_code == 404


PLAN_VISIBLE_TO = {"A1", "M1", "M0", "admin"}


@pytest.mark.parametrize("persona", sorted(PERSONA_TREE))
def test_a_plan_page_is_404_for_whoever_may_not_see_it(site: Site, persona: str) -> None:
    _record_id, plan_id = _planned(site, FLOW[:3])
    response = site.as_(persona).get(f"/action-plans/{plan_id}")
    assert response.status_code == (200 if persona in PLAN_VISIBLE_TO else 404)


def test_the_home_shows_the_latest_analysis_open_actions_and_growth(site: Site) -> None:
    _planned(site)
    html = site.as_("A1").get("/home").text
    assert "最新の分析" in html
    assert "未完了の行動" in html
    assert "田中部長" in html
    data = re.search(r'<script type="application/json" id="growth-data">(.*?)</script>', html, re.S)
    assert data is not None
    growth = json.loads(data.group(1))
    assert growth["labels"]["hearing"] == "ヒアリング・質問力"
    assert growth["skills"]["hearing"][0][0] == "2026-11-26"
    assert 'src="/static/js/growth.js"' in html
    assert_no_inline_code(html)


def test_the_team_page_lists_members_and_a_heat_map_of_challenges(site: Site) -> None:
    site.analysed_record(member="A1")
    site.analysed_record(member="A2")
    html = site.as_("M1").get("/team").text
    assert site.personas.users["A1"].name in html
    assert site.personas.users["A2"].name in html
    assert site.personas.users["B1"].name not in html
    assert "課題のヒートマップ" in html
    assert re.search(r'<td class="heat-[1-4]">[1-9]</td>', html)
    assert "2026年11月26日" in html


def test_the_team_page_is_for_managers_and_admins(site: Site) -> None:
    response = site.as_("A1").get("/team")
    assert response.status_code == 403
    assert "チームの状況を見られるのは上司と管理者です。" in response.text


MEMBER_VISIBLE_TO = {"A1", "M1", "M0", "admin"}


@pytest.mark.parametrize("persona", sorted(PERSONA_TREE))
def test_a_member_page_is_404_for_whoever_may_not_see_them(site: Site, persona: str) -> None:
    response = site.as_(persona).get(f"/members/{site.personas.id('A1')}")
    assert response.status_code == (200 if persona in MEMBER_VISIBLE_TO else 404)


def test_the_member_page_shows_growth_history_and_plans(site: Site) -> None:
    _planned(site)
    html = site.as_("M1").get(f"/members/{site.personas.id('A1')}").text
    for text in ("スキルの成長", "1on1の履歴", "行動計画", "growth-data"):
        assert text in html


def _nothing_kept(site: Site) -> None:
    """The work of a request when nothing is cached."""
    site.app.state.cache.clear()
    growth.forget_findings()


def test_home_and_team_cost_the_same_queries_for_more_data(site: Site) -> None:
    site.analysed_record(member="A1")
    member, manager = site.as_("A1"), site.as_("M0")
    member.get("/home")
    manager.get("/team")
    _nothing_kept(site)
    with counted_queries(site.app) as home_few:
        member.get("/home")
    _nothing_kept(site)
    with counted_queries(site.app) as team_few:
        manager.get("/team")
    for who in ("A1", "A2", "A1"):
        site.analysed_record(member=who)
    _nothing_kept(site)
    with counted_queries(site.app) as home_many:
        member.get("/home")
    _nothing_kept(site)
    with counted_queries(site.app) as team_many:
        manager.get("/team")
    assert len(home_many) == len(home_few) <= 12, (len(home_few), len(home_many))
    assert len(team_many) == len(team_few) <= 10, (len(team_few), len(team_many))


def test_a_plan_is_linked_to_its_dialogue(site: Site) -> None:
    _record_id, plan_id = _planned(site, FLOW[:2])
    plan = site.session.get(ActionPlan, plan_id)
    assert plan is not None
    dialogue = site.session.scalar(select(Dialogue).where(Dialogue.id == plan.dialogue_id))
    assert dialogue is not None
    assert dialogue.status == "completed"
    html = site.as_("A1").get(f"/dialogues/{dialogue.id}").text
    assert f'href="/action-plans/{plan_id}"' in html
    assert 'id="chat-form"' not in html
