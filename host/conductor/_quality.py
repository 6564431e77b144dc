"""Text-quality metrics: how close one extraction's text is to a reference's.

Word-level F1 at document level: both texts are NFKC-normalised and split on whitespace,
the two word multisets are intersected, and F1 = 2PR / (P + R).

Word F1 cannot see reading order: the same words in another order score 1.0. Beside it,
:func:`order_ratio` compares the word sequences page by page (difflib's matching blocks on
word lists: ``2 * matched / (len(candidate) + len(reference))``, summed over the pages), so
columns interleaved or paragraphs swapped score lower.

Used by ``conductor compare``, the corpus tests (``tests/_metrics.py`` re-exports them)
and the benches: one definition of what "the same text" means.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Sequence
from difflib import SequenceMatcher


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


__all__ = ["order_ratio", "word_f1", "words"]
