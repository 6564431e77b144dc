"""Page-parallel extraction: one large document as several sandboxed calls, each on a page
range, in parallel across cores.

The calls of one document share its memory limit (:func:`range_workers`,
:func:`memory_share`): ``Limits.memory_mb`` bounds the document, not each instance, so
splitting a hostile document over N instances cannot take N times the limit.

Every call is a fresh instance that renders only its range; the PDF plugin loads only
the objects a range's pages reach (the whole file when its cross-reference table is
damaged), so splitting costs little more than the page tree per extra range. The ranges
come from the page count. For a PDF whose page objects can be counted in its bytes
(:func:`estimate_page_count`) all ranges start at once, the last one open-ended, so a
wrong count only unbalances the work; otherwise the count is learnt from a first call on
the first :data:`HEAD_PAGES` pages (which also serves small documents whole) and the rest
is split evenly over the workers.
"""

from __future__ import annotations

import mmap
import re
from dataclasses import replace
from pathlib import Path

from ._models import Document, ExtractWarning

HEAD_PAGES = 16
"""Pages extracted by the first call, which learns the page count."""

MIN_RANGE_PAGES = 48
"""Fewer pages than this per range are not worth another parse of the file."""


RANGE_BASE_MB = 96
"""Memory an instance on a page range needs besides the file: the plugin's own working
set, one page's text and structures, and a decoded stream or two."""

RANGE_FILE_FACTOR = 3
"""... plus this many times the file's size: the input, lopdf's parse of it (stream data
it keeps, object tables) and the output."""


def range_memory_mb(size: int) -> int:
    """What one instance extracting a page range of a ``size``-byte file needs, in MiB."""
    return RANGE_BASE_MB + -(-RANGE_FILE_FACTOR * size // (1 << 20))


def range_workers(workers: int, memory_mb: int, size: int) -> int:
    """How many instances may extract ranges of one ``size``-byte document at once: at
    most ``workers``, and no more than ``memory_mb`` can give each what it needs
    (:func:`range_memory_mb`); 1 means one call for the whole document."""
    return max(1, min(workers, memory_mb // range_memory_mb(size)))


def memory_share(memory_mb: int, parts: int) -> int:
    """Each of ``parts`` concurrent instances' share of the document's ``memory_mb``."""
    return max(1, memory_mb // max(1, parts))


PAGE_RANGE_WARNING = "page-range"
"""Plugins warn with this code when a range runs past the last page: an open-ended range
always does, so it is not the user's to see."""

# A page object's dictionary entry; `/Type /Pages` (tree nodes) is not one. Page objects
# inside compressed object streams are not visible, and then the count is 0.
_PAGE_OBJECT = re.compile(rb"/Type\s*/Page(?![A-Za-z])")


def estimate_page_count(path: str | Path, fmt: str, *, limit: int) -> int:
    """Page objects seen in a PDF's bytes, at most ``limit``; 0 when unknown.

    A hint for balancing ranges, never trusted: incremental updates count a page twice,
    object streams hide pages, a hostile file can say anything. Only the plugin's own
    parse decides which pages exist.
    """
    if fmt != "pdf":
        return 0
    with open(path, "rb") as f:
        try:
            view = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        except ValueError:  # an empty file cannot be mapped
            return 0
        with view:
            count = 0
            for _ in _PAGE_OBJECT.finditer(view):
                count += 1
                if count >= limit:
                    break
            return count


def open_ranges(estimate: int, parts: int, max_pages: int) -> list[tuple[int, int]]:
    """Ranges over pages ``1..estimate`` as :func:`split_ranges` makes them, the last one
    running on to ``max_pages`` so that pages past a low estimate are still extracted;
    empty when the estimate is too small to split."""
    ranges = split_ranges(1, estimate, parts)
    if len(ranges) < 2:
        return []
    first, last = ranges[-1]
    ranges[-1] = (first, max(last, max_pages))
    return ranges


def split_ranges(first: int, last: int, parts: int) -> list[tuple[int, int]]:
    """``first..last`` (inclusive) in at most ``parts`` contiguous ranges of near-equal
    size, none under :data:`MIN_RANGE_PAGES` pages unless it is the only one."""
    count = last - first + 1
    if count <= 0:
        return []
    parts = max(1, min(parts, count // MIN_RANGE_PAGES))
    size, extra = divmod(count, parts)
    ranges = []
    start = first
    for i in range(parts):
        end = start + size + (1 if i < extra else 0) - 1
        ranges.append((start, end))
        start = end + 1
    return ranges


def merge_documents(parts: list[Document], *, open_ended: bool = False) -> Document:
    """One document from the results of consecutive page ranges of the same file.

    Document-level fields (metadata, outline, pagination) come from the first part, the
    one that starts at page 1 (a PDF range after page 1 carries no outline, and loads only
    the objects its pages reach); pages are concatenated; warnings and headings are merged
    without repeating the document-level ones each call reported again. ``open_ended``:
    the ranges came from :func:`open_ranges`, whose range-past-the-end warnings are
    dropped.
    """
    head = parts[0]
    pages = [page for part in parts for page in part.pages]
    seen: set[tuple[str, str, int | None]] = set()
    warnings: list[ExtractWarning] = []
    for part in parts:
        for w in part.warnings:
            key = (w.code, w.message, w.page)
            if open_ended and w.code == PAGE_RANGE_WARNING:
                continue
            if key not in seen:
                seen.add(key)
                warnings.append(w)
    headings = []
    seen_headings: set[tuple[str, int, int, int | None]] = set()
    for part in parts:
        for h in part.headings:
            where = (h.title, h.level, h.page, h.offset)
            if where not in seen_headings:
                seen_headings.add(where)
                headings.append(h)
    return replace(head, pages=pages, warnings=warnings, headings=headings)


__all__ = [
    "HEAD_PAGES",
    "MIN_RANGE_PAGES",
    "PAGE_RANGE_WARNING",
    "estimate_page_count",
    "memory_share",
    "merge_documents",
    "open_ranges",
    "range_memory_mb",
    "range_workers",
    "split_ranges",
]
