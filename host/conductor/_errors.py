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
    └── InvalidConfigError          invalid_config     stage "chunk"

Every error names the document it concerns (``document``), the pipeline stage that failed
(``stage``), what went wrong (``message``) and what to do about it (``hint``). wasmtime's
own exceptions never escape: the sandbox wraps them at the boundary.
"""

from __future__ import annotations

from typing import ClassVar


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
        self.document = document or "<document>"
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
    default_hint = "only PDF (and DOCX, when its plugin is installed) can be extracted"


class CorruptDocumentError(ConductorError):
    """The plugin found the document unreadable as its format (``extract-error::corrupt``)."""

    kind = "corrupt"
    default_hint = "the file is damaged or truncated; fetch it again or repair it"


class EncryptedDocumentError(ConductorError):
    """The document needs a password (``extract-error::encrypted``)."""

    kind = "encrypted"
    default_hint = "decrypt the document first (e.g. `qpdf --decrypt`)"


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
    own check before the plugin runs)."""

    kind = "invalid_config"
    default_stage = "chunk"
    default_hint = (
        "use max_tokens >= 1, 0 <= overlap_tokens < max_tokens, and the encoding "
        "cl100k_base or o200k_base"
    )


__all__ = [
    "ConductorError",
    "CorruptDocumentError",
    "EncryptedDocumentError",
    "ExtractTimeoutError",
    "InvalidConfigError",
    "MemoryLimitError",
    "PluginFailureError",
    "ReadError",
    "TooLargeError",
    "UnsupportedFormatError",
]
