"""Classes of PDF the dev corpus lacks (issue 14), on documents generated here by PyMuPDF.

PyMuPDF is an independent producer: its HTML layout shapes right-to-left text with
HarfBuzz and writes the glyphs in visual order, as real RTL PDFs have them, and it builds
form-field and free-text appearance streams as form-filling software does.

- Right-to-left lines come out in logical order (the Unicode bidirectional algorithm), Latin
  runs inside them kept whole and apart.
- Filled-in form fields and free-text annotations are in their page's text at their place,
  in the order ``pdftotext`` reads them, and a ``form-text`` warning says so.

Without PyMuPDF or pdftotext the module is skipped with the reason, and fails under CI.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Any

from _metrics import missing_input, pdftotext_pages, require_tool, words
from conductor import extract

try:
    import pymupdf
except ImportError:  # pragma: no cover - the bench extra is installed by scripts/setup.sh
    missing_input("PyMuPDF (the bench extra) is needed to generate the fidelity PDFs")

require_tool("pdftotext")

# PyMuPDF ships no type information: one untyped handle to it.
PM: Any = pymupdf

PAGE = (612, 792)


def _new_page() -> tuple[Any, Any]:
    doc = PM.open()
    return doc, doc.new_page(width=PAGE[0], height=PAGE[1])


def test_right_to_left_lines_read_in_logical_order(tmp_path: Path) -> None:
    doc, page = _new_page()
    page.insert_htmlbox(
        PM.Rect(72, 72, 540, 300),
        '<p dir="rtl">שלום Python עולם</p>'
        '<p dir="rtl">مرحبا بكم في PDF و Python</p>'
        "<p>Agenda item 4</p>",
    )
    path = tmp_path / "rtl.pdf"
    doc.save(path)

    text = extract(path).pages[0].text

    # PyMuPDF's ToUnicode maps Arabic glyphs to their presentation forms; NFKC gives the
    # letters back, so the comparison is on the words themselves.
    assert unicodedata.normalize("NFKC", text).split("\n") == [
        "שלום Python עולם",
        "مرحبا بكم في PDF و Python",
        "Agenda item 4",
    ]


def _form_pdf(path: Path) -> None:
    doc, page = _new_page()
    page.insert_text((72, 72), "NOTICE OF PUBLIC MEETING", fontsize=14)
    for y, label in ((112, "Date:"), (142, "Place:"), (172, "Item:")):
        page.insert_text((72, y), label, fontsize=11)
    page.insert_text((72, 300), "Signed by the City Clerk", fontsize=11)

    def field(name: str, rect: tuple[int, int, int, int], value: str, kind: int) -> None:
        w = PM.Widget()
        w.field_name = name
        w.field_type = kind
        w.rect = PM.Rect(*rect)
        if kind == PM.PDF_WIDGET_TYPE_COMBOBOX:
            w.choice_values = [value, "Zoning appeal"]
        w.field_value = value
        w.text_fontsize = 11
        page.add_widget(w)

    text_field = PM.PDF_WIDGET_TYPE_TEXT
    field("date", (120, 100, 330, 116), "March 3, 2025 at 6:30 PM", text_field)
    field("place", (120, 130, 400, 146), "Council Chambers, 1 Main St", text_field)
    field("item", (120, 160, 330, 176), "Budget hearing", PM.PDF_WIDGET_TYPE_COMBOBOX)
    page.add_freetext_annot(PM.Rect(72, 200, 322, 240), "Bring photo ID to enter", fontsize=10)
    doc.save(path)


def test_form_fields_and_free_text_are_in_the_page_text(tmp_path: Path) -> None:
    path = tmp_path / "form.pdf"
    _form_pdf(path)

    doc = extract(path)

    page = doc.pages[0]
    assert page.text.split("\n") == [
        "NOTICE OF PUBLIC MEETING",
        "Date: March 3, 2025 at 6:30 PM",
        "Place: Council Chambers, 1 Main St",
        "Item: Budget hearing",
        "Bring photo ID to enter",
        "Signed by the City Clerk",
    ]
    assert not page.needs_ocr
    flags = [w for w in doc.warnings if w.code == "form-text"]
    assert [(w.page, w.message) for w in flags] == [
        (
            1,
            "page 1: the text includes 3 form field value(s) and 1 free-text annotation(s), "
            "drawn over the page rather than in its content",
        )
    ]
    # pdftotext shows the same words in the same order (PyMuPDF appends annotation text
    # after the page's own, so it is not the reference for order).
    assert words(page.text) == words(pdftotext_pages(path)[0])


def test_empty_fields_and_check_boxes_add_nothing(tmp_path: Path) -> None:
    """An empty text field draws nothing; a checked box draws a ZapfDingbats check mark,
    a symbol, not text (pdftotext prints it as "3")."""
    doc, page = _new_page()
    page.insert_text((72, 72), "Blank form", fontsize=12)
    w = PM.Widget()
    w.field_name = "name"
    w.field_type = PM.PDF_WIDGET_TYPE_TEXT
    w.rect = PM.Rect(120, 60, 330, 76)
    page.add_widget(w)
    check = PM.Widget()
    check.field_name = "posted"
    check.field_type = PM.PDF_WIDGET_TYPE_CHECKBOX
    check.rect = PM.Rect(340, 60, 352, 72)
    check.field_value = True
    page.add_widget(check)
    path = tmp_path / "blank.pdf"
    doc.save(path)

    result = extract(path)

    assert result.pages[0].text == "Blank form"
    assert [w.code for w in result.warnings if w.code == "form-text"] == []
