"""Ctrl-C during a sandboxed call, for the CLI.

Python delivers SIGINT as a ``KeyboardInterrupt`` raised in the main thread at the next
bytecode it runs. When the main thread is inside a wasm call, that next bytecode is one of
wasmtime-py's host callbacks (the WASI stdout/stderr capture, the clocks): the exception
then unwinds into wasmtime's Rust frames, which cannot unwind, and the process dies with a
Rust panic and a traceback. So the CLI does the work on another thread and the main
thread only waits: the interrupt is raised in the waiting main thread, outside any wasm
call, and the process ends there.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

INTERRUPTED_EXIT = 130
"""The exit status after Ctrl-C: 128 + SIGINT, as shells report it."""


def run_off_main_thread(work: Callable[[], T]) -> T:
    """``work()`` on a daemon thread; its result or exception, re-raised here.

    :raises KeyboardInterrupt: on Ctrl-C while waiting; ``work`` is then still running
        (a wasm call cannot be stopped from outside it), so the caller must end the
        process without waiting for it (``os._exit``).
    """
    result: list[T] = []
    failure: list[BaseException] = []

    def target() -> None:
        try:
            result.append(work())
        except BaseException as e:  # handed to the main thread, which decides
            failure.append(e)

    thread = threading.Thread(target=target, name="conductor-work", daemon=True)
    thread.start()
    while thread.is_alive():
        # A timed join: the main thread returns to the interpreter often, so the
        # interrupt is seen at once.
        thread.join(0.1)
    if failure:
        raise failure[0]
    return result[0]


__all__ = ["INTERRUPTED_EXIT", "run_off_main_thread"]
