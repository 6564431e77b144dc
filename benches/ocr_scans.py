#!/usr/bin/env python3
"""OCR throughput and quality on synthetic scans (issue 15): pages of a civic agenda
rendered by poppler, written back as an image-only PDF (tests/_scans.py), then read by

- ``conductor extract --ocr-dpi D`` (whole process; pages rendered by pypdfium2 and read
  by tesseract in limited children, one per core), at 200 and 300 dpi;
- the same tools by hand, one page after another: ``pdftoppm -r D -gray`` and then
  ``tesseract PAGE - --psm 1`` per page (no limits, no parallelism): what a script would do.

Pages per second is pages / median wall seconds; the word F1 of conductor's text against
the original's text layer is measured once per dpi (untimed).

Usage: ``.venv/bin/python benches/ocr_scans.py [--runs N] [--pages N]`` (also the ``ocr``
section of benches/suite.py).
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from pathlib import Path

import harness
from _metrics import corpus_dir, word_f1
from _scans import scanned_pdf
from conductor import Extractor
from harness import Contender, Process, Section

SOURCE = "civic/agendaminer__mountain-view.pdf"
DPIS = (200, 300)
TABLE = "OCR of {pages} scanned pages at {dpi} dpi"


def _by_hand(scan: Path, dpi: int, tmp: Path) -> list[str]:
    """pdftoppm, then tesseract on each page in turn, as a shell command."""
    out = shlex.quote(str(tmp / f"byhand{dpi}"))
    script = (
        f"pdftoppm -gray -r {dpi} {shlex.quote(str(scan))} {out} && "
        f'for f in {out}*.pgm; do OMP_THREAD_LIMIT=1 tesseract "$f" - --psm 1 '
        f"--dpi {dpi} 2>/dev/null; done"
    )
    return ["bash", "-c", script]


def section(tmp: Path, pages: int = 4) -> Section:
    original = corpus_dir() / SOURCE
    scan = tmp / "scan.pdf"
    scan.write_bytes(scanned_pdf(original, list(range(1, pages + 1)), 300))
    reference = "\n".join(p.text for p in Extractor(ocr="off").extract(original).pages[:pages])
    contenders: list[Contender] = []
    anchors: dict[str, str | None] = {}
    f1: dict[int, float] = {}
    cli = str(harness.conductor_cli())
    for dpi in DPIS:
        table = TABLE.format(pages=pages, dpi=dpi)
        ours = f"conductor extract --ocr-dpi {dpi}"
        anchors[table] = ours
        contenders.append(
            Process(
                name=ours, table=table, command=[cli, "extract", str(scan), "--ocr-dpi", str(dpi)]
            )
        )
        contenders.append(
            Process(
                name="pdftoppm + tesseract, by hand", table=table, command=_by_hand(scan, dpi, tmp)
            )
        )
        doc = Extractor(ocr_dpi=dpi).extract(scan)
        f1[dpi] = word_f1(doc.text, reference)

    def after(done: Sequence[Contender]) -> list[str]:
        lines = []
        for c in done:
            summary = c.summary()
            if summary["median_s"]:
                rate = pages / summary["median_s"]
                c.info["pages_per_s"] = round(rate, 2)
                lines.append(f"{c.table}: {c.name}: {rate:.2f} pages/s")
        for dpi, score in f1.items():
            lines.append(f"word F1 of conductor's OCR at {dpi} dpi vs the text layer: {score:.4f}")
        return lines

    return Section(
        name="ocr",
        title=f"OCR: {pages} pages of {SOURCE} scanned (image-only PDF), read back",
        contenders=contenders,
        anchors=anchors,
        notes=[
            "conductor: pypdfium2 renders each page in a limited child, tesseract reads it "
            "in another, one page per core; by hand: one page after another"
        ],
        after=after,
    )


def main() -> None:
    parser = harness.arguments(__doc__ or "", runs=3, timeout=600.0)
    parser.add_argument("--pages", type=int, default=4, help="pages scanned (default 4)")
    args = parser.parse_args()
    with harness.scratch() as tmp:
        harness.measure_and_write(
            f"ocr_scans-{args.pages}p", section(tmp, args.pages), args.runs, args.timeout
        )


if __name__ == "__main__":
    main()
