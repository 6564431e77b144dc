"""Hostile PDFs: decompression bombs, deep nesting, xref and ``/Prev`` loops, page-tree
cycles, absurd ``/Count`` and lengths, floods of operators, broken fonts and CMaps.

Built with ``_pdfgen``'s writer; each generator returns the whole file. The one-page
skeleton is: 1 catalog, 2 page tree, 3 font ``/F1``, 4 page, 5 its content, 6+ extras.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from _adversarial import (
    Case,
    GiB,
    MiB,
    case,
    mutation_cases,
    nested_zeros_flate,
    repeated_flate,
    zeros_flate,
)
from _pdfgen import build_pdf, stream, text_content, write_pdf

MARK = "Adversarial marker text"
"""Text on the visible page of cases that keep one, so success can be checked."""

DEEP = 100_000
FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"


RECOVERS = frozenset(
    {
        # decompression bombs in parts the text does not need
        "tounicode-2x-1GiB",
        "fontfile2-2x-1GiB",
        "image-2x-1GiB",
        "form-xobject-2x-1GiB",
        "metadata-2x-1GiB",
        "object-stream-2x-1GiB",
        "xref-stream-2x-1GiB",
        # nesting beside the text
        "array-in-trailer",
        "array-operand",
        "dict-operand",
        "array-in-object-stream",
        "form-xobject-depth-10k",
        "form-xobject-self",
        "outline-depth-20k",
        "outline-next-cycle",
        "outline-first-cycle",
        "q-1M-unbalanced",
        "bt-1M-nested",
        # broken cross-reference data: the file is reconstructed
        "prev-self",
        "prev-two-cycle",
        "prev-huge",
        "prev-into-object",
        "prev-chain-1000",
        "xrefstm-self",
        "xref-stream-prev-self",
        "xref-stream-index-4e9",
        "xref-stream-w-huge",
        "xref-stream-w-negative",
        "xref-subsection-1e9",
        "startxref-points-at-object",
        "startxref-beyond-eof",
        "startxref-negative",
        "no-xref-reconstruct",
        "same-object-number-10k",
        "root-ref-cycle",
        # page trees whose real page is still reachable
        "kids-self-and-page",
        "count-1e9",
        "count-negative",
        "same-page-2k",
        "same-page-100k",
        "fanout-10x100",
        # absurd sizes on things the text does not need
        "dl-1e15",
        "image-1e6-square-tiny-data",
        "image-2e31-square",
        "image-dct-65535-square",
        "image-jpx-garbage",
        "image-jbig2-garbage",
        "inline-image-1e6-square",
        "string-in-dict-4MiB",
        # operator floods before the text (well under the deadline)
        "operands-4M-then-op",
        "restore-1M-unbalanced",
        "missing-xobject-1M",
        "unknown-operator-2M",
        "marked-content-1M-open",
        "inline-image-500k",
        # broken fonts other than the text's
        "tounicode-not-a-stream",
        "tounicode-is-a-name",
        "firstchar-absurd",
        "fontfile2-garbage",
        "fontfile3-garbage",
        "type3-singular-matrix",
        "font-dict-cycle",
    }
)
"""Cases whose :data:`MARK` page must still come out: the attack is somewhere the text
does not depend on, and the plugin is known to step around it."""


def pdf_case(
    category: str, name: str, make: Callable[[], bytes], expect: frozenset[str] | None = None
) -> Case:
    """A PDF case; those in :data:`RECOVERS` must succeed with the marker text."""
    if name in RECOVERS:
        return case(category, name, "pdf", make, expect={"ok"}, contains=MARK)
    return case(category, name, "pdf", make, expect=expect)


def one_page(
    content: bytes | None = None,
    *,
    content_obj: bytes | None = None,
    resources: bytes = b"<< /Font << /F1 3 0 R >> >>",
    page_extra: bytes = b"",
    extras: Sequence[bytes] = (),
    pages_obj: bytes | None = None,
    catalog: bytes = b"<< /Type /Catalog /Pages 2 0 R >>",
    font: bytes = FONT,
    trailer: bytes = b"/Root 1 0 R",
) -> bytes:
    """A one-page PDF with the given parts replaced; ``extras`` are objects 6, 7, ..."""
    body = content_obj if content_obj is not None else stream(b"", content or text_content(MARK))
    objects = [
        catalog,
        pages_obj or b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
        font,
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources "
        + resources
        + b" /Contents 5 0 R "
        + page_extra
        + b">>",
        body,
        *extras,
    ]
    return write_pdf(objects, trailer=trailer)


def flate_stream(entries: bytes, data: bytes, layers: int = 1) -> bytes:
    filters = b" ".join([b"/FlateDecode"] * layers)
    return stream(b"/Filter [" + filters + b"] " + entries, data)


def gib_bomb(entries: bytes = b"") -> bytes:
    """A stream object inflating to 1 GiB of zeros through two ``/FlateDecode`` filters
    (~2.4 KB in the file)."""
    return flate_stream(entries, nested_zeros_flate(GiB, 2), 2)


def flooded(unit: bytes, total: int, *, marker: bool = True) -> bytes:
    """A page whose content is ``unit`` repeated to about ``total`` bytes (flate-compressed,
    so the file stays small), then, in a second stream, the :data:`MARK` text."""
    flood = flate_stream(b"", repeated_flate(unit, total))
    if not marker:
        return one_page(content_obj=flood)
    return one_page(content_obj=b"[6 0 R 7 0 R]", extras=[flood, stream(b"", text_content(MARK))])


# -- decompression bombs ----------------------------------------------------------------


def _bomb_cases() -> Iterator[Case]:
    cat = "decompression-bomb"
    bombs: list[tuple[str, Callable[[], bytes]]] = [
        ("content-1x-1GiB", lambda: one_page(content_obj=flate_stream(b"", zeros_flate(GiB)))),
        (
            "content-2x-1GiB",
            lambda: one_page(content_obj=gib_bomb()),
        ),
        (
            "content-3x-10GiB",
            lambda: one_page(content_obj=flate_stream(b"", nested_zeros_flate(10 * GiB, 3), 3)),
        ),
        (
            "content-2x-4GiB",
            lambda: one_page(content_obj=flate_stream(b"", nested_zeros_flate(4 * GiB, 2), 2)),
        ),
        ("content-text-flood-512MiB", lambda: flooded(b"(lol) Tj ", 512 * MiB, marker=False)),
        (
            "content-array-of-streams",
            lambda: one_page(
                content_obj=b"[6 0 R 6 0 R 6 0 R 6 0 R 6 0 R 6 0 R 6 0 R 6 0 R]",
                extras=[gib_bomb()],
            ),
        ),
        (
            "tounicode-2x-1GiB",
            lambda: one_page(
                font=b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /ToUnicode 6 0 R >>",
                extras=[gib_bomb()],
            ),
        ),
        (
            "fontfile2-2x-1GiB",
            lambda: one_page(
                font=b"<< /Type /Font /Subtype /TrueType /BaseFont /Bomb /FontDescriptor 7 0 R"
                b" /FirstChar 32 /LastChar 126 >>",
                extras=[
                    gib_bomb(),
                    b"<< /Type /FontDescriptor /FontName /Bomb /Flags 32 /FontFile2 6 0 R >>",
                ],
            ),
        ),
        (
            "image-2x-1GiB",
            lambda: one_page(
                content=b"q 100 0 0 100 0 0 cm /Im1 Do Q " + text_content(MARK),
                resources=b"<< /Font << /F1 3 0 R >> /XObject << /Im1 6 0 R >> >>",
                extras=[
                    gib_bomb(
                        b"/Type /XObject /Subtype /Image /Width 32768 /Height 32768 "
                        b"/ColorSpace /DeviceGray /BitsPerComponent 8"
                    )
                ],
            ),
        ),
        (
            "form-xobject-2x-1GiB",
            lambda: one_page(
                content=b"/Fm1 Do " + text_content(MARK),
                resources=b"<< /Font << /F1 3 0 R >> /XObject << /Fm1 6 0 R >> >>",
                extras=[gib_bomb(b"/Type /XObject /Subtype /Form /BBox [0 0 612 792]")],
            ),
        ),
        (
            "metadata-2x-1GiB",
            lambda: one_page(
                catalog=b"<< /Type /Catalog /Pages 2 0 R /Metadata 6 0 R >>",
                extras=[gib_bomb(b"/Type /Metadata /Subtype /XML")],
            ),
        ),
        ("object-stream-2x-1GiB", _objstm_bomb),
        ("xref-stream-2x-1GiB", _xref_stream_bomb),
        ("runlength-flate", _runlength_bomb),
        ("same-bomb-on-50-pages", _bomb_on_many_pages),
        ("truncated-bomb", _truncated_bomb),
        ("bomb-page-beside-text", lambda: bomb_page_beside_text(2 * GiB)),
    ]
    for name, make in bombs:
        yield pdf_case(cat, name, make)
    # Refused as a whole: the bombs are all there is, or hold the page tree.
    refused = frozenset({"corrupt"})
    yield pdf_case(cat, "flate-bombs-on-8-pages", lambda: flate_bomb_pages(8, 256 * MiB), refused)
    yield pdf_case(cat, "object-stream-holding-the-pages", lambda: objstm_pages_bomb(GiB), refused)


def flate_bomb_pages(n: int, each: int) -> bytes:
    """``n`` pages, each drawing its own single-layer ``/FlateDecode`` stream of ``each``
    bytes of zeros (~1 KB in the file per MiB: 8 x 256 MiB is a 2 MB file)."""
    kids = b" ".join(b"%d 0 R" % (3 + 2 * i) for i in range(n))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % n,
    ]
    data = zeros_flate(each)
    for i in range(n):
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %d 0 R >>"
            % (4 + 2 * i)
        )
        objects.append(flate_stream(b"", data))
    return write_pdf(objects)


def bomb_page_beside_text(total: int) -> bytes:
    """Page 1 is one ``/FlateDecode`` stream of ``total`` zeros (2 GiB: a 2 MB file); page 2
    has the :data:`MARK` text."""
    return write_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [4 0 R 6 0 R] /Count 2 >>",
            FONT,
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 5 0 R >>",
            flate_stream(b"", zeros_flate(total)),
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents 7 0 R >>",
            stream(b"", text_content(MARK)),
        ]
    )


def objstm_pages_bomb(total: int) -> bytes:
    """The page tree and the page are only in an object stream whose data goes on with
    ``total`` bytes of zeros after them (1 GiB: a 1 MB file); the classic xref table lists
    the object stream alone."""
    tree = b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>\n"
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
    page += b"/Resources << /Font << /F1 3 0 R >> >> /Contents 5 0 R >>\n"
    objects = tree + page
    header = (b"2 0 4 %d" % len(tree)).ljust(32)
    data = repeated_flate(bytes(MiB), total, prefix=header + objects)
    return write_pdf(
        {
            1: b"<< /Type /Catalog /Pages 2 0 R >>",
            3: FONT,
            5: stream(b"", text_content(MARK)),
            6: flate_stream(b"/Type /ObjStm /N 2 /First 32", data),
        }
    )


def _objstm_bomb() -> bytes:
    return write_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
            FONT,
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents 5 0 R /Annots 7 0 R >>",
            stream(b"", text_content(MARK)),
            gib_bomb(b"/Type /ObjStm /N 1 /First 4"),
        ],
    )


def _xref_stream_bomb() -> bytes:
    head = one_page()
    offset = len(head)
    bomb = gib_bomb(b"/Type /XRef /Size 7 /W [1 4 2] /Root 1 0 R")
    return head + b"6 0 obj\n" + bomb + b"\nendobj\nstartxref\n%d\n%%%%EOF\n" % offset


def _runlength_bomb() -> bytes:
    # RunLength: byte 129 then one byte = 128 copies (64:1), then flate over it.
    inner = repeated_flate(b"\x81\x00", 16 * MiB)
    return one_page(
        content_obj=stream(b"/Filter [/FlateDecode /RunLengthDecode]", inner),
    )


def _bomb_on_many_pages() -> bytes:
    n = 50
    kids = b" ".join(b"%d 0 R" % (4 + i) for i in range(n))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % n,
        gib_bomb(),
    ]
    objects += [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 3 0 R >>"] * n
    return write_pdf(objects)


def _truncated_bomb() -> bytes:
    data = zeros_flate(256 * MiB)
    return one_page(content_obj=flate_stream(b"", data[: len(data) // 2]))


# -- nesting ----------------------------------------------------------------------------


def _nesting_cases() -> Iterator[Case]:
    cat = "deep-nesting"
    arr = b"[" * DEEP + b"]" * DEEP
    dic = b"<< /A " * DEEP + b"1" + b" >>" * DEEP
    mixed = b"[<< /A " * (DEEP // 2) + b"1" + b" >>]" * (DEEP // 2)
    parens = b"(" + b"(" * DEEP + b")" * DEEP + b")"
    items: list[tuple[str, Callable[[], bytes]]] = [
        ("array-in-page-dict", lambda: one_page(page_extra=b"/Deep " + arr)),
        ("dict-in-page-dict", lambda: one_page(page_extra=b"/Deep " + dic)),
        (
            "mixed-in-catalog",
            lambda: one_page(catalog=b"<< /Type /Catalog /Pages 2 0 R /X " + mixed + b" >>"),
        ),
        ("array-in-trailer", lambda: one_page(trailer=b"/Root 1 0 R /Deep " + arr)),
        (
            "dict-in-resources",
            lambda: one_page(resources=b"<< /Font << /F1 3 0 R >> /X " + dic + b" >>"),
        ),
        ("unclosed-arrays", lambda: one_page(page_extra=b"/Deep " + b"[" * DEEP)),
        ("unclosed-dicts", lambda: one_page(page_extra=b"/Deep " + b"<< /A " * DEEP)),
        (
            "array-operand",
            lambda: one_page(content=b"BT /F1 12 Tf " + arr + b" TJ ET " + text_content(MARK)),
        ),
        (
            "dict-operand",
            lambda: one_page(content=b"/P " + dic + b" BDC EMC " + text_content(MARK)),
        ),
        ("nested-parens-string", lambda: one_page(content=b"BT /F1 12 Tf " + parens + b" Tj ET")),
        ("array-in-object-stream", lambda: _in_objstm(arr)),
        ("ref-chain-20k", _ref_chain),
        ("form-xobject-depth-10k", _form_chain),
        ("form-xobject-self", _form_self),
        ("form-xobject-fanout-10x10", _form_fanout),
        ("outline-depth-20k", _outline_deep),
        ("outline-next-cycle", lambda: _outline_cycle(b"/Next")),
        ("outline-first-cycle", lambda: _outline_cycle(b"/First")),
        ("q-1M-unbalanced", lambda: flooded(b"q ", 2 * MiB)),
        ("bt-1M-nested", lambda: flooded(b"BT ", 3 * MiB)),
    ]
    for name, make in items:
        yield pdf_case(cat, name, make)


def _in_objstm(value: bytes) -> bytes:
    body = b"6 0 " + value
    return one_page(
        page_extra=b"/Deep 6 0 R",
        extras=[stream(b"/Type /ObjStm /N 1 /First 4", body)],
    )


def _ref_chain() -> bytes:
    n = 20_000
    extras = [b"%d 0 R" % (7 + i) for i in range(n)] + [b"<< /Font << /F1 3 0 R >> >>"]
    return one_page(resources=b"6 0 R", extras=extras)


def _form_chain() -> bytes:
    n = 10_000
    extras = [
        stream(
            b"/Type /XObject /Subtype /Form /BBox [0 0 612 792] "
            b"/Resources << /XObject << /X %d 0 R >> >>" % (7 + i),
            b"/X Do",
        )
        for i in range(n)
    ]
    extras.append(stream(b"/Type /XObject /Subtype /Form /BBox [0 0 612 792]", b""))
    return one_page(
        content=b"/X Do " + text_content(MARK),
        resources=b"<< /Font << /F1 3 0 R >> /XObject << /X 6 0 R >> >>",
        extras=extras,
    )


def _form_self() -> bytes:
    return one_page(
        content=b"/X Do " + text_content(MARK),
        resources=b"<< /Font << /F1 3 0 R >> /XObject << /X 6 0 R >> >>",
        extras=[
            stream(
                b"/Type /XObject /Subtype /Form /BBox [0 0 612 792] "
                b"/Resources << /XObject << /X 6 0 R >> /Font << /F1 3 0 R >> >>",
                b"/X Do BT /F1 12 Tf (loop) Tj ET /X Do",
            )
        ],
    )


def _form_fanout() -> bytes:
    # Form i draws form i+1 ten times: 10^10 draws of the last one, which shows text.
    levels = 10
    extras = []
    for i in range(levels):
        extras.append(
            stream(
                b"/Type /XObject /Subtype /Form /BBox [0 0 612 792] "
                b"/Resources << /XObject << /X %d 0 R >> >>" % (7 + i),
                b"/X Do " * 10,
            )
        )
    extras.append(
        stream(
            b"/Type /XObject /Subtype /Form /BBox [0 0 612 792] "
            b"/Resources << /Font << /F1 3 0 R >> >>",
            b"BT /F1 12 Tf (lol) Tj ET",
        )
    )
    return one_page(
        content=b"/X Do " + text_content(MARK),
        resources=b"<< /Font << /F1 3 0 R >> /XObject << /X 6 0 R >> >>",
        extras=extras,
    )


def _outline_deep() -> bytes:
    n = 20_000
    extras = [b"<< /Type /Outlines /First 7 0 R /Last 7 0 R /Count %d >>" % n]
    for i in range(n):
        num = 7 + i
        child = b" /First %d 0 R /Last %d 0 R /Count 1" % (num + 1, num + 1) if i < n - 1 else b""
        extras.append(
            b"<< /Title (level %d) /Parent %d 0 R /Dest [4 0 R /Fit]" % (i, num - 1)
            + child
            + b" >>"
        )
    return one_page(catalog=b"<< /Type /Catalog /Pages 2 0 R /Outlines 6 0 R >>", extras=extras)


def _outline_cycle(key: bytes) -> bytes:
    return one_page(
        catalog=b"<< /Type /Catalog /Pages 2 0 R /Outlines 6 0 R >>",
        extras=[
            b"<< /Type /Outlines /First 7 0 R /Last 8 0 R /Count 2 >>",
            b"<< /Title (a) /Parent 6 0 R " + key + b" 8 0 R /Dest [4 0 R /Fit] >>",
            b"<< /Title (b) /Parent 6 0 R " + key + b" 7 0 R /Dest [4 0 R /Fit] >>",
        ],
    )


# -- xref tables, /Prev chains, object references ---------------------------------------


def _update(base: bytes, objects: dict[int, bytes], trailer: bytes, prev_at: int | None) -> bytes:
    """``base`` plus an incremental update redefining ``objects``; its trailer gets
    ``trailer`` and ``/Prev`` to ``prev_at`` (``None``: the update's own xref offset)."""
    out = bytearray(base)
    offsets = {}
    for num, body in sorted(objects.items()):
        offsets[num] = len(out)
        out += b"%d 0 obj\n" % num + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 1\n0000000000 65535 f \n"
    for num, off in sorted(offsets.items()):
        out += b"%d 1\n%010d 00000 n \n" % (num, off)
    prev = xref if prev_at is None else prev_at
    out += b"trailer\n<< /Size 20 /Root 1 0 R /Prev %d " % prev + trailer + b">>\n"
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def _last_startxref(pdf: bytes) -> int:
    return int(pdf[pdf.rindex(b"startxref") + 9 :].split()[0])


def _prev_cycle() -> bytes:
    base = one_page()
    a = _update(base, {6: b"(a)"}, b"", 0)
    a_xref = _last_startxref(a)
    b = _update(a, {7: b"(b)"}, b"", a_xref)
    b_xref = _last_startxref(b)
    # point A's /Prev at B (same width, so offsets stay valid)
    marker = b"/Prev %d " % 0
    patched = b"/Prev %d" % b_xref
    i = b.index(marker, len(base))
    return b[:i] + patched.ljust(len(marker)) + b[i + len(marker) :]


def _prev_chain(n: int) -> bytes:
    pdf = one_page(text_content("superseded"))
    for i in range(n):
        body = stream(b"", text_content(MARK if i == n - 1 else f"update {i}"))
        pdf = _update(pdf, {5: body}, b"", _last_startxref(pdf))
    return pdf


def _xref_stream_pdf(w: bytes, index: bytes, *, prev_self: bool = False) -> bytes:
    head = one_page()
    offset = len(head)
    rows = b"".join(b"\x01" + (i * 100).to_bytes(4, "big") + b"\x00\x00" for i in range(7))
    extra = b" /Prev %d" % offset if prev_self else b""
    obj = stream(
        b"/Type /XRef /Size 7 /W " + w + b" /Index " + index + b" /Root 1 0 R" + extra, rows
    )
    return head + b"6 0 obj\n" + obj + b"\nendobj\nstartxref\n%d\n%%%%EOF\n" % offset


def _no_xref() -> bytes:
    pdf = one_page()
    return pdf[: pdf.index(b"xref\n")] + b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"


def _same_number_10k() -> bytes:
    pdf = one_page()
    body = pdf[: pdf.index(b"xref\n")]
    junk = b"".join(
        b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R /N %d >>\nendobj\n" % i for i in range(10_000)
    )
    return body + junk + b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"


def _xref_cases() -> Iterator[Case]:
    cat = "xref-loop"
    base = one_page
    items: list[tuple[str, Callable[[], bytes]]] = [
        ("prev-self", lambda: _update(base(), {6: b"(x)"}, b"", None)),
        ("prev-two-cycle", _prev_cycle),
        ("prev-huge", lambda: _update(base(), {6: b"(x)"}, b"", 10**15)),
        ("prev-into-object", lambda: _update(base(), {6: b"(x)"}, b"", 20)),
        ("prev-chain-1000", lambda: _prev_chain(1000)),
        ("xrefstm-self", lambda: _update(base(), {6: b"(x)"}, b"/XRefStm 0 ", None)),
        ("xref-stream-prev-self", lambda: _xref_stream_pdf(b"[1 4 2]", b"[0 7]", prev_self=True)),
        ("xref-stream-index-4e9", lambda: _xref_stream_pdf(b"[1 4 2]", b"[0 4000000000]")),
        ("xref-stream-w-huge", lambda: _xref_stream_pdf(b"[255 255 255]", b"[0 7]")),
        ("xref-stream-w-negative", lambda: _xref_stream_pdf(b"[-1 4 2]", b"[0 7]")),
        ("xref-subsection-1e9", _xref_subsection_huge),
        ("startxref-points-at-object", lambda: _startxref(base(), 15)),
        ("startxref-beyond-eof", lambda: _startxref(base(), 10**12)),
        ("startxref-negative", lambda: _startxref(base(), -1)),
        ("no-xref-reconstruct", _no_xref),
        ("same-object-number-10k", _same_number_10k),
        ("object-is-its-own-ref", lambda: one_page(content_obj=b"5 0 R")),
        ("resources-ref-cycle", lambda: one_page(resources=b"6 0 R", extras=[b"7 0 R", b"6 0 R"])),
        ("root-ref-cycle", lambda: one_page(trailer=b"/Root 6 0 R", extras=[b"7 0 R", b"6 0 R"])),
        ("generation-65535", lambda: one_page(content_obj=b"5 65535 R")),
        (
            "object-number-2e31",
            lambda: one_page(page_extra=b"/X 2147483648 0 R /Y 99999999999 0 R"),
        ),
        (
            "bogus-encrypt",
            lambda: one_page(trailer=b"/Root 1 0 R /Encrypt << /Filter /Nope /V 99 >>"),
        ),
    ]
    for name, make in items:
        yield pdf_case(cat, name, make)


def _startxref(pdf: bytes, offset: int) -> bytes:
    return pdf[: pdf.rindex(b"startxref")] + b"startxref\n%d\n%%%%EOF\n" % offset


def _xref_subsection_huge() -> bytes:
    pdf = one_page()
    i = pdf.index(b"xref\n0 ")
    j = pdf.index(b"\n", i + 5)
    return pdf[: i + 5] + b"0 1000000000" + pdf[j:]


# -- page trees -------------------------------------------------------------------------


def _pages(kids: bytes, count: bytes) -> bytes:
    return b"<< /Type /Pages /Kids [" + kids + b"] /Count " + count + b" >>"


def _tree_deep(n: int) -> bytes:
    # 2 -> 6 -> 7 -> ... -> page 4
    extras = []
    for i in range(n):
        num = 6 + i
        parent = 2 if i == 0 else num - 1
        kid = b"4 0 R" if i == n - 1 else b"%d 0 R" % (num + 1)
        extras.append(b"<< /Type /Pages /Parent %d 0 R /Kids [%s] /Count 1 >>" % (parent, kid))
    return one_page(pages_obj=_pages(b"6 0 R", b"1"), extras=extras)


def _fanout(nodes: int, per: int) -> bytes:
    kids = b" ".join(b"%d 0 R" % (6 + i) for i in range(nodes))
    extras = [_pages(b"4 0 R " * per, b"%d" % per) for _ in range(nodes)]
    return one_page(pages_obj=_pages(kids, b"%d" % (nodes * per)), extras=extras)


def _page_tree_cases() -> Iterator[Case]:
    cat = "page-tree"
    p = one_page
    no_inherit = b"<< /Type /Page /Parent 6 0 R /Contents 5 0 R >>"  # MediaBox, Resources inherited
    items: list[tuple[str, Callable[[], bytes], frozenset[str] | None]] = [
        ("kids-self", lambda: p(pages_obj=_pages(b"2 0 R", b"1")), None),
        ("kids-self-and-page", lambda: p(pages_obj=_pages(b"2 0 R 4 0 R", b"2")), None),
        (
            "two-node-cycle",
            lambda: p(pages_obj=_pages(b"6 0 R", b"1"), extras=[_pages(b"2 0 R", b"1")]),
            None,
        ),
        ("count-1e9", lambda: p(pages_obj=_pages(b"4 0 R", b"1000000000")), None),
        ("count-1e9-no-kids", lambda: p(pages_obj=_pages(b"", b"1000000000")), None),
        ("count-negative", lambda: p(pages_obj=_pages(b"4 0 R", b"-5")), None),
        ("count-2e64", lambda: p(pages_obj=_pages(b"4 0 R", b"36893488147419103232")), None),
        ("count-float", lambda: p(pages_obj=_pages(b"4 0 R", b"1e308")), None),
        (
            "same-page-100k",
            lambda: p(pages_obj=_pages(b"4 0 R " * 100_000, b"100000")),
            None,
        ),
        ("same-page-2k", lambda: p(pages_obj=_pages(b"4 0 R " * 2000, b"2000")), None),
        ("fanout-10x100", lambda: _fanout(10, 100), None),
        ("depth-10k", lambda: _tree_deep(10_000), None),
        ("kids-to-catalog", lambda: p(pages_obj=_pages(b"1 0 R", b"1")), None),
        ("kids-not-array", lambda: p(pages_obj=b"<< /Type /Pages /Kids 4 0 R /Count 1 >>"), None),
        ("kids-missing", lambda: p(pages_obj=b"<< /Type /Pages /Count 1 >>"), None),
        ("catalog-without-pages", lambda: p(catalog=b"<< /Type /Catalog >>"), None),
        ("pages-is-a-page", lambda: p(pages_obj=b"<< /Type /Page /Kids [4 0 R] /Count 1 >>"), None),
        (
            "inheritance-parent-cycle",
            lambda: write_pdf(
                [
                    b"<< /Type /Catalog /Pages 2 0 R >>",
                    _pages(b"4 0 R", b"1"),
                    FONT,
                    no_inherit,
                    stream(b"", text_content(MARK)),
                    b"<< /Type /Pages /Parent 6 0 R /Kids [4 0 R] /Count 1 >>",
                ]
            ),
            None,
        ),
    ]
    for name, make, expect in items:
        yield pdf_case(cat, name, make, expect)


# -- generated seeds, mutated -----------------------------------------------------------


SEEDS: dict[str, Callable[[], bytes]] = {
    "generated:agenda.pdf": lambda: build_pdf(
        [
            "CALL TO ORDER\nROLL CALL\nPUBLIC COMMENT",
            "CONSENT CALENDAR\nItem 5.A minutes",
            "ADJOURN",
        ],
        title="Council Agenda",
    ),
    "generated:one-line.pdf": lambda: build_pdf([MARK]),
}


def cases() -> list[Case]:
    """Every generated PDF case."""
    import _adversarial_pdf_content

    out = [
        *_bomb_cases(),
        *_nesting_cases(),
        *_xref_cases(),
        *_page_tree_cases(),
        *_adversarial_pdf_content.cases(),
    ]
    unknown = RECOVERS - {c.name.rsplit("/", 1)[1] for c in out}
    if unknown:
        raise AssertionError(f"RECOVERS names no case: {sorted(unknown)}")
    for label, make in SEEDS.items():
        out.extend(mutation_cases("pdf", label, make, len(make())))
    return out
