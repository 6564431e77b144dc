"""The wheel ships the built components, so installing it needs no Rust toolchain.

Builds the wheel once per session with ``pip wheel . --no-deps`` (hatchling comes from
PyPI through pip's build isolation). The last test installs it into a fresh virtual
environment and extracts a PDF there, outside the repo: the slowest test here (~15-30 s,
most of it creating the venv and installing wasmtime from pip's cache).
"""

from __future__ import annotations

import json
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

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

    proc = subprocess.run(
        [str(env_dir / "bin" / "conductor"), "extract", str(pdf), "--json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = json.loads(proc.stdout)
    assert out["page_count"] == 1
    text = out["pages"][0]["text"].split()
    assert text == ["Hello", "from", "the", "wheel", "Second", "line", "here"]
