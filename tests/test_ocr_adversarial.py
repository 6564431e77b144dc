"""The OCR path and the fallback engine under hostile input (issue 15): the renderer runs in
a child process with an address-space limit, a CPU limit and a deadline, and what it costs
when one is hit is that page's OCR, as a typed warning; the rest of the document and the
host are untouched. The pdfium fallback reads a file the PDF plugin refuses, in the same
kind of child.

The hostile pages are generated here: a page of 200 x 200 inches (a 3.6 GB bitmap at 300
dpi), and a page of 300,000 filled curves, which pdfium needs minutes of CPU to render
(measured: 20,000 curves take 18 s of CPU at 300 dpi), so a 2 s deadline or a 1 s CPU limit
ends it every time, however fast the machine.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from _adversarial_pdf import MARK, objstm_pages_bomb
from _metrics import require_tool
from _pdfgen import build_pdf, stream, write_pdf
from conductor import (
    ChildLimits,
    CorruptDocumentError,
    Extractor,
    OcrOptions,
)
from conductor._cli import main
from conductor._ocr import ChildFailure
from conductor._ocr._limited import child_env, python_child, run_limited

require_tool("tesseract")
GiB = 1 << 30


def _page(box: bytes, content: bytes) -> bytes:
    return write_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [" + box + b"] /Contents 4 0 R >>",
            stream(b"", content),
        ]
    )


HUGE_PAGE = _page(b"0 0 14400 14400", b"0 0 m 100 100 l S")


def _curves(n: int) -> bytes:
    """``n`` filled Bezier curves scattered over a letter page."""
    out = []
    for i in range(n):
        points = [i * k % (600 if j % 2 == 0 else 780) for j, k in enumerate(range(1, 17, 2))]
        out.append(b"%d %d m %d %d %d %d %d %d c f\n" % tuple(points))
    return b"".join(out)


@pytest.fixture(scope="module")
def slow_page() -> bytes:
    return _page(b"0 0 612 792", _curves(300_000))


def _only_warning(options: OcrOptions, data: bytes) -> str:
    start = time.monotonic()
    doc = Extractor(ocr=options).extract(data, name="hostile.pdf")
    elapsed = time.monotonic() - start
    (page,) = doc.pages
    assert (page.text, page.ocr, page.needs_ocr) == ("", None, True)
    # (a file over 4 MiB is read in page ranges: its first range may add a page-range note)
    (warning,) = [w for w in doc.warnings if w.code.startswith("ocr")]
    assert (warning.code, warning.page) == ("ocr_failed", 1)
    assert elapsed < 60, f"took {elapsed:.1f} s"
    return warning.message


def test_a_renderer_over_its_memory_limit_costs_the_page_only() -> None:
    message = _only_warning(OcrOptions(), HUGE_PAGE)
    assert message.startswith("page 1: OCR failed at stage render (memory_limit): ")
    assert "1024 MiB" in message


def test_a_hung_renderer_is_killed_at_its_deadline(slow_page: bytes) -> None:
    limits = ChildLimits(memory_mb=1024, cpu_s=600, timeout_s=2)
    message = _only_warning(OcrOptions(render=limits), slow_page)
    assert message == (
        "page 1: OCR failed at stage render (timeout): renderer killed at its 2 s deadline"
    )


def test_a_renderer_over_its_cpu_limit_is_killed(slow_page: bytes) -> None:
    limits = ChildLimits(memory_mb=1024, cpu_s=1, timeout_s=600)
    message = _only_warning(OcrOptions(render=limits), slow_page)
    assert message == (
        "page 1: OCR failed at stage render (cpu_limit): renderer killed at its 1 s CPU limit"
    )


def test_tesseract_over_its_limits_costs_the_page_only() -> None:
    # 16 MiB of address space: tesseract cannot even load its model
    options = OcrOptions(mode="force", tesseract=ChildLimits(memory_mb=16, timeout_s=60))
    doc = Extractor(ocr=options).extract(build_pdf(["Adjourn"]), name="t.pdf")
    (page,) = doc.pages
    assert "Adjourn" in page.text  # the text layer is kept
    assert page.ocr is None
    (warning,) = doc.warnings
    assert warning.code == "ocr_failed"
    assert "stage tesseract" in warning.message


def test_children_get_a_minimal_environment_and_no_descriptors() -> None:
    os.environ["CONDUCTOR_TEST_SECRET"] = "s3cret"
    r, w = os.pipe()
    os.set_inheritable(w, True)
    try:
        probe = (
            "import os, json; "
            "print(json.dumps([dict(os.environ), sorted(os.listdir('/proc/self/fd'))]))"
        )
        out = run_limited(python_child("exec", "python3", "-c", probe), ChildLimits(), what="probe")
    finally:
        del os.environ["CONDUCTOR_TEST_SECRET"]
        os.close(r)
        os.close(w)
    env, fds = json.loads(out)
    assert env == child_env()
    assert "CONDUCTOR_TEST_SECRET" not in env
    # stdin, stdout, stderr, and the fd listdir itself opened: nothing inherited
    assert len(fds) <= 4, fds


def test_a_child_that_cannot_start_is_a_typed_failure() -> None:
    with pytest.raises(ChildFailure) as failure:
        run_limited(python_child("exec", "/nonexistent/renderer"), ChildLimits(), what="x")
    assert failure.value.reason == "refused"


# -- the pdfium fallback --------------------------------------------------------------------


@pytest.fixture(scope="module")
def bomb() -> bytes:
    """A PDF whose pages sit in an object stream that inflates to 1 GiB: the PDF plugin
    refuses it (``corrupt``, a decompression bomb: over 64 MiB); pdfium inflates the 300
    MiB in its child, within the child's 1 GiB."""
    return objstm_pages_bomb(300 << 20)


def test_without_the_fallback_the_plugin_error_stands(bomb: bytes) -> None:
    with pytest.raises(CorruptDocumentError):
        Extractor(ocr="off").extract(bomb, name="bomb.pdf")


def test_the_fallback_extracts_what_the_plugin_refused(bomb: bytes) -> None:
    doc = Extractor(ocr="off", fallback="pdfium").extract(bomb, name="bomb.pdf")
    assert doc.engine == "pdfium-fallback"
    assert doc.to_dict()["engine"] == "pdfium-fallback"
    assert MARK in doc.text
    (warning,) = doc.warnings
    assert warning.code == "fallback"
    assert "the PDF plugin failed (corrupt:" in warning.message


def test_when_the_fallback_fails_too_the_plugin_error_says_so() -> None:
    broken = build_pdf(["Adjourn"]).replace(b"%PDF-", b"%XYZ-", 1)
    extractor = Extractor(ocr="off", fallback="pdfium")
    with pytest.raises(CorruptDocumentError, match="the pdfium fallback failed too: refused"):
        extractor.extract(broken, name="broken.pdf", format="pdf")


def test_a_bomb_beyond_the_fallback_child_ends_typed() -> None:
    # 1 GiB of object stream: pdfium's child dies at its address-space limit, the host
    # does not notice but for the error it reports
    extractor = Extractor(ocr="off", fallback="pdfium")
    with pytest.raises(CorruptDocumentError, match="the pdfium fallback failed too: crashed"):
        extractor.extract(objstm_pages_bomb(GiB), name="bomb.pdf")


def test_cli_fallback_flag(bomb: bytes, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bomb.pdf"
    path.write_bytes(bomb)
    assert main(["extract", str(path), "--json", "--ocr", "off"]) == 1
    assert '"kind": "corrupt"' in capsys.readouterr().out
    assert main(["extract", str(path), "--json", "--ocr", "off", "--fallback", "pdfium"]) == 0
    out = capsys.readouterr().out
    assert '"engine": "pdfium-fallback"' in out
    assert MARK in out
