"""Running the application under uvicorn."""

from __future__ import annotations

from ._config import ServiceConfig


def serve(config: ServiceConfig) -> None:
    """Serves until SIGINT/SIGTERM (uvicorn's graceful shutdown: running jobs stay
    ``running`` in the database and resume at the next start).

    :raises InvalidConfigError: the configuration cannot serve (no API keys).
    :raises DatabaseError: the database cannot be opened.
    """
    # Here, not at the top: `conductor` without the service extra imports this package.
    import uvicorn

    from ._app import create_app
    from ._logging import configure

    log_config = configure(config.log_format)
    app = create_app(config)
    uvicorn.run(
        app,
        host=config.host,
        port=config.port,
        log_config=log_config,
        access_log=True,
        timeout_graceful_shutdown=10,
    )
