"""Access decisions: typed, frozen values with a machine-readable reason."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class Reason(StrEnum):
    MEMBER = "member"
    NO_MESSAGE_OWNS_PATH = "no_message_owns_path"
    MESSAGE_DELETED = "message_deleted"
    LEFT_CHAT = "left_chat"
    NOT_MEMBER = "not_member"


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    reason: Reason
    # Chats with a live message owning the path: a membership change in one of
    # them is what can flip this decision (used for precise cache eviction).
    chat_ids: frozenset[int] = frozenset()
    # False when chat_ids may be partial: such a denial is not cached.
    complete: bool = True


class CheckUnavailable(Exception):
    """The decision could not be made (database down or too slow): fail closed."""


class AccessChecker(Protocol):
    async def check(self, user_id: int, path: str) -> Decision: ...
