"""gateway/authz/cached.py: CachedChecker around an in-memory checker, with a hand clock."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

import pytest

from gateway.authz.cached import CachedChecker
from gateway.authz.decision import CheckUnavailable, Decision, Reason

T = TypeVar("T")

ALLOW_10 = Decision(True, Reason.MEMBER, frozenset({10}))
ALLOW_20 = Decision(True, Reason.MEMBER, frozenset({20}))
DENY_10 = Decision(False, Reason.NOT_MEMBER, frozenset({10}))
NO_OWNER = Decision(False, Reason.NO_MESSAGE_OWNS_PATH, frozenset())


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


class Clock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class FakeChecker:
    """Answers from a table and counts calls.

    The answer is read when the call starts (as a database would); `hold()` makes
    the calls that start after it wait until its gate is set.
    """

    def __init__(self, answers: dict[tuple[int, str], Decision] | None = None) -> None:
        self.answers = dict(answers or {})
        self.calls: list[tuple[int, str]] = []
        self.error: Exception | None = None
        self._gate: asyncio.Event | None = None
        self.finished = 0

    def hold(self) -> asyncio.Event:
        self._gate = asyncio.Event()
        return self._gate

    def release(self) -> None:
        assert self._gate is not None
        self._gate.set()
        self._gate = None

    async def check(self, user_id: int, path: str) -> Decision:
        self.calls.append((user_id, path))
        answer = self.answers.get((user_id, path), NO_OWNER)
        gate = self._gate
        if gate is not None:
            await gate.wait()
        self.finished += 1
        if self.error is not None:
            raise self.error
        return answer


def make(
    answers: dict[tuple[int, str], Decision] | None = None,
    *,
    ttl_s: float = 30.0,
    deny_ttl_s: float = 5.0,
    max_entries: int = 100,
) -> tuple[CachedChecker, FakeChecker, Clock]:
    inner = FakeChecker(answers)
    clock = Clock()
    cache = CachedChecker(
        inner, ttl_s=ttl_s, deny_ttl_s=deny_ttl_s, max_entries=max_entries, timer=clock
    )
    return cache, inner, clock


async def settle() -> None:
    """Let every ready task and callback run."""
    for _ in range(5):
        await asyncio.sleep(0)


# --- hits, misses, TTLs -----------------------------------------------------------------


def test_miss_then_hit() -> None:
    cache, inner, _ = make({(1, "a"): ALLOW_10})

    async def scenario() -> None:
        assert cache.lookup(1, "a") is None
        assert await cache.check(1, "a") == ALLOW_10
        assert await cache.check(1, "a") == ALLOW_10
        assert cache.lookup(1, "a") == ALLOW_10

    run(scenario())
    assert inner.calls == [(1, "a")]
    assert (cache.misses, cache.hits) == (1, 2)
    assert len(cache) == 1


def test_key_is_user_and_path() -> None:
    cache, inner, _ = make({(1, "a"): ALLOW_10, (2, "a"): DENY_10})

    async def scenario() -> list[Decision]:
        return [await cache.check(u, p) for u, p in [(1, "a"), (2, "a"), (1, "b"), (1, "a")]]

    assert run(scenario()) == [ALLOW_10, DENY_10, NO_OWNER, ALLOW_10]
    assert inner.calls == [(1, "a"), (2, "a"), (1, "b")]


TTL_CASES = [
    # (decision, seconds later, max_age_s, inner calls after the second check, id)
    (ALLOW_10, 29.9, None, 1, "allow-within-ttl"),
    (ALLOW_10, 30.0, None, 2, "allow-at-ttl"),
    (DENY_10, 4.9, None, 1, "deny-within-deny-ttl"),
    (DENY_10, 5.0, None, 2, "deny-at-deny-ttl"),
    (NO_OWNER, 5.0, None, 2, "no-owner-uses-deny-ttl"),
    (ALLOW_10, 2.9, 3.0, 1, "allow-within-max-age"),
    (ALLOW_10, 3.0, 3.0, 2, "allow-bounded-by-max-age"),
    (DENY_10, 1.0, 1.0, 2, "deny-bounded-by-max-age"),
    (DENY_10, 4.9, 60.0, 1, "max-age-longer-than-deny-ttl"),
    (ALLOW_10, 29.9, 1000.0, 1, "max-age-longer-than-ttl"),
    (ALLOW_10, 0.0, 0.0, 2, "max-age-zero-not-stored"),
    (ALLOW_10, 0.0, -5.0, 2, "max-age-negative-not-stored"),
]


@pytest.mark.parametrize(
    ("decision", "later_s", "max_age_s", "calls"),
    [t[:4] for t in TTL_CASES],
    ids=[t[4] for t in TTL_CASES],
)
def test_ttl(decision: Decision, later_s: float, max_age_s: float | None, calls: int) -> None:
    cache, inner, clock = make({(1, "a"): decision}, ttl_s=30.0, deny_ttl_s=5.0)

    async def scenario() -> None:
        assert await cache.check(1, "a", max_age_s) == decision
        clock.now += later_s
        assert await cache.check(1, "a", max_age_s) == decision

    run(scenario())
    assert len(inner.calls) == calls


@pytest.mark.parametrize(
    ("ttl_s", "deny_ttl_s", "decision"),
    [(0.0, 5.0, ALLOW_10), (30.0, 0.0, DENY_10)],
    ids=["allow-ttl-zero", "deny-ttl-zero"],
)
def test_zero_ttl_disables_caching(ttl_s: float, deny_ttl_s: float, decision: Decision) -> None:
    cache, inner, _ = make({(1, "a"): decision}, ttl_s=ttl_s, deny_ttl_s=deny_ttl_s)

    async def scenario() -> None:
        await cache.check(1, "a")
        await cache.check(1, "a")

    run(scenario())
    assert len(inner.calls) == 2
    assert len(cache) == 0


def test_max_entries_bounds_the_cache() -> None:
    cache, _, _ = make(max_entries=3)

    async def scenario() -> None:
        for i in range(10):
            await cache.check(i, "a")

    run(scenario())
    assert len(cache) == 3


# --- concurrency ------------------------------------------------------------------------


def test_concurrent_misses_share_one_inner_call() -> None:
    cache, inner, _ = make({(1, "a"): ALLOW_10})

    async def scenario() -> list[Decision]:
        inner.hold()
        waiters = asyncio.gather(*(cache.check(1, "a") for _ in range(5)))
        await settle()
        inner.release()
        return await waiters

    assert run(scenario()) == [ALLOW_10] * 5
    assert inner.calls == [(1, "a")]
    assert cache.misses == 5


def test_concurrent_misses_for_different_keys_are_separate() -> None:
    cache, inner, _ = make({(1, "a"): ALLOW_10, (1, "b"): ALLOW_20})

    async def scenario() -> list[Decision]:
        inner.hold()
        waiters = asyncio.gather(cache.check(1, "a"), cache.check(1, "b"), cache.check(2, "a"))
        await settle()
        inner.release()
        return await waiters

    assert run(scenario()) == [ALLOW_10, ALLOW_20, NO_OWNER]
    assert sorted(inner.calls) == [(1, "a"), (1, "b"), (2, "a")]


def test_cancelled_waiter_does_not_cancel_the_shared_query() -> None:
    cache, inner, _ = make({(1, "a"): ALLOW_10})

    async def scenario() -> None:
        inner.hold()
        leaving = asyncio.ensure_future(cache.check(1, "a"))
        staying = asyncio.ensure_future(cache.check(1, "a"))
        await settle()
        leaving.cancel()
        await settle()
        assert leaving.cancelled()
        inner.release()
        assert await staying == ALLOW_10

    run(scenario())
    assert inner.calls == [(1, "a")]
    assert inner.finished == 1


def test_query_of_a_lone_cancelled_waiter_still_completes_and_is_stored() -> None:
    cache, inner, _ = make({(1, "a"): ALLOW_10})

    async def scenario() -> None:
        inner.hold()
        leaving = asyncio.ensure_future(cache.check(1, "a"))
        await settle()
        leaving.cancel()
        await settle()
        inner.release()
        await settle()
        assert cache.lookup(1, "a") == ALLOW_10
        assert await cache.check(1, "a") == ALLOW_10

    run(scenario())
    assert inner.calls == [(1, "a")]


def test_inner_exception_reaches_every_waiter_and_is_not_cached() -> None:
    cache, inner, _ = make({(1, "a"): ALLOW_10})

    async def scenario() -> None:
        inner.hold()
        inner.error = CheckUnavailable("TimeoutError")
        waiters = asyncio.gather(cache.check(1, "a"), cache.check(1, "a"), return_exceptions=True)
        await settle()
        inner.release()
        results = await waiters
        assert all(isinstance(r, CheckUnavailable) for r in results)
        assert cache.lookup(1, "a") is None
        inner.error = None
        assert await cache.check(1, "a") == ALLOW_10

    run(scenario())
    assert inner.calls == [(1, "a"), (1, "a")]


# --- eviction ---------------------------------------------------------------------------

WORLD = {
    (1, "a"): ALLOW_10,  # user 1 reads "a" through chat 10
    (1, "b"): ALLOW_20,  # ... and "b" through chat 20
    (2, "a"): ALLOW_10,  # user 2 reads "a" through chat 10
    (3, "a"): DENY_10,  # user 3 is not in chat 10
    (3, "z"): NO_OWNER,  # no message owns "z"
}


def filled(**kwargs: Any) -> tuple[CachedChecker, FakeChecker, Clock]:
    cache, inner, clock = make(WORLD, **kwargs)

    async def fill() -> None:
        for user_id, path in WORLD:
            await cache.check(user_id, path)

    run(fill())
    assert len(cache) == len(WORLD)
    return cache, inner, clock


def cached_keys(cache: CachedChecker) -> set[tuple[int, str]]:
    return {key for key in WORLD if cache.lookup(*key) is not None}


EVICT_MEMBER = [
    # (chat, user, evicted count, keys left, id)
    (10, 1, 1, set(WORLD) - {(1, "a")}, "user-leaves-chat-10"),
    (20, 1, 1, set(WORLD) - {(1, "b")}, "user-leaves-chat-20"),
    (10, 2, 1, set(WORLD) - {(2, "a")}, "other-user-same-chat"),
    (10, 3, 1, set(WORLD) - {(3, "a")}, "denied-user-joins-chat"),
    (30, 1, 0, set(WORLD), "unrelated-chat"),
    (10, 99, 0, set(WORLD), "unknown-user"),
    (20, 3, 0, set(WORLD), "no-owner-decision-not-flipped-by-membership"),
]


@pytest.mark.parametrize(
    ("chat_id", "user_id", "count", "left"),
    [e[:4] for e in EVICT_MEMBER],
    ids=[e[4] for e in EVICT_MEMBER],
)
def test_evict_member(chat_id: int, user_id: int, count: int, left: set[tuple[int, str]]) -> None:
    cache, _, _ = filled()
    assert cache.evict_member(chat_id, user_id) == count
    assert cached_keys(cache) == left


EVICT_PATH = [
    ("a", 3, {(1, "b"), (3, "z")}, "every-user-of-a"),
    ("b", 1, set(WORLD) - {(1, "b")}, "only-b"),
    ("z", 1, set(WORLD) - {(3, "z")}, "no-owner-path"),
    ("missing", 0, set(WORLD), "unknown-path"),
]


@pytest.mark.parametrize(
    ("path", "count", "left"), [e[:3] for e in EVICT_PATH], ids=[e[3] for e in EVICT_PATH]
)
def test_evict_path(path: str, count: int, left: set[tuple[int, str]]) -> None:
    cache, _, _ = filled()
    assert cache.evict_path(path) == count
    assert cached_keys(cache) == left


def test_evicted_entry_is_queried_again() -> None:
    cache, inner, _ = filled()
    inner.answers[(1, "a")] = DENY_10
    cache.evict_member(10, 1)
    assert run(cache.check(1, "a")) == DENY_10
    assert inner.calls.count((1, "a")) == 2


def test_evicting_twice_counts_once() -> None:
    cache, _, _ = filled()
    assert cache.evict_path("a") == 3
    assert cache.evict_path("a") == 0
    assert cache.evict_member(10, 1) == 0


def test_expired_entries_are_not_counted_as_evicted() -> None:
    cache, _, clock = filled()
    clock.now += 31
    assert cache.evict_member(10, 1) == 0
    assert cache.evict_path("a") == 0


def test_clear() -> None:
    cache, inner, _ = filled()
    cache.clear()
    assert len(cache) == 0
    assert cached_keys(cache) == set()
    run(cache.check(1, "a"))
    assert inner.calls.count((1, "a")) == 2


def test_eviction_stays_exact_after_many_insertions() -> None:
    # Far more insertions than max_entries: the eviction indexes are rebuilt on the way.
    cache, _, _ = make(WORLD, max_entries=4)

    async def churn() -> None:
        for i in range(50):
            await cache.check(100 + i, f"tmp/{i}")
        for user_id, path in [(1, "a"), (2, "a"), (1, "b")]:
            await cache.check(user_id, path)

    run(churn())
    assert len(cache) == 4
    assert cache.evict_path("a") == 2
    assert cache.lookup(1, "b") == ALLOW_20
    assert cache.evict_member(20, 1) == 1
    assert cache.lookup(1, "b") is None


# --- generation rule: an answer read before an invalidation is never stored -------------

INVALIDATIONS = [
    ("evict_path", ("a",), "evict-same-path"),
    ("evict_path", ("other",), "evict-other-path"),
    ("evict_member", (10, 1), "evict-member"),
    ("evict_member", (99, 7), "evict-unrelated-member"),
    ("clear", (), "clear"),
]


@pytest.mark.parametrize(
    ("method", "args"), [i[:2] for i in INVALIDATIONS], ids=[i[2] for i in INVALIDATIONS]
)
def test_query_in_flight_during_invalidation_is_not_stored(
    method: str, args: tuple[Any, ...]
) -> None:
    cache, inner, _ = make({(1, "a"): ALLOW_10})

    async def scenario() -> None:
        inner.hold()
        waiter = asyncio.ensure_future(cache.check(1, "a"))
        await settle()
        getattr(cache, method)(*args)
        inner.release()
        assert await waiter == ALLOW_10  # the caller that asked before still gets it
        assert cache.lookup(1, "a") is None
        assert await cache.check(1, "a") == ALLOW_10

    run(scenario())
    assert inner.calls == [(1, "a"), (1, "a")]
    assert cache.lookup(1, "a") == ALLOW_10  # the fresh answer is stored


def test_check_after_invalidation_does_not_join_the_older_query() -> None:
    # The user left chat 10 while a query was in flight: a request arriving after
    # the notification must get a fresh answer, not share the pre-revocation one.
    cache, inner, _ = make({(1, "a"): ALLOW_10})

    async def scenario() -> tuple[Decision, Decision]:
        inner.hold()
        before = asyncio.ensure_future(cache.check(1, "a"))
        await settle()
        inner.answers[(1, "a")] = DENY_10
        cache.evict_member(10, 1)
        after = asyncio.ensure_future(cache.check(1, "a"))
        await settle()
        inner.release()
        return await before, await after

    assert run(scenario()) == (ALLOW_10, DENY_10)
    assert inner.calls == [(1, "a"), (1, "a")]
    assert cache.lookup(1, "a") == DENY_10


@pytest.mark.parametrize("older_finishes_first", [True, False], ids=["older-first", "newer-first"])
def test_older_query_never_overwrites_or_detaches_the_newer_one(older_finishes_first: bool) -> None:
    cache, inner, _ = make({(1, "a"): ALLOW_10})

    async def scenario() -> None:
        older_gate = inner.hold()
        older = asyncio.ensure_future(cache.check(1, "a"))
        await settle()
        inner.answers[(1, "a")] = DENY_10
        cache.evict_path("a")
        newer_gate = inner.hold()
        newer = asyncio.ensure_future(cache.check(1, "a"))
        await settle()
        first, second = older_gate, newer_gate
        if not older_finishes_first:
            first, second = second, first
        first.set()
        await settle()
        # Whichever finished, a request now either joins the newer query or hits its answer.
        joiner = asyncio.ensure_future(cache.check(1, "a"))
        await settle()
        second.set()
        assert await older == ALLOW_10
        assert await newer == DENY_10
        assert await joiner == DENY_10

    run(scenario())
    assert inner.calls == [(1, "a"), (1, "a")]
    assert cache.lookup(1, "a") == DENY_10
