"""WIT values <-> dataclasses (conductor._convert), on values shaped as wasmtime-py hands
them over: ``Record`` objects with kebab-case attributes, enums as ``str``, options as the
value or ``None``, ``result`` as the bare payload."""

from __future__ import annotations

import json
from typing import Any

import pytest
from wasmtime.component import Record, Variant

from conductor import (
    Document,
    Heading,
    InvalidConfigError,
    Metadata,
    OutlineEntry,
    PluginFailureError,
    TooLargeError,
)
from conductor._chunk import chunk_headings
from conductor._convert import (
    MalformedOutputError,
    chunk_config_to_wit,
    chunk_error_from_wit,
    chunk_from_wit,
    chunk_input_to_wit,
    document_from_json,
    document_from_wit,
    extract_export,
    options_to_wit,
    split_result,
)
from conductor._models import Page


def record(**fields: Any) -> Record:
    r = Record()
    for name, value in fields.items():
        setattr(r, name.replace("_", "-"), value)
    return r


def wit_document(**extra: Any) -> Record:
    """A ``document`` as a 0.1.0 plugin returns it, plus ``extra`` fields."""
    metadata = record(
        title="T",
        author=None,
        subject=None,
        creator=None,
        producer=None,
        created=None,
        modified=None,
        page_count=2,
    )
    pages = [
        record(number=1, text="A\nB", chars=2, needs_ocr=False, ocr_reason=None, links=[]),
        record(number=2, text="", chars=0, needs_ocr=True, ocr_reason="no-text-layer", links=[]),
    ]
    outline = [record(title="Intro", level=1, page=1)]
    return record(metadata=metadata, pages=pages, outline=outline, warnings=[], **extra)


def convert(value: Record) -> Document:
    return document_from_wit(value, source="a.docx", format="docx", sha256="00" * 32)


def test_a_0_1_0_document_converts_with_defaults() -> None:
    doc = convert(wit_document())
    assert (doc.headings, doc.pagination) == ([], "fixed")
    assert doc.pages[1].ocr_reason == "no_text_layer"


@pytest.mark.parametrize(
    ("wit", "python"),
    [
        ("fixed", "fixed"),
        ("page-breaks", "page_breaks"),
        ("rendered-page-breaks", "rendered_page_breaks"),
        ("single", "single"),
    ],
)
def test_a_0_2_0_document_converts_headings_and_pagination(wit: str, python: str) -> None:
    headings = [
        record(title="Budget", level=1, page=1, offset=2),
        record(title="Outline only", level=2, page=2, offset=None),
    ]
    doc = convert(wit_document(headings=headings, pagination=wit))
    assert doc.headings == [Heading("Budget", 1, 1, 2), Heading("Outline only", 2, 2, None)]
    assert doc.pagination == python
    assert doc.to_dict()["pagination"] == python


def test_unknown_pagination_breaks_the_contract() -> None:
    with pytest.raises(MalformedOutputError, match="pagination"):
        convert(wit_document(headings=[], pagination="scrolled"))


def test_heading_without_a_field_breaks_the_contract() -> None:
    with pytest.raises(MalformedOutputError, match="offset"):
        convert(wit_document(headings=[record(title="x", level=1, page=1)], pagination="single"))


# -- extract-json (0.3.0): the same Document from the document's JSON text -------------


def as_json(value: Any) -> Any:
    """A WIT value as the SDK's extract-json writes it: records are objects keyed by the
    kebab-case field names."""
    if isinstance(value, Record):
        return {k: as_json(v) for k, v in vars(value).items()}
    if isinstance(value, list):
        return [as_json(v) for v in value]
    return value


def full_wit_document() -> Any:
    headings = [
        record(title="Budget", level=1, page=1, offset=2),
        record(title="Outline only", level=2, page=2, offset=None),
    ]
    doc: Any = wit_document(headings=headings, pagination="rendered-page-breaks")
    doc.warnings = [record(code="truncated", message="cut", page=2)]
    doc.pages[0].links = ['https://example.org/a?b="c"']
    return doc


def from_json(obj: Any) -> Document:
    return document_from_json(json.dumps(obj), source="a.docx", format="docx", sha256="00" * 32)


def test_json_document_converts_to_the_same_document_as_the_record() -> None:
    value = full_wit_document()
    doc = from_json(as_json(value))
    assert doc == convert(value)
    assert doc.pagination == "rendered_page_breaks"
    assert doc.pages[1].ocr_reason == "no_text_layer"
    assert doc.warnings[0].page == 2
    assert doc.headings[1].offset is None


def _broken(path: tuple[Any, ...], value: Any) -> Any:
    obj = as_json(full_wit_document())
    target = obj
    for key in path[:-1]:
        target = target[key]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return obj


@pytest.mark.parametrize(
    ("path", "value", "match"),
    [
        (("pages", 0, "text"), KeyError, "'text'"),
        (("pages", 0, "text"), ["not", "a", "string"], "'text'"),
        (("pages", 0, "number"), True, "u32"),
        (("pages", 0, "number"), -1, "u32"),
        (("pages", 0, "number"), 2**32, "u32"),
        (("pages", 0, "chars"), 1.5, "u32"),
        (("pages", 0, "needs-ocr"), 0, "bool"),
        (("pages", 0, "ocr-reason"), "blurry", "ocr-reason"),
        (("pages", 0, "links"), [1], "links"),
        (("pages",), {}, "array"),
        (("metadata",), [], "object"),
        (("metadata", "title"), 3, "'title'"),
        (("headings", 0, "offset"), "2", "u32"),
        (("outline", 0, "page"), None, None),
        (("pagination",), "scrolled", "pagination"),
        (("pagination",), ["fixed"], "pagination"),
    ],
)
def test_json_of_the_wrong_shape_breaks_the_contract(
    path: tuple[Any, ...], value: Any, match: str | None
) -> None:
    obj = _broken(path, value)
    if match is None:  # a valid change: `null` for an option
        assert from_json(obj).outline[0].page is None
        return
    with pytest.raises(MalformedOutputError, match=match):
        from_json(obj)


@pytest.mark.parametrize("text", ["", "{", "[" * 100_000 + "]" * 100_000, "[]", '"doc"'])
def test_json_that_is_not_a_document_breaks_the_contract(text: str) -> None:
    with pytest.raises(MalformedOutputError):
        document_from_json(text, source="a", format="pdf", sha256="00" * 32)


def test_extract_json_is_preferred_when_exported() -> None:
    assert extract_export({"info", "extract", "extract-json"}) == "extract-json"
    assert extract_export({"info", "extract"}) == "extract"


def test_options_carry_a_password_field_for_0_3_0() -> None:
    options: Any = options_to_wit((2, 3), max_chars_per_page=10, max_pages=5, size_hint=7)
    assert options.password is None
    with_password: Any = options_to_wit(None, max_chars_per_page=1, max_pages=1, password="pw")
    assert with_password.password == "pw"


def test_chunk_input_and_config_have_the_wit_shape() -> None:
    value = chunk_input_to_wit([Page(3, "text", 4)], [Heading("H", 1, 3, None)])
    assert [(p.number, p.text) for p in value.pages] == [(3, "text")]
    h = value.headings[0]
    assert (h.title, h.level, h.page, h.offset) == ("H", 1, 3, None)
    config = chunk_config_to_wit(
        max_tokens=100, overlap_tokens=10, encoding="o200k_base", respect_paragraphs=False
    )
    assert getattr(config, "max-tokens") == 100
    assert getattr(config, "overlap-tokens") == 10
    assert config.encoding == "o200k-base"
    assert getattr(config, "respect-paragraphs") is False


def test_chunk_result_ok_is_a_bare_list() -> None:
    wit = record(
        index=0,
        text="Hi",
        tokens=1,
        page_start=1,
        page_end=2,
        section=None,
        char_start=0,
        char_end=2,
    )
    value, error = split_result([wit], ok=list)
    assert error is None
    c = chunk_from_wit(value[0])
    assert (c.text, c.page_end, c.section, c.char_end) == ("Hi", 2, None, 2)
    assert split_result([], ok=list) == ([], None)
    # The tagged form, should a binding choose it.
    assert split_result(Variant("ok", []), ok=list) == ([], None)


@pytest.mark.parametrize(
    ("case", "cls"),
    [
        ("invalid-config", InvalidConfigError),
        ("too-large", TooLargeError),
        ("internal", PluginFailureError),
        ("something-new", PluginFailureError),
    ],
)
def test_chunk_errors_map_to_typed_errors(case: str, cls: type[Exception]) -> None:
    value, error = split_result(Variant(case, "why"), ok=list)
    assert value is None
    assert error == (case, "why")
    e = chunk_error_from_wit(*error, document="d.pdf")
    assert type(e) is cls
    assert (e.stage, e.document) == ("chunk", "d.pdf")
    assert "why" in e.message


def test_a_record_is_not_a_chunk_list() -> None:
    with pytest.raises(MalformedOutputError):
        split_result(Record(), ok=list)


def test_chunker_headings_merge_outline_and_sort_by_page_then_offset() -> None:
    doc = Document(
        "a.pdf",
        "pdf",
        "00" * 32,
        3,
        Metadata(page_count=3),
        outline=[
            OutlineEntry("Late", 1, 3),
            OutlineEntry("Nowhere", 1, None),
            OutlineEntry("Two", 1, 2),
        ],
        headings=[Heading("Two, later", 2, 2, 40), Heading("One", 1, 1, 5)],
    )
    assert chunk_headings(doc) == [
        Heading("One", 1, 1, 5),
        Heading("Two", 1, 2, None),
        Heading("Two, later", 2, 2, 40),
        Heading("Late", 1, 3, None),
    ]
