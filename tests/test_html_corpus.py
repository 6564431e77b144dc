"""The HTML drop-in plugin over the real portal pages in ``corpus/html/``, through the
host: detection, the sandbox, and the JSON contract's fields.

The reference is the standard library's ``html.parser`` (independent of html5ever): the
headings, the visible text and the script text it sees in the raw file.
"""

from __future__ import annotations

import re
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest

from _metrics import missing_input
from conductor import Document, Extractor, Limits
from conductor._registry import Registry

_HIDDEN = {"script", "style", "template"}
_IGNORED = {"select", "title"}
"""Form controls (their options are not reading text) and the title (it is metadata)."""
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_WORD = re.compile(r"\w+")


_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}


def _hidden_by_attrs(attrs: list[tuple[str, str | None]]) -> bool:
    for key, value in attrs:
        style = "".join((value or "").split()).lower()
        if key == "hidden" or (
            key == "style" and ("display:none" in style or "visibility:hidden" in style)
        ):
            return True
    return False


class _Reference(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        # Open elements whose text is not shown: (tag, kind); kind "hidden" for scripts
        # and styles (their words must not leak), "ignored" for the rest.
        self.stack: list[tuple[str, str]] = []
        self.visible: list[str] = []
        self.hidden: list[str] = []
        self.headings: list[str] = []
        self._heading: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _VOID:
            return
        if tag in _HIDDEN:
            self.stack.append((tag, "hidden"))
        elif self.stack or tag in _IGNORED or _hidden_by_attrs(attrs):
            self.stack.append((tag, "ignored"))
        if tag in _HEADINGS and not self.stack:
            self._heading = []

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break
        if tag in _HEADINGS and self._heading is not None:
            text = " ".join("".join(self._heading).split())
            if text:
                self.headings.append(text)
            self._heading = None

    def handle_data(self, data: str) -> None:
        if self.stack:
            if self.stack[-1][1] == "hidden":
                self.hidden.append(data)
            return
        self.visible.append(data)
        if self._heading is not None:
            self._heading.append(data)


def _words(text: str) -> Counter[str]:
    return Counter(w.lower() for w in _WORD.findall(text))


def _pages(corpus: Path) -> list[Path]:
    return sorted((corpus / "html").glob("*.html"))


@pytest.fixture(scope="module")
def extracted(
    corpus: Path, dropin_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, tuple[Document, _Reference]]:
    pages = _pages(corpus)
    if not pages:
        missing_input(f"no HTML pages in {corpus / 'html'}")
    registry = Registry(entry_points=False, plugin_path=[dropin_dir])
    ex = Extractor(Limits(), registry=registry, cache_dir=tmp_path_factory.mktemp("cache"))
    out = {}
    for path in pages:
        ref = _Reference()
        ref.feed(path.read_bytes().decode("utf-8", "replace"))
        out[path.name] = (ex.extract(path), ref)
    return out


def test_every_page_is_html_with_its_headings(
    extracted: dict[str, tuple[Document, _Reference]],
) -> None:
    assert len(extracted) >= 10
    for name, (doc, ref) in extracted.items():
        assert doc.format == "html", name
        assert doc.page_count == 1, name
        flat = " ".join(doc.text.split())
        titles = [" ".join(h.title.split()) for h in doc.headings]
        for heading in ref.headings:
            assert heading in flat, (name, heading)
            assert heading in titles, (name, heading, titles)


def _squashed(text: str) -> str:
    return "".join(text.split())


def test_visible_text_is_all_there_and_script_text_is_not(
    extracted: dict[str, tuple[Document, _Reference]],
) -> None:
    for name, (doc, ref) in extracted.items():
        # Each text run between tags, whitespace removed: inline tags may or may not
        # separate words ("(<span>28</span><span>27</span>)" reads "(2827)").
        text = _squashed(doc.text)
        runs = [r for r in map(_squashed, ref.visible) if r]
        missing = [r for r in runs if r not in text]
        assert not missing, (name, len(runs), missing[:10])
        script_only = set(_words(" ".join(ref.hidden))) - set(_words(" ".join(ref.visible)))
        leaked = script_only & set(_words(doc.text))
        assert not leaked, (name, sorted(leaked)[:10])


def test_agenda_items_of_full_agendas(
    extracted: dict[str, tuple[Document, _Reference]],
) -> None:
    # Items named in MANIFEST.tsv's descriptions of the full-agenda pages.
    flat = {name: " ".join(doc.text.split()) for name, (doc, _) in extracted.items()}
    assert "BOARD OF AIRPORT COMMISSIONERS" in flat["cityscrapersca__lawa_0.html"].upper()
    assert "Planning Commission" in flat["cityscrapersca__walnut_creek_1170.html"]
    assert "Lot Split" in flat["cityscraperscle__cle_planning_commission_agenda.html"].title()


def test_charsets(extracted: dict[str, tuple[Document, _Reference]]) -> None:
    # No charset declared, UTF-8 bytes: the right single quote survives.
    assert "\u2019" in extracted["cityscrapersca__walnut_creek_1170.html"][0].text
    # iso-8859-1 declared, UTF-8 bytes: read as UTF-8 (with a warning), no mojibake.
    doc = extracted["cityscrapersca__cc_county_bos.html"][0]
    assert "únicamente" in doc.text
    assert "Ãº" not in doc.text
    assert doc.warnings
