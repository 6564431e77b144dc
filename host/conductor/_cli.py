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
summary. Exit 0 when every source succeeded, 1 when any failed. Also the chunk flags,
``--memory-mb``, ``--timeout`` and ``--rate R`` (requests per second per host).

``conductor show [--db FILE] [--json]``: the stored documents and the recorded failures.

``conductor plugins [--json]``: every plugin found (built-in, entry point, plugin
directory), its formats and versions, which formats it handles now, and every plugin
rejected with the reason (shape: :func:`conductor._listing.describe_plugins`).

``--ocr auto|off|force``, ``--ocr-lang eng+spa``, ``--ocr-dpi N`` and ``--fallback pdfium``
(extract, chunk, process, compare): OCR of pages without a text layer and the fallback
engine (:mod:`conductor._ocr`).

``conductor compare PATH... [--reference pdfium|pymupdf] [--min-f1 X] [--json]``: each PDF
by conductor and by the reference engine, word F1 and order scores, page counts, times
(:mod:`conductor._compare`); exit 1 when one is under ``--min-f1`` or fails.

``--pin FORMAT=PLUGIN`` (repeatable; extract, chunk, process, plugins) uses that plugin
for that format, over ``$CONDUCTOR_PIN``; ``$CONDUCTOR_PLUGIN_PATH`` adds plugin directories.

Failure of any kind: exit 1 with ``{"error": {"kind", "stage", "message"}}`` on stdout
under ``--json``, else one line on stderr; never a traceback. Ctrl-C: ``conductor:
interrupted`` (kind ``cancelled``), exit 130 (:mod:`conductor._interrupt` says why the
wasm calls run off the main thread).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
import time
from dataclasses import asdict, replace
from typing import Any, NoReturn

from ._chunk import check_config
from ._compare import compare_document
from ._compare import format_text as format_comparison
from ._compare import to_json as compare_json
from ._errors import ConductorError
from ._extract import Extractor
from ._fetch import FetchConfig
from ._interrupt import INTERRUPTED_EXIT, run_off_main_thread
from ._listing import describe_plugins, format_plugins
from ._models import LIMITS_CEILINGS, Chunk, Document, Limits, Page, chunks_to_dict
from ._ocr import FALLBACK_ENGINES, OCR_MODES, REFERENCE_ENGINES, OcrOptions, require_engine
from ._pipeline import Conductor
from ._queue_cli import QUEUE_COMMANDS, WorkerSettings, add_queue_commands, queue_main
from ._registry import PIN_ENV, parse_pins
from ._results import ChunkConfig
from ._store import Store, open_store, redact
from ._types import ENCODINGS

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


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
    _add_password(common, "the document's password, when it is encrypted")
    _add_limit_flags(common)
    _add_ocr_flags(common)
    ext = commands.add_parser(
        "extract", parents=[common], help="extract a document's text, page by page"
    )
    ext.add_argument("--json", action="store_true", help="print the document as one JSON object")
    chk = commands.add_parser(
        "chunk", parents=[common], help="extract a document, then split it into token chunks"
    )
    chk.add_argument("--json", action="store_true", help="print the chunks as one JSON object")
    _add_batch_commands(commands)
    _add_serve_command(commands)
    add_queue_commands(commands, _add_worker_flags)
    _add_chunk_flags(chk)
    return parser


def _add_limit_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--memory-mb", help="plugin memory limit per document in MiB (default 768)")
    parser.add_argument("--timeout", help="deadline in seconds per document (default 120)")


def _add_ocr_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--ocr",
        choices=OCR_MODES,
        default="auto",
        help="OCR pages without a usable text layer (auto, the default), none (off), or "
        "every page (force)",
    )
    parser.add_argument(
        "--ocr-lang", default="eng", help="tesseract languages, + between them (default eng)"
    )
    parser.add_argument("--ocr-dpi", default="300", help="render resolution for OCR (default 300)")
    parser.add_argument(
        "--fallback",
        choices=FALLBACK_ENGINES,
        help="extract a PDF the plugin fails on (corrupt, plugin_failure, timeout) with "
        "this engine in a limited child process",
    )


def _ocr_args(args: argparse.Namespace) -> dict[str, Any]:
    """The Extractor's (and Conductor's) OCR and fallback arguments from the flags; a
    bad value names its flag."""
    languages = tuple(args.ocr_lang.split("+"))
    dpi = _int_arg("--ocr-dpi", args.ocr_dpi)
    try:
        OcrOptions(mode=args.ocr, languages=languages, dpi=dpi)
    except ValueError as e:
        flag = "--ocr-dpi" if "dpi" in str(e) else "--ocr-lang"
        raise _UsageError(f"{flag}: {e}") from None
    return {
        "ocr": args.ocr,
        "ocr_languages": languages,
        "ocr_dpi": dpi,
        "fallback": args.fallback,
    }


def _add_chunk_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--max-tokens", default="512", help="most tokens per chunk (default 512)")
    parser.add_argument(
        "--overlap", default="0", help="tokens repeated from the previous chunk (default 0)"
    )
    parser.add_argument(
        "--encoding",
        default=ENCODINGS[0],
        help=f"tokenizer: {' or '.join(ENCODINGS)} (default {ENCODINGS[0]})",
    )


def _add_process_flags(proc: argparse.ArgumentParser) -> None:
    """What ``Conductor`` and ``FetchConfig`` take that a batch from the shell needs."""
    _add_chunk_flags(proc)
    _add_limit_flags(proc)
    _add_ocr_flags(proc)
    proc.add_argument(
        "--rate",
        help="requests per second to each host (default 0.5; inf for no limit)",
    )


def _add_worker_flags(worker: argparse.ArgumentParser) -> None:
    """``conductor worker`` runs what ``process`` runs: the same flags."""
    _add_process_flags(worker)
    _add_pin(worker)


def _add_password(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument(
        "--password",
        help=f"{what} (PDF: the user password, or the owner password of AES-256); "
        "ignored for documents that are not encrypted",
    )


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
    """``Limits`` with ``--memory-mb`` and ``--timeout``; each bad value names its flag."""
    limits = Limits()
    if args.memory_mb is not None:
        memory_mb = _int_arg("--memory-mb", args.memory_mb)
        limits = _limit(limits, "--memory-mb", "memory_mb", memory_mb, args.memory_mb)
    if args.timeout is not None:
        try:
            timeout_s = float(args.timeout)
        except ValueError:
            raise _UsageError(
                f"--timeout must be a number of seconds, got {args.timeout!r}"
            ) from None
        limits = _limit(limits, "--timeout", "timeout_s", timeout_s, args.timeout)
    return limits


def _limit(limits: Limits, flag: str, field: str, value: float, given: str) -> Limits:
    try:
        return replace(limits, **{field: value})  # type: ignore[arg-type]
    except ValueError:
        ceiling = LIMITS_CEILINGS[field]
        raise _UsageError(
            f"{flag} must be above 0 and at most {ceiling:,}, got {given!r}"
        ) from None


def _int_arg(flag: str, value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise _UsageError(f"{flag} must be an integer, got {value!r}") from None


def _chunk_config(args: argparse.Namespace, document: str) -> dict[str, Any]:
    config: dict[str, Any] = {
        "max_tokens": _int_arg("--max-tokens", args.max_tokens),
        "overlap_tokens": _int_arg("--overlap", args.overlap),
        "encoding": args.encoding,
        "respect_paragraphs": True,
    }
    check_config(**config, document=document)  # before extracting: fail fast
    return config


def _chunk_header(chunk: Chunk) -> str:
    section = "no section" if chunk.section is None else f"section {chunk.section}"
    return (
        f"--- CHUNK {chunk.index} (pages {chunk.page_start}-{chunk.page_end}, "
        f"{chunk.tokens} tokens, {section}) ---"
    )


def _print_text(document: Document, *, as_json: bool) -> None:
    """A document as `extract` prints it (and `show --text`)."""
    if as_json:
        print(json.dumps(document.to_dict(), ensure_ascii=False))
        return
    for page in document.pages:
        sys.stdout.write(f"--- PAGE {page.number} ---\n{page.text}\n")


def _print_chunks(document: Document, chunks: list[Chunk], *, as_json: bool) -> None:
    """A document's chunks as `chunk` prints them (and `show --chunks`)."""
    if as_json:
        print(json.dumps(chunks_to_dict(document, chunks), ensure_ascii=False))
        return
    for c in chunks:
        sys.stdout.write(f"{_chunk_header(c)}\n{c.text}\n")


def _run(args: argparse.Namespace) -> None:
    pages = parse_pages(args.pages) if args.pages is not None else None
    config = _chunk_config(args, args.path) if args.command == "chunk" else None
    extractor = Extractor(_limits(args), pins=_pins(args), **_ocr_args(args))
    document = extractor.extract(args.path, pages=pages, password=args.password)
    if config is None:
        _print_text(document, as_json=args.json)
    else:
        _print_chunks(document, extractor.chunk(document, **config), as_json=args.json)
    if not args.json:
        _report(document)


def _report(document: Document) -> None:
    """Text mode: what JSON carries in ``warnings`` and ``needs_ocr``, on stderr, so that
    a scanned PDF's empty pages or a page range past the end are not a silent success."""
    for w in document.warnings:
        where = f" (page {w.page})" if w.page is not None else ""
        print(f"conductor: {document.source}: warning{where}: {w.message}", file=sys.stderr)
    ocr = [p for p in document.pages if p.needs_ocr]
    if ocr:
        reasons = sorted({(p.ocr_reason or "unknown").replace("_", " ") for p in ocr})
        print(
            f"conductor: {document.source}: {len(ocr)} of {_plural(len(document.pages), 'page')}"
            f" need OCR ({', '.join(reasons)}): pages {_spans([p.number for p in ocr])}",
            file=sys.stderr,
        )
    read = [p for p in document.pages if p.ocr is not None]
    if read:
        print(f"conductor: {document.source}: {_ocr_summary(read)}", file=sys.stderr)


def _ocr_summary(pages: list[Page]) -> str:
    """``read by OCR: pages 1-10 (tesseract 5.3.0, eng, 300 dpi, mean confidence 0.91)``."""
    done = [p.ocr for p in pages if p.ocr is not None]
    first = done[0]
    confidence = sum(o.confidence for o in done) / len(done)
    return (
        f"read by OCR: pages {_spans([p.number for p in pages])} ({first.engine}, "
        f"{'+'.join(first.languages)}, {first.dpi} dpi, mean confidence {confidence:.2f})"
    )


def _spans(numbers: list[int]) -> str:
    """``[1, 2, 3, 5]`` -> ``"1-3, 5"``."""
    spans: list[list[int]] = []
    for n in numbers:
        if spans and n == spans[-1][1] + 1:
            spans[-1][1] = n
        else:
            spans.append([n, n])
    return ", ".join(f"{a}-{b}" if a != b else f"{a}" for a, b in spans)


def _plural(count: int, noun: str, width: int = 0) -> str:
    """``1 page``, ``2 pages``; ``width`` right-aligns the number (columns)."""
    return f"{count:>{width}} {noun}{'' if count == 1 else 's'}"


def _fail(as_json: bool, kind: str, stage: str, message: str) -> int:
    if as_json:
        print(json.dumps({"error": {"kind": kind, "stage": stage, "message": message}}))
    else:
        print(f"conductor: {message}", file=sys.stderr)
    return 1


def _interrupted(as_json: bool) -> NoReturn:
    """Ctrl-C: says so and ends the process at once. The work thread is still inside a
    wasm call; a normal exit would finalize the interpreter under it (its host callbacks
    would then fail in Rust frames: a panic message)."""
    _fail(as_json, "cancelled", "cli", "interrupted")
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(INTERRUPTED_EXIT)


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
    if args.command == "serve":
        return _serve(args)
    as_json = bool(args.json)
    if args.command in ("process", "show", "plugins", "compare", *QUEUE_COMMANDS):
        return _batch_main(args)
    try:
        run_off_main_thread(lambda: _run(args))
        return 0
    except KeyboardInterrupt:
        _interrupted(as_json)
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


# -- serve --------------------------------------------------------------------------------


def _add_serve_command(commands: Any) -> None:
    serve = commands.add_parser("serve", help="run the HTTP service (jobs API, callbacks, metrics)")
    serve.add_argument(
        "--db",
        default="conductor.sqlite",
        help="SQLite file (jobs run in this process) or postgresql://... (conductor worker "
        "processes run them)",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", default="8000", help="port to listen on (default 8000)")
    serve.add_argument("--workers", default="2", help="jobs running at once (default 2)")
    serve.add_argument("--api-keys-file", help="API keys, one per line (or $CONDUCTOR_API_KEYS)")
    serve.add_argument(
        "--callback-secret-file", help="the callbacks' HMAC key (or $CONDUCTOR_CALLBACK_SECRET)"
    )
    serve.add_argument(
        "--allow-private-callbacks",
        action="store_true",
        help="allow callback URLs on loopback and private networks",
    )
    serve.add_argument("--max-upload-mb", default="100", help="upload size cap (default 100)")
    serve.add_argument(
        "--max-jobs-per-key", default="100", help="queued + running jobs per key (default 100)"
    )
    serve.add_argument(
        "--extract-max-mb", default="10", help="POST /v1/extract size cap (default 10)"
    )
    serve.add_argument(
        "--extract-timeout", default="30", help="POST /v1/extract deadline in s (default 30)"
    )
    serve.add_argument(
        "--metrics-port",
        help="serve /metrics on this port instead of the API's (0: any free port, logged)",
    )
    serve.add_argument("--log-format", choices=("text", "json"), default="text")
    _add_limit_flags(serve)
    serve.add_argument("--rate", help="requests per second to each host (default 0.5)")


def _serve(args: argparse.Namespace) -> int:
    """``conductor serve``: runs until SIGINT/SIGTERM."""
    try:
        from ._service import ServiceConfig, read_keys, read_secret, serve
    except ImportError as e:
        return _fail(
            False,
            "invalid_argument",
            "cli",
            f"conductor serve needs the service extra ({e.name} is missing): "
            "pip install 'engagic-conductor[service]'",
        )
    try:
        fetch = FetchConfig()
        if args.rate is not None:
            fetch = replace(fetch, rate_per_domain=_rate(args.rate))
        try:
            config = ServiceConfig(
                database=args.db,
                host=args.host,
                port=_int_arg("--port", args.port),
                workers=_int_arg("--workers", args.workers),
                api_keys=tuple(read_keys(args.api_keys_file)),
                callback_secret=read_secret(args.callback_secret_file),
                allow_private_callbacks=args.allow_private_callbacks,
                max_upload_bytes=_int_arg("--max-upload-mb", args.max_upload_mb) << 20,
                max_active_jobs=_int_arg("--max-jobs-per-key", args.max_jobs_per_key),
                extract_max_bytes=_int_arg("--extract-max-mb", args.extract_max_mb) << 20,
                extract_timeout_s=float(args.extract_timeout),
                fetch=fetch,
                limits=_limits(args),
                log_format=args.log_format,
                metrics_port=None
                if args.metrics_port is None
                else _int_arg("--metrics-port", args.metrics_port),
            )
        except ValueError as e:
            raise _UsageError(str(e)) from None
        serve(config)
        return 0
    except _UsageError as e:
        return _fail(False, "invalid_argument", "cli", f"serve: {e}")
    except ConductorError as e:
        return _fail(False, e.kind, e.stage, str(e))


def _add_batch_commands(commands: Any) -> None:
    proc = commands.add_parser(
        "process", help="download or read documents, extract and chunk them, store in SQLite"
    )
    proc.add_argument("sources", nargs="+", metavar="SOURCE", help="URLs or paths; - for stdin")
    proc.add_argument(
        "--db", default="conductor.sqlite", help="database file, or a postgresql:// URL"
    )
    proc.add_argument("--concurrency", help="documents downloading at once (default 5)")
    proc.add_argument("--json", action="store_true", help="one JSON line per source")
    _add_password(proc, "the password of every encrypted source of this run")
    _add_process_flags(proc)
    proc.add_argument(
        "--retry-failed",
        action="store_true",
        help="also retry sources whose last failure is not due for a retry, or permanent",
    )
    show = commands.add_parser(
        "show", help="list the documents and failures in a database, or show one document"
    )
    show.add_argument(
        "document", nargs="?", metavar="SHA256", help="one document (a unique prefix will do)"
    )
    show.add_argument(
        "--db", default="conductor.sqlite", help="database file or postgresql:// URL (only read)"
    )
    show.add_argument("--json", action="store_true", help="print one JSON object")
    what = show.add_mutually_exclusive_group()
    what.add_argument("--text", action="store_true", help="print the document's text, by page")
    what.add_argument("--chunks", action="store_true", help="print the document's chunks")
    _add_pin(proc)
    compare = commands.add_parser(
        "compare", help="extract PDFs with conductor and a reference engine, score the text"
    )
    compare.add_argument("paths", nargs="+", metavar="PATH", help="PDF documents")
    compare.add_argument(
        "--reference",
        choices=tuple(REFERENCE_ENGINES),
        default="pdfium",
        help="the engine compared with (default pdfium; pymupdf needs PyMuPDF installed)",
    )
    compare.add_argument("--min-f1", help="exit 1 when a document's word F1 is under this (0-1)")
    compare.add_argument("--json", action="store_true", help="print one JSON object")
    _add_limit_flags(compare)
    _add_ocr_flags(compare)
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
        if args.command == "compare":
            return _compare(args)
        if args.command in QUEUE_COMMANDS:
            return _queue(args)
        if args.command == "plugins":
            # Listing loads every plugin (wasm calls): off the main thread, as in _main.
            try:
                listing = run_off_main_thread(lambda: describe_plugins(Extractor(pins=_pins(args))))
            except KeyboardInterrupt:
                _interrupted(as_json)
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
        _fail(as_json, "cancelled", "cli", "interrupted")
        return INTERRUPTED_EXIT
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


def _queue(args: argparse.Namespace) -> int:
    """submit, worker, jobs, cancel (:mod:`conductor._queue_cli`), with this module's
    parsing of the flags they share with ``process``."""

    def settings() -> WorkerSettings:
        return WorkerSettings(
            limits=_limits(args),
            chunking=ChunkConfig(**_chunk_config(args, "worker")),
            pins=_pins(args),
            rate=None if args.rate is None else _rate(args.rate),
            ocr=_ocr_args(args),
        )

    sources = _sources(args.sources) if args.command == "submit" else []
    try:
        return queue_main(args, sources, settings)
    except ValueError as e:  # a flag out of range (--max-jobs 0)
        raise _UsageError(str(e)) from e


def _sources(values: list[str]) -> list[str]:
    sources: list[str] = []
    for value in values:
        if value == "-":
            sources += [line.strip() for line in sys.stdin if line.strip()]
        else:
            sources.append(value)
    return sources


def _rate(value: str) -> float:
    try:
        rate = float(value)
    except ValueError:
        rate = math.nan
    if not rate > 0:  # also nan
        raise _UsageError(
            f"--rate must be a number of requests per second above 0 (inf for no limit), "
            f"got {value!r}"
        )
    return rate


def _item(source: str, password: str | None = None) -> dict[str, str]:
    # Any scheme is a URL: the downloader names the ones it cannot fetch (ftp://), where
    # reading "ftp://host/a.pdf" as a path would only say "no such file".
    item = {"url": source} if _URL.match(source) else {"path": source}
    if password is not None:
        item["password"] = password
    return item


def _process(args: argparse.Namespace) -> int:
    fetch = FetchConfig()
    if args.concurrency is not None:
        concurrency = _int_arg("--concurrency", args.concurrency)
        if concurrency < 1:
            raise _UsageError(f"--concurrency must be at least 1, got {concurrency}")
        fetch = replace(fetch, concurrency=concurrency)
    if args.rate is not None:
        fetch = replace(fetch, rate_per_domain=_rate(args.rate))
    limits = _limits(args)
    chunking = ChunkConfig(**_chunk_config(args, "process"))
    sources = _sources(args.sources)
    conductor = Conductor(
        database=args.db,
        fetch=fetch,
        limits=limits,
        chunking=chunking,
        pins=_pins(args),
        retry_failed=args.retry_failed,
        ocr_progress=_ocr_progress if not args.json and sys.stderr.isatty() else None,
        **_ocr_args(args),
    )
    progress = not args.json and sys.stderr.isatty()
    start = time.monotonic()
    ok = failed = pages = chunks = ocr = 0
    failures: list[str] = []
    items = [_item(s, args.password) for s in sources]
    for result in conductor.iter_documents(items):
        if result.ok:
            ok += 1
            pages += result.page_count or 0
            chunks += len(result.chunks or ())
            if result.document is not None and any(p.needs_ocr for p in result.document.pages):
                ocr += 1
        else:
            failed += 1
            if result.error is not None:
                e = result.error
                # The source once: the error's own text starts with it again.
                failures.append(
                    f"{result.source}: {e.kind}: {e.message} [stage: {e.stage}; hint: {e.hint}]"
                )
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
            f"{ok} ok, {failed} failed, {_plural(pages, 'page')}, {_plural(chunks, 'chunk')}, "
            f"{ocr} need{'s' if ocr == 1 else ''} OCR, "
            f"{time.monotonic() - start:.1f} s (database {redact(args.db)})"
        )
    return 1 if failed else 0


def _compare(args: argparse.Namespace) -> int:
    min_f1 = None
    if args.min_f1 is not None:
        try:
            min_f1 = float(args.min_f1)
        except ValueError:
            min_f1 = math.nan
        if not 0 <= min_f1 <= 1:  # also nan
            raise _UsageError(f"--min-f1 must be a number from 0 to 1, got {args.min_f1!r}")
    # Before any extraction: a missing optional engine is one clear error, not one each.
    require_engine(args.reference, document=args.paths[0])
    extractor = Extractor(_limits(args), **_ocr_args(args))
    try:
        results = run_off_main_thread(
            lambda: [compare_document(extractor, p, args.reference) for p in args.paths]
        )
    except KeyboardInterrupt:
        _interrupted(bool(args.json))
    if args.json:
        print(json.dumps(compare_json(results, min_f1), ensure_ascii=False))
    else:
        print(format_comparison(results, min_f1))
    return 1 if any(r.below(min_f1) for r in results) else 0


def _ocr_progress(document: str, done: int, total: int) -> None:
    """The terminal's progress line while a document's pages are read by OCR (they take
    seconds each, where a whole text-layer document takes milliseconds)."""
    name = document if len(document) <= 40 else "..." + document[-37:]
    sys.stderr.write(f"\r\x1b[K  OCR {name}: page {done}/{total}")
    sys.stderr.flush()


def _show(args: argparse.Namespace) -> None:
    if (args.text or args.chunks) and args.document is None:
        raise _UsageError("--text and --chunks show one document: give its SHA256 (or a prefix)")
    # read-only: showing never creates, migrates or writes the file
    with open_store(args.db, read_only=True) as db:
        if args.document is not None:
            _show_document(args, db)
            return
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
    ocr = [d for d in documents if d.ocr_pages]
    print(
        f"{_plural(len(documents), 'document')} in {redact(args.db)}, "
        f"{len(ocr)} need{'s' if len(ocr) == 1 else ''} OCR"
    )
    for d in documents:
        label = d.title or d.name
        urls = " ".join(d.urls)
        needs = f"  ({d.ocr_pages} need OCR)" if d.ocr_pages else ""
        print(
            f"{d.sha256[:12]}  {d.format:<4}  {_plural(d.page_count, 'page', 4)}  "
            f"{_plural(d.chunks, 'chunk', 5)}  "
            f"{label}" + (f"  {urls}" if urls else "") + needs
        )
    if failures:
        print(_plural(len(failures), "failure"))
        for f in failures:
            print(f"{f.key}  {f.stage}/{f.kind}  {f.attempts}x  {f.message}")


def _show_document(args: argparse.Namespace, db: Store) -> None:
    """``show SHA256``: one document's summary, text (``--text``) or chunks (``--chunks``),
    in the shapes of ``extract`` and ``chunk``."""
    prefix = args.document
    found = db.find_documents(prefix)
    if not found:
        raise _UsageError(f"no stored document's sha256 starts with {prefix!r} (in {db.path})")
    if len(found) > 1:
        shown = ", ".join(s[:16] for s in found[:5]) + (", ..." if len(found) > 5 else "")
        raise _UsageError(f"{prefix!r} is the start of {len(found)} documents' sha256: {shown}")
    (sha,) = found
    document = db.load_document(sha)
    assert document is not None
    if args.text:
        _print_text(document, as_json=args.json)
        return
    if args.chunks:
        # the latest stored chunking
        _print_chunks(document, db.load_chunks(sha), as_json=args.json)
        return
    (summary,) = [d for d in db.summary() if d.sha256 == sha]
    chunkings = db.chunkings(sha)
    ocr = [p for p in document.pages if p.needs_ocr]
    if args.json:
        print(
            json.dumps(
                {
                    "document": asdict(summary),
                    "pages": [
                        {
                            "number": p.number,
                            "chars": p.chars,
                            "needs_ocr": p.needs_ocr,
                            "ocr_reason": p.ocr_reason,
                            "ocr": None if p.ocr is None else asdict(p.ocr),
                        }
                        for p in document.pages
                    ],
                    "chunkings": [{"key": k, "chunks": n} for k, n in chunkings],
                },
                ensure_ascii=False,
            )
        )
        return
    print(f"{sha}  {document.format}  {_plural(document.page_count, 'page')}  {document.source}")
    if summary.title:
        print(f"title: {summary.title}")
    print(f"extracted by: {summary.extractor or 'unknown plugin version'}")
    for url in summary.urls:
        print(f"url: {url}")
    if ocr:
        print(
            f"{_plural(len(ocr), 'page')} need OCR: "
            + ", ".join(f"{p.number} ({p.ocr_reason or 'no text'})" for p in ocr)
        )
    else:
        print("no page needs OCR")
    read = [p for p in document.pages if p.ocr is not None]
    if read:
        print(_ocr_summary(read))
    for key, n in chunkings:
        print(f"{_plural(n, 'chunk')}: {key}")
    if not chunkings:
        print("no chunks stored")
    print("(--text prints its text, --chunks its chunks; --json for JSON)")


if __name__ == "__main__":
    sys.exit(main())
