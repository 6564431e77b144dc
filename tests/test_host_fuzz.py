"""Host-level fuzzing: hypothesis mutates real documents and feeds them through the real
sandbox, checking the host's invariants on every input.

Invariants: the only exceptions are :class:`ConductorError` subclasses, each naming the
document; every call returns within the deadline plus :data:`SLACK_S`; a document that
comes back respects the limits (pages, characters per page) and names its source; the
process's peak RSS stays under 1 GiB.

Seeds are generated (PDF, DOCX, HTML); mutations are byte flips, truncations, deletions,
insertions of format tokens or random bytes, splices from another seed and repeated
ranges. DOCX is also mutated inside the package (its ``word/document.xml`` mutated, then
zipped again) so that mutations reach the XML reader, not only the ZIP reader.

    .venv/bin/pytest tests/test_host_fuzz.py                          # 300 inputs per format
    CONDUCTOR_FUZZ_EXAMPLES=5000 .venv/bin/pytest tests/test_host_fuzz.py   # a longer run

Figures (inputs and outcomes per target) go to ``build/host-fuzz-report.json``.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import time
import zlib
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import _adversarial_docx as adocx
import _adversarial_html as ahtml
import _adversarial_pdf as apdf
from _adversarial_pdf_content import cmap, type0_page
from _pdfgen import build_pdf, stream, text_content
from _plugins import HTML_COMPONENT, with_html
from conductor import ConductorError, Extractor, Limits
from conftest import MINIMAL_DOCX, build_docx

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "build" / "host-fuzz-report.json"

EXAMPLES = int(os.environ.get("CONDUCTOR_FUZZ_EXAMPLES", "300"))
LIMITS = Limits(memory_mb=128, timeout_s=3.0, max_pages=500, max_chars_per_page=50_000)
SLACK_S = 2.0
"""As in test_adversarial: trap unwinding, store teardown, GIL-starved epoch ticker."""
MAX_INPUT = 1 << 20


def _rss_kib() -> int:
    """This process's resident set now, in KiB (``VmRSS``)."""
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))


PDF_TOKENS = [
    b"<<", b">>", b"[", b"]", b"(", b")", b"<", b">", b"/", b" R ", b" obj ", b"endobj",
    b"stream\n", b"\nendstream", b"xref\n0 1\n", b"trailer", b"startxref\n0\n", b"%%EOF",
    b"/Length 99999999", b"/Length -1", b"/Prev 0", b"/Filter /FlateDecode", b"/Count 1000000000",
    b"/Kids [2 0 R]", b"/Parent 2 0 R", b"BT", b"ET", b"Tj", b"TJ", b"Tf", b"Td", b"q", b"Q",
    b"cm", b"Do", b"BI /W 99999 /H 99999 ID", b"EI", b"1e400", b"-0", b"4294967296",
    b"beginbfrange", b"endbfrange", b"<0000> <FFFF> <0041>", b"\x00", b"\xff",
]  # fmt: skip
XML_TOKENS = [
    b"<w:p>", b"</w:p>", b"<w:r>", b"</w:r>", b"<w:t>", b"</w:t>", b"<w:tbl><w:tr><w:tc>",
    b'<w:br w:type="page"/>', b'<w:footnoteReference w:id="1"/>', b"<w:sdt><w:sdtContent>",
    b"<!DOCTYPE x [<!ENTITY a 'aaaa'>]>", b"&a;", b"&#0;", b"&#x110000;", b"<![CDATA[",
    b"]]>", b"<!--", b"-->", b"<?pi?>", b'xmlns:w="urn:x"', b"\xff\xfe", b"\x00", b"<",
    b">", b'"', b"=", b"/>",
]  # fmt: skip
ZIP_TOKENS = [
    b"PK\x03\x04", b"PK\x01\x02", b"PK\x05\x06", b"PK\x06\x06", b"\xff\xff\xff\xff",
    b"\x00\x00\x00\x00", b"word/document.xml",
]  # fmt: skip
HTML_TOKENS = [
    b"<div>", b"</div>", b"<table>", b"<tr>", b"<td>", b"</table>", b"<b><i>", b"</b>",
    b"<a href='", b"'>", b"&amp;", b"&#0;", b"&", b"<!--", b"-->", b"<script>", b"</script>",
    b"<svg>", b"<math>", b"<template>", b"<plaintext>", b"<meta charset=utf-16>", b"\x00",
    b"\xff\xfe", b"<h1>", b"<p>", b"<br>", b"<select><option>", b"<title>",
]  # fmt: skip


def _pdf_seeds() -> list[bytes]:
    text = "CALL TO ORDER\nROLL CALL\nItem 5.A (consent) approve minutes"
    return [
        build_pdf([text, "PUBLIC COMMENT\nADJOURN"], title="Council Agenda"),
        build_pdf(["one line"]),
        apdf.one_page(content_obj=apdf.flate_stream(b"", zlib.compress(text_content(text)))),
        type0_page(cmap(b"2 beginbfchar <0001> <0041> <0002> <0042> endbfchar")),
        apdf.one_page(
            catalog=b"<< /Type /Catalog /Pages 2 0 R /Outlines 6 0 R >>",
            extras=[
                b"<< /Type /Outlines /First 7 0 R /Last 7 0 R /Count 1 >>",
                b"<< /Title (Agenda) /Parent 6 0 R /Dest [4 0 R /Fit] >>",
            ],
        ),
        apdf.one_page(
            content=b"/Fm1 Do " + text_content("form"),
            resources=b"<< /Font << /F1 3 0 R >> /XObject << /Fm1 6 0 R >> >>",
            extras=[stream(b"/Type /XObject /Subtype /Form /BBox [0 0 9 9]", b"0 0 m 9 9 l S")],
        ),
    ]


def _docx_xml_seeds() -> list[bytes]:
    p = adocx.para
    return [
        adocx.document(p("Budget hearing") + p("Staff presents the plan.")),
        adocx.document(
            "<w:tbl><w:tr><w:tc><w:p><w:r><w:t>cell</w:t></w:r></w:p></w:tc></w:tr></w:tbl>"
            + '<w:p><w:r><w:br w:type="page"/><w:t>next</w:t></w:r></w:p>'
        ),
    ]


def _docx_seeds() -> list[bytes]:
    return [
        build_docx(MINIMAL_DOCX),
        adocx.numbered(
            "1",
            '<w:abstractNum w:abstractNumId="0"><w:lvl w:ilvl="0"><w:numFmt w:val="decimal"/>'
            '<w:lvlText w:val="%1."/></w:lvl></w:abstractNum>'
            '<w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num>',
        ),
        *(adocx.package(x) for x in _docx_xml_seeds()),
    ]


def _html_seeds() -> list[bytes]:
    return [
        ahtml.SEEDS["generated:agenda.html"](),
        ahtml.page("<ul><li>One<li>Two</ul><table><tr><td>a<td>b</table><p>end"),
    ]


SEEDS = {"pdf": _pdf_seeds(), "docx": _docx_seeds(), "html": _html_seeds()}
TOKENS = {"pdf": PDF_TOKENS, "docx": ZIP_TOKENS + XML_TOKENS, "html": HTML_TOKENS}


OPERATIONS = ["flip"] * 3 + ["insert"] * 3 + ["delete", "splice", "repeat", "truncate"]
"""Weighted: a truncation destroys most of a document, so it is the rarest."""


@st.composite
def mutate(draw: st.DrawFn, seeds: list[bytes], tokens: list[bytes], keep: int = 0) -> bytes:
    """One seed with 1 to 8 mutations, after its first ``keep`` bytes (mostly: 1 in 10
    mutations may hit them too)."""
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 8))):
        op = draw(st.sampled_from(OPERATIONS))
        n = len(data)
        low = min(n, 0 if draw(st.integers(0, 9)) == 0 else keep)
        at = draw(st.integers(low, n))
        if op == "flip" and n:
            data[min(at, n - 1)] ^= draw(st.integers(1, 255))
        elif op == "truncate":
            del data[at:]
        elif op == "delete":
            del data[at : at + draw(st.integers(1, 256))]
        elif op == "insert":
            token = draw(st.sampled_from(tokens) | st.binary(min_size=1, max_size=16))
            data[at:at] = token
        elif op == "splice":
            other = draw(st.sampled_from(seeds))
            start = draw(st.integers(0, len(other)))
            data[at:at] = other[start : start + draw(st.integers(1, 512))]
        elif op == "repeat" and n:
            end = min(n, at + draw(st.integers(1, 64)))
            data[end:end] = data[at:end] * draw(st.integers(1, 2000))
        del data[MAX_INPUT:]
    return bytes(data)


def docx_inputs() -> st.SearchStrategy[bytes]:
    """Raw mutations of whole packages, and packages around a mutated document.xml."""
    raw = mutate(SEEDS["docx"], TOKENS["docx"])
    inner = mutate(_docx_xml_seeds(), XML_TOKENS).map(adocx.package)
    return st.one_of(raw, inner)


INPUTS = {
    "pdf": mutate(SEEDS["pdf"], TOKENS["pdf"], keep=len(b"%PDF-1.4\n")),
    "docx": docx_inputs(),
    "html": mutate(SEEDS["html"], TOKENS["html"]),
}

_stats: dict[str, Counter[str]] = defaultdict(Counter)
_baseline: dict[str, int] = {}
MAX_GROWTH_KIB = 512 << 10
"""How much the host's resident set may grow over a format's examples: four instances'
worth at ``LIMITS.memory_mb`` (128 MiB), for the allocator's slack; a leak of one instance
per example would pass it within a handful of examples."""
_slowest: dict[str, float] = defaultdict(float)


# OCR off: hundreds of mutated documents, many without text (test_ocr_adversarial.py has
# the OCR path's hostile cases).
_extractor = Extractor(LIMITS, registry=with_html(), ocr="off")


def check(fmt: str, data: bytes) -> None:
    """One input through the real sandbox, and every invariant on what came back."""
    name = f"fuzz-{fmt}-{sum(_stats[fmt].values())}"
    start = time.monotonic()
    error: ConductorError | None = None
    try:
        doc = _extractor.extract(data, name=name, format=fmt)
    except ConductorError as e:  # any other exception fails the example
        error = e
    elapsed = time.monotonic() - start
    if error is not None:
        kind = error.kind
        assert error.document == name, error
        assert name in str(error)
    else:
        kind = "ok"
        assert doc.source == name
        assert len(doc.pages) <= LIMITS.max_pages
        assert all(len(p.text) <= LIMITS.max_chars_per_page for p in doc.pages)
    _stats[fmt][kind] += 1
    _slowest[fmt] = max(_slowest[fmt], elapsed)
    assert elapsed <= LIMITS.timeout_s + SLACK_S, f"{elapsed:.2f} s"
    # What the host kept after this example, over what it held before the first one: the
    # process's own level (VmRSS, or the lifetime peak) also counts every test module that
    # ran before this one in the session (1.1 GB by here in a full run), which says
    # nothing about these documents. Each instance may take LIMITS.memory_mb while it
    # runs and must give it all back.
    grown = _rss_kib() - _baseline[fmt]
    assert grown < MAX_GROWTH_KIB, f"the host grew by {grown >> 10} MiB"


def _fuzz(fmt: str) -> None:
    if fmt == "html" and not HTML_COMPONENT.is_file():
        pytest.skip("build/plugins/html/html.wasm is not built")

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(INPUTS[fmt])
    def run(data: bytes) -> None:
        check(fmt, data)

    # Warm: the component compiled and one instance run, so the baseline holds the code.
    with contextlib.suppress(ConductorError):
        _extractor.extract(b"warm-up", name="warm-up", format=fmt)
    _baseline[fmt] = _rss_kib()
    run()


@pytest.mark.parametrize("fmt", ["pdf", "docx", "html"])
def test_mutated_documents_keep_the_host_invariants(fmt: str) -> None:
    _fuzz(fmt)
    assert sum(_stats[fmt].values()) >= min(EXAMPLES, 50)


def test_fuzz_report() -> None:
    """Runs last: the executions per target, for docs/robustness.md."""
    if not _stats:
        pytest.skip("no fuzz target ran in this session")
    report = {
        "examples_per_target": EXAMPLES,
        "limits": {"memory_mb": LIMITS.memory_mb, "timeout_s": LIMITS.timeout_s},
        "targets": {
            fmt: {
                "executions": sum(c.values()),
                "outcomes": dict(sorted(c.items())),
                "max_elapsed_s": round(_slowest[fmt], 2),
            }
            for fmt, c in sorted(_stats.items())
        },
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nhost fuzz: {json.dumps(report['targets'])}")
