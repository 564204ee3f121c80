"""The simulated chat service: users, chats, memberships and messages.

Generated once, deterministically (fixed seed), then written both to
PostgreSQL (database.py) and to disk (dataset.py), so the two always agree.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Message:
    id: int
    chat_id: int
    sender_id: int
    attachment_path: str
    thumb_path: str
    deleted: bool
    # Which on-disk original the paths link to (see dataset.py).
    original_index: int


@dataclass(frozen=True, slots=True)
class Membership:
    chat_id: int
    user_id: int
    left: bool


@dataclass(frozen=True, slots=True)
class World:
    user_count: int
    chat_count: int
    memberships: tuple[Membership, ...]
    messages: tuple[Message, ...]
    bench_user: int
    bench_chat: int
    # A user who is not a member of bench_chat: the authorization probe.
    stranger: int
    video_path: str
    # Non-deleted messages per chat, for request lists and cold pairs.
    visible_by_chat: dict[int, tuple[Message, ...]] = field(repr=False)

    def bench_messages(self) -> tuple[Message, ...]:
        return self.visible_by_chat[self.bench_chat]

    def current_memberships(self) -> Iterator[Membership]:
        return (m for m in self.memberships if not m.left)


def thumb_path(chat_id: int, message_id: int) -> str:
    return f"messages/{chat_id}/{message_id}.thumb.jpg"


def photo_path(chat_id: int, message_id: int) -> str:
    return f"messages/{chat_id}/{message_id}.jpg"


def build_world(
    *,
    users: int = 10_000,
    chats: int = 1_000,
    chats_per_user: int = 5,
    messages: int = 100_000,
    left_ratio: float = 0.02,
    deleted_ratio: float = 0.01,
    seed: int = 5,
) -> World:
    """Users join `chats_per_user` random chats; messages are spread evenly over chats.

    A few memberships have ended and a few messages are deleted so the access
    query's `left_at IS NULL` / `deleted_at IS NULL` predicates do real work.
    """
    rng = random.Random(seed)
    memberships: list[Membership] = []
    members_of: dict[int, list[int]] = {c: [] for c in range(1, chats + 1)}
    for user in range(1, users + 1):
        for chat in rng.sample(range(1, chats + 1), chats_per_user):
            # User 1 is the bench user: their memberships must all be current.
            left = user != 1 and rng.random() < left_ratio
            memberships.append(Membership(chat, user, left))
            members_of[chat].append(user)
    bench_user = 1
    bench_chat = min(m.chat_id for m in memberships if m.user_id == bench_user)
    stranger = next(u for u in range(2, users + 1) if u not in members_of[bench_chat])

    per_chat = messages // chats
    rows: list[Message] = []
    for index in range(messages):
        chat = index // per_chat + 1
        message_id = index + 1
        senders = members_of[chat] or [bench_user]
        deleted = chat != bench_chat and rng.random() < deleted_ratio
        rows.append(
            Message(
                id=message_id,
                chat_id=chat,
                sender_id=rng.choice(senders),
                attachment_path=photo_path(chat, message_id),
                thumb_path=thumb_path(chat, message_id),
                deleted=deleted,
                original_index=index,
            )
        )
    video_path = f"messages/{bench_chat}/video.mp4"
    rows.append(
        Message(
            id=messages + 1,
            chat_id=bench_chat,
            sender_id=bench_user,
            attachment_path=video_path,
            thumb_path=f"messages/{bench_chat}/video.thumb.jpg",
            deleted=False,
            original_index=0,
        )
    )
    visible: dict[int, list[Message]] = {c: [] for c in range(1, chats + 1)}
    for message in rows:
        # The video message is served by its own workloads, not cycled with photos.
        if not message.deleted and message.attachment_path != video_path:
            visible[message.chat_id].append(message)
    return World(
        user_count=users,
        chat_count=chats,
        memberships=tuple(memberships),
        messages=tuple(rows),
        bench_user=bench_user,
        bench_chat=bench_chat,
        stranger=stranger,
        video_path=video_path,
        visible_by_chat={c: tuple(ms) for c, ms in visible.items()},
    )
