"""Ratings and corrections over the API and the pages, who may give them, and the two KPIs they feed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from sales_growth.db import utcnow
from sales_growth.feedback import service
from sales_growth.feedback.models import FindingCorrection, Rating
from sales_growth.one_on_ones.models import Analysis
from tests.personas import PERSONA_TREE
from tests.web.browsing import Site

VISIBLE_TO = {"A1", "M1", "M0", "admin"}
CORRECTORS = {"A1", "M1", "M0"}


def _analysis(site: Site, record_id: int) -> Analysis:
    site.session.expire_all()
    analysis = site.session.scalar(select(Analysis).where(Analysis.one_on_one_id == record_id))
    assert analysis is not None
    return analysis


def _findings(analysis: Analysis) -> list[dict[str, object]]:
    assert analysis.result is not None
    findings: list[dict[str, object]] = analysis.result["findings"]
    return findings


def test_a_rating_is_one_per_person_and_can_be_changed(site: Site) -> None:
    analysis = _analysis(site, site.analysed_record())
    client, headers = site.as_("A1").client, site.personas.headers["A1"]
    first = client.put(f"/api/v1/analyses/{analysis.id}/rating", json={"score": 2}, headers=headers)
    second = client.put(
        f"/api/v1/analyses/{analysis.id}/rating", json={"score": 5, "comment": "役に立った"}, headers=headers
    )
    assert first.status_code == second.status_code == 200
    assert first.json()["id"] == second.json()["id"]
    feedback = client.get(f"/api/v1/analyses/{analysis.id}/feedback", headers=headers).json()
    assert (feedback["my_rating"]["score"], feedback["average"], feedback["count"]) == (5, 5.0, 1)


def test_a_rating_outside_one_to_five_is_refused(site: Site) -> None:
    analysis = _analysis(site, site.analysed_record())
    response = site.as_("A1").client.put(
        f"/api/v1/analyses/{analysis.id}/rating", json={"score": 6}, headers=site.personas.headers["A1"]
    )
    assert response.status_code == 422


def test_an_analysis_still_running_cannot_be_rated(site: Site) -> None:
    analysis = _analysis(site, site.record("M1", "A1"))
    response = site.as_("A1").client.put(
        f"/api/v1/analyses/{analysis.id}/rating", json={"score": 3}, headers=site.personas.headers["A1"]
    )
    assert response.status_code == 409
    assert response.json()["error"]["message"] == "評価や修正は、分析が終わってからできます。"


@pytest.mark.parametrize("persona", sorted(PERSONA_TREE))
def test_who_may_rate_and_correct_an_analysis(site: Site, persona: str) -> None:
    analysis = _analysis(site, site.analysed_record())
    client, headers = site.as_(persona).client, site.personas.headers[persona]
    rated = client.put(f"/api/v1/analyses/{analysis.id}/rating", json={"score": 4}, headers=headers)
    corrected = client.post(
        f"/api/v1/analyses/{analysis.id}/corrections", json={"kind": "wrong", "finding_index": 0}, headers=headers
    )
    read = client.get(f"/api/v1/analyses/{analysis.id}/feedback", headers=headers)
    if persona not in VISIBLE_TO:
        assert rated.status_code == corrected.status_code == read.status_code == 404
        return
    assert rated.status_code == read.status_code == 200
    assert corrected.status_code == (201 if persona in CORRECTORS else 403)


@pytest.mark.parametrize("persona", sorted(PERSONA_TREE))
def test_who_may_rate_a_plan(site: Site, persona: str) -> None:
    from tests.coaching.test_pages import _planned

    _record_id, plan_id = _planned(site, ["次は予算を聞きます", "以上です"])
    response = site.as_(persona).client.put(
        f"/api/v1/action-plans/{plan_id}/rating", json={"score": 4}, headers=site.personas.headers[persona]
    )
    assert response.status_code == (200 if persona in VISIBLE_TO else 404)


def test_a_missed_finding_needs_skill_and_polarity_and_a_verbatim_quote(site: Site) -> None:
    analysis = _analysis(site, site.analysed_record())
    client, headers = site.as_("M1").client, site.personas.headers["M1"]
    url = f"/api/v1/analyses/{analysis.id}/corrections"
    assert client.post(url, json={"kind": "missed", "skill": "closing"}, headers=headers).status_code == 422
    made_up = client.post(
        url,
        json={"kind": "missed", "skill": "closing", "polarity": "challenge", "quote": "言っていない言葉"},
        headers=headers,
    )
    assert made_up.status_code == 422
    assert "本文に見つかりませんでした" in made_up.json()["error"]["message"]
    good = client.post(
        url,
        json={"kind": "missed", "skill": "preparation", "polarity": "strength", "quote": "資料の準備はよくできていた"},
        headers=headers,
    )
    assert good.status_code == 201


def test_only_the_author_withdraws_a_correction(site: Site) -> None:
    analysis = _analysis(site, site.analysed_record())
    made = (
        site.as_("A1")
        .client.post(
            f"/api/v1/analyses/{analysis.id}/corrections",
            json={"kind": "wrong", "finding_index": 0},
            headers=site.personas.headers["A1"],
        )
        .json()
    )
    url = f"/api/v1/corrections/{made['id']}"
    assert site.as_("M1").client.delete(url, headers=site.personas.headers["M1"]).status_code == 404
    assert site.as_("A1").client.delete(url, headers=site.personas.headers["A1"]).status_code == 204


def test_the_record_page_marks_and_unmarks_a_finding(site: Site) -> None:
    record_id = site.analysed_record()
    analysis = _analysis(site, record_id)
    member = site.as_("A1")
    response = member.post(f"/analyses/{analysis.id}/corrections", data={"kind": "wrong", "finding_index": "0"})
    assert response.status_code == 303
    html = member.get(f"/one-on-ones/{record_id}").text
    assert "「違う」と指摘しました" in html
    assert "finding--disputed" in html
    correction = site.session.scalar(select(FindingCorrection))
    assert correction is not None
    member.post(f"/corrections/{correction.id}/delete")
    assert "「違う」と指摘しました" not in member.get(f"/one-on-ones/{record_id}").text


def test_the_record_page_takes_a_rating_and_a_missed_finding(site: Site) -> None:
    record_id = site.analysed_record()
    analysis = _analysis(site, record_id)
    manager = site.as_("M1")
    manager.post(f"/analyses/{analysis.id}/rating", data={"score": "4", "comment": "的確"})
    manager.post(
        f"/analyses/{analysis.id}/corrections",
        data={"kind": "missed", "skill": "preparation", "polarity": "strength", "quote": "資料の準備はよくできていた"},
    )
    html = manager.get(f"/one-on-ones/{record_id}").text
    assert "人が追加した所見" in html
    assert "平均 4.0（1件）" in html
    assert site.session.scalar(select(Rating.comment)) == "的確"


def test_the_admin_sees_the_analysis_but_cannot_correct_it(site: Site) -> None:
    record_id = site.analysed_record()
    html = site.as_("admin").get(f"/one-on-ones/{record_id}").text
    assert "この所見は違う" not in html
    assert "見落とされた所見を追加" not in html
    assert "この分析は役に立ちましたか？" in html


def test_accuracy_is_the_agreement_of_reviewed_analyses_with_their_corrections(site: Site) -> None:
    """Two reviewed analyses: one rated and left alone, one with a finding marked wrong and one missed added."""
    first = _analysis(site, site.analysed_record())
    second = _analysis(site, site.analysed_record(member="A2"))
    _analysis(site, site.analysed_record(member="A1"))  # not reviewed: does not count
    a1, m1 = site.personas.users["A1"], site.personas.users["M1"]
    now = utcnow()
    from sales_growth.feedback.schemas import CorrectionIn, RatingIn

    service.rate_analysis(site.session, a1, first.id, RatingIn(score=5), now=now)
    service.correct(site.session, m1, second.id, CorrectionIn(kind="wrong", finding_index=0), now=now)
    service.correct(site.session, m1, second.id, CorrectionIn(kind="wrong", finding_index=0), now=now)  # once
    service.correct(
        site.session, m1, second.id, CorrectionIn(kind="missed", skill="closing", polarity="challenge"), now=now
    )
    site.session.commit()
    findings = len(_findings(first)) + len(_findings(second))
    accuracy = service.ai_accuracy(site.session, now=now)
    assert (accuracy.analyses, accuracy.findings, accuracy.wrong, accuracy.missed) == (2, findings, 1, 1)
    assert accuracy.value == round((findings - 1) / (findings + 1), 3)


def test_accuracy_and_satisfaction_look_only_at_their_windows(site: Site) -> None:
    analysis = _analysis(site, site.analysed_record())
    now = utcnow()
    from sales_growth.feedback.schemas import RatingIn

    service.rate_analysis(site.session, site.personas.users["A1"], analysis.id, RatingIn(score=2), now=now)
    site.session.commit()
    later = now + timedelta(days=8)
    assert service.ai_accuracy(site.session, now=now).analyses == 1
    assert service.ai_accuracy(site.session, now=later).value is None
    assert service.satisfaction(site.session, now=later).average == 2.0
    site.session.execute(update(Rating).values(updated_at=now - timedelta(days=31)))
    site.session.commit()
    assert service.satisfaction(site.session, now=now).count == 0


@pytest.mark.parametrize("persona", sorted(PERSONA_TREE))
def test_the_kpis_are_for_admins(site: Site, persona: str) -> None:
    response = site.as_(persona).client.get("/api/v1/feedback/kpis", headers=site.personas.headers[persona])
    assert response.status_code == (200 if persona == "admin" else 403)
    if persona == "admin":
        assert set(response.json()) == {"satisfaction", "ai_accuracy"}
