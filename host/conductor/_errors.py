"""The whole exception tree, in one place.

::

    ConductorError                  base; never raised itself
    ├── ReadError                   io_error           stage "read"
    ├── UnsupportedFormatError      unsupported_format stage "detect" (or "extract")
    ├── CorruptDocumentError        corrupt            stage "extract"
    ├── EncryptedDocumentError      encrypted          stage "extract"
    ├── TooLargeError               too_large          stage "read", "extract" or "chunk"
    ├── ExtractTimeoutError         timeout            stage "extract" or "chunk"
    ├── MemoryLimitError            memory_limit       stage "extract" or "chunk"
    ├── PluginFailureError          plugin_failure     stage "extract", "chunk" (or "load")
    ├── InvalidConfigError          invalid_config     stage "chunk"
    ├── DatabaseError               database           stage "store"
    ├── DownloadError               download_failed    stage "download"
    ├── NotFoundError               not_found          stage "download"
    ├── AccessDeniedError           access_denied      stage "download"
    ├── NotADocumentError           not_a_document     stage "download"
    ├── DownloadTimeoutError        timeout            stage "download"
    ├── CircuitOpenError            circuit_open       stage "download"
    └── CancelledError              cancelled          stage "download" (or where it stopped)

The download errors (``conductor._fetch``) name the URL as ``document``; a body over
``FetchConfig.max_bytes`` is a ``TooLargeError`` with stage ``download``.

Every error names the document it concerns (``document``), the pipeline stage that failed
(``stage``), what went wrong (``message``) and what to do about it (``hint``). wasmtime's
own exceptions never escape: the sandbox wraps them at the boundary.
"""

from __future__ import annotations

from typing import ClassVar

UNNAMED_DOCUMENT = "<document>"
"""``ConductorError.document`` when the raiser did not know the document's name."""


class ConductorError(Exception):
    """Base of every error the conductor raises on purpose."""

    kind: ClassVar[str] = "conductor_error"
    default_stage: ClassVar[str] = "extract"
    default_hint: ClassVar[str] = "see the message for details"

    def __init__(
        self,
        message: str,
        *,
        document: str | None = None,
        stage: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.message = message
        self.document = document or UNNAMED_DOCUMENT
        self.stage = stage or self.default_stage
        self.hint = hint or self.default_hint
        super().__init__(self.message)

    def __str__(self) -> str:
        return f"{self.document}: {self.message} [stage: {self.stage}; hint: {self.hint}]"

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild, (type(self), self.message, self.document, self.stage, self.hint))

    def to_dict(self) -> dict[str, str]:
        """The CLI's error JSON: ``{"kind", "stage", "message"}``; message includes the
        document name and the hint."""
        return {"kind": self.kind, "stage": self.stage, "message": str(self)}


def _rebuild(
    cls: type[ConductorError], message: str, document: str, stage: str, hint: str
) -> ConductorError:
    return cls(message, document=document, stage=stage, hint=hint)


class ReadError(ConductorError):
    """The document cannot be read: missing file, a directory, no permission, I/O error."""

    kind = "io_error"
    default_stage = "read"
    default_hint = "check that the path exists, is a regular file and is readable"


class UnsupportedFormatError(ConductorError):
    """The bytes are not a format any installed plugin handles (raised by detection), or
    the plugin reports a feature it does not support (stage ``extract``)."""

    kind = "unsupported_format"
    default_stage = "detect"
    default_hint = "no installed plugin handles it; `conductor plugins` lists what is installed"


class CorruptDocumentError(ConductorError):
    """The plugin found the document unreadable as its format (``extract-error::corrupt``)."""

    kind = "corrupt"
    default_hint = "the file is damaged or truncated; fetch it again or repair it"


class EncryptedDocumentError(ConductorError):
    """The document needs a password (``extract-error::encrypted``)."""

    kind = "encrypted"
    default_hint = (
        "give the document's password: password= (extract, Extractor.extract, or "
        '{"url": ..., "password": ...} in process_documents), --password on the command line'
    )


class TooLargeError(ConductorError):
    """The document is bigger than ``Limits.max_bytes`` (stage ``read``, before any plugin
    runs), has more pages than ``Limits.max_pages``, or the plugin refused it as too large
    (``extract-error::too-large``)."""

    kind = "too_large"
    default_hint = "raise the matching Limits field, or extract a page range"


class ExtractTimeoutError(ConductorError):
    """The plugin ran past ``Limits.timeout_s`` and was interrupted (epoch deadline)."""

    kind = "timeout"
    default_hint = "raise Limits.timeout_s (--timeout), or extract a page range"


class MemoryLimitError(ConductorError):
    """The plugin needed more linear memory than ``Limits.memory_mb`` allows."""

    kind = "memory_limit"
    default_hint = "raise Limits.memory_mb (--memory-mb), or extract a page range"


class PluginFailureError(ConductorError):
    """The plugin failed on its own account: a trap (unreachable, stack overflow, exit), an
    ``extract-error::internal`` (a caught panic), an incompatible API version, output that
    breaks the contract, or an unexpected host error."""

    kind = "plugin_failure"
    default_hint = "this is a bug in the plugin; report it with the document if you can"


class InvalidConfigError(ConductorError):
    """The chunking configuration cannot be satisfied: ``max_tokens`` below 1 (or too small
    for a single character), ``overlap_tokens`` not below ``max_tokens``, an unknown
    encoding, or a value of the wrong type (``chunk-error::invalid-config``, or the host's
    own check before the plugin runs). With stage ``serve``: ``conductor serve`` cannot
    start with its configuration (no API keys, an unsupported database URL)."""

    kind = "invalid_config"
    default_stage = "chunk"
    default_hint = (
        "use max_tokens >= 1, 0 <= overlap_tokens < max_tokens, and the encoding "
        "cl100k_base or o200k_base"
    )


class DatabaseError(ConductorError):
    """The store failed: the SQLite file or the PostgreSQL server cannot be opened or is
    not a conductor database, it was written by a newer version (its schema version is
    above what this code knows), a migration failed (it is rolled back), or a read or
    write failed (``sqlite3.Error``/``psycopg.Error``, wrapped; ``document`` is the
    database path, or its URL without the password). Also: a job queue command given a
    SQLite path (a queue needs PostgreSQL)."""

    kind = "database"
    default_stage = "store"
    default_hint = (
        "check that the database path is writable and the file is not damaged; a database "
        "written by a newer engagic-conductor needs that version"
    )


class _DownloadFailure(ConductorError):
    """Private base of the download-stage errors: ``document`` is the URL as requested,
    ``attempts`` the HTTP requests made before giving up (0 when none was sent)."""

    default_stage = "download"
    attempts: int = 0


class DownloadError(_DownloadFailure):
    """The download failed: connection errors, resets or truncated bodies, 429 or 5xx
    responses that persisted through every retry, a 4xx other than 401, 403, 404 and 410,
    too many redirects (a loop), or a URL that cannot be fetched (not http/https)."""

    kind = "download_failed"
    default_hint = "the server or network failed; try again later"


class NotFoundError(_DownloadFailure):
    """The server answered 404 Not Found or 410 Gone (never retried)."""

    kind = "not_found"
    default_hint = "check the URL; the document may have been moved or removed"


class AccessDeniedError(_DownloadFailure):
    """The server answered 401 or 403, or Google asked to sign in (a private Drive file or
    Google Doc fetched without a token, or with one that cannot read it)."""

    kind = "access_denied"
    default_hint = (
        "the document is not public; for Google files set FetchConfig.google_token or share "
        "the file with 'anyone with the link'"
    )


class NotADocumentError(_DownloadFailure):
    """An HTML page came back where a document was expected, and it does not link to
    exactly one document (PDF or DOCX by extension, a vendor viewer link, a Google file),
    or the one link it has leads to HTML again. The message says what came back."""

    kind = "not_a_document"
    default_hint = "use the URL of the document itself, not of the page that lists it"


class DownloadTimeoutError(_DownloadFailure):
    """Connecting or reading timed out on every attempt (``FetchConfig.connect_timeout_s``,
    ``read_timeout_s``), or the whole download, retries included, passed
    ``total_timeout_s``."""

    kind = "timeout"
    default_hint = "the server is slow; raise the FetchConfig timeouts or try again later"


class CircuitOpenError(_DownloadFailure):
    """The domain's circuit breaker is open: its last ``FetchConfig.circuit_failures``
    documents failed, so requests to it fail fast, without being sent, until the cool-down
    ends (``retry_after_s`` after the error was raised)."""

    kind = "circuit_open"
    default_hint = "the site is failing; retry after the cool-down"
    retry_after_s: float = 0.0


class CancelledError(ConductorError):
    """The batch was cancelled (``Conductor.process_documents(cancel=...)``) before this
    document finished: its download was stopped, or its extraction had not started.
    ``stage`` is where it stopped. Not :class:`asyncio.CancelledError`."""

    kind = "cancelled"
    default_stage = "download"
    default_hint = "run the batch again; finished documents are stored and are not redone"


__all__ = [
    "UNNAMED_DOCUMENT",
    "AccessDeniedError",
    "CancelledError",
    "CircuitOpenError",
    "ConductorError",
    "CorruptDocumentError",
    "DatabaseError",
    "DownloadError",
    "DownloadTimeoutError",
    "EncryptedDocumentError",
    "ExtractTimeoutError",
    "InvalidConfigError",
    "MemoryLimitError",
    "NotADocumentError",
    "NotFoundError",
    "PluginFailureError",
    "ReadError",
    "TooLargeError",
    "UnsupportedFormatError",
]
