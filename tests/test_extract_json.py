"""extract-json (WIT 0.3.0): the host takes the document as one JSON string when a plugin
exports it, and must get exactly what the typed ``extract`` path gives, for every plugin
built with the SDK (PDF, DOCX, HTML) and for a hand-written component (misbehave)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conductor import ConductorError, Document, Extractor, Limits
from conductor._convert import EXTRACT, EXTRACT_JSON
from conductor._registry import Registry
from conductor._sandbox import Runner

Outcome = Document | tuple[type[ConductorError], str]


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The exports the runners call, in order."""
    seen: list[str] = []
    original = Runner.call

    def spy(self: Runner, export: str, *args: Any, **kw: Any) -> Any:
        seen.append(export)
        return original(self, export, *args, **kw)

    monkeypatch.setattr(Runner, "call", spy)
    return seen


def both_paths(
    ex: Extractor,
    path: Path,
    calls: list[str],
    monkeypatch: pytest.MonkeyPatch,
    **kw: Any,
) -> tuple[Outcome, Outcome]:
    """``path`` extracted through extract-json, then through the typed extract."""

    def run() -> Outcome:
        try:
            return ex.extract(path, **kw)
        except ConductorError as e:
            return (type(e), str(e))

    calls.clear()
    via_json = run()
    assert calls[-1] == EXTRACT_JSON, calls
    with monkeypatch.context() as m:
        m.setattr("conductor._extract.extract_export", lambda exports: EXTRACT)
        calls.clear()
        typed = run()
        assert calls[-1] == EXTRACT, calls
    return via_json, typed


def _files(corpus_dir: str, pattern: str) -> Callable[[Path], list[Path]]:
    return lambda corpus: sorted((corpus / corpus_dir).glob(pattern))


@pytest.fixture(scope="module")
def extractor(tmp_path_factory: pytest.TempPathFactory, dropin_dir: Path) -> Extractor:
    # The built-in pdf and docx plugins, and the html drop-in; one page worker so that
    # each document is one call (page-parallel merging is tested elsewhere).
    registry = Registry(entry_points=False, plugin_path=[dropin_dir])
    return Extractor(
        Limits(timeout_s=120, memory_mb=1024),
        registry=registry,
        page_workers=1,
        cache_dir=tmp_path_factory.mktemp("cache"),
        ocr="off",  # the two exports are compared; OCR would only add minutes
    )


@pytest.mark.parametrize(
    ("folder", "pattern", "least"),
    [
        ("civic", "*.pdf", 15),
        ("pdf-edge", "*.pdf", 10),
        ("typeset", "live-manual-en.pdf", 1),
        ("docx", "*.docx", 10),
        ("html", "*.html", 5),
    ],
)
def test_corpus_documents_are_identical_through_both_exports(
    extractor: Extractor,
    corpus: Path,
    calls: list[str],
    monkeypatch: pytest.MonkeyPatch,
    folder: str,
    pattern: str,
    least: int,
) -> None:
    files = sorted((corpus / folder).glob(pattern))
    assert len(files) >= least, f"{folder}/{pattern}: only {len(files)} files"
    documents = 0
    for path in files:
        via_json, typed = both_paths(extractor, path, calls, monkeypatch)
        assert via_json == typed, path.name
        documents += isinstance(via_json, Document)
    assert documents >= least


def test_every_field_survives_the_json_path(
    misbehave_extractor: Callable[..., Extractor],
    tmp_path: Path,
    calls: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ex = misbehave_extractor()
    # `full` fills every field (ocr reasons, outline, warnings, headings, metadata); the
    # echo carries control characters, quotes, backslashes and non-BMP text.
    cases = {
        "full.misbehave": "MISBEHAVE full\n",
        "echo.misbehave": 'say "hi" \\ \x01\x1f\t\r\n\u00e9\U0001f600\x0cpage two\n',
        "error.misbehave": 'MISBEHAVE error encrypted needs a "password"\n',
    }
    for name, text in cases.items():
        path = tmp_path / name
        path.write_text(text, encoding="utf-8", newline="")
        via_json, typed = both_paths(ex, path, calls, monkeypatch, format="misbehave")
        assert via_json == typed, name
    full = ex.extract(tmp_path / "full.misbehave", format="misbehave")
    assert full.outline
    assert full.warnings
    assert full.headings
    assert any(p.ocr_reason for p in full.pages)
    echo = ex.extract(tmp_path / "echo.misbehave", format="misbehave")
    assert echo.pages[0].text.startswith('say "hi" \\ \x01\x1f\t')
    assert "\U0001f600" in echo.pages[0].text
