"""Plugin directories: drop-in plugins that need no Python.

Each plugin is a folder holding a ``plugin.toml`` manifest and its component. The folders
live in the directories of ``$CONDUCTOR_PLUGIN_PATH`` (``os.pathsep``-separated) and in the
per-user default ``$XDG_DATA_HOME/engagic-conductor/plugins``
(``~/.local/share/engagic-conductor/plugins``). They reach the registry through the same
pluggy hook as every other plugin: :class:`DirectoryPlugins` is registered as one plugin.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ._builtin import PLUGINS
from ._hookspecs import PluginSpec, hookimpl
from ._manifest import MANIFEST, ManifestError, load_manifest

PATH_ENV = "CONDUCTOR_PLUGIN_PATH"


def user_plugin_dir() -> Path:
    """The per-user plugin directory (which need not exist)."""
    data = os.environ.get("XDG_DATA_HOME") or os.path.join(
        os.path.expanduser("~"), ".local", "share"
    )
    return Path(data) / "engagic-conductor" / "plugins"


def default_plugin_path() -> list[Path]:
    """``$CONDUCTOR_PLUGIN_PATH``'s directories, then :func:`user_plugin_dir`, then the
    package's own (the HTML and plain-text plugins shipped in the wheel; the registry
    ranks them as built-ins, below every other plugin)."""
    listed = os.environ.get(PATH_ENV, "")
    return [Path(p) for p in listed.split(os.pathsep) if p] + [user_plugin_dir(), PLUGINS]


@dataclass(frozen=True)
class DirectoryRejection:
    """A folder in a plugin directory that is not a usable plugin."""

    name: str
    location: Path
    reason: str


class DirectoryPlugins:
    """The plugins found in ``paths``, scanned once, in order; folders sorted by name.

    Directories that do not exist are skipped silently (the per-user one usually does
    not); a folder without a manifest, or with a manifest that does not check out, is
    recorded in :attr:`rejected`.
    """

    def __init__(self, paths: Iterable[Path]) -> None:
        self.paths = [Path(p) for p in paths]
        self.found: list[tuple[PluginSpec, Path]] = []
        self.rejected: list[DirectoryRejection] = []
        for root in self.paths:
            self._scan(root)

    def _scan(self, root: Path) -> None:
        try:
            entries = sorted(root.iterdir())
        except (FileNotFoundError, NotADirectoryError):
            return
        except OSError as e:
            self.rejected.append(DirectoryRejection(root.name, root, f"cannot list it ({e})"))
            return
        for entry in entries:
            if entry.name.startswith("."):
                continue
            manifest = entry / MANIFEST
            if entry.is_dir() and manifest.is_file():
                try:
                    self.found.append((load_manifest(manifest), manifest))
                except ManifestError as e:
                    self.rejected.append(DirectoryRejection(entry.name, manifest, str(e)))
            elif entry.is_dir() or entry.suffix == ".wasm":
                self.rejected.append(
                    DirectoryRejection(
                        entry.stem,
                        entry,
                        f"no {MANIFEST}: a plugin is a folder holding its component and a "
                        f"{MANIFEST} manifest (docs/plugins.md)",
                    )
                )

    @hookimpl
    def conductor_register_plugins(self) -> list[PluginSpec]:
        return [spec for spec, _ in self.found]


__all__ = [
    "PATH_ENV",
    "DirectoryPlugins",
    "DirectoryRejection",
    "default_plugin_path",
    "user_plugin_dir",
]
