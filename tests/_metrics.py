"""Text-quality metric shared by the corpus tests and the benches.

Word-level F1 at document level: both texts are NFKC-normalised and split on whitespace,
the two word multisets are intersected, and F1 = 2PR / (P + R). The reference is poppler's
``pdftotext FILE -`` (default mode), whose pages end with a form feed.

Word F1 cannot see reading order: the same words in another order score 1.0. Beside it,
:func:`order_ratio` compares the word sequences page by page (difflib's matching blocks on
word lists: ``2 * matched / (len(candidate) + len(reference))``, summed over the pages), so
columns interleaved or paragraphs swapped score lower.

Also where the shared corpus is (:func:`corpus_dir`) and what a test does without it or
without a reference tool (:func:`require_corpus`, :func:`require_tool`): a skip locally,
a failure under CI.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from difflib import SequenceMatcher
from pathlib import Path
from typing import NoReturn

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


def _matched_words(candidate: list[str], reference: list[str]) -> int:
    """Words of ``candidate`` matched, in order, in ``reference``: the sizes of difflib's
    matching blocks, a lower bound on the longest common subsequence (it is greedy: the
    longest block first, then each side of it). ``autojunk`` is off, or the common words
    of a long page ("the", "of") would be ignored as junk."""
    if not candidate or not reference:
        return 0
    matcher = SequenceMatcher(None, candidate, reference, autojunk=False)
    return sum(block.size for block in matcher.get_matching_blocks())


def order_ratio(candidate_pages: Sequence[str], reference_pages: Sequence[str]) -> float:
    """How much of the word sequence survives, page by page, in order: ``2 * matched /
    (candidate words + reference words)`` summed over the pages (1.0: the same words in the
    same order; the same words shuffled score well under 1.0, where word F1 gives 1.0).

    Compared per page, so the cost stays that of a page (difflib is quadratic in the
    worst case) and a page's words cannot match across pages. Pages are paired in order;
    pages one side lacks count as unmatched words. 1.0 when neither side has words.
    """
    matched = total = 0
    count = max(len(candidate_pages), len(reference_pages))
    for i in range(count):
        cand = words(candidate_pages[i]) if i < len(candidate_pages) else []
        ref = words(reference_pages[i]) if i < len(reference_pages) else []
        matched += _matched_words(cand, ref)
        total += len(cand) + len(ref)
    return 1.0 if total == 0 else 2 * matched / total


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
}


def require_tool(name: str) -> str:
    """The path of the command-line tool ``name``; :func:`missing_input` when it is not
    installed."""
    exe = shutil.which(name)
    if exe is None:
        how = _INSTALL.get(name)
        missing_input(f"{name} not installed" + (f" ({how})" if how else ""))
    return exe
