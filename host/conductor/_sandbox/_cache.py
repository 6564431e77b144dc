"""Compiled-component cache on disk.

Compiling a large component takes seconds; a serialized compiled component loads in
milliseconds. Entries are keyed by the component's sha256, the wasmtime version and the
engine configuration, live in a user-private directory (0700, files 0600) and are
written atomically. Any unreadable or incompatible entry is ignored and recompiled.
Deserializing trusts the file (it is native code), hence the private directory.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import os
import tempfile
from pathlib import Path

import wasmtime
from wasmtime.component import Component

CACHE_ENV = "CONDUCTOR_CACHE_DIR"
"""Overrides the cache directory; set it to an empty string to disable the cache."""


KEEP = 4
"""Compiled entries kept per component name (older builds are removed)."""


def default_cache_dir() -> Path | None:
    """``$CONDUCTOR_CACHE_DIR``, else ``$XDG_CACHE_HOME/engagic-conductor`` (``~/.cache``)."""
    override = os.environ.get(CACHE_ENV)
    if override is not None:
        return Path(override) if override else None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "engagic-conductor"


def cache_key(wasm: bytes, fingerprint: str) -> str:
    version = importlib.metadata.version("wasmtime")
    digest = hashlib.sha256(wasm).hexdigest()
    return hashlib.sha256(f"{digest}|wasmtime {version}|{fingerprint}".encode()).hexdigest()


def load_component(
    engine: wasmtime.Engine, path: Path, *, fingerprint: str, cache_dir: Path | None
) -> Component:
    """Compiles the component at ``path``, or loads it from the cache.

    :raises OSError: when ``path`` cannot be read.
    :raises wasmtime.WasmtimeError: when it does not compile.
    """
    wasm = path.read_bytes()
    entry = None
    if cache_dir is not None:
        entry = cache_dir / f"{path.stem}-{cache_key(wasm, fingerprint)[:40]}.cwasm"
        try:
            return Component.deserialize(engine, entry.read_bytes())
        except (OSError, wasmtime.WasmtimeError):
            pass
    component = Component(engine, wasm)
    if entry is not None:
        with contextlib.suppress(OSError, wasmtime.WasmtimeError):
            _write_private(entry, bytes(component.serialize()))
            _prune(entry)
    return component


def _prune(entry: Path) -> None:
    """Keeps the newest :data:`KEEP` entries for the same component name."""
    siblings = sorted(
        entry.parent.glob(f"{entry.name.rsplit('-', 1)[0]}-*.cwasm"),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for old in siblings[KEEP:]:
        if old != entry:
            old.unlink()


def _write_private(dest: Path, data: bytes) -> None:
    dest.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=".tmp-", suffix=".cwasm")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, dest)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
