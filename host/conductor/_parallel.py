"""Page-parallel extraction: one large document as several sandboxed calls, each on a page
range, in parallel across cores.

Every call is a fresh instance that parses the whole file and renders only its range, so
splitting costs one extra parse per range; it pays when there are many pages. The page
count is learnt from a first call on the first :data:`HEAD_PAGES` pages (which also serves
small documents whole), then the rest is split evenly over the workers.
"""

from __future__ import annotations

from dataclasses import replace

from ._models import Document, ExtractWarning

HEAD_PAGES = 16
"""Pages extracted by the first call, which learns the page count."""

MIN_RANGE_PAGES = 48
"""Fewer pages than this per range are not worth another parse of the file."""


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


def merge_documents(parts: list[Document]) -> Document:
    """One document from the results of consecutive page ranges of the same file.

    Document-level fields (metadata, outline, pagination) come from the first part, which
    every call computes whole; pages are concatenated; warnings and headings are merged
    without repeating the document-level ones each call reported again.
    """
    head = parts[0]
    pages = [page for part in parts for page in part.pages]
    seen: set[tuple[str, str, int | None]] = set()
    warnings: list[ExtractWarning] = []
    for part in parts:
        for w in part.warnings:
            key = (w.code, w.message, w.page)
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


__all__ = ["HEAD_PAGES", "MIN_RANGE_PAGES", "merge_documents", "split_ranges"]
