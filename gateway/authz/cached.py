"""A decision cache that decorates any AccessChecker: the only cachetools importer.

Keyed on every input of the decision, (user_id, path), never on the token.
Allows live for `ttl_s`, denials for `deny_ttl_s`, neither beyond the bound the
caller passes (the token's remaining life). Concurrent misses for one key share
one query. Invalidation events evict exactly the entries they can affect.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from cachetools import LRUCache

from gateway.authz.decision import AccessChecker, Decision

Key = tuple[int, str]


@dataclass(frozen=True, slots=True)
class Entry:
    decision: Decision
    expires_at: float


class CachedChecker:
    def __init__(
        self,
        inner: AccessChecker,
        *,
        ttl_s: float,
        deny_ttl_s: float,
        max_entries: int,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self.inner = inner
        self._ttl_s = ttl_s
        self._deny_ttl_s = deny_ttl_s
        self._max_entries = max_entries
        self._timer = timer
        # LRU bounds the size; expiry is checked on read (cheaper than TLRUCache's
        # bookkeeping on every access, and expired entries are dropped when met).
        self._cache: LRUCache[Key, Entry] = LRUCache(max_entries)
        self._inflight: dict[Key, asyncio.Task[Decision]] = {}
        # Secondary indexes for eviction; may hold keys the cache already dropped,
        # so they are rebuilt once they have grown by `max_entries` additions.
        self._by_user: dict[int, set[Key]] = {}
        self._by_path: dict[str, set[Key]] = {}
        self._indexed = 0
        # Bumped by every invalidation: a query that started before one must not
        # store its (possibly stale) answer.
        self._generation = 0
        self.hits = 0
        self.misses = 0

    def lookup(self, user_id: int, path: str) -> Decision | None:
        """The cached decision, without querying: the hot path needs no await."""
        key = (user_id, path)
        entry = self._cache.get(key)
        if entry is None:
            return None
        if entry.expires_at <= self._timer():
            self._cache.pop(key, None)
            return None
        self.hits += 1
        return entry.decision

    async def check(self, user_id: int, path: str, max_age_s: float | None = None) -> Decision:
        decision = self.lookup(user_id, path)
        if decision is not None:
            return decision
        key = (user_id, path)
        self.misses += 1
        task = self._inflight.get(key)
        if task is None:
            task = asyncio.ensure_future(self.inner.check(user_id, path))
            self._inflight[key] = task
            task.add_done_callback(self._make_store(key, self._generation, max_age_s))
        # Shielded: a client that goes away must not cancel the query others wait on.
        return await asyncio.shield(task)

    def _make_store(
        self, key: Key, generation: int, max_age_s: float | None
    ) -> Callable[[asyncio.Task[Decision]], None]:
        def store(task: asyncio.Task[Decision]) -> None:
            if self._inflight.get(key) is task:
                del self._inflight[key]
            if task.cancelled() or task.exception() is not None:
                return
            if generation != self._generation:
                return
            decision = task.result()
            if not decision.complete:
                return
            ttl = self._ttl_s if decision.allowed else self._deny_ttl_s
            if max_age_s is not None:
                ttl = min(ttl, max_age_s)
            if ttl > 0:
                self._put(key, Entry(decision, self._timer() + ttl))

        return store

    def _put(self, key: Key, entry: Entry) -> None:
        self._cache[key] = entry
        self._by_user.setdefault(key[0], set()).add(key)
        self._by_path.setdefault(key[1], set()).add(key)
        self._indexed += 1
        if self._indexed > 2 * self._max_entries:
            self._rebuild_indexes()

    def _rebuild_indexes(self) -> None:
        # Amortised O(1) per put: runs once per `max_entries` additions at most.
        now = self._timer()
        for key in [k for k, e in self._cache.items() if e.expires_at <= now]:
            del self._cache[key]
        self._by_user.clear()
        self._by_path.clear()
        for key in self._cache:
            self._by_user.setdefault(key[0], set()).add(key)
            self._by_path.setdefault(key[1], set()).add(key)
        self._indexed = len(self._cache)

    def _invalidated(self) -> None:
        """Queries in flight may have read the old state: never store or share them."""
        self._generation += 1
        self._inflight.clear()

    def evict_member(self, chat_id: int, user_id: int) -> int:
        """A membership of `user_id` in `chat_id` changed: drop what it can flip."""
        self._invalidated()
        keys = self._by_user.get(user_id, set())
        now = self._timer()
        evicted = 0
        for key in list(keys):
            entry = self._cache.get(key)
            if entry is None or entry.expires_at <= now or chat_id in entry.decision.chat_ids:
                evicted += entry is not None and entry.expires_at > now
                self._cache.pop(key, None)
                keys.discard(key)
        return evicted

    def evict_path(self, path: str) -> int:
        """A message owning `path` changed: drop every user's decision on it."""
        self._invalidated()
        keys = self._by_path.pop(path, set())
        now = self._timer()
        dropped = [self._cache.pop(key, None) for key in keys]
        return sum(e is not None and e.expires_at > now for e in dropped)

    def clear(self) -> None:
        self._invalidated()
        self._cache.clear()
        self._by_user.clear()
        self._by_path.clear()
        self._indexed = 0

    def __len__(self) -> int:
        return len(self._cache)
