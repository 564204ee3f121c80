"""Revocation benchmark: trigger cost per write, revoke/grant latency, cache hit rate.

    .venv/bin/python bench/revocation.py [--writes 5000] [--trials 200] [--steady-s 20]

Needs the PostgreSQL of the tests (GATEWAY_TEST_PG_URL, default postgres@127.0.0.1).
Creates and drops its own database, starts and stops its own `gateway serve`
processes (through tests/support.py), prints a table and writes
bench/results/revocation.json.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import asyncpg  # noqa: E402
import httpx  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from gateway.config import load_config  # noqa: E402
from gateway.db.migrate import upgrade  # noqa: E402
from support import pg_database, run_server, token, write_config  # noqa: E402

CHATS, USERS, MESSAGES = 100, 2000, 2000
FILL = f"""
INSERT INTO users SELECT g FROM generate_series(1, {USERS}) g;
INSERT INTO chats SELECT g FROM generate_series(1, {CHATS}) g;
INSERT INTO chat_members (chat_id, user_id)
    SELECT DISTINCT c, u FROM generate_series(1, {USERS}) u,
    LATERAL (VALUES (u % {CHATS} + 1), ((u * 7 + 3) % {CHATS} + 1)) AS v(c);
INSERT INTO messages (id, chat_id, sender_id, attachment_path, attachment_thumb_path)
    SELECT g, g % {CHATS} + 1, g % {USERS} + 1, 'm/' || g || '.jpg', 't/' || g || '.jpg'
    FROM generate_series(1, {MESSAGES}) g;
ANALYZE;
"""
TOGGLE = (
    "UPDATE chat_members SET left_at = CASE WHEN left_at IS NULL THEN now() END"
    " WHERE chat_id = $1 AND user_id = $2"
)
LOOKUPS = re.compile(r'lookups_total\{result="(hit|miss)"\} (\S+)')


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def pick(q: float) -> float:  # nearest rank
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return {
        "n": len(ordered),
        "p50_ms": round(pick(0.50) * 1e3, 1),
        "p99_ms": round(pick(0.99) * 1e3, 1),
        "max_ms": round(ordered[-1] * 1e3, 1),
    }


# --- (a) trigger cost per write ----------------------------------------------------

# (synchronous_commit, listening connections): the WAL flush of a durable commit
# hides the trigger; each listener is one more backend the commit must wake.
WRITE_SETUPS = [("on", 1), ("off", 0), ("off", 1), ("off", 4)]
BLOCK = 500


async def write_cost(dsn: str, writes: int, commit: str, listeners: int) -> dict[str, Any]:
    """Single-row autocommit UPDATEs flipping a membership, blocks with/without the trigger."""
    listening = [await asyncpg.connect(dsn) for _ in range(listeners)]
    for conn in listening:
        await conn.add_listener("gateway_invalidate", lambda *_: None)
    conn = await asyncpg.connect(dsn)
    rows = await conn.fetch("SELECT chat_id, user_id FROM chat_members ORDER BY 1, 2")
    toggle = await conn.prepare(TOGGLE)
    await conn.execute(f"SET synchronous_commit = {commit}")
    times: dict[bool, list[float]] = {True: [], False: []}
    try:
        for block in range(2 * writes // BLOCK):
            enabled = block % 2 == 0  # interleaved, so drift hits both alike
            await conn.execute(
                f"ALTER TABLE chat_members {'ENABLE' if enabled else 'DISABLE'}"
                " TRIGGER gateway_member_changed"
            )
            for i in range(BLOCK):
                chat, user = rows[(block * BLOCK + i) % len(rows)]
                start = time.perf_counter()
                await toggle.fetch(chat, user)
                times[enabled].append(time.perf_counter() - start)
    finally:
        await conn.execute("ALTER TABLE chat_members ENABLE TRIGGER gateway_member_changed")
        for c in [conn, *listening]:
            await c.close()
    on, off = (statistics.median(times[e]) * 1e6 for e in (True, False))
    return {
        "synchronous_commit": commit,
        "listeners": listeners,
        "writes_each": len(times[True]),
        "with_triggers_us": round(on, 1),
        "without_triggers_us": round(off, 1),
        "trigger_cost_us": round(on - off, 1),
    }


# --- (b) revocation and grant latency ------------------------------------------------


async def until_status(
    client: httpx.AsyncClient, url: str, auth: dict[str, str], status: int, since: float
) -> float:
    """Poll one gateway (5 ms between tries) until it answers `status`; seconds since `since`."""
    deadline = since + 30
    while (await client.get(url, headers=auth)).status_code != status:
        if time.perf_counter() > deadline:
            raise RuntimeError(f"{url} never answered {status}")
        await asyncio.sleep(0.005)
    return time.perf_counter() - since


async def latency(dsn: str, urls: list[str], config: Any, trials: int) -> dict[str, Any]:
    conn = await asyncpg.connect(dsn)
    chat, user, message = 1, 100, 100  # user 100 is in chat 1, which owns message 100
    path = f"/uploads/m/{message}.jpg"
    auth = {"Authorization": f"Bearer {token(config, str(user), 3600)}"}
    samples: dict[str, list[float]] = {"revoke": [], "grant": []}
    try:
        async with httpx.AsyncClient(timeout=10) as client:
            await asyncio.gather(
                *(until_status(client, u + path, auth, 200, time.perf_counter()) for u in urls)
            )
            for _ in range(trials):
                for kind, sql, status in (
                    ("revoke", "UPDATE chat_members SET left_at = now()", 403),
                    ("grant", "UPDATE chat_members SET left_at = NULL", 200),
                ):
                    await conn.execute(f"{sql} WHERE chat_id = $1 AND user_id = $2", chat, user)
                    committed = time.perf_counter()
                    samples[kind] += await asyncio.gather(
                        *(until_status(client, u + path, auth, status, committed) for u in urls)
                    )
    finally:
        await conn.close()
    return {kind: percentiles(values) for kind, values in samples.items()}


# --- (c) hit rate under a steady workload ---------------------------------------------


async def lookups(client: httpx.AsyncClient, url: str) -> dict[str, float]:
    text = (await client.get(url + "/metrics")).text
    return {kind: float(value) for kind, value in LOOKUPS.findall(text)}


async def hit_rate(dsn: str, url: str, config: Any, seconds: float) -> dict[str, Any]:
    """One client loops over (user, path) pairs; twice a second a membership flips somewhere."""
    conn = await asyncpg.connect(dsn)
    rng = random.Random(4)
    members = [tuple(r) for r in await conn.fetch("SELECT chat_id, user_id FROM chat_members")]
    by_chat: dict[int, list[int]] = {}
    for m in await conn.fetch("SELECT id, chat_id FROM messages"):
        by_chat.setdefault(m["chat_id"], []).append(m["id"])
    # 500 members scrolling their chat (a photo and a thumbnail each), plus 5 %
    # requests for other chats' files (denials, mostly).
    pairs = [
        (user, f"/uploads/{folder}/{rng.choice(by_chat[chat])}.jpg")
        for chat, user in rng.sample(members, 500)
        for folder in ("m", "t")
    ]
    pairs += [
        (rng.randrange(1, USERS + 1), f"/uploads/m/{rng.randrange(1, MESSAGES + 1)}.jpg")
        for _ in range(50)
    ]
    rng.shuffle(pairs)
    tokens = {u: {"Authorization": f"Bearer {token(config, str(u), 3600)}"} for u, _ in pairs}
    changes = 0
    try:
        async with httpx.AsyncClient(timeout=10) as client:
            for user, path in pairs:  # warm-up pass: every decision queried once
                await client.get(url + path, headers=tokens[user])
            before = await lookups(client, url)
            start, next_change, requests = time.perf_counter(), 0.0, 0
            while (elapsed := time.perf_counter() - start) < seconds:
                user, path = pairs[requests % len(pairs)]
                await client.get(url + path, headers=tokens[user])
                requests += 1
                if elapsed >= next_change:
                    await conn.execute(TOGGLE, *rng.choice(members))
                    changes, next_change = changes + 1, next_change + 0.5
            after = await lookups(client, url)
    finally:
        await conn.execute("UPDATE chat_members SET left_at = NULL")
        await conn.close()
    hits, misses = after["hit"] - before["hit"], after["miss"] - before["miss"]
    return {
        "seconds": seconds,
        "pairs": len(pairs),
        "requests": requests,
        "membership_changes": changes,
        "hits": hits,
        "misses": misses,
        "hit_rate": hits / (hits + misses),
    }


# --- driver -----------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writes", type=int, default=5000, help="per setup and mode")
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--steady-s", type=float, default=20.0)
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results/revocation.json")
    args = parser.parse_args()
    with pg_database() as url, tempfile.TemporaryDirectory() as tmp:
        config_path = prepare(Path(tmp), url)
        config = load_config(str(config_path), environ={})
        dsn = asyncpg_dsn(url)
        report: dict[str, Any] = {"machine": asyncio.run(machine(dsn))}
        report["write_cost"] = [
            asyncio.run(write_cost(dsn, args.writes, commit, listeners))
            for commit, listeners in WRITE_SETUPS
        ]
        with contextlib.ExitStack() as stack:
            servers = [
                stack.enter_context(run_server(config_path, ready_path="/readyz")) for _ in range(2)
            ]
            urls = [s.url for s in servers]
            report["latency"] = asyncio.run(latency(dsn, urls, config, args.trials))
            # Both TTLs (30 s) outlast the run: every miss after the warm-up pass
            # is an eviction by a notification.
            report["hit_rate"] = asyncio.run(hit_rate(dsn, urls[0], config, args.steady_s))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print_table(report)
    print(f"\nwritten to {args.out}")
    return 0


def prepare(directory: Path, url: str) -> Path:
    """Config (TTLs 30 s), a media file for every path, the migrated and filled database."""
    config_path = write_config(directory, url, "\n[cache]\nttl_s = 30\ndeny_ttl_s = 30\n")
    for n in range(1, MESSAGES + 1):
        for folder in ("m", "t"):
            target = directory / "media" / folder / f"{n}.jpg"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(b"x" * 64)
    upgrade(url)
    asyncio.run(_execute(asyncpg_dsn(url), FILL))
    return config_path


def asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def machine(dsn: str) -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "load_average_1m": os.getloadavg()[0],  # other work on the box skews every figure
        "python": platform.python_version(),
        "postgresql": await _fetchval(dsn, "SHOW server_version"),
    }


async def _fetchval(dsn: str, sql: str) -> Any:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetchval(sql)
    finally:
        await conn.close()


async def _execute(dsn: str, sql: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def print_table(report: dict[str, Any]) -> None:
    print(f"\n{'median µs per single-row UPDATE':40} {'with':>9} {'without':>9} {'cost':>9}")
    for row in report["write_cost"]:
        setup = f"synchronous_commit={row['synchronous_commit']}, {row['listeners']} listening"
        print(
            f"  {setup:38} {row['with_triggers_us']:9.1f}"
            f" {row['without_triggers_us']:9.1f} {row['trigger_cost_us']:9.1f}"
        )
    print(
        f"\n{'commit -> refusal/allow on every worker':40} {'p50 ms':>9} {'p99 ms':>9}"
        f" {'max ms':>9} {'n':>6}"
    )
    for kind, row in report["latency"].items():
        print(
            f"  {kind:38} {row['p50_ms']:9.1f} {row['p99_ms']:9.1f} {row['max_ms']:9.1f}"
            f" {row['n']:6d}"
        )
    h = report["hit_rate"]
    print(
        f"\ncache hit rate, {h['seconds']:.0f} s steady workload over {h['pairs']} pairs,"
        f" {h['membership_changes']} membership changes: {h['hit_rate']:.2%}"
        f" ({h['hits']:.0f} hits, {h['misses']:.0f} misses)"
    )


if __name__ == "__main__":
    sys.exit(main())
