"""The ``conductor`` command.

``conductor extract PATH [--json] [--pages A-B|N] [--memory-mb N] [--timeout S]``: with
``--json`` one JSON object (``Document.to_dict()``) on stdout, else each page after a
``--- PAGE N ---`` line.

``conductor chunk PATH [--json] [--max-tokens N] [--overlap N] [--encoding E]`` (and the
same ``--pages``, ``--memory-mb``, ``--timeout``): extracts, then chunks; with ``--json``
``{"source", "format", "page_count", "chunks": [Chunk.to_dict(), ...]}``, else each chunk
after a ``--- CHUNK i (pages a-b, N tokens, section S) ---`` line.

Failure of any kind: exit 1 with ``{"error": {"kind", "stage", "message"}}`` on stdout
under ``--json``, else one line on stderr; never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from typing import Any, NoReturn

from ._chunk import ENCODINGS, check_config
from ._errors import ConductorError
from ._extract import Extractor
from ._models import Chunk, Limits


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="conductor", description="Sandboxed document text extraction.")
    commands = parser.add_subparsers(dest="command", required=True)
    common = _Parser(add_help=False)
    common.add_argument("path", help="the document (PDF or DOCX)")
    common.add_argument("--pages", help="a page range A-B, or one page N (1-based, inclusive)")
    common.add_argument("--memory-mb", help="plugin memory limit in MiB (default 1024)")
    common.add_argument("--timeout", help="deadline in seconds per plugin call (default 120)")
    ext = commands.add_parser(
        "extract", parents=[common], help="extract a document's text, page by page"
    )
    ext.add_argument("--json", action="store_true", help="print the document as one JSON object")
    chk = commands.add_parser(
        "chunk", parents=[common], help="extract a document, then split it into token chunks"
    )
    chk.add_argument("--json", action="store_true", help="print the chunks as one JSON object")
    chk.add_argument("--max-tokens", default="512", help="most tokens per chunk (default 512)")
    chk.add_argument(
        "--overlap", default="0", help="tokens repeated from the previous chunk (default 0)"
    )
    chk.add_argument(
        "--encoding",
        default=ENCODINGS[0],
        help=f"tokenizer: {' or '.join(ENCODINGS)} (default {ENCODINGS[0]})",
    )
    return parser


def parse_pages(value: str) -> tuple[int, int]:
    """``"A-B"`` or ``"N"`` -> ``(first, last)``."""
    first, sep, last = value.strip().partition("-")
    try:
        a = int(first)
        b = int(last) if sep else a
    except ValueError:
        raise _UsageError(f"--pages must be A-B or N, got {value!r}") from None
    if not 1 <= a <= b:
        raise _UsageError(f"--pages needs 1 <= first <= last, got {value!r}")
    return a, b


def _limits(args: argparse.Namespace) -> Limits:
    limits = Limits()
    try:
        if args.memory_mb is not None:
            limits = replace(limits, memory_mb=int(args.memory_mb))
        if args.timeout is not None:
            limits = replace(limits, timeout_s=float(args.timeout))
    except ValueError as e:
        raise _UsageError(f"bad limit: {e}") from None
    return limits


def _int_arg(flag: str, value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise _UsageError(f"{flag} must be an integer, got {value!r}") from None


def _chunk_config(args: argparse.Namespace) -> dict[str, Any]:
    config: dict[str, Any] = {
        "max_tokens": _int_arg("--max-tokens", args.max_tokens),
        "overlap_tokens": _int_arg("--overlap", args.overlap),
        "encoding": args.encoding,
        "respect_paragraphs": True,
    }
    check_config(**config, document=args.path)  # before extracting: fail fast
    return config


def _chunk_header(chunk: Chunk) -> str:
    section = "no section" if chunk.section is None else f"section {chunk.section}"
    return (
        f"--- CHUNK {chunk.index} (pages {chunk.page_start}-{chunk.page_end}, "
        f"{chunk.tokens} tokens, {section}) ---"
    )


def _run(args: argparse.Namespace) -> None:
    pages = parse_pages(args.pages) if args.pages is not None else None
    config = _chunk_config(args) if args.command == "chunk" else None
    extractor = Extractor(_limits(args))
    document = extractor.extract(args.path, pages=pages)
    out = sys.stdout
    if config is None:
        if args.json:
            print(json.dumps(document.to_dict(), ensure_ascii=False))
        else:
            for page in document.pages:
                out.write(f"--- PAGE {page.number} ---\n{page.text}\n")
        return
    chunks = extractor.chunk(document, **config)
    if args.json:
        result = {
            "source": document.source,
            "format": document.format,
            "page_count": document.page_count,
            "chunks": [c.to_dict() for c in chunks],
        }
        print(json.dumps(result, ensure_ascii=False))
    else:
        for c in chunks:
            out.write(f"{_chunk_header(c)}\n{c.text}\n")


def _fail(as_json: bool, kind: str, stage: str, message: str) -> int:
    if as_json:
        print(json.dumps({"error": {"kind": kind, "stage": stage, "message": message}}))
    else:
        print(f"conductor: {message}", file=sys.stderr)
    return 1


def main(argv: list[str] | None = None) -> int:
    """The console script; returns the exit status."""
    args = _parser().parse_args(argv)
    as_json = bool(args.json)
    try:
        _run(args)
        return 0
    except _UsageError as e:
        return _fail(as_json, "invalid_argument", "cli", f"{args.path}: {e}")
    except ConductorError as e:
        error = e.to_dict()
        return _fail(as_json, error["kind"], error["stage"], error["message"])
    except Exception as e:
        return _fail(
            as_json,
            "plugin_failure",
            "internal",
            f"{args.path}: unexpected {type(e).__name__}: {e} [hint: this is a bug in "
            "engagic-conductor; please report it]",
        )


if __name__ == "__main__":
    sys.exit(main())
