"""The :class:`Extractor`: read -> detect -> pick a plugin -> run it sandboxed -> convert
-> re-check; and chunking an extracted document (the work is in :mod:`conductor._chunk`).

The module-level functions over a default extractor are in :mod:`conductor._api`."""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

from ._builtin import CHUNKER
from ._chunk import Chunker
from ._convert import (
    EXTRACT_JSON,
    MalformedOutputError,
    document_from_json,
    document_from_wit,
    error_from_wit,
    extract_export,
    info_from_wit,
    options_to_wit,
    split_result,
)
from ._errors import (
    UNNAMED_DOCUMENT,
    ConductorError,
    CorruptDocumentError,
    ExtractTimeoutError,
    PluginFailureError,
    TooLargeError,
    UnsupportedFormatError,
)
from ._hookspecs import PluginSpec
from ._models import Chunk, Document, ExtractWarning, Limits
from ._ocr import (
    FALLBACK_ENGINES,
    ChildLimits,
    OcrEngine,
    OcrOptions,
    PageProgress,
    fallback_document,
)
from ._parallel import (
    HEAD_PAGES,
    estimate_page_count,
    memory_share,
    merge_documents,
    open_ranges,
    range_workers,
    split_ranges,
)
from ._registry import Registry, check_info
from ._sandbox import CallLimits, Runner, Sandbox
from ._source import Source as SourceFile
from ._source import open_source
from ._types import Encoding, Source

log = logging.getLogger("conductor.extract")

FALLBACK_ON = (CorruptDocumentError, PluginFailureError, ExtractTimeoutError)
"""The plugin failures the opt-in fallback engine retries (``corrupt``, ``plugin_failure``,
``timeout``); a ``memory_limit``, ``encrypted`` or ``too_large`` document is not retried."""

PARALLEL_MIN_BYTES = 4 << 20
"""Smaller documents are extracted in one call: another parse of the file costs more than
the pages it would spread (for plugins that support page-parallel extraction)."""


class Extractor:
    """Extracts documents; reusable and thread-safe.

    Keeps the engine and compiled components for its lifetime, and one runner per plugin
    per thread (wasmtime bindings are not thread-safe); every document still gets a fresh
    sandboxed instance.

    :param limits: bounds for every extraction (default :class:`Limits()`); a plugin's
        manifest may lower them (never raise them) for that plugin.
    :param registry: where plugins come from (default: a :class:`Registry` of the
        built-ins, entry points and plugin directories, with ``plugin_path`` and ``pins``).
    :param plugin_path: plugin directories (default ``$CONDUCTOR_PLUGIN_PATH`` and the
        per-user one); only without ``registry``.
    :param pins: format -> plugin name (default ``$CONDUCTOR_PIN``); only without ``registry``.
    :param cache_dir: compiled-component cache (default ``$XDG_CACHE_HOME/engagic-conductor``).
    :param chunker: the chunker component (default: the built-in ``chunker.wasm``).
    :param page_workers: instances extracting one large document at once, each on a page
        range (default: the CPU count; 1 turns page-parallel extraction off). Only for
        plugins that declare it (``page-parallel``; the PDF plugin) and documents of at
        least :data:`PARALLEL_MIN_BYTES`. The instances of one document share its
        ``Limits.memory_mb`` (fewer run when a share would be too small for the file), so
        a document never takes more than the limit, however it is split.
    :param ocr: ``"auto"`` (OCR the pages whose text layer needs it), ``"off"`` or
        ``"force"`` (every page); or :class:`OcrOptions` with the limits of the renderer
        and tesseract children too.
    :param ocr_languages: tesseract language packs, ``("eng", "spa")``.
    :param ocr_dpi: resolution pages are rendered at for OCR.
    :param ocr_progress: called ``(document, pages done, pages to OCR)`` after each page
        read by OCR (from a worker thread).
    :param fallback: ``"pdfium"``: when the PDF plugin fails with ``corrupt``,
        ``plugin_failure`` or ``timeout``, extract with pypdfium2 in a limited child
        process (``Document.engine == "pdfium-fallback"``, warning ``fallback``); ``None``
        (default): the error is raised.
    """

    def __init__(
        self,
        limits: Limits | None = None,
        *,
        registry: Registry | None = None,
        plugin_path: Iterable[str | os.PathLike[str]] | None = None,
        pins: Mapping[str, str] | None = None,
        cache_dir: Path | None = None,
        chunker: Path | None = None,
        page_workers: int | None = None,
        ocr: str | OcrOptions = "auto",
        ocr_languages: tuple[str, ...] = ("eng",),
        ocr_dpi: int = 300,
        ocr_progress: PageProgress | None = None,
        fallback: str | None = None,
    ) -> None:
        if fallback is not None and fallback not in FALLBACK_ENGINES:
            raise ValueError(
                f"fallback must be None or one of {FALLBACK_ENGINES}, got {fallback!r}"
            )
        self.fallback = fallback
        self.ocr = ocr_options(ocr, ocr_languages, ocr_dpi)
        self._ocr = OcrEngine(self.ocr)
        self._ocr_progress = ocr_progress
        if registry is not None and (plugin_path is not None or pins is not None):
            raise ValueError("give plugin_path and pins to the Registry, not beside it")
        self.limits = limits or Limits()
        self._registry = registry
        self._registry_args = (plugin_path, pins)
        workers = page_workers if page_workers is not None else os.cpu_count() or 1
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise ValueError(f"page_workers must be an int >= 1, got {page_workers!r}")
        self.page_workers = workers
        self.parallel_min_bytes = PARALLEL_MIN_BYTES
        """Documents smaller than this are extracted in one call."""
        self._pool: ThreadPoolExecutor | None = None
        self._sandbox = Sandbox(max_wasm_stack=self.limits.max_wasm_stack, cache_dir=cache_dir)
        self.chunker = Chunker(self._sandbox, chunker or CHUNKER)
        self._lock = threading.Lock()
        self._local = threading.local()

    @property
    def registry(self) -> Registry:
        with self._lock:
            if self._registry is None:
                plugin_path, pins = self._registry_args
                self._registry = Registry(plugin_path=plugin_path, pins=pins)
            return self._registry

    def extract(
        self,
        source: Source,
        *,
        pages: tuple[int, int] | None = None,
        name: str | None = None,
        format: str | None = None,
        media_type: str | None = None,
        password: str | None = None,
        ocr: OcrOptions | None = None,
    ) -> Document:
        """Extracts ``source`` (a path or the document's bytes).

        :param pages: inclusive 1-based page range; ``None`` for every page.
        :param name: how errors and ``Document.source`` name the document; its extension
            (or the path's) is a format hint for formats without magic bytes.
        :param format: skip detection and use this format's plugin.
        :param media_type: the document's Content-Type, a format hint like the extension.
        :param password: the password of an encrypted document (PDF: its user password,
            or the owner password of AES-256 encryption); passed to the plugin only, never
            logged nor kept. Ignored for a document that is not encrypted.
        :param ocr: OCR for this call (default: the extractor's, :attr:`ocr`).
        :raises EncryptedDocumentError: when the document needs a password and none, or a
            wrong one, was given.
        :raises ConductorError: one of its subclasses, naming the document and stage.
        :raises ValueError: for an invalid ``pages`` range.
        """
        return self._extract(
            source,
            pages=pages,
            name=name,
            format=format,
            media_type=media_type,
            limits=self.limits,
            password=password,
            ocr=ocr,
        )

    def _extract(
        self,
        source: Source,
        *,
        pages: tuple[int, int] | None,
        name: str | None,
        format: str | None,
        limits: Limits,
        media_type: str | None = None,
        password: str | None = None,
        ocr: OcrOptions | None = None,
    ) -> Document:
        _check_pages(pages)
        if password is not None and not isinstance(password, str):
            raise TypeError(f"password must be a str, got {type(password).__name__}")
        detector = None if format else self.registry.detector
        with open_source(
            source,
            name=name,
            max_bytes=limits.max_bytes,
            detector=detector,
            media_type=media_type,
        ) as src:
            fmt = format or src.format or ""
            spec, _ = self._load(fmt, document=src.name)
            limits = with_overrides(limits, spec)
            deadline = time.monotonic() + limits.timeout_s
            call = _Call(spec, src, fmt, limits, deadline, password or None)
            parallel = (
                spec.page_parallel
                and pages is None
                and self.page_workers > 1
                and src.size >= self.parallel_min_bytes
            )
            try:
                document = self._extract_parallel(call) if parallel else self._call(call, pages)
            except FALLBACK_ON as e:
                if self.fallback is None or fmt != "pdf":
                    raise
                log.info("%s: the PDF plugin failed (%s), using the fallback", src.name, e.kind)
                # The plugin's own memory cap, but at least what pdfium needs to open
                # a large packet; the document's deadline and as many CPU seconds.
                limits_ = ChildLimits(
                    memory_mb=max(1024, limits.memory_mb),
                    cpu_s=max(1, math.ceil(limits.timeout_s)),
                    timeout_s=limits.timeout_s,
                )
                document = fallback_document(
                    Path(src.path), source=src.name, sha256=src.sha256, cause=e, limits=limits_
                )
                if pages is not None:
                    first, last = pages
                    document.pages = [p for p in document.pages if first <= p.number <= last]
            document = self._read_ocr(document, Path(src.path), ocr)
        return self.bind(enforce_limits(document, limits))

    def _read_ocr(self, document: Document, pdf: Path, options: OcrOptions | None) -> Document:
        """The pages that need it read by OCR, with this extractor's engine (its pool is
        shared by the documents extracted at once) or, for other options, one for the call."""
        if options is None or options == self.ocr:
            return self._ocr.apply(document, pdf, self._ocr_progress)
        engine = OcrEngine(options)
        try:
            return engine.apply(document, pdf, self._ocr_progress)
        finally:
            engine.close()

    def bind(self, document: Document) -> Document:
        """Makes ``document.chunk()`` use this extractor's chunker (and limits); for
        documents it did not make itself, such as ones read back from a store."""
        document._chunker = self._chunk
        return document

    def _extract_parallel(self, call: _Call) -> Document:
        """The document in page ranges on :attr:`page_workers` threads, each range in its
        own instance: all at once when the file shows its page count, else after a first
        call on :data:`HEAD_PAGES` pages that learns it."""
        workers = range_workers(self.page_workers, call.limits.memory_mb, call.source.size)
        if workers < 2:
            return self._call(call, None)
        estimate = estimate_page_count(call.source.path, call.format, limit=call.limits.max_pages)
        ranges = open_ranges(estimate, workers, call.limits.max_pages)
        if ranges:
            return merge_documents(self._call_ranges(call, ranges), open_ended=True)
        head = self._call(call, (1, HEAD_PAGES))
        ranges = split_ranges(HEAD_PAGES + 1, head.metadata.page_count, workers)
        if not ranges:
            return head
        return merge_documents([head, *self._call_ranges(call, ranges)])

    def _call_ranges(self, call: _Call, ranges: list[tuple[int, int]]) -> list[Document]:
        """The ranges' documents in order: the first on this thread, the others on the
        page pool; each instance has its share of the document's memory limit."""
        share = memory_share(call.limits.memory_mb, len(ranges))
        call = replace(call, limits=replace(call.limits, memory_mb=share))
        pool = self._page_pool()
        futures = [pool.submit(self._call, call, r) for r in ranges[1:]]
        try:
            parts = [self._call(call, ranges[0])]
            parts += [f.result() for f in futures]
        finally:
            for f in futures:
                f.cancel()
        return parts

    def _page_pool(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(
                    self.page_workers - 1, thread_name_prefix="conductor-pages"
                )
            return self._pool

    def _call(self, call: _Call, pages: tuple[int, int] | None) -> Document:
        """One sandboxed ``extract`` of ``call``'s document, within the time left."""
        src, spec, limits = call.source, call.spec, call.limits
        left = call.deadline - time.monotonic()
        if left <= 0:
            raise ExtractTimeoutError(
                f"the document took longer than its {limits.timeout_s:g} s deadline "
                f"(page-parallel extraction, pages {pages})",
                document=src.name,
            )
        runner = self._runner(spec, document=src.name)
        options = options_to_wit(
            pages,
            max_chars_per_page=limits.max_chars_per_page,
            max_pages=limits.max_pages,
            size_hint=src.size,
            password=call.password,
        )
        # The call's deadline is what is left of the document's, so that ranges run
        # after the first still end by it.
        call_limits = CallLimits(limits.memory_mb, limits.timeout_s, limits.max_wasm_stack, left)
        # extract-json when the plugin has it (0.3.0): the same document, lifted far cheaper.
        export = extract_export(runner.exports)
        as_json = export == EXTRACT_JSON
        out = runner.call(export, options, stdin=src.path, limits=call_limits, document=src.name)
        try:
            value, error = split_result(out.value, ok=str) if as_json else split_result(out.value)
            if error is not None:
                raise error_from_wit(*error, document=src.name, plugin=spec.name)
            convert = document_from_json if as_json else document_from_wit
            return convert(value, source=src.name, format=call.format, sha256=src.sha256)
        except MalformedOutputError as e:
            raise PluginFailureError(
                f"plugin {spec.name!r} returned output that breaks the contract: {e}",
                document=src.name,
            ) from e

    def chunk(
        self,
        document: Document,
        *,
        max_tokens: int = 512,
        overlap_tokens: int = 0,
        encoding: Encoding = "cl100k_base",
        respect_paragraphs: bool = True,
    ) -> list[Chunk]:
        """Splits ``document``'s text into chunks: see :func:`conductor.chunk`.

        Runs under this extractor's limits (memory, deadline: stage ``chunk``).
        """
        return self._chunk(
            document,
            max_tokens=max_tokens,
            overlap_tokens=overlap_tokens,
            encoding=encoding,
            respect_paragraphs=respect_paragraphs,
            limits=None,
        )

    def _chunk(
        self,
        document: Document,
        *,
        max_tokens: int,
        overlap_tokens: int,
        encoding: Encoding,
        respect_paragraphs: bool,
        limits: Limits | None,
    ) -> list[Chunk]:
        """:meth:`chunk` under ``limits`` (default: this extractor's); what the documents
        it extracts call for :meth:`Document.chunk`, and what :func:`conductor.chunk` calls."""
        return self.chunker.chunk(
            document,
            max_tokens=max_tokens,
            overlap_tokens=overlap_tokens,
            encoding=encoding,
            respect_paragraphs=respect_paragraphs,
            limits=limits or self.limits,
        )

    def check_plugins(self) -> None:
        """Loads every plugin now (compiling components not yet in the disk cache) and
        moves the broken ones to ``registry.rejected``; dispatch does the same lazily."""
        for plugin in self.registry.plugins:
            try:
                self._runner(plugin.spec, document=f"<plugin {plugin.spec.name}>")
            except PluginFailureError as e:
                self.registry.reject(plugin.spec, e.message)
            except ConductorError as e:
                # A limit hit while loading (memory, deadline) says nothing about the
                # plugin: it stays, and the next use tries again.
                log.warning("plugin %r did not load within the limits: %s", plugin.spec.name, e)

    def _load(self, fmt: str, *, document: str) -> tuple[PluginSpec, Runner]:
        """The first candidate plugin for ``fmt`` that loads; broken ones are rejected.

        Only the plugin's own failure (:class:`PluginFailureError`: its component does
        not compile, is of the wrong world or API version, traps in ``info()``, or
        disagrees with its manifest) rejects it. A limit hit while loading it (memory,
        deadline) is this document's error: it is raised, and the next document tries
        the plugin again.
        """
        candidates = self.registry.candidates(fmt)
        failure: ConductorError | None = None
        for spec in candidates:
            try:
                return spec, self._runner(spec, document=document)
            except PluginFailureError as e:
                log.warning("plugin %r is broken, trying the next one: %s", spec.name, e)
                self.registry.reject(spec, e.message)
                failure = e
        if failure is not None:
            raise failure
        rejected = [f"{r.name} ({r.reason})" for r in self.registry.rejected if r.name]
        raise UnsupportedFormatError(
            f"no usable plugin handles {fmt!r} (installed for: "
            f"{', '.join(self.registry.formats) or 'nothing'}"
            + (f"; rejected: {'; '.join(rejected)}" if rejected else "")
            + ")",
            document=document,
            hint=f"install a plugin for {fmt!r} (docs/plugins.md); `conductor plugins` "
            "lists what was found",
        )

    def _runner(self, spec: PluginSpec, *, document: str) -> Runner:
        runners: dict[Path, Runner] = self._local.__dict__.setdefault("runners", {})
        runner = runners.get(spec.component_path)
        if runner is None:
            try:
                runner = self._sandbox.runner(spec.component_path, plugin=spec.name)
                self._verify(spec, runner, document=document)
            except ConductorError as e:
                # The sandbox and the version check do not know which document asked.
                if e.document == UNNAMED_DOCUMENT:
                    e.document = document
                raise
            runners[spec.component_path] = runner
        return runner

    def _verify(self, spec: PluginSpec, runner: Runner, *, document: str) -> None:
        if self.registry.info(spec) is not None:
            return
        exports = self._sandbox.exports(spec.component_path, plugin=spec.name)
        if not {"info", "extract"} <= set(exports):
            raise PluginFailureError(
                f"plugin {spec.name!r}: component {spec.component_path.name} is not an "
                f"extractor (it exports {exports}; the extractor world exports info and "
                "extract): wrong world",
                document=document,
                stage="load",
                hint="build it against world `extractor` of wit/extractor.wit",
            )
        out = runner.call("info", stdin=None, limits=_call_limits(self.limits), document=document)
        try:
            info = info_from_wit(out.value)
        except MalformedOutputError as e:
            raise PluginFailureError(
                f"plugin {spec.name!r}: info() returned {e}", document=document, stage="load"
            ) from e
        check_info(spec, info, document=document)
        self.registry.accept(spec, info)


@dataclass(frozen=True)
class _Call:
    """One document's extraction: what every sandboxed call for it shares."""

    spec: PluginSpec
    source: SourceFile
    format: str
    limits: Limits
    deadline: float
    password: str | None = field(default=None, repr=False)
    """For every call on the document (each page range too); never in a repr."""


def ocr_options(ocr: str | OcrOptions, languages: tuple[str, ...], dpi: int) -> OcrOptions:
    """:class:`OcrOptions` from the ``ocr``, ``ocr_languages`` and ``ocr_dpi`` arguments
    (``ocr`` may be whole options already; then the other two must be left as they are).

    :raises ValueError: for an unknown mode, a bad language name or dpi.
    """
    if isinstance(ocr, OcrOptions):
        if tuple(languages) != ("eng",) or dpi != 300:
            raise ValueError("give ocr_languages and ocr_dpi inside the OcrOptions, not beside")
        return ocr
    return OcrOptions(mode=ocr, languages=tuple(languages), dpi=dpi)


def with_overrides(limits: Limits, spec: PluginSpec) -> Limits:
    """``limits`` lowered where the plugin's manifest asks for less.

    A manifest may only tighten: the caller's limits (``--memory-mb 256``) bind every
    plugin, and a drop-in cannot grant itself more memory or time than the caller gave.
    """
    lowered = {
        field: value for field, value in spec.limits.items() if value < getattr(limits, field)
    }
    if not lowered:
        return limits
    return replace(limits, **lowered)  # type: ignore[arg-type]


def _call_limits(limits: Limits) -> CallLimits:
    return CallLimits(limits.memory_mb, limits.timeout_s, limits.max_wasm_stack)


def _check_pages(pages: tuple[int, int] | None) -> None:
    if pages is None:
        return
    ok = (
        isinstance(pages, tuple)
        and len(pages) == 2
        and all(isinstance(p, int) and not isinstance(p, bool) for p in pages)
        and 1 <= pages[0] <= pages[1] < 1 << 32
    )
    if not ok:
        raise ValueError(f"pages must be (first, last) with 1 <= first <= last, got {pages!r}")


def _count_chars(text: str) -> int:
    return sum(1 for c in text if not c.isspace())


def enforce_limits(document: Document, limits: Limits) -> Document:
    """The host's re-check of what a plugin returned.

    Page text over ``max_chars_per_page`` is cut (warning ``truncated``); more pages than
    ``max_pages`` is :class:`TooLargeError`. The total output is bounded by both together,
    and before that by the plugin's memory limit (the strings came out of its memory).
    """
    if len(document.pages) > limits.max_pages:
        raise TooLargeError(
            f"the plugin returned {len(document.pages):,} pages, over the "
            f"{limits.max_pages:,} page limit",
            document=document.source,
            stage="extract",
        )
    cap = limits.max_chars_per_page
    for i, page in enumerate(document.pages):
        if len(page.text) > cap:
            document.warnings.append(
                ExtractWarning(
                    "truncated",
                    f"page {page.number} text cut from {len(page.text):,} to {cap:,} characters",
                    page.number,
                )
            )
            text = page.text[:cap]
            document.pages[i] = replace(page, text=text, chars=_count_chars(text))
    return document
