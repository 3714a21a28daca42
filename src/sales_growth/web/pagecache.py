"""Cached pages: a signed-in person's GET pages served again without the database while what they show is unchanged.

A page opts in by naming, as it begins, the data it shows (:func:`cache_page`): per member, their ``records``
(records, analyses, dialogues, feedback), all their ``plans`` (plans, items, comments) or one ``plan`` and which
plans they have (``plan-set``), and the people on it (``user``); ``org`` (reporting lines, roles, names) is under
every page. The names are version counters of :mod:`sales_growth.ops.cache`; their values are read at that moment,
before the page's own queries, and stored with the rendered page. Every write bumps the counters of what it
touched once its transaction commits (:func:`_bump_written`, on every flush of a session with a cache; the
analysis jobs' direct updates bump in :mod:`sales_growth.one_on_ones.analyses`). A later request is served from
the cache only when every counter still has the stored value, so a write that lands while a page renders makes
that page stale at once, never the other way round.

What keeps it safe:

- Entries are per login session (the key holds the session token's hash, so a page's CSRF token and its
  permission scope are the ones of that session), per path and query, per day in Japan (overdue items) and per
  maintenance banner.
- A hit needs the session's live entry in the token cache (:func:`tokens.live_entry`): a revoked token or a
  changed user has none, and past the once-a-minute touch the request goes to the database like any other.
- Only 200 responses without ``Set-Cookie`` are kept, for at most ``PAGE_CACHE_SECONDS``.

Where it runs: a hit is served before the admission gate (:class:`EarlyHitMiddleware`: it needs no connection);
pages are rendered and kept inside it (:class:`PageCacheMiddleware`). The notice a redirect asks for
(``?notice=saved``) is not part of the key: a kept page has a slot for it, filled in as the page is sent.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Iterable
from datetime import datetime
from functools import cache
from typing import Any
from urllib.parse import parse_qsl, urlencode

from cachetools import LRUCache
from sqlalchemy import Select, bindparam, event, inspect, select
from sqlalchemy.orm import Session
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sales_growth.accounts import tokens
from sales_growth.accounts.deps import SESSION_COOKIE, remember_token_entry, request_now
from sales_growth.accounts.models import Role, TokenKind, User
from sales_growth.coaching.models import ActionPlan, ActionPlanItem, Dialogue, DialogueMessage, ItemComment
from sales_growth.feedback.models import FindingCorrection, Rating
from sales_growth.one_on_ones.models import Analysis, OneOnOne, RecordUpload
from sales_growth.ops import metrics
from sales_growth.ops.cache import Cache, cache_of, invalidate_after_commit
from sales_growth.ops.gate import STATUS_KEY, fresh_status, maintenance_banner
from sales_growth.web import notices

logger = logging.getLogger(__name__)

_DECLARED = "page_cache"
_EARLY = "page_cache_early"
_FOUND = "page_cache_found"  # what the early lookup found, for the one inside the gate
_READ = "page_cache_read"  # the counters the lookup read: a page's later declarations take theirs from it
# Whose each session is (a token never changes hands): its page's counters are read with the session's entry.
_VIEWERS: LRUCache[str, int] = LRUCache(maxsize=100_000)
_VIEWERS_LOCK = threading.Lock()
ORG = "org"  # who reports to whom, roles, names, people added or deactivated: every page's scope and names


def records_of(member_id: int) -> str:
    return f"records:{member_id}"


def plans_of(member_id: int) -> str:
    return f"plans:{member_id}"


def plan_of(plan_id: int) -> str:
    """One plan, its items and comments: the plan's page and the record pages showing it."""
    return f"plan:{plan_id}"


def plan_set_of(member_id: int) -> str:
    """Which plans a member has (a plan made or deleted): which plan a record page shows."""
    return f"plan-set:{member_id}"


def user_of(user_id: int) -> str:
    return f"user:{user_id}"


def cache_page(
    request: Request, session: Session, viewer: User, names: Iterable[str] | Callable[[], Iterable[str]]
) -> None:
    """Let this response be cached under ``names`` (besides the viewer and the organisation); a callable is only
    called when the response can be cached.

    Call it before the page reads what it shows; only who is on the page may be read before (a manager's team, a
    record's member: see :func:`record_people`). Admins' pages are not cached: they see everyone."""
    state: dict[str, Any] = request.scope.setdefault("state", {})
    early: tuple[list[str], list[int]] | None = state.get(_EARLY)
    cache = cache_of(session)
    if cache is None or early is None or early[0] != [user_of(viewer.id), ORG] or viewer.role == Role.ADMIN:
        return
    declared = state.get(_DECLARED, early)  # a page may declare in steps: who is on it, then which plans
    late = sorted(set(names() if callable(names) else names) - set(declared[0]))
    try:
        state[_DECLARED] = (declared[0] + late, declared[1] + _versions(cache, state.get(_READ, {}), late))
    except Exception:  # a cache that cannot answer: the page is rendered, only not kept
        logger.warning("page cache versions unavailable", exc_info=True)
        state.pop(_DECLARED, None)
        state.pop(_EARLY, None)


def keeps(request: Request) -> bool:
    """Whether this response is to be kept (the page called :func:`cache_page` and the cache can answer)."""
    return request.scope.get("state", {}).get(_DECLARED) is not None


def record_people(session: Session, record_id: int) -> tuple[int, int] | None:
    """(member, author) of a record (None when there is no such record), read before the page."""
    row = session.execute(_record_people(), {"record_id": record_id}).first()
    return None if row is None else (row.member_id, row.created_by_id)


@cache
def _record_people() -> Select[int, int]:
    return select(OneOnOne.member_id, OneOnOne.created_by_id).where(OneOnOne.id == bindparam("record_id"))


def plan_member(session: Session, plan_id: int) -> list[int]:
    """The member of a plan (none when there is no such plan), read before the page."""
    member = session.scalar(_plan_member(), {"plan_id": plan_id})
    return [] if member is None else [member]


@cache
def _plan_member() -> Select[int]:
    return select(ActionPlan.member_id).where(ActionPlan.id == bindparam("plan_id"))


def member_names(member_ids: Iterable[int], *, records: bool = True, plans: bool = True) -> list[str]:
    """The counters of these members' records and/or all their plans, and of their names."""
    names = []
    for member_id in member_ids:
        names.append(user_of(member_id))
        if records:
            names.append(records_of(member_id))
        if plans:
            names.append(plans_of(member_id))
    return names


class PageCacheMiddleware:
    """Serves a stored page when its counters are unchanged; stores the pages that called :func:`cache_page`.

    It runs inside the admission gate, where a rendered page gets its connection; :class:`EarlyHitMiddleware`
    usually looked the page up already, outside the gate, and hands on what it found."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        state: dict[str, Any] = scope.setdefault("state", {})
        found = state.pop(_FOUND) if _FOUND in state else _find(request)
        if found is None:
            await self.app(scope, receive, send)
            return
        key, entry, user_id = found
        if entry is not None:
            await _serve(scope, send, entry, user_id)
            return
        ttl = request.app.state.settings.page_cache_seconds
        await self._render_and_keep(scope, receive, send, request.app.state.cache, key, ttl)

    async def _render_and_keep(
        self, scope: Scope, receive: Receive, send: Send, cache: Cache, key: str, ttl: float
    ) -> None:
        state: dict[str, Any] = scope.setdefault("state", {})
        start: Message | None = None
        body: list[bytes] | None = None  # only for a page that declared what it shows (never an event stream)

        async def keep(message: Message) -> None:
            nonlocal start, body
            if message["type"] == "http.response.start":
                start = message
                body = [] if state.get(_DECLARED) is not None and message["status"] == 200 else None
                if body is None:
                    await send(message)
                return  # a kept page's start waits for its body: its notice goes in, its length changes
            if message["type"] != "http.response.body" or body is None:
                await send(message)
                if message["type"] == "http.response.body" and not message.get("more_body", False):
                    route = getattr(scope.get("route"), "path", None)
                    metrics.PAGE_CACHE.labels("missed", route or metrics.UNMATCHED_ROUTE).inc()
                return
            body.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            page = b"".join(body).decode("utf-8")
            assert start is not None
            await _send_page(send, start, page, scope)
            try:
                _store(cache, key, ttl, state[_DECLARED], getattr(scope.get("route"), "path", None), start, page)
            except Exception:  # the page was sent; it is only not kept
                logger.warning("page cache store failed", exc_info=True)

        await self.app(scope, receive, keep)


class EarlyHitMiddleware:
    """Serves a stored page before the admission gate: a hit needs no connection, so it never waits behind the
    pages being rendered. Only while the maintenance state is known without the database and maintenance is
    off (otherwise the gate decides first); what it found otherwise goes on to :class:`PageCacheMiddleware`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        status = fresh_status(request)
        if status is None or status.active:
            await self.app(scope, receive, send)
            return
        state: dict[str, Any] = scope.setdefault("state", {})
        state[STATUS_KEY] = status  # the gate and the page's banner read the same state the key was made with
        found = _find(request)
        if found is not None and found[1] is not None:
            await _serve(scope, send, found[1], found[2])
            return
        state[_FOUND] = found
        await self.app(scope, receive, send)


def _find(request: Request) -> tuple[str, dict[str, Any] | None, int] | None:
    """What :func:`_lookup` finds, or None when this request is not one for the page cache."""
    cache: Cache | None = getattr(request.app.state, "cache", None)
    value = request.cookies.get(SESSION_COOKIE)
    if (
        cache is None
        or not value
        or request.app.state.settings.page_cache_seconds <= 0
        or "authorization" in request.headers
    ):
        return None
    try:
        return _lookup(request, cache, tokens.hash_token(value))
    except Exception:  # a cache that cannot answer (Redis down) leaves the page to the database
        logger.warning("page cache lookup failed", exc_info=True)
        return None


async def _serve(scope: Scope, send: Send, entry: dict[str, Any], user_id: int) -> None:
    # The access log and the metrics name the route and the person as for a rendered page.
    scope["route"] = _Route(entry["route"])
    scope.setdefault("state", {})["user_id"] = user_id
    metrics.PAGE_CACHE.labels("hit", entry["route"]).inc()
    start = {"type": "http.response.start", "status": 200, "headers": entry["headers"]}
    await _send_page(send, start, entry["body"], scope)


def _lookup(request: Request, cache: Cache, hashed: str) -> tuple[str, dict[str, Any] | None, int] | None:
    """(key, the stored page when still valid, the viewer's id), or None when the session must go to the database.

    One round trip to Redis for a page this process holds: the session's entry and the counters needed, those of
    the page and of who the viewer is and whom they see (for a miss); a page stored by another process comes with
    the session's entry, its counters in one more. On a miss these are the versions the page is stored under, read
    before the page reads anything (see :func:`cache_page`), and the session's entry goes on to the route
    (:func:`deps.remember_token_entry`)."""
    settings = request.app.state.settings
    now = request_now(request)
    key = _key(request, hashed, now)
    held = cache.near(key)
    with _VIEWERS_LOCK:
        viewer = _VIEWERS.get(hashed)
    names = [user_of(viewer), ORG] if viewer is not None else []
    names += [name for name in (held["deps"] if held is not None else ()) if name not in names]
    entries, values = cache.fetch([tokens.cache_key(hashed)] + ([key] if held is None else []), names)
    token = tokens.live_entry(entries[0], TokenKind.SESSION, settings=settings, now=now)
    if token is None:
        return None
    user_id: int = token["user"]["id"]
    if viewer != user_id:
        with _VIEWERS_LOCK:
            _VIEWERS[hashed] = user_id
    read = dict(zip(names, values, strict=True))
    entry = held if held is not None else entries[1]
    if entry is not None and _versions(cache, read, entry["deps"]) == entry["versions"]:
        return key, entry, user_id
    early = [user_of(user_id), ORG]
    state = request.scope.setdefault("state", {})
    state[_EARLY] = (early, _versions(cache, read, early))
    state[_READ] = read
    remember_token_entry(request, hashed, token)
    return key, None, user_id


def _versions(cache: Cache, read: dict[str, int], names: list[str]) -> list[int]:
    """The counters ``names``: those already ``read`` (earlier is always safe), the others now (and into ``read``)."""
    missing = [name for name in names if name not in read]
    if missing:
        read.update(zip(missing, cache.versions(missing), strict=True))
    return [read[name] for name in names]


def _key(request: Request, hashed: str, now: datetime) -> str:
    from sales_growth.coaching.service import today_in_japan

    banner = maintenance_banner(request) or ""
    query = urlencode([(k, v) for k, v in request.query_params.multi_items() if k != notices.PARAM])
    where = f"{request.url.path}?{query}|{today_in_japan(now)}|{banner}"
    return f"page:{hashed}:{hashlib.sha256(where.encode('utf-8')).hexdigest()[:32]}"


class _Route:
    """What the metrics and the access log read of a matched route: its path template."""

    def __init__(self, path: str) -> None:
        self.path = path


def _store(
    cache: Cache,
    key: str,
    ttl: float,
    declared: tuple[list[str], list[int]],
    route: str | None,
    start: Message,
    page: str,
) -> None:
    headers = Headers(raw=start.get("headers", []))
    if route is None or "set-cookie" in headers:
        metrics.PAGE_CACHE.labels("missed", route or metrics.UNMATCHED_ROUTE).inc()
        return
    metrics.PAGE_CACHE.labels("stored", route).inc()
    kept = [[k, v] for k, v in headers.items() if k in ("content-type", "content-language", "vary")]
    deps, versions = declared
    cache.set(key, {"deps": deps, "versions": versions, "route": route, "headers": kept, "body": page}, ttl=ttl)


async def _send_page(send: Send, start: Message, page: str, scope: Scope) -> None:
    """A kept page, with the notice its redirect asked for (``?notice=saved``) in its slot, as it is sent."""
    encoded = notices.fill(page, _notice_of(scope)).encode("utf-8")
    headers = [
        (k if isinstance(k, bytes) else k.encode("latin-1"), v if isinstance(v, bytes) else v.encode("latin-1"))
        for k, v in start.get("headers", [])
    ]
    headers = [(k, v) for k, v in headers if k.lower() != b"content-length"]
    headers.append((b"content-length", str(len(encoded)).encode("ascii")))
    await send({**start, "headers": headers})
    await send({"type": "http.response.body", "body": encoded})


def _notice_of(scope: Scope) -> str | None:
    query: bytes = scope.get("query_string", b"")
    return dict(parse_qsl(query.decode("latin-1"))).get(notices.PARAM)


# --- invalidation: every flush bumps the counters of what it wrote ----------------------------------------------

# Who sees whom, and the names every page may show (a comment's author, a team member): rare admin changes, after
# which every page is rendered again.
_USER_ORG_COLUMNS = ("manager_id", "role", "is_active", "name", "email")


@event.listens_for(Session, "after_flush")
def _bump_written(session: Session, _context: Any) -> None:
    if cache_of(session) is None:
        return
    names: set[str] = set()
    record_ids: set[int] = set()
    plan_ids: set[int] = set()
    item_ids: set[int] = set()
    dialogue_ids: set[int] = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, User):
            names.add(user_of(obj.id))
            state = inspect(obj)
            if (
                obj in session.new
                or obj in session.deleted
                or any(state.attrs[c].history.has_changes() for c in _USER_ORG_COLUMNS)
            ):
                names.add(ORG)
        elif isinstance(obj, OneOnOne):
            names.update(records_of(m) for m in _values(obj, "member_id"))
        elif isinstance(obj, Analysis | RecordUpload):
            record_ids.add(obj.one_on_one_id)
        elif isinstance(obj, Dialogue):
            names.add(records_of(obj.member_id))
        elif isinstance(obj, DialogueMessage):
            dialogue_ids.add(obj.dialogue_id)
        elif isinstance(obj, Rating | FindingCorrection):
            names.add(records_of(obj.member_id))
            names.add(plans_of(obj.member_id))
            if isinstance(obj, Rating) and obj.plan_id is not None:
                names.add(plan_of(obj.plan_id))
        elif isinstance(obj, ActionPlan):
            names.update((plans_of(obj.member_id), plan_of(obj.id)))
            if obj in session.new or obj in session.deleted:
                names.add(plan_set_of(obj.member_id))
        elif isinstance(obj, ActionPlanItem):
            plan_ids.add(obj.plan_id)
        elif isinstance(obj, ItemComment):
            item_ids.add(obj.item_id)
    with session.no_autoflush:
        _bump_linked(session, names, record_ids, plan_ids, item_ids, dialogue_ids)
    if names:
        invalidate_after_commit(session, bump=names)


def _bump_linked(
    session: Session,
    names: set[str],
    record_ids: set[int],
    plan_ids: set[int],
    item_ids: set[int],
    dialogue_ids: set[int],
) -> None:
    """Add the counters of rows that name their member through another row (an item through its plan)."""
    if item_ids:
        plan_ids.update(_column_of(session, ActionPlanItem.plan_id, item_ids))
    if plan_ids:
        names.update(plans_of(m) for m in _column_of(session, ActionPlan.member_id, plan_ids))
        names.update(plan_of(p) for p in plan_ids)
    if dialogue_ids:
        names.update(records_of(m) for m in _column_of(session, Dialogue.member_id, dialogue_ids))
    if record_ids:
        bump_records(session, record_ids)


def _column_of(session: Session, column: Any, ids: set[int]) -> set[Any]:
    """``column`` of the rows with these ids: from the session's own copies where it holds them (the request loaded
    the plan it checked), the rest in one query. This runs after the flush, inside the write's transaction: on
    SQLite every statement here is time in which every other writer waits."""
    model, name = column.class_, column.key
    values: set[Any] = set()
    missing: set[int] = set()
    for row_id in ids:
        row = session.identity_map.get(session.identity_key(model, row_id))
        loaded = inspect(row).dict if row is not None else {}
        if name in loaded:
            values.add(loaded[name])
        else:
            missing.add(row_id)
    if missing:
        values.update(session.scalars(select(column).where(model.id.in_(missing))))
    return values


def bump_records(session: Session, record_ids: Iterable[int]) -> None:
    """After the commit, mark the pages showing these records stale."""
    ids = set(record_ids)
    if not ids or cache_of(session) is None:
        return
    invalidate_after_commit(session, bump=[records_of(m) for m in _column_of(session, OneOnOne.member_id, ids)])


def bump_analysis(session: Session, analysis_id: int) -> None:
    """The same for an analysis whose status, stage or result an UPDATE changed (the jobs bypass the flush)."""
    if cache_of(session) is None:
        return
    query = select(OneOnOne.member_id).join(Analysis, Analysis.one_on_one_id == OneOnOne.id)
    members = session.scalars(query.where(Analysis.id == analysis_id))
    invalidate_after_commit(session, bump=[records_of(m) for m in set(members)])


def _values(obj: Any, attribute: str) -> set[int]:
    """The attribute's value, and its earlier value when this flush changed it (a record moved to someone else)."""
    history = inspect(obj).attrs[attribute].history
    return {v for v in (*history.added, *history.unchanged, *history.deleted, getattr(obj, attribute)) if v is not None}
