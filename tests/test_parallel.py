"""Page-parallel extraction: a large PDF split into page ranges, each extracted by its own
sandboxed instance on its own thread, gives exactly the document one call gives."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest

import conductor._extract
from _pdfgen import build_pdf
from conductor import Extractor, ExtractTimeoutError, Limits
from conductor._models import Document, ExtractWarning, Heading, Metadata, Page
from conductor._parallel import (
    HEAD_PAGES,
    MIN_RANGE_PAGES,
    estimate_page_count,
    memory_share,
    merge_documents,
    open_ranges,
    range_memory_mb,
    range_workers,
    split_ranges,
)
from conductor._sandbox import CallLimits, CallOutput, Runner


@pytest.mark.parametrize(
    ("first", "last", "parts", "expected"),
    [
        (17, 16, 4, []),
        (17, 20, 4, [(17, 20)]),  # too few pages to split
        (17, 17 + 2 * MIN_RANGE_PAGES - 1, 4, [(17, 64), (65, 112)]),
        (1, 10_000, 3, [(1, 3334), (3335, 6667), (6668, 10_000)]),
        (5, 300, 1, [(5, 300)]),
    ],
)
def test_split_ranges(first: int, last: int, parts: int, expected: list[tuple[int, int]]) -> None:
    got = split_ranges(first, last, parts)
    assert got == expected
    covered = [p for a, b in got for p in range(a, b + 1)]
    assert covered == list(range(first, last + 1))


def _doc(pages: range, warnings: list[ExtractWarning], headings: list[Heading]) -> Document:
    return Document(
        source="x.pdf",
        format="pdf",
        sha256="0" * 64,
        page_count=300,
        metadata=Metadata(title="Packet", page_count=300),
        pages=[Page(number=n, text=f"page {n}", chars=5) for n in pages],
        warnings=warnings,
        headings=headings,
    )


def test_merge_keeps_page_order_and_reports_document_warnings_once() -> None:
    load = ExtractWarning("repaired-xref", "the xref table was rebuilt")
    parts = [
        _doc(range(1, 17), [load, ExtractWarning("ocr", "p", 3)], [Heading("A", 1, 2)]),
        _doc(range(17, 160), [load, ExtractWarning("ocr", "p", 40)], [Heading("A", 1, 2)]),
        _doc(range(160, 301), [load], [Heading("B", 1, 200)]),
    ]
    merged = merge_documents(parts)
    assert [p.number for p in merged.pages] == list(range(1, 301))
    assert [(w.code, w.page) for w in merged.warnings] == [
        ("repaired-xref", None),
        ("ocr", 3),
        ("ocr", 40),
    ]
    assert [h.title for h in merged.headings] == ["A", "B"]
    assert merged.metadata.title == "Packet"


@pytest.fixture(scope="module")
def big_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """250 pages, each with words found on no other page."""
    texts = [
        f"Page {n} agenda item {n * 7919} resolution {n}-A\nMotion carried." for n in range(1, 251)
    ]
    path = tmp_path_factory.mktemp("parallel") / "packet.pdf"
    path.write_bytes(build_pdf(texts, title="Big packet"))
    return path


def _extractor(tmp_path: Path, workers: int, **limits: float) -> Extractor:
    # OCR off: the plugin's page ranges are under test (OCR comes after the merge)
    ex = Extractor(Limits(**limits), page_workers=workers, cache_dir=tmp_path, ocr="off")  # type: ignore[arg-type]
    ex.parallel_min_bytes = 0  # the generated file is small; split it anyway
    return ex


def test_parallel_result_equals_one_call(big_pdf: Path, tmp_path: Path) -> None:
    serial = _extractor(tmp_path, 1).extract(big_pdf)
    parallel = _extractor(tmp_path, 3).extract(big_pdf)
    assert len(parallel.pages) == 250 > HEAD_PAGES + 2 * MIN_RANGE_PAGES
    assert [p.number for p in parallel.pages] == list(range(1, 251))
    assert parallel.pages[199].text.startswith("Page 200 agenda item 1583800")
    assert parallel == serial


def test_page_objects_counted_in_the_bytes(big_pdf: Path, tmp_path: Path) -> None:
    assert estimate_page_count(big_pdf, "pdf", limit=10_000) == 250
    assert estimate_page_count(big_pdf, "pdf", limit=100) == 100
    assert estimate_page_count(big_pdf, "docx", limit=10_000) == 0  # PDF only
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    assert estimate_page_count(empty, "pdf", limit=10_000) == 0


def test_open_ranges_run_on_to_max_pages() -> None:
    assert open_ranges(250, 2, 10_000) == [(1, 125), (126, 10_000)]
    assert open_ranges(60, 4, 10_000) == []  # too few pages to split: learn the count first


@pytest.mark.parametrize(
    "estimate",
    [
        0,  # unknown (object streams): the head call learns the count
        100,  # too low: the open last range takes the rest
        1_000,  # too high (hostile bytes, incremental updates): later ranges find no pages
    ],
)
def test_a_wrong_page_estimate_changes_nothing_but_balance(
    estimate: int, big_pdf: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    serial = _extractor(tmp_path, 1).extract(big_pdf)
    monkeypatch.setattr(conductor._extract, "estimate_page_count", lambda *_, **__: estimate)
    parallel = _extractor(tmp_path, 3).extract(big_pdf)
    assert [p.number for p in parallel.pages] == list(range(1, 251))
    assert parallel.warnings == serial.warnings == []  # no range-past-the-end warning
    assert parallel == serial


def test_page_ranges_and_small_documents_stay_one_call(tmp_path: Path) -> None:
    ex = _extractor(tmp_path, 4)
    small = tmp_path / "small.pdf"
    small.write_bytes(build_pdf([f"p{n}" for n in range(1, 11)]))
    assert [p.text.strip() for p in ex.extract(small).pages] == [f"p{n}" for n in range(1, 11)]
    assert [p.number for p in ex.extract(small, pages=(3, 4)).pages] == [3, 4]


def test_range_workers_fit_the_documents_memory() -> None:
    mib = 1 << 20
    assert range_memory_mb(7 * mib) == 96 + 21
    assert range_workers(4, 768, 7 * mib) == 4  # 4 x 192 MiB: room for each
    assert range_workers(4, 256, 7 * mib) == 2  # 128 MiB each is enough, 85 is not
    assert range_workers(8, 768, 200 * mib) == 1  # one call: a share would be too small
    assert range_workers(1, 4096, 0) == 1
    assert memory_share(768, 3) == 256
    assert memory_share(768, 1) == 768


def test_parallel_ranges_share_the_documents_memory_limit(
    big_pdf: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Three instances at once get a third of ``memory_mb`` each, not ``memory_mb`` each:
    a document split in ranges cannot take the limit three times."""
    given: list[tuple[tuple[int, int] | None, int]] = []
    real_call = Extractor._call

    def spy(
        self: Extractor, call: conductor._extract._Call, pages: tuple[int, int] | None
    ) -> Document:
        given.append((pages, call.limits.memory_mb))
        return real_call(self, call, pages)

    monkeypatch.setattr(Extractor, "_call", spy)
    serial = _extractor(tmp_path, 1, memory_mb=600).extract(big_pdf)
    assert given == [(None, 600)]
    given.clear()
    parallel = _extractor(tmp_path, 3, memory_mb=600).extract(big_pdf)
    assert len(given) == 3
    assert {memory for _, memory in given} == {200}
    assert parallel == serial
    # Too little memory to share: one call with all of it.
    given.clear()
    assert _extractor(tmp_path, 3, memory_mb=150).extract(big_pdf) == serial
    assert given == [(None, 150)]


class _Clock:
    """A monotonic clock that moves only when told: deadlines without racing the engine
    (the real one extracts this packet's ranges inside one epoch tick)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


class _InlinePool:
    """Runs each submitted range at once, so the ranges' order (and the clock's) is known."""

    def submit(self, fn: Callable[..., Document], *args: object) -> Future[Document]:
        future: Future[Document] = Future()
        try:
            future.set_result(fn(*args))
        except BaseException as e:
            future.set_exception(e)
        return future


def test_each_range_runs_on_what_is_left_of_the_document_deadline(
    big_pdf: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = _Clock()
    monkeypatch.setattr(conductor._extract, "time", clock)
    given: list[float | None] = []
    call = Runner.call

    def spy(self: Runner, export: str, *args: Any, limits: CallLimits, **kw: Any) -> CallOutput:
        if export.startswith("extract"):  # not the plugin's info() on first load
            given.append(limits.time_left_s)
            clock.now += 4.0  # each range "takes" 4 s of the document's 10
        return call(self, export, *args, limits=limits, **kw)

    monkeypatch.setattr(Runner, "call", spy)
    ex = _extractor(tmp_path, 4, timeout_s=10.0)
    monkeypatch.setattr(ex, "_page_pool", _InlinePool)
    # Ranges 2-4 (submitted first) get 10, 6 and 2 s; range 1 finds no time left and
    # never starts an instance.
    with pytest.raises(ExtractTimeoutError, match=r"10 s deadline.*pages \(1, ") as info:
        ex.extract(big_pdf)
    assert info.value.document == str(big_pdf)
    assert given == [10.0, 6.0, 2.0]


@pytest.mark.skipif(shutil.which("qpdf") is None, reason="qpdf is not installed")
def test_a_real_packet_of_corpus_pdfs_is_the_same_in_parallel(corpus: Path, tmp_path: Path) -> None:
    civic = sorted((corpus / "civic").glob("*.pdf"))
    packet = tmp_path / "packet.pdf"
    subprocess.run(
        [
            "qpdf",
            "--no-warn",
            "--warning-exit-0",
            "--empty",
            "--pages",
            *map(os.fspath, civic),
            "--",
            os.fspath(packet),
        ],
        check=True,
    )
    serial = _extractor(tmp_path, 1).extract(packet)
    parallel = _extractor(tmp_path, 2).extract(packet)
    assert len(serial.pages) > HEAD_PAGES + 2 * MIN_RANGE_PAGES
    assert parallel == serial


def test_a_book_with_an_outline_is_the_same_in_parallel(corpus: Path, tmp_path: Path) -> None:
    """The 1,151-page LaTeX book (outline, links, named destinations): each range after
    the first loads only the objects its pages reach and carries no outline; the first
    range's outline and metadata make the document, as one call makes it."""
    path = corpus / "typeset" / "cplusplus-annotations.pdf"
    serial = _extractor(tmp_path, 1).extract(path)
    parallel = _extractor(tmp_path, 2).extract(path)
    assert len(serial.pages) == 1151
    assert len(serial.outline) > 100
    assert parallel == serial
