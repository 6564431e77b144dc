"""WIT values <-> conductor dataclasses: the one place that knows wasmtime-py's shapes.

wasmtime-py hands records back as ``wasmtime.component.Record`` objects with kebab-case
attribute names, and a ``result<document, extract-error>`` as the bare payload when the two
payloads map to different Python classes (a ``Record`` for ok, a ``Variant`` for the error
variant); the tagged form (``Variant("ok" | "err", payload)``) is accepted too, in case a
future binding chooses it. Options become ``Record`` objects on the way in; enums are plain
``str`` (kebab case) both ways.

Version tolerance: a ``document`` from a plugin built against 0.1.0 has no ``headings`` and
no ``pagination``; it converts with ``[]`` and ``"fixed"``. ``extract-options.password``
(0.3.0) is set on the record always: wasmtime-py lowers a record by the callee's field list,
so a 0.2.0 or 0.1.0 plugin never sees it.

Two ways back (0.3.0): ``extract`` returns the typed ``document``, which wasmtime-py lifts
record by record in Python (a tenth of a 1,000-page extraction); ``extract-json`` returns
the same document as one JSON string, which crosses natively and parses in C. The host
calls ``extract-json`` when the component exports it (:func:`extract_export`) and builds
the same :class:`Document` from it (:func:`document_from_json`), so what a caller gets
does not depend on the path.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from typing import Any

from wasmtime.component import Record, Variant

from ._errors import (
    ConductorError,
    CorruptDocumentError,
    EncryptedDocumentError,
    InvalidConfigError,
    PluginFailureError,
    TooLargeError,
    UnsupportedFormatError,
)
from ._hookspecs import PluginInfo
from ._models import (
    PAGINATIONS,
    Chunk,
    Document,
    ExtractWarning,
    Heading,
    Metadata,
    OutlineEntry,
    Page,
)

_ERRORS: dict[str, type[ConductorError]] = {
    "corrupt": CorruptDocumentError,
    "encrypted": EncryptedDocumentError,
    "too-large": TooLargeError,
    "unsupported": UnsupportedFormatError,
    "internal": PluginFailureError,
}

_CHUNK_ERRORS: dict[str, type[ConductorError]] = {
    "invalid-config": InvalidConfigError,
    "too-large": TooLargeError,
    "internal": PluginFailureError,
}

_OCR_REASONS = {"no-text-layer": "no_text_layer", "garbled-text": "garbled_text"}
_PAGINATIONS = {p.replace("_", "-"): p for p in PAGINATIONS}
_MISSING = object()


class MalformedOutputError(ValueError):
    """A WIT value does not have the shape the contract promises."""


def _get(record: Any, name: str) -> Any:
    try:
        return getattr(record, name)
    except AttributeError:
        raise MalformedOutputError(f"record has no field {name!r}") from None


def _get_since(record: Any, name: str, default: Any) -> Any:
    """A field added in a later minor version: ``default`` when an older plugin lacks it."""
    value = getattr(record, name, _MISSING)
    return default if value is _MISSING else value


EXTRACT = "extract"
EXTRACT_JSON = "extract-json"
"""The 0.3.0 export returning the document as JSON text (see the module docs)."""


def extract_export(exports: Collection[str]) -> str:
    """The extract export to call on a component exporting ``exports``: ``extract-json``
    when it has it (0.3.0 and later), else the typed ``extract`` (0.2.0, 0.1.0)."""
    return EXTRACT_JSON if EXTRACT_JSON in exports else EXTRACT


def options_to_wit(
    pages: tuple[int, int] | None,
    *,
    max_chars_per_page: int,
    max_pages: int,
    size_hint: int = 0,
    password: str | None = None,
) -> Record:
    """``extract-options`` for the plugin.

    :param password: the password of an encrypted document (0.3.0), from
        ``Extractor.extract(password=)``; ``None`` without one.
    """
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
    setattr(options, "password", password)  # noqa: B010
    return options


def info_from_wit(value: Any) -> PluginInfo:
    """``plugin-info`` -> :class:`PluginInfo`."""
    return PluginInfo(
        name=str(_get(value, "name")),
        version=str(_get(value, "version")),
        api_version=str(_get(value, "api-version")),
        formats=tuple(str(f) for f in _get(value, "formats")),
    )


def split_result(
    value: Any, ok: type | tuple[type, ...] = Record
) -> tuple[Any, tuple[str, str] | None]:
    """``result<T, E>`` (``E`` a variant with a string payload) -> ``(value, None)`` or
    ``(None, (case, text))``; ``ok`` is the Python class ``T`` maps to (``Record`` for
    ``document``, ``list`` for ``list<chunk>``)."""
    if isinstance(value, Variant) and value.tag in ("ok", "err"):
        if value.tag == "ok":
            return value.payload, None
        value = value.payload
        if not isinstance(value, Variant):
            raise MalformedOutputError(f"error payload is {type(value).__name__}, not a variant")
    if isinstance(value, Variant):
        return None, (value.tag, "" if value.payload is None else str(value.payload))
    if isinstance(value, ok):
        return value, None
    raise MalformedOutputError(f"the call returned {type(value).__name__}")


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


def heading_from_wit(value: Any) -> Heading:
    return Heading(
        title=str(_get(value, "title")),
        level=int(_get(value, "level")),
        page=int(_get(value, "page")),
        offset=_opt_int(_get(value, "offset")),
    )


def pagination_from_wit(value: Any) -> str:
    if value not in _PAGINATIONS:
        raise MalformedOutputError(f"unknown pagination {value!r}")
    return _PAGINATIONS[value]


def document_from_wit(value: Any, *, source: str, format: str, sha256: str) -> Document:
    """``document`` (0.1.0 or 0.2.0) -> :class:`Document` (before the host's re-checks)."""
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
        headings=[heading_from_wit(h) for h in _get_since(value, "headings", [])],
        pagination=pagination_from_wit(_get_since(value, "pagination", "fixed")),
    )


def _json_object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise MalformedOutputError(f"{what} is {type(value).__name__}, not an object")
    return value


def _json_list(obj: dict[str, Any], name: str) -> list[Any]:
    value = _json_field(obj, name)
    if not isinstance(value, list):
        raise MalformedOutputError(f"field {name!r} is {type(value).__name__}, not an array")
    return value


def _json_field(obj: dict[str, Any], name: str) -> Any:
    try:
        return obj[name]
    except KeyError:
        raise MalformedOutputError(f"record has no field {name!r}") from None


def _json_u32(obj: dict[str, Any], name: str) -> int:
    value = _json_field(obj, name)
    # bool is an int subclass; JSON `true` is not a u32.
    if type(value) is not int or not 0 <= value <= 0xFFFF_FFFF:
        raise MalformedOutputError(f"field {name!r} is {value!r}, not a u32")
    return value


def _json_opt_u32(obj: dict[str, Any], name: str) -> int | None:
    return None if _json_field(obj, name) is None else _json_u32(obj, name)


def _json_str(obj: dict[str, Any], name: str) -> str:
    value = _json_field(obj, name)
    if type(value) is not str:
        raise MalformedOutputError(f"field {name!r} is {type(value).__name__}, not a string")
    return value


def _json_opt_str(obj: dict[str, Any], name: str) -> str | None:
    return None if _json_field(obj, name) is None else _json_str(obj, name)


def _json_strs(obj: dict[str, Any], name: str) -> list[str]:
    values = _json_list(obj, name)
    if not all(type(v) is str for v in values):
        raise MalformedOutputError(f"field {name!r} holds a non-string")
    return values


def document_from_json(text: str, *, source: str, format: str, sha256: str) -> Document:
    """``extract-json``'s text -> :class:`Document`: the same one :func:`document_from_wit`
    makes from the ``document`` record, checked as strictly (every field present, of its
    WIT type), since nothing but this check stands between the plugin and the host here.
    """
    try:
        raw = json.loads(text)
    except (ValueError, RecursionError) as e:
        # RecursionError: a hostile plugin can nest arrays deeper than the parser recurses.
        raise MalformedOutputError(f"extract-json returned invalid JSON ({e})") from None
    doc = _json_object(raw, "the document")
    m = _json_object(_json_field(doc, "metadata"), "metadata")
    metadata = Metadata(
        title=_json_opt_str(m, "title"),
        author=_json_opt_str(m, "author"),
        subject=_json_opt_str(m, "subject"),
        creator=_json_opt_str(m, "creator"),
        producer=_json_opt_str(m, "producer"),
        created=_json_opt_str(m, "created"),
        modified=_json_opt_str(m, "modified"),
        page_count=_json_u32(m, "page-count"),
    )
    pages = []
    for value in _json_list(doc, "pages"):
        p = _json_object(value, "a page")
        reason = _json_field(p, "ocr-reason")
        if reason is not None and reason not in _OCR_REASONS:
            raise MalformedOutputError(f"unknown ocr-reason {reason!r}")
        needs_ocr = _json_field(p, "needs-ocr")
        if type(needs_ocr) is not bool:
            raise MalformedOutputError(f"field 'needs-ocr' is {needs_ocr!r}, not a bool")
        pages.append(
            Page(
                number=_json_u32(p, "number"),
                text=_json_str(p, "text"),
                chars=_json_u32(p, "chars"),
                needs_ocr=needs_ocr,
                ocr_reason=None if reason is None else _OCR_REASONS[reason],
                links=_json_strs(p, "links"),
            )
        )
    outline = []
    for value in _json_list(doc, "outline"):
        o = _json_object(value, "an outline entry")
        outline.append(
            OutlineEntry(
                title=_json_str(o, "title"),
                level=_json_u32(o, "level"),
                page=_json_opt_u32(o, "page"),
            )
        )
    warnings = []
    for value in _json_list(doc, "warnings"):
        w = _json_object(value, "a warning")
        warnings.append(
            ExtractWarning(
                code=_json_str(w, "code"),
                message=_json_str(w, "message"),
                page=_json_opt_u32(w, "page"),
            )
        )
    headings = []
    for value in _json_list(doc, "headings"):
        h = _json_object(value, "a heading")
        headings.append(
            Heading(
                title=_json_str(h, "title"),
                level=_json_u32(h, "level"),
                page=_json_u32(h, "page"),
                offset=_json_opt_u32(h, "offset"),
            )
        )
    pagination = _json_field(doc, "pagination")
    if type(pagination) is not str:
        raise MalformedOutputError(f"unknown pagination {pagination!r}")
    return Document(
        source=source,
        format=format,
        sha256=sha256,
        page_count=metadata.page_count,
        metadata=metadata,
        pages=pages,
        outline=outline,
        warnings=warnings,
        headings=headings,
        pagination=pagination_from_wit(pagination),
    )


def chunk_input_to_wit(pages: Sequence[Page], headings: Sequence[Heading]) -> Record:
    """``chunk-input``: the pages' numbers and text, and the known headings."""
    wit_pages = []
    for page in pages:
        p = Record()
        setattr(p, "number", page.number)  # noqa: B010
        setattr(p, "text", page.text)  # noqa: B010
        wit_pages.append(p)
    wit_headings = []
    for heading in headings:
        h = Record()
        setattr(h, "title", heading.title)  # noqa: B010
        setattr(h, "level", heading.level)  # noqa: B010
        setattr(h, "page", heading.page)  # noqa: B010
        setattr(h, "offset", heading.offset)  # noqa: B010
        wit_headings.append(h)
    value = Record()
    setattr(value, "pages", wit_pages)  # noqa: B010
    setattr(value, "headings", wit_headings)  # noqa: B010
    return value


def chunk_config_to_wit(
    *, max_tokens: int, overlap_tokens: int, encoding: str, respect_paragraphs: bool
) -> Record:
    """``chunk-config``; ``encoding`` in snake case (``cl100k_base``) as the API takes it."""
    config = Record()
    setattr(config, "max-tokens", max_tokens)
    setattr(config, "overlap-tokens", overlap_tokens)
    setattr(config, "encoding", encoding.replace("_", "-"))  # noqa: B010
    setattr(config, "respect-paragraphs", respect_paragraphs)
    return config


def chunk_from_wit(value: Any) -> Chunk:
    return Chunk(
        index=int(_get(value, "index")),
        text=str(_get(value, "text")),
        tokens=int(_get(value, "tokens")),
        page_start=int(_get(value, "page-start")),
        page_end=int(_get(value, "page-end")),
        section=_opt_str(_get(value, "section")),
        char_start=int(_get(value, "char-start")),
        char_end=int(_get(value, "char-end")),
    )


def chunk_error_from_wit(case: str, message: str, *, document: str) -> ConductorError:
    """``chunk-error`` -> the matching :class:`ConductorError` (stage ``chunk``)."""
    cls = _CHUNK_ERRORS.get(case, PluginFailureError)
    text = message or case
    hint = None
    if cls is PluginFailureError:
        text = f"plugin 'chunker' failed: {text}"
    elif cls is TooLargeError:
        hint = "chunk a page range of the document (extract with pages=...)"
    return cls(text, document=document, stage="chunk", hint=hint)
