"""Shared fixtures: built test components, the real-document corpus, generated PDFs."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from conductor import Extractor, Limits
from conductor._hookspecs import PluginSpec, hookimpl
from conductor._registry import Registry

ROOT = Path(__file__).resolve().parent.parent
MISBEHAVE = ROOT / "build" / "components" / "misbehave.wasm"

MakePdf = Callable[..., bytes]


@pytest.fixture(scope="session")
def misbehave_component() -> Path:
    """The deliberately misbehaving test component (tests/components/misbehave)."""
    if not MISBEHAVE.exists():
        pytest.skip(
            f"{MISBEHAVE.relative_to(ROOT)} is not built; run "
            "`python scripts/build_plugins.py --only misbehave`"
        )
    return MISBEHAVE


@pytest.fixture(scope="session")
def corpus() -> Path:
    """The real-document corpus: $CONDUCTOR_CORPUS, else <repo>/../shared/corpus."""
    path = Path(os.environ.get("CONDUCTOR_CORPUS") or ROOT.parent / "shared" / "corpus")
    if not path.is_dir():
        pytest.skip(f"corpus not found at {path} (set CONDUCTOR_CORPUS)")
    return path


def _pdf_string(text: str) -> bytes:
    escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    return b"(" + escaped.encode("latin-1") + b")"


def build_pdf(pages: list[str], *, title: str | None = None) -> bytes:
    """A small valid PDF: one Helvetica text line per input line on each page.

    Objects: 1 catalog, 2 page tree, 3 font, then a page and a content stream per page,
    and an Info dictionary when ``title`` is given; the xref offsets are exact.
    """
    objects: list[bytes] = []
    n = len(pages)
    page_ids = [4 + 2 * i for i in range(n)]
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    kids = b" ".join(b"%d 0 R" % pid for pid in page_ids)
    objects.append(b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % n)
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    for i, text in enumerate(pages):
        lines = text.split("\n")
        ops = [b"BT /F1 12 Tf 14 TL 72 720 Td"]
        for j, line in enumerate(lines):
            ops.append((b"T* " if j else b"") + _pdf_string(line) + b" Tj")
        ops.append(b"ET")
        stream = b"\n".join(ops)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % (page_ids[i] + 1)
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    info_ref = b""
    if title is not None:
        objects.append(b"<< /Title " + _pdf_string(title) + b" >>")
        info_ref = b" /Info %d 0 R" % len(objects)
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R" % (len(objects) + 1) + info_ref + b" >>\n"
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


@pytest.fixture(scope="session")
def make_pdf() -> MakePdf:
    """``make_pdf(["page one text", "page two"], title=None) -> bytes``."""
    return build_pdf


class MisbehavePlugin:
    """Registers the misbehave component for the format ``misbehave``."""

    def __init__(self, path: Path, name: str = "misbehave") -> None:
        self.path = path
        self.name = name

    @hookimpl
    def conductor_register_plugins(self) -> list[PluginSpec]:
        return [PluginSpec(self.name, ("misbehave",), self.path)]


@pytest.fixture(scope="session")
def misbehave_plugin(misbehave_component: Path) -> MisbehavePlugin:
    return MisbehavePlugin(misbehave_component)


@pytest.fixture(scope="session")
def misbehave_extractor(
    misbehave_plugin: MisbehavePlugin, tmp_path_factory: pytest.TempPathFactory
) -> Callable[..., Extractor]:
    """``misbehave_extractor(**limits) -> Extractor`` with the misbehave plugin registered
    and a per-session compiled-component cache."""
    registry = Registry([misbehave_plugin], entry_points=False)
    cache = tmp_path_factory.mktemp("component-cache")

    def make(**limits: object) -> Extractor:
        return Extractor(Limits(**limits), registry=registry, cache_dir=cache)  # type: ignore[arg-type]

    return make
