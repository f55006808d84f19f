"""What every assistant is: the answer type and the interface the routes call.

Its own module so that the assistants (assistant.py's offline one, model.py's online one)
and the code that picks one import it without importing each other.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from sqlmodel import Session

from app.models import Message


@dataclass(frozen=True)
class AssistantAnswer:
    content: str
    tasks_changed: bool
    mode: Literal["online", "offline", "unavailable"]


class Assistant(Protocol):
    def respond(self, session: Session, user_id: str, history: Sequence[Message]) -> AssistantAnswer:
        """Answer the last (user) message of `history`, acting on `user_id`'s tasks."""
        ...

    def close(self) -> None: ...
