#!/usr/bin/env python3
"""A batch of 50 corpus PDFs from a loopback server: conductor's pipeline vs a plain one.

- conductor: ``Conductor(database=..., fetch=...).process_documents(items)``: concurrent
  downloads, sandboxed extraction and chunking in a thread pool, persisted to SQLite.
- plain: what engagic runs today, in one process: httpx (5 downloads at once), then
  PyMuPDF text extraction and semantic-text-splitter chunking (512 tokens), one by one.

Each of the 50 documents is a civic corpus PDF with a unique trailing comment, so no two
share bytes (conductor extracts identical bytes once; that would flatter it). Both sides
get the same server (a thread of the bench's own process), the same concurrency (5) and
no rate limit. Each pipeline runs in its own worker process (harness.py: one warm-up
batch, then interleaved timed batches, the median reported); every conductor batch
starts from an empty database.

Usage: ``.venv/bin/python benches/batch_pipeline.py [--docs 50] [--runs 3]``
Results also go to benches/results/batch_pipeline-<time>.json.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import sys
import threading
import time
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import harness
from _metrics import corpus_dir
from harness import Job, Section

CONCURRENCY = 5
MAX_TOKENS = 512
NAMES = {
    "conductor": "Conductor.process_documents",
    "plain": "httpx + PyMuPDF + text-splitter",
}


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def make_documents(out: Path, count: int, sources: list[Path] | None = None) -> list[str]:
    """``count`` unique PDFs in ``out`` made from ``sources`` (default: every civic
    corpus PDF); returns their file names."""
    sources = sources if sources is not None else sorted((corpus_dir() / "civic").glob("*.pdf"))
    if not sources:
        raise SystemExit(f"no civic PDFs under {corpus_dir()}: set CONDUCTOR_CORPUS")
    names = []
    for i in range(count):
        src = sources[i % len(sources)]
        name = f"{i:03d}-{src.name}"
        (out / name).write_bytes(src.read_bytes() + b"\n%%bench copy %d\n" % i)
        names.append(name)
    return names


@contextlib.contextmanager
def serve(tmp: Path, count: int, sources: list[Path] | None = None) -> Iterator[list[str]]:
    """Serves ``count`` unique PDFs (made from ``sources``, see :func:`make_documents`) on
    127.0.0.1 while in the block; yields their URLs."""
    served = tmp / "served"
    served.mkdir()
    names = make_documents(served, count, sources)
    handler = functools.partial(_Quiet, directory=str(served))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        yield [f"{base}/{n}" for n in names]
    finally:
        server.shutdown()
        server.server_close()


def run_conductor(urls: list[str], db_dir: Path) -> tuple[int, int]:
    """Documents processed and chunks made by ``Conductor.process_documents``."""
    from conductor import Conductor, FetchConfig

    db = db_dir / f"bench-{time.monotonic_ns()}.sqlite"
    fetch = FetchConfig(concurrency=CONCURRENCY, rate_per_domain=10_000.0)
    results = Conductor(database=db, fetch=fetch, ocr="off").process_documents(
        [{"url": u, "type": "pdf"} for u in urls]
    )
    return sum(r.ok for r in results), sum(len(r.chunks or []) for r in results)


def run_plain(urls: list[str]) -> tuple[int, int]:
    """Documents processed and chunks made by httpx + PyMuPDF + semantic-text-splitter."""
    import httpx

    # Without PyMuPDF 2.0's layout model, as extract_packet.py's PyMuPDF (see there).
    sys.modules.setdefault("pymupdf.layout", None)  # type: ignore[arg-type]
    import pymupdf
    from semantic_text_splitter import TextSplitter

    async def download_all() -> list[bytes]:
        sem = asyncio.Semaphore(CONCURRENCY)
        async with httpx.AsyncClient(timeout=60) as client:

            async def one(url: str) -> bytes:
                async with sem:
                    r = await client.get(url)
                    r.raise_for_status()
                    return r.content

            return await asyncio.gather(*(one(u) for u in urls))

    bodies = asyncio.run(download_all())
    splitter = TextSplitter.from_tiktoken_model("gpt-3.5-turbo", MAX_TOKENS)
    ok = chunks = 0
    for body in bodies:
        doc: Any = pymupdf.open(stream=body, filetype="pdf")  # type: ignore[no-untyped-call]
        text = "\n".join(page.get_text() for page in doc)
        chunks += len(splitter.chunks(text))
        ok += 1
    return ok, chunks


def batch_job(tool: str, urls: list[str], db_dir: str) -> Job:
    """Worker factory: one whole batch through ``tool``'s pipeline."""

    def call() -> tuple[int, int]:
        return run_conductor(urls, Path(db_dir)) if tool == "conductor" else run_plain(urls)

    def describe(result: object) -> dict[str, Any]:
        assert isinstance(result, tuple)
        return {"ok": result[0], "chunks": result[1]}

    return Job(call, describe)


def section(urls: list[str], db_dir: Path) -> Section:
    table = f"a batch of {len(urls)} PDFs from a loopback server, {CONCURRENCY} at once"
    kwargs = {"urls": urls, "db_dir": str(db_dir)}
    contenders = harness.workers(__file__, "batch_job", table, NAMES, kwargs)
    return Section(
        name="batch",
        title=f"batch pipeline: {len(urls)} documents, download + extract + chunk",
        contenders=contenders,
        anchors={table: NAMES["plain"]},
        notes=["each pipeline in its own worker, median after one warm-up batch"],
    )


def main() -> None:
    parser = harness.arguments(__doc__ or "", runs=3, timeout=300)
    parser.add_argument("--docs", type=int, default=50)
    args = parser.parse_args()
    with harness.scratch() as tmp, serve(tmp, args.docs) as urls:
        harness.measure_and_write(
            "batch_pipeline", section(urls, tmp), args.runs, args.timeout, docs=args.docs
        )


if __name__ == "__main__":
    main()
