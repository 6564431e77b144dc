#!/usr/bin/env python3
"""Time ``conductor extract`` on a large agenda packet against other PDF text extractors.

The packet is built from the civic corpus by ``scripts/make_packet.py`` (600 pages by
default; cached under build/packets/). Contenders (harness.py says how they are measured):

whole process, a fresh process per run, every page's text written to a pipe:

- conductor: ``.venv/bin/conductor extract PACKET --json``
- PyMuPDF, pypdfium2, pypdf, kreuzberg: ``python -c SCRIPT PACKET``, a script that
  extracts every page with the library and prints the pages as JSON (:data:`EXTRACTORS`
  plus :data:`SCRIPT_MAIN`)
- pdftotext: ``pdftotext PACKET -`` (poppler, C++)

in process, one worker process per library, warmed up once: ``conductor.extract(path)``
and the same library functions as the scripts; the warm-up's text is also scored by
word-level F1 against pdftotext (tests/_metrics.py).

This module also builds the suite's other extraction sections: the whole corpus, peak
memory on the 600- and 2,000-page packets, and cold start on a one-page PDF.

Usage: ``.venv/bin/python benches/extract_packet.py [--pages 600] [--runs 3] [--timeout 300]
[--skip-in-process]``. Results also go to benches/results/extract_packet-<pages>p-<time>.json.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import harness
from _metrics import corpus_dir, join_pages, pdftotext_pages, word_f1
from harness import Contender, Job, Process, Section, Worker

_PYMUPDF = """\
import pymupdf
def pages(path):
    with pymupdf.open(path) as doc:
        return [page.get_text() for page in doc]
"""

# One place for each library's extraction: ``pages(path) -> list[str]``, run by the
# whole-process scripts and by the in-process workers alike.
EXTRACTORS: dict[str, str] = {
    "conductor": """\
import conductor
def pages(path):
    return [page.text for page in conductor.extract(path, ocr="off").pages]
""",
    # PyMuPDF 2.0 imports its ONNX page-layout model (pymupdf.layout, for pymupdf4llm) on
    # ``import pymupdf``: ~1 s and ~60 MB that get_text() never uses. The anchor leaves it
    # out (PyMuPDF 1.x has none); "pymupdf-full" is the plain import, for comparison.
    "pymupdf": 'import sys\nsys.modules.setdefault("pymupdf.layout", None)\n' + _PYMUPDF,
    "pymupdf-full": _PYMUPDF,
    "pypdfium2": """\
import pypdfium2
def pages(path):
    pdf = pypdfium2.PdfDocument(path)
    try:
        texts = []
        for page in pdf:
            textpage = page.get_textpage()
            texts.append(textpage.get_text_range())
            textpage.close()
            page.close()
        return texts
    finally:
        pdf.close()
""",
    "pypdf": """\
import pypdf
def pages(path):
    return [page.extract_text() for page in pypdf.PdfReader(path).pages]
""",
    # Text layer only, like the others (no OCR), and no result cache (it caches by default).
    "kreuzberg": """\
import kreuzberg
CONFIG = kreuzberg.ExtractionConfig(
    use_cache=False, disable_ocr=True, pages=kreuzberg.PageConfig(extract_pages=True)
)
def pages(path):
    result = kreuzberg.extract_file_sync(path, config=CONFIG)
    return [page["content"] for page in result.pages or []]
""",
}

# The whole-process script's body, after the library's ``pages``: every file named on the
# command line, its pages as one JSON line; failures counted on stderr, not fatal.
SCRIPT_MAIN = """\
import json, sys
errors = 0
for path in sys.argv[1:]:
    try:
        texts = pages(path)
    except Exception as e:
        errors += 1
        print(f"{path}: {type(e).__name__}: {e}", file=sys.stderr)
        continue
    pages_json = [{"number": i + 1, "text": t} for i, t in enumerate(texts)]
    json.dump({"source": path, "page_count": len(texts), "pages": pages_json}, sys.stdout)
    sys.stdout.write("\\n")
files = len(sys.argv) - 1
print("bench: " + json.dumps({"files": files, "errors": errors}), file=sys.stderr)
sys.exit(1 if files and errors == files else 0)
"""

NAMES = {
    "conductor": "conductor.extract",
    "conductor-cli": "conductor extract --json",
    "pymupdf": "PyMuPDF",
    "pymupdf-full": "PyMuPDF, import with pymupdf.layout",
    "pypdfium2": "pypdfium2",
    "pypdf": "pypdf",
    "kreuzberg": "kreuzberg",
    "pdftotext": "pdftotext",
}
ANCHOR = NAMES["pymupdf"]
WHOLE = ("conductor-cli", "pymupdf", "pymupdf-full", "pypdfium2", "pdftotext", "pypdf", "kreuzberg")
IN_PROCESS = ("conductor", "pymupdf", "pypdfium2", "pypdf", "kreuzberg")


def extractor(tool: str) -> Callable[[str], list[str]]:
    """The ``pages`` function of :data:`EXTRACTORS` for ``tool``."""
    namespace: dict[str, Any] = {}
    exec(EXTRACTORS[tool], namespace)
    fn: Callable[[str], list[str]] = namespace["pages"]
    return fn


def extract_job(tool: str, path: str, quality: bool = True) -> Job:
    """Worker factory: extracting ``path`` with ``tool``; F1 vs pdftotext on the warm-up."""
    pages = extractor(tool)

    def describe(result: object) -> dict[str, Any]:
        assert isinstance(result, list)
        info: dict[str, Any] = {"pages": len(result), "chars": sum(map(len, result))}
        if quality and shutil.which("pdftotext"):
            reference = join_pages(pdftotext_pages(Path(path)))
            info["word_f1"] = round(word_f1(join_pages(result), reference), 4)
        return info

    return Job(lambda: pages(path), describe)


def _unavailable(tool: str) -> str | None:
    """Why ``tool`` cannot run here, or None."""
    if tool == "pdftotext":
        return None if shutil.which("pdftotext") else "unavailable: pdftotext not installed"
    if tool == "conductor-cli":
        cli = harness.conductor_cli()
        return None if cli.is_file() else f"unavailable: {cli} missing (pip install -e .)"
    if tool == "pymupdf-full":  # only PyMuPDF >= 2 has it (found without importing it)
        try:
            importlib.metadata.version("pymupdf-layout")
        except importlib.metadata.PackageNotFoundError:
            return "unavailable: no pymupdf.layout in this PyMuPDF (same as PyMuPDF)"
        return None
    if importlib.util.find_spec(tool) is None:
        package = "engagic-conductor" if tool == "conductor" else tool
        return f"unavailable: {tool} is not installed (pip install {package})"
    return None


def _command(tool: str, files: list[Path]) -> list[str]:
    """Extracting ``files`` in one process (a shell loop for one-file command-line tools)."""
    if tool in EXTRACTORS:
        return [sys.executable, "-c", EXTRACTORS[tool] + SCRIPT_MAIN, *map(str, files)]
    args = {
        "conductor-cli": [str(harness.conductor_cli()), "extract", "{}", "--json", "--ocr", "off"],
        "pdftotext": ["pdftotext", "{}", "-"],
    }[tool]
    if len(files) == 1:
        return [a.replace("{}", str(files[0])) for a in args]
    each = " ".join('"$f"' if a == "{}" else shlex.quote(a) for a in args)
    loop = (
        f'n=0; e=0; for f in "$@"; do n=$((n+1)); {each} || e=$((e+1)); done; '
        'echo "bench: {\\"files\\": $n, \\"errors\\": $e}" >&2'
    )
    return ["sh", "-c", loop, "sh", *map(str, files)]


def whole_process(
    tool: str,
    files: list[Path],
    table: str,
    name: str | None = None,
    env: Callable[[], Mapping[str, str]] | None = None,
    runs: int | None = None,
) -> Contender:
    name = name or NAMES[tool]
    why = _unavailable(tool)
    if why:
        return Contender(name=name, table=table, error=why)
    return Process(name=name, table=table, command=_command(tool, files), env=env, runs=runs)


def in_process(tool: str, path: Path, table: str, quality: bool = True) -> Contender:
    why = _unavailable(tool)
    if why:
        return Contender(name=NAMES[tool], table=table, error=why)
    kwargs = {"tool": tool, "path": str(path), "quality": quality}
    # Workers import this file by its name (also when it runs as __main__).
    module = Path(__file__).stem
    return Worker(
        name=NAMES[tool], table=table, module=module, factory="extract_job", kwargs=kwargs
    )


def prime(files: list[Path]) -> None:
    """Reads ``files`` once (page cache) and runs the CLI once, so that the pdf component
    is compiled into the component cache before anything is timed."""
    for f in files:
        f.read_bytes()
    one = harness.packet(1)
    cmd = [str(harness.conductor_cli()), "extract", str(one), "--json", "--ocr", "off"]
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)


def packet_section(pages: int = 600, with_in_process: bool = True) -> Section:
    path = harness.packet(pages)
    prime([path])
    size = path.stat().st_size / 1e6
    whole, inproc = f"{pages}-page packet, whole process", f"{pages}-page packet, in process"
    contenders = [whole_process(tool, [path], whole) for tool in WHOLE]
    anchors: dict[str, str | None] = {whole: ANCHOR}
    if with_in_process:
        contenders += [in_process(tool, path, inproc) for tool in IN_PROCESS]
        anchors[inproc] = ANCHOR
    return Section(
        name="extract",
        title=f"extraction: {path.name} ({pages} pages, {size:.1f} MB)",
        contenders=contenders,
        anchors=anchors,
        notes=["in process: one worker per library, median after one warm-up call"],
    )


def corpus_pdfs() -> list[Path]:
    return sorted(corpus_dir().rglob("*.pdf"))


def corpus_section() -> Section:
    files = corpus_pdfs()
    if not files:
        raise SystemExit(f"no PDFs under {corpus_dir()}: set CONDUCTOR_CORPUS")
    prime(files)
    table = f"whole corpus: {len(files)} PDFs in one process (CLIs: a process per file)"
    contenders = [whole_process("conductor", files, table, name="conductor.extract (library)")]
    contenders += [whole_process(tool, files, table) for tool in WHOLE]
    return Section(
        name="corpus",
        title=f"extraction: every PDF under {corpus_dir()} ({len(files)} files)",
        contenders=contenders,
        anchors={table: ANCHOR},
        notes=["errors=N: files the tool failed on (counted, not fatal)"],
    )


def memory_section(sizes: tuple[int, ...] = (600, 2000)) -> Section:
    paths = {n: harness.packet(n) for n in sizes}
    prime(list(paths.values()))
    contenders = []
    anchors: dict[str, str | None] = {}
    for n, path in paths.items():
        table = f"{n}-page packet ({path.stat().st_size / 1e6:.0f} MB), whole process"
        anchors[table] = ANCHOR
        contenders += [whole_process(tool, [path], table) for tool in ("conductor-cli", "pymupdf")]
    return Section(
        name="memory",
        title="peak memory: packets of " + " and ".join(f"{n}" for n in sizes) + " pages",
        contenders=contenders,
        anchors=anchors,
    )


def cold_cache_env(tmp: Path) -> Callable[[], dict[str, str]]:
    """An environment with a new, empty compiled-component cache for each run."""

    def env() -> dict[str, str]:
        fresh = {k: v for k, v in os.environ.items() if k != "CONDUCTOR_CACHE_DIR"}
        fresh["XDG_CACHE_HOME"] = tempfile.mkdtemp(dir=tmp)
        return fresh

    return env


def cold_start_section(tmp: Path) -> Section:
    from conductor._sandbox._cache import default_cache_dir

    one = harness.packet(1)
    prime([one])
    table = f"cold start: {one.name} (1 page), whole process"
    cli = NAMES["conductor-cli"]
    contenders = [
        whole_process("conductor-cli", [one], table, name=f"{cli} (warm cache)"),
        whole_process("pymupdf", [one], table),
        whole_process("pymupdf-full", [one], table),
        whole_process(
            "conductor-cli",
            [one],
            table,
            name=f"{cli} (cold cache)",
            env=cold_cache_env(tmp),
            runs=1,
        ),
    ]
    return Section(
        name="cold",
        title="cold start: a fresh process on a one-page PDF",
        contenders=contenders,
        anchors={table: ANCHOR},
        notes=[
            f"warm: compiled components cached in {default_cache_dir()} (filled before timing)",
            "cold: one run with XDG_CACHE_HOME set to an empty directory (compiles the pdf "
            "component and writes the cache)",
        ],
    )


def main() -> None:
    parser = harness.arguments(__doc__ or "", runs=3, timeout=300)
    parser.add_argument("--pages", type=int, default=600, help="packet size (600)")
    parser.add_argument("--skip-in-process", action="store_true")
    args = parser.parse_args()
    section = packet_section(args.pages, with_in_process=not args.skip_in_process)
    harness.measure_and_write(f"extract_packet-{args.pages}p", section, args.runs, args.timeout)


if __name__ == "__main__":
    main()
