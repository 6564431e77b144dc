#!/usr/bin/env python3
"""Time ``conductor.chunk`` on a large agenda packet against ``semantic-text-splitter``.

The packet is built from the civic corpus by ``scripts/make_packet.py`` (600 pages by
default; cached under build/packets/). Both chunkers split the same text (the pages
joined by newlines, ``Document.text``) at the same limit, each in its own worker process
(harness.py: one warm-up call, then interleaved timed calls, the median reported):

- conductor: ``conductor.chunk(doc, max_tokens=N)`` (``cl100k_base``), the chunker plugin
  in its wasm sandbox, including handing the pages over and the chunks back; its worker
  extracts the packet with ``conductor.extract`` while setting up;
- text-splitter: ``TextSplitter.from_tiktoken_model("gpt-3.5-turbo", N).chunks(text)``
  (``cl100k_base``, tiktoken-rs, native code; trimmed chunks, its default), the splitter
  built once while setting up, as the conductor's tokenizer is built in its warm-up; the
  text comes from ``conductor extract PACKET --json``.

Usage: ``.venv/bin/python benches/chunk_packet.py [--pages 600] [--runs 5] [--max-tokens 512]``
Results also go to benches/results/chunk_packet-<pages>p-<time>.json.
"""

from __future__ import annotations

import json
import statistics
import subprocess
from pathlib import Path
from typing import Any

import harness
from harness import Job, Section

MAX_TOKENS = 512
NAMES = {"conductor": "conductor.chunk", "text-splitter": "semantic-text-splitter"}


def write_text(packet: Path, dest: Path) -> Path:
    """The packet's text as ``Document.text`` has it, extracted by the conductor CLI."""
    out = subprocess.run(
        [str(harness.conductor_cli()), "extract", str(packet), "--json", "--ocr", "off"],
        capture_output=True,
        check=True,
    ).stdout
    dest.write_text("\n".join(page["text"] for page in json.loads(out)["pages"]))
    return dest


def chunk_job(tool: str, packet: str, text: str, max_tokens: int) -> Job:
    """Worker factory: ``tool`` chunking the packet's text into ``max_tokens`` chunks."""
    if tool == "conductor":
        import conductor

        doc = conductor.extract(packet, ocr="off")

        def describe(result: object) -> dict[str, Any]:
            assert isinstance(result, list)
            tokens = [c.tokens for c in result]
            return {
                "chars": len(doc.text),
                "chunks": len(result),
                "mean_tokens": round(statistics.mean(tokens), 1) if tokens else 0,
                "over_limit": sum(t > max_tokens for t in tokens),
            }

        return Job(lambda: conductor.chunk(doc, max_tokens=max_tokens), describe)

    from semantic_text_splitter import TextSplitter

    content = Path(text).read_text()
    splitter = TextSplitter.from_tiktoken_model("gpt-3.5-turbo", max_tokens)

    def describe_splitter(result: object) -> dict[str, Any]:
        assert isinstance(result, list)
        return {"chars": len(content), "chunks": len(result)}

    return Job(lambda: splitter.chunks(content), describe_splitter)


def section(tmp: Path, pages: int = 600, max_tokens: int = MAX_TOKENS) -> Section:
    packet = harness.packet(pages)
    text = write_text(packet, tmp / "packet.txt")
    table = f"chunking the {pages}-page packet's text, max {max_tokens} tokens, cl100k_base"
    kwargs = {"packet": str(packet), "text": str(text), "max_tokens": max_tokens}
    contenders = harness.workers(__file__, "chunk_job", table, NAMES, kwargs)
    return Section(
        name="chunk",
        title=f"chunking: {packet.name} ({text.stat().st_size / 1e6:.2f} MB of text)",
        contenders=contenders,
        anchors={table: NAMES["text-splitter"]},
        notes=["each chunker in its own worker, median after one warm-up call"],
    )


def main() -> None:
    parser = harness.arguments(__doc__ or "", runs=5, timeout=300)
    parser.add_argument("--pages", type=int, default=600)
    parser.add_argument("--max-tokens", type=int, default=MAX_TOKENS)
    args = parser.parse_args()
    with harness.scratch() as tmp:
        chunking = section(tmp, args.pages, args.max_tokens)
        harness.measure_and_write(f"chunk_packet-{args.pages}p", chunking, args.runs, args.timeout)


if __name__ == "__main__":
    main()
