from __future__ import annotations

import copy
import inspect
import pickle
from typing import Any

import pytest

import conductor

CONTRACT = {
    "extract", "Extractor", "Limits", "Document", "Page", "Metadata", "OutlineEntry",
    "ExtractWarning", "ConductorError", "ReadError", "UnsupportedFormatError",
    "CorruptDocumentError", "EncryptedDocumentError", "TooLargeError", "ExtractTimeoutError",
    "MemoryLimitError", "PluginFailureError", "detect_format",
    # 0.2.0: headings and chunking
    "Heading", "Chunk", "chunk", "InvalidConfigError", "DatabaseError",
    # 0.3.0: batch processing and persistence
    "Conductor", "Result", "ChunkConfig", "CancelledError", "Database", "FetchConfig",
    # entry-point plugins: `@hookimpl def conductor_register_plugins() -> [PluginSpec(...)]`
    "PluginSpec", "hookimpl",
    # OCR of scanned pages (issue 15)
    "PageOcr", "OcrOptions", "ChildLimits",
    # PostgreSQL store and job queue (issue 16)
    "Store", "PostgresStore", "JobQueue", "JobRecord",
}  # fmt: skip


def test_all_is_sorted_and_matches_the_contract() -> None:
    assert conductor.__all__ == sorted(conductor.__all__)
    assert set(conductor.__all__) == CONTRACT


def test_all_is_exactly_what_is_public() -> None:
    public = {
        name
        for name, value in vars(conductor).items()
        if not name.startswith("_") and not inspect.ismodule(value) and name != "annotations"
    }
    # Names whose modules load psycopg/procrastinate are imported on first use.
    lazy = set(conductor._LAZY)
    assert public | lazy == set(conductor.__all__)
    assert all(getattr(conductor, name).__name__ == name for name in lazy)


def test_signatures() -> None:
    sig = inspect.signature(conductor.extract)
    ocr = ["ocr", "ocr_languages", "ocr_dpi"]
    assert list(sig.parameters) == ["source", "pages", "limits", "name", "password", *ocr]
    assert [sig.parameters[p].default for p in ocr] == ["auto", ("eng",), 300]
    assert all(
        sig.parameters[p].kind is inspect.Parameter.KEYWORD_ONLY
        for p in ("pages", "limits", "name", "password", *ocr)
    )
    method = inspect.signature(conductor.Extractor.extract)
    assert list(method.parameters)[:4] == ["self", "source", "pages", "name"]
    assert next(iter(inspect.signature(conductor.Extractor).parameters)) == "limits"
    config = ["max_tokens", "overlap_tokens", "encoding", "respect_paragraphs"]
    sig = inspect.signature(conductor.chunk)
    assert list(sig.parameters) == ["document", *config, "limits"]
    assert [sig.parameters[p].default for p in config] == [512, 0, "cl100k_base", True]
    assert all(
        sig.parameters[p].kind is inspect.Parameter.KEYWORD_ONLY for p in [*config, "limits"]
    )
    assert list(inspect.signature(conductor.Document.chunk).parameters) == [
        "self",
        *config,
        "limits",
    ]
    assert list(inspect.signature(conductor.Extractor.chunk).parameters) == [
        "self",
        "document",
        *config,
    ]


def test_extract_generated_pdf_with_the_default_extractor(make_pdf) -> None:  # type: ignore[no-untyped-def]
    data = make_pdf(["Budget hearing at 7 pm", "Adjourn"], title="Agenda")
    try:
        doc = conductor.extract(data, name="gen.pdf")
    except conductor.UnsupportedFormatError as e:
        if e.stage == "extract":
            pytest.skip(f"the pdf plugin is still a placeholder: {e}")
        raise
    assert (doc.source, doc.format, doc.page_count) == ("gen.pdf", "pdf", 2)
    assert "Budget hearing" in doc.pages[0].text
    assert doc.pages[1].number == 2
    assert "Adjourn" in doc.pages[1].text
    assert doc.metadata.title == "Agenda"
    only_second = conductor.extract(data, pages=(2, 2))
    assert [p.number for p in only_second.pages] == [2]


def test_entry_point_names_are_the_ones_the_registry_uses() -> None:
    from conductor import _hookspecs

    assert conductor.hookimpl is _hookspecs.hookimpl
    assert conductor.PluginSpec is _hookspecs.PluginSpec


def test_document_chunk_uses_the_extractor_that_made_it(make_pdf) -> None:  # type: ignore[no-untyped-def]
    extractor = conductor.Extractor()
    try:
        doc = extractor.extract(make_pdf(["Budget hearing at 7 pm. " * 40, "Adjourn"]))
    except conductor.UnsupportedFormatError as e:
        pytest.skip(f"the pdf plugin is not built: {e}")
    calls = []
    chunk = extractor.chunker.chunk

    def spy(*args: Any, **kwargs: Any) -> list[conductor.Chunk]:
        calls.append(kwargs["limits"])
        return chunk(*args, **kwargs)

    extractor.chunker.chunk = spy  # type: ignore[method-assign]
    assert doc.chunk(max_tokens=50) == extractor.chunk(doc, max_tokens=50)
    assert calls == [extractor.limits] * 2  # this extractor's chunker, not the default one
    assert doc.chunk(max_tokens=50) == conductor.chunk(doc, max_tokens=50)
    assert "_chunker" not in doc.to_dict()
    # Copies are unbound: the extractor does not pickle; the data is unchanged.
    for unbound in (pickle.loads(pickle.dumps(doc)), copy.deepcopy(doc)):
        assert unbound == doc
        with pytest.raises(RuntimeError, match=r"conductor\.chunk\(doc\)"):
            unbound.chunk()


def test_document_chunk_of_a_document_no_extractor_made_says_what_to_use() -> None:
    doc = conductor.Document("by-hand.txt", "txt", "", 1, conductor.Metadata())
    with pytest.raises(RuntimeError, match=r"'by-hand.txt'.*conductor\.chunk\(doc\)"):
        doc.chunk()
