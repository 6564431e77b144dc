"""Large PDFs fanned out across the queue's workers: the steps a worker runs.

A job's worker downloads the document itself (through the cluster's rate limit and
connection cap) and looks at the bytes: a PDF that shows more than ``fanout_pages``
pages (:func:`conductor._parallel.estimate_page_count`) is not extracted here. Its bytes
and its page ranges go into PostgreSQL (:mod:`conductor._queue._fanout`) and one range
job per range is queued, for any worker on any machine. The worker that lands the last
range merges the ranges (:func:`conductor._parallel.merge_documents`: the same document
a one-piece extraction gives), chunks and stores it once. Anything else is extracted,
chunked and stored by this worker, as ``conductor process`` would.

The bytes are stored, not downloaded again by each range's worker: a second request per
range is what the per-host politeness exists to avoid, and a portal may serve other bytes
by then (the ranges of one document must come from one file).
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ._detect import HEAD_BYTES
from ._errors import ConductorError
from ._fetch import Fetched, Fetcher
from ._parallel import estimate_page_count, merge_documents, open_ranges
from ._pipeline import Conductor
from ._queue._fanout import (
    Fanout,
    create_fanout,
    finish_fanout,
    land_range,
    load_fanout,
    pending_ranges,
    range_documents,
)
from ._results import Result
from ._store import PostgresStore
from ._worker_config import FANOUT_PAGES

QueueRange = Callable[[int, int, int], Awaitable[None]]
"""``(parent_job_id, first_page, last_page)``: queues a range job (idempotently)."""


@dataclass(frozen=True)
class Fanned:
    """A job whose document was fanned out into ``ranges`` page ranges."""

    ranges: list[tuple[int, int]]


class RangeFailed(Exception):
    """A page range of a fanned-out document failed: ``error`` names the range."""

    def __init__(self, parent: int, source: str, error: ConductorError) -> None:
        super().__init__(f"{error.kind}: {error.message}")
        self.parent = parent
        self.source = source
        self.error = error


def pdf_page_estimate(path: Path, max_pages: int) -> int:
    """The pages a PDF's bytes show (0 for anything else, or when they show none)."""
    with open(path, "rb") as f:
        head = f.read(HEAD_BYTES)
    if b"%PDF-" not in head:
        return 0
    return estimate_page_count(path, "pdf", limit=max_pages)


def plan_ranges(estimate: int, fanout_pages: int, max_pages: int) -> list[tuple[int, int]]:
    """The page ranges of a document showing ``estimate`` pages, about ``fanout_pages``
    each, the last one open-ended (pages past a low estimate are still extracted); empty
    when it is not over the threshold (or ``fanout_pages`` is 0: fan-out off)."""
    if fanout_pages < 1 or estimate <= fanout_pages:
        return []
    return open_ranges(estimate, -(-estimate // fanout_pages), max_pages)


class Fanouts:
    """A worker's fan-out steps over its :class:`Conductor` and PostgreSQL store.

    :param fanout_pages: the page threshold (:data:`FANOUT_PAGES`; 0 turns fan-out off:
        every document is extracted whole by the worker that took its job).
    :param queue_range: queues one range job.
    """

    def __init__(
        self,
        conductor: Conductor,
        store: PostgresStore,
        fanout_pages: int,
        queue_range: QueueRange,
    ) -> None:
        self.conductor = conductor
        self.store = store
        self.fanout_pages = fanout_pages
        self.queue_range = queue_range

    async def process(self, job_id: int, source: str) -> Result | Fanned:
        """Job ``job_id``'s document: its result, or :class:`Fanned` when its ranges
        were queued (the job's first attempt may have fanned out already: then its
        ranges that have not landed are queued again)."""
        known = await asyncio.to_thread(load_fanout, self.store, job_id, body=False)
        if known is not None:
            if known.state != "running":
                return Fanned([])
            pending = await asyncio.to_thread(pending_ranges, self.store, job_id)
            for first, last in pending:
                await self.queue_range(job_id, first, last)
            return Fanned(pending)
        conductor = self.conductor
        html = await asyncio.to_thread(conductor._handles, "html")
        try:
            start = time.monotonic()  # the download stage's time, for the metrics
            async with Fetcher(conductor.fetch, gate=conductor.download_gate) as fetcher:
                fetched = await fetcher.fetch(source, html_documents=html)
        except ConductorError as e:
            timings = {"download_s": time.monotonic() - start}
            return await conductor._afailed_download(source, e, timings)
        download_s = time.monotonic() - start
        try:
            assert fetched.path is not None
            assert fetched.sha256 is not None
            max_pages = conductor.limits.max_pages
            estimate = await asyncio.to_thread(pdf_page_estimate, fetched.path, max_pages)
            ranges = plan_ranges(estimate, self.fanout_pages, max_pages)
            if not ranges:
                result = await conductor._aprocess_fetched(fetched)
                result.timings.setdefault("download_s", download_s)
                return result
            body = await asyncio.to_thread(fetched.path.read_bytes)
            await asyncio.to_thread(
                create_fanout,
                self.store,
                job_id,
                source,
                fetched.sha256,
                body,
                ranges,
                content_type=fetched.content_type,
                etag=fetched.etag,
                last_modified=fetched.last_modified,
            )
            for first, last in ranges:
                await self.queue_range(job_id, first, last)
            return Fanned(ranges)
        finally:
            fetched.discard()

    async def run_range(self, parent: int, first: int, last: int) -> Result | None:
        """Extracts pages ``first..last`` of ``parent``'s document and lands them; the
        merged document's result when this was the last range, else ``None`` (also when
        the fanout ended already: merged, or failed by another range).

        :raises RangeFailed: the range's extraction failed.
        """
        fanout = await asyncio.to_thread(load_fanout, self.store, parent)
        if fanout is None or fanout.state != "running" or fanout.body is None:
            return None
        extractor = self.conductor.extractor
        fd, name = tempfile.mkstemp(prefix="conductor-range-", suffix=".pdf")  # mode 0600
        path = Path(name)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(fanout.body)
            try:
                document = await asyncio.to_thread(
                    extractor.extract,
                    path,
                    pages=(first, last),
                    name=fanout.source,
                    media_type=fanout.content_type,
                )
            except ConductorError as e:
                named = type(e)(
                    f"pages {first}-{last}: {e.message}",
                    document=e.document,
                    stage=e.stage,
                    hint=e.hint,
                )
                raise RangeFailed(parent, fanout.source, named) from e
        finally:
            path.unlink(missing_ok=True)
        if not await asyncio.to_thread(land_range, self.store, parent, first, document):
            return None
        return await self.merge(fanout)

    async def merge(self, fanout: Fanout) -> Result:
        """Merges the landed ranges, chunks and stores the document once, and ends the
        fanout (``merged``, or ``failed`` when chunking or storing failed)."""
        parts = await asyncio.to_thread(range_documents, self.store, fanout.job_id)
        document = merge_documents(parts, open_ended=True)
        fetched = Fetched(
            url=fanout.source,
            final_url=fanout.source,
            path=None,
            size=len(fanout.body or b""),
            sha256=fanout.sha256,
            content_type=fanout.content_type,
            etag=fanout.etag,
            last_modified=fanout.last_modified,
            status=200,
            attempts=0,
            not_modified=False,
            elapsed_s=0.0,
        )
        result = await self.conductor._aprocess_fetched(fetched, document)
        state: Literal["merged", "failed"] = "merged" if result.ok else "failed"
        await asyncio.to_thread(finish_fanout, self.store, fanout.job_id, state)
        return result

    async def fail(self, parent: int) -> bool:
        """Ends ``parent``'s fanout as failed; ``False`` when it had ended already."""
        return await asyncio.to_thread(finish_fanout, self.store, parent, "failed")


__all__ = [
    "FANOUT_PAGES",
    "Fanned",
    "Fanouts",
    "QueueRange",
    "RangeFailed",
    "pdf_page_estimate",
    "plan_ranges",
]
