#!/usr/bin/env python3
"""A batch of 50 corpus PDFs from a loopback server: conductor's pipeline vs a plain one.

- conductor: ``Conductor(database=..., fetch=...).process_documents(items)``: concurrent
  downloads, sandboxed extraction and chunking in a thread pool, persisted to SQLite.
- plain: what engagic runs today, in one process: httpx (5 downloads at once), then
  PyMuPDF text extraction and semantic-text-splitter chunking (512 tokens), one by one.

Each of the 50 documents is a civic corpus PDF with a unique trailing comment, so no two
share bytes (conductor extracts identical bytes once; that would flatter it). Both sides
get the same server, the same concurrency (5) and no rate limit. Runs are interleaved;
every conductor run starts from an empty database. Prints medians and the throughput
ratio, and writes benches/results/batch_pipeline-<time>.json.

Usage: ``.venv/bin/python benches/batch_pipeline.py [--docs 50] [--runs 3]``
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import statistics
import tempfile
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("CONDUCTOR_CORPUS") or ROOT.parent / "shared" / "corpus")
CONCURRENCY = 5
MAX_TOKENS = 512


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def make_documents(out: Path, count: int) -> list[str]:
    """``count`` unique PDFs in ``out``; returns their file names."""
    sources = sorted((CORPUS / "civic").glob("*.pdf"))
    if not sources:
        raise SystemExit(f"no civic PDFs under {CORPUS}: set CONDUCTOR_CORPUS")
    names = []
    for i in range(count):
        src = sources[i % len(sources)]
        name = f"{i:03d}-{src.name}"
        (out / name).write_bytes(src.read_bytes() + b"\n%%bench copy %d\n" % i)
        names.append(name)
    return names


def run_conductor(urls: list[str], db_dir: Path) -> tuple[float, int, int]:
    from conductor import Conductor
    from conductor._fetch import FetchConfig

    db = db_dir / f"bench-{time.monotonic_ns()}.sqlite"
    fetch = FetchConfig(concurrency=CONCURRENCY, rate_per_domain=10_000.0)
    conductor = Conductor(database=db, fetch=fetch)
    t0 = time.perf_counter()
    results = conductor.process_documents([{"url": u, "type": "pdf"} for u in urls])
    elapsed = time.perf_counter() - t0
    ok = sum(r.ok for r in results)
    chunks = sum(len(r.chunks or []) for r in results)
    return elapsed, ok, chunks


def run_plain(urls: list[str]) -> tuple[float, int, int]:
    import httpx
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

    t0 = time.perf_counter()
    bodies = asyncio.run(download_all())
    splitter = TextSplitter.from_tiktoken_model("gpt-3.5-turbo", MAX_TOKENS)
    ok = chunks = 0
    for body in bodies:
        doc = pymupdf.open(stream=body, filetype="pdf")
        text = "\n".join(page.get_text() for page in doc)
        chunks += len(splitter.chunks(text))
        ok += 1
    return time.perf_counter() - t0, ok, chunks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=50)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="conductor-bench-") as tmp:
        served = Path(tmp) / "served"
        served.mkdir()
        names = make_documents(served, args.docs)
        handler = functools.partial(_Quiet, directory=str(served))
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_address[1]}"
        urls = [f"{base}/{n}" for n in names]

        times: dict[str, list[float]] = {"conductor": [], "plain": []}
        counts: dict[str, tuple[int, int]] = {}
        for run in range(1, args.runs + 1):
            for tool in ("conductor", "plain"):
                if tool == "conductor":
                    elapsed, ok, chunks = run_conductor(urls, Path(tmp))
                else:
                    elapsed, ok, chunks = run_plain(urls)
                times[tool].append(elapsed)
                counts[tool] = (ok, chunks)
                print(
                    f"  run {run}/{args.runs} {tool:10s} {elapsed:6.2f} s  {ok} ok, {chunks} chunks"
                )
        server.shutdown()

    med = {tool: statistics.median(ts) for tool, ts in times.items()}
    print(f"\n{'pipeline':10s} {'median s':>9s} {'docs/s':>7s}")
    for tool, m in med.items():
        print(f"{tool:10s} {m:9.2f} {args.docs / m:7.1f}")
    ratio = med["plain"] / med["conductor"]
    print(f"throughput conductor / plain: {ratio:.2f}x")

    out = ROOT / "benches" / "results"
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"batch_pipeline-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(
        json.dumps(
            {
                "docs": args.docs,
                "runs": args.runs,
                "cpus": os.cpu_count(),
                "times_s": times,
                "median_s": med,
                "counts": counts,
                "throughput_ratio_conductor_over_plain": ratio,
            },
            indent=1,
        )
    )
    print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
