"""What a download returns."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Fetched:
    """One downloaded document. ``path`` is a private temp file (mode 0600) that belongs to
    the caller: call :meth:`discard` when done with it."""

    url: str
    """As requested."""
    final_url: str
    """Where the body came from, after Google rewriting, redirects and an interstitial."""
    path: Path | None
    """The body; None when ``not_modified`` (or after :meth:`discard`)."""
    size: int
    sha256: str | None
    """Of the body, computed while streaming; None when ``not_modified``."""
    content_type: str | None
    """As the server said; the format is decided by magic bytes, not by this."""
    etag: str | None
    last_modified: str | None
    status: int
    attempts: int
    """HTTP requests made, retries, redirects and interstitial hops included."""
    not_modified: bool
    """The server answered 304 to a conditional GET (``etag``/``last_modified`` given)."""
    elapsed_s: float

    def discard(self) -> None:
        """Removes the temp file; safe to call twice."""
        if self.path is not None:
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()
            self.path = None


__all__ = ["Fetched"]
