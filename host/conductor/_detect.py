"""Magic bytes -> format name.

Only the formats plugins handle are returned (``pdf``, ``docx``); anything else raises
``UnsupportedFormatError`` naming what was found, so the message tells the user what the
file really is (a Word 97 ``.doc``, an HTML error page saved as ``.pdf``, ...).
"""

from __future__ import annotations

import io
import os
import re
import zipfile
from collections.abc import Callable
from typing import IO

from ._errors import UnsupportedFormatError

HEAD_BYTES = 1024
"""How far into the file the PDF header may start (Acrobat accepts 1024 bytes of junk)."""

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = b"PK\x03\x04"
_EMPTY_ZIP = b"PK\x05\x06"
_HTML_TAG = re.compile(
    rb"<(!--|head|body|div|style|script|meta|link|title|table|form|p|span|br|h[1-6]|a)[\s>/]"
)
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")

# Marker parts of ZIP-based office formats, checked in order.
_ZIP_MARKERS: tuple[tuple[str, str], ...] = (
    ("word/document.xml", "docx"),
    ("xl/workbook.xml", "an Excel workbook (.xlsx)"),
    ("ppt/presentation.xml", "a PowerPoint presentation (.pptx)"),
    ("visio/document.xml", "a Visio drawing (.vsdx)"),
)


def detect_format(data: bytes) -> str:
    """Returns ``"pdf"`` or ``"docx"`` for the document ``data``.

    :raises UnsupportedFormatError: for empty input and every other format, naming it.
    """
    return _classify(data[:HEAD_BYTES], lambda: io.BytesIO(data))


def detect_path(path: str | os.PathLike[str]) -> str:
    """Like :func:`detect_format` for a file, reading only its head and ZIP directory."""
    with open(path, "rb") as f:
        head = f.read(HEAD_BYTES)
    return _classify(head, lambda: open(path, "rb"))


def _classify(head: bytes, opener: Callable[[], IO[bytes]]) -> str:
    if not head:
        raise UnsupportedFormatError("the document is empty (0 bytes)")
    if b"%PDF-" in head:
        return "pdf"
    if head.startswith(_ZIP):
        return _zip_kind(opener)
    if head.startswith(_EMPTY_ZIP):
        raise UnsupportedFormatError("found an empty ZIP archive, not a document")
    if head.startswith(_OLE):
        raise UnsupportedFormatError(
            "found a legacy OLE compound file (Word 97-2003 .doc, .xls or .ppt)",
            hint="convert it to .docx or PDF first (e.g. `libreoffice --convert-to docx`)",
        )
    text = _strip_bom(head).lstrip()
    if text.startswith(b"{\\rtf"):
        raise UnsupportedFormatError(
            "found an RTF document", hint="convert it to .docx or PDF first"
        )
    lowered = text[:64].lower()
    if lowered.startswith((b"<!doctype html", b"<html")) or _HTML_TAG.match(lowered):
        raise UnsupportedFormatError(
            "found an HTML page, not a document (often a login or error page saved in its place)",
            hint="download the document itself, not the page that links to it",
        )
    raise UnsupportedFormatError(f"unknown format; the file starts with {head[:16]!r}")


def _strip_bom(head: bytes) -> bytes:
    for bom in _BOMS:
        if head.startswith(bom):
            return head[len(bom) :]
    return head


def _zip_kind(opener: Callable[[], IO[bytes]]) -> str:
    try:
        with opener() as f, zipfile.ZipFile(f) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError) as e:
        raise UnsupportedFormatError(f"found a damaged ZIP archive ({e})") from e
    for marker, kind in _ZIP_MARKERS:
        if marker in names:
            if kind == "docx":
                return kind
            raise UnsupportedFormatError(f"found {kind}", hint="export it to PDF first")
    if "mimetype" in names:
        with opener() as f, zipfile.ZipFile(f) as archive, archive.open("mimetype") as m:
            mimetype = m.read(100).decode("ascii", "replace").strip()
        raise UnsupportedFormatError(
            f"found an OpenDocument/EPUB file ({mimetype})", hint="export it to PDF first"
        )
    raise UnsupportedFormatError("found a ZIP archive that is not a Word document")


__all__ = ["HEAD_BYTES", "detect_format", "detect_path"]
