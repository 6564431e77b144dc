"""Downloads: URL -> a document in a private temp file, politely and robustly.

>>> async with Fetcher(FetchConfig(rate_per_domain=0.5)) as fetcher:   # doctest: +SKIP
...     got = await fetcher.fetch("https://drive.google.com/file/d/ID/view")
...     got.path, got.sha256, got.final_url
...     got.discard()

Per host: a token-bucket rate limit (retries included), a cap on connections in flight
and a circuit breaker. Retries with exponential backoff and full jitter on connect errors,
timeouts, resets, truncated bodies, 429 and 5xx, honouring ``Retry-After``. Bodies stream
to a temp file with their sha256 and stop at ``max_bytes``. Formats are decided by magic
bytes; an HTML page is followed when it is Google Drive's confirm page or links to exactly
one document. Google share, editor and viewer links are rewritten to downloads.
"""

from ._client import Fetcher
from ._config import FetchConfig
from ._links import rewrite_url
from ._result import Fetched

__all__ = ["FetchConfig", "Fetched", "Fetcher", "rewrite_url"]
