"""Shared fixtures: built test components, the real-document corpus, generated PDFs and
DOCX files."""

from __future__ import annotations

import io
import os
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from _metrics import require_corpus
from _pdfgen import build_pdf
from _server import FaultServer
from conductor import Extractor, Limits
from conductor._hookspecs import PluginSpec, hookimpl
from conductor._registry import Registry

ROOT = Path(__file__).resolve().parent.parent
MISBEHAVE = ROOT / "build" / "components" / "misbehave.wasm"
DROPIN = ROOT / "build" / "plugins"
"""Where scripts/build_plugins.py puts the drop-in plugins (html, plaintext)."""

# The suite must not see the plugins of whoever runs it: no per-user plugin directory,
# no plugin path or pins from the caller's environment. Set before any registry exists.
os.environ["XDG_DATA_HOME"] = tempfile.mkdtemp(prefix="conductor-test-data-")
os.environ.pop("CONDUCTOR_PLUGIN_PATH", None)
os.environ.pop("CONDUCTOR_PIN", None)

MakePdf = Callable[..., bytes]
MakeDocx = Callable[..., bytes]

COMPONENTS = ROOT / "host" / "conductor" / "_components"

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="word/document.xml"/></Relationships>'
)


def build_docx(paragraphs: list[tuple[str | None, str, bool]]) -> bytes:
    """A minimal DOCX: ``[Content_Types].xml``, ``_rels/.rels`` and ``word/document.xml``
    with one paragraph per ``(style id or None, text, page break before)``."""
    body = []
    for style, text, page_break in paragraphs:
        props = f'<w:pPr><w:pStyle w:val="{style}"/></w:pPr>' if style else ""
        brk = '<w:r><w:br w:type="page"/></w:r>' if page_break else ""
        body.append(f'<w:p>{props}{brk}<w:r><w:t xml:space="preserve">{text}</w:t></w:r></w:p>')
    document = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f'<w:document xmlns:w="{_W}"><w:body>{"".join(body)}</w:body></w:document>'
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", _CONTENT_TYPES)
        z.writestr("_rels/.rels", _RELS)
        z.writestr("word/document.xml", document)
    return buf.getvalue()


MINIMAL_DOCX = [
    ("Heading1", "Budget Hearing", False),
    (None, "The council opens the public hearing on the budget.", False),
    (None, "Staff presents the capital plan.", False),
    (None, "Public comment follows on the next page.", True),
]
"""Two paragraphs after a Heading1-styled one, then a page break and a last paragraph."""


def _require_component(name: str) -> Path:
    path = COMPONENTS / f"{name}.wasm"
    if not path.is_file():
        pytest.skip(
            f"host/conductor/_components/{name}.wasm is not built yet; run "
            f"`python scripts/build_plugins.py --only {name}`"
        )
    return path


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
def dropin_dir() -> Path:
    """build/plugins: the drop-in plugins (html, plaintext), each in its own folder."""
    for name in ("html", "plaintext"):
        if not (DROPIN / name / "plugin.toml").is_file():
            pytest.skip(
                f"build/plugins/{name} is not built; run "
                f"`python scripts/build_plugins.py --only {name}`"
            )
    return DROPIN


@pytest.fixture(scope="session")
def corpus() -> Path:
    """The real-document corpus: $CONDUCTOR_CORPUS, else <repo>/../shared/corpus. Without
    it the test is skipped, or fails under CI (``_metrics.missing_input``)."""
    return require_corpus()


@pytest.fixture(scope="session")
def docx_component() -> Path:
    """The built DOCX plugin; skips with the reason until it is built."""
    return _require_component("docx")


@pytest.fixture(scope="session")
def chunker_component() -> Path:
    """The built chunker plugin; skips with the reason until it is built."""
    return _require_component("chunker")


@pytest.fixture(scope="session")
def make_docx() -> MakeDocx:
    """``make_docx([(style, text, page_break_before), ...]) -> bytes``; no argument gives
    :data:`MINIMAL_DOCX`."""

    def make(paragraphs: list[tuple[str | None, str, bool]] | None = None) -> bytes:
        return build_docx(MINIMAL_DOCX if paragraphs is None else paragraphs)

    return make


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


@pytest.fixture
def server() -> Iterator[FaultServer]:
    """A real HTTP server on 127.0.0.1 with scripted replies and a request log."""
    with FaultServer() as s:
        yield s


@pytest.fixture
def private_tempdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Download temp files go to tmp_path/dl, so tests can check that none is left behind."""
    d = tmp_path / "dl"
    d.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(d))
    return d


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, private_tempdir: Path) -> Path:
    """A CLI test's working directory (tmp_path, where the default database lands), with
    downloads in :func:`private_tempdir`."""
    monkeypatch.chdir(tmp_path)
    return tmp_path
