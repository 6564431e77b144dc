#!/usr/bin/env python3
"""Build a large "agenda packet" PDF from the civic corpus, for the benchmarks.

Real council packets are hundreds of pages of agendas, staff reports and scanned
attachments glued together. This concatenates every civic PDF of the corpus (sorted by
name, the two image-only scans included, as real packets have scans) with
``qpdf --empty --pages ... --``, over and over, and cuts the last pass so that the packet
has exactly N pages.

Each pass names the files through its own symlinks: qpdf shares the objects of pages taken
twice from the same file name, which would make a packet of repeats far smaller (and
cheaper to parse) than a real one of the same length. With distinct names every page is
a real copy (~40 KB a page, like a real packet).

Usage: ``python3 scripts/make_packet.py [--pages 600] [--out PATH] [--force]``
prints the packet's path. It is cached: ``build/packets/packet-<N>.pdf`` is reused
when it exists and has N pages.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "build" / "packets"


def corpus_dir() -> Path:
    env = os.environ.get("CONDUCTOR_CORPUS")
    return Path(env) if env else ROOT.parent / "shared" / "corpus"


def qpdf() -> str:
    exe = shutil.which("qpdf")
    if exe is None:
        sys.exit("make_packet: qpdf not found (apt-get install qpdf; scripts/setup.sh does)")
    return exe


def page_count(path: Path) -> int:
    out = subprocess.run(
        [qpdf(), "--show-npages", str(path)], capture_output=True, text=True, check=True
    )
    return int(out.stdout.strip())


def plan(sources: list[tuple[Path, int]], pages: int, links: Path) -> list[str]:
    """qpdf ``--pages`` arguments taking whole files in turn until ``pages`` pages.

    Pass ``n`` names each file through a symlink ``links/<n>-<name>`` (see the module doc).
    """
    args: list[str] = []
    total = 0
    rounds = 0
    while total < pages:
        rounds += 1
        for path, count in sources:
            link = links / f"{rounds:03d}-{path.name}"
            link.symlink_to(path.resolve())
            take = min(count, pages - total)
            args += [str(link), f"1-{take}"]
            total += take
            if total == pages:
                break
    return args


def build(pages: int, out: Path, force: bool = False) -> Path:
    if not force and out.is_file() and page_count(out) == pages:
        return out
    civic = corpus_dir() / "civic"
    files = sorted(civic.glob("*.pdf"))
    if not files:
        sys.exit(f"make_packet: no PDFs in {civic} (set CONDUCTOR_CORPUS)")
    sources = [(f, page_count(f)) for f in files]
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp.pdf")
    with tempfile.TemporaryDirectory() as links:
        # Some civic files carry harmless structural warnings (duplicated keys, offset 0).
        cmd = [qpdf(), "--no-warn", "--warning-exit-0", "--empty",
               "--pages", *plan(sources, pages, Path(links)), "--", str(tmp)]  # fmt: skip
        subprocess.run(cmd, check=True)
    got = page_count(tmp)
    if got != pages:
        sys.exit(f"make_packet: built {got} pages, wanted {pages}")
    tmp.replace(out)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=600, help="pages in the packet (600)")
    parser.add_argument("--out", type=Path, help="output (build/packets/packet-<N>.pdf)")
    parser.add_argument("--force", action="store_true", help="rebuild even when cached")
    args = parser.parse_args()
    if args.pages < 1:
        parser.error("--pages must be positive")
    out = args.out or CACHE / f"packet-{args.pages}.pdf"
    path = build(args.pages, out, args.force)
    size_mb = path.stat().st_size / 1e6
    print(f"{path} ({args.pages} pages, {size_mb:.1f} MB)", file=sys.stderr)
    print(path)


if __name__ == "__main__":
    main()
