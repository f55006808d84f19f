"""The online assistant: an OpenAI-compatible model (OpenRouter) that manages tasks through tool calls."""

import json
import logging
import time
from collections.abc import Sequence
from datetime import date

import openai
from openai.types.chat import ChatCompletionFunctionToolParam, ChatCompletionMessage, ChatCompletionMessageParam
from sqlmodel import Session

from app.chat.interface import AssistantAnswer
from app.chat.tools import TOOLS, run_tool
from app.core.config import Settings
from app.core.metrics import ASSISTANT_MODEL_REQUESTS, ERROR, SUCCESS
from app.models import Message, MessageRole

logger = logging.getLogger(__name__)

# Tool-call rounds per reply: enough for "list, then complete two tasks", bounded against loops.
MAX_TOOL_ROUNDS = 6
SYSTEM_PROMPT = """You are the assistant of a todo list app. You help the user manage their tasks \
with the tools add_task, list_tasks, complete_task, update_task and delete_task.
Rules:
- Use the tools to read or change tasks; never claim a change you did not make with a tool.
- Task ids come from list_tasks; when the user names a task by its title, list the tasks first.
- Reply briefly, in plain text, in the user's language.
Today is {today}."""


def tool_definitions() -> list[ChatCompletionFunctionToolParam]:
    """The tools in the OpenAI function-calling format, their parameters from the argument models."""
    return [
        {
            "type": "function",
            "function": {
                "name": name,
                "description": tool.description,
                "parameters": tool.arguments.model_json_schema(),
            },
        }
        for name, tool in TOOLS.items()
    ]


class ReplyTimeoutError(Exception):
    """The reply's time budget ran out between model calls."""


class ModelAssistant:
    def __init__(self, settings: Settings) -> None:
        self._model = settings.openrouter_model
        self._reply_budget_seconds = settings.openrouter_timeout_seconds
        self._attempts_per_call = settings.openrouter_max_retries + 1
        self._client = openai.OpenAI(
            api_key=settings.openrouter_api_key.get_secret_value(),
            base_url=str(settings.openrouter_base_url),
            max_retries=settings.openrouter_max_retries,
            default_headers={"X-Title": "Todo Chatbot"},
        )
        self._tools = tool_definitions()

    def respond(self, session: Session, user_id: str, history: Sequence[Message]) -> AssistantAnswer:
        messages: list[ChatCompletionMessageParam] = [
            {
                "role": "system",
                "content": SYSTEM_PROMPT.format(today=date.today().isoformat()),
            }
        ]
        for message in history:
            if message.role == MessageRole.USER:
                messages.append({"role": "user", "content": message.content})
            else:
                messages.append({"role": "assistant", "content": message.content})
        tasks_changed = False
        # One budget for the whole reply (every round, every retry), so the caller gets an answer in bounded time.
        deadline = time.monotonic() + self._reply_budget_seconds
        try:
            for _ in range(MAX_TOOL_ROUNDS):
                # End the read transaction: no pooled connection is held while the model thinks.
                session.commit()
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise ReplyTimeoutError
                reply = self._complete(messages, timeout=remaining / self._attempts_per_call)
                calls = [call for call in reply.tool_calls or [] if call.type == "function"]
                if not calls:
                    return AssistantAnswer(reply.content or "Done.", tasks_changed, "online")
                messages.append(
                    {
                        "role": "assistant",
                        "content": reply.content,
                        "tool_calls": [
                            {
                                "id": call.id,
                                "type": "function",
                                "function": {
                                    "name": call.function.name,
                                    "arguments": call.function.arguments,
                                },
                            }
                            for call in calls
                        ],
                    }
                )
                for call in calls:
                    outcome = run_tool(session, user_id, call.function.name, call.function.arguments)
                    tasks_changed |= outcome.tasks_changed
                    messages.append(
                        {
                            "role": "tool",
                            "tool_call_id": call.id,
                            "content": json.dumps(outcome.result),
                        }
                    )
            content = "I stopped because the request needed too many steps. Please ask for one thing at a time."
            return AssistantAnswer(content, tasks_changed, "online")
        except (openai.OpenAIError, ReplyTimeoutError, ValueError) as error:
            logger.warning(
                "model provider failed",
                extra={"error_type": type(error).__name__, "error": str(error)},
            )
            content = _explain(error)
            if tasks_changed:
                content += " Some of your tasks were already changed before that; check your list."
            return AssistantAnswer(content, tasks_changed, "unavailable")

    def _complete(self, messages: list[ChatCompletionMessageParam], timeout: float) -> ChatCompletionMessage:
        """One call to the model provider (with the client's own retries), counted by outcome."""
        try:
            completion = self._client.with_options(timeout=timeout).chat.completions.create(
                model=self._model,
                messages=messages,
                tools=self._tools,
                tool_choice="auto",
            )
            if not completion.choices:
                raise ValueError("the completion has no choices")
        except Exception:
            ASSISTANT_MODEL_REQUESTS.labels(ERROR).inc()
            raise
        ASSISTANT_MODEL_REQUESTS.labels(SUCCESS).inc()
        return completion.choices[0].message

    def close(self) -> None:
        self._client.close()


def _explain(error: Exception) -> str:
    """What the user is told when the model provider fails; never a stack trace or a secret."""
    match error:
        case openai.APITimeoutError() | ReplyTimeoutError():
            return "The AI model did not answer in time. Please try again in a moment."
        case openai.APIConnectionError():
            return "I could not reach the AI model provider. Please try again in a moment."
        case openai.AuthenticationError() | openai.PermissionDeniedError():
            return "The AI model provider refused this service's credentials, so the assistant is unavailable."
        case openai.RateLimitError():
            return "The AI model provider is busy right now. Please try again in a minute."
        case openai.APIStatusError(status_code=status_code):
            return f"The AI model provider answered with an error (HTTP {status_code}). Please try again later."
        case _:
            return "The AI model sent an answer I could not understand. Please try again."
