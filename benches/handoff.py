#!/usr/bin/env python3
"""How long a 1, 10 or 50 MB document takes to reach a plugin.

The host hands the document over as the plugin's WASI stdin (never as a ``list<u8>``,
which wasmtime-py converts byte by byte at about 1.8 MB/s). Two measurements:

read only
    The test component ``build/components/misbehave.wasm`` reads its whole stdin with the
    SDK's ``read_document`` and returns an error at once: one fresh instance + the whole
    document read by the plugin + the call's return. Driven through the host's sandbox
    layer (``conductor._sandbox``), the same path ``extract`` uses. With a first line
    ``MISBEHAVE read`` the component answers from the raw bytes (when it has that mode);
    otherwise the bench falls back to ``MISBEHAVE error corrupt``, which also converts
    the whole document to UTF-8 inside the plugin first (slower: an upper bound).
end to end
    ``conductor.extract(path)`` and ``conductor.extract(bytes)`` with the real pdf plugin
    on ``%PDF-1.7`` followed by N MB of padding: detection, hashing, (for bytes) the temp
    file, the handoff, the plugin reading everything and failing to parse it. An upper
    bound on the handoff, since parsing is included.

Each figure is the median of ``--runs`` calls (default 5), after one warm-up call, and
"extra" is that median minus the tiny document's. The host must move 50 MB in < 0.1 s.

Usage: ``.venv/bin/python benches/handoff.py [--sizes 1 10 50] [--runs 5]``
"""

from __future__ import annotations

import argparse
import functools
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import conductor

ROOT = Path(__file__).resolve().parent.parent
MISBEHAVE = ROOT / "build" / "components" / "misbehave.wasm"
RESULTS = ROOT / "benches" / "results"
MB = 1 << 20


def median_time(fn: Callable[[], object], runs: int) -> float:
    fn()  # warm-up: compiles or loads the component
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def padded(head: bytes, size: int) -> bytes:
    """``head`` followed by printable padding lines, ``size`` bytes in all (at least head)."""
    line = b"% padding padding padding padding padding padding padding padding padding\n"
    body = line * (max(0, size - len(head)) // len(line) + 1)
    return head + body[: max(0, size - len(head))]


def read_only(sizes: dict[str, int], tmp: Path, runs: int) -> tuple[str, dict[str, float]]:
    """The mode used, and the median seconds per call of the misbehave component."""
    from conductor._convert import options_to_wit
    from conductor._sandbox import CallLimits, Sandbox

    limits = conductor.Limits()
    sandbox = Sandbox(max_wasm_stack=limits.max_wasm_stack)
    runner = sandbox.runner(MISBEHAVE, plugin="misbehave")
    call_limits = CallLimits(limits.memory_mb, limits.timeout_s, limits.max_wasm_stack)

    def call(path: Path) -> Any:
        # The host sends the file size as a hint, so the plugin allocates its buffer once.
        options = options_to_wit(
            None, max_chars_per_page=1000, max_pages=10, size_hint=path.stat().st_size
        )
        return runner.call(
            "extract", options, stdin=path, limits=call_limits, document=path.name
        ).value

    head = b"MISBEHAVE read\n"
    probe = tmp / "misbehave-probe.txt"
    probe.write_bytes(head)
    if getattr(call(probe), "tag", None) == "unsupported":  # no such mode: fall back
        head = b"MISBEHAVE error corrupt handoff bench\n"

    out = {}
    for label, size in sizes.items():
        path = tmp / f"misbehave-{size}.txt"
        path.write_bytes(padded(head, size))
        out[label] = median_time(functools.partial(call, path), runs)
    return head.decode().strip(), out


def end_to_end(files: dict[str, Path], runs: int, as_bytes: bool) -> dict[str, float]:
    """Median seconds of ``conductor.extract`` (expected to fail: padding is no PDF)."""
    out = {}
    for label, path in files.items():
        source: Path | bytes = path.read_bytes() if as_bytes else path

        def call(source: Path | bytes = source) -> object:
            try:
                return conductor.extract(source)
            except conductor.ConductorError as e:
                return e

        out[label] = median_time(call, runs)
    return out


def report(title: str, times: dict[str, float]) -> None:
    base = times["tiny"]
    print(f"\n{title}")
    print(f"{'document':>9} {'median s':>9} {'extra s':>8}")
    for label, t in times.items():
        extra = "" if label == "tiny" else f"{t - base:8.4f}"
        print(f"{label:>9} {t:9.4f} {extra:>8}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 10, 50], help="MB")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        sizes = {"tiny": 0} | {f"{n} MB": n * MB for n in args.sizes}
        pdf: dict[str, Path] = {}
        for label, size in sizes.items():
            p = Path(tmp) / f"padded-{size}.pdf"
            p.write_bytes(padded(b"%PDF-1.7\n", size))
            pdf[label] = p

        if MISBEHAVE.is_file():
            try:
                mode, results["read_only"] = read_only(sizes, Path(tmp), args.runs)
                report(f"read only (misbehave component, {mode!r})", results["read_only"])
            except (ImportError, TypeError, AttributeError) as e:
                print(f"\nread only: unavailable, the sandbox API differs ({e!r})")
        else:
            print(f"\nread only: skipped, {MISBEHAVE} is not built (scripts/build_plugins.py)")

        results["end_to_end_path"] = end_to_end(pdf, args.runs, as_bytes=False)
        report("end to end, conductor.extract(path), pdf plugin", results["end_to_end_path"])
        results["end_to_end_bytes"] = end_to_end(pdf, args.runs, as_bytes=True)
        report("end to end, conductor.extract(bytes), pdf plugin", results["end_to_end_bytes"])

    biggest = f"{max(args.sizes)} MB"
    for name, times in results.items():
        extra = times[biggest] - times["tiny"]
        verdict = "ok" if extra < 0.1 else "OVER 0.1 s"
        print(f"{name}: {biggest} costs {extra:.4f} s more than a tiny document ({verdict})")

    RESULTS.mkdir(parents=True, exist_ok=True)
    dest = RESULTS / f"handoff-{time.strftime('%Y%m%d-%H%M%S')}.json"
    dest.write_text(json.dumps({"runs": args.runs, "median_s": results}, indent=2))
    print(f"wrote {dest.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
