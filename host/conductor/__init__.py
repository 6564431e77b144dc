"""engagic-conductor: document text extraction and token-exact chunking, with every
plugin sandboxed in WebAssembly.

>>> from conductor import chunk, extract
>>> doc = extract("agenda.pdf")            # doctest: +SKIP
>>> doc.pages[0].text                      # doctest: +SKIP
>>> chunk(doc, max_tokens=512)[0].section  # doctest: +SKIP
"""

import typing as _typing

from ._api import chunk, detect_format, extract
from ._db import Database
from ._errors import (
    CancelledError,
    ConductorError,
    CorruptDocumentError,
    DatabaseError,
    EncryptedDocumentError,
    ExtractTimeoutError,
    InvalidConfigError,
    MemoryLimitError,
    PluginFailureError,
    ReadError,
    TooLargeError,
    UnsupportedFormatError,
)
from ._extract import Extractor
from ._fetch import FetchConfig
from ._hookspecs import PluginSpec, hookimpl
from ._models import (
    Chunk,
    Document,
    ExtractWarning,
    Heading,
    Limits,
    Metadata,
    OutlineEntry,
    Page,
    PageOcr,
)
from ._ocr import ChildLimits, OcrOptions
from ._pipeline import Conductor
from ._results import ChunkConfig, Result
from ._store import Store

if _typing.TYPE_CHECKING:
    from ._queue import JobQueue, JobRecord
    from ._store import PostgresStore

_LAZY = {"JobQueue": "._queue", "JobRecord": "._queue", "PostgresStore": "._store"}
"""Exported names whose modules load psycopg or procrastinate (~130 ms): imported on first
use, so that ``import conductor`` (and every CLI command) does not pay for PostgreSQL."""


def __getattr__(name: str) -> _typing.Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "CancelledError",
    "ChildLimits",
    "Chunk",
    "ChunkConfig",
    "Conductor",
    "ConductorError",
    "CorruptDocumentError",
    "Database",
    "DatabaseError",
    "Document",
    "EncryptedDocumentError",
    "ExtractTimeoutError",
    "ExtractWarning",
    "Extractor",
    "FetchConfig",
    "Heading",
    "InvalidConfigError",
    "JobQueue",
    "JobRecord",
    "Limits",
    "MemoryLimitError",
    "Metadata",
    "OcrOptions",
    "OutlineEntry",
    "Page",
    "PageOcr",
    "PluginFailureError",
    "PluginSpec",
    "PostgresStore",
    "ReadError",
    "Result",
    "Store",
    "TooLargeError",
    "UnsupportedFormatError",
    "chunk",
    "detect_format",
    "extract",
    "hookimpl",
]
