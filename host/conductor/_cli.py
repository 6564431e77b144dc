"""The ``conductor`` command.

``conductor extract PATH [--json] [--pages A-B|N] [--memory-mb N] [--timeout S]``: with
``--json`` one JSON object (``Document.to_dict()``) on stdout, else each page after a
``--- PAGE N ---`` line.

``conductor chunk PATH [--json] [--max-tokens N] [--overlap N] [--encoding E]`` (and the
same ``--pages``, ``--memory-mb``, ``--timeout``): extracts, then chunks; with ``--json``
``{"source", "format", "page_count", "chunks": [Chunk.to_dict(), ...]}``, else each chunk
after a ``--- CHUNK i (pages a-b, N tokens, section S) ---`` line.

``conductor process SOURCE... [--db FILE] [--concurrency N] [--json]``: downloads (URLs)
or reads (paths; ``-`` reads one source per line from stdin), extracts, chunks and stores
each in SQLite (default ``conductor.sqlite``); with ``--json`` one line per source as each
finishes (``Result.to_json_line()``), else a progress line on a terminal's stderr and a
summary. Exit 0 when every source succeeded, 1 when any failed.

``conductor show [--db FILE] [--json]``: the stored documents and the recorded failures.

``conductor plugins [--json]``: every plugin found (built-in, entry point, plugin
directory), its formats and versions, which formats it handles now, and every plugin
rejected with the reason (shape: :func:`conductor._listing.describe_plugins`).

``--pin FORMAT=PLUGIN`` (repeatable; extract, chunk, process, plugins) uses that plugin
for that format, over ``$CONDUCTOR_PIN``; ``$CONDUCTOR_PLUGIN_PATH`` adds plugin directories.

Failure of any kind: exit 1 with ``{"error": {"kind", "stage", "message"}}`` on stdout
under ``--json``, else one line on stderr; never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import asdict, replace
from typing import Any, NoReturn

from ._chunk import ENCODINGS, check_config
from ._db import Database
from ._errors import ConductorError, DatabaseError
from ._extract import Extractor
from ._fetch import FetchConfig
from ._listing import describe_plugins, format_plugins
from ._models import Chunk, Limits
from ._pipeline import Conductor
from ._registry import PIN_ENV, parse_pins


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
    common.add_argument("path", help="the document (PDF, DOCX, or a plugin's format)")
    _add_pin(common)
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
    _add_batch_commands(commands)
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


def _add_pin(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--pin",
        action="append",
        default=[],
        metavar="FORMAT=PLUGIN",
        help="use this plugin for this format (repeatable; default $CONDUCTOR_PIN)",
    )


def _pins(args: argparse.Namespace) -> dict[str, str] | None:
    """The --pin flags over ``$CONDUCTOR_PIN``; ``None`` when there are none."""
    if not args.pin:
        return None
    pins = parse_pins(os.environ.get(PIN_ENV, ""))
    pins.update(parse_pins(",".join(args.pin)))
    return pins


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
    extractor = Extractor(_limits(args), pins=_pins(args))
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
    try:
        return _main(argv)
    except BrokenPipeError:
        # The reader went away (`conductor plugins | head`): not an error of ours. Point
        # stdout at /dev/null so that the interpreter's final flush does not fail again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


def _main(argv: list[str] | None) -> int:
    args = _parser().parse_args(argv)
    as_json = bool(args.json)
    if args.command in ("process", "show", "plugins"):
        return _batch_main(args)
    try:
        _run(args)
        return 0
    except _UsageError as e:
        return _fail(as_json, "invalid_argument", "cli", f"{args.path}: {e}")
    except ConductorError as e:
        error = e.to_dict()
        return _fail(as_json, error["kind"], error["stage"], error["message"])
    except BrokenPipeError:
        raise
    except Exception as e:
        return _fail(
            as_json,
            "plugin_failure",
            "internal",
            f"{args.path}: unexpected {type(e).__name__}: {e} [hint: this is a bug in "
            "engagic-conductor; please report it]",
        )


# -- process and show ---------------------------------------------------------------------


def _add_batch_commands(commands: Any) -> None:
    proc = commands.add_parser(
        "process", help="download or read documents, extract and chunk them, store in SQLite"
    )
    proc.add_argument("sources", nargs="+", metavar="SOURCE", help="URLs or paths; - for stdin")
    proc.add_argument("--db", default="conductor.sqlite", help="database file")
    proc.add_argument("--concurrency", help="documents downloading at once (default 5)")
    proc.add_argument("--json", action="store_true", help="one JSON line per source")
    show = commands.add_parser("show", help="list the documents and failures in a database")
    show.add_argument("--db", default="conductor.sqlite", help="database file")
    show.add_argument("--json", action="store_true", help="print one JSON object")
    _add_pin(proc)
    plugins = commands.add_parser(
        "plugins", help="list the plugins found, what they handle, and the rejected ones"
    )
    plugins.add_argument("--json", action="store_true", help="print one JSON object")
    _add_pin(plugins)


def _batch_main(args: argparse.Namespace) -> int:
    as_json = bool(args.json)
    try:
        if args.command == "process":
            return _process(args)
        if args.command == "plugins":
            listing = describe_plugins(Extractor(pins=_pins(args)))
            print(json.dumps(listing) if args.json else format_plugins(listing))
            return 0
        _show(args)
        return 0
    except _UsageError as e:
        return _fail(as_json, "invalid_argument", "cli", str(e))
    except ConductorError as e:
        error = e.to_dict()
        return _fail(as_json, error["kind"], error["stage"], error["message"])
    except KeyboardInterrupt:
        return _fail(as_json, "cancelled", "cli", "interrupted")
    except BrokenPipeError:
        raise
    except Exception as e:
        return _fail(
            as_json,
            "plugin_failure",
            "internal",
            f"unexpected {type(e).__name__}: {e} [hint: this is a bug in "
            "engagic-conductor; please report it]",
        )


def _sources(values: list[str]) -> list[str]:
    sources: list[str] = []
    for value in values:
        if value == "-":
            sources += [line.strip() for line in sys.stdin if line.strip()]
        else:
            sources.append(value)
    return sources


def _item(source: str) -> dict[str, str]:
    lower = source.lower()
    if lower.startswith(("http://", "https://")):
        return {"url": source}
    return {"path": source}


def _process(args: argparse.Namespace) -> int:
    fetch = FetchConfig()
    if args.concurrency is not None:
        concurrency = _int_arg("--concurrency", args.concurrency)
        if concurrency < 1:
            raise _UsageError(f"--concurrency must be at least 1, got {concurrency}")
        fetch = replace(fetch, concurrency=concurrency)
    sources = _sources(args.sources)
    conductor = Conductor(database=args.db, fetch=fetch, pins=_pins(args))
    progress = not args.json and sys.stderr.isatty()
    start = time.monotonic()
    ok = failed = pages = chunks = 0
    failures: list[str] = []
    for result in conductor.iter_documents([_item(s) for s in sources]):
        if result.ok:
            ok += 1
            pages += result.page_count or 0
            chunks += len(result.chunks or ())
        else:
            failed += 1
            if result.error is not None:
                failures.append(f"{result.source}: {result.error.kind}: {result.error}")
        if args.json:
            print(result.to_json_line(), flush=True)
        elif progress:
            sys.stderr.write(f"\r[{ok + failed}/{len(sources)}] {ok} ok, {failed} failed")
            sys.stderr.flush()
    if not args.json:
        if progress:
            sys.stderr.write("\n")
        for line in failures:
            print(f"conductor: {line}", file=sys.stderr)
        print(
            f"{ok} ok, {failed} failed, {pages} pages, {chunks} chunks, "
            f"{time.monotonic() - start:.1f} s (database {args.db})"
        )
    return 1 if failed else 0


def _show(args: argparse.Namespace) -> None:
    if not os.path.isfile(args.db):
        raise DatabaseError(
            "no database here", document=args.db, hint="run `conductor process` first, or --db"
        )
    with Database(args.db) as db:
        documents = db.summary()
        failures = db.failures()
    if args.json:
        print(
            json.dumps(
                {
                    "documents": [asdict(d) for d in documents],
                    "failures": [asdict(f) for f in failures],
                },
                ensure_ascii=False,
            )
        )
        return
    print(f"{len(documents)} documents in {args.db}")
    for d in documents:
        label = d.title or d.name
        urls = " ".join(d.urls)
        print(
            f"{d.sha256[:12]}  {d.format:<4}  {d.page_count:>4} pages  {d.chunks:>5} chunks  "
            f"{label}" + (f"  {urls}" if urls else "")
        )
    if failures:
        print(f"{len(failures)} failures")
        for f in failures:
            print(f"{f.key}  {f.stage}/{f.kind}  {f.attempts}x  {f.message}")


if __name__ == "__main__":
    sys.exit(main())
