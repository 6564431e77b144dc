"""The adversarial suite: every hostile input of ``_adversarial*`` through the real sandbox.

Each case must end in a :class:`Document` or a typed :class:`ConductorError` naming the
document, within the deadline plus :data:`SLACK_S`; where the right outcome is known
(``Case.expect``, ``contains``, ``forbids``) it is checked too. The last test checks the
process's peak RSS and writes the figures (``build/adversarial-report.json``) that
``docs/robustness.md`` reports.

    .venv/bin/pytest tests/test_adversarial.py      # ~2 minutes on 2 cores
"""

from __future__ import annotations

import functools
import json
import resource
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from _adversarial import FORMATS, TRUNCATION_POINTS, Case, corpus_cases, generated_cases
from _metrics import missing_input
from _plugins import HTML_COMPONENT, with_html
from conductor import ConductorError, Extractor, ExtractTimeoutError, Limits

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "build" / "adversarial-report.json"

LIMITS = Limits(memory_mb=256, timeout_s=5.0)
"""Tight limits: a bomb reaches the memory cap fast, a flood the deadline."""
SLACK_S = 1.0
"""Allowed past the deadline: trap unwinding, dropping a 256 MiB store, converting output,
and the epoch ticker's drift when other threads hold the GIL (see docs/robustness.md)."""
WORKERS = 2
PEAK_RSS_BUDGET_MIB = 1024
"""The issue's bound for the whole suite's process."""

# The issue's categories, by the names the generators use.
REQUIRED_CATEGORIES = {
    "pdf": {
        "decompression-bomb",
        "deep-nesting",
        "xref-loop",
        "page-tree",
        "huge-length",
        "operator-flood",
        "broken-font",
        "truncated",
        "byte-flips",
    },
    "docx": {"zip-bomb", "huge-xml", "xml-entities", "deep-xml", "missing-parts"},
    "html": {"pathological-nesting", "huge-attributes"},
}


@dataclass
class Outcome:
    """What one case gave."""

    case: Case
    kind: str
    """``ok``, an error kind, or ``UNTYPED <exception class>`` (a host bug)."""
    elapsed: float
    message: str = ""
    pages: int = 0
    chars: int = 0
    problems: list[str] = field(default_factory=list)
    known_bug: str | None = None
    """What a case with a known plugin bug did wrong (tolerated, reported)."""


_outcomes: list[Outcome] = []
_started = time.monotonic()


@pytest.fixture(scope="module")
def extractor() -> Extractor:
    # OCR off: these cases test the sandboxed plugins; the OCR path's hostile cases (a
    # renderer over its memory, CPU or time limit) are in tests/test_ocr_adversarial.py.
    return Extractor(LIMITS, registry=with_html(), ocr="off")


def _require(fmt: str) -> None:
    if fmt == "html" and not HTML_COMPONENT.is_file():
        pytest.skip(
            f"{HTML_COMPONENT.relative_to(ROOT)} is not built; run "
            "`python scripts/build_plugins.py --only html`"
        )


def run_case(extractor: Extractor, case: Case) -> Outcome:
    """Runs one case and checks it; never raises for the case's own failure."""
    data = case.make()
    start = time.monotonic()
    try:
        doc = extractor.extract(data, name=case.name, format=case.format)
    except ConductorError as e:
        outcome = Outcome(case, e.kind, time.monotonic() - start, str(e))
        if case.name not in str(e) or e.document != case.name:
            outcome.problems.append(f"error does not name the document: {e}")
    except Exception as e:  # anything untyped is a host bug: recorded, then failed on
        outcome = Outcome(case, f"UNTYPED {type(e).__name__}", time.monotonic() - start, repr(e))
        outcome.problems.append(f"untyped {type(e).__name__}: {e!r}")
    else:
        text = doc.text
        outcome = Outcome(case, "ok", time.monotonic() - start, pages=len(doc.pages))
        outcome.chars = len(text)
        if case.contains is not None and case.contains not in text:
            outcome.problems.append(f"text lacks {case.contains!r}")
        if case.forbids is not None and case.forbids in text:
            outcome.problems.append(f"text contains {case.forbids!r}")
        if doc.source != case.name:
            outcome.problems.append(f"document names itself {doc.source!r}")
    if outcome.elapsed > LIMITS.timeout_s + SLACK_S:
        outcome.problems.append(f"took {outcome.elapsed:.2f} s, past the deadline")
    if case.expect is not None and outcome.kind not in case.expect:
        outcome.problems.append(f"gave {outcome.kind}, expected one of {sorted(case.expect)}")
    if case.known_bug is not None:
        if not outcome.problems:
            outcome.problems.append(f"passes now: remove its known bug ({case.known_bug})")
        elif not outcome.kind.startswith("UNTYPED"):
            outcome.known_bug = "; ".join(outcome.problems)
            outcome.problems = []
    return outcome


def run_all(extractor: Extractor, cases: Iterable[Case]) -> list[Outcome]:
    with ThreadPoolExecutor(WORKERS, thread_name_prefix="adversarial") as pool:
        outcomes = list(pool.map(functools.partial(run_case, extractor), cases))
    _outcomes.extend(outcomes)
    return outcomes


def assert_clean(outcomes: list[Outcome]) -> None:
    bad = [f"{o.case.name}: {'; '.join(o.problems)}" for o in outcomes if o.problems]
    assert not bad, f"{len(bad)} of {len(outcomes)} cases failed:\n" + "\n".join(bad[:40])


@functools.cache
def _generated() -> tuple[Case, ...]:
    return tuple(generated_cases())


def test_the_issue_categories_are_all_generated() -> None:
    cases = _generated()
    assert len(cases) >= 300
    for fmt, required in REQUIRED_CATEGORIES.items():
        have = {c.category for c in cases if c.format == fmt}
        assert required <= have, f"{fmt}: missing {sorted(required - have)}"
    assert len({c.name for c in cases}) == len(cases)


@pytest.mark.parametrize("fmt", FORMATS)
def test_generated_cases(extractor: Extractor, fmt: str) -> None:
    _require(fmt)
    cases = [c for c in _generated() if c.format == fmt]
    assert cases
    assert_clean(run_all(extractor, cases))


@pytest.mark.corpus
@pytest.mark.parametrize("fmt", FORMATS)
def test_corpus_truncated_and_flipped(extractor: Extractor, corpus: Path, fmt: str) -> None:
    _require(fmt)
    cases = [c for c in corpus_cases(corpus) if c.format == fmt]
    if not cases:
        missing_input(f"the corpus at {corpus} has no {fmt} files")
    files = [p for p in corpus.rglob(f"*.{fmt}") if p.is_file()]
    truncated = Counter(c.name.rsplit("@", 1)[0] for c in cases if c.category == "truncated")
    assert sorted(truncated.values()) == [TRUNCATION_POINTS] * len(files)
    assert_clean(run_all(extractor, cases))


def test_known_outcomes_of_the_worst_cases(extractor: Extractor) -> None:
    """Spot checks with exact outcomes, beyond 'typed': the sandbox's caps, not the
    plugins' own checks, stop the bombs that get past those checks."""
    by_name = {c.name: c for c in _generated()}

    def kind(name: str) -> str:
        return run_case(extractor, by_name[name]).kind

    # A bomb in a page's content ends in the PDF plugin's bounded decoder: the page is
    # empty with a warning, the document is not lost (it was memory_limit before).
    bomb = by_name["pdf/decompression-bomb/content-3x-10GiB"]
    doc = extractor.extract(bomb.make(), name=bomb.name, format=bomb.format)
    assert any("decompression bomb" in w.message for w in doc.warnings), doc.warnings
    assert kind("docx/zip-bomb/document-1GiB-paragraphs") == "too_large"
    assert kind("docx/xml-entities/billion-laughs-document") == "unsupported_format"
    assert kind("pdf/page-tree/count-1e9") in {"ok", "too_large"}


def test_the_deadline_holds_while_python_threads_hold_the_gil(
    misbehave_extractor: Callable[..., Extractor],
) -> None:
    extractor = misbehave_extractor(memory_mb=64, timeout_s=2.0)
    stop = threading.Event()

    def hold_the_gil() -> None:
        while not stop.is_set():  # pure Python: releases the GIL only when asked to
            pass

    busy = threading.Thread(target=hold_the_gil, daemon=True)
    busy.start()
    start = time.monotonic()
    try:
        with pytest.raises(ExtractTimeoutError):
            extractor.extract(b"MISBEHAVE loop", name="loop.mis", format="misbehave")
    finally:
        elapsed = time.monotonic() - start
        stop.set()
        busy.join()
    assert elapsed < 2.0 + 0.5, f"a 2 s deadline took {elapsed:.2f} s"


def test_report_and_peak_rss() -> None:
    """Runs after the cases (module order): the whole process stayed under the budget.
    Writes the per-category figures for docs/robustness.md."""
    if not _outcomes:
        pytest.skip("no adversarial case ran in this session")
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    groups: dict[tuple[str, str], list[Outcome]] = defaultdict(list)
    for o in _outcomes:
        groups[(o.case.format, o.case.category)].append(o)
    categories = [
        {
            "format": fmt,
            "category": cat,
            "inputs": len(outs),
            "outcomes": dict(sorted(Counter(o.kind for o in outs).items())),
            "max_elapsed_s": round(max(o.elapsed for o in outs), 2),
            "slowest": max(outs, key=lambda o: o.elapsed).case.name,
        }
        for (fmt, cat), outs in sorted(groups.items())
    ]
    report = {
        "limits": {"memory_mb": LIMITS.memory_mb, "timeout_s": LIMITS.timeout_s},
        "workers": WORKERS,
        "inputs": len(_outcomes),
        "outcomes": dict(sorted(Counter(o.kind for o in _outcomes).items())),
        "untyped": sum(o.kind.startswith("UNTYPED") for o in _outcomes),
        "past_deadline": sum(o.elapsed > LIMITS.timeout_s + SLACK_S for o in _outcomes),
        "known_bugs": {o.case.name: o.known_bug for o in _outcomes if o.known_bug},
        "max_elapsed_s": round(max(o.elapsed for o in _outcomes), 2),
        "max_overshoot_s": round(max(o.elapsed for o in _outcomes) - LIMITS.timeout_s, 2),
        "peak_rss_mib": round(peak_mib),
        "wall_s": round(time.monotonic() - _started),
        "categories": categories,
    }
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(report, indent=2) + "\n")
    summary = f"{report['inputs']} inputs, {report['outcomes']}, peak RSS {peak_mib:.0f} MiB"
    print(f"\nadversarial: {summary}")
    assert report["untyped"] == 0
    assert peak_mib < PEAK_RSS_BUDGET_MIB, f"peak RSS {peak_mib:.0f} MiB"
