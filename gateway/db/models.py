"""SQLAlchemy 2 models of the contract tables (the chat service writes, we read)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, String, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

PATH_LENGTH = 1024


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)


class Chat(Base):
    __tablename__ = "chats"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)


class ChatMember(Base):
    __tablename__ = "chat_members"
    chat_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("chats.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    joined_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    left_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_chat_members_user_id", "user_id"),)


class Message(Base):
    __tablename__ = "messages"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    chat_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("chats.id", ondelete="CASCADE"), nullable=False
    )
    sender_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("users.id"))
    attachment_path: Mapped[str | None] = mapped_column(String(PATH_LENGTH))
    attachment_thumb_path: Mapped[str | None] = mapped_column(String(PATH_LENGTH))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index(
            "ix_messages_attachment_path",
            "attachment_path",
            postgresql_where=attachment_path.is_not(None),
            sqlite_where=attachment_path.is_not(None),
        ),
        Index(
            "ix_messages_attachment_thumb_path",
            "attachment_thumb_path",
            postgresql_where=attachment_thumb_path.is_not(None),
            sqlite_where=attachment_thumb_path.is_not(None),
        ),
        Index("ix_messages_chat_id", "chat_id"),
    )
