"""Running one limited child process: the renderer, tesseract, the fallback engine.

Every child gets ``RLIMIT_AS`` and ``RLIMIT_CPU`` (set by :mod:`._child` in the child
itself), no inherited descriptors but its three pipes/files (``close_fds``), a minimal
environment (no proxy settings, tokens or ``LD_PRELOAD`` of the host), its own session (a
Ctrl-C at the terminal is the host's to handle) and a wall-clock deadline after which it
is killed. What went wrong comes back as a :class:`ChildFailure` saying which limit or
which failure, never as an exception of ``subprocess``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

CHILD = Path(__file__).with_name("_child.py")
EXIT_REFUSED = 2
EXIT_MEMORY = 3
"""Exit statuses of :mod:`._child` (kept in step with it: it cannot import this module)."""

_PASSED_ENV = ("TESSDATA_PREFIX", "LANG")
"""What a child may see of the host's environment besides the fixed entries below."""


@dataclass(frozen=True)
class ChildLimits:
    """Bounds on one child process.

    :param memory_mb: its address space (``RLIMIT_AS``), in MiB.
    :param cpu_s: CPU seconds (``RLIMIT_CPU``): SIGXCPU, then SIGKILL a second later.
    :param timeout_s: wall-clock deadline: killed (SIGKILL) when it passes.
    :param max_output: bytes of stdout kept; more is a failure (``output_too_large``).
    """

    memory_mb: int = 1024
    cpu_s: int = 60
    timeout_s: float = 60.0
    max_output: int = 64 << 20

    def __post_init__(self) -> None:
        for name in ("memory_mb", "cpu_s", "timeout_s", "max_output"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
                raise ValueError(f"ChildLimits.{name} must be a positive number, got {value!r}")


class ChildFailure(Exception):
    """A child that did not finish its work.

    :param reason: ``memory_limit``, ``cpu_limit``, ``timeout``, ``crashed`` (killed by a
        signal), ``refused`` (it reported an error), ``output_too_large`` or ``not_started``.
    """

    def __init__(self, reason: str, detail: str) -> None:
        self.reason = reason
        self.detail = detail
        super().__init__(f"{reason}: {detail}")


def child_env() -> dict[str, str]:
    """The environment of every child: fixed entries, a few passed through, nothing else."""
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LC_ALL": "C.UTF-8",
        # One thread per tesseract: the host runs one child per core instead.
        "OMP_THREAD_LIMIT": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    for name in _PASSED_ENV:
        if name in os.environ:
            env[name] = os.environ[name]
    return env


def python_child(command: str, *args: str) -> list[str]:
    """The argv of :mod:`._child` running ``command`` under this interpreter; ``-I``: no
    user site, no ``PYTHON*`` variables, no current directory on the path."""
    return [sys.executable, "-I", str(CHILD), command, *args]


def run_limited(argv: list[str], limits: ChildLimits, *, what: str) -> bytes:
    """Runs ``argv`` (made by :func:`python_child`) under ``limits``; its stdout.

    :param what: how failures name the child (``renderer``, ``tesseract``).
    :raises ChildFailure: for every way it did not exit 0.
    """
    # The limits go first, for _child.main to apply before anything else runs.
    full = [*argv[:3], str(limits.memory_mb), str(int(limits.cpu_s)), *argv[3:]]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        try:
            proc = subprocess.Popen(
                full,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                close_fds=True,
                env=child_env(),
                start_new_session=True,
            )
        except OSError as e:
            raise ChildFailure("not_started", f"{what} could not start: {e}") from e
        try:
            status = proc.wait(timeout=limits.timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise ChildFailure(
                "timeout", f"{what} killed at its {limits.timeout_s:g} s deadline"
            ) from None
        except BaseException:
            # Ctrl-C or a cancelled batch: the child must not outlive the call.
            proc.kill()
            proc.wait()
            raise
        err.seek(0)
        stderr = err.read(4000).decode("utf-8", "replace").strip()
        if status != 0:
            raise _failure(status, stderr, limits, what)
        size = out.seek(0, os.SEEK_END)
        if size > limits.max_output:
            raise ChildFailure(
                "output_too_large", f"{what} wrote {size:,} bytes, over {limits.max_output:,}"
            )
        out.seek(0)
        return out.read()


def _failure(status: int, stderr: str, limits: ChildLimits, what: str) -> ChildFailure:
    said = f" ({stderr.splitlines()[-1]})" if stderr else ""
    if status == EXIT_MEMORY:
        return ChildFailure(
            "memory_limit", f"{what} ran out of its {limits.memory_mb} MiB address space{said}"
        )
    if status in (-signal.SIGXCPU, -signal.SIGKILL):
        # Nothing else sends SIGKILL to a child of ours but the CPU hard limit (the
        # deadline is handled above).
        return ChildFailure("cpu_limit", f"{what} killed at its {limits.cpu_s} s CPU limit")
    if status < 0:
        try:
            name = signal.Signals(-status).name
        except ValueError:
            name = f"signal {-status}"
        # An allocation the address-space limit refused ends some C code in SIGSEGV or
        # SIGABRT rather than an error: say so, it is the likely cause.
        return ChildFailure(
            "crashed", f"{what} died of {name} (limit {limits.memory_mb} MiB){said}"
        )
    return ChildFailure("refused", f"{what} failed with status {status}{said}")
