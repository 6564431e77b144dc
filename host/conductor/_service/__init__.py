"""The HTTP service (``conductor serve``): a jobs API over the batch pipeline, API keys,
callbacks and Prometheus metrics, on FastAPI and uvicorn.

``_store`` keeps the jobs in the database, ``_runner`` runs them (in-process, or behind a
queue), ``_callbacks`` delivers their callbacks, ``_auth`` and ``_guard`` check keys and
body sizes, ``_app`` has the routes, ``_metrics`` and ``_logging`` what operators watch.
Needs the ``service`` extra (``pip install 'engagic-conductor[service]'``).
"""

from ._auth import read_keys, read_secret
from ._config import ServiceConfig
from ._serve import serve

__all__ = ["ServiceConfig", "read_keys", "read_secret", "serve"]
