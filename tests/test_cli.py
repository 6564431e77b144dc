from __future__ import annotations

import itertools
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conductor import Extractor, Limits, _cli
from conductor._registry import Registry

Make = Callable[..., Extractor]


@pytest.fixture
def cli_misbehave(
    monkeypatch: pytest.MonkeyPatch, misbehave_plugin: object, tmp_path: Path
) -> Callable[..., tuple[int, Any, str]]:
    """Runs ``main`` with the misbehave plugin standing in for the format plugins."""
    registry = Registry([misbehave_plugin], entry_points=False)

    class MisbehaveExtractor(Extractor):
        def __init__(self, limits: Limits | None = None, **_: Any) -> None:
            # pins= from --pin: this test's registry has no rivals to pin.
            super().__init__(limits, registry=registry, cache_dir=tmp_path)

        def extract(self, source: Any, **kw: Any) -> Any:
            return super().extract(source, format="misbehave", **kw)

    monkeypatch.setattr(_cli, "Extractor", MisbehaveExtractor)

    def run(text: str, *args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, Any, str]:
        doc = tmp_path / "doc.mis"
        doc.write_text(text)
        code = _cli.main(["extract", str(doc), *args])
        out, err = capsys.readouterr()
        parsed = json.loads(out) if "--json" in args else out
        return code, parsed, err

    return run


def test_json_success_is_document_to_dict(cli_misbehave: Any, capsys: Any) -> None:
    code, out, err = cli_misbehave("one\ftwo", "--json", capsys=capsys)
    assert (code, err) == (0, "")
    assert [p["text"] for p in out["pages"]] == ["one", "two"]
    assert out["format"] == "misbehave"
    assert out["page_count"] == 2
    assert set(out) == {
        "source", "format", "sha256", "page_count", "metadata", "pages", "outline", "warnings",
        "headings", "pagination", "engine",
    }  # fmt: skip


def test_text_output_marks_pages(cli_misbehave: Any, capsys: Any) -> None:
    code, out, _ = cli_misbehave("one\ftwo\fthree", "--pages", "2-3", capsys=capsys)
    assert code == 0
    assert out == "--- PAGE 2 ---\ntwo\n--- PAGE 3 ---\nthree\n"


def test_single_page_option(cli_misbehave: Any, capsys: Any) -> None:
    code, out, _ = cli_misbehave("one\ftwo\fthree", "--pages", "2", "--json", capsys=capsys)
    assert code == 0
    assert [p["number"] for p in out["pages"]] == [2]


@pytest.mark.parametrize("pages", ["0", "3-2", "x", "1-", "-2", "1-2-3", ""])
def test_bad_pages_is_a_json_error(cli_misbehave: Any, capsys: Any, pages: str) -> None:
    code, out, _ = cli_misbehave("one", "--json", "--pages", pages, capsys=capsys)
    assert code == 1
    assert out["error"]["kind"] == "invalid_argument"
    assert "--pages" in out["error"]["message"]


@pytest.mark.parametrize(
    ("text", "args", "kind"),
    [
        ("MISBEHAVE error corrupt broken xref", [], "corrupt"),
        ("MISBEHAVE error encrypted needs a password", [], "encrypted"),
        ("MISBEHAVE error too-large 20000 pages", [], "too_large"),
        ("MISBEHAVE error unsupported XFA form", [], "unsupported_format"),
        ("MISBEHAVE error internal bug", [], "plugin_failure"),
        ("MISBEHAVE panic", [], "plugin_failure"),
        ("MISBEHAVE trap", [], "plugin_failure"),
        ("MISBEHAVE alloc", ["--memory-mb", "32"], "memory_limit"),
        ("MISBEHAVE loop", ["--timeout", "0.5"], "timeout"),
    ],
)
def test_every_error_kind_reaches_the_json(
    cli_misbehave: Any, capsys: Any, text: str, args: list[str], kind: str
) -> None:
    code, out, err = cli_misbehave(text, "--json", *args, capsys=capsys)
    assert code == 1
    assert err == ""
    assert set(out) == {"error"}
    assert out["error"]["kind"] == kind
    assert out["error"]["stage"] == "extract"
    assert "doc.mis" in out["error"]["message"]
    assert "hint:" in out["error"]["message"]


def test_error_without_json_is_one_line_on_stderr(cli_misbehave: Any, capsys: Any) -> None:
    code, out, err = cli_misbehave("MISBEHAVE error corrupt broken", capsys=capsys)
    assert (code, out) == (1, "")
    assert err.count("\n") == 1
    assert err.startswith("conductor: ")
    assert "broken" in err


def test_bad_limit_values_are_json_errors(cli_misbehave: Any, capsys: Any) -> None:
    code, out, _ = cli_misbehave("x", "--json", "--memory-mb", "lots", capsys=capsys)
    assert code == 1
    assert out["error"]["kind"] == "invalid_argument"
    code, out, _ = cli_misbehave("x", "--json", "--timeout", "-3", capsys=capsys)
    assert code == 1
    assert "--timeout must be above 0 and at most 86,400, got '-3'" in out["error"]["message"]


@pytest.mark.parametrize(
    ("flag", "value", "expected"),
    [
        ("--timeout", "nan", "--timeout must be above 0 and at most 86,400, got 'nan'"),
        ("--timeout", "inf", "--timeout must be above 0 and at most 86,400, got 'inf'"),
        ("--timeout", "abc", "--timeout must be a number of seconds, got 'abc'"),
        ("--memory-mb", "abc", "--memory-mb must be an integer, got 'abc'"),
        ("--memory-mb", "99999", "--memory-mb must be above 0 and at most 4,096, got '99999'"),
    ],
)
def test_bad_limit_flags_are_named(
    cli_misbehave: Any, capsys: Any, flag: str, value: str, expected: str
) -> None:
    code, out, _ = cli_misbehave("x", "--json", flag, value, capsys=capsys)
    assert code == 1
    assert (out["error"]["kind"], out["error"]["stage"]) == ("invalid_argument", "cli")
    assert out["error"]["message"].endswith(expected)
    code, out, err = cli_misbehave("x", flag, value, capsys=capsys)
    assert (code, out) == (1, "")
    assert err.endswith(f"{expected}\n")
    assert err.count("\n") == 1


def test_unexpected_exceptions_become_json(
    cli_misbehave: Any, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args: Any, **kw: Any) -> Any:
        raise KeyError("surprise")

    monkeypatch.setattr(Extractor, "extract", boom)
    code, out, err = cli_misbehave("x", "--json", capsys=capsys)
    assert code == 1
    assert err == ""
    assert out["error"]["kind"] == "plugin_failure"
    assert "KeyError" in out["error"]["message"]


def test_missing_file(capsys: Any, tmp_path: Path) -> None:
    code = _cli.main(["extract", str(tmp_path / "nope.pdf"), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 1
    assert out["error"]["kind"] == "io_error"
    assert out["error"]["stage"] == "read"
    assert "nope.pdf" in out["error"]["message"]


def test_not_a_pdf(capsys: Any, tmp_path: Path) -> None:
    fake = tmp_path / "agenda.pdf"
    fake.write_bytes(b"\x00\x01 not a document")
    code = _cli.main(["extract", str(fake), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 1
    assert (out["error"]["kind"], out["error"]["stage"]) == ("unsupported_format", "detect")
    assert "unknown format" in out["error"]["message"]


def test_html_and_text_work_after_install(capsys: Any, tmp_path: Path) -> None:
    """The HTML and plain-text plugins ship in the package: no $CONDUCTOR_PLUGIN_PATH."""
    page = tmp_path / "agenda.pdf"  # the extension is only a hint; the bytes are HTML
    page.write_text("<!DOCTYPE html><html><body><h1>Please log in</h1></body></html>")
    assert _cli.main(["extract", str(page), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["format"] == "html"
    assert "Please log in" in out["pages"][0]["text"]
    notes = tmp_path / "notes.txt"
    notes.write_text("Item 1. Call to order.\n")
    assert _cli.main(["extract", str(notes), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["format"] == "text"
    assert out["pages"][0]["text"].startswith("Item 1. Call to order.")


def test_unknown_flag_is_a_usage_error(capsys: Any) -> None:
    with pytest.raises(SystemExit) as info:
        _cli.main(["extract", "x.pdf", "--frobnicate"])
    assert info.value.code == 2


def test_console_script_never_prints_a_traceback(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "conductor"
    if not script.exists():
        pytest.skip(f"console script not installed at {script}")
    proc = subprocess.run(
        [str(script), "extract", str(tmp_path / "missing.pdf"), "--json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1
    assert proc.stderr == ""
    assert json.loads(proc.stdout)["error"]["kind"] == "io_error"


def test_generated_pdf_through_the_real_plugin(capsys: Any, tmp_path: Path, make_pdf: Any) -> None:
    pdf = tmp_path / "two.pdf"
    pdf.write_bytes(make_pdf(["Hello council", "Second page"], title="Agenda"))
    code = _cli.main(["extract", str(pdf), "--json"])
    out = json.loads(capsys.readouterr().out)
    if code == 1 and out["error"]["kind"] == "unsupported_format":
        pytest.skip(f"the pdf plugin is still a placeholder: {out['error']['message']}")
    assert code == 0, out
    assert out["format"] == "pdf"
    assert out["page_count"] == 2
    assert "Hello council" in out["pages"][0]["text"]
    assert "Second page" in out["pages"][1]["text"]


# --- conductor extract on DOCX -----------------------------------------------------------


def test_docx_through_the_extract_contract(
    capsys: Any, tmp_path: Path, docx_component: Path, make_docx: Callable[..., bytes]
) -> None:
    path = tmp_path / "minimal.docx"
    path.write_bytes(make_docx())
    code = _cli.main(["extract", str(path), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0, out
    assert out["format"] == "docx"
    assert out["page_count"] == len(out["pages"]) == 2
    assert out["pagination"] == "page_breaks"
    assert out["headings"] == [{"title": "Budget Hearing", "level": 1, "page": 1, "offset": 0}]
    first, second = (p["text"] for p in out["pages"])
    assert first.startswith("Budget Hearing")
    assert "public hearing on the budget" in first
    assert "capital plan" in first
    assert "Public comment follows" in second
    assert set(out) == {
        "source", "format", "sha256", "page_count", "metadata", "pages", "outline", "warnings",
        "headings", "pagination", "engine",
    }  # fmt: skip


def test_corrupt_docx_is_a_json_error(
    capsys: Any, tmp_path: Path, docx_component: Path, make_docx: Callable[..., bytes]
) -> None:
    path = tmp_path / "broken.docx"
    path.write_bytes(make_docx()[:-40])  # the ZIP central directory is cut
    code = _cli.main(["extract", str(path), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 1
    assert set(out) == {"error"}
    assert out["error"]["kind"] in ("corrupt", "unsupported_format")


# --- conductor chunk ---------------------------------------------------------------------

CHUNK_KEYS = ["index", "text", "tokens", "page_start", "page_end", "section", "char_start",
              "char_end"]  # fmt: skip


@pytest.fixture
def agenda_pdf(tmp_path: Path, make_pdf: Any, chunker_component: Path) -> Path:
    pdf = tmp_path / "agenda.pdf"
    pages = [
        "CITY COUNCIL AGENDA\n1. CALL TO ORDER\nThe Mayor opens the meeting.",
        "2. PUBLIC COMMENT\nSpeakers have three minutes each.\nCONSENT CALENDAR\nMinutes.",
    ]
    pdf.write_bytes(make_pdf(pages, title="Agenda"))
    return pdf


def test_chunk_json_contract(capsys: Any, agenda_pdf: Path) -> None:
    code = _cli.main(["chunk", str(agenda_pdf), "--json", "--max-tokens", "12"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0, out
    assert list(out) == ["source", "format", "page_count", "chunks"]
    assert (out["source"], out["format"], out["page_count"]) == (str(agenda_pdf), "pdf", 2)
    chunks = out["chunks"]
    assert len(chunks) > 2
    assert all(list(c) == CHUNK_KEYS for c in chunks)
    assert [c["index"] for c in chunks] == list(range(len(chunks)))
    assert all(c["tokens"] <= 12 for c in chunks)
    text = Extractor().extract(agenda_pdf).text
    assert "".join(c["text"] for c in chunks) == text
    assert all(text[c["char_start"] : c["char_end"]] == c["text"] for c in chunks)
    assert (chunks[0]["page_start"], chunks[-1]["page_end"]) == (1, 2)
    assert "1. CALL TO ORDER" in {c["section"] for c in chunks}


def test_chunk_options_reach_the_chunker(capsys: Any, agenda_pdf: Path) -> None:
    args = ["chunk", str(agenda_pdf), "--json", "--max-tokens", "16"]
    _cli.main(args)
    cl100k = json.loads(capsys.readouterr().out)["chunks"]
    _cli.main([*args, "--encoding", "o200k_base", "--overlap", "4"])
    o200k = json.loads(capsys.readouterr().out)["chunks"]
    assert o200k != cl100k
    assert any(b["char_start"] < a["char_end"] for a, b in itertools.pairwise(o200k))


def test_chunk_text_output_has_a_header_per_chunk(capsys: Any, agenda_pdf: Path) -> None:
    code = _cli.main(["chunk", str(agenda_pdf), "--max-tokens", "12"])
    out = capsys.readouterr().out
    assert code == 0
    headers = [line for line in out.splitlines() if line.startswith("--- CHUNK ")]
    assert headers[0].startswith("--- CHUNK 0 (pages 1-1, ")
    assert headers[0].endswith(", no section) ---")
    assert any("section 1. CALL TO ORDER) ---" in h for h in headers)
    assert all(h.endswith(" ---") and " tokens" in h for h in headers)


@pytest.mark.parametrize(
    ("args", "kind", "stage"),
    [
        (["--max-tokens", "0"], "invalid_config", "chunk"),
        (["--max-tokens", "8", "--overlap", "8"], "invalid_config", "chunk"),
        (["--encoding", "p50k_base"], "invalid_config", "chunk"),
        (["--max-tokens", "lots"], "invalid_argument", "cli"),
        (["--overlap", "1.5"], "invalid_argument", "cli"),
    ],
)
def test_chunk_config_errors_are_json(
    capsys: Any, agenda_pdf: Path, args: list[str], kind: str, stage: str
) -> None:
    code = _cli.main(["chunk", str(agenda_pdf), "--json", *args])
    captured = capsys.readouterr()
    assert (code, captured.err) == (1, "")
    out = json.loads(captured.out)
    assert set(out) == {"error"}
    assert (out["error"]["kind"], out["error"]["stage"]) == (kind, stage)


def test_chunk_extraction_errors_are_json_as_in_extract(capsys: Any, tmp_path: Path) -> None:
    code = _cli.main(["chunk", str(tmp_path / "nope.pdf"), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 1
    assert (out["error"]["kind"], out["error"]["stage"]) == ("io_error", "read")
    page = tmp_path / "agenda.pdf"
    page.write_bytes(b"\x00\x01 not a document")  # HTML would go to the shipped plugin
    code = _cli.main(["chunk", str(page), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert (code, out["error"]["kind"]) == (1, "unsupported_format")


@pytest.mark.parametrize(
    ("text", "args", "kind"),
    [
        ("MISBEHAVE error corrupt broken xref", [], "corrupt"),
        ("MISBEHAVE loop", ["--timeout", "0.5"], "timeout"),
    ],
)
def test_chunk_reports_extract_errors_like_extract(
    cli_misbehave: Any, capsys: Any, tmp_path: Path, text: str, args: list[str], kind: str
) -> None:
    doc = tmp_path / "bad.mis"
    doc.write_text(text)
    code = _cli.main(["chunk", str(doc), "--json", *args])
    out = json.loads(capsys.readouterr().out)
    assert code == 1
    assert (out["error"]["kind"], out["error"]["stage"]) == (kind, "extract")


def test_chunk_error_without_json_is_one_line_on_stderr(capsys: Any, agenda_pdf: Path) -> None:
    code = _cli.main(["chunk", str(agenda_pdf), "--max-tokens", "0"])
    out, err = capsys.readouterr()
    assert (code, out) == (1, "")
    assert err.startswith("conductor: ")
    assert err.count("\n") == 1


def test_chunk_unexpected_exceptions_become_json(
    capsys: Any, agenda_pdf: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args: Any, **kw: Any) -> Any:
        raise RuntimeError("surprise")

    monkeypatch.setattr(Extractor, "chunk", boom)
    code = _cli.main(["chunk", str(agenda_pdf), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 1
    assert out["error"]["kind"] == "plugin_failure"
    assert "RuntimeError" in out["error"]["message"]


def test_chunk_console_script_never_prints_a_traceback(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "conductor"
    if not script.exists():
        pytest.skip(f"console script not installed at {script}")
    proc = subprocess.run(
        [str(script), "chunk", str(tmp_path / "missing.pdf"), "--json", "--max-tokens", "0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1
    assert proc.stderr == ""
    assert json.loads(proc.stdout)["error"]["kind"] == "invalid_config"
