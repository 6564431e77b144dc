"""The docx plugin end to end on the DOCX files of the shared corpus.

Reference: Debian's ``pandoc -t plain`` (pandoc 2.17; a test reference only, installed by
``scripts/setup.sh``). Every file whose pandoc text has words must reach word-level F1 >=
0.98 against it. Pandoc draws tables with rules (``-----``, ``+---+``, ``|``); those
tokens are drawing, not document text, and are dropped from the reference before
scoring. Pandoc 2.17 misses text boxes and shapes: for those files the strings of the
newer pandoc's ``.native`` AST beside them are asserted instead. The tracked-change
files must match the words of their ``_accept.native`` expectation exactly.

Each test skips with the reason when the corpus, pandoc or the built component is
missing; without the corpus or pandoc it fails instead under CI (``_metrics.missing_input``).
"""

from __future__ import annotations

import functools
import re
import subprocess
from pathlib import Path

import pytest

from _metrics import missing_input, require_corpus, require_tool, word_f1, words
from conductor import Document, Extractor
from conductor._hookspecs import PluginSpec, hookimpl
from conductor._registry import Registry

ROOT = Path(__file__).resolve().parent.parent
COMPONENT = ROOT / "host" / "conductor" / "_components" / "docx.wasm"
DOCX = require_corpus("docx")  # skips the module, or fails it under CI, without the corpus

pytestmark = pytest.mark.corpus

FILES = sorted(p.name for p in DOCX.glob("*.docx"))
# Pandoc 2.17 drops the text of text boxes and shapes in these; see the module docstring.
SHAPES = ["pandoc__image_with_textbox_caption.docx", "pandoc__text_in_shape_format.docx"]
TRACKED = [f for f in FILES if f.startswith("pandoc__track_changes_")]
# Table rules and cell borders in pandoc's plain tables (a lone `-` is a bullet: kept).
_RULE = re.compile(r"^(?:[-+|=:]{3,}|\|)$")
_STR = re.compile(r'Str\s+"((?:[^"\\]|\\.)*)"')


@functools.cache
def pandoc_text(name: str) -> str:
    exe = require_tool("pandoc")
    out = subprocess.run(
        [exe, "-t", "plain", "--wrap=none", str(DOCX / name)],
        capture_output=True,
        check=True,
        timeout=120,
    )
    return out.stdout.decode("utf-8")


def pandoc_words(name: str) -> str:
    """Pandoc's plain text without its table rules."""
    return " ".join(w for w in words(pandoc_text(name)) if not _RULE.match(w))


def native_strings(path: Path) -> list[str]:
    """The ``Str "..."`` payloads of a pandoc ``.native`` file, unescaped."""
    text = path.read_text(encoding="utf-8")
    return [re.sub(r"\\(.)", r"\1", s) for s in _STR.findall(text)]


def native_words(path: Path) -> list[str]:
    """The words of a ``.native`` AST: adjacent ``Str`` tokens join, ``Space`` and breaks
    separate, as do block boundaries."""
    text = path.read_text(encoding="utf-8")
    out: list[str] = []
    current = ""
    separators = r"Space|SoftBreak|LineBreak|Para|Plain|Header|Table|Cell|Div|BlockQuote"
    for token in re.finditer(rf'Str\s+"((?:[^"\\]|\\.)*)"|\b({separators})\b', text):
        if token.group(1) is not None:
            current += re.sub(r"\\(.)", r"\1", token.group(1))
        elif current:
            out.append(current)
            current = ""
    if current:
        out.append(current)
    return out


class _DocxComponent:
    """Registers the built docx component, for hosts that do not ship it as a built-in."""

    @hookimpl
    def conductor_register_plugins(self) -> list[PluginSpec]:
        return [PluginSpec("docx", ("docx",), COMPONENT)]


@pytest.fixture(scope="module")
def extractor(tmp_path_factory: pytest.TempPathFactory) -> Extractor:
    if not COMPONENT.exists():
        pytest.skip(
            f"{COMPONENT.relative_to(ROOT)} is not built; run "
            "`python scripts/build_plugins.py --only docx`"
        )
    cache = tmp_path_factory.mktemp("docx-component-cache")
    if Registry().plugin_for("docx") is not None:
        return Extractor(cache_dir=cache)
    registry = Registry([_DocxComponent()], entry_points=False)
    return Extractor(registry=registry, cache_dir=cache)


@pytest.fixture(scope="module")
def extracted(extractor: Extractor) -> dict[str, Document]:
    return {name: extractor.extract(DOCX / name) for name in FILES}


def text_of(doc: Document) -> str:
    return "\n".join(p.text for p in doc.pages)


@pytest.mark.parametrize("name", [f for f in FILES if f not in SHAPES])
def test_word_f1_against_pandoc(name: str, extracted: dict[str, Document]) -> None:
    reference = pandoc_words(name)
    if not words(reference):
        pytest.skip(f"pandoc finds no words in {name}")
    doc = extracted[name]
    assert doc.format == "docx"
    f1 = word_f1(text_of(doc), reference)
    assert f1 >= 0.98, f"{name}: F1 {f1:.3f}\n--- ours\n{text_of(doc)}\n--- pandoc\n{reference}"


@pytest.mark.parametrize("name", SHAPES)
def test_text_boxes_and_shapes(name: str, extracted: dict[str, Document]) -> None:
    native = DOCX / name.replace(".docx", ".native")
    if not native.exists():
        missing_input(f"{native.name} not in the corpus")
    text = text_of(extracted[name])
    strings = native_strings(native)
    assert strings
    missing = [s for s in strings if s not in text]
    assert not missing, f"{name}: missing {missing}\n--- ours\n{text}"
    # Each text box is read once, not once per mc:AlternateContent branch.
    assert text.count(max(strings, key=len)) == 1


@pytest.mark.parametrize("name", TRACKED)
def test_tracked_changes_accepted(name: str, extracted: dict[str, Document]) -> None:
    expected = DOCX / name.replace(".docx", "_accept.native")
    if not expected.exists():
        missing_input(f"{expected.name} not in the corpus")
    assert words(text_of(extracted[name])) == native_words(expected)


def test_headings_with_levels(extracted: dict[str, Document]) -> None:
    doc = extracted["pandoc__headers.docx"]
    headings = getattr(doc, "headings", None)
    if headings is None:
        pytest.skip("the host's Document has no `headings` yet (WIT 0.2.0 conversion)")
    got = [(h.title, h.level) for h in headings]
    assert got == [
        ("A Test of Headers", 1),
        ("Second Level", 2),
        ("Third level", 3),
        ("Fourth level", 4),
        ("Fifth level", 5),
        ("Sixth level", 6),
    ]
    page = doc.pages[0].text
    for h in headings:
        assert h.page == 1
        assert page[h.offset :].startswith(h.title)


def test_lists_show_numbers_and_bullets(extracted: dict[str, Document]) -> None:
    lines = [line for line in extracted["pandoc__lists.docx"].pages[0].text.splitlines() if line]
    assert "1. one" in lines
    assert "2. two" in lines
    assert "a. a" in lines
    assert "b. b" in lines
    assert "- three" in lines
    assert "- Same list" in lines
    assert "Sub paragraph" in lines


def test_tables_separate_cells(extracted: dict[str, Document]) -> None:
    text = extracted["pandoc__tables.docx"].pages[0].text
    assert "Name\tGame\tFame\tBlame" in text.splitlines()
    assert "Lebron James\tBasketball\tVery High\tLeaving Cleveland" in text.splitlines()
    # Merged cells come once: the header's row-spanning cells are not repeated.
    rowspan = extracted["pandoc__table_header_rowspan.docx"].pages[0].text.splitlines()
    assert rowspan[0].split("\t") == ["A", "B", "C", "D", "E", "F"]
    assert rowspan[1].split("\t") == ["G", "H", "I"]


def test_notes_after_the_body(extracted: dict[str, Document]) -> None:
    text = extracted["pandoc__notes.docx"].pages[-1].text
    assert "Test footnote.[1] Test endnote.[2]" in text
    assert text.endswith("[1] My note.\n\n[2] This is an endnote at the end of the document.")


def test_comments_left_out(extracted: dict[str, Document]) -> None:
    assert words(text_of(extracted["pandoc__comments.docx"])) == words(
        pandoc_text("pandoc__comments.docx")
    )


def test_metadata_from_core_properties(extracted: dict[str, Document]) -> None:
    doc = extracted["pandoc__text_in_shape_format.docx"]
    m = doc.metadata
    assert m.title == "Using Microsoft Word 2007/2010 for Writing Technical Documents"
    assert m.author == "Valter Kiisk"
    assert m.creator == "Microsoft Office Word"
    assert m.created == "2013-10-01T21:34:00Z"
    assert m.modified == "2023-11-24T13:12:00Z"
    assert m.page_count == len(doc.pages) == doc.page_count
    last = [w for w in doc.warnings if w.code == "last-modified-by"]
    assert last
    assert "Stephan Meijer" in last[0].message


def test_pages_split_at_rendered_breaks(extracted: dict[str, Document]) -> None:
    doc = extracted["pythondocx__par-hyperlinks.docx"]
    assert len(doc.pages) == 2
    assert all(p.text for p in doc.pages)
    pagination = getattr(doc, "pagination", None)
    if pagination is not None:
        assert "rendered" in str(pagination).lower().replace("_", "-")
    single = extracted["pandoc__headers.docx"]
    assert len(single.pages) == 1
