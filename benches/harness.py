#!/usr/bin/env python3
"""How every bench measures: contenders, interleaved runs, peak RSS, tables, results.

A *contender* is one thing being timed. Two kinds:

:class:`Process`
    whole process: every run is a fresh process, timed from start to exit, its stdout
    read from a pipe and thrown away; peak RSS is the ``ru_maxrss`` of that process (and
    of the descendants it waited for) from ``os.wait4``, taken by a small launcher
    process (:func:`_launched` says why).
:class:`Worker`
    in process: one child process (``harness.py --worker``, started by the same
    launcher) imports the library and builds a :class:`Job` (a bench module's factory),
    calls it once untimed (the warm-up: imports, component compilation, caches), then
    times one call each time the parent asks; peak RSS is the child's ``ru_maxrss`` when
    it exits (setup and warm-up included).
:class:`Slot`
    in process, many rows in one child: the worker's factory returns a list of jobs (e.g.
    one library over each file of a corpus), every job is warmed up once, and each slot
    times its own job when asked; the rows of one library share its process.

:func:`run_section` starts a section's workers one after the other, then runs every
contender round-robin (run 1 of A, run 1 of B, ..., run 2 of A, ...) so that a busy
machine slows all of them alike, and prints a table per group of contenders: median,
min and max wall seconds, median CPU seconds, peak RSS and the ratio of each median to
the group's anchor. A run over the timeout is killed and the contender is reported as
"timed out after N s"; a failing contender is reported, not fatal.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import importlib.metadata
import json
import os
import platform
import select
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

BENCHES = Path(__file__).resolve().parent
ROOT = BENCHES.parent
RESULTS = BENCHES / "results"
# tests/_metrics.py (word F1, pdftotext pages, the corpus location) is shared with the tests.
sys.path.insert(0, str(ROOT / "tests"))

Info = dict[str, Any]

LIBRARIES = (
    "engagic-conductor",
    "wasmtime",
    "pymupdf",
    "pypdfium2",
    "pypdf",
    "kreuzberg",
    "semantic-text-splitter",
    "httpx",
)


def conductor_cli() -> Path:
    """The ``conductor`` console script of the venv running the bench."""
    return Path(sys.executable).parent / "conductor"


def packet(pages: int) -> Path:
    """``build/packets/packet-<pages>.pdf``, built by ``scripts/make_packet.py`` (cached)."""
    out = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "make_packet.py"), "--pages", str(pages)],
        capture_output=True,
        text=True,
        check=True,
    )
    return Path(out.stdout.strip().splitlines()[-1])


# --- contenders ----------------------------------------------------------------------


@dataclass(kw_only=True)
class Contender:
    """One row of a table. With ``error`` set at creation it is reported, never run."""

    name: str
    table: str
    runs: int | None = None  # None: the section's number of runs
    seconds: list[float] = field(default_factory=list)
    cpu_seconds: list[float] = field(default_factory=list)
    rss_mb: list[float] = field(default_factory=list)
    info: Info = field(default_factory=dict)
    error: str | None = None

    def start(self, timeout: float) -> None:
        """Prepares the contender (workers: import, set up, warm up)."""

    def run(self, timeout: float) -> None:
        """One timed run; appends to ``seconds`` or sets ``error``."""
        raise NotImplementedError

    def close(self) -> None:
        """Releases the contender (workers: exit, collect peak RSS)."""

    def summary(self) -> Info:
        ok = bool(self.seconds) and self.error is None
        return {
            "name": self.name,
            "median_s": statistics.median(self.seconds) if ok else None,
            "min_s": min(self.seconds) if ok else None,
            "max_s": max(self.seconds) if ok else None,
            "cpu_median_s": statistics.median(self.cpu_seconds) if self.cpu_seconds else None,
            "peak_rss_mb": max(self.rss_mb) if self.rss_mb else None,
            "runs": len(self.seconds),
            "seconds": self.seconds,
            "rss_mb": self.rss_mb,
            "info": self.info,
            "error": self.error,
        }


@dataclass
class Finished:
    """A finished child process."""

    wall_s: float
    cpu_s: float
    rss_mb: float
    code: int | None  # None: killed at the timeout
    out_bytes: int
    stderr: str


def _markers(stderr: str) -> Info:
    """``bench: {json}`` lines a bench script writes to stderr, merged."""
    found: Info = {}
    for line in stderr.splitlines():
        if line.startswith("bench: "):
            with contextlib.suppress(ValueError):
                found.update(json.loads(line.removeprefix("bench: ")))
    return found


LAUNCH_MARK = "harness launch: "

# The launcher: runs the command after its "--fd N" options (file descriptors the command
# gets; the launcher closes its copies) and writes one report line last on stderr. Kept
# to what a bare interpreter has loaded (run with -I -S), so that it stays ~8 MB.
LAUNCHER = """\
import os, sys, time
argv, fds = sys.argv[1:], []
while argv[0] == "--fd":
    fds.append(int(argv[1]))
    argv = argv[2:]
start = time.perf_counter()
pid = os.posix_spawnp(argv[0], argv, os.environ)
for fd in fds:
    os.close(fd)
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - start
cpu = usage.ru_utime + usage.ru_stime
code = os.waitstatus_to_exitcode(status)
sys.stderr.write(
    f'MARK{{"wall_s": {wall}, "cpu_s": {cpu}, "rss_kib": {usage.ru_maxrss}, "code": {code}}}\\n'
)
""".replace("MARK", LAUNCH_MARK)


def _launched(cmd: list[str], pass_fds: tuple[int, ...] = ()) -> list[str]:
    """``cmd`` run by a small launcher process that reports its time and rusage.

    Why not ``os.wait4`` on a child of this process: Linux starts a new process's
    ``ru_maxrss`` at the RSS of the process it was forked from (the mm it had before
    ``exec``), so every child of a large bench process would report at least the bench's
    own peak. The launcher is a bare Python (~8 MB, the floor of every figure).
    """
    fds = [arg for fd in pass_fds for arg in ("--fd", str(fd))]
    return [sys.executable, "-I", "-S", "-c", LAUNCHER, *fds, *cmd]


def _reap(proc: subprocess.Popen[bytes], stderr: IO[bytes]) -> tuple[Info | None, str]:
    """Waits for the launcher ``proc``: its report (None when it was killed) and the
    command's own stderr."""
    proc.wait()
    stderr.seek(0)
    text = stderr.read().decode(errors="replace")
    head, mark, line = text.rpartition(LAUNCH_MARK)
    if not mark:
        return None, text
    report: Info = json.loads(line)
    report["rss_mb"] = report.pop("rss_kib") / 1024  # ru_maxrss is in KiB on Linux
    return report, head


def _kill(proc: subprocess.Popen[bytes]) -> None:
    """Kills the launcher ``proc`` and what it started (it leads its own session)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)


def run_process(
    cmd: list[str], *, timeout: float, env: Mapping[str, str] | None = None
) -> Finished:
    """Runs ``cmd`` once, reading its stdout to the end; kills it after ``timeout`` s."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(
            _launched(cmd), stdout=subprocess.PIPE, stderr=err, env=env, start_new_session=True
        )
        assert proc.stdout is not None
        fd = proc.stdout.fileno()
        out = 0
        killed = False
        while True:
            left = start + timeout - time.perf_counter()
            if left <= 0:
                _kill(proc)
                killed = True
                break
            if select.select([fd], [], [], left)[0]:
                data = os.read(fd, 1 << 20)
                if not data:
                    break
                out += len(data)
        report, stderr = _reap(proc, err)
        proc.stdout.close()
    if report is None:  # killed, or the launcher failed (e.g. no such command)
        code = None if killed else proc.returncode
        return Finished(time.perf_counter() - start, 0.0, 0.0, code, out, stderr)
    return Finished(
        report["wall_s"], report["cpu_s"], report["rss_mb"], report["code"], out, stderr
    )


@dataclass(kw_only=True)
class Process(Contender):
    """A fresh process per run. ``env`` is called before each run (e.g. a new cache dir)."""

    command: list[str]
    env: Callable[[], Mapping[str, str]] | None = None

    def run(self, timeout: float) -> None:
        done = run_process(self.command, timeout=timeout, env=self.env() if self.env else None)
        if done.code is None:
            self.error = f"timed out after {timeout:g} s (run {len(self.seconds) + 1})"
            return
        if done.code != 0:
            self.error = f"exit {done.code}: {done.stderr.strip()[-300:]}"
            return
        self.seconds.append(done.wall_s)
        self.cpu_seconds.append(done.cpu_s)
        self.rss_mb.append(done.rss_mb)
        self.info["stdout_mb"] = round(done.out_bytes / 1e6, 2)
        self.info.update(_markers(done.stderr))


@dataclass
class Job:
    """What a worker times: ``call()``; ``describe`` summarises the warm-up's result."""

    call: Callable[[], object]
    describe: Callable[[object], Info] = lambda result: {}


@dataclass(kw_only=True)
class Worker(Contender):
    """One child process for all runs: ``module.factory(**kwargs)`` builds its :class:`Job`.

    ``module`` is a bench module (a file in benches/); ``kwargs`` must be JSON.
    """

    module: str
    factory: str
    kwargs: Info = field(default_factory=dict)
    _proc: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)
    _fd: int = field(default=-1, init=False, repr=False)
    _buffer: bytes = field(default=b"", init=False, repr=False)
    _stderr: IO[bytes] | None = field(default=None, init=False, repr=False)

    def start(self, timeout: float) -> None:
        read_fd, write_fd = os.pipe()
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 (closed in close())
        args = [self.module, self.factory, json.dumps(self.kwargs), str(write_fd)]
        self._proc = subprocess.Popen(
            _launched(
                [sys.executable, str(Path(__file__).resolve()), "--worker", *args], (write_fd,)
            ),
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=self._stderr,
            pass_fds=(write_fd,),
            start_new_session=True,
        )
        os.close(write_fd)
        self._fd = read_fd
        # Setup and warm-up: one call plus imports, allowed a minute more than a run.
        reply = self._receive(timeout + 60, "setting up")
        if reply is not None:
            self.info.update(reply.get("info", {}))
            self.info["warmup_s"] = round(reply["warmup_s"], 4)
            self.info["setup_s"] = round(reply["setup_s"], 4)

    def run(self, timeout: float) -> None:
        reply = self.ask("run", timeout, f"run {len(self.seconds) + 1}")
        if reply is not None:
            self.seconds.append(reply["seconds"])
            self.cpu_seconds.append(reply["cpu_seconds"])

    def ask(self, command: str, timeout: float, doing: str) -> Info | None:
        """Sends ``command`` (``run``, or ``run K`` for job K of a list); the reply, or
        None with ``error`` set."""
        assert self._proc is not None
        assert self._proc.stdin is not None
        try:
            self._proc.stdin.write(command.encode() + b"\n")
            self._proc.stdin.flush()
        except BrokenPipeError:
            self.error = f"worker died: {self._stderr_tail()}"
            return None
        return self._receive(timeout, doing)

    def close(self) -> None:
        if self._proc is None:
            return
        assert self._proc.stdin is not None
        with contextlib.suppress(BrokenPipeError):
            self._proc.stdin.close()  # end of input: the worker exits
        if self.error is not None:  # it may hang: no waiting for it
            _kill(self._proc)
        assert self._stderr is not None
        report, _ = _reap(self._proc, self._stderr)
        if report is not None:
            self.rss_mb = [report["rss_mb"]]
        os.close(self._fd)
        self._stderr.close()
        self._proc = None

    def _receive(self, timeout: float, doing: str) -> Info | None:
        """The worker's next message; on an error or timeout sets ``error``, returns None."""
        deadline = time.perf_counter() + timeout
        while b"\n" not in self._buffer:
            left = deadline - time.perf_counter()
            if left <= 0 or not select.select([self._fd], [], [], left)[0]:
                assert self._proc is not None
                _kill(self._proc)
                self.error = f"timed out after {timeout:g} s ({doing})"
                return None
            data = os.read(self._fd, 1 << 16)
            if not data:
                self.error = f"worker died ({doing}): {self._stderr_tail()}"
                return None
            self._buffer += data
        line, self._buffer = self._buffer.split(b"\n", 1)
        message: Info = json.loads(line)
        if "error" in message:
            self.error = f"failed ({doing}): {message['error']}"
            return None
        return message

    def _stderr_tail(self) -> str:
        if self._stderr is None:
            return ""
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace").strip()[-300:]


@dataclass(kw_only=True)
class Slot(Contender):
    """Job ``index`` of a :class:`Worker` whose factory returns a list of jobs; the first
    slot to start starts the worker (which warms up every job), the first to close closes
    it (all runs are over by then). A failure of the worker fails each of its slots."""

    worker: Worker
    index: int

    def start(self, timeout: float) -> None:
        if self.worker.error is None and self.worker._proc is None and not self.worker.info:
            self.worker.start(timeout)
        self.error = self.worker.error
        jobs = self.worker.info.get("jobs", [])
        if self.index < len(jobs):
            self.info.update(jobs[self.index])

    def run(self, timeout: float) -> None:
        doing = f"{self.name}, run {len(self.seconds) + 1}"
        reply = self.worker.ask(f"run {self.index}", timeout, doing)
        if reply is None:
            self.error = self.worker.error
            # A job's own exception ("failed (...)") leaves the worker serving the other
            # slots; a timeout or a dead worker ends them all.
            if self.error is not None and self.error.startswith("failed ("):
                self.worker.error = None
            return
        self.seconds.append(reply["seconds"])
        self.cpu_seconds.append(reply["cpu_seconds"])

    def close(self) -> None:
        self.worker.close()


def workers(
    module_file: str, factory: str, table: str, names: Mapping[str, str], kwargs: Info
) -> list[Contender]:
    """A :class:`Worker` per tool of ``names`` (tool -> row name), each built by
    ``factory(tool=tool, **kwargs)`` of the bench module in ``module_file``."""
    module = Path(module_file).stem  # also when that file runs as __main__
    return [
        Worker(
            name=name, table=table, module=module, factory=factory, kwargs=kwargs | {"tool": tool}
        )
        for tool, name in names.items()
    ]


def _worker_main(module: str, factory: str, kwargs: str, fd: str) -> int:
    """The child side of :class:`Worker`: JSON lines on ``fd``, ``run`` lines on stdin."""
    out = os.fdopen(int(fd), "w")

    def send(message: Info) -> None:
        out.write(json.dumps(message) + "\n")
        out.flush()

    def timed(fn: Callable[[], object]) -> tuple[float, float, object]:
        wall, cpu = time.perf_counter(), time.process_time()
        result = fn()
        return time.perf_counter() - wall, time.process_time() - cpu, result

    try:
        start = time.perf_counter()
        built: Job | list[Job] = getattr(importlib.import_module(module), factory)(
            **json.loads(kwargs)
        )
        setup = time.perf_counter() - start
        # A list of jobs (for Slot rows): each is warmed up once; "run K" times job K.
        jobs = built if isinstance(built, list) else [built]
        warmup, infos = 0.0, []
        for job in jobs:
            seconds, _, result = timed(job.call)
            warmup += seconds
            infos.append(job.describe(result))
            del result
    except Exception as e:
        send({"error": f"{type(e).__name__}: {e}"})
        return 1
    info = {"jobs": infos} if isinstance(built, list) else infos[0]
    send({"setup_s": setup, "warmup_s": warmup, "info": info})
    for line in sys.stdin:
        words = line.split()
        if not words or words[0] != "run":
            break
        try:
            wall, cpu, _ = timed(jobs[int(words[1]) if len(words) > 1 else 0].call)
        except Exception as e:
            send({"error": f"{type(e).__name__}: {e}"})
            if not isinstance(built, list):
                return 1
            continue  # one file failing leaves the other slots measurable
        send({"seconds": wall, "cpu_seconds": cpu})
    return 0


# --- sections and tables -------------------------------------------------------------


@dataclass
class Section:
    """Contenders measured together; each ``table`` has an anchor (or None) for ratios."""

    name: str
    title: str
    contenders: Sequence[Contender]
    anchors: dict[str, str | None]
    notes: list[str] = field(default_factory=list)
    # Extra lines computed from the finished contenders (e.g. the handoff's extra seconds).
    # It may add contenders (rows computed from others) and their tables to ``anchors``.
    after: Callable[[Sequence[Contender]], list[str]] | None = None
    # Tables recorded but not printed (shown in a compact form by ``after``'s lines).
    quiet: Callable[[str], bool] = lambda title: False


def load() -> str:
    """The 1-minute load average, as a sign of how busy the machine was."""
    return Path("/proc/loadavg").read_text().split()[0]


def run_section(section: Section, runs: int, timeout: float) -> Info:
    """Measures the section (see the module doc), prints its tables, returns its record."""
    print(f"\n== {section.title}", flush=True)
    for note in section.notes:
        print(f"   {note}")
    started, load_before = time.perf_counter(), load()
    todo = [c for c in section.contenders if c.error is None]
    try:
        for c in todo:
            c.start(timeout)
        for i in range(max((c.runs or runs) for c in todo) if todo else 0):
            for c in todo:
                if c.error is None and i < (c.runs or runs):
                    c.run(timeout)
                    last = f"{c.seconds[-1]:8.3f} s" if c.error is None else c.error
                    print(f"   run {i + 1}  {c.table[:30]:<30}  {c.name:<38} {last}", flush=True)
    finally:
        for c in todo:
            c.close()
    notes = section.after(section.contenders) if section.after else []
    tables = []
    for table, anchor in section.anchors.items():
        rows = [c for c in section.contenders if c.table == table]
        tables.append(print_table(table, rows, anchor, quiet=section.quiet(table)))
    for note in notes:
        print(f"   {note}")
    return {
        "title": section.title,
        "notes": section.notes + notes,
        "tables": tables,
        "elapsed_s": round(time.perf_counter() - started, 1),
        "load_1min": [load_before, load()],
    }


def _fmt(x: float | None, digits: int = 3) -> str:
    return "-" if x is None else f"{x:.{digits}f}"


def _describe(info: Info) -> str:
    skip = {"setup_s", "warmup_s"}
    return ", ".join(f"{k}={v}" for k, v in info.items() if k not in skip)


def print_table(
    title: str, rows: list[Contender], anchor: str | None, *, quiet: bool = False
) -> Info:
    """Prints one table (unless ``quiet``); returns it as a record (rows with ``ratio`` to
    the anchor)."""
    summaries = [c.summary() for c in rows]
    base = next((s["median_s"] for s in summaries if s["name"] == anchor), None)
    for s in summaries:
        s["ratio"] = s["median_s"] / base if base and s["median_s"] is not None else None
    if quiet:
        return {"title": title, "anchor": anchor, "rows": summaries}
    print(f"\n   {title}" + (f" (ratio: median / {anchor}'s)" if anchor else ""))
    print(
        f"   {'contender':<38} {'median s':>9} {'min s':>8} {'max s':>8} {'cpu s':>8}"
        f" {'peak RSS MB':>11} {'ratio':>6}  note"
    )
    for s in summaries:
        ratio = s["ratio"]
        note = s["error"] or _describe(s["info"])
        rss = _fmt(s["peak_rss_mb"], 0)
        print(
            f"   {s['name']:<38} {_fmt(s['median_s']):>9} {_fmt(s['min_s']):>8}"
            f" {_fmt(s['max_s']):>8} {_fmt(s['cpu_median_s']):>8} {rss:>11}"
            f" {_fmt(ratio, 2):>6}  {note}"
        )
    return {"title": title, "anchor": anchor, "rows": summaries}


# --- the machine and the results file ------------------------------------------------


def _first_line(cmd: list[str]) -> str | None:
    if shutil.which(cmd[0]) is None:
        return None
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    lines = (done.stdout or done.stderr).strip().splitlines()
    return lines[0] if lines else None


def machine() -> Info:
    """CPU, cores, memory, OS, Python, library and tool versions, the conductor commit."""
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = next((ln.split(":", 1)[1].strip() for ln in cpuinfo.splitlines()
                  if ln.startswith("model name")), platform.processor())  # fmt: skip
    meminfo = Path("/proc/meminfo").read_text().split()
    ram_gib = int(meminfo[meminfo.index("MemTotal:") + 1]) / (1 << 20)
    os_release = dict(
        line.split("=", 1)
        for line in Path("/etc/os-release").read_text().splitlines()
        if "=" in line
    )
    versions: dict[str, str | None] = {}
    for lib in LIBRARIES:
        try:
            versions[lib] = importlib.metadata.version(lib)
        except importlib.metadata.PackageNotFoundError:
            versions[lib] = None
    commit = _first_line(["git", "-C", str(ROOT), "rev-parse", "HEAD"])
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "ram_gib": round(ram_gib, 1),
        "os": f"{os_release.get('PRETTY_NAME', '').strip(chr(34))}, Linux {platform.release()}",
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "libraries": versions,
        "pdftotext": _first_line(["pdftotext", "-v"]),
        "qpdf": _first_line(["qpdf", "--version"]),
        "conductor_commit": commit,
    }


def write_results(prefix: str, record: Info, out: Path | None = None) -> Path:
    """Writes ``record`` as JSON to ``out`` or benches/results/<prefix>-<UTC time>.json."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    dest = out or RESULTS / f"{prefix}-{stamp}.json"
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(json.dumps(record, indent=1) + "\n")
    return dest


def arguments(doc: str, runs: int, timeout: float) -> argparse.ArgumentParser:
    """A bench script's command line: ``--runs`` and ``--timeout``, its own flags added."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--runs", type=int, default=runs, help=f"runs per contender ({runs})")
    parser.add_argument(
        "--timeout", type=float, default=timeout, help=f"seconds a run may take ({timeout:g})"
    )
    return parser


def measure_and_write(
    prefix: str, section: Section, runs: int, timeout: float, **extra: Any
) -> None:
    """A bench script's whole job: measure ``section``, write benches/results/<prefix>-*.json."""
    record = run_section(section, runs, timeout) | {"runs": runs, **extra, "machine": machine()}
    dest = write_results(prefix, record)
    print(f"\nwrote {dest.relative_to(ROOT)}")


@contextlib.contextmanager
def scratch() -> Iterator[Path]:
    """A temporary directory for a section's files."""
    with tempfile.TemporaryDirectory(prefix="conductor-bench-") as tmp:
        yield Path(tmp)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--worker"] and len(sys.argv) == 6:
        sys.exit(_worker_main(*sys.argv[2:6]))
    sys.exit(f"usage: {sys.argv[0]} --worker MODULE FACTORY KWARGS_JSON FD (used by the benches)")
