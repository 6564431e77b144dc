"""A missing corpus or reference tool is a skip locally and a failure under CI.

A skipped test passes without checking anything: a CI machine without ../shared/corpus
would run green with every corpus test skipped. ``_metrics.missing_input`` (behind
``require_corpus``, ``require_tool`` and the ``corpus`` fixture) fails instead when ``CI``
is set. These tests run pytest in a subprocess on real corpus tests with
``CONDUCTOR_CORPUS`` pointing nowhere, once with ``CI=true`` and once without.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from _metrics import under_ci

ROOT = Path(__file__).resolve().parent.parent
NOWHERE = "/nonexistent/conductor-corpus"

# A module needing the corpus at import (require_corpus at module level: a node id inside
# it would find no collector once the module is skipped), and a test needing it through
# the session fixture ``corpus`` (conftest.py).
MODULE_LEVEL = "tests/test_pdf_corpus.py"
FIXTURE = "tests/test_fetch.py::test_docx_is_returned"


def run_pytest(test: str, ci: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["CONDUCTOR_CORPUS"] = NOWHERE
    if ci is not None:
        env["CI"] = ci
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rs", test],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.parametrize("test", [MODULE_LEVEL, FIXTURE], ids=["module-level", "fixture"])
def test_missing_corpus_fails_under_ci(test: str) -> None:
    proc = run_pytest(test, "true")
    out = proc.stdout + proc.stderr

    assert proc.returncode not in (0, 5), out  # 5: nothing collected, also not a pass
    assert f"corpus absent: {NOWHERE}" in out, out
    assert "CI is set: a missing corpus or reference tool is a failure" in out, out
    summary = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""
    assert "passed" not in summary, out
    assert "skipped" not in summary, out


# CI="false" is "not CI" (some runners export it so); the other values are covered below.
@pytest.mark.parametrize(
    ("test", "ci"),
    [(MODULE_LEVEL, None), (FIXTURE, None), (MODULE_LEVEL, "false")],
    ids=["module-level", "fixture", "module-level-CI=false"],
)
def test_missing_corpus_skips_outside_ci(test: str, ci: str | None) -> None:
    proc = run_pytest(test, ci)
    out = proc.stdout + proc.stderr
    summary = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""

    # 5 ("no tests collected") is what a skipped module gives; the summary says why.
    assert proc.returncode in (0, 5), out
    assert "1 skipped" in summary, out
    for word in ("passed", "failed", "error"):
        assert word not in summary, out
    assert f"corpus absent: {NOWHERE}" in out, out  # the reason, shown by -rs


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, False), ("", False), ("false", False), ("FALSE", False), ("0", False),
     ("true", True), ("1", True), ("yes", True)],
)  # fmt: skip
def test_under_ci_reads_the_ci_variable(
    monkeypatch: pytest.MonkeyPatch, value: str | None, expected: bool
) -> None:
    if value is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", value)
    assert under_ci() is expected
