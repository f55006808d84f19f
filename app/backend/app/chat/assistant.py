"""The chat assistant: the interface the routes use, offline mode, and the choice between the two."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from sqlmodel import Session

from app.chat.offline import respond_offline
from app.core.config import Settings
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


class OfflineAssistant:
    def respond(self, session: Session, user_id: str, history: Sequence[Message]) -> AssistantAnswer:
        content, tasks_changed = respond_offline(session, user_id, history[-1].content)
        return AssistantAnswer(content, tasks_changed, "offline")

    def close(self) -> None:
        pass


def build_assistant(settings: Settings) -> Assistant:
    if settings.offline_mode:
        return OfflineAssistant()
    # Imported here: the OpenAI client is large and costs about a second of start-up in offline mode.
    from app.chat.model import ModelAssistant  # noqa: PLC0415

    return ModelAssistant(settings)
