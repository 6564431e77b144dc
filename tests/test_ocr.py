"""OCR of pages without a text layer (issue 15), with the real tesseract and real corpus
PDFs: scans generated from corpus pages (tests/_scans.py, rendered by poppler) must read
back with word F1 >= 0.95 against the original's text layer, upright or sideways; the
corpus's own scans yield words; a missing language pack is a warning per page; the result
is in the JSON, the database and ``show``.

Runtime: about ten pages through tesseract at 200 dpi in all.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from _metrics import require_corpus, require_tool, word_f1
from _pdfgen import build_pdf
from _scans import scanned_pdf
from conductor import Conductor, Document, Extractor, OcrOptions
from conductor._cli import main

require_tool("tesseract")
require_tool("pdftoppm")
DPI = 200
AGENDA = "civic/agendaminer__mountain-view.pdf"
SIDEWAYS = "civic/agendaminer__sunnyvale_4-19-16.pdf"


@pytest.fixture(scope="module")
def extractor() -> Extractor:
    return Extractor(ocr_dpi=DPI)


@pytest.fixture(scope="module")
def text_layer() -> Extractor:
    return Extractor(ocr="off")


@pytest.fixture(scope="module")
def agenda_scan() -> bytes:
    """Pages 1-2 of a civic agenda as an image-only PDF."""
    return scanned_pdf(require_corpus(AGENDA), [1, 2], DPI)


@pytest.fixture(scope="module")
def agenda_read(extractor: Extractor, agenda_scan: bytes) -> Document:
    return extractor.extract(agenda_scan, name="scan.pdf")


def _original(text_layer: Extractor, rel: str, pages: list[int]) -> str:
    doc = text_layer.extract(require_corpus(rel))
    return "\n".join(doc.pages[n - 1].text for n in pages)


def test_a_scan_reads_back_like_its_text_layer(
    agenda_read: Document, text_layer: Extractor
) -> None:
    doc = agenda_read
    assert doc.warnings == []
    f1 = word_f1(doc.text, _original(text_layer, AGENDA, [1, 2]))
    assert f1 >= 0.95, f"word F1 {f1:.4f}"
    assert "MOUNTAIN VIEW" in doc.pages[0].text
    for page in doc.pages:
        # needs_ocr and ocr_reason still describe the text layer: there is none
        assert (page.needs_ocr, page.ocr_reason) == (True, "no_text_layer")
        assert page.ocr is not None
        assert page.ocr.engine.startswith("tesseract ")
        assert (page.ocr.languages, page.ocr.dpi) == (["eng"], DPI)
        assert 0.5 < page.ocr.confidence <= 1.0
        assert page.chars == sum(1 for c in page.text if not c.isspace()) > 500


def test_the_json_says_what_was_read_how(agenda_read: Document) -> None:
    page = agenda_read.to_dict()["pages"][0]
    assert set(page["ocr"]) == {"engine", "languages", "confidence", "dpi"}
    assert page["ocr"]["languages"] == ["eng"]
    assert agenda_read.to_dict()["engine"] is None


def test_chunks_include_the_ocr_text(extractor: Extractor, agenda_read: Document) -> None:
    chunks = extractor.chunk(agenda_read, max_tokens=128)
    assert "".join(c.text for c in chunks) == agenda_read.text
    assert any("MOUNTAIN VIEW" in c.text for c in chunks)


def test_a_sideways_scan_is_read_upright(extractor: Extractor, text_layer: Extractor) -> None:
    scan = scanned_pdf(require_corpus(SIDEWAYS), [1], DPI, sideways=True)
    doc = extractor.extract(scan, name="sideways.pdf")
    f1 = word_f1(doc.text, _original(text_layer, SIDEWAYS, [1]))
    assert f1 >= 0.95, f"word F1 {f1:.4f}: {doc.text[:300]!r}"


def test_ocr_off_keeps_the_text_layer_verdict(agenda_scan: bytes) -> None:
    doc = Extractor(ocr="off").extract(agenda_scan, name="scan.pdf")
    assert [(p.text, p.needs_ocr, p.ocr) for p in doc.pages] == [("", True, None)] * 2


def test_force_reads_pages_with_a_text_layer_too() -> None:
    pdf = build_pdf(["Budget hearing at seven tonight"])
    doc = Extractor(ocr="force", ocr_dpi=DPI).extract(pdf, name="text.pdf")
    (page,) = doc.pages
    assert not page.needs_ocr
    assert page.ocr is not None
    assert "Budget hearing" in page.text


def test_a_missing_language_pack_is_a_warning_on_each_page(agenda_scan: bytes) -> None:
    doc = Extractor(ocr_languages=("eng", "xqz")).extract(agenda_scan, name="scan.pdf")
    assert [w.code for w in doc.warnings] == ["ocr_unavailable"] * 2
    assert [w.page for w in doc.warnings] == [1, 2]
    assert "no language pack for xqz" in doc.warnings[0].message
    assert "tesseract-ocr-xqz" in doc.warnings[0].message
    assert [(p.text, p.ocr) for p in doc.pages] == [("", None)] * 2


def test_options_are_checked() -> None:
    with pytest.raises(ValueError, match="ocr must be one of auto, off, force"):
        Extractor(ocr="sometimes")
    with pytest.raises(ValueError, match="tesseract language names"):
        Extractor(ocr_languages=("eng", "-c tessedit"))
    with pytest.raises(ValueError, match="ocr_dpi must be an integer from 70 to 1200"):
        OcrOptions(dpi=20000)


@pytest.mark.parametrize(
    ("rel", "words"),
    [
        ("civic/hackomaha__1303a_scanned.pdf", ["Planning", "Omaha"]),
        # glyphs drawn as paths: no text layer, but text on the rendered page
        ("civic/cityscrapersca__palmdale_agenda_1.pdf", ["PALMDALE", "COMMITTEE"]),
    ],
)
def test_the_corpus_scans_now_yield_words(extractor: Extractor, rel: str, words: list[str]) -> None:
    doc = extractor.extract(require_corpus(rel), pages=(1, 1))
    (page,) = doc.pages
    assert page.needs_ocr
    assert page.ocr is not None
    for word in words:
        assert word in page.text


# -- CLI, database, show --------------------------------------------------------------------


@pytest.fixture(scope="module")
def one_page_scan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("scan") / "scan.pdf"
    path.write_bytes(scanned_pdf(require_corpus(AGENDA), [1], DPI))
    return path


def test_cli_extract_json_and_report(
    one_page_scan: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["extract", str(one_page_scan), "--json", "--ocr-dpi", str(DPI)]) == 0
    (page,) = json.loads(capsys.readouterr().out)["pages"]
    assert page["ocr"]["dpi"] == DPI
    assert page["ocr"]["engine"].startswith("tesseract")
    assert "MOUNTAIN VIEW" in page["text"]
    assert main(["extract", str(one_page_scan), "--ocr", "off"]) == 0
    out, err = capsys.readouterr()
    assert out == "--- PAGE 1 ---\n\n"
    assert "1 of 1 page need OCR (no text layer): pages 1" in err
    assert "read by OCR" not in err


def test_cli_text_mode_says_which_pages_ocr_read(
    one_page_scan: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["chunk", str(one_page_scan), "--ocr-dpi", str(DPI), "--ocr-lang", "eng"]) == 0
    out, err = capsys.readouterr()
    assert "MOUNTAIN VIEW" in out
    assert "read by OCR: pages 1 (tesseract 5" in err
    assert f"eng, {DPI} dpi, mean confidence 0." in err


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--ocr-lang", "eng+../../x"], "--ocr-lang"),
        (["--ocr-dpi", "5"], "--ocr-dpi"),
        (["--ocr-dpi", "many"], "--ocr-dpi must be an integer"),
    ],
)
def test_cli_bad_ocr_flags_are_usage_errors(
    one_page_scan: Path, capsys: pytest.CaptureFixture[str], flags: list[str], message: str
) -> None:
    assert main(["extract", str(one_page_scan), "--json", *flags]) == 1
    error = json.loads(capsys.readouterr().out)["error"]
    assert (error["kind"], error["stage"]) == ("invalid_argument", "cli")
    assert message in error["message"]


def test_ocr_is_stored_and_shown(
    one_page_scan: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "c.sqlite"
    item = [{"path": str(one_page_scan)}]
    # stored without OCR first (as before OCR existed): no text, no chunks ...
    (before,) = Conductor(database=db, ocr="off").process_documents(item)
    assert before.ok
    assert before.chunks == []
    # ... so a run with OCR on reads it again instead of reusing the stored document
    progress: list[tuple[str, int, int]] = []
    conductor = Conductor(database=db, ocr_dpi=DPI, ocr_progress=lambda *a: progress.append(a))
    (result,) = conductor.process_documents(item)
    assert result.sha256 == before.sha256
    assert progress == [(str(one_page_scan), 1, 1)]  # what `process` shows per page
    assert result.ok
    assert result.chunks
    assert any("MOUNTAIN VIEW" in c.text for c in result.chunks)
    assert result.sha256 is not None
    assert main(["show", result.sha256[:12], "--db", str(db), "--json"]) == 0
    (page,) = json.loads(capsys.readouterr().out)["pages"]
    assert page["needs_ocr"] is True
    assert page["ocr"]["dpi"] == DPI
    assert page["ocr"]["languages"] == ["eng"]
    assert main(["show", result.sha256[:12], "--db", str(db)]) == 0
    assert "read by OCR: pages 1 (tesseract" in capsys.readouterr().out
    assert main(["show", result.sha256[:12], "--db", str(db), "--text", "--json"]) == 0
    stored = json.loads(capsys.readouterr().out)["pages"][0]
    assert stored["ocr"] == page["ocr"]
    assert "MOUNTAIN VIEW" in stored["text"]


def test_a_missing_tesseract_is_a_warning_on_each_page(one_page_scan: Path, tmp_path: Path) -> None:
    # A fresh process: which tesseract there is, is looked up once per process.
    env = {**os.environ, "CONDUCTOR_TESSERACT": str(tmp_path / "no-tesseract")}
    proc = subprocess.run(
        [sys.executable, "-m", "conductor._cli", "extract", str(one_page_scan), "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["pages"][0]["text"] == ""
    assert doc["pages"][0]["ocr"] is None
    (warning,) = doc["warnings"]
    assert (warning["code"], warning["page"]) == ("ocr_unavailable", 1)
    assert "no-tesseract) is not a program" in warning["message"]
    assert "apt-get install tesseract-ocr" in warning["message"]
