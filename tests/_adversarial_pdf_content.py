"""Hostile PDF content: absurd declared lengths and sizes, floods of operators, broken
fonts and CMaps. The one-page skeleton and the file structure attacks are in
``_adversarial_pdf``."""

from __future__ import annotations

import functools
import random
import zlib
from collections.abc import Callable, Iterator, Sequence

from _adversarial import Case, MiB, repeated_flate
from _adversarial_pdf import MARK, flate_stream, flooded, one_page, pdf_case
from _pdfgen import stream, text_content

# -- declared lengths and sizes ---------------------------------------------------------


def _image_page(entries: bytes, data: bytes) -> bytes:
    return one_page(
        content=b"q 100 0 0 100 0 0 cm /Im1 Do Q " + text_content(MARK),
        resources=b"<< /Font << /F1 3 0 R >> /XObject << /Im1 6 0 R >> >>",
        extras=[stream(b"/Type /XObject /Subtype /Image " + entries, data)],
    )


def _jpeg_header(width: int, height: int) -> bytes:
    sof = b"\xff\xc0\x00\x11\x08" + height.to_bytes(2, "big") + width.to_bytes(2, "big")
    sof += b"\x03\x01\x22\x00\x02\x11\x01\x03\x11\x01"
    return (
        b"\xff\xd8" + sof + b"\xff\xda\x00\x0c\x03\x01\x00\x02\x11\x03\x11\x00\x3f\x00" + bytes(64)
    )


OPERAND_FLOODS: list[tuple[str, bytes, int, bytes, bytes]] = [
    ("string-operand-64MiB", b"A", 64 * MiB, b"BT /F1 12 Tf (", b") Tj ET"),
    ("hex-string-operand-64MiB", b"41", 64 * MiB, b"BT /F1 12 Tf <", b"> Tj ET"),
    ("name-operand-16MiB", b"N", 16 * MiB, b"BT /", b" 12 Tf (x) Tj ET"),
    ("number-operand-16MiB", b"9", 16 * MiB, b"BT /F1 ", b" Tf (x) Tj ET"),
]
"""One content-stream operand of absurd size: ``(name, unit, size, before, after)``."""


def _operand_flood(unit: bytes, total: int, before: bytes, after: bytes) -> bytes:
    data = repeated_flate(unit, total, prefix=before, suffix=after)
    return one_page(content_obj=flate_stream(b"", data))


def _length_cases() -> Iterator[Case]:
    cat = "huge-length"
    content = text_content(MARK)
    items: list[tuple[str, Callable[[], bytes]]] = [
        ("length-1e12", lambda: one_page(content_obj=stream(b"", content, length=10**12))),
        ("length-negative", lambda: one_page(content_obj=stream(b"", content, length=-1))),
        (
            "length-2e64",
            lambda: one_page(content_obj=stream(b"", content, length=b"18446744073709551617")),
        ),
        (
            "length-ref-huge",
            lambda: one_page(
                content_obj=stream(b"", content, length=b"6 0 R"), extras=[b"999999999999999"]
            ),
        ),
        ("length-ref-self", lambda: one_page(content_obj=stream(b"", content, length=b"5 0 R"))),
        (
            "length-beyond-eof",
            lambda: one_page(content_obj=stream(b"", content, length=len(content) + 10_000)),
        ),
        (
            "length-missing",
            lambda: one_page(content_obj=b"<< >>\nstream\n" + content + b"\nendstream"),
        ),
        ("dl-1e15", lambda: one_page(content_obj=stream(b"/DL 1000000000000000", content))),
        (
            "image-1e6-square-tiny-data",
            lambda: _image_page(
                b"/Width 1000000 /Height 1000000 /ColorSpace /DeviceRGB /BitsPerComponent 8 "
                b"/Filter /FlateDecode",
                zlib.compress(bytes(100)),
            ),
        ),
        (
            "image-2e31-square",
            lambda: _image_page(
                b"/Width 2147483647 /Height 2147483647 /ColorSpace /DeviceCMYK /BitsPerComponent "
                b"16",
                bytes(16),
            ),
        ),
        (
            "image-dct-65535-square",
            lambda: _image_page(
                b"/Width 65535 /Height 65535 /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter "
                b"/DCTDecode",
                _jpeg_header(65535, 65535),
            ),
        ),
        (
            "image-jpx-garbage",
            lambda: _image_page(
                b"/Width 50000 /Height 50000 /Filter /JPXDecode", random.Random(1).randbytes(4096)
            ),
        ),
        (
            "image-jbig2-garbage",
            lambda: _image_page(
                b"/Width 50000 /Height 50000 /BitsPerComponent 1 /Filter /JBIG2Decode",
                random.Random(2).randbytes(4096),
            ),
        ),
        (
            "predictor-columns-1e9",
            lambda: one_page(
                content_obj=stream(
                    b"/Filter /FlateDecode /DecodeParms << /Predictor 15 /Columns 1000000000 "
                    b"/Colors 4 /BitsPerComponent 16 >>",
                    zlib.compress(bytes(4096)),
                )
            ),
        ),
        (
            "inline-image-1e6-square",
            lambda: one_page(
                content=b"BI /W 1000000 /H 1000000 /CS /RGB /BPC 8 ID \x00\x00\x00 EI " + content
            ),
        ),
        ("string-in-dict-4MiB", lambda: one_page(page_extra=b"/Big (" + b"A" * (4 * MiB) + b")")),
    ]
    for name, unit, total, before, after in OPERAND_FLOODS:
        yield pdf_case(cat, name, functools.partial(_operand_flood, unit, total, before, after))
    for name, make in items:
        yield pdf_case(cat, name, make)


# -- floods of operators ----------------------------------------------------------------


def _operator_cases() -> Iterator[Case]:
    cat = "operator-flood"
    f = flooded
    items: list[tuple[str, Callable[[], bytes]]] = [
        ("moveto-5M", lambda: f(b"0 0 m ", 30 * MiB)),
        ("show-text-2M", lambda: f(b"BT /F1 12 Tf (ab) Tj ET ", 48 * MiB)),
        (
            "next-line-show-1M",
            lambda: one_page(
                content_obj=flate_stream(
                    b"",
                    repeated_flate(
                        b"(line) ' ",
                        9 * MiB,
                        prefix=b"BT /F1 12 Tf 14 TL 72 720 Td ",
                        suffix=b" ET",
                    ),
                )
            ),
        ),
        ("tj-kerning-1M", lambda: f(b"BT /F1 12 Tf [(a) -250 (b)] TJ ET ", 32 * MiB)),
        ("operands-4M-then-op", lambda: f(b"1 ", 8 * MiB)),
        ("restore-1M-unbalanced", lambda: f(b"Q ", 2 * MiB)),
        ("unknown-font-1M", lambda: f(b"BT /F9 12 Tf (x) Tj ET ", 24 * MiB)),
        ("missing-xobject-1M", lambda: f(b"/Nope Do ", 9 * MiB)),
        ("unknown-operator-2M", lambda: f(b"foo ", 8 * MiB)),
        ("marked-content-1M-open", lambda: f(b"/P BMC ", 7 * MiB)),
        ("inline-image-500k", lambda: f(b"BI /W 1 /H 1 /BPC 8 /CS /G ID \x00 EI ", 16 * MiB)),
        (
            "extreme-matrices",
            lambda: f(
                b"1e38 0 0 1e38 1e38 -1e38 cm BT /F1 1e30 Tf 1e30 Tz 1e30 TL (x) ' ET ", 4 * MiB
            ),
        ),
        (
            "nan-inf-operands",
            lambda: one_page(
                content=b"BT /F1 1e400 Tf nan inf -inf Td 1e-400 Tc (x) Tj ET " + text_content(MARK)
            ),
        ),
        (
            "random-bytes-1MiB",
            lambda: one_page(
                content_obj=flate_stream(b"", zlib.compress(random.Random(3).randbytes(MiB)))
            ),
        ),
        ("text-matrix-1M", lambda: f(b"BT /F1 12 Tf 1 0 0 1 72 700 Tm (x) Tj ET ", 40 * MiB)),
    ]
    for name, make in items:
        yield pdf_case(cat, name, make)


# -- fonts and CMaps --------------------------------------------------------------------


def cmap(body: bytes) -> bytes:
    return (
        b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap "
        b"/CMapName /Adv def /CMapType 2 def "
        b"1 begincodespacerange <0000> <FFFF> endcodespacerange "
        + body
        + b" endcmap CMapName currentdict /CMap defineresource pop end end"
    )


def type0_page(
    tounicode: bytes | None,
    *,
    encoding: bytes = b"/Identity-H",
    text: bytes = b"<00010002000300040005>",
) -> bytes:
    """Type0 font (object 3) over a CIDFontType2 (6), with a ToUnicode stream (7) when given."""
    tu = b" /ToUnicode 7 0 R" if tounicode is not None else b""
    extras = [
        b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /Adv /CIDSystemInfo "
        b"<< /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /DW 500 >>",
    ]
    if tounicode is not None:
        extras.append(stream(b"", tounicode))
    return one_page(
        content=b"BT /F1 12 Tf 72 700 Td " + text + b" Tj ET " + text_content(MARK),
        font=b"<< /Type /Font /Subtype /Type0 /BaseFont /Adv /Encoding "
        + encoding
        + b" /DescendantFonts [6 0 R]"
        + tu
        + b" >>",
        extras=extras,
    )


def _simple_font_page(font: bytes, extras: Sequence[bytes] = ()) -> bytes:
    return one_page(font=font, extras=extras)


TOUNICODE_BODIES = {
    "bfrange-full-plane": b"1 beginbfrange <0000> <FFFF> <0041> endbfrange",
    "bfrange-reversed": b"1 beginbfrange <FFFF> <0000> <0041> endbfrange",
    "bfrange-array-65536": b"1 beginbfrange <0000> <FFFF> [" + b"<0041> " * 65536 + b"] endbfrange",
    "bfrange-dst-overflow": b"1 beginbfrange <0000> <FFFF> <FFFFFFFF> endbfrange",
    "bfchar-count-1e9": b"1000000000 beginbfchar <0001> <0041> endbfchar",
    "bfchar-100k": b"100000 beginbfchar " + b"<0001> <0041> " * 100_000 + b"endbfchar",
    "codespace-8-bytes": b"1 begincodespacerange <0000000000000000> <FFFFFFFFFFFFFFFF> "
    b"endcodespacerange 1 beginbfchar <0001> <0041> endbfchar",
    "usecmap-self": b"/Adv usecmap 1 beginbfchar <0001> <0041> endbfchar",
    "tounicode-huge-dst": b"1 beginbfrange <0000> <FFFF> <" + b"0041" * 5000 + b"> endbfrange",
    "tounicode-lone-surrogates": b"2 beginbfchar <0001> <D800> <0002> <DFFFD800> endbfchar",
}
"""Broken ToUnicode CMap bodies, each given to a Type0 font whose text uses codes 1-5."""


def _font_cases() -> Iterator[Case]:
    cat = "broken-font"
    for name, body in TOUNICODE_BODIES.items():
        yield pdf_case(cat, name, functools.partial(lambda b: type0_page(cmap(b)), body))
    items: list[tuple[str, Callable[[], bytes]]] = [
        ("tounicode-garbage", lambda: type0_page(random.Random(41).randbytes(8192))),
        ("tounicode-unterminated", lambda: type0_page(b"1 beginbfrange <0000> <00")),
        (
            "tounicode-not-a-stream",
            lambda: one_page(
                font=b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /ToUnicode 42 >>"
            ),
        ),
        (
            "tounicode-is-a-name",
            lambda: one_page(
                font=(
                    b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /ToUnicode /Identity-H >>"
                )
            ),
        ),
        (
            "descendant-self",
            lambda: one_page(
                font=(
                    b"<< /Type /Font /Subtype /Type0 /BaseFont /Adv /Encoding /Identity-H "
                    b"/DescendantFonts [3 0 R] >>"
                )
            ),
        ),
        ("unknown-predefined-cmap", lambda: type0_page(None, encoding=b"/Bogus-UCS2-H")),
        (
            "embedded-cmap-usecmap-loop",
            _embedded_cmap_loop,
        ),
        ("cid-odd-byte-string", lambda: type0_page(None, text=b"<000100>")),
        ("cid-string-16MiB", lambda: type0_page(None, text=b"<" + b"0001" * (4 * MiB) + b">")),
        (
            "differences-huge-index",
            lambda: one_page(
                font=(
                    b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding << "
                    b"/Differences [0 /a 4294967295 /b -5 /c 1e30 /d] >> >>"
                )
            ),
        ),
        (
            "widths-1M",
            lambda: one_page(
                font=(
                    b"<< /Type /Font /Subtype /TrueType /BaseFont /Arial /FirstChar 0 /LastChar "
                    b"999999 /Widths ["
                )
                + b"0 " * 1_000_000
                + b"] >>"
            ),
        ),
        (
            "firstchar-absurd",
            lambda: one_page(
                font=(
                    b"<< /Type /Font /Subtype /TrueType /BaseFont /Arial /FirstChar 1000000000 "
                    b"/LastChar -1 /Widths [1 2 3] >>"
                )
            ),
        ),
        (
            "fontfile2-garbage",
            lambda: _simple_font_page(
                b"<< /Type /Font /Subtype /TrueType /BaseFont /G /FontDescriptor 6 0 R >>",
                [
                    b"<< /Type /FontDescriptor /FontName /G /Flags 32 /FontFile2 7 0 R >>",
                    stream(b"", random.Random(42).randbytes(20_000)),
                ],
            ),
        ),
        (
            "fontfile3-garbage",
            lambda: _simple_font_page(
                b"<< /Type /Font /Subtype /Type1 /BaseFont /G /FontDescriptor 6 0 R >>",
                [
                    b"<< /Type /FontDescriptor /FontName /G /Flags 32 /FontFile3 7 0 R >>",
                    stream(b"/Subtype /Type1C", random.Random(43).randbytes(20_000)),
                ],
            ),
        ),
        ("type3-recursive-glyph", _type3_recursive),
        (
            "type3-singular-matrix",
            lambda: _simple_font_page(
                b"<< /Type /Font /Subtype /Type3 /FontMatrix [0 0 0 0 0 0] /FontBBox [0 0 0 0] "
                b"/CharProcs << >> /Encoding << /Differences [0 /a] >> /FirstChar 0 /LastChar "
                b"255 /Widths [] >>"
            ),
        ),
        ("font-is-its-own-ref", lambda: one_page(font=b"3 0 R")),
        (
            "font-dict-cycle",
            lambda: one_page(resources=b"<< /Font 6 0 R >>", extras=[b"<< /F1 6 0 R >>"]),
        ),
    ]
    for name, make in items:
        yield pdf_case(cat, name, make)


def _embedded_cmap_loop() -> bytes:
    # Encoding is an embedded CMap stream whose /UseCMap is itself.
    return one_page(
        content=b"BT /F1 12 Tf <0001> Tj ET " + text_content(MARK),
        font=(
            b"<< /Type /Font /Subtype /Type0 /BaseFont /Adv /Encoding 7 0 R "
            b"/DescendantFonts [6 0 R] >>"
        ),
        extras=[
            b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /Adv /CIDSystemInfo "
            b"<< /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> >>",
            stream(b"/Type /CMap /CMapName /Adv /UseCMap 7 0 R", cmap(b"")),
        ],
    )


def _type3_recursive() -> bytes:
    # The glyph's own procedure shows text in the same Type3 font.
    return one_page(
        font=(
            b"<< /Type /Font /Subtype /Type3 /FontMatrix [0.001 0 0 0.001 0 0] "
            b"/FontBBox [0 0 1000 1000] /CharProcs << /a 6 0 R >> "
            b"/Encoding << /Differences [97 /a] >> /FirstChar 97 /LastChar 97 "
            b"/Widths [500] /Resources << /Font << /F1 3 0 R >> >> >>"
        ),
        content=b"BT /F1 12 Tf (aaaa) Tj ET",
        extras=[stream(b"", b"500 0 d0 BT /F1 12 Tf (aa) Tj ET")],
    )


def cases() -> list[Case]:
    """Every generated PDF content case."""
    return [*_length_cases(), *_operator_cases(), *_font_cases()]
