"""Small PDFs generated in pure Python, so core behaviour is tested without the corpus.

:func:`build_pdf` makes a valid text PDF; :func:`write_pdf` and :func:`stream` are the
writer under it, also used by ``tests/_adversarial.py`` to assemble hostile files object
by object.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def pdf_string(text: str) -> bytes:
    """``text`` as a PDF literal string, with ``\\``, ``(`` and ``)`` escaped."""
    escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    return b"(" + escaped.encode("latin-1") + b")"


def stream(entries: bytes, data: bytes, *, length: int | bytes | None = None) -> bytes:
    """A stream object body: ``<< entries /Length n >> stream ... endstream``.

    :param length: the declared ``/Length`` (an int, or raw bytes such as ``b"9 0 R"``);
        by default the real length of ``data``.
    """
    declared = b"%d" % len(data) if length is None else length
    if isinstance(declared, int):
        declared = b"%d" % declared
    head = b"<< " + (entries + b" " if entries else b"") + b"/Length " + declared + b" >>"
    return head + b"\nstream\n" + data + b"\nendstream"


def write_pdf(
    objects: Sequence[bytes] | Mapping[int, bytes],
    *,
    trailer: bytes = b"/Root 1 0 R",
    version: bytes = b"1.4",
) -> bytes:
    """A PDF file of ``objects`` with an exact classic xref table.

    :param objects: bodies numbered from 1 (a sequence), or by number (a mapping; numbers
        may have gaps, which the xref lists as free).
    :param trailer: the trailer dictionary's entries, ``/Size`` excepted (added here).
    """
    numbered = dict(enumerate(objects, start=1)) if not isinstance(objects, Mapping) else objects
    out = bytearray(b"%PDF-" + version + b"\n%\xe2\xe3\xcf\xd3\n")
    offsets: dict[int, int] = {}
    for number in sorted(numbered):
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + numbered[number] + b"\nendobj\n"
    size = max(offsets, default=0) + 1
    xref = len(out)
    out += b"xref\n0 %d\n" % size
    for number in range(size):
        if number in offsets:
            out += b"%010d 00000 n \n" % offsets[number]
        else:
            out += b"0000000000 65535 f \n"
    out += b"trailer\n<< /Size %d " % size + trailer + b" >>\n"
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def text_content(text: str) -> bytes:
    """A content stream's operators: one Helvetica (``/F1``) line per line of ``text``."""
    ops = [b"BT /F1 12 Tf 14 TL 72 720 Td"]
    for j, line in enumerate(text.split("\n")):
        ops.append((b"T* " if j else b"") + pdf_string(line) + b" Tj")
    ops.append(b"ET")
    return b"\n".join(ops)


def build_pdf(pages: list[str], *, title: str | None = None) -> bytes:
    """A small valid PDF: one Helvetica text line per input line on each page.

    Objects: 1 catalog, 2 page tree, 3 font, then a page and a content stream per page,
    and an Info dictionary when ``title`` is given; the xref offsets are exact.
    """
    objects: list[bytes] = []
    n = len(pages)
    page_ids = [4 + 2 * i for i in range(n)]
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    kids = b" ".join(b"%d 0 R" % pid for pid in page_ids)
    objects.append(b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % n)
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    for i, text in enumerate(pages):
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % (page_ids[i] + 1)
        )
        objects.append(stream(b"", text_content(text)))
    trailer = b"/Root 1 0 R"
    if title is not None:
        objects.append(b"<< /Title " + pdf_string(title) + b" >>")
        trailer += b" /Info %d 0 R" % len(objects)
    return write_pdf(objects, trailer=trailer)
