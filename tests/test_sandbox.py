"""The sandbox, driven by the misbehaving test component (tests/components/misbehave)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from wasmtime.component import Record, Variant

from conductor import (
    CorruptDocumentError,
    EncryptedDocumentError,
    Extractor,
    ExtractTimeoutError,
    MemoryLimitError,
    PluginFailureError,
    ReadError,
    TooLargeError,
    UnsupportedFormatError,
)
from conductor._convert import MalformedOutputError, options_to_wit, split_result
from conductor._sandbox import CallLimits, CappedOutput, Sandbox, _engine

Make = Callable[..., Extractor]


def run(extractor: Extractor, text: str, **kw: object) -> object:
    return extractor.extract(text.encode(), format="misbehave", name="doc.mis", **kw)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def small(misbehave_extractor: Make) -> Extractor:
    """Tight limits so that misbehaviour is caught quickly."""
    return misbehave_extractor(memory_mb=64, timeout_s=1.0, max_chars_per_page=1000, max_pages=100)


def test_echo_round_trip_and_options_reach_the_plugin(small: Extractor) -> None:
    doc = small.extract(b"alpha\fbeta  gamma\fdelta", format="misbehave", name="e.mis")
    assert [p.number for p in doc.pages] == [1, 2, 3]
    assert [p.text for p in doc.pages] == ["alpha", "beta  gamma", "delta"]
    assert doc.pages[1].chars == 9  # whitespace is not counted
    assert doc.page_count == 3
    assert doc.metadata.page_count == 3
    assert doc.metadata.title == "misbehave echo"
    assert doc.metadata.subject == "pages=all max-chars=1000 max-pages=100"
    assert doc.format == "misbehave"
    assert doc.source == "e.mis"
    import hashlib

    assert doc.sha256 == hashlib.sha256(b"alpha\fbeta  gamma\fdelta").hexdigest()


def test_page_range_is_passed_as_options(small: Extractor) -> None:
    doc = small.extract(b"a\fb\fc\fd", format="misbehave", pages=(2, 3))
    assert [(p.number, p.text) for p in doc.pages] == [(2, "b"), (3, "c")]
    assert doc.metadata.subject is not None
    assert doc.metadata.subject.startswith("pages=2-3 ")
    assert doc.page_count == 4


@pytest.mark.parametrize("pages", [(0, 1), (3, 2), (1,), [1, 2], (1, 1 << 32)])
def test_bad_page_ranges_are_refused(small: Extractor, pages: object) -> None:
    with pytest.raises(ValueError, match="pages"):
        small.extract(b"x", format="misbehave", pages=pages)  # type: ignore[arg-type]


def test_every_field_converts(small: Extractor) -> None:
    doc = small.extract(b"MISBEHAVE full", format="misbehave")
    m = doc.metadata
    assert (m.title, m.author, m.subject, m.creator, m.producer) == (
        "Full Title",
        "An Author",
        "A Subject",
        "A Creator",
        "A Producer",
    )
    assert (m.created, m.modified, m.page_count) == ("2024-01-02T03:04:05Z", "D:20240102", 3)
    p1, p2, p3 = doc.pages
    assert (p1.text, p1.chars, p1.needs_ocr, p1.ocr_reason) == ("Hello wörld", 10, False, None)
    assert p1.links == ["https://example.org/a", "mailto:x@example.org"]
    assert (p2.needs_ocr, p2.ocr_reason) == (True, "no_text_layer")
    assert (p3.needs_ocr, p3.ocr_reason) == (True, "garbled_text")
    assert [(o.title, o.level, o.page) for o in doc.outline] == [
        ("Part 1", 1, 1),
        ("Nowhere", 2, None),
    ]
    assert [(w.code, w.page) for w in doc.warnings] == [("font-map", 3), ("other", None)]


@pytest.mark.parametrize(
    ("case", "error"),
    [
        ("corrupt", CorruptDocumentError),
        ("encrypted", EncryptedDocumentError),
        ("too-large", TooLargeError),
        ("unsupported", UnsupportedFormatError),
        ("internal", PluginFailureError),
    ],
)
def test_extract_errors_map_to_their_kind(
    small: Extractor, case: str, error: type[Exception]
) -> None:
    with pytest.raises(error) as info:
        run(small, f"MISBEHAVE error {case} the reason is {case}")
    assert f"the reason is {case}" in str(info.value)
    assert info.value.stage == "extract"  # type: ignore[attr-defined]
    assert info.value.document == "doc.mis"  # type: ignore[attr-defined]


def test_panic_is_an_internal_error_with_its_message(small: Extractor) -> None:
    with pytest.raises(PluginFailureError, match="index out of bounds: the len is 0"):
        run(small, "MISBEHAVE panic")


def test_timeout_stops_an_infinite_loop(small: Extractor) -> None:
    start = time.monotonic()
    with pytest.raises(ExtractTimeoutError, match="1 s deadline") as info:
        run(small, "MISBEHAVE loop")
    elapsed = time.monotonic() - start
    assert 0.9 <= elapsed < 2.0
    assert info.value.kind == "timeout"


def test_memory_cap_is_a_memory_limit_error(small: Extractor) -> None:
    with pytest.raises(MemoryLimitError, match="64 MiB") as info:
        run(small, "MISBEHAVE alloc")
    assert "memory allocation of" in info.value.message  # the plugin's stderr, captured


@pytest.mark.parametrize(
    ("what", "match"),
    [
        ("trap", "unreachable"),
        ("abort", "unreachable"),
        ("exit", "exited instead of returning"),
        ("stack", "overflowed its 1048576 byte wasm stack"),
        ("shadow-stack", "out of bounds memory access"),
    ],
)
def test_traps_are_plugin_failures_and_the_next_document_works(
    small: Extractor, what: str, match: str
) -> None:
    with pytest.raises(PluginFailureError, match=match):
        run(small, f"MISBEHAVE {what}")
    doc = small.extract(b"still alive", format="misbehave")
    assert doc.pages[0].text == "still alive"


def test_every_trap_in_a_row_on_one_extractor(small: Extractor) -> None:
    for what, error in [
        ("alloc", MemoryLimitError),
        ("trap", PluginFailureError),
        ("stack", PluginFailureError),
        ("panic", PluginFailureError),
    ]:
        with pytest.raises(error):
            run(small, f"MISBEHAVE {what}")
        assert small.extract(b"next", format="misbehave").text == "next"


def test_huge_page_is_truncated_with_a_warning(misbehave_extractor: Make) -> None:
    ex = misbehave_extractor(max_chars_per_page=1000)
    doc = run(ex, "MISBEHAVE huge-output 50000000")
    page = doc.pages[0]  # type: ignore[attr-defined]
    assert page.text == "x" * 1000
    assert page.chars == 1000
    warning = doc.warnings[0]  # type: ignore[attr-defined]
    assert (warning.code, warning.page) == ("truncated", 1)
    assert "50,000,000" in warning.message


def test_too_many_pages_is_too_large(small: Extractor) -> None:
    with pytest.raises(TooLargeError, match="150 pages, over the 100 page limit"):
        run(small, "MISBEHAVE pages 150")
    assert len(run(small, "MISBEHAVE pages 100").pages) == 100  # type: ignore[attr-defined]


def test_sandbox_grants_nothing(small: Extractor) -> None:
    report = run(small, "MISBEHAVE env").pages[0].text  # type: ignore[attr-defined]
    lines = report.splitlines()
    assert "env vars: 0" in lines
    assert "args: 0" in lines
    assert "OPEN" not in report
    for probe in ["read_dir /", "read_dir .", "read /etc/passwd", "write /tmp", "tcp 127.0.0.1"]:
        assert any(line.startswith(probe) and "denied" in line for line in lines), probe
    assert not Path("/tmp/misbehave-was-here").exists()


def test_stdout_and_stderr_are_captured_and_capped(misbehave_component: Path) -> None:
    sandbox = Sandbox(max_wasm_stack=1 << 20, cache_dir=None)
    runner = sandbox.runner(misbehave_component, plugin="misbehave")
    doc = Path(__file__).parent / "_spam.tmp"
    doc.write_bytes(b"MISBEHAVE spam 3000000")
    try:
        out = runner.call(
            "extract",
            options_to_wit(None, max_chars_per_page=10, max_pages=10),
            stdin=doc,
            limits=CallLimits(64, 10.0, 1 << 20),
            document="spam",
        )
    finally:
        doc.unlink()
    assert out.stdout.total == 3_000_000
    assert out.stderr.total == 3_000_000
    assert out.stdout.data == b"o" * (64 * 1024)


def test_a_call_stops_when_the_documents_time_left_runs_out(
    misbehave_component: Path, tmp_path: Path
) -> None:
    """A later call of a several-call document (a page range) gets what is left of the
    document's deadline, not a fresh ``timeout_s``; the error still names ``timeout_s``."""
    runner = Sandbox(max_wasm_stack=1 << 20, cache_dir=None).runner(
        misbehave_component, plugin="misbehave"
    )
    doc = tmp_path / "loop.mis"
    doc.write_bytes(b"MISBEHAVE loop")
    start = time.monotonic()
    with pytest.raises(ExtractTimeoutError, match="30 s deadline"):
        runner.call(
            "extract",
            options_to_wit(None, max_chars_per_page=10, max_pages=10),
            stdin=doc,
            limits=CallLimits(64, 30.0, 1 << 20, time_left_s=0.3),
            document="loop.mis",
        )
    assert 0.25 <= time.monotonic() - start < 2.0


def test_capped_output_keeps_the_head() -> None:
    cap = CappedOutput(cap=5)
    cap(b"abc")
    cap(b"defgh")
    assert (cap.data, cap.total, cap.text()) == (b"abcde", 8, "abcde")


def test_parallel_threads_get_their_own_stores(small: Extractor) -> None:
    results: dict[int, str] = {}

    def work(i: int) -> None:
        results[i] = small.extract(f"thread {i}".encode(), format="misbehave").text

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == {i: f"thread {i}" for i in range(4)}


def test_size_limit_is_checked_before_the_plugin_runs(misbehave_extractor: Make) -> None:
    ex = misbehave_extractor(max_bytes=10, timeout_s=30.0)
    start = time.monotonic()
    with pytest.raises(TooLargeError, match="over the 10 byte limit") as info:
        run(ex, "MISBEHAVE loop")
    assert info.value.stage == "read"
    assert time.monotonic() - start < 1.0


def test_bytes_go_through_a_private_temp_file_that_is_removed(
    small: Extractor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    modes: list[int] = []
    real_mkstemp = tempfile.mkstemp

    def spy(*args: Any, **kw: Any) -> tuple[int, str]:
        fd, name = real_mkstemp(*args, **kw)
        modes.append(stat.S_IMODE(os.stat(name).st_mode))
        return fd, name

    monkeypatch.setattr(tempfile, "mkstemp", spy)
    doc = small.extract(b"private bytes", format="misbehave")
    assert doc.text == "private bytes"
    assert modes == [0o600]
    assert list(tmp_path.iterdir()) == []


def test_paths_are_read_and_missing_ones_are_read_errors(small: Extractor, tmp_path: Path) -> None:
    path = tmp_path / "d.mis"
    path.write_bytes(b"from a file")
    doc = small.extract(path, format="misbehave")
    assert (doc.source, doc.text) == (str(path), "from a file")
    with pytest.raises(ReadError, match="no such file") as info:
        small.extract(tmp_path / "nope.pdf")
    assert info.value.stage == "read"
    assert info.value.document.endswith("nope.pdf")
    with pytest.raises(ReadError, match="not a regular file"):
        small.extract(tmp_path)


def test_idle_ticker_thread_exits(
    misbehave_extractor: Make, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_engine, "IDLE_EXIT_S", 0.05)
    ex = misbehave_extractor()
    ex.extract(b"tick", format="misbehave")
    ticker = ex._sandbox.ticker
    deadline = time.monotonic() + 2
    while ticker.running and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not ticker.running
    assert ex.extract(b"tock", format="misbehave").text == "tock"  # restarts on demand


def test_compiled_component_cache(misbehave_component: Path, tmp_path: Path) -> None:
    first = Sandbox(max_wasm_stack=1 << 20, cache_dir=tmp_path)
    first.component(misbehave_component, plugin="misbehave")
    (entry,) = tmp_path.glob("misbehave-*.cwasm")
    assert stat.S_IMODE(entry.stat().st_mode) == 0o600
    mtime = entry.stat().st_mtime_ns
    Sandbox(max_wasm_stack=1 << 20, cache_dir=tmp_path).component(
        misbehave_component, plugin="misbehave"
    )
    assert entry.stat().st_mtime_ns == mtime  # loaded, not rewritten
    other = Sandbox(max_wasm_stack=2 << 20, cache_dir=tmp_path)
    other.component(misbehave_component, plugin="misbehave")
    assert len(list(tmp_path.glob("misbehave-*.cwasm"))) == 2  # keyed by engine config
    entry.write_bytes(b"garbage")
    third = Sandbox(max_wasm_stack=1 << 20, cache_dir=tmp_path)
    runner = third.runner(misbehave_component, plugin="misbehave")
    info = runner.call("info", stdin=None, limits=CallLimits(64, 5.0, 1 << 20), document="-")
    assert info.value.name == "misbehave"  # recompiled after the bad entry


def test_split_result_handles_both_branches() -> None:
    ok = Record()
    assert split_result(ok) == (ok, None)
    assert split_result(Variant("corrupt", "bad xref")) == (None, ("corrupt", "bad xref"))
    assert split_result(Variant("ok", ok)) == (ok, None)
    assert split_result(Variant("err", Variant("encrypted", "pw"))) == (None, ("encrypted", "pw"))
    with pytest.raises(MalformedOutputError):
        split_result("nonsense")


def test_options_to_wit() -> None:
    opts = options_to_wit((2, 5), max_chars_per_page=7, max_pages=9)
    assert (opts.pages.first, opts.pages.last) == (2, 5)  # type: ignore[attr-defined]
    assert getattr(opts, "max-chars-per-page") == 7
    assert getattr(opts, "max-pages") == 9
    assert options_to_wit(None, max_chars_per_page=1, max_pages=1).pages is None  # type: ignore[attr-defined]


_CHILD = """
import resource, sys
from pathlib import Path
from typing import Any
sys.path.insert(0, {tests!r})
from conftest import MisbehavePlugin
from conductor import Extractor, Limits, MemoryLimitError
from conductor._registry import Registry
ex = Extractor(Limits(memory_mb=256, timeout_s=5.0),
               registry=Registry([MisbehavePlugin(Path({wasm!r}))], entry_points=False),
               cache_dir=Path({cache!r}))
for _ in range(2):
    try:
        ex.extract(b"MISBEHAVE alloc", format="misbehave")
    except MemoryLimitError:
        pass
    assert ex.extract(b"ok", format="misbehave").text == "ok"
# VmHWM is this process image's own peak: ru_maxrss also counts, on Linux, the parent's
# pages that the child shared between fork (or vfork) and exec, so a big pytest process
# would inflate it.
try:
    with open("/proc/self/status") as f:
        print(next(int(l.split()[1]) for l in f if l.startswith("VmHWM:")) // 1024)
except OSError:
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
"""


def test_memory_bomb_stays_within_budget_in_a_fresh_process(
    misbehave_component: Path, tmp_path: Path
) -> None:
    code = _CHILD.format(
        tests=str(Path(__file__).parent), wasm=str(misbehave_component), cache=str(tmp_path)
    )
    for _ in range(2):  # also: nothing is printed at interpreter exit
        proc = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
        )
        assert proc.returncode == 0, proc.stderr
        assert proc.stderr == ""
        peak_mb = int(proc.stdout.strip())
        assert peak_mb < 256 + 120, f"peak RSS {peak_mb} MiB"


def test_limit_below_the_initial_memory_is_a_memory_limit_error(misbehave_extractor: Make) -> None:
    ex = misbehave_extractor(memory_mb=1)
    with pytest.raises(MemoryLimitError, match="exceeds memory limits"):
        run(ex, "hello")
