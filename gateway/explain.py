"""`gateway check`: the decision for one user and path, and why, without serving bytes."""

from __future__ import annotations

from gateway.authz.decision import CheckUnavailable
from gateway.authz.sql import SqlAccessChecker
from gateway.config import Config
from gateway.db.engine import make_engine
from gateway.errors import HTTPError
from gateway.storage import Storage

EXPLANATIONS = {
    "member": "a live message in chat(s) {chats} owns the path and the user is a current member",
    "no_message_owns_path": "no message has this path as attachment or thumbnail",
    "message_deleted": "every message owning the path is deleted",
    "left_chat": "the user left chat(s) {chats} whose live messages own the path",
    "not_member": "the user is not a member of chat(s) {chats} whose live messages own the path",
}


async def explain(config: Config, user_id: int, path: str) -> tuple[bool, list[str]]:
    storage = Storage(config.storage.root)
    path = path.removeprefix("/uploads/").lstrip("/") if path.startswith("/uploads/") else path
    try:
        real = storage.resolve(path)
    except HTTPError as exc:
        return False, [f"DENIED ({exc.status}): path refused before any lookup: {exc.reason}"]
    engine = make_engine(config.database)
    try:
        decision = await SqlAccessChecker(
            engine, timeout_s=config.database.statement_timeout_s
        ).check(user_id, path)
    except CheckUnavailable as exc:
        return False, [f"DENIED (503): database unavailable: {exc}"]
    finally:
        await engine.dispose()
    chats = ", ".join(str(c) for c in sorted(decision.chat_ids)) or "-"
    why = EXPLANATIONS[decision.reason].format(chats=chats)
    if not decision.allowed:
        return False, [f"DENIED (403): {decision.reason}: {why}"]
    try:
        with storage.open(path) as f:
            on_disk = f"{f.size} bytes at {real}"
    except HTTPError as exc:
        return False, [f"DENIED (404): allowed ({why}) but {exc.reason}: {real}"]
    return True, [f"ALLOWED (200): {decision.reason}: {why}", f"file: {on_disk}"]
