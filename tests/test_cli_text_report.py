"""``conductor extract``/``chunk`` in text mode report what JSON would carry (issue 13,
item 8): warnings and pages that need OCR go to stderr; the text stays on stdout."""

from __future__ import annotations

from pathlib import Path

import pytest

from conductor._cli import main

SCANNED = "civic/hackomaha__1303a_scanned.pdf"
"""Ten scanned pages, no text layer."""
OUTLINED = "civic/cityscrapersca__palmdale_agenda_1.pdf"
"""Three pages of glyphs drawn as outlines: no text layer either."""
AGENDA = "civic/agendaminer__mountain-view.pdf"
"""Six pages of text."""


def test_scanned_pdf_says_its_pages_need_ocr(
    corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pdf = corpus / SCANNED
    # --ocr off: the text layer's verdict alone (test_ocr_cli.py has the report with OCR)
    assert main(["extract", str(pdf), "--ocr", "off"]) == 0
    out, err = capsys.readouterr()
    assert out.count("--- PAGE ") == 10
    assert err == f"conductor: {pdf}: 10 of 10 pages need OCR (no text layer): pages 1-10\n"


def test_chunk_reports_ocr_pages_too(corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pdf = corpus / OUTLINED
    assert main(["chunk", str(pdf), "--ocr", "off"]) == 0
    err = capsys.readouterr().err
    assert err == f"conductor: {pdf}: 3 of 3 pages need OCR (no text layer): pages 1-3\n"


def test_a_page_range_past_the_end_is_reported(
    corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pdf = corpus / AGENDA
    assert main(["extract", str(pdf), "--pages", "100-200"]) == 0
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (f"conductor: {pdf}: warning: pages 100-200 were asked for, the document has 6\n")


def test_json_mode_and_clean_documents_print_nothing_on_stderr(
    corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["extract", str(corpus / SCANNED), "--json", "--pages", "1-2"]) == 0
    assert capsys.readouterr().err == ""
    assert main(["extract", str(corpus / AGENDA), "--pages", "1-2"]) == 0
    out, err = capsys.readouterr()
    assert (out.count("--- PAGE "), err) == (2, "")
