"""Property tests: the chunker's guarantees on generated text (hypothesis).

Two generators: structured documents (pages of paragraphs of sentences, with long words,
non-ASCII words and empty pages), where sentence spans are known, so "no chunk ends
inside a sentence unless that sentence alone is over ``max_tokens``" can be checked; and
arbitrary Unicode text (any category but surrogates), for the guarantees that hold for
any input. Each example checks everything :func:`test_chunk.check_chunks` checks, token
counts included (for arbitrary text, through the chunker only: text-splitter is not an
exact oracle on whitespace runs, see test_chunk). Examples are bounded so the module
stays well under 30 s.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conductor import Document, Extractor, InvalidConfigError, Metadata, Page
from test_chunk import check_chunks, one_page

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

_EXTRACTOR: Extractor | None = None


@pytest.fixture(scope="module", autouse=True)
def _chunker(chunker_component: Path) -> None:
    global _EXTRACTOR
    _EXTRACTOR = Extractor()


def extractor() -> Extractor:
    assert _EXTRACTOR is not None
    return _EXTRACTOR


LOWER = "abcdefghijklmnopqrstuvwxyz"
UPPER = LOWER.upper()
FOREIGN = "äöüßéèçñåøłżšđ"

plain_word = st.text(alphabet=LOWER, min_size=1, max_size=10)
foreign_word = st.text(alphabet=LOWER + FOREIGN, min_size=1, max_size=8)
cjk_word = st.text(alphabet="東京都会議予算案市長", min_size=1, max_size=6)
long_word = st.text(alphabet=LOWER + "0123456789", min_size=40, max_size=300)
word = st.one_of(plain_word, plain_word, plain_word, foreign_word, cjk_word, long_word)


@st.composite
def sentence(draw: st.DrawFn) -> str:
    # Sentences start and end with words of 3+ letters: "A." or "x." reads as an initial
    # or abbreviation (as in "J. Smith"), not as a sentence end, to the chunker.
    head = draw(st.sampled_from(UPPER)) + draw(st.text(alphabet=LOWER, min_size=2, max_size=8))
    rest = draw(st.lists(word, max_size=25))
    last = draw(st.text(alphabet=LOWER, min_size=3, max_size=8))
    return " ".join([head, *rest, last]) + draw(st.sampled_from(".!?"))


paragraph = st.lists(sentence(), min_size=1, max_size=5)
page = st.lists(paragraph, max_size=4)  # no paragraph: an empty page
pages = st.lists(page, min_size=1, max_size=5)

config = st.fixed_dictionaries(
    {
        "max_tokens": st.integers(4, 160),
        "encoding": st.sampled_from(["cl100k_base", "o200k_base"]),
        "respect_paragraphs": st.booleans(),
    }
)


def build(structure: list[list[list[str]]]) -> tuple[Document, list[tuple[int, int]]]:
    """The document, and each sentence's ``[start, end)`` in its text."""
    texts: list[str] = []
    spans: list[tuple[int, int]] = []
    at = 0
    for page_paragraphs in structure:
        parts: list[str] = []
        page_at = at
        for p, sentences in enumerate(page_paragraphs):
            if p:
                parts.append("\n\n")
                page_at += 2
            for s, text in enumerate(sentences):
                if s:
                    parts.append(" ")
                    page_at += 1
                spans.append((page_at, page_at + len(text)))
                parts.append(text)
                page_at += len(text)
        texts.append("".join(parts))
        at = page_at + 1  # the "\n" joining pages
    doc_pages = [Page(i + 1, t, 0) for i, t in enumerate(texts)]
    document = Document("gen", "txt", "", len(doc_pages), Metadata(), pages=doc_pages)
    assert all(document.text[a:b][-1] in ".!?" for a, b in spans)
    return document, spans


def count(text: str, encoding: str) -> int:
    chunks = extractor().chunk(one_page(text), max_tokens=1 << 20, encoding=encoding)  # type: ignore[arg-type]
    return sum(c.tokens for c in chunks)


@SETTINGS
@given(structure=pages, cfg=config)
def test_structured_text(structure: list[list[list[str]]], cfg: dict[str, object]) -> None:
    document, spans = build(structure)
    max_tokens = int(cfg["max_tokens"])  # type: ignore[call-overload]
    encoding = str(cfg["encoding"])
    chunks = extractor().chunk(document, **cfg)  # type: ignore[arg-type]
    check_chunks(extractor(), document, chunks, max_tokens=max_tokens, encoding=encoding)
    # No chunk ends inside a sentence unless that sentence alone is over the limit. The
    # whitespace before the document's first sentence (empty first pages) has no chunk
    # before it to end, so it counts with that sentence.
    text = document.text
    for c in chunks[:-1]:
        for a, b in spans:
            if a < c.char_end < b:
                start = 0 if text[:a].isspace() else a
                assert count(text[start:b], encoding) > max_tokens, (c, text[start:b])
    # Deterministic.
    assert extractor().chunk(document, **cfg) == chunks  # type: ignore[arg-type]


@SETTINGS
@given(
    structure=pages,
    max_tokens=st.integers(8, 120),
    fraction=st.floats(0.05, 0.9),
)
def test_overlap(structure: list[list[list[str]]], max_tokens: int, fraction: float) -> None:
    document, _ = build(structure)
    overlap = min(max_tokens - 1, max(1, int(max_tokens * fraction)))
    chunks = extractor().chunk(document, max_tokens=max_tokens, overlap_tokens=overlap)
    check_chunks(extractor(), document, chunks, max_tokens=max_tokens, overlap=overlap)
    for a, b in itertools.pairwise(chunks):
        repeated = document.text[b.char_start : a.char_end]
        assert count(repeated, "cl100k_base") <= overlap


unicode_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)), max_size=400
) | st.text(alphabet=" \n\t\u00a0\u2028\u3000.!?ab東", max_size=200)


@SETTINGS
@given(texts=st.lists(unicode_text, min_size=1, max_size=4), max_tokens=st.integers(1, 64))
def test_any_unicode_text(texts: list[str], max_tokens: int) -> None:
    doc_pages = [Page(i + 1, t, 0) for i, t in enumerate(texts)]
    document = Document("gen", "txt", "", len(doc_pages), Metadata(), pages=doc_pages)
    try:
        chunks = extractor().chunk(document, max_tokens=max_tokens)
    except InvalidConfigError:
        # Only a limit below what one character can need (at most 4 tokens) is refused.
        assert max_tokens < 4
        return
    # Recounted through the chunker only: see test_chunk's docstring on text-splitter.
    check_chunks(extractor(), document, chunks, max_tokens=max_tokens, independent=False)
