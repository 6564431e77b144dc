#!/usr/bin/env python3
"""The whole benchmark suite in one command: every section, a table each, and the targets.

Sections (``--only`` takes these names), each built by the bench module named:

extract  the 600-page packet: conductor (CLI, whole process; library, in process) vs
         PyMuPDF, pypdfium2, pdftotext, pypdf, kreuzberg        (extract_packet.py)
corpus   every PDF of the corpus, one process per contender      (extract_packet.py)
memory   peak RSS and time on the 600- and 2,000-page packets    (extract_packet.py)
chunk    the packet's text, conductor.chunk vs semantic-text-splitter (chunk_packet.py)
handoff  1/10/50 MB documents into the sandbox                  (handoff.py)
cold     a fresh process on a one-page PDF vs a PyMuPDF script   (extract_packet.py)
batch    50 documents from a loopback server vs the plain pipeline (batch_pipeline.py)
percore  in process, one document at a time: conductor (1 and all page workers) vs
         PyMuPDF and pypdfium2 on every civic/ and typeset/ PDF   (percore.py)
service  100 one-document jobs through `conductor serve`, embedded (SQLite) and queue
         mode (PostgreSQL, 2 workers): jobs/s, p50/p95 latency, vs the same
         documents as one in-process batch                         (service_jobs.py)
workers  100 documents: `process` on SQLite and on PostgreSQL, the job queue with 1
         and 2 `conductor worker` processes (docs/s)               (workers_queue.py)
fanout   the 1,151-page book through 2 workers, whole vs fanned out into page-range
         jobs (--fanout-pages 200), and `process`                   (fanout_queue.py)
ocr      4 pages of a civic agenda scanned (image-only PDF) read back by OCR at 200 and
         300 dpi, pages/s and word F1, vs pdftoppm + tesseract by hand (ocr_scans.py)

How each contender is measured (interleaved runs, peak RSS from the OS, warm-up of the
in-process workers) is harness.py's doc; docs/performance.md explains the sections.

Usage: ``.venv/bin/python benches/suite.py [--runs N] [--quick] [--only SECTION ...]
[--timeout S] [--out FILE]``. Writes benches/results/suite-<UTC time>.json (or ``--out``)
with every run, the machine and the targets, and a Markdown summary beside it (.md).
"""

from __future__ import annotations

import argparse
import contextlib
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import batch_pipeline
import chunk_packet
import extract_packet
import fanout_queue
import handoff
import harness
import ocr_scans
import percore
import service_jobs
import workers_queue
from harness import Section

DEFAULT_RUNS, QUICK_RUNS = 5, 2
DEFAULT_TIMEOUT, QUICK_TIMEOUT = 300.0, 120.0
BATCH_DOCS = 50
SERVICE_JOBS = 100
WORKER_DOCS = 100
PACKET_PAGES, BIG_PACKET_PAGES = 600, 2000


@contextlib.contextmanager
def _just(section: Callable[[], Section]) -> Iterator[Section]:
    yield section()


@contextlib.contextmanager
def _batch(tmp: Path) -> Iterator[Section]:
    with batch_pipeline.serve(tmp, BATCH_DOCS) as urls:
        yield batch_pipeline.section(urls, tmp)


@contextlib.contextmanager
def _service(tmp: Path) -> Iterator[Section]:
    with batch_pipeline.serve(tmp, SERVICE_JOBS, service_jobs.text_layer_pdfs()) as urls:
        yield service_jobs.section(urls, tmp)


@contextlib.contextmanager
def _workers(tmp: Path) -> Iterator[Section]:
    with batch_pipeline.serve(tmp, WORKER_DOCS) as urls:
        yield workers_queue.section(urls, tmp)


@contextlib.contextmanager
def _fanout(tmp: Path) -> Iterator[Section]:
    with fanout_queue.serve_book(tmp) as url:
        yield fanout_queue.section(url, tmp)


SECTIONS: dict[str, Callable[[Path], contextlib.AbstractContextManager[Section]]] = {
    "extract": lambda tmp: _just(lambda: extract_packet.packet_section(PACKET_PAGES)),
    "corpus": lambda tmp: _just(extract_packet.corpus_section),
    "memory": lambda tmp: _just(
        lambda: extract_packet.memory_section((PACKET_PAGES, BIG_PACKET_PAGES))
    ),
    "chunk": lambda tmp: _just(lambda: chunk_packet.section(tmp, PACKET_PAGES)),
    "handoff": lambda tmp: _just(lambda: handoff.section(tmp, [1, 10, 50])),
    "cold": lambda tmp: _just(lambda: extract_packet.cold_start_section(tmp)),
    "batch": _batch,
    "percore": lambda tmp: _just(percore.section),
    "service": _service,
    "workers": _workers,
    "fanout": _fanout,
    "ocr": lambda tmp: _just(lambda: ocr_scans.section(tmp)),
}


# --- targets (issues 7 and 12): benchmark figures, not assertions -----------------------------


def _row(record: dict[str, Any], section: str, table: str, name: str) -> dict[str, Any] | None:
    """The row ``name`` of the first table of ``section`` whose title starts with ``table``."""
    for t in record.get(section, {}).get("tables", []):
        if t["title"].startswith(table):
            return next((r for r in t["rows"] if r["name"] == name), None)
    return None


def _value(row: dict[str, Any] | None, key: str) -> float | None:
    if row is None:
        return None
    value = row["info"].get(key) if key in row["info"] else row.get(key)
    return value if isinstance(value, int | float) else None


def targets(sections: dict[str, Any]) -> list[dict[str, Any]]:
    cli = extract_packet.NAMES["conductor-cli"]
    lib = extract_packet.NAMES["conductor"]
    p, big = PACKET_PAGES, BIG_PACKET_PAGES
    whole = _row(sections, "extract", f"{p}-page packet, whole", cli)
    rss_600 = _row(sections, "memory", f"{p}-page packet", cli) or whole
    checks: list[tuple[str, float | None, str, float]] = [
        (f"{p}-page packet, whole process: {cli} / PyMuPDF", _value(whole, "ratio"), "<=", 1.0),
        (
            f"{p}-page packet, whole process: {cli} / PyMuPDF (then)",
            _value(whole, "ratio"),
            "<=",
            0.33,
        ),
        (
            f"{p}-page packet, in process: {lib} / PyMuPDF",
            _value(_row(sections, "extract", f"{p}-page packet, in process", lib), "ratio"),
            "<=",
            0.33,
        ),
        (f"peak RSS MB, {p}-page packet ({cli})", _value(rss_600, "peak_rss_mb"), "<=", 300),
        (
            f"peak RSS MB, {big}-page packet ({cli})",
            _value(_row(sections, "memory", f"{big}-page packet", cli), "peak_rss_mb"),
            "<=",
            500,
        ),
        (
            "50 MB handoff, s over a tiny document (read only)",
            _value(_row(sections, "handoff", handoff.MODES["read"], "50 MB"), "extra_s"),
            "<=",
            handoff.LIMIT_S,
        ),
        (
            f"cold start: {cli} (warm cache) / PyMuPDF",
            _value(_row(sections, "cold", "cold start", f"{cli} (warm cache)"), "ratio"),
            "<=",
            1.5,
        ),
        (
            "chunking: conductor.chunk / semantic-text-splitter",
            _value(_row(sections, "chunk", "chunking", chunk_packet.NAMES["conductor"]), "ratio"),
            "<",
            1.0,
        ),
    ]
    # Issue 12: per-core speed, in process, summed over civic/ and typeset/.
    per_core = _row(sections, "percore", percore.TOTAL, percore.PER_CORE)
    all_cores = _row(sections, "percore", percore.TOTAL, percore.ALL_CORES)
    checks += [
        (f"per core, summed: {percore.PER_CORE} / PyMuPDF", _value(per_core, "ratio"), "<=", 1.0),
        (
            f"per core, worst file (PyMuPDF >= {percore.FLAG_MIN_S * 1000:g} ms) / PyMuPDF",
            _value(per_core, "worst_ratio"),
            "<=",
            percore.FLAG_RATIO,
        ),
        (
            f"all cores, summed: {percore.ALL_CORES} / PyMuPDF",
            _value(all_cores, "ratio"),
            "<=",
            0.6,
        ),
    ]
    out = []
    for what, value, op, limit in checks:
        met = None if value is None else (value <= limit if op == "<=" else value < limit)
        out.append({"target": what, "value": value, "limit": f"{op} {limit:g}", "met": met})
    return out


def print_targets(rows: list[dict[str, Any]]) -> None:
    print("\n== targets (issues 7 and 12; figures, not assertions)")
    for t in rows:
        value = "-" if t["value"] is None else f"{t['value']:.3g}"
        verdict = {True: "met", False: "NOT MET", None: "not measured"}[t["met"]]
        print(f"   {t['target']:<70} {value:>9}  {t['limit']:<7} {verdict}")


def markdown(record: dict[str, Any]) -> str:
    """The results as Markdown tables (what docs/performance.md shows)."""
    m = record["machine"]
    lines = [
        f"Taken {record['started_utc']} on {m['cpu']}, {m['cores']} cores, {m['ram_gib']} GiB,"
        f" {m['os']}, {m['python']}; conductor {m['conductor_commit']}; {record['runs']} runs"
        f" per contender (--quick: {record['quick']}).",
        "",
    ]
    for name, section in record["sections"].items():
        if "error" in section:
            lines += [f"**{name}**: not measured: {section['error']}", ""]
            continue
        load = " -> ".join(section["load_1min"])
        lines += [f"*{name}*: {section['elapsed_s']:.0f} s, 1-minute load {load}", ""]
        if name == "percore":  # 100 rows: one matrix instead of a table per file
            lines += percore.markdown(section)
            continue
        for table in section["tables"]:
            lines += [
                f"**{table['title']}**"
                + (f" (ratio to {table['anchor']})" if table["anchor"] else ""),
                "",
                "| contender | median s | min s | max s | peak RSS MB | ratio | note |",
                "|---|---:|---:|---:|---:|---:|---|",
            ]
            for r in table["rows"]:
                cells = [r["median_s"], r["min_s"], r["max_s"]]
                times = [("-" if x is None else f"{x:.3f}") for x in cells]
                rss = "-" if r["peak_rss_mb"] is None else f"{r['peak_rss_mb']:.0f}"
                ratio = "-" if r["ratio"] is None else f"{r['ratio']:.2f}"
                note = r["error"] or ", ".join(
                    f"{k}={v}" for k, v in r["info"].items() if k not in ("setup_s", "warmup_s")
                )
                lines.append(f"| {r['name']} | {' | '.join(times)} | {rss} | {ratio} | {note} |")
            lines.append("")
    lines += ["**targets**", "", "| target | value | limit | met |", "|---|---:|---|---|"]
    for t in record["targets"]:
        value = "-" if t["value"] is None else f"{t['value']:.3g}"
        met = {True: "yes", False: "no", None: "not measured"}[t["met"]]
        lines.append(f"| {t['target']} | {value} | {t['limit']} | {met} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--runs", type=int, help=f"runs per contender ({DEFAULT_RUNS}; --quick: {QUICK_RUNS})"
    )
    parser.add_argument("--quick", action="store_true", help="fewer runs, shorter timeout")
    parser.add_argument("--only", nargs="+", choices=list(SECTIONS), metavar="SECTION",
                        help="run only these sections: " + ", ".join(SECTIONS))  # fmt: skip
    parser.add_argument(
        "--timeout",
        type=float,
        help=f"seconds a run may take ({DEFAULT_TIMEOUT:g}; --quick: {QUICK_TIMEOUT:g})",
    )
    parser.add_argument("--out", type=Path, help="results file (benches/results/suite-<time>.json)")
    args = parser.parse_args()
    runs = args.runs or (QUICK_RUNS if args.quick else DEFAULT_RUNS)
    timeout = args.timeout or (QUICK_TIMEOUT if args.quick else DEFAULT_TIMEOUT)
    if runs < 1:
        parser.error("--runs must be positive")

    started = time.perf_counter()
    record: dict[str, Any] = {
        "started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "runs": runs,
        "quick": args.quick,
        "timeout_s": timeout,
        "machine": harness.machine(),
        "sections": {},
    }
    m = record["machine"]
    print(f"machine: {m['cpu']}, {m['cores']} cores, {m['ram_gib']} GiB, {m['os']}, {m['python']}")
    print(f"{runs} runs per contender, interleaved; {timeout:g} s per run at most")
    for name in args.only or list(SECTIONS):
        try:
            with harness.scratch() as tmp, SECTIONS[name](tmp) as section:
                record["sections"][name] = harness.run_section(section, runs, timeout)
        except (Exception, SystemExit) as e:  # one section failing does not end the suite
            print(f"\n== {name}: not measured: {e}")
            record["sections"][name] = {"error": str(e) or type(e).__name__}
    record["targets"] = targets(record["sections"])
    print_targets(record["targets"])
    record["elapsed_s"] = round(time.perf_counter() - started, 1)

    dest = harness.write_results("suite", record, args.out)
    dest.with_suffix(".md").write_text(markdown(record))
    print(f"\n{record['elapsed_s']:.0f} s; wrote {dest} and {dest.with_suffix('.md').name}")


if __name__ == "__main__":
    main()
