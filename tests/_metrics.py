"""Text-quality metric shared by the corpus tests and the benches.

The metrics themselves (:func:`word_f1`, :func:`order_ratio`, :func:`words`) are the
host's (``conductor._quality``, also behind ``conductor compare``), re-exported here. The
reference of the corpus tests is poppler's ``pdftotext FILE -`` (default mode), whose
pages end with a form feed.

Also where the shared corpus is (:func:`corpus_dir`) and what a test does without it or
without a reference tool (:func:`require_corpus`, :func:`require_tool`): a skip locally,
a failure under CI.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import NoReturn

# Re-exported: the tests and benches import the metrics from here.
from conductor._quality import order_ratio as order_ratio
from conductor._quality import word_f1 as word_f1
from conductor._quality import words as words

ROOT = Path(__file__).resolve().parent.parent


def join_pages(pages: Iterable[str]) -> str:
    """Pages joined the way ``Document.text`` joins them."""
    return "\n".join(pages)


def pdftotext_pages(path: Path) -> list[str]:
    """Poppler's text of each page of ``path`` (``pdftotext PATH -``, split on form feeds).

    Raises ``FileNotFoundError`` when pdftotext is not installed and
    ``subprocess.CalledProcessError`` when it fails on the file.
    """
    exe = shutil.which("pdftotext")
    if exe is None:
        raise FileNotFoundError("pdftotext (poppler-utils) is not installed")
    out = subprocess.run(
        [exe, str(path), "-"], capture_output=True, check=True, timeout=300
    ).stdout.decode("utf-8", errors="replace")
    # Every page, the last included, ends with "\f".
    pages = out.split("\f")
    if out.endswith("\f"):
        pages.pop()
    return pages


def corpus_dir() -> Path:
    """The shared test corpus: ``$CONDUCTOR_CORPUS``, else ``../shared/corpus`` beside the repo."""
    env = os.environ.get("CONDUCTOR_CORPUS")
    return Path(env) if env else ROOT.parent / "shared" / "corpus"


def manifest(corpus: Path) -> dict[str, dict[str, str]]:
    """MANIFEST.tsv of the corpus, keyed by the file's path relative to the corpus."""
    lines = (corpus / "MANIFEST.tsv").read_text(encoding="utf-8").splitlines()
    header = lines[0].split("\t")
    rows: dict[str, dict[str, str]] = {}
    for line in lines[1:]:
        if line.strip():
            row = dict(zip(header, line.split("\t"), strict=False))
            rows[row["file"]] = row
    return rows


def manifest_field(notes: str, key: str) -> str | None:
    """A ``key=value`` field from a MANIFEST notes column (``pages=4; pdftotext_chars=0``)."""
    for part in notes.replace("|", ";").split(";"):
        name, sep, value = part.strip().partition("=")
        if sep and name == key:
            return value.strip()
    return None


def under_ci() -> bool:
    """Whether this run is under CI: ``$CI`` set, and not to ``false`` or ``0``."""
    value = os.environ.get("CI", "").strip().lower()
    return value not in ("", "false", "0")


def missing_input(reason: str) -> NoReturn:
    """A test's input is missing: under CI a failure, otherwise a skip with ``reason``.

    A skipped test passes without checking anything, so a CI run without the corpus or a
    reference tool would look green; locally a skip with the reason is what one wants.
    Works at module level too (a collection error under CI, a skipped module otherwise).
    Plugin tests in Rust follow the same rule (tests/support/corpus_gate.rs).
    """
    import pytest  # here, not at the top: the benches import this module without pytest

    if under_ci():
        pytest.fail(
            f"{reason} (CI is set: a missing corpus or reference tool is a failure, not a skip)",
            pytrace=False,
        )
    pytest.skip(reason, allow_module_level=True)


def require_corpus(*parts: str) -> Path:
    """The path ``parts`` inside the corpus (see :func:`corpus_dir`; no ``parts``: the
    corpus itself); :func:`missing_input` when it does not exist."""
    needed = corpus_dir().joinpath(*parts)
    if not needed.exists():
        missing_input(f"corpus absent: {needed} not found (set CONDUCTOR_CORPUS)")
    return needed


_INSTALL = {
    "pdftotext": "poppler-utils; scripts/setup.sh installs it",
    "pandoc": "Debian package `pandoc`; scripts/setup.sh installs it",
    "qpdf": "Debian package `qpdf`; scripts/setup.sh installs it",
    "tesseract": "Debian packages tesseract-ocr, tesseract-ocr-eng, tesseract-ocr-osd; "
    "scripts/setup.sh installs them",
}


def require_tool(name: str) -> str:
    """The path of the command-line tool ``name``; :func:`missing_input` when it is not
    installed."""
    exe = shutil.which(name)
    if exe is None:
        how = _INSTALL.get(name)
        missing_input(f"{name} not installed" + (f" ({how})" if how else ""))
    return exe
