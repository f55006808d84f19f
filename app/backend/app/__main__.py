"""`python -m app`: serve the API with uvicorn (one process; scale with replicas, not workers)."""

import uvicorn

from app.core.config import get_settings
from app.core.logging import configure_logging
from app.main import create_app


def main() -> None:
    settings = get_settings()
    configure_logging(settings.log_level)
    uvicorn.run(
        create_app(settings),
        host="0.0.0.0",  # noqa: S104  # the container's only interface to the cluster network
        port=settings.port,
        proxy_headers=True,
        # After SIGTERM: stop accepting, let in-flight requests finish for up to this long.
        timeout_graceful_shutdown=settings.shutdown_timeout_seconds,
        log_config=None,
        access_log=False,
        server_header=False,
    )


if __name__ == "__main__":
    main()
