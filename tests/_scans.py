"""Scanned PDFs made from real ones: each page rendered by poppler's ``pdftoppm`` (not by
the code under test, which renders with pdfium) to an 8-bit grayscale raster, written
back as an image-only PDF, one ``/FlateDecode`` ``/DeviceGray`` image per page and no text
layer; optionally turned sideways, as a sheet fed into a scanner the wrong way.

Used by ``tests/test_ocr.py`` and ``benches/suite.py`` (section ``ocr``).
"""

from __future__ import annotations

import subprocess
import tempfile
import zlib
from pathlib import Path

from _pdfgen import stream, write_pdf


def render_gray(pdf: Path, page: int, dpi: int) -> tuple[int, int, bytes]:
    """Page ``page`` (1-based) of ``pdf`` rendered by ``pdftoppm -gray`` at ``dpi``:
    ``(width, height, pixels)``, one byte per pixel, rows top to bottom."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "page"
        pages = ["-f", str(page), "-l", str(page), "-singlefile"]
        subprocess.run(
            ["pdftoppm", "-gray", "-r", str(dpi), *pages, str(pdf), str(out)],
            check=True,
            timeout=120,
        )
        data = out.with_suffix(".pgm").read_bytes()
    # "P5\n<w> <h>\n255\n" then the pixels
    magic, width, height, maxval, pixels = data.split(maxsplit=4)
    if magic != b"P5" or maxval != b"255":
        raise ValueError(f"pdftoppm wrote no 8-bit PGM: {data[:20]!r}")
    return int(width), int(height), pixels


def scanned_pdf(pdf: Path, pages: list[int], dpi: int = 200, *, sideways: bool = False) -> bytes:
    """An image-only PDF of ``pages`` of ``pdf`` rendered at ``dpi``, each page the size
    of the original (turned 90 degrees, landscape, when ``sideways``)."""
    objects: dict[int, bytes] = {1: b"<< /Type /Catalog /Pages 2 0 R >>"}
    kids = []
    for i, number in enumerate(pages):
        width, height, pixels = render_gray(pdf, number, dpi)
        page_id, content_id, image_id = 3 + 3 * i, 4 + 3 * i, 5 + 3 * i
        kids.append(b"%d 0 R" % page_id)
        w_pt, h_pt = width * 72 / dpi, height * 72 / dpi
        if sideways:
            # The image's bottom edge runs up the page's right side: text reads upwards.
            box = (h_pt, w_pt)
            matrix = b"0 %.3f %.3f 0 %.3f 0" % (w_pt, -h_pt, h_pt)
        else:
            box = (w_pt, h_pt)
            matrix = b"%.3f 0 0 %.3f 0 0" % (w_pt, h_pt)
        objects[page_id] = (
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.3f %.3f] " % box
            + b"/Resources << /XObject << /Im0 %d 0 R >> >> /Contents %d 0 R >>"
            % (image_id, content_id)
        )
        objects[content_id] = stream(b"", b"q " + matrix + b" cm /Im0 Do Q")
        objects[image_id] = stream(
            b"/Type /XObject /Subtype /Image /Width %d /Height %d " % (width, height)
            + b"/ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode",
            zlib.compress(pixels[: width * height], 6),
        )
    objects[2] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(kids), len(pages))
    return write_pdf(objects)
