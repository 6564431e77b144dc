"""Batch isolation: 100 documents, 5 of them hostile, processed concurrently by
:class:`conductor.Conductor`. The 95 come back with their exact text, the 5 as typed
errors naming their document, and the process's peak memory stays within a budget that
follows from the configured limits.

The batch runs in a fresh process (``tests/_batch_child.py``), so its peak resident set
is its own, not that of whatever ran earlier in this pytest session.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from _adversarial import Case, generated_cases
from _pdfgen import build_pdf
from conftest import build_docx

ROOT = Path(__file__).resolve().parent.parent
DOCX_COMPONENT = ROOT / "host" / "conductor" / "_components" / "docx.wasm"

MEMORY_MB = 256
TIMEOUT_S = 1.0
"""Short enough that the form-XObject fan-out (1.8 s of work on an idle machine since the
engine got faster, so 1.5 s became a race) is reliably cut by the deadline, long enough for
the plugin to refuse the bombs first (under 0.2 s)."""
WORKERS = 2
GOOD = 95

BASELINE_SLACK_MIB = 96
"""Host-side memory beyond the plugins' linear memory: a document's text and chunks in
Python, temp-file buffers, SQLite pages, wasmtime's per-store tables."""

PEAK_BUDGET_MIB = 2 * WORKERS * MEMORY_MB + BASELINE_SLACK_MIB
"""Peak resident set over the warmed-up baseline. Each worker thread may hold, at once,
one extraction store and one live chunker instance, each capped at ``memory_mb`` of
linear memory: ``2 * workers * memory_mb``, plus :data:`BASELINE_SLACK_MIB`. A hostile
document that could grow the host beyond its sandbox would break it (the bombs below
inflate to 2 GiB)."""

HOSTILE = {
    # case name -> the error kind it must give
    "pdf/decompression-bomb/flate-bombs-on-8-pages": "corrupt",
    # (hex-string-operand-64MiB gave memory_limit until the lexer stopped allocating per
    # operand; it is an empty page now. An object-stream bomb is refused in the plugin.)
    "pdf/decompression-bomb/object-stream-holding-the-pages": "corrupt",
    "pdf/deep-nesting/form-xobject-fanout-10x10": "timeout",
    "pdf/truncated/generated:agenda.pdf@128": "corrupt",
    "pdf/page-tree/two-node-cycle": "corrupt",
}


def good_pages(i: int) -> list[str]:
    """Document ``i``'s pages: distinct text, 1 to 3 pages."""
    return [
        f"Batch document {i} page {p}\nThe council approves item {i}.{p} of the agenda."
        for p in range(1, 2 + i % 3)
    ]


def good_docx(i: int) -> tuple[bytes, list[str]]:
    """A DOCX with a page break, and the page texts the DOCX plugin gives for it."""
    paragraphs = [
        (None, f"Minutes {i}: the meeting opens.", False),
        ("Heading1", f"Item {i}", False),
        (None, f"Resolution {i} passes.", True),
    ]
    return build_docx(paragraphs), [
        f"Minutes {i}: the meeting opens.\n\nItem {i}",
        f"Resolution {i} passes.",
    ]


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], dict[str, Any]]:
    """Writes the 100 documents, runs the batch in a child process; (spec, report)."""
    tmp = tmp_path_factory.mktemp("batch")
    expected: dict[str, Any] = {}
    items: list[dict[str, str]] = []
    hostile: dict[str, Case] = {c.name: c for c in generated_cases() if c.name in HOSTILE}
    assert set(hostile) == set(HOSTILE)
    docx = DOCX_COMPONENT.is_file()
    slots = iter(range(0, GOOD + len(HOSTILE), (GOOD + len(HOSTILE)) // len(HOSTILE)))
    hostile_at = {next(slots): name for name in HOSTILE}  # spread through the batch
    good = 0
    for index in range(GOOD + len(HOSTILE)):
        if index in hostile_at:
            name = hostile_at[index]
            path = tmp / f"{index:03d}-hostile-{name.rsplit('/', 1)[1]}.pdf"
            path.write_bytes(hostile[name].make())
            expected[str(path)] = {"kind": HOSTILE[name]}
        else:
            if docx and good % 10 == 9:
                data, pages = good_docx(good)
                path = tmp / f"{index:03d}-good.docx"
            else:
                pages = good_pages(good)
                data = build_pdf(pages, title=f"Document {good}")
                path = tmp / f"{index:03d}-good.pdf"
            path.write_bytes(data)
            expected[str(path)] = {"pages": pages}
            good += 1
        items.append({"path": str(path)})
    warm = []
    for w in range(WORKERS):
        path = tmp / f"warm-{w}.pdf"
        path.write_bytes(build_pdf([f"warm up {w}"]))
        warm.append(str(path))
    spec = {
        "items": items,
        "warm_up": warm,
        "database": str(tmp / "batch.sqlite"),
        "workers": WORKERS,
        "limits": {"memory_mb": MEMORY_MB, "timeout_s": TIMEOUT_S},
    }
    spec_path = tmp / "spec.json"
    spec_path.write_text(json.dumps(spec))
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("_batch_child.py")), str(spec_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    report: dict[str, Any] = json.loads(proc.stdout)
    return {"expected": expected, **spec}, report


def test_every_input_has_one_result_in_order(
    batch: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    spec, report = batch
    assert [r["source"] for r in report["results"]] == [i["path"] for i in spec["items"]]
    assert len(report["results"]) == GOOD + len(HOSTILE)


def test_the_good_documents_come_back_with_their_text(
    batch: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    spec, report = batch
    good = [r for r in report["results"] if "pages" in spec["expected"][r["source"]]]
    assert len(good) == GOOD
    wrong = [
        r["source"]
        for r in good
        if not r["ok"] or r["pages"] != spec["expected"][r["source"]]["pages"] or not r["chunks"]
    ]
    assert wrong == []


def test_the_hostile_documents_are_typed_errors_naming_them(
    batch: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    spec, report = batch
    hostile = [r for r in report["results"] if "kind" in spec["expected"][r["source"]]]
    assert len(hostile) == len(HOSTILE)
    for r in hostile:
        assert not r["ok"], r
        error = r["error"]
        assert error["kind"] == spec["expected"][r["source"]]["kind"], (r["source"], error)
        assert error["stage"] == "extract"
        assert error["document"] == r["source"]
        assert r["source"] in error["text"]
        assert "unexpected" not in error["text"]  # not a host bug wrapped at the boundary


def test_peak_memory_stays_within_the_budget(
    batch: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    _, report = batch
    growth = report["peak_mib"] - report["baseline_mib"]
    print(
        f"\nbatch: {report['wall_s']} s, baseline {report['baseline_mib']} MiB, "
        f"peak {report['peak_mib']} MiB (+{growth:.0f} MiB, budget {PEAK_BUDGET_MIB} MiB)"
    )
    assert growth < PEAK_BUDGET_MIB
    assert report["peak_mib"] < 1024
