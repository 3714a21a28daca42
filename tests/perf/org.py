"""The organisation the performance tests measure: the personas' tree grown through the API as people use it.

Records recorded by M1 (uploaded as files), analysed, talked through with the coach, planned, agreed, progressed,
commented and rated. The detail routes look at A1's first record, whose analysis history, plan comments and
dialogue messages grow with the rest.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from sales_growth.accounts.models import Role
from sales_growth.settings import Settings
from tests.coaching.flows import FLOW, RECORD, analyse, at_friday_morning
from tests.factories import make_user
from tests.personas import Personas, client_headers, make_app
from tests.web.browsing import Site


@dataclass
class Org:
    """The organisation under test and the ids the routes are called with."""

    api: TestClient
    site: Site
    settings: Settings
    personas: Personas
    ids: dict[str, int] = field(default_factory=dict)
    members: list[str] = field(default_factory=list)

    @property
    def headers(self) -> dict[str, dict[str, str]]:
        return self.personas.headers

    def call(self, method: str, path: str, who: str, body: Any = None, expect: tuple[int, ...] = (200, 201)) -> Any:
        response = self.api.request(method, path, json=body, headers=self.headers[who])
        assert response.status_code in expect, (path, response.text)
        return response.json() if response.content else None

    def record(self, member: str, held_on: str) -> dict[str, Any]:
        """A record uploaded as a file by M1 (lists carry the upload's name), analysed."""
        response = self.api.post(
            "/api/v1/one-on-ones",
            data={"member_id": str(self.personas.id(member)), "held_on": held_on},
            files={"file": ("memo.txt", RECORD.encode(), "text/plain")},
            headers=self.headers["M1"],
        )
        assert response.status_code == 201, response.text
        record: dict[str, Any] = response.json()
        analyse(self.settings, record)
        return record

    def planned(self, member: str, held_on: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """A record of ``member``, analysed, talked through, planned, agreed, progressed, commented and rated."""
        record = self.record(member, held_on)
        dialogue = self.call("POST", f"/api/v1/one-on-ones/{record['id']}/dialogue", member)
        for message in FLOW[:2]:
            self.call("POST", f"/api/v1/dialogues/{dialogue['id']}/messages", member, {"content": message})
        plan = self.call("POST", f"/api/v1/dialogues/{dialogue['id']}/complete", member)
        self.call("POST", f"/api/v1/action-plans/{plan['id']}/agree", member)
        first, *_rest = plan["items"]
        self.call("PATCH", f"/api/v1/action-items/{first['id']}", member, {"status": "doing", "note": "進行中"})
        self.call("POST", f"/api/v1/action-items/{first['id']}/comments", "M1", {"body": "いいですね"}, expect=(201,))
        self.call("PUT", f"/api/v1/analyses/{record['analysis']['id']}/rating", member, {"score": 4})
        self.call("PUT", f"/api/v1/action-plans/{plan['id']}/rating", "M1", {"score": 5})
        return record, plan

    def setup(self) -> None:
        """A1's first record (planned) and a second one whose dialogue stays open: the detail routes' subjects."""
        record, plan = self.planned("A1", "2026-10-05")
        open_record = self.record("A1", "2026-10-12")
        dialogue = self.call("POST", f"/api/v1/one-on-ones/{open_record['id']}/dialogue", "A1")
        self.ids.update(record=record["id"], plan=plan["id"], dialogue=dialogue["id"], A1=self.personas.id("A1"))
        self.ids["item"] = plan["items"][0]["id"]

    def grow(self, session: Session, members: int) -> None:
        """``members`` more members under M1 with two planned records each; more history on A1's subjects."""
        for _ in range(members):
            name = f"C{len(self.members) + 1}"
            user = make_user(session, role=Role.MEMBER, manager=self.personas.users["M1"], password=None)
            self.personas.users[name] = user
            self.personas.headers[name] = client_headers(session, self.settings, user)
            self.members.append(name)
            for held_on in ("2026-11-02", "2026-11-16"):
                self.planned(name, held_on)
            self.planned("A1", "2026-11-09")
            self._more_history()

    def _more_history(self) -> None:
        reanalysis = self.call("POST", f"/api/v1/one-on-ones/{self.ids['record']}/analysis", "M1", expect=(202,))
        analyse(self.settings, {"analysis": reanalysis})
        comment = {"body": "見ています"}
        self.call("POST", f"/api/v1/action-items/{self.ids['item']}/comments", "M0", comment, expect=(201,))
        self.call("POST", f"/api/v1/dialogues/{self.ids['dialogue']}/messages", "A1", {"content": FLOW[0]})
        self.call("PUT", f"/api/v1/analyses/{reanalysis['id']}/rating", "A1", {"score": 3})


@pytest.fixture
def org(settings: Settings, db_session: Session, personas: Personas) -> Iterator[Org]:
    # The maintenance status is read once per process for the whole test: its re-reads would come and go.
    app = make_app(settings.model_copy(update={"maintenance_cache_seconds": 3600.0}))
    with TestClient(app) as api:
        at_friday_morning(api)
        site = Site(app, db_session, settings, personas)
        made = Org(api=api, site=site, settings=settings, personas=personas)
        made.setup()
        yield made
        for browser in site.browsers.values():
            browser.client.close()
