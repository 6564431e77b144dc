from __future__ import annotations

import json

import pytest

from conductor import Document, ExtractWarning, Limits, Metadata, OutlineEntry, Page


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
    )


def test_text_joins_pages_with_newlines() -> None:
    assert _doc().text == "one\n"


def test_to_dict_is_exactly_the_cli_json() -> None:
    d = _doc().to_dict()
    assert list(d) == [
        "source", "format", "sha256", "page_count", "metadata", "pages", "outline", "warnings"
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
    }
    assert d["pages"][0]["links"] == ["https://x.org"]
    assert d["outline"] == [{"title": "Intro", "level": 1, "page": 1}]
    assert d["warnings"] == [{"code": "font-map", "message": "no map", "page": 2}]
    assert json.loads(json.dumps(d)) == d


def test_limits_defaults() -> None:
    limits = Limits()
    assert (limits.memory_mb, limits.timeout_s, limits.max_chars_per_page) == (1024, 120.0, 200_000)
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


def test_limits_are_frozen() -> None:
    with pytest.raises(AttributeError):
        Limits().memory_mb = 5  # type: ignore[misc]
