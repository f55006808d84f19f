from fastapi import APIRouter, HTTPException, status

from app import crud
from app.api.deps import API_ERROR_RESPONSES, NOT_FOUND_RESPONSE, AssistantDep, CurrentUserId, SessionDep
from app.api.params import Limit, Offset, RowId
from app.models import (
    ChatReply,
    Conversation,
    ConversationCreate,
    ConversationPublic,
    MessageCreate,
    MessagePublic,
    MessageRole,
    Page,
)

router = APIRouter(prefix="/api/conversations", tags=["conversations"], responses=API_ERROR_RESPONSES)

# How many earlier messages the assistant sees; older ones stay stored but out of the prompt.
CONTEXT_MESSAGES = 20


def _conversation_or_404(session: SessionDep, user_id: str, conversation_id: int) -> Conversation:
    conversation = crud.get_conversation(session, user_id, conversation_id)
    if conversation is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="conversation not found")
    return conversation


@router.get("", response_model=Page[ConversationPublic])
def list_conversations(
    session: SessionDep, user_id: CurrentUserId, limit: Limit = 50, offset: Offset = 0
) -> Page[ConversationPublic]:
    conversations, total = crud.list_conversations(session, user_id, limit, offset)
    items = [ConversationPublic.model_validate(conversation) for conversation in conversations]
    return Page(items=items, total=total, limit=limit, offset=offset)


@router.post("", response_model=ConversationPublic, status_code=status.HTTP_201_CREATED)
def create_conversation(
    session: SessionDep, user_id: CurrentUserId, data: ConversationCreate | None = None
) -> Conversation:
    return crud.create_conversation(session, user_id, data or ConversationCreate())


@router.get("/{conversation_id}/messages", response_model=Page[MessagePublic], responses=NOT_FOUND_RESPONSE)
def list_messages(
    session: SessionDep,
    user_id: CurrentUserId,
    conversation_id: RowId,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Page[MessagePublic]:
    conversation = _conversation_or_404(session, user_id, conversation_id)
    messages, total = crud.list_messages(session, conversation, limit, offset)
    items = [MessagePublic.model_validate(message) for message in messages]
    return Page(items=items, total=total, limit=limit, offset=offset)


@router.post(
    "/{conversation_id}/messages",
    response_model=ChatReply,
    status_code=status.HTTP_201_CREATED,
    responses=NOT_FOUND_RESPONSE,
)
def send_message(
    session: SessionDep,
    assistant: AssistantDep,
    user_id: CurrentUserId,
    conversation_id: RowId,
    data: MessageCreate,
) -> ChatReply:
    """Store the user's message, let the assistant act on the user's tasks, store and return its reply."""
    conversation = _conversation_or_404(session, user_id, conversation_id)
    # Stored before the assistant runs: the user's words are kept even if the model fails.
    user_message = MessagePublic.model_validate(crud.add_message(session, conversation, MessageRole.USER, data.content))
    history = crud.recent_messages(session, conversation, CONTEXT_MESSAGES)
    answer = assistant.respond(session, user_id, history)
    reply = crud.add_message(session, conversation, MessageRole.ASSISTANT, answer.content)
    return ChatReply(
        user_message=user_message,
        reply=MessagePublic.model_validate(reply),
        tasks_changed=answer.tasks_changed,
        mode=answer.mode,
    )
