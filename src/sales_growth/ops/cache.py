"""A small cache for what every request asks again: a login token's user, a manager's team summary.

Per process by default (cachetools); in Redis when ``SALES_GROWTH_REDIS_URL`` is set, so that every web process
and worker shares it and sees the others' invalidations. Values are JSON-like (dicts, lists, strings, numbers).

Entries whose key starts with :data:`NEAR_PREFIXES` (the stored pages) carry their own validity (the versions of
what they show) and are never deleted by key: the Redis cache keeps a copy of them in the process too
(:meth:`Cache.near`), so that a page this process stored is read again without bringing it back from Redis.

Writes invalidate after their transaction commits (:func:`invalidate_after_commit`): dropping an entry earlier
would let a request still reading the old rows put it back. Two kinds of invalidation:

- ``delete``: named entries (a token's user when the token is revoked or its user changes);
- ``bump``: a version counter that entries are read against (:meth:`Cache.versions`); bumping it makes every entry
  made under the old version unreadable at once, without knowing their keys (team summaries).
"""

from __future__ import annotations

import fcntl
import json
import mmap
import os
import struct
import threading
import time
import zlib
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from cachetools import TLRUCache
from sqlalchemy import event
from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from redis import Redis

_PENDING = "cache_invalidations"
TEAM_VERSION = "team"  # bumped by every write a team summary reads (records, analyses, plans, items, users)


class Cache(Protocol):
    def get(self, key: str) -> Any | None: ...

    def set(self, key: str, value: Any, *, ttl: float) -> None: ...
    def delete(self, keys: Iterable[str]) -> None: ...
    def versions(self, names: list[str]) -> list[int]:
        """The current value of each version counter (0 when never bumped)."""
        ...

    def fetch(self, keys: list[str], names: list[str]) -> tuple[list[Any | None], list[int]]:
        """What :meth:`get` gives for each of ``keys`` and :meth:`versions` of ``names``, in one round trip."""
        ...

    def near(self, key: str) -> Any | None:
        """The entry when this process holds it, without I/O (None: it may still be in the shared cache)."""
        ...

    def bump(self, names: Iterable[str]) -> None: ...
    def clear(self) -> None: ...


_KEY = "key:"  # the shared version of an entry's key, moved by deleting it
NEAR_PREFIXES = ("page:",)  # entries valid by the versions they carry, only replaced or expired (the stored pages)
NEAR_SIZE = 128 * 1024 * 1024  # the copies a process keeps of them: characters of JSON (about twice in bytes)


def _expiry(_key: str, value: tuple[float, Any, int], now: float) -> float:
    return now + value[0]


class SharedVersions:
    """Version counters in a small memory-mapped file, shared by every process of this host that maps it: what one
    web process bumps, the others read at once, without a system call or a query (a page served from the cache
    reads several counters on the event loop, where a SQLite query would give up the interpreter lock).

    Each name has a slot of 8 bytes chosen by its CRC-32; two names that share a slot share a counter, so a bump of
    one also moves the other (a page is rendered again for nothing, never served stale). A bump takes the file's
    lock, so two processes' increments never overwrite each other; reads take none (an aligned 8-byte counter that
    only grows). The file is only bookkeeping: nothing is flushed to disk."""

    SLOTS = 1 << 20  # 8 MiB of address space, allocated by the kernel only where counters are written
    _COUNTER = struct.Struct("<Q")

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._path = path
        size = self.SLOTS * self._COUNTER.size
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if os.fstat(fd).st_size < size:
                os.truncate(fd, size)  # a sparse file of zeros: every counter starts at 0
            self._map = mmap.mmap(fd, size)  # keeps its own descriptor, closed with the map
        finally:
            os.close(fd)
        self._lock = threading.Lock()  # the file lock excludes other processes, this one the other threads

    def _offset(self, name: str) -> int:
        return (zlib.crc32(name.encode("utf-8")) % self.SLOTS) * self._COUNTER.size

    def versions(self, names: list[str]) -> list[int]:
        unpack, data = self._COUNTER.unpack_from, self._map
        return [unpack(data, self._offset(name))[0] for name in names]

    def bump(self, names: Iterable[str]) -> None:
        offsets = [self._offset(name) for name in names]
        if not offsets:
            return
        with self._lock, self._path.open("rb") as locked:
            fcntl.flock(locked, fcntl.LOCK_EX)  # released when the file closes
            for offset in offsets:
                self._COUNTER.pack_into(self._map, offset, self._COUNTER.unpack_from(self._map, offset)[0] + 1)


class MemoryCache:
    """Entries in this process, each with its own time to live; versions in this process, or in
    :class:`SharedVersions` so that several processes without Redis see each other's invalidations.

    With shared versions, deleting an entry also bumps its key's version, and an entry is only read while its key's
    version is the one it was written under: a delete in one process reaches the copies of the others."""

    def __init__(self, *, maxsize: int = 50_000, shared: SharedVersions | None = None) -> None:
        self._entries: TLRUCache[str, tuple[float, Any, int]] = TLRUCache(
            maxsize=maxsize, ttu=_expiry, timer=time.monotonic
        )
        self._versions: dict[str, int] = {}
        self._shared = shared
        self._lock = threading.Lock()

    def get(self, key: str) -> Any | None:
        with self._lock:
            entry = self._entries.get(key)
        if entry is None or (self._shared is not None and self._shared.versions([_KEY + key]) != [entry[2]]):
            return None
        return entry[1]

    def fetch(self, keys: list[str], names: list[str]) -> tuple[list[Any | None], list[int]]:
        return [self.get(key) for key in keys], self.versions(names)

    def near(self, key: str) -> Any | None:
        return self.get(key)

    def set(self, key: str, value: Any, *, ttl: float) -> None:
        stamp = self._shared.versions([_KEY + key])[0] if self._shared is not None else 0
        with self._lock:
            self._entries[key] = (ttl, value, stamp)

    def delete(self, keys: Iterable[str]) -> None:
        keys = list(keys)
        with self._lock:
            for key in keys:
                self._entries.pop(key, None)
        if self._shared is not None:
            self._shared.bump(_KEY + key for key in keys)

    def versions(self, names: list[str]) -> list[int]:
        if self._shared is not None:
            return self._shared.versions(names)
        with self._lock:
            return [self._versions.get(name, 0) for name in names]

    def bump(self, names: Iterable[str]) -> None:
        if self._shared is not None:
            self._shared.bump(names)
            return
        with self._lock:
            for name in names:
                self._versions[name] = self._versions.get(name, 0) + 1

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


class RedisCache:
    """The same in Redis: entries as JSON with an expiry, versions as counters (INCR). Entries under
    :data:`NEAR_PREFIXES` are also kept in this process, with the expiry they have in Redis, when this process
    writes or reads them (at most ``near_size`` characters of their JSON); their values must be JSON already
    (dicts, lists, strings, numbers), as a read from Redis would give them, and are not changed once set."""

    PREFIX = "sales-growth:cache:"

    def __init__(self, client: Redis, *, near_size: int = NEAR_SIZE) -> None:
        self._client = client
        self._near: TLRUCache[str, tuple[float, Any, int]] = TLRUCache(
            maxsize=near_size, ttu=_expiry, timer=time.monotonic, getsizeof=_near_size
        )
        self._lock = threading.Lock()

    def get(self, key: str) -> Any | None:
        return _loads(self._client.get(self.PREFIX + key))

    def fetch(self, keys: list[str], names: list[str]) -> tuple[list[Any | None], list[int]]:
        held = {key: self.near(key) for key in keys if key.startswith(NEAR_PREFIXES)}
        remote = [key for key in keys if held.get(key) is None]
        if not remote and not names:
            return [held[key] for key in keys], []
        far = [key for key in remote if key.startswith(NEAR_PREFIXES)]  # their expiry, to keep them as long
        read = [self.PREFIX + key for key in remote] + [f"{self.PREFIX}v:{name}" for name in names]
        if far:
            pipe = self._client.pipeline(transaction=False)
            pipe.mget(read)
            for key in far:
                pipe.pttl(self.PREFIX + key)
            values, *expiries = pipe.execute()
        else:
            values, expiries = self._client.mget(read), []
        raws = dict(zip(remote, values[: len(remote)], strict=True))
        found = {key: _loads(raw) for key, raw in raws.items()}
        for key, expiry in zip(far, expiries, strict=True):
            if raws[key] is not None and expiry > 0:
                self._keep_near(key, found[key], len(raws[key]), expiry / 1000)
        entries = [held[key] if held.get(key) is not None else found[key] for key in keys]
        return entries, [int(value or 0) for value in values[len(remote) :]]

    def near(self, key: str) -> Any | None:
        with self._lock:
            entry = self._near.get(key)
        return None if entry is None else entry[1]

    def set(self, key: str, value: Any, *, ttl: float) -> None:
        raw = json.dumps(value, default=str, ensure_ascii=False)
        self._client.set(self.PREFIX + key, raw, px=max(1, int(ttl * 1000)))
        if key.startswith(NEAR_PREFIXES):
            self._keep_near(key, value, len(raw), ttl)

    def _keep_near(self, key: str, value: Any, size: int, ttl: float) -> None:
        if size > self._near.maxsize:
            return
        with self._lock:
            self._near[key] = (ttl, value, size)

    def delete(self, keys: Iterable[str]) -> None:
        keys = list(keys)
        names = [self.PREFIX + key for key in keys]
        with self._lock:
            for key in keys:
                self._near.pop(key, None)
        if names:
            self._client.delete(*names)

    def versions(self, names: list[str]) -> list[int]:
        values = self._client.mget([f"{self.PREFIX}v:{name}" for name in names])
        return [int(value or 0) for value in values]

    def bump(self, names: Iterable[str]) -> None:
        pipe = self._client.pipeline(transaction=False)
        for name in names:
            pipe.incr(f"{self.PREFIX}v:{name}")
        pipe.execute()

    def clear(self) -> None:
        """Drop the entries (not the versions: other processes read them)."""
        with self._lock:
            self._near.clear()
        keys = [k for k in self._client.scan_iter(f"{self.PREFIX}*") if not k.startswith(f"{self.PREFIX}v:".encode())]
        if keys:
            self._client.delete(*keys)


def _loads(raw: bytes | str | None) -> Any | None:
    return None if raw is None else json.loads(raw)


def _near_size(entry: tuple[float, Any, int]) -> int:
    return entry[2]


VERSIONS_FILE = "cache-versions.bin"


@lru_cache
def make_cache(redis_url: str | None, data_dir: Path | None = None) -> Cache:
    """The process's cache: one per Redis URL; else the one in-memory cache of the data folder, shared by the app,
    its embedded worker and the command line, with its versions in the folder's ``cache-versions.bin`` so that
    other processes on the host (``serve --workers 2``, ``sales-growth worker``) see what this one invalidates."""
    # Every process that writes with a cache (the app, the workers, the command line) must bump the counters of the
    # pages it changes: importing the page cache registers its flush listener.
    import sales_growth.web.pagecache  # noqa: F401

    if redis_url:
        from redis import Redis

        return RedisCache(Redis.from_url(redis_url))
    return MemoryCache(shared=SharedVersions(data_dir / VERSIONS_FILE) if data_dir is not None else None)


def cache_of(session: Session) -> Cache | None:
    """The cache a session's factory was made with (None: no caching, e.g. tools that touch no cached data)."""
    cache: Cache | None = session.info.get("cache")
    return cache


def invalidate_after_commit(session: Session, *, delete: Iterable[str] = (), bump: Iterable[str] = ()) -> None:
    """Delete these entries and bump these versions once the session's transaction commits."""
    if cache_of(session) is None:
        return
    pending: tuple[set[str], set[str]] = session.info.setdefault(_PENDING, (set(), set()))
    pending[0].update(delete)
    pending[1].update(bump)


@event.listens_for(Session, "after_commit")
def _apply_invalidations(session: Session) -> None:
    pending: tuple[set[str], set[str]] | None = session.info.pop(_PENDING, None)
    cache = cache_of(session)
    if pending is None or cache is None:
        return
    deletes, bumps = pending
    if deletes:
        cache.delete(deletes)
    if bumps:
        cache.bump(bumps)


@event.listens_for(Session, "after_rollback")
def _forget_invalidations(session: Session) -> None:
    session.info.pop(_PENDING, None)
