"""OCR of a document's pages: which pages, in which order, on how many cores, and what a
page that could not be read says.

Each page is rendered by a limited child (:mod:`._child`, pypdfium2) into a grayscale
image in a private temporary directory, then read by a limited tesseract child; pages run
on a pool of one thread per core, each thread waiting on its own child, so at most one
tesseract per core runs for all the documents of an :class:`OcrEngine`. A failure costs
that page's OCR only: a warning ``ocr_failed`` naming the stage (``render`` or
``tesseract``) and the limit or error, and the page keeps its text layer. A blank page
(nothing darker than near-white) is not sent to tesseract: its text is empty and its
``ocr`` has confidence 0.
"""

from __future__ import annotations

import os
import re
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

from conductor._models import Document, ExtractWarning, Page, PageOcr

from ._limited import ChildFailure, ChildLimits, python_child, run_limited
from ._tesseract import TESSERACT_ENV, PageText, Tesseract, find_tesseract, read_page

OCR_MODES = ("auto", "off", "force")
"""``auto``: pages whose text layer needs OCR; ``off``: none; ``force``: every page."""

_LANGUAGE = re.compile(r"^[A-Za-z0-9_]+$")

PageProgress = Callable[[str, int, int], None]
"""Called as ``(document, pages done, pages to OCR)`` after each page, from a worker thread."""


@dataclass(frozen=True)
class OcrOptions:
    """What OCR does and within which bounds.

    :param mode: one of :data:`OCR_MODES`.
    :param languages: tesseract language packs (``("eng", "spa")``).
    :param dpi: the resolution pages are rendered at (70-1200).
    :param workers: pages read at once (default: the CPU count).
    :param render: the renderer child's limits.
    :param tesseract: the tesseract child's limits.
    """

    mode: str = "auto"
    languages: tuple[str, ...] = ("eng",)
    dpi: int = 300
    workers: int = field(default_factory=lambda: os.cpu_count() or 1)
    render: ChildLimits = field(
        default_factory=lambda: ChildLimits(memory_mb=1024, cpu_s=60, timeout_s=60)
    )
    tesseract: ChildLimits = field(
        default_factory=lambda: ChildLimits(memory_mb=1024, cpu_s=120, timeout_s=120)
    )

    def __post_init__(self) -> None:
        if self.mode not in OCR_MODES:
            raise ValueError(f"ocr must be one of {', '.join(OCR_MODES)}, got {self.mode!r}")
        if isinstance(self.languages, str):
            # ("eng") is a str: take "eng+spa" as tesseract writes it.
            object.__setattr__(self, "languages", tuple(self.languages.split("+")))
        if not self.languages or not all(
            isinstance(lang, str) and _LANGUAGE.match(lang) for lang in self.languages
        ):
            raise ValueError(
                f"ocr_languages must be tesseract language names such as ('eng', 'spa'), "
                f"got {self.languages!r}"
            )
        dpi = self.dpi
        if isinstance(dpi, bool) or not isinstance(dpi, int) or not 70 <= dpi <= 1200:
            raise ValueError(f"ocr_dpi must be an integer from 70 to 1200, got {dpi!r}")
        if isinstance(self.workers, bool) or not isinstance(self.workers, int) or self.workers < 1:
            raise ValueError(f"OCR workers must be an int >= 1, got {self.workers!r}")


class OcrEngine:
    """Reads pages with OCR for one extractor: owns the pool of page workers (thread-safe;
    documents extracted at once share it, so tesseract stays at one child per core)."""

    def __init__(self, options: OcrOptions) -> None:
        self.options = options
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def apply(
        self, document: Document, pdf: Path, progress: PageProgress | None = None
    ) -> Document:
        """``document`` with the pages it needs read by OCR from ``pdf`` (its file)."""
        options = self.options
        if options.mode == "off" or document.format != "pdf":
            return document
        force = options.mode == "force"
        targets = [i for i, p in enumerate(document.pages) if force or p.needs_ocr]
        if not targets:
            return document
        tesseract = find_tesseract()
        missing = _unavailable(tesseract, options.languages)
        if tesseract is None or missing:
            for i in targets:
                document.warnings.append(
                    ExtractWarning("ocr_unavailable", missing, document.pages[i].number)
                )
            return document
        done = 0
        count_lock = threading.Lock()

        def one(i: int) -> Page | ExtractWarning:
            nonlocal done
            try:
                return self._read(tesseract, document.pages[i], pdf)
            finally:
                if progress is not None:
                    with count_lock:
                        done += 1
                        finished = done
                    progress(document.source, finished, len(targets))

        start = time.monotonic()
        results = list(self._workers().map(one, targets))
        for i, result in zip(targets, results, strict=True):
            if isinstance(result, Page):
                document.pages[i] = result
            else:
                document.warnings.append(result)
        document.ocr_seconds = time.monotonic() - start  # the pipeline's `ocr` stage
        return document

    def _read(self, tesseract: Tesseract, page: Page, pdf: Path) -> Page | ExtractWarning:
        options = self.options
        with tempfile.TemporaryDirectory(prefix="conductor-ocr-") as tmp:
            image = Path(tmp) / "page.pgm"
            argv = python_child("render", str(pdf), str(page.number), str(options.dpi), str(image))
            try:
                run_limited(argv, options.render, what="renderer")
            except ChildFailure as e:
                return _failed(page, "render", e)
            if image.stat().st_size == 0:
                # Blank: nothing drawn, nothing to read; tesseract is spared, and the page
                # says it was looked at (empty text, confidence 0).
                return _with_text(page, PageText("", 0.0), tesseract, options)
            try:
                read = read_page(
                    tesseract, image, options.languages, options.dpi, options.tesseract
                )
            except ChildFailure as e:
                return _failed(page, "tesseract", e)
        return _with_text(page, read, tesseract, options)

    def _workers(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(
                    self.options.workers, thread_name_prefix="conductor-ocr"
                )
            return self._pool

    def close(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = None


def _unavailable(tesseract: Tesseract | None, languages: tuple[str, ...]) -> str:
    """Why OCR cannot run at all (``""`` when it can)."""
    if tesseract is None:
        configured = os.environ.get(TESSERACT_ENV)
        which = (
            f"${TESSERACT_ENV} ({configured}) is not a program"
            if configured
            else "tesseract is not installed"
        )
        return (
            f"OCR unavailable: {which} (Debian: apt-get install tesseract-ocr "
            "tesseract-ocr-eng tesseract-ocr-osd)"
        )
    missing = [lang for lang in languages if lang not in tesseract.languages]
    if missing:
        packages = " ".join(f"tesseract-ocr-{lang.lower()}" for lang in missing)
        return (
            f"OCR unavailable: {tesseract.engine} has no language pack for "
            f"{', '.join(missing)} (installed: {', '.join(sorted(tesseract.languages))}; "
            f"Debian: apt-get install {packages})"
        )
    return ""


def _failed(page: Page, stage: str, failure: ChildFailure) -> ExtractWarning:
    return ExtractWarning(
        "ocr_failed",
        f"page {page.number}: OCR failed at stage {stage} ({failure.reason}): {failure.detail}",
        page.number,
    )


def _with_text(page: Page, read: PageText, tesseract: Tesseract, options: OcrOptions) -> Page:
    ocr = PageOcr(
        engine=tesseract.engine,
        languages=list(options.languages),
        confidence=read.confidence,
        dpi=options.dpi,
    )
    chars = sum(1 for c in read.text if not c.isspace())
    return replace(page, text=read.text, chars=chars, ocr=ocr)
