"""The sandbox: one engine, its epoch ticker, compiled components, and per-call stores.

Limits enforced here (see docs/architecture.md): linear memory via the store limiter,
wall-clock deadline via epoch interruption, wasm stack via the engine configuration.
"""

from __future__ import annotations

import threading
from pathlib import Path

import wasmtime
from wasmtime.component import Component

from conductor._errors import PluginFailureError

from ._cache import default_cache_dir, load_component
from ._engine import Ticker, config_fingerprint, make_engine
from ._live import LiveInstance
from ._output import OUTPUT_CAP, CappedOutput
from ._runner import CallLimits, CallOutput, Runner
from ._traps import classify_trap, trap_cause


class Sandbox:
    """An engine configured for plugins, and the components compiled for it.

    Thread-safe: components are compiled once (under a lock) and shared; each thread makes
    its own :class:`Runner`.

    :param max_wasm_stack: wasm stack size in bytes (an engine-wide setting).
    :param cache_dir: compiled-component cache; ``None`` uses the default location.
    """

    def __init__(self, *, max_wasm_stack: int, cache_dir: Path | None = None) -> None:
        self.max_wasm_stack = max_wasm_stack
        self.engine = make_engine(max_wasm_stack)
        self.ticker = Ticker(self.engine)
        self._cache_dir = cache_dir if cache_dir is not None else default_cache_dir()
        self._lock = threading.Lock()
        self._components: dict[Path, Component] = {}

    def component(self, path: Path, *, plugin: str) -> Component:
        """The compiled component at ``path`` (compiled, or loaded from cache, once).

        :raises PluginFailureError: when the file is missing or does not compile.
        """
        with self._lock:
            found = self._components.get(path)
            if found is not None:
                return found
            try:
                compiled = load_component(
                    self.engine,
                    path,
                    fingerprint=config_fingerprint(self.max_wasm_stack),
                    cache_dir=self._cache_dir,
                )
            except OSError as e:
                raise PluginFailureError(
                    f"plugin {plugin!r}: cannot read its component {path} ({e.strerror or e})",
                    stage="load",
                    hint="build the plugins: python scripts/build_plugins.py",
                ) from e
            except wasmtime.WasmtimeError as e:
                raise PluginFailureError(
                    f"plugin {plugin!r}: component {path.name} does not compile ({trap_cause(e)})",
                    stage="load",
                    hint="rebuild it with scripts/build_plugins.py",
                ) from e
            self._components[path] = compiled
            return compiled

    def exports(self, path: Path, *, plugin: str) -> list[str]:
        """The names the component at ``path`` exports, sorted (which world it is)."""
        component = self.component(path, plugin=plugin)
        return sorted(component.type.exports(self.engine))

    def runner(self, path: Path, *, plugin: str) -> Runner:
        """A new :class:`Runner` for the component at ``path``, for the calling thread."""
        return Runner(self.engine, self.component(path, plugin=plugin), self.ticker, plugin=plugin)

    def live(self, path: Path, *, plugin: str, stage: str) -> LiveInstance:
        """A new :class:`LiveInstance` of the component at ``path``, for the calling thread."""
        return LiveInstance(
            self.engine,
            self.component(path, plugin=plugin),
            self.ticker,
            plugin=plugin,
            stage=stage,
        )


__all__ = [
    "OUTPUT_CAP",
    "CallLimits",
    "CallOutput",
    "CappedOutput",
    "LiveInstance",
    "Runner",
    "Sandbox",
    "classify_trap",
    "trap_cause",
]
