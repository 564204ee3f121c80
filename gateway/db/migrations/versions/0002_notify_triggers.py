"""PostgreSQL triggers that NOTIFY gateway processes of membership and message changes.

Revision ID: 0002
Revises: 0001

Payloads on channel `gateway_invalidate` (JSON):
  {"kind": "member", "chat": C, "user": U}   a membership of U in C started or ended
  {"kind": "paths", "paths": [P, ...]}       messages owning these paths changed
  {"kind": "all"}                            a table was truncated, or the paths
                                             were too long for one NOTIFY (8000 bytes)
NOTIFY is transactional: delivered on commit, never on rollback. SQLite has no
notifications; there the cache TTL alone bounds revocation.
"""

from __future__ import annotations

import re

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

UPGRADE = r"""
CREATE OR REPLACE FUNCTION gateway_notify_member() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- Only membership itself matters: an update keeping (chat, user, left_at IS NULL) is silent.
    IF TG_OP = 'UPDATE' AND (NEW.chat_id, NEW.user_id, NEW.left_at IS NULL)
                          = (OLD.chat_id, OLD.user_id, OLD.left_at IS NULL) THEN
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM pg_notify('gateway_invalidate', json_build_object(
            'kind', 'member', 'chat', OLD.chat_id, 'user', OLD.user_id)::text);
    END IF;
    IF TG_OP = 'INSERT' OR NEW.chat_id <> OLD.chat_id OR NEW.user_id <> OLD.user_id THEN
        PERFORM pg_notify('gateway_invalidate', json_build_object(
            'kind', 'member', 'chat', NEW.chat_id, 'user', NEW.user_id)::text);
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION gateway_notify_message() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    paths text[] := ARRAY[]::text[];
    payload text;
BEGIN
    IF TG_OP = 'UPDATE'
       AND NEW.chat_id = OLD.chat_id
       AND (NEW.deleted_at IS NULL) = (OLD.deleted_at IS NULL)
       AND NEW.attachment_path IS NOT DISTINCT FROM OLD.attachment_path
       AND NEW.attachment_thumb_path IS NOT DISTINCT FROM OLD.attachment_thumb_path THEN
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        paths := paths || OLD.attachment_path::text || OLD.attachment_thumb_path::text;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        paths := paths || NEW.attachment_path::text || NEW.attachment_thumb_path::text;
    END IF;
    SELECT array_agg(DISTINCT p) INTO paths FROM unnest(paths) p WHERE p IS NOT NULL;
    IF paths IS NULL THEN
        RETURN NULL;  -- no attachment: nothing a gateway can have cached
    END IF;
    payload := json_build_object('kind', 'paths', 'paths', paths)::text;
    IF octet_length(payload) >= 8000 THEN
        -- NOTIFY refuses payloads of 8000 bytes or more; the write must never fail.
        payload := '{"kind": "all"}';
    END IF;
    PERFORM pg_notify('gateway_invalidate', payload);
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION gateway_notify_all() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('gateway_invalidate', '{"kind": "all"}');
    RETURN NULL;
END $$;

CREATE TRIGGER gateway_member_changed
    AFTER INSERT OR UPDATE OR DELETE ON chat_members
    FOR EACH ROW EXECUTE FUNCTION gateway_notify_member();
CREATE TRIGGER gateway_message_changed
    AFTER INSERT OR UPDATE OR DELETE ON messages
    FOR EACH ROW EXECUTE FUNCTION gateway_notify_message();
CREATE TRIGGER gateway_members_truncated
    AFTER TRUNCATE ON chat_members
    FOR EACH STATEMENT EXECUTE FUNCTION gateway_notify_all();
CREATE TRIGGER gateway_messages_truncated
    AFTER TRUNCATE ON messages
    FOR EACH STATEMENT EXECUTE FUNCTION gateway_notify_all();
"""

DOWNGRADE = """
DROP TRIGGER IF EXISTS gateway_member_changed ON chat_members;
DROP TRIGGER IF EXISTS gateway_message_changed ON messages;
DROP TRIGGER IF EXISTS gateway_members_truncated ON chat_members;
DROP TRIGGER IF EXISTS gateway_messages_truncated ON messages;
DROP FUNCTION IF EXISTS gateway_notify_member();
DROP FUNCTION IF EXISTS gateway_notify_message();
DROP FUNCTION IF EXISTS gateway_notify_all();
"""


def _statements(script: str) -> list[str]:
    """One statement each: asyncpg prepares statements, which cannot hold several."""
    parts = re.split(r"\n(?=CREATE |DROP )", script.strip())
    return [p.strip().rstrip(";") for p in parts if p.strip()]


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in _statements(UPGRADE):
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in _statements(DOWNGRADE):
            op.execute(statement)
