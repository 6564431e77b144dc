"""Ctrl-C during ``conductor extract`` and ``chunk`` (issue 13, item 9): one line, exit
130, no Python traceback and no Rust panic, with the signal sent while a plugin runs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from _metrics import require_tool

BIG = "typeset/cplusplus-annotations.pdf"
"""The corpus's largest PDF (1,151 pages); about a second of extraction now, so the test
reads it four times over in one file, long enough to be interrupted mid-call."""


@pytest.fixture(scope="module")
def long_pdf(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    qpdf = require_tool("qpdf")
    out = tmp_path_factory.mktemp("interrupt") / "four-books.pdf"
    book = str(corpus / BIG)
    subprocess.run([qpdf, "--empty", "--pages", book, book, book, book, "--", str(out)], check=True)
    return out


def _script() -> Path:
    script = Path(sys.executable).parent / "conductor"
    if not script.exists():
        pytest.skip(f"console script not installed at {script}")
    return script


def _wait_until_reading(proc: subprocess.Popen[str], path: Path, timeout: float = 60) -> None:
    """Until the process has the document open: imports are done, extraction is on."""
    end = time.monotonic() + timeout
    fds = Path(f"/proc/{proc.pid}/fd")
    while time.monotonic() < end:
        if proc.poll() is not None:
            pytest.fail(f"conductor ended before it was interrupted: {proc.returncode}")
        try:
            if any(os.readlink(fd) == str(path) for fd in fds.iterdir()):
                return
        except OSError:
            pass  # an fd closed while we looked
        time.sleep(0.02)
    pytest.fail("conductor never opened the document")


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc")
@pytest.mark.parametrize("command", ["extract", "chunk"])
def test_ctrl_c_says_interrupted_and_exits_130(long_pdf: Path, command: str) -> None:
    pdf = long_pdf
    # A context manager, so the stderr pipe is closed on every path (a failed wait
    # otherwise leaves it for the garbage collector to warn about in a later test).
    with subprocess.Popen(
        [str(_script()), command, str(pdf)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    ) as proc:
        try:
            _wait_until_reading(proc, pdf)
            time.sleep(0.3)  # into the wasm call
            assert proc.poll() is None, "extraction finished before the interrupt"
            proc.send_signal(signal.SIGINT)
            _, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert "Traceback" not in err
    assert "panic" not in err
    assert err == "conductor: interrupted\n"
    assert proc.returncode == 130
