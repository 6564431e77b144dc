"""Memory under attack with the default limits: decompression bombs end in a typed error
that names them (not in the memory limit), and the whole process stays under 1 GiB.

Each case runs in a fresh Python process (the peak resident set of this one is shared by
every test before it), which reports its own peak: ``VmHWM`` of its address space. Not
``wait4``'s ``ru_maxrss``: Linux starts a child's at the RSS of the process it was forked
from, so under a large pytest process every child reported that process's peak.

    .venv/bin/pytest tests/test_memory.py      # ~1 minute on 2 cores
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from _adversarial import GiB, MiB
from _adversarial_pdf import MARK, bomb_page_beside_text, flate_bomb_pages, objstm_pages_bomb

PEAK_RSS_BUDGET_MIB = 1024
"""The issue's bound for the whole process, host and instances, with default limits."""

CHILD = """
import json, sys
from conductor import ConductorError, Extractor
out = {}
try:
    doc = Extractor().extract(sys.argv[1])
    out["pages"] = [p.text for p in doc.pages]
    out["warnings"] = [[w.code, w.message, w.page] for w in doc.warnings]
except ConductorError as e:
    out["error"] = {"kind": e.kind, "message": e.message, "hint": e.hint}
with open("/proc/self/status") as status:
    hwm = next(line for line in status if line.startswith("VmHWM:"))
out["peak_kib"] = int(hwm.split()[1])
print(json.dumps(out))
"""


def run_in_child(path: Path) -> tuple[dict[str, Any], float]:
    """The child's outcome and its peak resident set in MiB."""
    out_path, err_path = path.with_suffix(".out"), path.with_suffix(".err")
    with out_path.open("wb") as stdout, err_path.open("wb") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-c", CHILD, os.fspath(path)], stdout=stdout, stderr=stderr
        )
        proc.wait()
    assert proc.returncode == 0, err_path.read_text(errors="replace")[-2000:]
    out = json.loads(out_path.read_text())
    return out, out.pop("peak_kib") / 1024


def assert_named_bomb(error: dict[str, Any]) -> None:
    assert error["kind"] == "corrupt", error
    assert "looks like a decompression bomb" in error["message"], error
    text = (error["message"] + " " + error["hint"]).lower()
    assert "memory" not in text, error
    assert "raise" not in text, error


@pytest.mark.parametrize(
    ("name", "make"),
    [
        # 8 pages, 8 streams of 256 MiB: 2 MB of file, 2 GiB of zeros.
        ("flate-bombs", lambda: flate_bomb_pages(8, 256 * MiB)),
        # The page tree in an object stream that inflates to 2 GiB (a 2 MB file).
        ("objstm-bomb", lambda: objstm_pages_bomb(2 * GiB)),
    ],
)
def test_a_bomb_is_named_and_the_process_stays_under_1_gib(
    name: str, make: Any, tmp_path: Path
) -> None:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(make())
    assert 1_500_000 < path.stat().st_size < 3_000_000
    out, peak_mib = run_in_child(path)
    assert "error" in out, out
    assert_named_bomb(out["error"])
    assert peak_mib < PEAK_RSS_BUDGET_MIB, f"peak {peak_mib:.0f} MiB"


def test_one_bomb_stream_costs_its_page_not_the_document(tmp_path: Path) -> None:
    path = tmp_path / "beside.pdf"
    path.write_bytes(bomb_page_beside_text(2 * GiB))
    out, peak_mib = run_in_child(path)
    assert "error" not in out, out
    assert out["pages"][0].strip() == ""
    assert MARK in out["pages"][1]
    bombs = [w for w in out["warnings"] if "decompression bomb" in w[1]]
    assert bombs, out["warnings"]
    assert bombs[0][2] == 1, out["warnings"]
    assert peak_mib < PEAK_RSS_BUDGET_MIB, f"peak {peak_mib:.0f} MiB"


def test_an_object_stream_that_is_not_a_bomb_still_gives_its_pages(tmp_path: Path) -> None:
    """The generator's object stream is a real one: without the zeros it reads."""
    path = tmp_path / "objstm.pdf"
    path.write_bytes(objstm_pages_bomb(MiB))
    out, _ = run_in_child(path)
    assert "error" not in out, out
    assert MARK in out["pages"][0]
