#!/usr/bin/env python3
"""Time ``conductor.chunk`` on a large agenda packet against ``semantic-text-splitter``.

The packet is built from the civic corpus by ``scripts/make_packet.py`` (600 pages by
default; cached under build/packets/) and extracted once with ``conductor.extract``; both
chunkers then split the same text (``Document.text``) at the same limit, in one Python
process:

- conductor: ``conductor.chunk(doc, max_tokens=N)`` (``cl100k_base``), the chunker plugin
  in its wasm sandbox, including handing the pages over and the chunks back;
- text-splitter: ``TextSplitter.from_tiktoken_model("gpt-3.5-turbo", N).chunks(text)``
  (``cl100k_base``, tiktoken-rs, native code; trimmed chunks, its default).

Each tool gets one warm-up run (the conductor's builds the tokenizer in its instance and
compiles the component on a cold cache; text-splitter's builds its tokenizer); then runs
are interleaved (conductor, text-splitter, conductor, ...) and the median wall time of
each is reported, with the ratio conductor / text-splitter and the chunk counts. The
warm-up times are reported too: they are what a one-shot process pays.

Usage: ``.venv/bin/python benches/chunk_packet.py [--pages 600] [--runs 5] [--max-tokens 512]``
Results also go to benches/results/chunk_packet-<pages>p-<time>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benches" / "results"


def packet_path(pages: int) -> Path:
    out = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "make_packet.py"), "--pages", str(pages)],
        capture_output=True,
        text=True,
        check=True,
    )
    return Path(out.stdout.strip().splitlines()[-1])


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=600)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--max-tokens", type=int, default=512)
    args = parser.parse_args()

    from semantic_text_splitter import TextSplitter

    import conductor

    packet = packet_path(args.pages)
    extract_s, doc = timed(lambda: conductor.extract(packet))
    text = doc.text
    print(
        f"packet: {packet} ({doc.page_count} pages, {len(text):,} characters, "
        f"extracted in {extract_s:.2f} s)"
    )

    n = args.max_tokens

    def with_conductor() -> list[conductor.Chunk]:
        return conductor.chunk(doc, max_tokens=n)

    def with_text_splitter() -> list[str]:
        splitter = TextSplitter.from_tiktoken_model("gpt-3.5-turbo", n)
        chunks: list[str] = splitter.chunks(text)
        return chunks

    warm_conductor, ours = timed(with_conductor)
    warm_splitter, theirs = timed(with_text_splitter)
    times: dict[str, list[float]] = {"conductor": [], "text-splitter": []}
    for _ in range(args.runs):
        t, ours = timed(with_conductor)
        times["conductor"].append(t)
        t, theirs = timed(with_text_splitter)
        times["text-splitter"].append(t)
    medians = {tool: statistics.median(ts) for tool, ts in times.items()}
    ratio = medians["conductor"] / medians["text-splitter"]
    over = sum(1 for c in ours if c.tokens > n)
    mean_tokens = statistics.mean(c.tokens for c in ours) if ours else 0.0

    print(f"max_tokens={n}, {args.runs} interleaved runs after one warm-up each")
    print(
        f"  conductor.chunk:        median {medians['conductor']:.3f} s "
        f"(warm-up {warm_conductor:.3f} s), {len(ours)} chunks, "
        f"mean {mean_tokens:.0f} tokens, {over} over the limit"
    )
    print(
        f"  semantic-text-splitter: median {medians['text-splitter']:.3f} s "
        f"(warm-up {warm_splitter:.3f} s), {len(theirs)} chunks"
    )
    print(f"  ratio conductor / text-splitter: {ratio:.2f}x")

    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    dest = RESULTS / f"chunk_packet-{args.pages}p-{stamp}.json"
    record = {
        "packet": str(packet),
        "pages": doc.page_count,
        "characters": len(text),
        "max_tokens": n,
        "runs": args.runs,
        "seconds": times,
        "median_s": medians,
        "warmup_s": {"conductor": warm_conductor, "text-splitter": warm_splitter},
        "ratio_conductor_over_text_splitter": ratio,
        "chunks": {"conductor": len(ours), "text-splitter": len(theirs)},
        "conductor_mean_tokens": mean_tokens,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
    }
    dest.write_text(json.dumps(record, indent=2))
    print(f"results: {dest.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
