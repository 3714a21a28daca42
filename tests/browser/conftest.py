"""The real-browser tests: one ``sales-growth serve`` (and one ``sales-growth worker``) for the session, on a free
port with a data folder of its own, driven by Playwright through Debian's Chromium.

Without Chromium the tests skip with the reason, except under ``SALES_GROWTH_REQUIRE_SERVICES=1`` (CI), where they
fail. Playwright never downloads a browser here: it is pointed at ``/usr/bin/chromium``.
"""

from __future__ import annotations

import os
import shutil
import signal
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from sales_growth.accounts.models import Role
from sales_growth.db import create_db_engine, create_session_factory, upgrade_schema
from sales_growth.settings import Settings
from tests.browser.seed import RECORDS
from tests.conftest import skip_or_fail
from tests.factories import make_user
from tests.processes import CLI, app_env, free_port, running, wait_for_health

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
PASSWORD = "browser-test-42"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# The team of the browser tests: (key, email, name, role, manager key).
TEAM = [
    ("admin", "admin@example.com", "管理 太郎", Role.ADMIN, None),
    ("manager", "sato@example.com", "佐藤 美咲", Role.MANAGER, None),
    ("member", "yamamoto@example.com", "山本 花子", Role.MEMBER, "manager"),
    ("member2", "tanaka@example.com", "田中 一郎", Role.MEMBER, "manager"),
    ("member3", "suzuki@example.com", "鈴木 健太", Role.MEMBER, "manager"),
]


def chromium_path() -> str | None:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


@dataclass
class LiveApp:
    """The running app: its address, its people, and the worker process (paused to watch an analysis wait)."""

    base_url: str
    users: dict[str, tuple[str, str, int]]  # key → (email, name, id)
    worker_pid: int
    tokens: dict[str, dict[str, str]] = field(default_factory=dict)

    def email(self, key: str) -> str:
        return self.users[key][0]

    def name(self, key: str) -> str:
        return self.users[key][1]

    def id(self, key: str) -> int:
        return self.users[key][2]

    @contextmanager
    def worker_paused(self) -> Iterator[None]:
        """No analysis runs inside the block: the worker process group is stopped, then continued."""
        os.killpg(self.worker_pid, signal.SIGSTOP)
        try:
            yield
        finally:
            os.killpg(self.worker_pid, signal.SIGCONT)

    def token(self, key: str) -> dict[str, str]:
        """Bearer headers for ``key``, logged in once over the API."""
        if key not in self.tokens:
            response = httpx.post(
                f"{self.base_url}/api/v1/auth/token", json={"email": self.email(key), "password": PASSWORD}, timeout=30
            )
            response.raise_for_status()
            self.tokens[key] = {"Authorization": f"Bearer {response.json()['access_token']}"}
        return self.tokens[key]

    def api(self, method: str, path: str, key: str, **kwargs: Any) -> Any:
        response = httpx.request(method, f"{self.base_url}{path}", headers=self.token(key), timeout=30, **kwargs)
        response.raise_for_status()
        return response.json() if response.content else None

    def analysed_record(self, *, author: str, member: str, held_on: str, content: str) -> int:
        """A record made over the API, once its analysis has succeeded."""
        body = {"member_id": self.id(member), "held_on": held_on, "content": content}
        record = self.api("POST", "/api/v1/one-on-ones", author, json=body)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            status = self.api("GET", f"/api/v1/one-on-ones/{record['id']}/analysis", author)["status"]
            if status == "succeeded":
                return int(record["id"])
            if status == "failed":
                raise AssertionError(f"analysis of record {record['id']} failed")
            time.sleep(0.2)
        raise TimeoutError("the analysis did not finish in 30 s")


def _make_team(settings: Settings) -> dict[str, tuple[str, str, int]]:
    engine = create_db_engine(settings)
    users: dict[str, Any] = {}
    try:
        with create_session_factory(engine)() as session:
            for key, email, name, role, manager in TEAM:
                users[key] = make_user(
                    session, role=role, email=email, name=name, password=PASSWORD, manager=users.get(manager or "")
                )
            return {key: (u.email, u.name, u.id) for key, u in users.items()}
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def live_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    """``sales-growth serve`` with a separate ``sales-growth worker`` on a fresh SQLite data folder, with a team
    and a few months of analysed 1on1s."""
    data_dir = tmp_path_factory.mktemp("browser-data")
    upgrade_schema(Settings(data_dir=data_dir, env="test"))
    users = _make_team(Settings(data_dir=data_dir, env="test"))
    env = app_env(
        data_dir,
        embedded_worker="false",
        backup_schedule="false",
        login_attempts_per_address="1000",
        login_attempts_per_account="1000",
        expensive_requests_per_user="1000",
        expensive_requests_per_address="1000",
    )
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    with ExitStack() as stack:
        stack.enter_context(running([*CLI, "serve", "--port", str(port)], env, data_dir / "serve.log"))
        worker = stack.enter_context(running([*CLI, "worker", "--workers", "1"], env, data_dir / "worker.log"))
        wait_for_health(base_url)
        app = LiveApp(base_url=base_url, users=users, worker_pid=worker.pid)
        for index, (held_on, content) in enumerate(RECORDS):
            for member in ("member", "member2", "member3")[: 3 - index % 2]:
                app.analysed_record(author="manager", member=member, held_on=held_on, content=content)
        yield app


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    path = chromium_path()
    if path is None:
        skip_or_fail("Chromium is not installed (Debian package chromium); the browser tests need it")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_or_fail("Playwright for Python is not installed (pip install -e '.[test]')")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def new_page(browser: Any, live_app: LiveApp) -> Iterator[Any]:
    """A factory of pages in fresh browser contexts (no cookies shared), each recording CSP violations."""
    contexts: list[Any] = []

    def make(*, width: int = 1280, height: int = 900) -> Any:
        context = browser.new_context(
            base_url=live_app.base_url, viewport={"width": width, "height": height}, locale="ja-JP"
        )
        # Generous: the machine is small and shared, and a login spends argon2 time on purpose.
        context.set_default_timeout(20_000)
        context.set_default_navigation_timeout(30_000)
        contexts.append(context)
        page = context.new_page()
        page.csp_violations = []
        page.on(
            "console",
            lambda message: (
                page.csp_violations.append(message.text) if "Content Security Policy" in message.text else None
            ),
        )
        return page

    yield make
    for context in contexts:
        context.close()


def log_in(page: Any, live_app: LiveApp, key: str) -> None:
    page.goto("/login")
    page.get_by_label("メールアドレス").fill(live_app.email(key))
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_url(lambda url: "/login" not in url)


def screenshot(page: Any, name: str, *, full_page: bool = True) -> Path:
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path
