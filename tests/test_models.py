from __future__ import annotations

import json

import pytest

from conductor import (
    Chunk,
    Document,
    ExtractWarning,
    Heading,
    Limits,
    Metadata,
    OutlineEntry,
    Page,
)


def _doc() -> Document:
    return Document(
        source="a.pdf",
        format="pdf",
        sha256="ab" * 32,
        page_count=2,
        metadata=Metadata(title="T", page_count=2),
        pages=[
            Page(1, "one", 3, links=["https://x.org"]),
            Page(2, "", 0, needs_ocr=True, ocr_reason="no_text_layer"),
        ],
        outline=[OutlineEntry("Intro", 1, 1)],
        warnings=[ExtractWarning("font-map", "no map", 2)],
        headings=[Heading("Budget", 1, 1, 0)],
    )


def test_text_joins_pages_with_newlines() -> None:
    assert _doc().text == "one\n"


def test_to_dict_is_exactly_the_cli_json() -> None:
    d = _doc().to_dict()
    assert list(d) == [
        "source", "format", "sha256", "page_count", "metadata", "pages", "outline", "warnings",
        "headings", "pagination", "engine",
    ]  # fmt: skip
    assert list(d["metadata"]) == [
        "title", "author", "subject", "creator", "producer", "created", "modified", "page_count"
    ]  # fmt: skip
    assert d["pages"][1] == {
        "number": 2,
        "text": "",
        "chars": 0,
        "needs_ocr": True,
        "ocr_reason": "no_text_layer",
        "links": [],
        "ocr": None,
    }
    assert d["pages"][0]["links"] == ["https://x.org"]
    assert d["outline"] == [{"title": "Intro", "level": 1, "page": 1}]
    assert d["warnings"] == [{"code": "font-map", "message": "no map", "page": 2}]
    assert d["headings"] == [{"title": "Budget", "level": 1, "page": 1, "offset": 0}]
    assert d["pagination"] == "fixed"
    assert json.loads(json.dumps(d)) == d


def test_new_fields_default_for_documents_built_the_old_way() -> None:
    doc = Document("a.pdf", "pdf", "00" * 32, 0, Metadata())
    assert (doc.headings, doc.pagination) == ([], "fixed")


def test_chunk_to_dict_keys_are_the_cli_contract() -> None:
    c = Chunk(0, "one", 1, 1, 1, None, 0, 3)
    assert list(c.to_dict()) == [
        "index", "text", "tokens", "page_start", "page_end", "section", "char_start", "char_end"
    ]  # fmt: skip
    assert c.to_dict()["section"] is None
    with pytest.raises(AttributeError):
        c.tokens = 5  # type: ignore[misc]


def test_limits_defaults() -> None:
    limits = Limits()
    assert (limits.memory_mb, limits.timeout_s, limits.max_chars_per_page) == (768, 120.0, 200_000)
    assert (limits.max_pages, limits.max_bytes, limits.max_wasm_stack) == (
        10_000,
        500 * 1024 * 1024,
        1 << 20,
    )


@pytest.mark.parametrize(
    "kwargs", [{"memory_mb": 0}, {"timeout_s": -1.0}, {"max_pages": 1 << 32}, {"max_bytes": True}]
)
def test_limits_reject_bad_values(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="Limits"):
        Limits(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"timeout_s": float("nan")}, "Limits.timeout_s must be positive and finite, got nan"),
        ({"timeout_s": float("inf")}, "Limits.timeout_s must be positive and finite, got inf"),
        ({"timeout_s": 86_401}, "Limits.timeout_s must be at most 86,400, got 86401"),
        ({"memory_mb": 1.5}, "Limits.memory_mb must be an integer, got 1.5"),
        ({"memory_mb": 4097}, "Limits.memory_mb must be at most 4,096, got 4097"),
        ({"max_bytes": float("inf")}, "Limits.max_bytes must be an integer, got inf"),
        ({"timeout_s": "5"}, "Limits.timeout_s must be a number, got '5'"),
    ],
)
def test_limits_are_finite_and_within_ceilings(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=r"^Limits\.") as info:
        Limits(**kwargs)  # type: ignore[arg-type]
    assert str(info.value) == message


def test_limits_at_their_ceilings_are_accepted() -> None:
    limits = Limits(memory_mb=4096, timeout_s=86_400, max_pages=(1 << 32) - 1)
    assert (limits.memory_mb, limits.timeout_s) == (4096, 86_400)


def test_limits_are_frozen() -> None:
    with pytest.raises(AttributeError):
        Limits().memory_mb = 5  # type: ignore[misc]
