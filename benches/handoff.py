#!/usr/bin/env python3
"""How long a 1, 10 or 50 MB document takes to reach a plugin.

The host hands the document over as the plugin's WASI stdin (never as a ``list<u8>``,
which wasmtime-py converts byte by byte at about 1.8 MB/s). Three ways, each document
size in its own worker process (harness.py: one warm-up call, then interleaved timed
calls, the median reported):

read only
    The test component ``build/components/misbehave.wasm`` reads its whole stdin with the
    SDK's ``read_document`` and, on a first line ``MISBEHAVE read``, returns an error at
    once: one fresh instance + the whole document read by the plugin + the call's return.
    Driven through the host's sandbox layer (``conductor._sandbox``), the same path
    ``extract`` uses.
conductor.extract(path), conductor.extract(bytes)
    with the real pdf plugin on ``%PDF-1.7`` followed by N MB of padding: detection,
    hashing, (for bytes) the temp file, the handoff, the plugin reading everything and
    failing to parse it. An upper bound on the handoff, since parsing is included.

"Extra" is a size's median minus the tiny document's. The host must move 50 MB in < 0.1 s.

Usage: ``.venv/bin/python benches/handoff.py [--sizes 1 10 50] [--runs 5]``
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import harness
from harness import Contender, Job, Section, Worker

MISBEHAVE = harness.ROOT / "build" / "components" / "misbehave.wasm"
MB = 1 << 20
LIMIT_S = 0.1
MODES = {
    "read": "read only (misbehave component)",
    "path": "conductor.extract(path), pdf plugin",
    "bytes": "conductor.extract(bytes), pdf plugin",
}
HEADS = {"read": b"MISBEHAVE read\n", "path": b"%PDF-1.7\n", "bytes": b"%PDF-1.7\n"}


def padded(head: bytes, size: int) -> bytes:
    """``head`` followed by printable padding lines, ``size`` bytes in all (at least head)."""
    line = b"% padding padding padding padding padding padding padding padding padding\n"
    body = line * (max(0, size - len(head)) // len(line) + 1)
    return head + body[: max(0, size - len(head))]


def handoff_job(mode: str, path: str) -> Job:
    """Worker factory: one document handed over as ``mode`` (see the module doc)."""
    import conductor

    if mode == "read":
        from conductor._convert import options_to_wit
        from conductor._sandbox import CallLimits, Sandbox

        limits = conductor.Limits()
        sandbox = Sandbox(max_wasm_stack=limits.max_wasm_stack)
        runner = sandbox.runner(MISBEHAVE, plugin="misbehave")
        call_limits = CallLimits(limits.memory_mb, limits.timeout_s, limits.max_wasm_stack)
        doc = Path(path)

        def read() -> Any:
            # The host sends the file size as a hint, so the plugin allocates its buffer once.
            options = options_to_wit(
                None, max_chars_per_page=1000, max_pages=10, size_hint=doc.stat().st_size
            )
            return runner.call(
                "extract", options, stdin=doc, limits=call_limits, document=doc.name
            ).value

        def outcome(result: object) -> dict[str, Any]:
            # e.g. "corrupt: read 52428800 bytes": the plugin saw the whole document
            return {"outcome": f"{getattr(result, 'tag', '?')}: {getattr(result, 'payload', '')}"}

        return Job(read, outcome)

    source: Path | bytes = Path(path).read_bytes() if mode == "bytes" else Path(path)

    def extract() -> object:
        try:
            return conductor.extract(source, ocr="off")
        except conductor.ConductorError as e:
            return e

    def kind(result: object) -> dict[str, Any]:
        return {"outcome": getattr(result, "kind", type(result).__name__)}

    return Job(extract, kind)


def extras(contenders: Sequence[Contender]) -> list[str]:
    """Each size's median minus the tiny document's, per mode, with the 0.1 s verdict."""
    lines = []
    for table in MODES.values():
        rows = {c.name: c for c in contenders if c.table == table and c.seconds and not c.error}
        if "tiny" not in rows:
            continue
        tiny = statistics.median(rows.pop("tiny").seconds)
        for name, c in rows.items():
            extra = statistics.median(c.seconds) - tiny
            c.info["extra_s"] = round(extra, 4)
            verdict = "ok" if extra < LIMIT_S else f"OVER {LIMIT_S} s"
            lines.append(f"{table}: {name} costs {extra:.4f} s more than tiny ({verdict})")
    return lines


def section(tmp: Path, sizes_mb: list[int] | None = None) -> Section:
    sizes = {"tiny": 0} | {f"{n} MB": n * MB for n in sizes_mb or [1, 10, 50]}
    contenders: list[Contender] = []
    for mode, table in MODES.items():
        for label, size in sizes.items():
            if mode == "read" and not MISBEHAVE.is_file():
                why = f"unavailable: {MISBEHAVE} is not built (scripts/build_plugins.py)"
                contenders.append(Contender(name=label, table=table, error=why))
                continue
            path = tmp / f"{mode}-{size}.bin"
            path.write_bytes(padded(HEADS[mode], size))
            kwargs = {"mode": mode, "path": str(path)}
            contenders.append(
                Worker(
                    name=label,
                    table=table,
                    module=Path(__file__).stem,
                    factory="handoff_job",
                    kwargs=kwargs,
                )
            )
    return Section(
        name="handoff",
        title="handoff: a document of " + ", ".join(sizes) + " into the sandbox",
        contenders=contenders,
        anchors=dict.fromkeys(MODES.values()),
        notes=["one worker per mode and size; extra_s = median - the tiny document's median"],
        after=extras,
    )


def main() -> None:
    parser = harness.arguments(__doc__ or "", runs=5, timeout=120)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 10, 50], help="MB")
    args = parser.parse_args()
    with harness.scratch() as tmp:
        harness.measure_and_write("handoff", section(tmp, args.sizes), args.runs, args.timeout)


if __name__ == "__main__":
    main()
