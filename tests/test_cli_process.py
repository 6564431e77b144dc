"""``conductor process`` and ``conductor show``, in process, against real files and a real
loopback server."""

from __future__ import annotations

import io
import json
import tempfile
from pathlib import Path
from typing import Any

import pytest

from _server import FaultServer, Reply
from conductor._cli import main

KEYS = ["source", "ok", "sha256", "format", "page_count", "chunks", "error"]


@pytest.fixture(autouse=True)
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    d = tmp_path / "dl"
    d.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(d))
    return tmp_path


def lines(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines()]


def test_process_json_success_and_default_database(
    server: FaultServer, make_pdf: Any, workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server.route("/a.pdf", Reply(body=make_pdf(["Agenda A", "Page two"])))
    local = workdir / "b.pdf"
    local.write_bytes(make_pdf(["Agenda B"]))
    assert main(["process", server.url("/a.pdf"), str(local), "--json"]) == 0
    got = lines(capsys.readouterr().out)
    assert len(got) == 2
    assert all(list(g) == KEYS for g in got)
    by_source = {g["source"]: g for g in got}
    assert by_source[server.url("/a.pdf")]["page_count"] == 2
    assert by_source[str(local)]["format"] == "pdf"
    assert all(g["ok"] and g["error"] is None and g["chunks"] == 1 for g in got)
    assert (workdir / "conductor.sqlite").is_file()

    assert main(["show"]) == 0
    out = capsys.readouterr().out
    assert "2 documents" in out
    assert server.url("/a.pdf") in out
    assert by_source[str(local)]["sha256"][:12] in out


def test_process_failure_exit_1_and_stdin(
    make_pdf: Any,
    workdir: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    good = workdir / "good.pdf"
    good.write_bytes(make_pdf(["fine"]))
    bad = workdir / "bad.pdf"
    bad.write_bytes(b"not a document at all")
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{good}\n\n{bad}\n"))
    assert main(["process", "-", "--db", "x.sqlite", "--json"]) == 1
    got = {g["source"]: g for g in lines(capsys.readouterr().out)}
    assert set(got) == {str(good), str(bad)}
    assert got[str(good)]["ok"] is True
    assert got[str(bad)]["ok"] is False
    assert list(got[str(bad)]["error"]) == ["kind", "stage", "message"]
    assert got[str(bad)]["error"]["kind"] == "unsupported_format"
    assert got[str(bad)]["error"]["stage"] == "detect"

    assert main(["show", "--db", "x.sqlite", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert len(shown["documents"]) == 1
    (failure,) = shown["failures"]
    assert (failure["key"], failure["stage"], failure["kind"]) == (
        str(bad),
        "detect",
        "unsupported_format",
    )


def test_process_summary_without_json(
    make_pdf: Any, workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = workdir / "good.pdf"
    good.write_bytes(make_pdf(["fine", "two"]))
    assert main(["process", str(good), str(workdir / "missing.pdf")]) == 1
    captured = capsys.readouterr()
    assert "1 ok, 1 failed, 2 pages, 1 chunks" in captured.out
    assert "missing.pdf" in captured.err
    assert "Traceback" not in captured.err


def test_bad_arguments_and_missing_database(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["process", "x.pdf", "--concurrency", "many", "--json"]) == 1
    (err,) = lines(capsys.readouterr().out)
    assert err["error"]["kind"] == "invalid_argument"
    assert main(["show", "--db", "nope.sqlite"]) == 1
    assert "nope.sqlite" in capsys.readouterr().err
    assert not (workdir / "nope.sqlite").exists()
