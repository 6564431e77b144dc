"""The child process's side: runs as a script (``python -I _child.py ...``), never imported
by the host, so it loads neither the conductor package nor wasmtime.

Its first act is to lower its own resource limits (``RLIMIT_AS``, ``RLIMIT_CPU``), before
it opens a document or starts another program: setting them here rather than in a
``preexec_fn`` keeps ``subprocess`` free of Python code between fork and exec, which is
unsafe in a threaded host.

``python -I _child.py AS_MB CPU_S COMMAND ...``:

* ``render PDF PAGE DPI OUT``: renders page ``PAGE`` (1-based) of ``PDF`` with pypdfium2
  in grayscale at ``DPI`` into ``OUT`` as a binary PGM (tesseract reads it through
  leptonica; no imaging library needed), or an empty file for a blank page;
* ``text ENGINE PDF``: the text of every page with ``pdfium`` (pypdfium2) or ``pymupdf``,
  as one JSON object ``{"pages": [str, ...]}`` on stdout;
* ``exec PROGRAM ARG...``: replaces itself with ``PROGRAM`` (tesseract), limits kept.

Exit status 0 on success; 3 when memory ran out (a ``MemoryError`` or a bitmap pdfium
could not allocate); 2 for a document the engine refused, with the reason on stderr.
"""

from __future__ import annotations

import json
import os
import resource
import sys

EXIT_REFUSED = 2
EXIT_MEMORY = 3
BLANK_LEVEL = 224
"""Pixels at least this light (0 black, 255 white) are paper, not ink."""


def _limit(as_mb: int, cpu_s: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (as_mb << 20, as_mb << 20))
    # The soft limit sends SIGXCPU, the hard one a second later SIGKILL: either ends it.
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s + 1))
    # No core files of a crashed renderer on the host's disk.
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _render(path: str, number: int, dpi: int, out: str) -> None:
    import pypdfium2 as pdfium  # type: ignore[import-untyped,unused-ignore]

    pdf = pdfium.PdfDocument(path)
    page = pdf[number - 1]
    bitmap = page.render(scale=dpi / 72, grayscale=True)
    width, height, stride = bitmap.width, bitmap.height, bitmap.stride
    data = bytes(bitmap.buffer)
    if bitmap.n_channels != 1:
        raise ValueError(f"expected a one-channel bitmap, got {bitmap.n_channels} channels")
    if stride == width:
        pixels = data[: width * height]
    else:
        pixels = b"".join(data[row * stride : row * stride + width] for row in range(height))
    with open(out, "wb") as f:
        # A page with nothing drawn darker than near-white has nothing to read: an empty
        # file says so, and spares a tesseract run (typeset books have many such pages).
        if pixels and min(pixels) < BLANK_LEVEL:
            f.write(b"P5\n%d %d\n255\n" % (width, height))
            f.write(pixels)


def _text(engine: str, path: str) -> dict[str, list[str]]:
    pages: list[str] = []
    if engine == "pdfium":
        import pypdfium2 as pdfium  # type: ignore[import-untyped,unused-ignore]

        pdf = pdfium.PdfDocument(path)
        for i in range(len(pdf)):
            textpage = pdf[i].get_textpage()
            pages.append(textpage.get_text_range().replace("\r\n", "\n").replace("\r", "\n"))
    elif engine == "pymupdf":
        import pymupdf

        with pymupdf.open(path) as doc:  # type: ignore[no-untyped-call]
            pages = [page.get_text() for page in doc]
    else:
        raise ValueError(f"unknown engine {engine!r}")
    return {"pages": pages}


def main(argv: list[str]) -> int:
    as_mb, cpu_s, command, *rest = argv
    _limit(int(as_mb), int(cpu_s))
    if command == "exec":
        try:
            os.execvp(rest[0], rest)  # returns only when it could not start the program
        except OSError as e:
            print(f"cannot run {rest[0]}: {e}", file=sys.stderr)
            return EXIT_REFUSED
    try:
        if command == "render":
            path, number, dpi, out = rest
            _render(path, int(number), int(dpi), out)
        elif command == "text":
            engine, path = rest
            json.dump(_text(engine, path), sys.stdout, ensure_ascii=False)
        else:
            print(f"unknown command {command!r}", file=sys.stderr)
            return EXIT_REFUSED
    except MemoryError:
        print("out of memory", file=sys.stderr)
        return EXIT_MEMORY
    except Exception as e:
        message = f"{type(e).__name__}: {e}"
        print(message[:2000], file=sys.stderr)
        # pdfium reports a bitmap it cannot allocate as a failure to create it.
        return EXIT_MEMORY if "bitmap" in message.lower() else EXIT_REFUSED
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
