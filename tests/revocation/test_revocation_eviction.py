"""CachedChecker eviction, driven by invalidation payloads: exact, and never stale."""

from __future__ import annotations

import asyncio

import pytest

from gateway.authz.cached import CachedChecker
from gateway.authz.decision import Decision, Reason
from gateway.invalidation import apply_event

ALLOW_10 = Decision(True, Reason.MEMBER, frozenset({10}))
DENY_10 = Decision(False, Reason.NOT_MEMBER, frozenset({10}))
ALLOW_20 = Decision(True, Reason.MEMBER, frozenset({20}))
DENY_DELETED = Decision(False, Reason.MESSAGE_DELETED)


class Table:
    """A fake checker: decisions by (user, path), and a count of queries."""

    def __init__(self, decisions: dict[tuple[int, str], Decision]) -> None:
        self.decisions = decisions
        self.queries = 0
        self.gate: asyncio.Event | None = None

    async def check(self, user_id: int, path: str) -> Decision:
        self.queries += 1
        decision = self.decisions[(user_id, path)]
        if self.gate is not None:
            await self.gate.wait()
        return decision


def cached(table: Table) -> CachedChecker:
    return CachedChecker(table, ttl_s=30, deny_ttl_s=30, max_entries=1000,
                         timer=lambda: 0.0)


async def warm(cache: CachedChecker, keys: list[tuple[int, str]]) -> None:
    for user, path in keys:
        await cache.check(user, path)


def requeried(table: Table, cache: CachedChecker, keys: list[tuple[int, str]]) -> set[
        tuple[int, str]]:
    """Which keys the cache no longer answers by itself."""

    async def probe() -> set[tuple[int, str]]:
        missed = set()
        for key in keys:
            before = table.queries
            await cache.check(*key)
            if table.queries > before:
                missed.add(key)
        return missed

    return asyncio.run(probe())


WORLD = {
    (1, "a.jpg"): ALLOW_10,
    (2, "a.jpg"): DENY_10,
    (1, "b.mp4"): ALLOW_20,
    (2, "b.mp4"): ALLOW_20,
    (1, "gone.jpg"): DENY_DELETED,
}
KEYS = list(WORLD)


@pytest.mark.parametrize(
    ("payload", "evicted"),
    [
        # A membership flips only that user's decisions on that chat's paths,
        # allows (removal) and denials (addition) alike.
        ('{"kind": "member", "chat": 10, "user": 1}', {(1, "a.jpg")}),
        ('{"kind": "member", "chat": 10, "user": 2}', {(2, "a.jpg")}),
        ('{"kind": "member", "chat": 20, "user": 2}', {(2, "b.mp4")}),
        ('{"kind": "member", "chat": 30, "user": 1}', set()),
        ('{"kind": "member", "chat": 10, "user": 9}', set()),
        # A message change: every user's decision on its paths.
        ('{"kind": "paths", "paths": ["b.mp4"]}', {(1, "b.mp4"), (2, "b.mp4")}),
        ('{"kind": "paths", "paths": ["gone.jpg", "a.jpg"]}',
         {(1, "a.jpg"), (2, "a.jpg"), (1, "gone.jpg")}),
        ('{"kind": "all"}', set(KEYS)),
        # Anything unreadable: forget everything rather than guess.
        ('not json', set(KEYS)),
        ('{"kind": "member", "chat": "x", "user": 1}', set(KEYS)),
        ('[1, 2]', set(KEYS)),
        ('{"kind": "reindex"}', set(KEYS)),
    ],
)
def test_event_evicts_exactly_what_it_can_flip(payload: str, evicted: set[tuple[int, str]]
                                               ) -> None:
    table = Table(WORLD)
    cache = cached(table)
    asyncio.run(warm(cache, KEYS))
    apply_event(cache, payload)
    assert requeried(table, cache, KEYS) == evicted


async def queried(table: Table, count: int) -> None:
    async with asyncio.timeout(5):
        while table.queries < count:
            await asyncio.sleep(0)
    assert table.queries == count


def test_query_in_flight_during_an_event_is_neither_stored_nor_shared() -> None:
    async def scenario() -> None:
        table = Table({(1, "a.jpg"): ALLOW_10})
        cache = cached(table)
        table.gate = asyncio.Event()
        early = asyncio.ensure_future(cache.check(1, "a.jpg"))
        await queried(table, 1)
        # The member leaves while the query runs: its answer may predate that.
        apply_event(cache, '{"kind": "member", "chat": 10, "user": 1}')
        table.decisions[(1, "a.jpg")] = Decision(False, Reason.LEFT_CHAT, frozenset({10}))
        late = asyncio.ensure_future(cache.check(1, "a.jpg"))
        await queried(table, 2)  # a request after the event does not join the old query
        table.gate.set()
        assert (await early).allowed
        assert not (await late).allowed
        assert not (await cache.check(1, "a.jpg")).allowed
        assert table.queries == 2  # the fresh answer, not the old one, was cached

    asyncio.run(scenario())


def test_eviction_indexes_stay_bounded() -> None:
    async def scenario() -> None:
        table = Table({(u, f"p{n}"): ALLOW_10 for u in range(50) for n in range(50)})
        cache = CachedChecker(table, ttl_s=30, deny_ttl_s=30, max_entries=100)
        await warm(cache, list(table.decisions))
        indexed = sum(map(len, cache._by_user.values()))
        assert len(cache) == 100
        assert indexed <= 2 * 100 + 1
        apply_event(cache, '{"kind": "member", "chat": 10, "user": 49}')
        assert len(cache) == 50  # user 49's decisions were the most recent ones

    asyncio.run(scenario())
