"""A component instance kept alive across calls, for plugins whose set-up is costly.

The chunker builds its tokenizer (tens of thousands of ranks) on first use: about 100 ms
per instantiation, against about a millisecond for chunking a page. So, unlike extractors
(a fresh ``Store`` per document, see :mod:`._runner`), it keeps one instance per thread.
What still holds: the same capabilities (no stdin, no preopens, no environment, no
arguments, no network; stdout and stderr captured and capped), the memory cap (the store
is rebuilt when the asked cap changes), a deadline per call, and containment of failure:
after any trap, or when the caller says the instance may be damaged (:meth:`discard`), it
is dropped and the next call instantiates afresh. What changes: one call's leftovers
(the tokenizer, grown linear memory) stay for the next, which is the point; a plugin kept
this way must be a pure function of its arguments.
"""

from __future__ import annotations

import traceback
from typing import Any

import wasmtime
from wasmtime.component import Component, Func, Instance

from ._engine import Ticker
from ._linker import plugin_linker
from ._output import CappedOutput
from ._runner import CallLimits
from ._traps import classify_trap


class LiveInstance:
    """One long-lived instance of a component. Not thread-safe: keep one per thread.

    :param plugin: the plugin's name, for error messages.
    :param stage: the pipeline stage of its calls, for errors (``chunk``).
    """

    def __init__(
        self,
        engine: wasmtime.Engine,
        component: Component,
        ticker: Ticker,
        *,
        plugin: str,
        stage: str,
    ) -> None:
        self._engine = engine
        self._component = component
        self._ticker = ticker
        self._linker = plugin_linker(engine, component)
        self.plugin = plugin
        self.stage = stage
        self.stdout = CappedOutput()
        self.stderr = CappedOutput()
        self._store: wasmtime.Store | None = None
        self._instance: Instance | None = None
        self._funcs: dict[str, Func] = {}
        self._memory_mb = 0
        self.instantiations = 0
        """How many instances were made so far (a test and diagnostics counter)."""

    @property
    def alive(self) -> bool:
        """Whether an instance exists now (the next call reuses it)."""
        return self._store is not None

    def discard(self) -> None:
        """Drops the instance; the next call makes a new one."""
        self._store = None
        self._instance = None
        self._funcs = {}

    def call(self, export: str, *args: Any, limits: CallLimits, document: str) -> Any:
        """Calls ``export(*args)`` on the live instance, instantiating it when needed.

        :raises ConductorError: the mapped failure for any trap or wasmtime error (stage
            :attr:`stage`); the instance is dropped first.
        """
        self.stdout.clear()
        self.stderr.clear()
        try:
            return self._call(export, args, limits)
        except (wasmtime.WasmtimeError, wasmtime.Trap) as e:
            self.discard()
            failure = classify_trap(
                e,
                plugin=self.plugin,
                document=document,
                stderr=self.stderr.text(),
                timeout_s=limits.timeout_s,
                memory_mb=limits.memory_mb,
                max_wasm_stack=limits.max_wasm_stack,
                stage=self.stage,
            )
            # As in Runner.call: break error -> traceback -> frames -> Store cycles, so a
            # trapped instance's memory is freed now, not at the next gc.
            traceback.clear_frames(e.__traceback__)
            e.__traceback__ = None
        except BaseException:
            # An interrupt or a conversion error mid-call: the instance's state is
            # unknown, so it is not reused.
            self.discard()
            raise
        # Raised outside the handler, so the wasmtime error is not kept as context.
        raise failure

    def _call(self, export: str, args: tuple[Any, ...], limits: CallLimits) -> Any:
        with self._ticker.timing():
            store = self._ensure(limits)
            store.set_epoch_deadline(self._ticker.ticks_for(limits.timeout_s))
            func = self._funcs.get(export)
            if func is None:
                assert self._instance is not None
                func = self._instance.get_func(store, export)
                if func is None:
                    raise wasmtime.WasmtimeError(f"the component exports no {export!r}")
                self._funcs[export] = func
            return func(store, *args)

    def _ensure(self, limits: CallLimits) -> wasmtime.Store:
        if self._store is not None and self._memory_mb == limits.memory_mb:
            return self._store
        self.discard()
        wasi = wasmtime.WasiConfig()
        wasi.stdout_custom = self.stdout
        wasi.stderr_custom = self.stderr
        store = wasmtime.Store(self._engine)
        store.set_wasi(wasi)
        store.set_limits(memory_size=limits.memory_mb << 20)
        store.set_epoch_deadline(self._ticker.ticks_for(limits.timeout_s))
        self.instantiations += 1
        self._instance = self._linker.instantiate(store, self._component)
        self._store, self._memory_mb = store, limits.memory_mb
        return store
