"""``conductor extract PATH [--json] [--pages A-B|N] [--memory-mb N] [--timeout S]``.

Success: with ``--json`` one JSON object (``Document.to_dict()``) on stdout, else each page
as ``--- PAGE N ---``. Failure of any kind: exit 1 with ``{"error": {"kind", "stage",
"message"}}`` on stdout under ``--json``, else one line on stderr; never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from typing import NoReturn

from ._errors import ConductorError
from ._extract import Extractor
from ._models import Limits


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="conductor", description="Sandboxed document text extraction.")
    commands = parser.add_subparsers(dest="command", required=True)
    ext = commands.add_parser("extract", help="extract a document's text, page by page")
    ext.add_argument("path", help="the document (PDF)")
    ext.add_argument("--json", action="store_true", help="print the document as one JSON object")
    ext.add_argument("--pages", help="a page range A-B, or one page N (1-based, inclusive)")
    ext.add_argument("--memory-mb", help="plugin memory limit in MiB (default 1024)")
    ext.add_argument("--timeout", help="deadline in seconds (default 120)")
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
        pages = parse_pages(args.pages) if args.pages is not None else None
        document = Extractor(_limits(args)).extract(args.path, pages=pages)
        if as_json:
            print(json.dumps(document.to_dict(), ensure_ascii=False))
        else:
            out = sys.stdout
            for page in document.pages:
                out.write(f"--- PAGE {page.number} ---\n{page.text}\n")
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
