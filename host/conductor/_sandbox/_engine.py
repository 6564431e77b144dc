"""The wasmtime engine configuration, and the ticker that drives epoch deadlines."""

from __future__ import annotations

import math
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager

import wasmtime

TICK_S = 0.01
"""Epoch tick: deadlines are accurate to about this much."""

IDLE_EXIT_S = 1.0
"""A ticker with nothing to time for this long ends its thread (a new run restarts it)."""


def make_config(max_wasm_stack: int) -> wasmtime.Config:
    """The one engine configuration plugins run under.

    Exceptions are required: plugins unwind panics with wasm exception handling.
    """
    cfg = wasmtime.Config()
    cfg.wasm_exceptions = True
    cfg.epoch_interruption = True
    cfg.max_wasm_stack = max_wasm_stack
    cfg.parallel_compilation = True
    cfg.cranelift_opt_level = "speed"
    return cfg


def config_fingerprint(max_wasm_stack: int) -> str:
    """Identifies :func:`make_config`'s settings in compiled-component cache keys."""
    return f"exceptions,epoch,stack={max_wasm_stack},opt=speed"


def make_engine(max_wasm_stack: int) -> wasmtime.Engine:
    return wasmtime.Engine(make_config(max_wasm_stack))


class Ticker:
    """Advances an engine's epoch every :data:`TICK_S` while some run is timed.

    The thread is a daemon, holds only a weak reference to the engine, and ends after
    :data:`IDLE_EXIT_S` without runs, so an idle ticker never keeps the process or the
    engine alive.
    """

    def __init__(self, engine: wasmtime.Engine, tick_s: float = TICK_S) -> None:
        self._engine = weakref.ref(engine)
        self._tick_s = tick_s
        self._cond = threading.Condition()
        self._active = 0
        self._thread: threading.Thread | None = None

    def ticks_for(self, timeout_s: float) -> int:
        """Epoch ticks for a deadline ``timeout_s`` from now (one extra for the partial tick)."""
        return max(1, math.ceil(timeout_s / self._tick_s)) + 1

    @property
    def running(self) -> bool:
        """Whether the ticker thread is alive."""
        with self._cond:
            return self._thread is not None and self._thread.is_alive()

    @contextmanager
    def timing(self) -> Iterator[None]:
        """Keeps the epoch advancing for the duration of the block."""
        with self._cond:
            self._active += 1
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="conductor-epoch-ticker", daemon=True
                )
                self._thread.start()
            self._cond.notify_all()
        try:
            yield
        finally:
            with self._cond:
                self._active -= 1

    def _run(self) -> None:
        due = time.monotonic()
        while True:
            with self._cond:
                idle_since = time.monotonic()
                while self._active == 0:
                    left = IDLE_EXIT_S - (time.monotonic() - idle_since)
                    if left <= 0:
                        self._thread = None
                        return
                    self._cond.wait(left)
                    due = time.monotonic()
            engine = self._engine()
            if engine is None:
                return
            # One increment per tick period that has passed: this thread needs the GIL to
            # run, and while other Python threads hold it a tick per loop would stretch
            # every deadline (measured: 5 s became 14 s beside one busy thread).
            now = time.monotonic()
            while due <= now:
                engine.increment_epoch()
                due += self._tick_s
            del engine
            time.sleep(max(0.0, due - time.monotonic()))
