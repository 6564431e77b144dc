"""Chunking against the real chunker component (``_components/chunker.wasm``).

Every guarantee of ``conductor.chunk`` is checked by :func:`check_chunks`, computed
independently in Python: offsets slice the document text exactly, chunks are contiguous
and concatenate back to the text (no overlap), page ranges are the pages of each chunk's
first and last non-whitespace characters, token counts are at most ``max_tokens`` and
exact. Exactness is checked twice: by the chunker itself on the chunk's text submitted
alone (it must come back as one chunk with the same count, so a count summed from pieces
would show), and by an independent tiktoken-rs build, ``semantic-text-splitter``'s, when
it is installed (the ``bench`` extra): the chunk fits a splitter of capacity ``tokens``
whole and does not fit one of ``tokens - 1``. That second check is for natural text only:
text-splitter's "fits" is its chunking algorithm, not a bare count, and on some whitespace
runs it refuses a text that does fit (``"0\n\t\n"`` is 2 tokens for tiktoken-rs 0.12's
``cl100k_base().encode_ordinary``, but text-splitter needs a capacity of 3), so the
arbitrary-Unicode property test recounts through the chunker alone.

The tests skip, saying why, until the chunker is built; the corpus ones also without the
corpus.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from _metrics import corpus_dir, missing_input
from conductor import (
    Chunk,
    Document,
    Extractor,
    ExtractTimeoutError,
    Heading,
    InvalidConfigError,
    Limits,
    MemoryLimitError,
    Metadata,
    OutlineEntry,
    Page,
    PluginFailureError,
)

CIVIC = corpus_dir() / "civic"
AGENDAS = [
    "agendaminer__mountain-view.pdf",
    "agendaminer__sunnyvale_4-19-16.pdf",
    "cityscrapersca__gardena_agenda_1.pdf",
    "civicscraper__eastpaloalto_ca_minutes_2020-01-27.pdf",
    "hackomaha__a12-10-16.pdf",
]
MODELS = {"cl100k_base": "gpt-3.5-turbo", "o200k_base": "gpt-4o"}


# --- independent checks ------------------------------------------------------------------


def page_of(document: Document) -> Callable[[int], int]:
    """Character index in ``document.text`` -> number of the page it comes from."""
    starts, at = [], 0
    for page in document.pages:
        starts.append(at)
        at += len(page.text) + 1
    numbers = [page.number for page in document.pages]
    return lambda i: numbers[bisect.bisect_right(starts, i) - 1]


def expected_pages(document: Document, start: int, end: int) -> tuple[int, int]:
    """Pages of the first and last non-whitespace characters of ``text[start:end]``."""
    text, page = document.text, page_of(document)
    inked = [i for i in range(start, end) if not text[i].isspace()]
    if not inked:
        return page(start), page(start)
    return page(inked[0]), page(inked[-1])


def one_page(text: str) -> Document:
    return Document("<text>", "txt", "", 1, Metadata(page_count=1), pages=[Page(1, text, 0)])


@functools.cache
def _splitter(model: str, capacity: int) -> Any:
    from semantic_text_splitter import TextSplitter

    return TextSplitter.from_tiktoken_model(model, capacity, trim=False)


def independent_count_agrees(text: str, tokens: int, encoding: str) -> bool | None:
    """Whether tiktoken-rs (as built into semantic-text-splitter) counts ``tokens`` for
    ``text``; ``None`` when it is not installed or cannot tell (an unsplittable text)."""
    try:
        import semantic_text_splitter  # noqa: F401
    except ImportError:
        return None
    model = MODELS[encoding]

    def fits(capacity: int) -> bool:
        return bool(_splitter(model, capacity).chunks(text) == [text])

    if fits(1):  # one token, or a text the splitter cannot cut: no lower bound to test
        return None if tokens > 1 else True
    return fits(tokens) and (tokens == 1 or not fits(tokens - 1))


def check_chunks(
    extractor: Extractor,
    document: Document,
    chunks: list[Chunk],
    *,
    max_tokens: int,
    overlap: int = 0,
    encoding: str = "cl100k_base",
    recount: bool = True,
    independent: bool = True,
) -> None:
    """Asserts every guarantee of ``conductor.chunk`` for ``chunks`` of ``document``."""
    text = document.text
    if text.isspace() or not text:
        assert chunks == []
        return
    assert [c.index for c in chunks] == list(range(len(chunks)))
    for c in chunks:
        assert text[c.char_start : c.char_end] == c.text, c
        assert 0 < c.tokens <= max_tokens or (c.text.isspace() and c.tokens <= max_tokens), c
        assert (c.page_start, c.page_end) == expected_pages(document, c.char_start, c.char_end)
    if overlap == 0:
        assert chunks[0].char_start == 0
        assert chunks[-1].char_end == len(text)
        for a, b in itertools.pairwise(chunks):
            assert a.char_end == b.char_start
        assert "".join(c.text for c in chunks) == text
    else:
        assert chunks[0].char_start == 0
        assert chunks[-1].char_end == len(text)
        for a, b in itertools.pairwise(chunks):
            assert a.char_start <= b.char_start <= a.char_end <= b.char_end
    if recount:
        for c in chunks:
            assert_exact_count(extractor, c, encoding, independent=independent)


def assert_exact_count(
    extractor: Extractor, c: Chunk, encoding: str, *, independent: bool = True
) -> None:
    if c.text.isspace():
        return  # a whitespace-only text gives no chunk to compare with
    alone = extractor.chunk(one_page(c.text), max_tokens=1 << 20, encoding=encoding)  # type: ignore[arg-type]
    assert [(a.text, a.tokens) for a in alone] == [(c.text, c.tokens)]
    if independent:
        assert independent_count_agrees(c.text, c.tokens, encoding) in (True, None), c


# --- fixtures ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def extractor(chunker_component: Path) -> Extractor:
    return _shared()


@functools.cache
def _shared() -> Extractor:
    return Extractor()


@functools.cache
def _extracted(name: str) -> Document:
    return _shared().extract(CIVIC / name)


@pytest.fixture
def civic(corpus: Path) -> Callable[[str], Document]:
    def get(name: str) -> Document:
        if not (CIVIC / name).exists():
            missing_input(f"{name} not in the corpus")
        return _extracted(name)

    return get


AGENDA_TEXT = """CITY COUNCIL REGULAR MEETING AGENDA
Tuesday, May 2

1. CALL TO ORDER
The Mayor calls the meeting to order at 6:00 PM. The clerk confirms a quorum.

2. PUBLIC COMMENT
Members of the public may speak for three minutes on items not on the agenda.

CONSENT CALENDAR
A. Approve the minutes of the April 18 meeting.
B. Receive the treasurer's report for March.

ITEM 5.A
Adopt a resolution approving the purchase of two street sweepers. """


def agenda_document(repeat: int = 3) -> Document:
    pages = [Page(i + 1, AGENDA_TEXT * (1 + i % 2), 0) for i in range(repeat)]
    return Document("gen.pdf", "pdf", "", repeat, Metadata(page_count=repeat), pages=pages)


# --- real civic documents ----------------------------------------------------------------


@pytest.mark.corpus
@pytest.mark.parametrize("name", AGENDAS)
@pytest.mark.parametrize("max_tokens", [512, 96])
def test_civic_documents_keep_every_guarantee(
    extractor: Extractor, civic: Callable[[str], Document], name: str, max_tokens: int
) -> None:
    document = civic(name)
    chunks = extractor.chunk(document, max_tokens=max_tokens)
    assert chunks
    check_chunks(extractor, document, chunks, max_tokens=max_tokens)
    if document.page_count > 1:
        assert chunks[-1].page_end > chunks[0].page_start


@pytest.mark.corpus
@pytest.mark.parametrize(
    ("name", "heading"),
    [
        ("civicscraper__eastpaloalto_ca_minutes_2020-01-27.pdf", "1. CALL TO ORDER AND ROLL CALL"),
        ("agendaminer__mountain-view.pdf", "2. ROLL CALL"),
        ("agendaminer__sunnyvale_4-19-16.pdf", "CONSENT CALENDAR"),
    ],
)
def test_agenda_headings_are_detected_as_sections(
    extractor: Extractor, civic: Callable[[str], Document], name: str, heading: str
) -> None:
    document = civic(name)
    chunks = extractor.chunk(document, max_tokens=64)
    assert heading in {c.section for c in chunks}
    text = document.text
    for c in chunks:
        if c.section is None:
            continue
        # The section is a heading at or before the chunk's first non-whitespace character.
        first = c.char_start + len(c.text) - len(c.text.lstrip())
        assert text.rfind(c.section, 0, first + len(c.section)) != -1, c


@pytest.mark.corpus
def test_civic_chunking_is_deterministic(
    extractor: Extractor, civic: Callable[[str], Document]
) -> None:
    document = civic("hackomaha__a12-10-16.pdf")
    first = extractor.chunk(document, max_tokens=128)
    assert extractor.chunk(document, max_tokens=128) == first
    assert Extractor().chunk(document, max_tokens=128) == first  # a fresh instance too


# --- generated documents -----------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["cl100k_base", "o200k_base"])
@pytest.mark.parametrize("max_tokens", [512, 40, 8])
def test_generated_agenda_keeps_every_guarantee(
    extractor: Extractor, encoding: str, max_tokens: int
) -> None:
    document = agenda_document()
    chunks = extractor.chunk(document, max_tokens=max_tokens, encoding=encoding)  # type: ignore[arg-type]
    check_chunks(extractor, document, chunks, max_tokens=max_tokens, encoding=encoding)


def test_agenda_sections_on_generated_text(extractor: Extractor) -> None:
    chunks = extractor.chunk(agenda_document(1), max_tokens=40)
    by_start = {c.text.strip().splitlines()[0]: c.section for c in chunks}
    assert by_start["1. CALL TO ORDER"] == "1. CALL TO ORDER"
    assert by_start["2. PUBLIC COMMENT"] == "2. PUBLIC COMMENT"
    assert by_start["CONSENT CALENDAR"] == "CONSENT CALENDAR"
    assert by_start["ITEM 5.A"] == "ITEM 5.A"
    assert chunks[0].section is None


def test_encodings_count_differently_and_exactly(extractor: Extractor) -> None:
    document = one_page("Grüße aus Köln! 東京の会議は午後六時に始まります。 " * 4)
    counts = {}
    for encoding in ("cl100k_base", "o200k_base"):
        chunks = extractor.chunk(document, encoding=encoding)  # type: ignore[arg-type]
        assert len(chunks) == 1
        check_chunks(extractor, document, chunks, max_tokens=512, encoding=encoding)
        counts[encoding] = chunks[0].tokens
    assert counts["cl100k_base"] != counts["o200k_base"]


def test_outline_entries_and_docx_headings_become_sections(extractor: Extractor) -> None:
    body = "Text of the section goes on. " * 30
    document = Document(
        "gen.pdf",
        "pdf",
        "",
        3,
        Metadata(page_count=3),
        pages=[
            Page(1, "Cover page.", 0),
            Page(2, "Background\n" + body, 0),
            Page(3, "Budget\n" + body, 0),
        ],
        # An entry not on its page's text names nothing (it used to name the page start).
        outline=[
            OutlineEntry("Background", 1, 2),
            OutlineEntry("Unresolved", 1, None),
            OutlineEntry("Not in the text", 1, 1),
        ],
        headings=[Heading("Budget", 1, 3, 0)],
    )
    chunks = extractor.chunk(document, max_tokens=64)
    check_chunks(extractor, document, chunks, max_tokens=64, recount=False)
    sections = {(c.page_start, c.section) for c in chunks}
    assert (1, None) in sections
    assert (2, "Background") in sections
    assert (3, "Budget") in sections
    assert all(c.section not in {"Unresolved", "Not in the text"} for c in chunks)
    # A section starts a chunk.
    assert any(c.text.startswith("Budget") for c in chunks)


def test_overlap_repeats_the_end_of_the_previous_chunk(extractor: Extractor) -> None:
    document = agenda_document()
    plain = extractor.chunk(document, max_tokens=64)
    chunks = extractor.chunk(document, max_tokens=64, overlap_tokens=16)
    check_chunks(extractor, document, chunks, max_tokens=64, overlap=16)
    assert any(b.char_start < a.char_end for a, b in itertools.pairwise(chunks))
    for a, b in itertools.pairwise(chunks):
        repeated = document.text[b.char_start : a.char_end]
        if repeated.strip():
            again = extractor.chunk(one_page(repeated), max_tokens=1 << 20)
            assert sum(c.tokens for c in again) <= 16
    assert len(chunks) >= len(plain)


def test_paragraphs_can_be_ignored(extractor: Extractor) -> None:
    document = agenda_document()
    chunks = extractor.chunk(document, max_tokens=48, respect_paragraphs=False)
    check_chunks(extractor, document, chunks, max_tokens=48, recount=False)


@pytest.mark.parametrize("texts", [[], [""], ["", "   ", "\n\n"]])
def test_no_text_gives_no_chunks(extractor: Extractor, texts: list[str]) -> None:
    pages = [Page(i + 1, t, 0) for i, t in enumerate(texts)]
    document = Document("e.pdf", "pdf", "", len(pages), Metadata(), pages=pages)
    assert extractor.chunk(document) == []


def test_module_chunk_and_extractor_chunk_agree(extractor: Extractor) -> None:
    # Document.chunk() (bound to the extractor that made the document; this one is made
    # by hand) is tested in test_public_api.py.
    import conductor

    document = agenda_document()
    assert conductor.chunk(document, max_tokens=50) == extractor.chunk(document, max_tokens=50)


# --- configuration errors ----------------------------------------------------------------


@pytest.mark.parametrize(
    "config",
    [
        {"max_tokens": 0},
        {"max_tokens": -5},
        {"max_tokens": 1 << 32},
        {"max_tokens": "512"},
        {"max_tokens": True},
        {"max_tokens": 10, "overlap_tokens": 10},
        {"overlap_tokens": -1},
        {"encoding": "p50k_base"},
        {"encoding": "cl100k-base"},
        {"respect_paragraphs": "yes"},
    ],
)
def test_invalid_config_is_a_typed_error(extractor: Extractor, config: dict[str, Any]) -> None:
    with pytest.raises(InvalidConfigError) as info:
        extractor.chunk(agenda_document(1), **config)
    assert (info.value.kind, info.value.stage) == ("invalid_config", "chunk")
    assert info.value.to_dict()["kind"] == "invalid_config"


def test_the_plugin_refuses_a_limit_below_one_character(extractor: Extractor) -> None:
    # The host lets max_tokens=1 through; one of these characters needs more tokens.
    with pytest.raises(InvalidConfigError) as info:
        extractor.chunk(one_page("\U0001d538\U0001d539\u2102"), max_tokens=1)
    assert info.value.stage == "chunk"
    assert info.value.document == "<text>"


# --- the live instance -------------------------------------------------------------------


def test_one_instance_per_thread_is_kept_across_documents(chunker_component: Path) -> None:
    ex = Extractor()
    ex.chunk(agenda_document(1))
    live = ex.chunker.instance()
    assert live is not None
    ex.chunk(agenda_document(2), encoding="o200k_base")
    ex.chunk(one_page("Another document."))
    assert ex.chunker.instance() is live
    assert live.instantiations == 1

    other: list[Any] = []
    thread = threading.Thread(
        target=lambda: other.append((ex.chunk(agenda_document(1)), ex.chunker.instance()))
    )
    thread.start()
    thread.join()
    chunks, instance = other[0]
    assert chunks == ex.chunk(agenda_document(1))
    assert instance is not live


def test_the_instance_is_replaced_after_a_trap(chunker_component: Path) -> None:
    ex = Extractor()
    document = agenda_document(1)
    expected = ex.chunk(document)
    live = ex.chunker.instance()
    assert live is not None
    # Building the o200k tokenizer takes ~100 ms: a 1 ms deadline interrupts it.
    with pytest.raises(ExtractTimeoutError) as info:
        ex.chunker.chunk(
            document,
            max_tokens=512,
            overlap_tokens=0,
            encoding="o200k_base",
            respect_paragraphs=True,
            limits=Limits(timeout_s=0.001),
        )
    assert (info.value.kind, info.value.stage) == ("timeout", "chunk")
    assert not live.alive
    assert ex.chunk(document) == expected
    assert live.alive
    assert live.instantiations == 2


def test_memory_limit_is_enforced_and_typed(chunker_component: Path) -> None:
    ex = Extractor(Limits(memory_mb=40))
    big = one_page("word " * 2_000_000)
    with pytest.raises(MemoryLimitError) as info:
        ex.chunk(big)
    assert (info.value.kind, info.value.stage) == ("memory_limit", "chunk")
    assert ex.chunk(one_page("Small enough.")) != []


def test_a_missing_chunker_is_a_load_failure(tmp_path: Path) -> None:
    ex = Extractor(chunker=tmp_path / "chunker.wasm")
    with pytest.raises(PluginFailureError) as info:
        ex.chunk(one_page("x"))
    assert info.value.stage == "load"
    assert "build_plugins" in info.value.hint


def test_a_component_that_is_not_the_chunker_is_refused(tmp_path: Path) -> None:
    pdf = Path(__file__).resolve().parent.parent / "host/conductor/_components/pdf.wasm"
    if not pdf.is_file():
        pytest.skip("pdf.wasm is not built")
    ex = Extractor(chunker=pdf, cache_dir=tmp_path)
    with pytest.raises(PluginFailureError) as info:
        ex.chunk(one_page("x"))
    assert info.value.stage == "load"
    assert "'pdf'" in info.value.message


# --- DOCX end to end ---------------------------------------------------------------------


def test_docx_headings_and_page_breaks_reach_the_chunks(
    extractor: Extractor, docx_component: Path, make_docx: Callable[..., bytes]
) -> None:
    document = extractor.extract(make_docx(), name="minimal.docx")
    assert document.format == "docx"
    chunks = extractor.chunk(document, max_tokens=12)
    check_chunks(extractor, document, chunks, max_tokens=12)
    assert chunks[0].section == "Budget Hearing"
    assert all(c.section == "Budget Hearing" for c in chunks)
    assert (chunks[0].page_start, chunks[-1].page_end) == (1, 2)
