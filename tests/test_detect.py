from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from conductor import UnsupportedFormatError, detect_format
from conductor._detect import detect_format as builtin_detect_format
from conductor._detect import detect_path


def _zip(*names: str, mimetype: bytes | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        if mimetype is not None:
            z.writestr("mimetype", mimetype)
        for name in names:
            z.writestr(name, "<x/>")
    return buf.getvalue()


def test_pdf(make_pdf) -> None:  # type: ignore[no-untyped-def]
    assert detect_format(make_pdf(["hi"])) == "pdf"


def test_pdf_header_after_junk_within_1024_bytes() -> None:
    assert detect_format(b"\x00" * 1000 + b"%PDF-1.7\n") == "pdf"


def test_pdf_header_past_1024_bytes_is_not_a_pdf() -> None:
    with pytest.raises(UnsupportedFormatError, match="unknown format"):
        detect_format(b"x" * 1030 + b"%PDF-1.7\n")


def test_docx() -> None:
    assert detect_format(_zip("[Content_Types].xml", "word/document.xml")) == "docx"


@pytest.mark.parametrize(
    ("data", "found"),
    [
        (_zip("xl/workbook.xml"), "Excel"),
        (_zip("ppt/presentation.xml"), "PowerPoint"),
        (_zip("content.xml", mimetype=b"application/vnd.oasis.opendocument.text"), "opendocument"),
        (_zip("a.txt"), "ZIP archive that is not a Word document"),
        (b"PK\x03\x04broken", "damaged ZIP"),
        (b"PK\x05\x06" + b"\x00" * 18, "empty ZIP"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "Word 97-2003"),
        (b"{\\rtf1\\ansi hello}", "RTF"),
        (b"\xef\xbb\xbf  \n<!DOCTYPE html><html></html>", "HTML"),
        (b"\n\n<HTML><body>login</body>", "HTML"),
        (b"   \r\n<style>\r\nbody {}</style>", "HTML"),
        (b'<div style="display:none">', "HTML"),
        (b"<!-- saved page -->\n<p>x</p>", "HTML"),
        (b"", "empty"),
        (b"GIF89a....", "GIF89a"),
    ],
)
def test_unsupported_formats_are_named(data: bytes, found: str) -> None:
    # The built-in formats only: HTML is a format once the shipped HTML plugin loads.
    with pytest.raises(UnsupportedFormatError) as info:
        builtin_detect_format(data)
    assert found.lower() in info.value.message.lower()
    assert info.value.stage == "detect"
    assert info.value.kind == "unsupported_format"


def test_legacy_doc_hint_says_how_to_convert() -> None:
    with pytest.raises(UnsupportedFormatError) as info:
        detect_format(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 8)
    assert "convert" in info.value.hint


def test_detect_path_matches_detect_format(tmp_path: Path, make_pdf) -> None:  # type: ignore[no-untyped-def]
    pdf = tmp_path / "a.pdf"
    pdf.write_bytes(make_pdf(["x"]))
    docx = tmp_path / "a.docx"
    docx.write_bytes(_zip("word/document.xml"))
    xlsx = tmp_path / "a.xlsx"
    xlsx.write_bytes(_zip("xl/workbook.xml"))
    assert detect_path(pdf) == "pdf"
    assert detect_path(docx) == "docx"
    with pytest.raises(UnsupportedFormatError, match="Excel"):
        detect_path(xlsx)


def test_unknown_format_hint_lists_the_installed_formats(dropin_dir: Path) -> None:
    from conductor._registry import Registry

    garbage = b"\x00\x01garbage"
    with pytest.raises(UnsupportedFormatError) as info:
        Registry(entry_points=False, plugin_path=[]).detector.detect(garbage)
    assert info.value.hint.startswith("the installed plugins extract: docx, pdf; ")
    assert "only PDF" not in info.value.hint
    with pytest.raises(UnsupportedFormatError) as info:
        Registry(entry_points=False, plugin_path=[dropin_dir]).detector.detect(garbage)
    assert info.value.hint.startswith("the installed plugins extract: docx, html, pdf, text; ")
