"""Probes and metrics: unauthenticated, outside /api."""

import logging

from fastapi import APIRouter, Request, Response, status
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

router = APIRouter(tags=["operations"])
logger = logging.getLogger(__name__)


# async: nothing here blocks, so these skip the thread pool the database routes run in.
@router.get("/health")
async def health() -> dict[str, str]:
    """Liveness: the process serves HTTP. Never touches the database, so a database outage restarts nothing."""
    return {"status": "ok"}


@router.get("/ready", responses={503: {"description": "the database is unreachable"}})
def ready(request: Request) -> JSONResponse:
    """Readiness: the database answers a query."""
    try:
        with request.app.state.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        logger.warning(
            "not ready: database unreachable",
            extra={"error_type": type(error).__name__},
        )
        return JSONResponse(
            {"status": "unavailable", "database": "unreachable"},
            status.HTTP_503_SERVICE_UNAVAILABLE,
        )
    return JSONResponse({"status": "ok", "database": "ok"})


@router.get("/metrics", include_in_schema=False)
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
