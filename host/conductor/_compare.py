"""``conductor compare``: each document extracted by conductor and by a reference engine
(pypdfium2 or PyMuPDF, in a limited child process), scored with the metrics of
:mod:`conductor._quality`: the "diff outputs" step of a rollout from the Python baseline.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ._errors import ConductorError, PluginFailureError, UnsupportedFormatError
from ._extract import Extractor
from ._ocr import ChildFailure, ChildLimits, reference_pages
from ._quality import order_ratio, word_f1

REFERENCE_LIMITS = ChildLimits(memory_mb=2048, cpu_s=300, timeout_s=300.0)
"""The reference engine's child: generous, it reads whole packets, but still bounded."""


@dataclass
class Comparison:
    """One document compared.

    :param f1: word F1 of conductor's text against the reference's (``None`` on error).
    :param order: the order-aware score, page by page (:func:`order_ratio`).
    :param pages: conductor's page count; ``reference_pages`` the reference's.
    :param seconds: conductor's extraction time; ``reference_seconds`` the reference's.
    :param error: ``{"kind", "stage", "message"}`` when either side failed.
    """

    source: str
    reference: str
    f1: float | None
    order: float | None
    pages: int | None
    reference_pages: int | None
    seconds: float | None
    reference_seconds: float | None
    error: dict[str, str] | None = None

    def below(self, min_f1: float | None) -> bool:
        """Whether this document fails the run: an error, or F1 under ``min_f1``."""
        if self.error is not None or self.f1 is None:
            return True
        return min_f1 is not None and self.f1 < min_f1


def compare_document(extractor: Extractor, path: str, reference: str) -> Comparison:
    """``path`` extracted by ``extractor`` and by ``reference``, scored."""
    result = Comparison(path, reference, None, None, None, None, None, None)
    try:
        start = time.perf_counter()
        document = extractor.extract(path)
        result.seconds = round(time.perf_counter() - start, 4)
        result.pages = len(document.pages)
        if document.format != "pdf":
            raise UnsupportedFormatError(
                f"the reference engine {reference!r} reads PDF only; this is {document.format!r}",
                document=path,
                stage="compare",
                hint="compare PDF documents",
            )
        start = time.perf_counter()
        try:
            theirs = reference_pages(reference, Path(path), REFERENCE_LIMITS)
        except ChildFailure as e:
            raise PluginFailureError(
                f"the reference engine {reference!r} failed: {e}",
                document=path,
                stage="compare",
                hint="the document is beyond the reference engine; compare another",
            ) from None
        result.reference_seconds = round(time.perf_counter() - start, 4)
    except ConductorError as e:
        result.error = {"kind": e.kind, "stage": e.stage, "message": str(e)}
        return result
    ours = [page.text for page in document.pages]
    result.reference_pages = len(theirs)
    result.f1 = round(word_f1("\n".join(ours), "\n".join(theirs)), 4)
    result.order = round(order_ratio(ours, theirs), 4)
    return result


def summary(results: list[Comparison], min_f1: float | None) -> dict[str, Any]:
    """Counts, F1 mean and minimum, total times, and the documents that fail the run."""
    scored = [r for r in results if r.f1 is not None]
    f1s = [r.f1 for r in scored if r.f1 is not None]
    return {
        "documents": len(results),
        "compared": len(scored),
        "errors": sum(1 for r in results if r.error is not None),
        "mean_f1": round(sum(f1s) / len(f1s), 4) if f1s else None,
        "min_f1": min(f1s) if f1s else None,
        "below_min_f1": [r.source for r in scored if r.below(min_f1)],
        "seconds": round(sum(r.seconds or 0.0 for r in results), 3),
        "reference_seconds": round(sum(r.reference_seconds or 0.0 for r in results), 3),
    }


def to_json(results: list[Comparison], min_f1: float | None) -> dict[str, Any]:
    """``conductor compare --json``'s object."""
    return {
        "documents": [asdict(r) for r in results],
        "summary": {"min_f1_required": min_f1, **summary(results, min_f1)},
    }


def format_text(results: list[Comparison], min_f1: float | None) -> str:
    """The table ``conductor compare`` prints without ``--json``."""
    reference = results[0].reference if results else "reference"
    lines = [f"{'f1':>6} {'order':>6} {'pages':>11} {'conductor':>10} {reference:>10}  document"]
    for r in results:
        if r.error is not None:
            lines.append(f"{'-':>6} {'-':>6} {'-':>11} {'-':>10} {'-':>10}  {r.source}")
            lines.append(f"       error: {r.error['kind']}: {r.error['message']}")
            continue
        mark = "  BELOW --min-f1" if r.below(min_f1) else ""
        lines.append(
            f"{r.f1:>6.3f} {r.order:>6.3f} {f'{r.pages}/{r.reference_pages}':>11} "
            f"{r.seconds:>9.3f}s {r.reference_seconds:>9.3f}s  {r.source}{mark}"
        )
    s = summary(results, min_f1)
    mean = "-" if s["mean_f1"] is None else f"{s['mean_f1']:.3f}"
    low = "-" if s["min_f1"] is None else f"{s['min_f1']:.3f}"
    lines.append(
        f"{s['compared']} of {s['documents']} compared, {s['errors']} errors; word F1 mean "
        f"{mean}, min {low}; {len(s['below_min_f1'])} below --min-f1"
        f"{'' if min_f1 is None else f' {min_f1:g}'}; conductor {s['seconds']:.2f} s, "
        f"{reference} {s['reference_seconds']:.2f} s"
    )
    return "\n".join(lines)
