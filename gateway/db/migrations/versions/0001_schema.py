"""The contract tables: users, chats, chat_members, messages, with partial path indexes.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("users", sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False))
    op.create_table("chats", sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False))
    op.create_table(
        "chat_members",
        sa.Column("chat_id", sa.BigInteger, sa.ForeignKey("chats.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("user_id", sa.BigInteger, sa.ForeignKey("users.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
        sa.Column("left_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_chat_members_user_id", "chat_members", ["user_id"])
    op.create_table(
        "messages",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("chat_id", sa.BigInteger, sa.ForeignKey("chats.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("sender_id", sa.BigInteger, sa.ForeignKey("users.id")),
        sa.Column("attachment_path", sa.String(1024)),
        sa.Column("attachment_thumb_path", sa.String(1024)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
        sa.Column("deleted_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_messages_chat_id", "messages", ["chat_id"])
    for column in ("attachment_path", "attachment_thumb_path"):
        where = sa.text(f"{column} IS NOT NULL")
        op.create_index(f"ix_messages_{column}", "messages", [column],
                        postgresql_where=where, sqlite_where=where)


def downgrade() -> None:
    op.drop_table("messages")
    op.drop_table("chat_members")
    op.drop_table("chats")
    op.drop_table("users")
