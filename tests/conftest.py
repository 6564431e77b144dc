"""Shared fixtures: built test components, the real-document corpus, generated PDFs."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from _pdfgen import build_pdf
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
