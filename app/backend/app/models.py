"""Database tables and the API's request and response shapes."""

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Generic, Literal, TypeVar

from pydantic import AfterValidator, StringConstraints, field_validator
from sqlalchemy import Column, DateTime, ForeignKey, Index, Integer, String, Text
from sqlmodel import Field, SQLModel

TITLE_MAX_LENGTH = 200
DESCRIPTION_MAX_LENGTH = 2000
MESSAGE_MAX_LENGTH = 4000
USER_ID_MAX_LENGTH = 255


def utcnow() -> datetime:
    return datetime.now(UTC)


def _no_nul(value: str) -> str:
    # PostgreSQL text cannot hold NUL characters: refuse them as bad input, not a server error.
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


Title = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=TITLE_MAX_LENGTH),
    AfterValidator(_no_nul),
]
Description = Annotated[str, StringConstraints(max_length=DESCRIPTION_MAX_LENGTH), AfterValidator(_no_nul)]
MessageText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=MESSAGE_MAX_LENGTH),
    AfterValidator(_no_nul),
]


def _timestamp() -> Column[datetime]:
    return Column(DateTime(timezone=True), nullable=False)


# --- tables -----------------------------------------------------------------


class Task(SQLModel, table=True):
    __table_args__ = (Index("ix_task_user_id_id", "user_id", "id"),)

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True))
    user_id: str = Field(sa_column=Column(String(USER_ID_MAX_LENGTH), nullable=False))
    title: str = Field(sa_column=Column(String(TITLE_MAX_LENGTH), nullable=False))
    description: str | None = Field(default=None, sa_column=Column(String(DESCRIPTION_MAX_LENGTH)))
    completed: bool = Field(default=False, nullable=False)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())


class Conversation(SQLModel, table=True):
    __table_args__ = (Index("ix_conversation_user_id_updated_at", "user_id", "updated_at"),)

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True))
    user_id: str = Field(sa_column=Column(String(USER_ID_MAX_LENGTH), nullable=False))
    title: str = Field(sa_column=Column(String(TITLE_MAX_LENGTH), nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())


class MessageRole(StrEnum):
    USER = "user"
    ASSISTANT = "assistant"


class Message(SQLModel, table=True):
    __table_args__ = (Index("ix_message_conversation_id_id", "conversation_id", "id"),)

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True))
    conversation_id: int = Field(
        sa_column=Column(Integer, ForeignKey("conversation.id", ondelete="CASCADE"), nullable=False)
    )
    role: str = Field(sa_column=Column(String(16), nullable=False))
    content: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())


# --- API shapes ---------------------------------------------------------------

ItemT = TypeVar("ItemT")


class Page(SQLModel, Generic[ItemT]):
    items: list[ItemT]
    total: int
    limit: int
    offset: int


class TaskStatus(StrEnum):
    ALL = "all"
    PENDING = "pending"
    COMPLETED = "completed"


class TaskCreate(SQLModel):
    title: Title
    description: Description | None = None


class TaskUpdate(SQLModel):
    """Any subset of the fields; `description: null` clears the description."""

    title: Title | None = None
    description: Description | None = None
    completed: bool | None = None

    @field_validator("title", "completed", mode="before")
    @classmethod
    def _not_null(cls, value: object) -> object:
        # Validators do not run on defaults, so this only refuses an explicit null.
        if value is None:
            raise ValueError("cannot be null; leave the field out to keep it unchanged")
        return value


class TaskPublic(SQLModel):
    id: int
    title: str
    description: str | None
    completed: bool
    created_at: datetime
    updated_at: datetime


class ConversationCreate(SQLModel):
    title: Title | None = None


class ConversationPublic(SQLModel):
    id: int
    title: str
    created_at: datetime
    updated_at: datetime


class MessageCreate(SQLModel):
    content: MessageText


class MessagePublic(SQLModel):
    id: int
    conversation_id: int
    role: MessageRole
    content: str
    created_at: datetime


class ErrorMessage(SQLModel):
    detail: str


class ChatReply(SQLModel):
    user_message: MessagePublic
    reply: MessagePublic
    tasks_changed: bool
    # online: answered by the model; offline: no API key, built-in commands;
    # unavailable: the model provider failed and the reply explains it.
    mode: Literal["online", "offline", "unavailable"]
