#!/usr/bin/env python3
"""Per-core speed (issue 12): in-process time per document, conductor vs PyMuPDF.

Every PDF of the corpus's ``civic/`` and ``typeset/``, one document per timed call, in
process (no process start, no component compilation: both are warmed up):

- conductor, one page worker: ``Extractor(limits, page_workers=1).extract(path)``, what one
  core does;
- conductor, all page workers: ``Extractor(limits).extract(path)``;
- PyMuPDF: ``pymupdf.open(path)`` and ``page.get_text()`` for every page (the anchor);
- pypdfium2: every page's ``get_textpage().get_text_range()``.

Each library runs in its own worker process (harness.py's :class:`~harness.Slot` rows):
it warms up on every file once, then the runs go round-robin over files and libraries
(run 1 of every library on file 1, on file 2, ..., then run 2), so that a busy machine
slows all alike. Per file the median of the runs; summed: the median over runs of the
run's time summed over the files (civic subtotal, typeset subtotal, total). Ratios are to
PyMuPDF. Files over :data:`FLAG_RATIO` times PyMuPDF are flagged, except those PyMuPDF
reads in under :data:`FLAG_MIN_S` (timer and call overhead dominate there).

Usage: ``.venv/bin/python benches/percore.py [--runs 5] [--timeout 300]`` (or
``benches/suite.py --only percore``). Results: benches/results/percore-<UTC time>.json.
"""

from __future__ import annotations

import functools
import statistics
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import harness
from _metrics import corpus_dir
from extract_packet import ANCHOR, NAMES, extractor
from harness import Contender, Job, Section, Slot, Worker

SUBSETS = ("civic", "typeset")
TOOLS = {
    "conductor-1": "conductor, 1 page worker",
    "conductor-n": "conductor, all page workers",
    "pymupdf": NAMES["pymupdf"],
    "pypdfium2": NAMES["pypdfium2"],
}
PER_CORE, ALL_CORES = TOOLS["conductor-1"], TOOLS["conductor-n"]
assert TOOLS["pymupdf"] == ANCHOR
FLAG_RATIO = 1.5
FLAG_MIN_S = 0.005
# The 1,151-page typeset book needs more than the default 1 GiB with every page worker.
MEMORY_MB, TIMEOUT_S = 2048, 300.0
TOTAL = "sum: civic + typeset"


def files() -> list[Path]:
    """Every PDF of the corpus's civic/ and typeset/, civic first, each sorted by name."""
    found = [p for sub in SUBSETS for p in sorted((corpus_dir() / sub).glob("*.pdf"))]
    if not found:
        raise SystemExit(f"no PDFs under {corpus_dir()}/{{{','.join(SUBSETS)}}}")
    return found


def _label(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


def _conductor(tool: str) -> Callable[[str], list[str]]:
    from conductor import Extractor, Limits

    limits = Limits(memory_mb=MEMORY_MB, timeout_s=TIMEOUT_S)
    ex = Extractor(limits, page_workers=1 if tool == "conductor-1" else None, ocr="off")
    return lambda path: [page.text for page in ex.extract(path).pages]


def _describe(result: object) -> dict[str, Any]:
    return {"pages": len(result) if isinstance(result, list) else None}


def jobs(tool: str, paths: list[str]) -> list[Job]:
    """Worker factory: one job per file of ``paths``, extracting it with ``tool``."""
    pages = _conductor(tool) if tool.startswith("conductor") else extractor(tool)
    return [Job(functools.partial(pages, path), _describe) for path in paths]


def _median(c: Contender) -> float | None:
    return statistics.median(c.seconds) if c.seconds and c.error is None else None


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def _ms(x: float | None) -> str:
    return "-" if x is None else f"{x * 1000:.1f}"


def _times(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}"


def _summed(rows: Sequence[Contender], name: str, table: str) -> Contender:
    """A row whose run i is the sum over ``rows`` (one library, every file) of run i."""
    error = next((f"{r.table}: {r.error}" for r in rows if r.error), None)
    runs = min((len(r.seconds) for r in rows), default=0)
    total = Contender(name=name, table=table, error=error)
    if error is None and runs:
        total.seconds = [sum(r.seconds[i] for r in rows) for i in range(runs)]
        total.cpu_seconds = [sum(r.cpu_seconds[i] for r in rows) for i in range(runs)]
    total.info["files"] = len(rows)
    return total


def section() -> Section:
    paths = files()
    for p in paths:  # the page cache, before anything is timed
        p.read_bytes()
    tables = [f"{_label(p)} ({p.stat().st_size / 1e6:.1f} MB)" for p in paths]
    contenders: list[Contender] = []
    for tool, name in TOOLS.items():
        why = _unavailable(tool)
        worker = Worker(
            name=name,
            table="",
            module=Path(__file__).stem,
            factory="jobs",
            kwargs={"tool": tool, "paths": [str(p) for p in paths]},
        )
        for i, table in enumerate(tables):
            slot = Slot(name=name, table=table, worker=worker, index=i, error=why)
            contenders.append(slot)
    anchors: dict[str, str | None] = dict.fromkeys(tables, ANCHOR)

    def after(done: Sequence[Contender]) -> list[str]:
        return summarise(paths, tables, list(done), contenders, anchors)

    return Section(
        name="percore",
        title=f"per core: in process, one document at a time ({len(paths)} PDFs of "
        + " and ".join(f"{s}/" for s in SUBSETS)
        + ")",
        contenders=contenders,
        anchors=anchors,
        notes=[
            "each library in its own worker, warmed up on every file; median of the runs;"
            " sums: median over runs of the run's summed time; ratio: / PyMuPDF",
            f"flag: a conductor time over {FLAG_RATIO:g}x PyMuPDF's, on files PyMuPDF reads"
            f" in {FLAG_MIN_S * 1000:g} ms or more",
        ],
        after=after,
        quiet=lambda title: title in tables,  # shown as one matrix by summarise()
    )


def _unavailable(tool: str) -> str | None:
    import importlib.util

    module = "conductor" if tool.startswith("conductor") else tool
    if importlib.util.find_spec(module) is None:
        return f"unavailable: {module} is not installed"
    return None


def summarise(
    paths: list[Path],
    tables: list[str],
    done: list[Contender],
    contenders: list[Contender],
    anchors: dict[str, str | None],
) -> list[str]:
    """The per-file matrix and flags as lines; adds the summed rows (and their tables)."""
    by = {(c.table, c.name): c for c in done}
    lines = [
        f"{'file':<58} {'1 worker':>9} {'all':>9} {'PyMuPDF':>9} {'pdfium':>9}"
        f" {'1w/mu':>6} {'all/mu':>6}  (ms)"
    ]
    flagged: dict[str, list[tuple[str, float]]] = {PER_CORE: [], ALL_CORES: []}
    worst: dict[str, tuple[float, str] | None] = {PER_CORE: None, ALL_CORES: None}
    for path, table in zip(paths, tables, strict=True):
        med = {name: _median(by[(table, name)]) for name in TOOLS.values()}
        base = med[ANCHOR]
        marks = []
        for name in (PER_CORE, ALL_CORES):
            ratio = _ratio(med[name], base)
            if ratio is None or base is None or base < FLAG_MIN_S:
                continue
            w = worst[name]
            if w is None or ratio > w[0]:
                worst[name] = (ratio, _label(path))
            if ratio > FLAG_RATIO:
                flagged[name].append((_label(path), ratio))
                marks.append("1w" if name == PER_CORE else "all")
        cells = " ".join(f"{_ms(med[n]):>9}" for n in TOOLS.values())
        r1, rn = _ratio(med[PER_CORE], base), _ratio(med[ALL_CORES], base)
        flag = f"  > {FLAG_RATIO:g}x ({', '.join(marks)})" if marks else ""
        lines.append(f"{_label(path)[:58]:<58} {cells} {_times(r1):>6} {_times(rn):>6}{flag}")
    sums: dict[str, list[str]] = {
        f"sum: {sub}/": [t for p, t in zip(paths, tables, strict=True) if p.parent.name == sub]
        for sub in SUBSETS
    }
    sums[TOTAL] = tables
    for title, members in sums.items():
        anchors[title] = ANCHOR
        rows = [_summed([by[(t, name)] for t in members], name, title) for name in TOOLS.values()]
        med = {r.name: _median(r) for r in rows}
        for r in rows:
            if title == TOTAL and r.name in flagged:
                w = worst[r.name]
                r.info["worst_ratio"] = None if w is None else round(w[0], 3)
                r.info["worst_file"] = None if w is None else w[1]
                r.info["files_over_1.5x"] = len(flagged[r.name])
            contenders.append(r)
        cells = " ".join(f"{_ms(med[n]):>9}" for n in TOOLS.values())
        r1 = _ratio(med[PER_CORE], med[ANCHOR])
        rn = _ratio(med[ALL_CORES], med[ANCHOR])
        lines.append(f"{title:<58} {cells} {_times(r1):>6} {_times(rn):>6}")
    for name, found in flagged.items():
        listed = ", ".join(f"{f} {r:.2f}x" for f, r in found) or "none"
        lines.append(f"over {FLAG_RATIO:g}x PyMuPDF ({name}): {listed}")
    return lines


def markdown(record: dict[str, Any]) -> list[str]:
    """The section as one Markdown matrix (files x libraries, ms) and the summed tables."""
    tables = record["tables"]
    per_file = [t for t in tables if not t["title"].startswith("sum: ")]
    summed = [t for t in tables if t["title"].startswith("sum: ")]
    names = list(TOOLS.values())
    head = " | ".join(f"{n}, ms" for n in names)
    lines = [
        f"**{record['title']}**",
        "",
        f"| file | {head} | 1 worker / PyMuPDF | all / PyMuPDF |",
        "|---|" + "---:|" * (len(names) + 2),
    ]

    def row_of(table: dict[str, Any], name: str) -> dict[str, Any] | None:
        return next((r for r in table["rows"] if r["name"] == name), None)

    for t in per_file + summed:
        rows = [row_of(t, n) for n in names]
        cells = [_ms(r["median_s"] if r else None) for r in rows]
        ratios = [_times(r["ratio"] if r else None) for r in rows[:2]]
        title = t["title"] if t in per_file else f"**{t['title']}**"
        lines.append(f"| {title} | {' | '.join(cells)} | {' | '.join(ratios)} |")
    lines.append("")
    lines += [f"- {note}" for note in record["notes"] if note.startswith("over ")]
    lines.append("")
    return lines


def main() -> None:
    parser = harness.arguments(__doc__ or "", runs=5, timeout=300)
    args = parser.parse_args()
    harness.measure_and_write("percore", section(), args.runs, args.timeout)


if __name__ == "__main__":
    main()
