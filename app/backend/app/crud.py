"""Data access, always scoped to one user: the only way routes and the assistant touch the database.

Every function that changes data commits, so no pooled connection is held
between calls (the chat waits on the model provider between them).
"""

from typing import Any, TypeVar

from sqlalchemy import ColumnElement, func
from sqlmodel import Session, SQLModel, col, select

from app.models import (
    Conversation,
    ConversationCreate,
    Message,
    MessageRole,
    Task,
    TaskCreate,
    TaskStatus,
    TaskUpdate,
    utcnow,
)

NEW_CONVERSATION_TITLE = "New conversation"
DERIVED_TITLE_LENGTH = 60

RowT = TypeVar("RowT", bound=SQLModel)


def _page(
    session: Session,
    model: type[RowT],
    condition: ColumnElement[bool],
    order_by: list[Any],
    *,
    limit: int,
    offset: int,
) -> tuple[list[RowT], int]:
    """One page of rows and the total that match, in one round trip (the window count runs before LIMIT)."""
    query = select(model, func.count().over()).where(condition).order_by(*order_by).limit(limit).offset(offset)
    rows = session.exec(query).all()
    if rows:
        return [row[0] for row in rows], rows[0][1]
    if offset == 0:
        return [], 0
    # Past the last page: no row carries the total, so count separately.
    return [], session.exec(select(func.count()).select_from(model).where(condition)).one()


def create_task(session: Session, user_id: str, data: TaskCreate) -> Task:
    task = Task(user_id=user_id, title=data.title, description=data.description)
    session.add(task)
    session.commit()
    session.refresh(task)
    return task


def list_tasks(session: Session, user_id: str, status: TaskStatus, limit: int, offset: int) -> tuple[list[Task], int]:
    """One page of the user's tasks, newest first (id breaks ties, so pages never overlap), and the total."""
    condition = col(Task.user_id) == user_id
    if status is not TaskStatus.ALL:
        condition &= col(Task.completed) == (status is TaskStatus.COMPLETED)
    return _page(session, Task, condition, [col(Task.id).desc()], limit=limit, offset=offset)


def get_task(session: Session, user_id: str, task_id: int) -> Task | None:
    return session.exec(select(Task).where(Task.id == task_id, Task.user_id == user_id)).first()


def update_task(session: Session, task: Task, changes: TaskUpdate) -> Task:
    fields = changes.model_dump(exclude_unset=True)
    if fields:
        task.sqlmodel_update(fields)
        task.updated_at = utcnow()
        session.add(task)
        session.commit()
        session.refresh(task)
    return task


def delete_task(session: Session, task: Task) -> None:
    session.delete(task)
    session.commit()


def create_conversation(session: Session, user_id: str, data: ConversationCreate) -> Conversation:
    conversation = Conversation(user_id=user_id, title=data.title or NEW_CONVERSATION_TITLE)
    session.add(conversation)
    session.commit()
    session.refresh(conversation)
    return conversation


def list_conversations(session: Session, user_id: str, limit: int, offset: int) -> tuple[list[Conversation], int]:
    """Most recently active first."""
    condition = col(Conversation.user_id) == user_id
    order_by = [col(Conversation.updated_at).desc(), col(Conversation.id).desc()]
    return _page(session, Conversation, condition, order_by, limit=limit, offset=offset)


def get_conversation(session: Session, user_id: str, conversation_id: int) -> Conversation | None:
    return session.exec(
        select(Conversation).where(Conversation.id == conversation_id, Conversation.user_id == user_id)
    ).first()


def list_messages(session: Session, conversation: Conversation, limit: int, offset: int) -> tuple[list[Message], int]:
    """Oldest first, the order a conversation is read in."""
    condition = col(Message.conversation_id) == conversation.id
    return _page(session, Message, condition, [col(Message.id)], limit=limit, offset=offset)


def recent_messages(session: Session, conversation: Conversation, count: int) -> list[Message]:
    """The last `count` messages, oldest first: the context the assistant sees."""
    newest = session.exec(
        select(Message).where(Message.conversation_id == conversation.id).order_by(col(Message.id).desc()).limit(count)
    )
    return list(reversed(newest.all()))


def add_message(session: Session, conversation: Conversation, role: MessageRole, content: str) -> Message:
    if conversation.id is None:
        raise ValueError("a conversation must be saved before it gets messages")
    message = Message(conversation_id=conversation.id, role=role, content=content)
    conversation.updated_at = message.created_at
    if role is MessageRole.USER and conversation.title == NEW_CONVERSATION_TITLE:
        conversation.title = _title_from(content)
    session.add_all([message, conversation])
    session.commit()
    session.refresh(message)
    return message


def _title_from(content: str) -> str:
    first_line = content.strip().splitlines()[0]
    if len(first_line) <= DERIVED_TITLE_LENGTH:
        return first_line
    return first_line[: DERIVED_TITLE_LENGTH - 1].rstrip() + "…"
