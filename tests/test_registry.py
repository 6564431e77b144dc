from __future__ import annotations

from pathlib import Path

import pytest

from conductor import Extractor, Limits, MemoryLimitError, PluginFailureError
from conductor._builtin import COMPONENTS
from conductor._hookspecs import PluginInfo, PluginSpec, hookimpl
from conductor._registry import HOST_API_VERSION, Registry, check_api_version, check_info
from conftest import MakePdf


class _Claims:
    def __init__(self, *specs: PluginSpec) -> None:
        self.specs = list(specs)

    @hookimpl
    def conductor_register_plugins(self) -> list[PluginSpec]:
        return self.specs


def test_builtin_pdf_plugin_is_registered_through_pluggy() -> None:
    registry = Registry(entry_points=False)
    spec = registry.plugin_for("pdf")
    assert spec is not None
    assert spec.name == "pdf"
    assert spec.component_path == COMPONENTS / "pdf.wasm"
    assert "pdf" in registry.formats


def test_builtin_docx_plugin_is_registered_when_built() -> None:
    registry = Registry(entry_points=False)
    spec = registry.plugin_for("docx")
    if (COMPONENTS / "docx.wasm").is_file():
        assert spec is not None
        assert (spec.name, spec.formats) == ("docx", ("docx",))
        assert spec.component_path == COMPONENTS / "docx.wasm"
    else:
        assert spec is None
        assert registry.formats == ["pdf"]


def test_the_chunker_is_not_a_format_plugin() -> None:
    registry = Registry(entry_points=False)
    assert all(spec.name != "chunker" for spec in map(registry.plugin_for, registry.formats))


def test_caller_plugins_override_builtins() -> None:
    mine = PluginSpec("mypdf", ("pdf", "xps"), Path("/nowhere/mypdf.wasm"))
    registry = Registry([_Claims(mine)], entry_points=False)
    assert registry.plugin_for("pdf") == mine
    assert {"pdf", "xps"} <= set(registry.formats)


def test_entry_points_load_without_error() -> None:
    assert Registry().plugin_for("pdf") is not None


def test_unknown_hook_is_rejected_by_check_pending() -> None:
    from pluggy import PluginValidationError

    class Typo:
        @hookimpl
        def conductor_register_plugin(self) -> list[PluginSpec]:  # missing "s"
            return []

    with pytest.raises(PluginValidationError):
        Registry([Typo()], entry_points=False)


@pytest.mark.parametrize("version", ["0.3.0", "0.2.0", "0.1.0", "0.0.3", "0.2.7", "0.3.0-rc.1"])
def test_compatible_api_versions(version: str) -> None:
    check_api_version(version)


@pytest.mark.parametrize("version", ["0.4.0", "1.0.0", "1.1.0", "0.1", "banana", ""])
def test_incompatible_api_versions_name_both(version: str) -> None:
    with pytest.raises(PluginFailureError) as info:
        check_api_version(version)
    assert repr(version) in info.value.message
    assert HOST_API_VERSION in info.value.message
    assert info.value.stage == "load"


def test_major_must_match_even_for_newer_hosts() -> None:
    check_api_version("1.2.0", host_version="1.3.0")
    with pytest.raises(PluginFailureError):
        check_api_version("0.2.0", host_version="1.3.0")


def test_check_info_rejects_a_component_that_does_not_claim_the_format() -> None:
    spec = PluginSpec("pdf", ("pdf",), Path("pdf.wasm"))
    check_info(spec, PluginInfo("pdf", "0.1.0", "0.2.0", ("pdf",)))
    with pytest.raises(PluginFailureError, match="registered as 'pdf'"):
        check_info(spec, PluginInfo("pdf", "0.1.0", "0.2.0", ("docx",)))
    with pytest.raises(PluginFailureError, match=r"'9\.0\.0'"):
        check_info(spec, PluginInfo("pdf", "0.1.0", "9.0.0", ("pdf",)))


def test_misregistered_component_is_refused_before_extracting(
    misbehave_component: Path, tmp_path: Path
) -> None:
    wrong = PluginSpec("impostor", ("misbehave",), misbehave_component)
    extractor = Extractor(
        Limits(), registry=Registry([_Claims(wrong)], entry_points=False), cache_dir=tmp_path
    )
    with pytest.raises(PluginFailureError) as info:
        extractor.extract(b"hello", format="misbehave", name="doc.txt")
    assert "'misbehave'" in info.value.message
    assert "'impostor'" in info.value.message
    assert info.value.document == "doc.txt"


def test_missing_component_file_is_a_load_failure(tmp_path: Path) -> None:
    ghost = PluginSpec("ghost", ("misbehave",), tmp_path / "ghost.wasm")
    extractor = Extractor(
        Limits(), registry=Registry([_Claims(ghost)], entry_points=False), cache_dir=tmp_path
    )
    with pytest.raises(PluginFailureError, match="cannot read its component") as info:
        extractor.extract(b"hello", format="misbehave")
    assert info.value.stage == "load"
    assert "build_plugins" in info.value.hint


def test_a_limit_hit_while_loading_fails_the_document_not_the_plugin(
    make_pdf: MakePdf, tmp_path: Path
) -> None:
    """A 1 MiB memory limit fails the PDF plugin's info() call: that is each document's
    memory_limit error, and the plugin stays registered for the next document."""
    extractor = Extractor(
        Limits(memory_mb=1), registry=Registry(entry_points=False), cache_dir=tmp_path
    )
    pdf = make_pdf(["hello"])
    for name in ("first.pdf", "second.pdf"):
        with pytest.raises(MemoryLimitError) as info:
            extractor.extract(pdf, name=name)
        assert info.value.document == name
        assert "1 MiB memory limit" in info.value.message
    assert extractor.registry.plugin_for("pdf") is not None
    assert not extractor.registry.rejected
    extractor.check_plugins()
    assert [r.name for r in extractor.registry.rejected] == []


def test_load_failures_name_the_document(tmp_path: Path) -> None:
    ghost = PluginSpec("ghost", ("misbehave",), tmp_path / "ghost.wasm")
    extractor = Extractor(
        Limits(), registry=Registry([_Claims(ghost)], entry_points=False), cache_dir=tmp_path
    )
    with pytest.raises(PluginFailureError) as info:
        extractor.extract(b"hello", format="misbehave", name="minutes.txt")
    assert info.value.document == "minutes.txt"
    assert str(info.value).startswith("minutes.txt: plugin 'ghost': cannot read its component")
