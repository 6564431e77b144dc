"""Magic bytes -> format name.

Only the formats installed plugins handle are returned (their signatures come from
:mod:`conductor._formats`); anything else raises ``UnsupportedFormatError`` naming what was
found, so the message tells the user what the file really is (a Word 97 ``.doc``, an HTML
error page saved as ``.pdf``, ...).
"""

from __future__ import annotations

import io
import os
import re
import zipfile
from collections.abc import Callable, Iterable
from typing import IO, NoReturn

from ._errors import UnsupportedFormatError
from ._formats import DOCX, PDF, FormatSpec

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
    ("word/document.xml", "a Word document (.docx), and no DOCX plugin is installed"),
    ("xl/workbook.xml", "an Excel workbook (.xlsx)"),
    ("ppt/presentation.xml", "a PowerPoint presentation (.pptx)"),
    ("visio/document.xml", "a Visio drawing (.vsdx)"),
)


class Detector:
    """Recognises the formats some plugin handles, from the signatures they declare.

    Magic bytes decide first: every signature of every format is tried, and when several
    formats match, the one whose best plugin has the highest priority wins, then the
    longest signature. Then come files the host recognises itself only to say what they
    are (a Word 97 ``.doc``, an RTF file). Last, the Content-Type and the file extension are
    hints, used only for formats that declare no signature of their own (plain text) or
    that trust hints (HTML, whose fragments start with anything): a hint never overrides
    bytes, so a ``.pdf`` that does not start like a PDF is reported as what it is rather
    than handed to the PDF plugin.

    :param formats: each format with the priority of the best plugin handling it.
    """

    def __init__(self, formats: Iterable[tuple[FormatSpec, int]]) -> None:
        self._formats = list(formats)
        ends = [sig.end for spec, _ in self._formats for sig in spec.magic]
        self.head_bytes = max([HEAD_BYTES, *ends])
        self._zip = any(sig.zip_member for spec, _ in self._formats for sig in spec.magic)

    @property
    def formats(self) -> list[str]:
        """The formats this detector can return, sorted."""
        return sorted(spec.name for spec, _ in self._formats)

    def detect(
        self, data: bytes, *, media_type: str | None = None, filename: str | None = None
    ) -> str:
        """The format of the document ``data``.

        :param media_type: its Content-Type, if known (a hint).
        :param filename: its file or URL name, if known (its extension is a hint).
        :raises UnsupportedFormatError: for empty input and every format no plugin
            handles, naming what was found.
        """
        return self._classify(
            data[: self.head_bytes], lambda: io.BytesIO(data), media_type, filename
        )

    def detect_path(
        self,
        path: str | os.PathLike[str],
        *,
        media_type: str | None = None,
        filename: str | None = None,
    ) -> str:
        """Like :meth:`detect` for a file, reading only its head and ZIP directory; the
        path is the extension hint unless ``filename`` is given."""
        with open(path, "rb") as f:
            head = f.read(self.head_bytes)
        name = filename if filename is not None else os.fspath(path)
        return self._classify(head, lambda: open(path, "rb"), media_type, name)

    def _classify(
        self,
        head: bytes,
        opener: Callable[[], IO[bytes]],
        media_type: str | None,
        filename: str | None,
    ) -> str:
        try:
            return self._classify_head(head, opener, media_type, filename)
        except UnsupportedFormatError as e:
            if e.hint == UnsupportedFormatError.default_hint:
                # Say what *this* installation can extract, not a fixed list.
                e.hint = (
                    f"the installed plugins extract: {', '.join(self.formats) or 'nothing'}; "
                    "`conductor plugins` lists them, docs/plugins.md says how to add one"
                )
            raise

    def _classify_head(
        self,
        head: bytes,
        opener: Callable[[], IO[bytes]],
        media_type: str | None,
        filename: str | None,
    ) -> str:
        if not head:
            raise UnsupportedFormatError("the document is empty (0 bytes)")
        members = _zip_members(opener) if head.startswith(_ZIP) else None
        best: tuple[int, int, int] | None = None
        found = None
        for order, (spec, priority) in enumerate(self._formats):
            for sig in spec.magic:
                if sig.matches(head, members):
                    rank = (priority, sig.strength, -order)
                    if best is None or rank > best:
                        best, found = rank, spec.name
        if found is not None:
            return found
        _refuse_known(head, members)
        hinted = self._hinted(media_type, filename)
        if hinted is not None:
            return hinted
        _refuse_page_or_unknown(head, html_plugin=any(s.name == "html" for s, _ in self._formats))

    def _hinted(self, media_type: str | None, filename: str | None) -> str | None:
        unsigned = [(s, p) for s, p in self._formats if s.trust_hints or not s.magic]
        mtype = (media_type or "").split(";", 1)[0].strip().lower()
        ext = _extension(filename)
        for wanted, attr in ((mtype, "media_types"), (ext, "extensions")):
            if not wanted:
                continue
            claims = [(p, s.name) for s, p in unsigned if wanted in getattr(s, attr)]
            if claims:
                return max(claims, key=lambda c: c[0])[1]
        return None


def _extension(filename: str | None) -> str:
    if not filename:
        return ""
    # URLs and paths alike: the last segment, without query or fragment.
    last = filename.split("?", 1)[0].split("#", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    stem, dot, ext = last.rpartition(".")
    return ext.lower() if dot and stem else ""


BUILTIN = Detector([(PDF, 0), (DOCX, 0)])
"""Recognises the built-in formats only: what the downloader counts as a document."""


def detect_format(data: bytes) -> str:
    """Returns ``"pdf"`` or ``"docx"`` for the document ``data`` (built-in formats only).

    :raises UnsupportedFormatError: for empty input and every other format, naming it.
    """
    return BUILTIN.detect(data)


def detect_path(path: str | os.PathLike[str]) -> str:
    """Like :func:`detect_format` for a file, reading only its head and ZIP directory."""
    return BUILTIN.detect_path(path)


def _zip_members(opener: Callable[[], IO[bytes]]) -> frozenset[str] | None:
    try:
        with opener() as f, zipfile.ZipFile(f) as archive:
            return frozenset(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return None


def _refuse_known(head: bytes, members: frozenset[str] | None) -> None:
    """Raises for files recognised only to say what they are; returns for the rest."""
    if head.startswith(_ZIP):
        _refuse_zip(members)
    if head.startswith(_EMPTY_ZIP):
        raise UnsupportedFormatError("found an empty ZIP archive, not a document")
    if head.startswith(_OLE):
        raise UnsupportedFormatError(
            "found a legacy OLE compound file (Word 97-2003 .doc, .xls or .ppt)",
            hint="convert it to .docx or PDF first (e.g. `libreoffice --convert-to docx`)",
        )
    if _strip_bom(head).lstrip().startswith(b"{\\rtf"):
        raise UnsupportedFormatError(
            "found an RTF document", hint="convert it to .docx or PDF first"
        )


def _refuse_page_or_unknown(head: bytes, *, html_plugin: bool) -> NoReturn:
    lowered = _strip_bom(head).lstrip()[:64].lower()
    looks_html = lowered.startswith((b"<!doctype html", b"<html")) or _HTML_TAG.match(lowered)
    if looks_html and html_plugin:
        raise UnsupportedFormatError(
            "found what looks like an HTML fragment, but it matches none of the HTML "
            "plugin's signatures",
            hint="name it .html, pass its Content-Type, or choose the format (format='html')",
        )
    if looks_html:
        raise UnsupportedFormatError(
            "found an HTML page, not a document (often a login or error page saved in its "
            "place), and no HTML plugin is installed",
            hint="download the document itself, not the page that links to it; or install "
            "the HTML plugin (docs/plugins.md) to extract pages",
        )
    raise UnsupportedFormatError(f"unknown format; the file starts with {head[:16]!r}")


def _strip_bom(head: bytes) -> bytes:
    for bom in _BOMS:
        if head.startswith(bom):
            return head[len(bom) :]
    return head


def _refuse_zip(members: frozenset[str] | None) -> None:
    if members is None:
        raise UnsupportedFormatError("found a damaged ZIP archive")
    for marker, kind in _ZIP_MARKERS:
        if marker in members:
            raise UnsupportedFormatError(f"found {kind}", hint="export it to PDF first")
    if "mimetype" in members:
        raise UnsupportedFormatError(
            "found an OpenDocument/EPUB file", hint="export it to PDF first"
        )
    raise UnsupportedFormatError("found a ZIP archive that is not a Word document")


__all__ = ["BUILTIN", "HEAD_BYTES", "Detector", "detect_format", "detect_path"]
