"""Runs one call of a component in a fresh, limited, capability-free store.

Every document gets a new ``Store`` and instance (instantiation costs microseconds), so a
trap, a leak or leftover state can never reach the next document. The store grants only
what :mod:`conductor._sandbox` promises: the document as WASI stdin, captured and capped
stdout/stderr, and nothing else (no preopens, no environment, no arguments, no network).
"""

from __future__ import annotations

import os
import traceback
from dataclasses import dataclass
from typing import Any

import wasmtime
from wasmtime.component import Component

from ._engine import Ticker
from ._linker import plugin_linker
from ._output import CappedOutput
from ._traps import classify_trap


@dataclass(frozen=True)
class CallLimits:
    """Per-call bounds (a subset of :class:`conductor.Limits`)."""

    memory_mb: int
    timeout_s: float
    max_wasm_stack: int
    time_left_s: float | None = None
    """When a document takes several calls, what is left of its ``timeout_s`` deadline:
    the call is stopped after that long (errors still name ``timeout_s``)."""


@dataclass
class CallOutput:
    """What a call returned, with what the plugin wrote to stdout and stderr."""

    value: Any
    stdout: CappedOutput
    stderr: CappedOutput


class Runner:
    """Calls exports of one component. Not thread-safe: keep one per thread.

    :param plugin: the plugin's name, for error messages.
    """

    def __init__(
        self, engine: wasmtime.Engine, component: Component, ticker: Ticker, *, plugin: str
    ) -> None:
        self._component = component
        self._ticker = ticker
        self._linker = plugin_linker(engine, component)
        self._engine = engine
        self.plugin = plugin
        self.exports = frozenset(component.type.exports(engine))
        """The names the component exports: which optional exports it has (extract-json)."""

    def call(
        self,
        export: str,
        *args: Any,
        stdin: str | os.PathLike[str] | None,
        limits: CallLimits,
        document: str,
    ) -> CallOutput:
        """Instantiates the component afresh and calls ``export(*args)``.

        :param stdin: file handed to the plugin as its standard input.
        :raises ConductorError: the mapped failure for any trap or wasmtime error.
        """
        stdout, stderr = CappedOutput(), CappedOutput()
        failure = None
        try:
            value = self._call(export, args, stdin, limits, stdout, stderr)
        except (wasmtime.WasmtimeError, wasmtime.Trap) as e:
            failure = classify_trap(
                e,
                plugin=self.plugin,
                document=document,
                stderr=stderr.text(),
                timeout_s=limits.timeout_s,
                memory_mb=limits.memory_mb,
                max_wasm_stack=limits.max_wasm_stack,
            )
            # wasmtime-py raises from a frame that holds the error itself: error ->
            # traceback -> frame -> error is a cycle, and the frames on the way hold the
            # Store, so the instance's whole linear memory would live until the next gc
            # (measured: +250 MB per trapped document at a 256 MiB limit). Break it.
            traceback.clear_frames(e.__traceback__)
            e.__traceback__ = None
        if failure is not None:
            # Raised outside the handler, so the wasmtime error is not kept as context.
            raise failure
        return CallOutput(value, stdout, stderr)

    def _call(
        self,
        export: str,
        args: tuple[Any, ...],
        stdin: str | os.PathLike[str] | None,
        limits: CallLimits,
        stdout: CappedOutput,
        stderr: CappedOutput,
    ) -> Any:
        wasi = wasmtime.WasiConfig()
        if stdin is not None:
            wasi.stdin_file = stdin
        wasi.stdout_custom = stdout
        wasi.stderr_custom = stderr
        store = wasmtime.Store(self._engine)
        store.set_wasi(wasi)
        store.set_limits(memory_size=limits.memory_mb << 20)
        with self._ticker.timing():
            budget = limits.timeout_s if limits.time_left_s is None else limits.time_left_s
            store.set_epoch_deadline(self._ticker.ticks_for(budget))
            instance = self._linker.instantiate(store, self._component)
            func = instance.get_func(store, export)
            if func is None:
                raise wasmtime.WasmtimeError(f"the component exports no {export!r}")
            return func(store, *args)
