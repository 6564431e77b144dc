"""The embedded default store: SQLite, one file, WAL, migrated by the project's own runner.

``_database`` holds :class:`Database`, ``_records`` what it returns and the row
conversions, ``_migrate`` the migration runner; the migrations themselves are the numbered
``.sql`` files in ``conductor/_migrations``.
"""

from ._database import Database
from ._migrate import Migration, load_migrations
from ._records import ChunkingKey, DocumentSummary, FailureRecord, UrlRecord

__all__ = [
    "ChunkingKey",
    "Database",
    "DocumentSummary",
    "FailureRecord",
    "Migration",
    "UrlRecord",
    "load_migrations",
]
