"""Text-quality metric shared by the corpus tests and the benches.

Word-level F1 at document level: both texts are NFKC-normalised and split on whitespace,
the two word multisets are intersected, and F1 = 2PR / (P + R). The reference is poppler's
``pdftotext FILE -`` (default mode), whose pages end with a form feed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import unicodedata
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def words(text: str) -> list[str]:
    """The words of ``text`` as the metric sees them (NFKC, split on whitespace)."""
    return unicodedata.normalize("NFKC", text).split()


def word_f1(candidate: str, reference: str) -> float:
    """Word-level F1 of ``candidate`` against ``reference``; 1.0 when both have no words."""
    cand = Counter(words(candidate))
    ref = Counter(words(reference))
    if not cand and not ref:
        return 1.0
    common = sum((cand & ref).values())
    if common == 0:
        return 0.0
    precision = common / sum(cand.values())
    recall = common / sum(ref.values())
    return 2 * precision * recall / (precision + recall)


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
