"""The chat assistant: offline mode, and the choice between it and the online model (interface.py)."""

from collections.abc import Sequence

from sqlmodel import Session

from app.chat.interface import Assistant, AssistantAnswer
from app.chat.offline import respond_offline
from app.core.config import Settings
from app.models import Message


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
