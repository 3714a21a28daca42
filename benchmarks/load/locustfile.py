"""The load scenario: the people of an organisation using the app's pages in their browsers.

Each simulated person logs in once when they arrive (the login page, then the form, as a browser does), keeps
their session cookie, and now and then logs out and back in. Between two actions they think for 1 to 3 seconds.

- Members (most people) open their home page (latest analysis, open actions, growth of the ten skills), their
  records and analyses, their action plans and the growth chart's data, and update an item's progress.
- Managers open the team page, a member's page, their reports' records and plans, comment on items, and record
  a 1on1 now and then, whose page then polls the analysis panel until it is done, as the record page does.
- Admins open the system status page, the user list and the audit log.

Who they are comes from the JSON file that ``seed.py`` wrote (``LOAD_USERS_FILE``). ``LOAD_HOSTS`` may name several
base URLs (comma-separated): each simulated person sticks to one of them, in turn, as behind a load balancer with
sticky sessions. Run through ``run.py``; or by hand:
``LOAD_USERS_FILE=users.json locust -f benchmarks/load/locustfile.py --host http://127.0.0.1:8000``.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
from pathlib import Path
from typing import Any, ClassVar

from locust import between, events, task
from locust.contrib.fasthttp import FastHttpUser

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
RELOGIN_CHANCE = 1 / 250  # on home, team and status visits: about once in half an hour per person
POLL_SECONDS = 1.0  # the record page's analysis panel polls this often while the analysis runs
RECORD_TEXT = (
    "課長：今日は先週の提案の件を聞かせて。\n"
    "メンバー：はい。資料は前日に準備して、想定質問も用意していきました。\n"
    "メンバー：ただ、予算の確認を忘れてしまいました。決裁者もまだ分かっていません。\n"
    "課長：準備はよくできていたね。次の訪問では最初の10分で予算と決裁者を聞こう。\n"
)


def _load_people() -> dict[str, Any]:
    path = os.environ.get("LOAD_USERS_FILE")
    if not path:
        return {"password": "", "users": []}
    return dict(json.loads(Path(path).read_text(encoding="utf-8")))


PEOPLE = _load_people()
HOSTS = itertools.cycle([h for h in os.environ.get("LOAD_HOSTS", "").split(",") if h])
_identities: dict[str, itertools.cycle[dict[str, Any]]] = {}


def _weight(role: str) -> int:
    """As many simulated people of a role as the organisation has (all alike with ``LOAD_EQUAL_ROLES=1``, so
    that a short smoke run has each kind of person)."""
    if os.environ.get("LOAD_EQUAL_ROLES") == "1":
        return 1
    return max(1, sum(1 for p in PEOPLE["users"] if p["role"] == role))


def _next_identity(role: str) -> dict[str, Any]:
    """The next person of ``role``; several Locust processes take every n-th one, so none logs in twice."""
    if role not in _identities:
        people = [p for p in PEOPLE["users"] if p["role"] == role]
        index, processes = int(os.environ.get("LOAD_PROCESS_INDEX", "0")), int(os.environ.get("LOAD_PROCESSES", "1"))
        _identities[role] = itertools.cycle(people[index::processes] or people)
    return next(_identities[role])


@events.init.add_listener
def _spread_identities(environment: Any, **_kwargs: Any) -> None:
    # With --processes, each worker process takes its own share of the people.
    runner = environment.runner
    index = getattr(runner, "worker_index", None)
    processes = getattr(environment.parsed_options, "processes", None) if environment.parsed_options else None
    if index is not None and processes and processes > 1:
        os.environ["LOAD_PROCESS_INDEX"] = str(index)
        os.environ["LOAD_PROCESSES"] = str(processes)


class Person(FastHttpUser):
    """A browser: logs in through the form, then acts with its session cookie and the page's CSRF token."""

    abstract = True
    role: ClassVar[str] = ""
    wait_time = between(1, 3)

    def __init__(self, environment: Any) -> None:
        host = next(HOSTS, None)
        if host:
            self.host = host
        super().__init__(environment)
        self.me = _next_identity(self.role)
        self.csrf = ""
        self.csrf_from = ""  # which page gave it (for LOAD_DIAGNOSTICS)

    def on_start(self) -> None:
        if self.me.get("session"):
            # Logged in earlier: the browser still holds the session cookie and opens the app again.
            self.client.cookiejar.set_cookie(_cookie(self.host, self.me["session"]))
            opened = self.page("/home" if self.role == "member" else "/", "/ (returning)")
            landed = CSRF_META.search(opened.text or "")
            self.csrf = landed.group(1) if landed else ""
            self.csrf_from = f"returning: {opened.status_code} {opened.url}"
        else:
            self.login()

    def login(self) -> None:
        page = self.client.get("/login", name="/login")
        token = CSRF_META.search(page.text or "")
        form = {"email": self.me["email"], "password": PEOPLE["password"]}
        form["csrf_token"] = token.group(1) if token else ""
        with self.client.post("/login", data=form, name="/login [POST]", catch_response=True) as response:
            landed = CSRF_META.search(response.text or "")
            if response.status_code != 200 or landed is None or "/login" in str(response.url):
                response.failure(f"login refused: {response.status_code}")
                return
            self.csrf = landed.group(1)
            self.csrf_from = f"login: {response.status_code} {response.url}"

    def page(self, path: str, name: str) -> Any:
        return self.client.get(path, name=name)

    def post_form(self, path: str, form: dict[str, str], name: str) -> Any:
        response = self.client.post(path, data=form, headers={"X-CSRF-Token": self.csrf}, name=name)
        if response.status_code == 403 and os.environ.get("LOAD_DIAGNOSTICS"):
            _note_refusal(self, path, response)
        return response

    def maybe_relogin(self) -> None:
        if random.random() < RELOGIN_CHANCE:
            self.post_form("/logout", {}, "/logout [POST]")
            self.login()


class Member(Person):
    role = "member"
    weight = _weight("member")

    def _latest_first(self, ids: list[int]) -> int:
        # The newest record or plan is opened far more often than old ones.
        return ids[-1] if random.random() < 0.6 else random.choice(ids)

    @task(4)
    def home(self) -> None:
        self.page("/home", "/home")
        self.maybe_relogin()

    @task(2)
    def records(self) -> None:
        self.page("/one-on-ones", "/one-on-ones")

    @task(3)
    def record(self) -> None:
        self.page(f"/one-on-ones/{self._latest_first(self.me['records'])}", "/one-on-ones/[id]")

    @task(3)
    def plan(self) -> None:
        self.page(f"/action-plans/{self._latest_first(self.me['plans'])}", "/action-plans/[id]")

    @task(1)
    def growth(self) -> None:
        self.page(f"/api/v1/members/{self.me['id']}/growth", "/api/v1/members/[id]/growth")

    @task(1)
    def analysis(self) -> None:
        record = self._latest_first(self.me["records"])
        self.page(f"/api/v1/one-on-ones/{record}/analysis", "/api/v1/one-on-ones/[id]/analysis")

    @task(2)
    def update_item(self) -> None:
        item = random.choice(self.me["items"][-3:])  # the newest plan's items are the open ones
        form = {"status": random.choice(["doing", "done", "todo"]), "note": "顧客に予算を確認した。"}
        self.post_form(f"/action-items/{item}/progress", form, "/action-items/[id]/progress [POST]")


class Manager(Person):
    role = "manager"
    weight = _weight("manager")

    def _report(self) -> dict[str, Any]:
        return _person(random.choice(self.me["reports"])) if self.me["reports"] else self.me

    @task(6)
    def team(self) -> None:
        self.page("/team", "/team")
        self.maybe_relogin()

    @task(5)
    def member(self) -> None:
        self.page(f"/members/{self._report()['id']}", "/members/[id]")

    @task(2)
    def records(self) -> None:
        self.page(f"/one-on-ones?member_id={self._report()['id']}", "/one-on-ones?member_id=[id]")

    @task(5)
    def record(self) -> None:
        report = self._report()
        if report["records"]:
            self.page(f"/one-on-ones/{random.choice(report['records'])}", "/one-on-ones/[id]")

    @task(3)
    def plan(self) -> None:
        report = self._report()
        if report["plans"]:
            self.page(f"/action-plans/{random.choice(report['plans'])}", "/action-plans/[id]")

    @task(2)
    def comment(self) -> None:
        report = self._report()
        if report["items"]:
            form = {"body": "次の1on1で一緒に振り返りましょう。"}
            self.post_form(f"/action-items/{report['items'][-1]}/comments", form, "/action-items/[id]/comments [POST]")

    @task(1)
    def record_one_on_one(self) -> None:
        report = self._report()
        self.page(f"/one-on-ones/new?member_id={report['id']}", "/one-on-ones/new")
        form = {"member_id": str(report["id"]), "held_on": "2026-11-24", "title": "1on1", "content": RECORD_TEXT}
        response = self.post_form("/one-on-ones/new", form, "/one-on-ones/new [POST]")
        match = re.search(r'hx-get="(/one-on-ones/\d+/analysis)"', response.text or "")
        for _ in range(20):  # the panel polls until the analysis is done, as the browser does
            if match is None:
                break
            self._sleep(POLL_SECONDS)
            fragment = self.page(match.group(1), "/one-on-ones/[id]/analysis (poll)")
            match = re.search(r'hx-get="(/one-on-ones/\d+/analysis)"', fragment.text or "")

    def _sleep(self, seconds: float) -> None:
        import gevent

        gevent.sleep(seconds)


class Admin(Person):
    role = "admin"
    weight = _weight("admin")

    @task(3)
    def status(self) -> None:
        self.page("/admin/status", "/admin/status")
        self.maybe_relogin()

    @task(2)
    def users(self) -> None:
        self.page("/admin/users", "/admin/users")

    @task(1)
    def audit(self) -> None:
        self.page("/admin/audit", "/admin/audit")


def _note_refusal(person: Person, path: str, response: Any) -> None:
    """A refused post, with what the browser held: a line of JSON in the file ``LOAD_DIAGNOSTICS`` names."""
    cookies = [
        {"name": c.name, "value": c.value[:8], "domain": c.domain, "path": c.path, "expires": c.expires}
        for c in person.client.cookiejar
    ]
    note = {
        "person": person.me["email"], "path": path, "csrf": person.csrf[:8], "from": person.csrf_from,
        "cookies": cookies,
        "body": (response.text or "")[:300],
    }  # fmt: skip
    with Path(os.environ["LOAD_DIAGNOSTICS"]).open("a", encoding="utf-8") as out:
        out.write(json.dumps(note, ensure_ascii=False) + "\n")


def _cookie(host: str, value: str) -> Any:
    from http.cookiejar import Cookie
    from urllib.parse import urlparse

    domain = urlparse(host).hostname or "127.0.0.1"
    return Cookie(
        0, "sg_session", value, None, False, domain, False, False, "/", True, False, None, False, None, None, {}
    )


@events.test_start.add_listener
def _reset_after_warmup(environment: Any, **_kwargs: Any) -> None:
    """Measure only at full load: the statistics restart ``LOAD_WARMUP_SECONDS`` after the start (everyone has
    arrived and logged in by then)."""
    warmup = float(os.environ.get("LOAD_WARMUP_SECONDS", "0"))
    if warmup <= 0:
        return
    import gevent

    def reset() -> None:
        gevent.sleep(warmup)
        environment.runner.stats.reset_all()

    gevent.spawn(reset)


_BY_ID: dict[int, dict[str, Any]] = {p["id"]: p for p in PEOPLE["users"]}


def _person(person_id: int) -> dict[str, Any]:
    return _BY_ID[person_id]
