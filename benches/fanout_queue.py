#!/usr/bin/env python3
"""One large PDF through the job queue, whole or fanned out into page-range jobs.

The corpus's largest PDF (typeset/cplusplus-annotations.pdf, 1,151 pages) from a loopback
server, as one ``conductor submit`` and two ``conductor worker --burst --concurrency 2``
processes, timed from the submit to the last worker's exit (a fresh database per run):

- whole: ``--fanout-pages 0``: one worker extracts it (with its page workers, on both
  cores of this machine), the other idles.
- fanned out: ``--fanout-pages 200``: six range jobs for both workers, merged, chunked
  and stored by the worker that lands the last one.
- ``process`` on SQLite, for scale.

On one machine both workers share its cores, as the one-piece extraction's page workers
do: the row says what fan-out costs (the bytes through PostgreSQL, a parse per range, the
merge), not what a second machine adds.

Usage: ``.venv/bin/python benches/fanout_queue.py [--runs 3]``
Results also go to benches/results/fanout_queue-<time>.json.
"""

from __future__ import annotations

import functools
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import harness
from harness import Contender, Section
from workers_queue import QueueRun

BOOK = Path("/work/shared/corpus/typeset/cplusplus-annotations.pdf")
TABLE = "one 1,151-page PDF from a loopback server, end to end"
ANCHOR = "queue, 2 workers, whole (--fanout-pages 0)"


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def serve_book(tmp: Path) -> Iterator[str]:
    """Serves the book on 127.0.0.1 while in the block; yields its URL."""
    served = tmp / "book"
    served.mkdir()
    shutil.copy(BOOK, served)
    handler = functools.partial(_Quiet, directory=str(served))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/{BOOK.name}"
    finally:
        server.shutdown()
        server.server_close()


def section(url: str, tmp: Path) -> Section:
    rows: list[Contender] = [
        QueueRun(
            name=ANCHOR,
            table=TABLE,
            urls=[url],
            tmp=tmp,
            postgres=True,
            workers=2,
            worker_flags=("--fanout-pages", "0"),
        ),
        QueueRun(
            name="queue, 2 workers, fanned out (--fanout-pages 200)",
            table=TABLE,
            urls=[url],
            tmp=tmp,
            postgres=True,
            workers=2,
            worker_flags=("--fanout-pages", "200"),
        ),
        QueueRun(name="process, SQLite", table=TABLE, urls=[url], tmp=tmp),
    ]
    return Section(
        name="fanout",
        title="fanout: one large PDF through the job queue, whole or in page-range jobs",
        contenders=rows,
        anchors={TABLE: ANCHOR},
        notes=["whole processes, fresh database per run, --ocr off; both workers on one machine"],
    )


def main() -> None:
    parser = harness.arguments(__doc__ or "", runs=3, timeout=600)
    args = parser.parse_args()
    with harness.scratch() as tmp, serve_book(tmp) as url:
        harness.measure_and_write("fanout_queue", section(url, tmp), args.runs, args.timeout)


if __name__ == "__main__":
    main()
