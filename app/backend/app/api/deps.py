"""Dependencies shared by the routes: the database session, the settings and the calling user."""

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from app.chat.interface import Assistant
from app.core.config import Settings
from app.core.security import InvalidTokenError, user_id_from_token
from app.models import ErrorMessage

# auto_error=False: a missing header gets the same clear 401 as a bad token, not FastAPI's generic one.
_bearer = HTTPBearer(auto_error=False, description="HS256 JWT minted by the frontend's server side")

# Dependencies that neither block nor wait are `async def`: FastAPI then runs them on the event
# loop instead of sending each through the thread pool.


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_session(request: Request) -> Iterator[Session]:
    # Sync on purpose: closing the session returns its connection to the pool, a database round trip.
    with Session(request.app.state.engine) as session:
        yield session


async def get_assistant(request: Request) -> Assistant:
    assistant: Assistant = request.app.state.assistant
    return assistant


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_session)]
AssistantDep = Annotated[Assistant, Depends(get_assistant)]


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED,
        detail=detail,
        headers={"WWW-Authenticate": "Bearer"},
    )


async def get_current_user_id(
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    if credentials is None:
        raise _unauthorized("missing bearer token")
    try:
        return user_id_from_token(credentials.credentials, settings.better_auth_secret.get_secret_value())
    except InvalidTokenError as error:
        raise _unauthorized(str(error)) from error


CurrentUserId = Annotated[str, Depends(get_current_user_id)]

# Documented in the OpenAPI schema of every /api route (the handlers in app/main.py produce the 503).
API_ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorMessage, "description": "The request body cannot be read (not UTF-8 JSON text)"},
    401: {"model": ErrorMessage, "description": "Missing, expired or otherwise invalid bearer token"},
    503: {"model": ErrorMessage, "description": "The database is unreachable; retry after `Retry-After` seconds"},
}
NOT_FOUND_RESPONSE: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorMessage, "description": "No such id among the caller's own"}
}
