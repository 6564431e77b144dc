"""The wheel ships the built components, so installing it needs no Rust toolchain; the
sdist compiles them (hatch_build.py) or refuses to install.

Builds the wheel once per session with ``pip wheel . --no-deps`` (hatchling comes from
PyPI through pip's build isolation). A wheel test installs it into a fresh virtual
environment and extracts a PDF there, outside the repo (~15-30 s, most of it creating the
venv and installing wasmtime from pip's cache).

The sdist is built with hatchling in a venv of its own (pip cannot build sdists). Installing
it compiles every shipped plugin: the one ``slow`` test. It shares the checkout's cargo
target dir (``target/``, which setup already filled), so the dependencies and std are
reused; pip unpacks the sdist somewhere new each time, so the workspace crates rebuild.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import tomllib
import venv
import zipfile
from pathlib import Path
from typing import Any

import pytest

from _pdfgen import build_pdf

ROOT = Path(__file__).resolve().parent.parent
COMPONENT = ROOT / "host" / "conductor" / "_components" / "pdf.wasm"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not COMPONENT.is_file():
        pytest.fail(f"{COMPONENT} is not built: run scripts/setup.sh")
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", ".", "--no-deps", "-q", "-w", str(out)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=300,
    )
    wheels = list(out.glob("*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def _installed_extract(env_dir: Path, pdf: Path, cwd: Path) -> dict[str, Any]:
    """``conductor extract --json`` from the environment at ``env_dir``, run outside the
    repo; its JSON."""
    proc = subprocess.run(
        [str(env_dir / "bin" / "conductor"), "extract", str(pdf), "--json"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


def test_wheel_ships_components_and_types(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        packed = zf.read("conductor/_components/pdf.wasm")

    assert "conductor/__init__.py" in names
    assert "conductor/py.typed" in names
    assert packed == COMPONENT.read_bytes()
    assert packed[:4] == b"\0asm"
    # The HTML and plain-text drop-ins ship as folders of the package's plugin directory.
    for name in ("html", "plaintext"):
        folder = ROOT / "host" / "conductor" / "_plugins" / name
        for file in (f"{name}.wasm", "plugin.toml"):
            assert (
                zf_read(wheel, f"conductor/_plugins/{name}/{file}") == (folder / file).read_bytes()
            )
    # Test-only components stay out of the package.
    assert not any("misbehave" in n for n in names), sorted(names)
    assert not any(n.endswith((".rs", "Cargo.toml")) for n in names)


def zf_read(wheel: Path, name: str) -> bytes:
    with zipfile.ZipFile(wheel) as zf:
        return zf.read(name)


def test_wheel_declares_the_cli_and_runtime_dependencies(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as zf:
        dist_info = next(n.split("/")[0] for n in zf.namelist() if ".dist-info/" in n)
        entry_points = zf.read(f"{dist_info}/entry_points.txt").decode()
        metadata = zf.read(f"{dist_info}/METADATA").decode()

    assert "conductor = conductor._cli:main" in entry_points
    requires = [line for line in metadata.splitlines() if line.startswith("Requires-Dist:")]
    assert any("wasmtime" in r and "extra" not in r for r in requires), requires
    assert any("pluggy" in r and "extra" not in r for r in requires), requires


def test_wheel_installs_into_fresh_venv_and_extracts(wheel: Path, tmp_path: Path) -> None:
    """Slow (~15-30 s): a fresh venv, the wheel and its two dependencies, one extraction."""
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    pdf = tmp_path / "hello.pdf"
    pdf.write_bytes(build_pdf(["Hello from the wheel\nSecond line here"]))

    # Run outside the repo so that only the installed package can be imported.
    where = subprocess.run(
        [str(python), "-c", "import conductor; print(conductor.__file__)"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert Path(where).is_relative_to(env_dir), where

    out = _installed_extract(env_dir, pdf, tmp_path)
    assert out["page_count"] == 1
    text = out["pages"][0]["text"].split()
    assert text == ["Hello", "from", "the", "wheel", "Second", "line", "here"]


# ---------------------------------------------------------------------------------------
# The sdist

# The checkout's own target dir: the sdist's build (linked there by hatch_build.py) then
# reuses what scripts/setup.sh compiled instead of building std and every dependency again
# (about 16 minutes from cold on a busy 2-core machine).
SDIST_TARGET_DIR = ROOT / "target"
COMPONENTS = [
    "conductor/_components/pdf.wasm",
    "conductor/_components/docx.wasm",
    "conductor/_components/chunker.wasm",
    "conductor/_plugins/html/html.wasm",
    "conductor/_plugins/plaintext/plaintext.wasm",
]
# Each drop-in's manifest, as its crate has it.
MANIFESTS = {
    "conductor/_plugins/html/plugin.toml": ROOT / "plugins" / "html" / "plugin.toml",
    "conductor/_plugins/plaintext/plugin.toml": ROOT / "plugins" / "template" / "plugin.toml",
}
# The start of the hook's message and its advice (hatch_build.py).
CANNOT_BUILD = "engagic-conductor: the wheel cannot be built: its plugin components are not built"
WHEEL_ADVICE = "pip wheel --no-deps <this sdist or a checkout>"


def fresh_venv(where: Path) -> Path:
    """A new venv with pip; returns its python."""
    venv.EnvBuilder(with_pip=True).create(where)
    return where / "bin" / "python"


def pip_install(python: Path, target: Path, env: dict[str, str], timeout: float) -> str:
    """Runs `pip install target` and returns its output; raises on failure (output shown)."""
    proc = subprocess.run(
        [str(python), "-m", "pip", "install", "--disable-pip-version-check", str(target)],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if proc.returncode != 0:
        raise subprocess.CalledProcessError(proc.returncode, proc.args, proc.stdout, proc.stderr)
    return proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def sdist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("sdist")
    python = fresh_venv(base / "venv")
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", "hatchling"],
        check=True,
        capture_output=True,
        timeout=300,
    )
    out = base / "out"
    subprocess.run(
        [str(python), "-c", f"from hatchling.build import build_sdist; build_sdist({str(out)!r})"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=300,
    )
    found = list(out.glob("*.tar.gz"))
    assert len(found) == 1, found
    return found[0]


def sdist_names(sdist: Path) -> set[str]:
    with tarfile.open(sdist) as tf:
        # Without the top folder (engagic_conductor-<version>/).
        return {n.split("/", 1)[1] for n in tf.getnames() if "/" in n}


def test_sdist_holds_all_the_hook_needs_to_compile(sdist: Path) -> None:
    names = sdist_names(sdist)

    for needed in ("hatch_build.py", "scripts/build_plugins.py", "Cargo.toml", "Cargo.lock"):
        assert needed in names, needed
    assert {"wit/types.wit", "wit/extractor.wit", "wit/chunker.wit"} <= names
    # cargo loads every workspace member, test-only ones too, before building any.
    members = tomllib.loads((ROOT / "Cargo.toml").read_text())["workspace"]["members"]
    for member in members:
        assert f"{member}/Cargo.toml" in names, member
        sources = {n for n in names if n.startswith(f"{member}/src/")}
        assert sources, f"{member} has no sources in the sdist"
        on_disk = {
            str(f.relative_to(ROOT)) for f in (ROOT / member / "src").rglob("*") if f.is_file()
        }
        assert sources == on_disk, member
    for plugin in ("html", "template"):
        assert f"plugins/{plugin}/plugin.toml" in names
    # Sources only: no built components, no cargo output.
    assert not [n for n in names if n.endswith(".wasm") or n.startswith("target/")]


def test_sdist_without_toolchain_fails_saying_how_to_get_a_wheel(
    sdist: Path, tmp_path: Path
) -> None:
    """PATH holds only the venv: no cargo, so the hook must stop before building a wheel
    (before the fix pip installed a package without components, which cannot extract)."""
    env_dir = tmp_path / "venv"
    python = fresh_venv(env_dir)
    env = {**os.environ, "PATH": str(env_dir / "bin")}

    with pytest.raises(subprocess.CalledProcessError) as failed:
        pip_install(python, sdist, env, timeout=600)
    out = failed.value.stdout + failed.value.stderr

    assert CANNOT_BUILD in out, out
    assert "cargo is not on PATH" in out, out
    assert WHEEL_ADVICE in out, out
    assert "rustup target add wasm32-wasip1" in out, out
    gone = subprocess.run(
        [str(python), "-c", "import conductor"], cwd=tmp_path, capture_output=True, text=True
    )
    assert gone.returncode != 0, "the sdist installed without its components"
    assert "No module named 'conductor'" in gone.stderr


@pytest.mark.slow
@pytest.mark.corpus
def test_sdist_compiles_the_plugins_and_extracts(sdist: Path, corpus: Path, tmp_path: Path) -> None:
    """Slow (minutes): pip install of the sdist runs cargo for every shipped plugin."""
    env_dir = tmp_path / "venv"
    python = fresh_venv(env_dir)
    env = {**os.environ, "CARGO_TARGET_DIR": str(SDIST_TARGET_DIR)}
    log = pip_install(python, sdist, env, timeout=3600)
    assert "Successfully installed" in log, log

    site = Path(
        subprocess.run(
            [str(python), "-c", "import conductor; print(conductor.__file__)"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    ).parent.parent
    assert site.is_relative_to(env_dir), site
    for name in COMPONENTS:
        assert (site / name).read_bytes()[:4] == b"\0asm", name
    for name, source in MANIFESTS.items():
        assert (site / name).read_bytes() == source.read_bytes(), name

    pdf = corpus / "civic" / "agendaminer__mountain-view.pdf"
    out = _installed_extract(env_dir, pdf, tmp_path)
    assert out["format"] == "pdf"
    assert out["page_count"] == 6
    assert out["metadata"]["title"] == "Agenda and Notice"
    first = " ".join(out["pages"][0]["text"].split())
    assert "CITY OF MOUNTAIN VIEW" in first, first
    assert "CITY COUNCIL AGENDA AND NOTICE" in first, first

    # The drop-ins and the chunker came along: every shipped plugin loads from the venv.
    listed = subprocess.run(
        [str(env_dir / "bin" / "conductor"), "plugins"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    ).stdout
    for plugin in ("pdf", "docx", "html", "plaintext", "chunker"):
        assert any(line.startswith(f"{plugin} ") for line in listed.splitlines()), listed
    assert str(site / "conductor" / "_plugins" / "html" / "plugin.toml") in listed, listed
