"""The linker every plugin instance is made with: WASI preview 2 as wasmtime provides it,
but with the clocks stopped, so that a plugin learns neither the date nor how long its
own work took (no timing side channel, nothing to fingerprint the host with). What else
the store grants (no preopens, no environment, no arguments, no network) is set on its
``WasiConfig`` by the runners."""

from __future__ import annotations

import wasmtime
from wasmtime.component import Component, Linker, Record

_WALL = "wasi:clocks/wall-clock@"
_MONOTONIC = "wasi:clocks/monotonic-clock@"


class _Datetime(Record):
    """A ``wasi:clocks/wall-clock.datetime`` value."""

    def __init__(self, seconds: int, nanoseconds: int) -> None:
        self.seconds = seconds
        self.nanoseconds = nanoseconds


def _epoch(_store: object) -> _Datetime:
    return _Datetime(0, 0)


def _one_nanosecond(_store: object) -> _Datetime:
    return _Datetime(0, 1)


def _zero(_store: object) -> int:
    return 0


def _one(_store: object) -> int:
    return 1


def plugin_linker(engine: wasmtime.Engine, component: Component) -> Linker:
    """A linker for instances of ``component``: WASI with stopped clocks."""
    linker = Linker(engine)
    linker.add_wasip2()
    stop_clocks(linker, component, engine)
    return linker


def stop_clocks(linker: Linker, component: Component, engine: wasmtime.Engine) -> None:
    """Shadows the wall clock (stopped at the epoch) and the monotonic clock (stopped at 0)
    that ``component`` imports, in ``linker`` (after ``add_wasip2()``)."""
    names = [n for n in component.type.imports(engine) if n.startswith((_WALL, _MONOTONIC))]
    if not names:
        return
    linker.allow_shadowing = True
    try:
        with linker.root() as root:
            for name in names:
                with root.add_instance(name) as clock:
                    if name.startswith(_WALL):
                        clock.add_func("now", _epoch)
                        clock.add_func("resolution", _one_nanosecond)
                    else:
                        clock.add_func("now", _zero)
                        clock.add_func("resolution", _one)
    finally:
        linker.allow_shadowing = False


__all__ = ["plugin_linker", "stop_clocks"]
