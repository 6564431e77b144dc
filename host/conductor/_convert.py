"""WIT values <-> conductor dataclasses: the one place that knows wasmtime-py's shapes.

wasmtime-py hands records back as ``wasmtime.component.Record`` objects with kebab-case
attribute names, and a ``result<document, extract-error>`` as the bare payload when the two
payloads map to different Python classes (a ``Record`` for ok, a ``Variant`` for the error
variant); the tagged form (``Variant("ok" | "err", payload)``) is accepted too, in case a
future binding chooses it. Options become ``Record`` objects on the way in.
"""

from __future__ import annotations

from typing import Any

from wasmtime.component import Record, Variant

from ._errors import (
    ConductorError,
    CorruptDocumentError,
    EncryptedDocumentError,
    PluginFailureError,
    TooLargeError,
    UnsupportedFormatError,
)
from ._hookspecs import PluginInfo
from ._models import Document, ExtractWarning, Metadata, OutlineEntry, Page

_ERRORS: dict[str, type[ConductorError]] = {
    "corrupt": CorruptDocumentError,
    "encrypted": EncryptedDocumentError,
    "too-large": TooLargeError,
    "unsupported": UnsupportedFormatError,
    "internal": PluginFailureError,
}

_OCR_REASONS = {"no-text-layer": "no_text_layer", "garbled-text": "garbled_text"}


class MalformedOutputError(ValueError):
    """A WIT value does not have the shape the contract promises."""


def _get(record: Any, name: str) -> Any:
    try:
        return getattr(record, name)
    except AttributeError:
        raise MalformedOutputError(f"record has no field {name!r}") from None


def options_to_wit(
    pages: tuple[int, int] | None, *, max_chars_per_page: int, max_pages: int, size_hint: int = 0
) -> Record:
    """``extract-options`` for the plugin."""
    options = Record()
    page_range = None
    if pages is not None:
        page_range = Record()
        setattr(page_range, "first", pages[0])  # noqa: B010 (Record is untyped)
        setattr(page_range, "last", pages[1])  # noqa: B010
    setattr(options, "pages", page_range)  # noqa: B010
    setattr(options, "max-chars-per-page", max_chars_per_page)
    setattr(options, "max-pages", max_pages)
    setattr(options, "size-hint", size_hint)
    return options


def info_from_wit(value: Any) -> PluginInfo:
    """``plugin-info`` -> :class:`PluginInfo`."""
    return PluginInfo(
        name=str(_get(value, "name")),
        version=str(_get(value, "version")),
        api_version=str(_get(value, "api-version")),
        formats=tuple(str(f) for f in _get(value, "formats")),
    )


def split_result(value: Any) -> tuple[Any, tuple[str, str] | None]:
    """``result<document, extract-error>`` -> ``(document, None)`` or ``(None, (case, text))``."""
    if isinstance(value, Variant) and value.tag in ("ok", "err"):
        if value.tag == "ok":
            return value.payload, None
        value = value.payload
        if not isinstance(value, Variant):
            raise MalformedOutputError(f"error payload is {type(value).__name__}, not a variant")
    if isinstance(value, Variant):
        return None, (value.tag, "" if value.payload is None else str(value.payload))
    if isinstance(value, Record):
        return value, None
    raise MalformedOutputError(f"extract returned {type(value).__name__}")


def error_from_wit(case: str, message: str, *, document: str, plugin: str) -> ConductorError:
    """``extract-error`` -> the matching :class:`ConductorError` (stage ``extract``)."""
    cls = _ERRORS.get(case, PluginFailureError)
    text = message or case
    hint = None
    if cls is PluginFailureError:
        text = f"plugin {plugin!r} failed: {text}"
    elif cls is UnsupportedFormatError:
        hint = f"the {plugin!r} plugin does not support this feature of the document yet"
    return cls(text, document=document, stage="extract", hint=hint)


def _opt_int(value: Any) -> int | None:
    return None if value is None else int(value)


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)


def metadata_from_wit(value: Any) -> Metadata:
    return Metadata(
        title=_opt_str(_get(value, "title")),
        author=_opt_str(_get(value, "author")),
        subject=_opt_str(_get(value, "subject")),
        creator=_opt_str(_get(value, "creator")),
        producer=_opt_str(_get(value, "producer")),
        created=_opt_str(_get(value, "created")),
        modified=_opt_str(_get(value, "modified")),
        page_count=int(_get(value, "page-count")),
    )


def page_from_wit(value: Any) -> Page:
    reason = _get(value, "ocr-reason")
    if reason is not None and reason not in _OCR_REASONS:
        raise MalformedOutputError(f"unknown ocr-reason {reason!r}")
    return Page(
        number=int(_get(value, "number")),
        text=str(_get(value, "text")),
        chars=int(_get(value, "chars")),
        needs_ocr=bool(_get(value, "needs-ocr")),
        ocr_reason=None if reason is None else _OCR_REASONS[reason],
        links=[str(link) for link in _get(value, "links")],
    )


def document_from_wit(value: Any, *, source: str, format: str, sha256: str) -> Document:
    """``document`` -> :class:`Document` (before the host's limit re-checks)."""
    metadata = metadata_from_wit(_get(value, "metadata"))
    return Document(
        source=source,
        format=format,
        sha256=sha256,
        page_count=metadata.page_count,
        metadata=metadata,
        pages=[page_from_wit(p) for p in _get(value, "pages")],
        outline=[
            OutlineEntry(
                title=str(_get(o, "title")),
                level=int(_get(o, "level")),
                page=_opt_int(_get(o, "page")),
            )
            for o in _get(value, "outline")
        ],
        warnings=[
            ExtractWarning(
                code=str(_get(w, "code")),
                message=str(_get(w, "message")),
                page=_opt_int(_get(w, "page")),
            )
            for w in _get(value, "warnings")
        ],
    )
