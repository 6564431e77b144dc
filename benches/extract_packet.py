#!/usr/bin/env python3
"""Time ``conductor extract`` on a large agenda packet against PyMuPDF and pdftotext.

The packet is built from the civic corpus by ``scripts/make_packet.py`` (600 pages by
default; cached under build/packets/).

Whole process: each tool runs as its own process, from start to exit, and writes every
page's text to a pipe that is read and thrown away:

- conductor: ``.venv/bin/conductor extract PACKET --json``
- pymupdf:   ``python -c`` a script that opens the packet with PyMuPDF and prints the
  same kind of JSON (one object with the pages' text)
- pdftotext: ``pdftotext PACKET -`` (poppler, C++)

Runs are interleaved (conductor, pymupdf, pdftotext, conductor, ...) so that a busy
machine hurts all of them alike. Reports the median wall time and the peak RSS
(``ru_maxrss`` of the finished process, from ``os.wait4``) of each tool.

In process: ``conductor.extract(path)`` against PyMuPDF in this Python process, median
of the same number of runs after one warm-up each, and the word-level F1 of both against
pdftotext.

Usage: ``.venv/bin/python benches/extract_packet.py [--pages 600] [--runs 3]``
Results also go to benches/results/extract_packet-<pages>p-<time>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from _metrics import join_pages, pdftotext_pages, word_f1  # noqa: E402

RESULTS = ROOT / "benches" / "results"

PYMUPDF_SCRIPT = """\
import json, sys
import pymupdf
doc = pymupdf.open(sys.argv[1])
pages = [{"number": i + 1, "text": page.get_text()} for i, page in enumerate(doc)]
json.dump({"page_count": doc.page_count, "pages": pages}, sys.stdout)
"""


@dataclass
class Runs:
    tool: str
    command: list[str]
    wall_s: list[float] = field(default_factory=list)
    max_rss_mb: list[float] = field(default_factory=list)
    out_bytes: list[int] = field(default_factory=list)

    @property
    def median_s(self) -> float:
        return statistics.median(self.wall_s)

    @property
    def peak_rss_mb(self) -> float:
        return max(self.max_rss_mb)


def run_once(cmd: list[str]) -> tuple[float, float, int]:
    """Wall seconds, peak RSS in MB and bytes written to stdout, for one run of ``cmd``."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err)
        assert proc.stdout is not None
        out = 0
        while chunk := proc.stdout.read(1 << 20):
            out += len(chunk)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = code = os.waitstatus_to_exitcode(status)
        if code != 0:
            err.seek(0)
            tail = err.read().decode(errors="replace")[-2000:]
            sys.exit(f"{Path(cmd[0]).name} failed (exit {code}): {tail}")
    return wall, usage.ru_maxrss / 1024, out  # ru_maxrss is in KiB on Linux


def whole_process(packet: Path, runs: int) -> list[Runs]:
    conductor = ROOT / ".venv" / "bin" / "conductor"
    tools = [
        Runs("conductor", [str(conductor), "extract", str(packet), "--json"]),
        Runs("pymupdf", [sys.executable, "-c", PYMUPDF_SCRIPT, str(packet)]),
        Runs("pdftotext", ["pdftotext", str(packet), "-"]),
    ]
    for i in range(runs):
        for t in tools:
            wall, rss, out = run_once(t.command)
            t.wall_s.append(wall)
            t.max_rss_mb.append(rss)
            t.out_bytes.append(out)
            print(f"  run {i + 1}/{runs} {t.tool:<10} {wall:7.2f} s {rss:7.0f} MB", flush=True)
    return tools


def timed(fn: Callable[[], object], runs: int) -> tuple[float, float, object]:
    """First-call seconds, median seconds of ``runs`` further calls, and the last result."""
    start = time.perf_counter()
    result = fn()
    first = time.perf_counter() - start
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return first, statistics.median(times), result


def in_process(packet: Path, runs: int) -> dict[str, object]:
    import pymupdf

    import conductor

    def with_conductor() -> list[str]:
        return [p.text for p in conductor.extract(packet).pages]

    def with_pymupdf() -> list[str]:
        with pymupdf.open(packet) as doc:  # type: ignore[no-untyped-call]
            return [page.get_text() for page in doc]

    reference = join_pages(pdftotext_pages(packet))
    out: dict[str, object] = {}
    for name, fn in (("conductor", with_conductor), ("pymupdf", with_pymupdf)):
        first, median, pages = timed(fn, runs)
        assert isinstance(pages, list)
        f1 = word_f1(join_pages(pages), reference)
        out[name] = {"first_s": first, "median_s": median, "pages": len(pages), "word_f1": f1}
        print(f"  {name:<10} first {first:7.2f} s  median {median:7.2f} s  F1 {f1:.4f}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=600, help="packet size (600)")
    parser.add_argument("--runs", type=int, default=3, help="runs per tool (3)")
    parser.add_argument("--skip-in-process", action="store_true")
    args = parser.parse_args()

    made = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "make_packet.py"), "--pages", str(args.pages)],
        capture_output=True,
        text=True,
        check=True,
    )
    packet = Path(made.stdout.strip())
    size_mb = packet.stat().st_size / 1e6
    print(f"packet: {packet} ({args.pages} pages, {size_mb:.1f} MB), {args.runs} runs each")

    print("whole process (interleaved):")
    tools = whole_process(packet, args.runs)
    by_name = {t.tool: t for t in tools}
    print()
    print(f"{'tool':<10} {'median s':>9} {'pages/s':>8} {'peak RSS MB':>12} {'stdout MB':>10}")
    for t in tools:
        pps = args.pages / t.median_s
        out_mb = statistics.median(t.out_bytes) / 1e6
        print(f"{t.tool:<10} {t.median_s:9.2f} {pps:8.0f} {t.peak_rss_mb:12.0f} {out_mb:10.1f}")
    ratio = by_name["conductor"].median_s / by_name["pymupdf"].median_s
    rss_ratio = by_name["conductor"].peak_rss_mb / by_name["pymupdf"].peak_rss_mb
    print(f"conductor / pymupdf: time {ratio:.2f}x, peak RSS {rss_ratio:.2f}x")

    inproc: dict[str, object] = {}
    if not args.skip_in_process:
        print("\nin process (one warm-up call, then the median):")
        inproc = in_process(packet, args.runs)

    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    dest = RESULTS / f"extract_packet-{args.pages}p-{stamp}.json"
    record = {
        "packet": str(packet),
        "pages": args.pages,
        "size_mb": size_mb,
        "runs": args.runs,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "whole_process": [
            asdict(t) | {"median_s": t.median_s, "peak_rss_mb": t.peak_rss_mb} for t in tools
        ],
        "ratio_time_conductor_over_pymupdf": ratio,
        "ratio_rss_conductor_over_pymupdf": rss_ratio,
        "in_process": inproc,
    }
    dest.write_text(json.dumps(record, indent=2))
    print(f"\nwrote {dest.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
