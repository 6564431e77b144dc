"""Drop-in plugins (issue 5): discovery from plugin directories and entry points, dispatch
by magic bytes, hints, priority and pins, interface versioning, broken plugins skipped.

Every plugin here is a real component run in the real sandbox; plugin folders are built
in temporary directories the way a user would drop them in.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from dataclasses import replace
from pathlib import Path

import pytest

from conductor import (
    Conductor,
    Extractor,
    ExtractTimeoutError,
    InvalidConfigError,
    Limits,
    PluginFailureError,
    UnsupportedFormatError,
    _cli,
)
from conductor._extract import with_overrides
from conductor._manifest import ManifestError, load_manifest
from conductor._registry import HOST_API_VERSION, Registry

ROOT = Path(__file__).resolve().parent.parent
COMPONENTS = ROOT / "build" / "components"
CHUNKER = ROOT / "host" / "conductor" / "_components" / "chunker.wasm"

NOTES = "Council notes\nItem 1. Call to order at 6:02 pm.\n\x0cItem 2. Adjourned at 7:15 pm.\n"


def _manifest(
    name: str,
    *,
    formats: str = "text",
    version: str = "0.1.0",
    api: str = HOST_API_VERSION,
    priority: int = 0,
    extra: str = "",
    fmt_extra: str = 'extensions = ["txt"]',
) -> str:
    return (
        f'name = "{name}"\nversion = "{version}"\napi-version = "{api}"\n'
        f'priority = {priority}\n{extra}\n[[formats]]\nname = "{formats}"\n{fmt_extra}\n'
    )


def _drop(root: Path, folder: str, component: Path | bytes, manifest: str) -> Path:
    """A plugin folder ``root/folder`` holding ``<name>.wasm`` and ``plugin.toml``."""
    d = root / folder
    d.mkdir(parents=True)
    name = manifest.split('"', 2)[1]
    target = d / f"{name}.wasm"
    if isinstance(component, bytes):
        target.write_bytes(component)
    else:
        shutil.copyfile(component, target)
    (d / "plugin.toml").write_text(manifest)
    return d


@pytest.fixture
def notes(tmp_path: Path) -> Path:
    path = tmp_path / "notes.txt"
    path.write_text(NOTES)
    return path


@pytest.fixture
def plaintext(dropin_dir: Path) -> Path:
    return dropin_dir / "plaintext" / "plaintext.wasm"


@pytest.fixture
def misbehave(misbehave_component: Path) -> Path:
    return misbehave_component


def _extractor(tmp_path: Path, *dirs: Path, **kw: object) -> Extractor:
    registry = Registry(entry_points=False, plugin_path=list(dirs), **kw)  # type: ignore[arg-type]
    return Extractor(Limits(timeout_s=20), registry=registry, cache_dir=tmp_path / "cache")


# -- the template, built and dropped in -------------------------------------------------


def test_template_is_built_dropped_in_and_used_by_a_fresh_conductor(
    tmp_path: Path, notes: Path
) -> None:
    plugin_dir = tmp_path / "plugins"
    build = subprocess.run(
        [
            sys.executable,
            "scripts/build_plugins.py",
            "--only",
            "plaintext",
            "--plugin-dir",
            str(plugin_dir),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert build.returncode == 0, build.stderr
    assert sorted(p.name for p in (plugin_dir / "plaintext").iterdir()) == [
        "plaintext.wasm",
        "plugin.toml",
    ]

    # Without the plugin the host does not know plain text at all.
    with pytest.raises(UnsupportedFormatError):
        Conductor(database=None, plugin_path=[]).extractor.extract(notes)

    conductor = Conductor(database=tmp_path / "db.sqlite", plugin_path=[plugin_dir])
    [result] = conductor.process_documents([{"path": str(notes)}])
    assert result.ok, result.error
    assert result.document is not None
    doc = result.document
    assert doc.format == "text"
    assert [p.text for p in doc.pages] == [
        "Council notes\nItem 1. Call to order at 6:02 pm.\n",
        "Item 2. Adjourned at 7:15 pm.\n",
    ]
    assert doc.metadata.title == "Council notes"
    assert result.chunks
    assert "".join(c.text for c in result.chunks) == doc.text
    assert result.chunks[-1].page_end == 2


def test_hints_pick_a_format_without_magic_and_never_override_magic(
    tmp_path: Path, dropin_dir: Path, make_pdf: object
) -> None:
    ex = _extractor(tmp_path, dropin_dir)
    by_type = ex.extract(b"hello plain world", media_type="text/plain; charset=utf-8")
    assert (by_type.format, by_type.pages[0].text) == ("text", "hello plain world")
    assert ex.extract(b"named by extension", name="minutes.TXT").format == "text"
    with pytest.raises(UnsupportedFormatError, match="unknown format"):
        ex.extract(b"no hint at all")
    # A .pdf that does not start like a PDF is not handed to the PDF plugin, and a PDF
    # named .txt is still a PDF: bytes decide.
    with pytest.raises(UnsupportedFormatError, match="unknown format"):
        ex.extract(b"not really a pdf", name="agenda.pdf", media_type="application/pdf")
    pdf = make_pdf(["Roll call"])  # type: ignore[operator]
    assert ex.extract(pdf, name="agenda.txt", media_type="text/plain").format == "pdf"


def test_html_is_recognised_by_its_signature_after_a_bom_and_blank_lines(
    tmp_path: Path, dropin_dir: Path
) -> None:
    ex = _extractor(tmp_path, dropin_dir)
    page = b"\xef\xbb\xbf\n\n  <!DOCTYPE html><html><body><h1>Agenda</h1><p>Item 1</p></body>"
    doc = ex.extract(page, name="download.bin")
    assert doc.format == "html"
    assert "Agenda" in doc.text
    assert "Item 1" in doc.text
    assert [h.title for h in doc.headings] == ["Agenda"]
    # A fragment matching no signature is HTML by its name or Content-Type (the HTML
    # plugin trusts hints), and named for what it looks like without either.
    fragment = b"<style>p{}</style><dl><dt>1.</dt><dd>Call to order</dd></dl>"
    assert ex.extract(fragment, name="agenda.html").format == "html"
    assert ex.extract(fragment, media_type="text/html").format == "html"
    with pytest.raises(UnsupportedFormatError, match="HTML fragment"):
        ex.extract(fragment)
    # Without the HTML plugin, the same page is named for what it is.
    with pytest.raises(UnsupportedFormatError, match="no HTML plugin is installed"):
        _extractor(tmp_path).extract(page)


# -- priority and pins --------------------------------------------------------------------


def _rivals(tmp_path: Path, plaintext: Path, misbehave: Path, misbehave_priority: int) -> Path:
    """plaintext (priority 0) and misbehave (claiming text too) in one plugin directory."""
    root = tmp_path / "rivals"
    _drop(root, "plaintext", plaintext, _manifest("plaintext", fmt_extra='extensions = ["txt"]'))
    _drop(root, "misbehave", misbehave, _manifest("misbehave", priority=misbehave_priority))
    return root


def _by_misbehave(doc: object) -> bool:
    # misbehave's echo reports the options it received as the subject; plaintext never
    # sets a subject.
    subject = doc.metadata.subject  # type: ignore[attr-defined]
    return subject is not None and subject.startswith("pages=")


def test_highest_priority_wins(
    tmp_path: Path, plaintext: Path, misbehave: Path, notes: Path
) -> None:
    high = _extractor(tmp_path, _rivals(tmp_path / "a", plaintext, misbehave, 10))
    assert [s.name for s in high.registry.candidates("text")] == ["misbehave", "plaintext"]
    assert _by_misbehave(high.extract(notes))

    low = _extractor(tmp_path, _rivals(tmp_path / "b", plaintext, misbehave, -1))
    assert [s.name for s in low.registry.candidates("text")] == ["plaintext", "misbehave"]
    doc = low.extract(notes)
    assert not _by_misbehave(doc)
    assert doc.pages[1].text == "Item 2. Adjourned at 7:15 pm.\n"


def test_a_pin_overrides_priority(
    tmp_path: Path, plaintext: Path, misbehave: Path, notes: Path
) -> None:
    root = _rivals(tmp_path, plaintext, misbehave, 10)
    pinned = _extractor(tmp_path, root, pins={"text": "plaintext"})
    assert not _by_misbehave(pinned.extract(notes))
    assert _by_misbehave(_extractor(tmp_path, root).extract(notes))

    with pytest.raises(InvalidConfigError) as info:
        _extractor(tmp_path, root, pins={"text": "nosuch"}).extract(notes)
    assert "'nosuch'" in info.value.message
    assert "'text'" in info.value.message
    assert "misbehave, plaintext" in info.value.message


def test_pins_from_the_cli_flag_and_the_environment(
    tmp_path: Path,
    plaintext: Path,
    misbehave: Path,
    notes: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("CONDUCTOR_PLUGIN_PATH", str(_rivals(tmp_path, plaintext, misbehave, 10)))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))

    def subject(*args: str) -> str | None:
        assert _cli.main(["extract", str(notes), "--json", *args]) == 0
        return json.loads(capsys.readouterr().out)["metadata"]["subject"]

    assert subject() is not None  # misbehave, by priority
    assert subject("--pin", "text=plaintext") is None
    monkeypatch.setenv("CONDUCTOR_PIN", "text=plaintext")
    assert subject() is None
    assert subject("--pin", "text=misbehave") is not None  # the flag beats the variable
    monkeypatch.setenv("CONDUCTOR_PIN", "text")
    assert _cli.main(["extract", str(notes), "--json"]) == 1
    error = json.loads(capsys.readouterr().out)["error"]
    assert (error["kind"], error["stage"]) == ("invalid_config", "load")
    assert "FORMAT=PLUGIN" in error["message"]


def test_manifest_limits_override_the_defaults_for_that_plugin(
    tmp_path: Path, misbehave: Path
) -> None:
    root = tmp_path / "p"
    extra = "[limits]\ntimeout-s = 0.5\n"
    manifest = _manifest("misbehave", extra="", fmt_extra='extensions = ["txt"]') + extra
    _drop(root, "misbehave", misbehave, manifest)
    ex = _extractor(tmp_path, root)  # default deadline 20 s
    start = time.monotonic()
    with pytest.raises(ExtractTimeoutError) as info:
        ex.extract(b"MISBEHAVE loop", name="spin.txt")
    assert time.monotonic() - start < 5
    assert "0.5" in info.value.message


# -- versions and broken plugins ----------------------------------------------------------


def _next_minor(version: str) -> str:
    major, minor, _ = version.split(".")
    return f"{major}.{int(minor) + 1}.0"


@pytest.mark.parametrize("api", [_next_minor(HOST_API_VERSION), "1.0.0", "banana"])
def test_incompatible_manifest_api_version_is_rejected_naming_both(
    tmp_path: Path, plaintext: Path, api: str
) -> None:
    root = tmp_path / "p"
    _drop(root, "plaintext", plaintext, _manifest("plaintext", api=api))
    registry = Registry(entry_points=False, plugin_path=[root])
    assert registry.candidates("text") == []
    [rejected] = registry.rejected
    assert rejected.name == "plaintext"
    assert rejected.origin == "directory"
    assert repr(api) in rejected.reason
    assert repr(HOST_API_VERSION) in rejected.reason


def test_compatible_older_minor_is_accepted_but_must_match_the_component(
    tmp_path: Path, plaintext: Path, notes: Path
) -> None:
    root = tmp_path / "p"
    _drop(root, "plaintext", plaintext, _manifest("plaintext", api="0.1.0"))
    ex = _extractor(tmp_path, root)
    assert [s.name for s in ex.registry.candidates("text")] == ["plaintext"]
    # The component was built against the host's version, so the manifest is lying:
    # rejected on load.
    with pytest.raises(PluginFailureError) as info:
        ex.extract(notes)
    assert info.value.stage == "load"
    assert info.value.document == str(notes)
    [rejected] = ex.registry.rejected
    assert f"api-version is {HOST_API_VERSION!r}" in rejected.reason
    assert "'0.1.0'" in rejected.reason


LEGACY_0_2_0 = ROOT / "tests" / "fixtures" / "plaintext-0.2.0"
"""plugins/template as built against WIT 0.2.0 (before extract-json and the password
option), kept as a binary so that a real older component stays under test."""


def test_a_plugin_built_against_0_2_0_still_extracts(tmp_path: Path, notes: Path) -> None:
    root = tmp_path / "p"
    shutil.copytree(LEGACY_0_2_0, root / "plaintext")
    ex = _extractor(tmp_path, root)
    doc = ex.extract(notes)
    assert ex.registry.rejected == []
    [spec] = ex.registry.candidates("text")
    assert ex.registry.info(spec) is not None
    assert ex.registry.info(spec).api_version == "0.2.0"  # type: ignore[union-attr]
    # It has only the typed export, so the host took the record path; the options record
    # carries 0.3.0's password field, which the older component never sees.
    assert "extract-json" not in ex._sandbox.exports(spec.component_path, plugin="plaintext")
    assert [p.text for p in doc.pages] == [
        "Council notes\nItem 1. Call to order at 6:02 pm.\n",
        "Item 2. Adjourned at 7:15 pm.\n",
    ]
    assert (doc.page_count, doc.pagination) == (2, "page_breaks")


def test_broken_plugins_are_reported_and_skipped_beside_good_ones(
    tmp_path: Path,
    dropin_dir: Path,
    plaintext: Path,
    notes: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    broken = tmp_path / "broken"
    # Each of these claims plain text above the good plugin's priority, so a fallback
    # that failed to skip them would show.
    _drop(broken, "garbage", b"\x00asm this is not wasm", _manifest("garbage", priority=9))
    _drop(broken, "wrongworld", CHUNKER, _manifest("wrongworld", priority=9))
    _drop(broken, "liar", plaintext, _manifest("plaintext", version="9.9.9", priority=9))
    _drop(broken, "trapinfo", COMPONENTS / "trapinfo.wasm", _manifest("trapinfo", priority=9))
    (broken / "nottoml").mkdir()
    (broken / "nottoml" / "plugin.toml").write_text("name = [unclosed")
    (broken / "nomanifest").mkdir()
    (broken / "stray.wasm").write_bytes(b"\x00asm")
    _drop(broken, "ghost", plaintext, _manifest("ghost")).joinpath("ghost.wasm").unlink()

    monkeypatch.setenv("CONDUCTOR_PLUGIN_PATH", f"{broken}:{dropin_dir}")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert _cli.main(["plugins", "--json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    active = {(p["name"], p["origin"]): p["active_for"] for p in listing["plugins"]}
    # The drop-ins outrank the copies shipped in the package (origin builtin).
    assert active == {
        ("plaintext", "directory"): ["text"],
        ("html", "directory"): ["html"],
        ("pdf", "builtin"): ["pdf"],
        ("docx", "builtin"): ["docx"],
        ("plaintext", "builtin"): [],
        ("html", "builtin"): [],
    }
    reasons = {r["name"]: r["reason"] for r in listing["rejected"]}
    assert sorted(reasons) == [
        "garbage",
        "ghost",
        "nomanifest",
        "nottoml",
        "plaintext",
        "stray",
        "trapinfo",
        "wrongworld",
    ]
    assert "does not compile" in reasons["garbage"]
    assert "wrong world" in reasons["wrongworld"]
    assert "'chunk'" in reasons["wrongworld"]
    assert "version is '0.1.0'" in reasons["plaintext"]
    assert "'9.9.9'" in reasons["plaintext"]
    assert "unreachable" in reasons["trapinfo"]
    assert "not valid TOML" in reasons["nottoml"]
    assert "no plugin.toml" in reasons["nomanifest"]
    assert "no plugin.toml" in reasons["stray"]
    assert "ghost.wasm is not there" in reasons["ghost"]
    assert listing["host_api_version"] == HOST_API_VERSION

    # Extraction skips the broken ones without being told about them.
    assert _cli.main(["extract", str(notes), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["format"] == "text"
    assert doc["pages"][1]["text"].startswith("Item 2.")
    assert _cli.main(["plugins"]) == 0
    text = capsys.readouterr().out
    assert "plaintext 0.1.0" in text
    assert "rejected:" in text


def test_lazy_dispatch_rejects_a_broken_plugin_and_falls_back(
    tmp_path: Path, plaintext: Path, notes: Path
) -> None:
    root = tmp_path / "p"
    _drop(root, "trapinfo", COMPONENTS / "trapinfo.wasm", _manifest("trapinfo", priority=5))
    _drop(root, "plaintext", plaintext, _manifest("plaintext"))
    ex = _extractor(tmp_path, root)
    doc = ex.extract(notes)
    assert doc.format == "text"
    assert doc.pages[0].text.startswith("Council notes")
    assert [r.name for r in ex.registry.rejected] == ["trapinfo"]
    assert [s.name for s in ex.registry.candidates("text")] == ["plaintext"]


# -- entry points -------------------------------------------------------------------------


def _dist(site: Path, dist: str, module: str, source: str) -> None:
    # As wheels name it: the project name normalised to underscores (importlib.metadata
    # reads the name up to the first hyphen of the folder).
    info = site / f"{dist.replace('-', '_')}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[conductor.plugins]\n{dist} = {module}\n")
    (site / f"{module}.py").write_text(textwrap.dedent(source))


def test_entry_point_packages_register_plugins_and_a_broken_one_is_skipped(
    tmp_path: Path, plaintext: Path, notes: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    _dist(
        site,
        "conductor-plaintext-pkg",
        "conductor_plaintext_pkg",
        f"""
        from pathlib import Path
        from conductor._formats import FormatSpec
        from conductor._hookspecs import PluginSpec, hookimpl

        @hookimpl
        def conductor_register_plugins():
            spec = FormatSpec("text", media_types=("text/plain",), extensions=("txt",))
            path = Path({str(plaintext)!r})
            return [PluginSpec("plaintext", ("text",), path, format_specs=(spec,))]
        """,
    )
    _dist(site, "conductor-broken-pkg", "conductor_broken_pkg", "raise ImportError('boom')\n")
    monkeypatch.syspath_prepend(str(site))
    ex = Extractor(Limits(), registry=Registry(plugin_path=[]), cache_dir=tmp_path / "cache")
    [plugin] = [p for p in ex.registry.plugins if p.spec.name == "plaintext"]
    assert plugin.origin == "entry-point"
    assert "conductor-plaintext-pkg" in plugin.location
    [broken] = [r for r in ex.registry.rejected if r.origin == "entry-point"]
    assert broken.name == "conductor-broken-pkg"
    assert "boom" in broken.reason
    assert ex.extract(notes).pages[0].text.startswith("Council notes")
    builtin = ex.registry.plugin_for("pdf")
    assert builtin is not None
    assert builtin.name == "pdf"


# -- manifests ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('version = "1"\napi-version = "0.2.0"\n', "name is missing"),
        ('name = "x"\nversion = "1"\napi-version = "0.2.0"\n', "formats is missing"),
        (_manifest("x", extra="colour = 1"), "unknown key 'colour'"),
        (_manifest("x", fmt_extra='magic = [{ bytes = "a", hex = "62" }]'), "exactly one of"),
        (_manifest("x", fmt_extra='magic = [{ hex = "zz" }]'), "formats[0].magic[0]"),
        (_manifest("x", fmt_extra='magic = [{ bytes = "a", offset = 70000 }]'), "65,536"),
        (_manifest("x", extra="[limits]\nmemory-mb = 99999"), "over the host's ceiling"),
        (_manifest("x", extra="[limits]\nfuel = 1"), "limits.'fuel'"),
        (_manifest("X Y"), "name 'X Y'"),
        (_manifest("x", extra='component = "../evil.wasm"'), "beside the manifest"),
    ],
)
def test_manifest_errors_name_the_file_and_the_key(tmp_path: Path, body: str, message: str) -> None:
    d = tmp_path / "x"
    d.mkdir()
    (d / "x.wasm").write_bytes(b"\x00asm")
    (d / "plugin.toml").write_text(body)
    with pytest.raises(ManifestError) as info:
        load_manifest(d / "plugin.toml")
    assert str(d / "plugin.toml") in str(info.value)
    assert message in str(info.value)


def test_manifest_is_read_in_full(tmp_path: Path) -> None:
    d = tmp_path / "x"
    d.mkdir()
    (d / "x.wasm").write_bytes(b"\x00asm")
    (d / "plugin.toml").write_text(
        _manifest(
            "x",
            priority=3,
            fmt_extra='media-types = ["Text/X"]\nextensions = [".XT"]\nmagic = ['
            '{ bytes = "<x", range = 10, ignore-case = true }, { hex = "00ff", offset = 2 },'
            '{ zip-member = "x/main.xml" }]',
            extra="[limits]\nmemory-mb = 64\ntimeout-s = 2.5",
        )
    )
    spec = load_manifest(d / "plugin.toml")
    assert (spec.name, spec.version, spec.priority) == ("x", "0.1.0", 3)
    assert spec.api_version == HOST_API_VERSION
    [fmt] = spec.format_specs
    assert (fmt.media_types, fmt.extensions) == (("text/x",), ("xt",))
    assert [(s.data, s.offset, s.range, s.ignore_case, s.zip_member) for s in fmt.magic] == [
        (b"<x", 0, 10, True, None),
        (b"\x00\xff", 2, 0, False, None),
        (b"", 0, 0, False, "x/main.xml"),
    ]
    assert dict(spec.limits) == {"memory_mb": 64, "timeout_s": 2.5}


# -- HTML through the CLI's JSON contract -------------------------------------------------


def test_cli_extract_and_chunk_html(
    tmp_path: Path,
    dropin_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    page = tmp_path / "agenda.html"
    page.write_text(
        "<!doctype html><html><head><title>Council Agenda</title><script>var secret='xyzzy';"
        "</script><style>p{color:red}</style></head><body><h1>Regular Meeting</h1>"
        "<h2>1. Call to Order</h2><p>Mayor presiding.</p><table><tr><td>Item 2</td>"
        '<td><a href="https://example.org/report.pdf">Staff report</a></td></tr></table>'
        "</body></html>",
        encoding="utf-8",
    )
    monkeypatch.setenv("CONDUCTOR_PLUGIN_PATH", str(dropin_dir))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert _cli.main(["extract", str(page), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["format"] == "html"
    text = doc["pages"][0]["text"]
    for words in ("Regular Meeting", "1. Call to Order", "Mayor presiding.", "Item 2\tStaff"):
        assert words in text
    assert "xyzzy" not in text
    assert "color:red" not in text
    assert [h["title"] for h in doc["headings"]] == ["Regular Meeting", "1. Call to Order"]
    assert doc["pages"][0]["links"][0] == "https://example.org/report.pdf"
    assert doc["metadata"]["title"] == "Council Agenda"

    assert _cli.main(["chunk", str(page), "--json", "--max-tokens", "8"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"source", "format", "page_count", "chunks"}
    assert out["format"] == "html"
    assert out["page_count"] == 1
    assert "".join(c["text"] for c in out["chunks"]) == text
    assert any(c["section"] == "1. Call to Order" for c in out["chunks"])


def test_cli_output_into_a_closed_pipe_is_not_an_error(dropin_dir: Path) -> None:
    # `conductor plugins | head -1`: the reader leaves early.
    proc = subprocess.run(
        f"{ROOT / '.venv' / 'bin' / 'conductor'} plugins | head -1",
        shell=True,
        capture_output=True,
        text=True,
        env={**os.environ, "CONDUCTOR_PLUGIN_PATH": str(dropin_dir)},
        timeout=120,
    )
    assert proc.stdout.startswith("host API")
    assert proc.stderr == ""


def test_manifest_limits_cannot_raise_the_callers_limits(tmp_path: Path, misbehave: Path) -> None:
    """A manifest asking for a 10 s deadline and 4 GiB does not loosen the caller's 0.5 s
    and 64 MiB: the caller's limits bind every plugin."""
    root = tmp_path / "p"
    extra = "[limits]\ntimeout-s = 10\nmemory-mb = 4096\n"
    _drop(root, "misbehave", misbehave, _manifest("misbehave") + extra)
    registry = Registry(entry_points=False, plugin_path=[root])
    ex = Extractor(
        Limits(timeout_s=0.5, memory_mb=64), registry=registry, cache_dir=tmp_path / "cache"
    )
    [spec] = registry.candidates("text")
    assert with_overrides(ex.limits, spec) == ex.limits
    start = time.monotonic()
    with pytest.raises(ExtractTimeoutError) as info:
        ex.extract(b"MISBEHAVE loop", name="spin.txt")
    assert time.monotonic() - start < 5
    assert "the 0.5 s deadline" in info.value.message
    lower = replace(spec, limits={"memory_mb": 32, "timeout_s": 60.0})
    assert with_overrides(ex.limits, lower) == Limits(timeout_s=0.5, memory_mb=32)


def test_shipped_plugins_and_the_chunker_are_listed_without_a_plugin_path(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """HTML and plain text ship in the package's plugin directory, ranked as built-ins;
    `conductor plugins` lists them, and the chunker, with nothing configured."""
    assert _cli.main(["plugins", "--json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    shipped = ROOT / "host" / "conductor" / "_plugins"
    by_name = {p["name"]: p for p in listing["plugins"]}
    assert by_name["html"]["origin"] == by_name["plaintext"]["origin"] == "builtin"
    assert by_name["html"]["location"] == str(shipped / "html" / "plugin.toml")
    assert (by_name["html"]["active_for"], by_name["plaintext"]["active_for"]) == (
        ["html"],
        ["text"],
    )
    assert listing["plugin_path"][-1] == str(shipped)
    chunker = listing["chunker"]
    assert (chunker["name"], chunker["error"]) == ("chunker", None)
    assert chunker["component"] == str(CHUNKER)
    assert chunker["version"]
    assert _cli.main(["plugins"]) == 0
    assert f"chunker {chunker['version']} (API " in capsys.readouterr().out
