"""Chunk sections from PDF bookmarks and agenda lines, through the real PDF and chunker
components, on a generated PDF with an outline.

A bookmark is not always a heading: Word exports table rows and merge tools add file
names as bookmarks, titles are cut to ``...``, and some titles are nowhere in the page's
text. Only a bookmark that looks like a heading and is found on its page (whole, or by a
long prefix) may name chunks, and only from where its text starts; an all-capitals line
that continues a sentence is not an agenda heading.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from _pdfgen import pdf_string, stream, text_content, write_pdf
from conductor import Chunk, Document, Extractor

FILLER = "The clerk read the notice into the record and the board discussed it at length."


def outline_pdf(pages: list[str], bookmarks: list[tuple[str, int]]) -> bytes:
    """A text PDF (one Helvetica line per input line) whose outline has one top-level
    entry per ``(title, 1-based page)``, pointing at that page."""
    n = len(pages)
    page_ids = [4 + 2 * i for i in range(n)]
    root = 4 + 2 * n
    items = [root + 1 + i for i in range(len(bookmarks))]
    objects: dict[int, bytes] = {
        1: b"<< /Type /Catalog /Pages 2 0 R /Outlines %d 0 R >>" % root,
        2: b"<< /Type /Pages /Kids ["
        + b" ".join(b"%d 0 R" % p for p in page_ids)
        + b"] /Count %d >>" % n,
        3: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    }
    for pid, text in zip(page_ids, pages, strict=True):
        objects[pid] = (
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % (pid + 1)
        )
        objects[pid + 1] = stream(b"", text_content(text))
    objects[root] = b"<< /Type /Outlines /First %d 0 R /Last %d 0 R /Count %d >>" % (
        items[0],
        items[-1],
        len(items),
    )
    for i, (num, (title, page)) in enumerate(zip(items, bookmarks, strict=True)):
        links = b""
        if i > 0:
            links += b" /Prev %d 0 R" % items[i - 1]
        if i + 1 < len(items):
            links += b" /Next %d 0 R" % items[i + 1]
        objects[num] = (
            b"<< /Title "
            + pdf_string(title)
            + b" /Parent %d 0 R /Dest [%d 0 R /Fit]" % (root, page_ids[page - 1])
            + links
            + b" >>"
        )
    return write_pdf(objects)


HEARING = "1. PUBLIC HEARING: SECOND READING AND ADOPTION OF THE BUILDING CODES"
CUT_TITLE = HEARING + " TOGETHER WITH..."
FILE_NAME = "Conduit Meeting Notice 2020-December v5 clean_ (2)"
TABLE_ROW = "AIDS Taskforce of Greater Cleveland $ 177,965.00"
MISSING = "Budget Amendments"

PAGES = [
    "\n".join(["NOTICE OF SPECIAL MEETING", *[FILLER] * 8]),
    "\n".join(
        [
            *[FILLER] * 6,
            "1. PUBLIC HEARING: SECOND READING AND ADOPTION OF THE",
            "BUILDING CODES TOGETHER WITH LOCAL AMENDMENTS",
            *[FILLER] * 6,
        ]
    ),
    "\n".join(
        [
            "CONSENT CALENDAR",
            "Grants awarded this year:",
            TABLE_ROW,
            "Cleveland Food Bank $ 52,000.00",
            *[FILLER] * 4,
            "Commissioner Perez moved to approve the consent calendar as recommended. MOTION",
            "CARRIED BY THE FOLLOWING ROLL CALL VOTE:",
            "AYES: Commissioners Davis and Perez",
            *[FILLER] * 4,
        ]
    ),
]
BOOKMARKS = [
    (MISSING, 1),
    (FILE_NAME, 1),
    (CUT_TITLE, 2),
    ("Consent Calendar", 3),
    (TABLE_ROW, 3),
]


@pytest.fixture(scope="module")
def document(chunker_component: Path, tmp_path_factory: pytest.TempPathFactory) -> Document:
    path = tmp_path_factory.mktemp("sections") / "bookmarks.pdf"
    path.write_bytes(outline_pdf(PAGES, BOOKMARKS))
    document = Extractor().extract(path)
    assert [(e.title, e.page) for e in document.outline] == BOOKMARKS
    return document


# Small enough that the sections do not share a chunk: a chunk is named after the section
# its first character is in.
@pytest.fixture(scope="module", params=[24, 64, 160])
def chunks(request: pytest.FixtureRequest, document: Document) -> list[Chunk]:
    return Extractor().chunk(document, max_tokens=request.param)


def _fold(text: str) -> str:
    return "".join(text.split()).lower()


def test_a_section_starts_at_or_before_the_chunk_end(
    document: Document, chunks: list[Chunk]
) -> None:
    text = _fold(document.text)
    for c in chunks:
        if c.section is None:
            continue
        # A cut title is known by what precedes its "..."; the heading may run on past
        # the chunk end, but it starts before it.
        heading = _fold(c.section.split("...")[0])
        starts = text.find(heading)
        assert 0 <= starts < len(_fold(document.text[: c.char_end])), (c.section, c.text)


def test_only_bookmarks_that_are_headings_found_in_the_text_become_sections(
    chunks: list[Chunk],
) -> None:
    sections = {c.section for c in chunks}
    assert sections <= {None, CUT_TITLE, "Consent Calendar"}, sections
    assert {CUT_TITLE, "Consent Calendar"} <= sections
    # Nothing names the first page: its bookmarks are not in its text or not headings.
    assert all(c.section is None for c in chunks if c.page_end == 1)


def test_cut_bookmark_names_chunks_from_where_its_text_starts(
    document: Document, chunks: list[Chunk]
) -> None:
    start = document.text.index(HEARING.split(":")[0])
    for c in chunks:
        first = c.char_start + len(c.text) - len(c.text.lstrip())
        if c.section == CUT_TITLE:
            assert first >= start, c.text
        elif first >= start and c.page_start == 2:
            raise AssertionError(f"{c.text!r} is under the hearing but has {c.section!r}")
    assert any(c.text.lstrip().startswith(HEARING.split(":")[0]) for c in chunks)


def test_all_caps_continuation_is_not_an_agenda_heading(chunks: list[Chunk]) -> None:
    assert all(c.section is None or "ROLL CALL VOTE" not in c.section for c in chunks)
