"""wasmtime errors -> conductor errors: the one place a trap gets its meaning.

A trap ends only the instance it happened in; what kind of failure it was is read from
the error: the epoch ``interrupt`` is the deadline; an allocation failure is the memory
cap (the store's limiter makes ``memory.grow`` fail, and Rust's allocation-error handler
aborts: its frames are in the backtrace and it writes ``memory allocation of N bytes
failed`` to stderr); everything else is the plugin's own failure.
"""

from __future__ import annotations

import wasmtime

from conductor._errors import (
    ConductorError,
    ExtractTimeoutError,
    MemoryLimitError,
    PluginFailureError,
)

_OOM_FRAMES = ("rust_oom", "handle_alloc_error", "__rust_alloc_error_handler", "alloc_error")
_OOM_STDERR = "memory allocation of"
_MEMORY_LIMIT_TEXT = ("exceeds memory limits", "memory limit", "resource limit exceeded")


def trap_cause(error: BaseException) -> str:
    """The short reason of a wasmtime error: its ``Caused by:`` section, no backtrace."""
    text = str(error)
    if "Caused by:" in text:
        text = text.split("Caused by:", 1)[1]
    else:
        text = text.split("\nwasm backtrace:", 1)[0]
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    cause = "; ".join(lines) or type(error).__name__
    return cause[:500]


def classify_trap(
    error: wasmtime.WasmtimeError | wasmtime.Trap,
    *,
    plugin: str,
    document: str,
    stderr: str = "",
    timeout_s: float,
    memory_mb: int,
    max_wasm_stack: int,
    stage: str = "extract",
) -> ConductorError:
    """Maps a failed call (or instantiation) to the matching :class:`ConductorError`.

    :param stage: the pipeline stage the call belongs to (``extract`` or ``chunk``).
    """
    text = str(error)
    cause = trap_cause(error)
    said = _first_line(stderr)
    detail = f" (plugin stderr: {said})" if said else ""
    if isinstance(error, wasmtime.ExitTrap):
        return PluginFailureError(
            f"plugin {plugin!r} exited instead of returning ({cause}){detail}",
            document=document,
            stage=stage,
        )
    if "wasm trap: interrupt" in text:
        return ExtractTimeoutError(
            f"plugin {plugin!r} ran past the {timeout_s:g} s deadline and was stopped",
            document=document,
            stage=stage,
        )
    if (
        _OOM_STDERR in stderr
        or any(frame in text for frame in _OOM_FRAMES)
        or any(marker in text for marker in _MEMORY_LIMIT_TEXT)
    ):
        return MemoryLimitError(
            f"plugin {plugin!r} needed more than the {memory_mb} MiB memory limit ({cause})"
            f"{detail}",
            document=document,
            stage=stage,
        )
    if "call stack exhausted" in text:
        return PluginFailureError(
            f"plugin {plugin!r} overflowed its {max_wasm_stack} byte wasm stack ({cause})",
            document=document,
            stage=stage,
            hint="a deeply nested document or a plugin bug; raise Limits.max_wasm_stack "
            "if the document is legitimate",
        )
    return PluginFailureError(
        f"plugin {plugin!r} trapped: {cause}{detail}", document=document, stage=stage
    )


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[0][:300] if lines else ""
