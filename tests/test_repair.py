"""Damaged cross-reference streams on real documents, through the real component.

A corpus PDF is rewritten by ``qpdf --object-streams=generate`` (its pages, fonts and
catalog packed into object streams, its table a cross-reference stream), the table's data
damaged three ways, and the result must read as the undamaged file does, with a
``recovered`` warning: the repair path rebuilds the table by scanning for ``N G obj`` and
reads the object streams it finds (issue 14).
"""

from __future__ import annotations

import functools
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from _metrics import order_ratio, require_corpus, require_tool, word_f1
from conductor import Document, extract

CIVIC = require_corpus("civic")
QPDF = require_tool("qpdf")

pytestmark = pytest.mark.corpus

FILES = [
    "agendaminer__mountain-view.pdf",
    # Its garbled table still inflates, to offsets that lead elsewhere: lopdf found the
    # pages but not their fonts or content, and said nothing (word F1 0.18 before the fix).
    "cityscrapersca__baldwinpark_agenda_1.pdf",
]


def _xref_stream_data(pdf: bytes) -> tuple[int, int]:
    """Where the data of the last cross-reference stream starts and ends."""
    at = pdf.rfind(b"/Type /XRef")
    assert at > 0, "qpdf wrote no cross-reference stream"
    start = pdf.index(b"stream", at) + len(b"stream\n")
    return start, pdf.index(b"endstream", start)


def _garbled(pdf: bytes) -> bytes:
    """The second half of the table's data overwritten."""
    start, end = _xref_stream_data(pdf)
    middle = (start + end) // 2
    return pdf[:middle] + b"A" * (end - 1 - middle) + pdf[end - 1 :]


def _cut(pdf: bytes) -> bytes:
    """The second half of the table's data gone (its /Length now wrong)."""
    start, end = _xref_stream_data(pdf)
    return pdf[: (start + end) // 2] + pdf[end:]


def _truncated(pdf: bytes) -> bytes:
    """The file ends in the middle of the table: no startxref, no %%EOF."""
    start, end = _xref_stream_data(pdf)
    return pdf[: (start + end) // 2]


DAMAGE: dict[str, Callable[[bytes], bytes]] = {
    "garbled": _garbled,
    "cut": _cut,
    "truncated": _truncated,
}


@functools.cache
def _packed(name: str, tmp: Path) -> bytes:
    out = tmp / f"packed-{name}"
    # qpdf exits 3 when it succeeded with warnings (some corpus files have duplicate keys).
    done = subprocess.run(
        [QPDF, "--object-streams=generate", str(CIVIC / name), str(out)],
        capture_output=True,
        check=False,
        timeout=120,
    )
    assert done.returncode in (0, 3), done.stderr.decode(errors="replace")
    return out.read_bytes()


@functools.cache
def _undamaged(name: str, tmp: Path) -> Document:
    return extract(_packed(name, tmp))


@pytest.fixture(scope="module")
def tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("repair")


@pytest.mark.parametrize("damage", sorted(DAMAGE))
@pytest.mark.parametrize("name", FILES)
def test_damaged_xref_stream_is_rebuilt(name: str, damage: str, tmp: Path) -> None:
    good = _undamaged(name, tmp)
    assert not any(w.code == "recovered" for w in good.warnings)
    assert good.page_count > 1
    assert len(good.text.split()) > 200

    doc = extract(DAMAGE[damage](_packed(name, tmp)))

    recovered = [w for w in doc.warnings if w.code == "recovered"]
    assert recovered, [(w.code, w.message) for w in doc.warnings]
    assert "rebuilt by scanning" in recovered[0].message
    assert doc.page_count == good.page_count
    f1 = word_f1(doc.text, good.text)
    assert f1 >= 0.99, f"{name} ({damage}): word F1 {f1:.4f} against the undamaged file"
    ratio = order_ratio([p.text for p in doc.pages], [p.text for p in good.pages])
    assert ratio >= 0.99, f"{name} ({damage}): order ratio {ratio:.4f}"
