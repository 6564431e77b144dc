"""tesseract: finding it, its version and languages, and reading one page image.

The page is read with ``--psm 1`` (automatic layout with orientation and script
detection): with the ``osd`` data installed (Debian ``tesseract-ocr-osd``), a page scanned
sideways or upside down is turned upright before it is read. One run writes the text
(``txt``) and the words with their confidences (``tsv``); the page's confidence is the
mean word confidence.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ._limited import ChildFailure, ChildLimits, child_env, python_child, run_limited


@dataclass(frozen=True)
class Tesseract:
    """An installed tesseract: its path, ``"tesseract 5.3.0"``, and its languages."""

    path: str
    engine: str
    languages: frozenset[str]


@dataclass(frozen=True)
class PageText:
    """What tesseract read on one page; ``confidence`` in 0.0-1.0."""

    text: str
    confidence: float


TESSERACT_ENV = "CONDUCTOR_TESSERACT"
"""The tesseract to use, when not the one on ``PATH``."""


@functools.cache
def find_tesseract() -> Tesseract | None:
    """``$CONDUCTOR_TESSERACT``, else the tesseract on ``PATH`` (asked once per process);
    ``None`` when there is none or it does not answer."""
    configured = os.environ.get(TESSERACT_ENV)
    if configured:
        path = shutil.which(configured)
    else:
        path = shutil.which("tesseract", path=child_env()["PATH"]) or shutil.which("tesseract")
    if path is None:
        return None
    try:
        version = subprocess.run(
            [path, "--version"], capture_output=True, timeout=30, env=child_env(), check=True
        )
        langs = subprocess.run(
            [path, "--list-langs"], capture_output=True, timeout=30, env=child_env(), check=True
        )
    except (OSError, subprocess.SubprocessError):
        return None
    # "tesseract 5.3.0\n leptonica-1.82.0 ..." (older builds print it on stderr)
    first = (version.stdout or version.stderr).decode("utf-8", "replace").strip()
    engine = first.splitlines()[0].strip() if first else "tesseract"
    # The first line says where the data is; each further line is one language.
    lines = langs.stdout.decode("utf-8", "replace").splitlines()[1:]
    return Tesseract(path, engine, frozenset(line.strip() for line in lines if line.strip()))


def read_page(
    tesseract: Tesseract, image: Path, languages: tuple[str, ...], dpi: int, limits: ChildLimits
) -> PageText:
    """Reads ``image`` (rendered at ``dpi``) with ``languages`` in a limited child.

    :raises ChildFailure: when tesseract fails, hits a limit or writes nothing.
    """
    with tempfile.TemporaryDirectory(prefix="conductor-tess-") as tmp:
        base = Path(tmp) / "page"
        argv = python_child(
            "exec",
            tesseract.path,
            str(image),
            str(base),
            "-l",
            "+".join(languages),
            "--psm",
            "1",
            "--dpi",
            str(dpi),
            "txt",
            "tsv",
        )
        run_limited(argv, limits, what="tesseract")
        try:
            text = base.with_suffix(".txt").read_text("utf-8", errors="replace")
            tsv = base.with_suffix(".tsv").read_text("utf-8", errors="replace")
        except OSError as e:
            raise ChildFailure("refused", f"tesseract wrote no result: {e}") from e
    return PageText(_tidy(text), mean_confidence(tsv))


def mean_confidence(tsv: str) -> float:
    """The mean confidence (0.0-1.0) of the words of tesseract's TSV output (level 5
    rows with text); 0.0 when it found none."""
    confidences: list[float] = []
    for line in tsv.splitlines()[1:]:
        cols = line.split("\t")
        if len(cols) < 12 or cols[0] != "5" or not cols[11].strip():
            continue
        try:
            conf = float(cols[10])
        except ValueError:
            continue
        if conf >= 0:
            confidences.append(conf)
    if not confidences:
        return 0.0
    return round(sum(confidences) / len(confidences) / 100, 4)


def _tidy(text: str) -> str:
    """tesseract's page text without its trailing form feed and blank lines at the end."""
    return text.replace("\f", "").rstrip()
