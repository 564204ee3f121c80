-- Fallback schema, used only when `gateway migrate` is unavailable (gateway not
-- installed yet, or `--servers` excludes it), so the baselines can still run.
-- It mirrors the contract in SPEC.md; the gateway's alembic migrations are the
-- real owner and are always preferred.
CREATE TABLE users (id BIGINT PRIMARY KEY);
CREATE TABLE chats (id BIGINT PRIMARY KEY);
CREATE TABLE chat_members (
    chat_id BIGINT NOT NULL REFERENCES chats (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    joined_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    left_at TIMESTAMPTZ,
    PRIMARY KEY (chat_id, user_id)
);
CREATE TABLE messages (
    id BIGINT PRIMARY KEY,
    chat_id BIGINT NOT NULL REFERENCES chats (id),
    sender_id BIGINT NOT NULL REFERENCES users (id),
    attachment_path TEXT,
    attachment_thumb_path TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    deleted_at TIMESTAMPTZ
);
CREATE INDEX messages_attachment_path ON messages (attachment_path)
    WHERE attachment_path IS NOT NULL;
CREATE INDEX messages_attachment_thumb_path ON messages (attachment_thumb_path)
    WHERE attachment_thumb_path IS NOT NULL;
CREATE INDEX chat_members_user ON chat_members (user_id);
