"""gateway/authz/sql.py decide(): owner rows (chat_id, live, joined, current) -> Decision."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from gateway.authz.decision import Decision, Reason
from gateway.authz.sql import decide

M, NO, DEL, LEFT, NOT = (
    Reason.MEMBER,
    Reason.NO_MESSAGE_OWNS_PATH,
    Reason.MESSAGE_DELETED,
    Reason.LEFT_CHAT,
    Reason.NOT_MEMBER,
)

# One row per message owning the path: (chat_id, live, joined, current).
LIVE_MEMBER = (10, 1, 1, 1)
LIVE_LEFT = (10, 1, 1, 0)
LIVE_STRANGER = (10, 1, 0, 0)
DELETED_MEMBER = (10, 0, 1, 1)
DELETED_LEFT = (10, 0, 1, 0)
DELETED_STRANGER = (10, 0, 0, 0)

DECIDE: list[tuple[list[Sequence[int]], bool, Reason, frozenset[int], str]] = [
    ([], False, NO, frozenset(), "no-message-owns-path"),
    ([LIVE_MEMBER], True, M, frozenset({10}), "current-member"),
    ([LIVE_LEFT], False, LEFT, frozenset({10}), "left-chat"),
    ([LIVE_STRANGER], False, NOT, frozenset({10}), "never-a-member"),
    ([DELETED_MEMBER], False, DEL, frozenset(), "message-deleted-member"),
    ([DELETED_LEFT], False, DEL, frozenset(), "message-deleted-left"),
    ([DELETED_STRANGER], False, DEL, frozenset(), "message-deleted-stranger"),
    (
        [DELETED_MEMBER, (10, 1, 1, 1)],
        True,
        M,
        frozenset({10}),
        "deleted-and-live-copy-in-same-chat",
    ),
    (
        [(10, 1, 0, 0), (20, 1, 1, 1)],
        True,
        M,
        frozenset({10, 20}),
        "forwarded-member-of-one-chat",
    ),
    (
        [(10, 0, 1, 1), (20, 1, 0, 0)],
        False,
        NOT,
        frozenset({20}),
        "member-only-where-deleted",
    ),
    (
        [(10, 0, 1, 1), (20, 1, 1, 0)],
        False,
        LEFT,
        frozenset({20}),
        "member-where-deleted-left-where-live",
    ),
    (
        [(10, 1, 1, 0), (20, 1, 0, 0)],
        False,
        LEFT,
        frozenset({10, 20}),
        "left-one-never-in-other",
    ),
    (
        [(10, 0, 1, 0), (20, 1, 0, 0)],
        False,
        NOT,
        frozenset({20}),
        "left-where-deleted-stranger-where-live",
    ),
    (
        [(10, 0, 0, 0), (20, 0, 1, 1)],
        False,
        DEL,
        frozenset(),
        "deleted-everywhere",
    ),
    ([(10, True, True, True)], True, M, frozenset({10}), "booleans-as-flags"),
    ([(10, False, True, True)], False, DEL, frozenset(), "boolean-deleted"),
]


@pytest.mark.parametrize(
    ("rows", "allowed", "reason", "chat_ids"),
    [d[:4] for d in DECIDE],
    ids=[d[4] for d in DECIDE],
)
def test_decide(
    rows: list[Sequence[int]], allowed: bool, reason: Reason, chat_ids: frozenset[int]
) -> None:
    assert decide(rows) == Decision(allowed, reason, chat_ids)


def test_decide_accepts_any_iterable_once() -> None:
    assert decide(iter([LIVE_MEMBER, LIVE_STRANGER])) == Decision(True, M, frozenset({10}))


def test_reasons_are_stable_ids() -> None:
    assert [r.value for r in Reason] == [
        "member",
        "no_message_owns_path",
        "message_deleted",
        "left_chat",
        "not_member",
    ]
