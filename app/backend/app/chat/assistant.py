"""The chat assistant: offline mode, and the choice between it and the online model (interface.py)."""

import logging
import time
from collections.abc import Sequence
from typing import Literal

from sqlmodel import Session

from app.chat.interface import Assistant, AssistantAnswer
from app.chat.offline import respond_offline
from app.core.config import Settings
from app.core.metrics import ASSISTANT_REQUEST_DURATION, ASSISTANT_REQUESTS, ERROR, SUCCESS
from app.models import Message

logger = logging.getLogger(__name__)


class OfflineAssistant:
    def respond(self, session: Session, user_id: str, history: Sequence[Message]) -> AssistantAnswer:
        content, tasks_changed = respond_offline(session, user_id, history[-1].content)
        return AssistantAnswer(content, tasks_changed, "offline")

    def close(self) -> None:
        pass


class MeteredAssistant:
    """An assistant that counts and times each chat turn it answers, and logs one line per turn.

    A turn is an error when the answer says the assistant was unavailable (the model provider
    failed) or when answering raised; the exception then goes on to the caller.
    """

    def __init__(self, assistant: Assistant, mode: Literal["offline", "online"]) -> None:
        self._assistant = assistant
        self._mode = mode

    def respond(self, session: Session, user_id: str, history: Sequence[Message]) -> AssistantAnswer:
        outcome = ERROR
        started = time.perf_counter()
        try:
            answer = self._assistant.respond(session, user_id, history)
            if answer.mode != "unavailable":
                outcome = SUCCESS
            return answer
        finally:
            elapsed = time.perf_counter() - started
            ASSISTANT_REQUESTS.labels(self._mode, outcome).inc()
            ASSISTANT_REQUEST_DURATION.labels(self._mode).observe(elapsed)
            logger.info(
                "assistant answered",
                extra={"assistant_mode": self._mode, "outcome": outcome, "duration_ms": round(elapsed * 1000, 2)},
            )

    def close(self) -> None:
        self._assistant.close()


def build_assistant(settings: Settings) -> Assistant:
    if settings.offline_mode:
        return MeteredAssistant(OfflineAssistant(), "offline")
    # Imported here: the OpenAI client is large and costs about a second of start-up in offline mode.
    from app.chat.model import ModelAssistant  # noqa: PLC0415

    return MeteredAssistant(ModelAssistant(settings), "online")
