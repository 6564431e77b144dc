"""``conductor process`` and ``conductor show``, in process, against real files and a real
loopback server."""

from __future__ import annotations

import io
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from _server import FaultServer, Reply
from conductor._cli import main

KEYS = ["source", "ok", "sha256", "format", "page_count", "chunks", "error"]


pytestmark = pytest.mark.usefixtures("workdir")


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
    assert "1 ok, 1 failed, 2 pages, 1 chunk, 0 need OCR" in captured.out
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


# -- show: read-only, one document, OCR counts ---------------------------------------------


def test_show_never_writes_and_refuses_a_foreign_database(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = workdir / "other.sqlite"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE notes (body TEXT)")
        conn.execute("INSERT INTO notes VALUES ('mine')")
    conn.close()
    before = other.read_bytes()
    assert main(["show", "--db", str(other)]) == 1
    err = capsys.readouterr().err
    assert "not an engagic-conductor database" in err
    assert "notes" in err
    assert "Traceback" not in err
    assert other.read_bytes() == before
    with sqlite3.connect(other) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master")]
    assert tables == ["notes"]
    assert sorted(p.name for p in workdir.iterdir() if p.name.startswith("other")) == [
        "other.sqlite"
    ]
    # an empty file is not ours either, and stays empty
    empty = workdir / "empty.sqlite"
    empty.write_bytes(b"")
    assert main(["show", "--db", str(empty), "--json"]) == 1
    error = json.loads(capsys.readouterr().out)["error"]
    assert (error["kind"], error["stage"]) == ("database", "store")
    assert "it is empty" in error["message"]
    assert empty.read_bytes() == b""


def test_show_says_why_a_database_cannot_be_opened(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for db, why in [
        (workdir, "it is a directory"),
        (workdir / "no" / "such.sqlite", "no such directory"),
        (workdir / "missing.sqlite", "no such file"),
    ]:
        assert main(["show", "--db", str(db)]) == 1
        err = capsys.readouterr().err
        assert why in err, err
        assert "unable to open database file" not in err
    assert main(["process", str(workdir / "x.pdf"), "--db", str(workdir)]) == 1
    assert "it is a directory" in capsys.readouterr().err
    text = workdir / "notes.sqlite"
    text.write_text("hello, not a database " * 100)
    assert main(["show", "--db", str(text)]) == 1
    assert "not an SQLite file" in capsys.readouterr().err


def test_show_an_older_database_refuses_without_migrating_it(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from conductor._db import Database, load_migrations

    first = workdir / "m1"
    first.mkdir()
    (only,) = [m for m in load_migrations() if m.version == 1]
    (first / only.name).write_text(only.sql, encoding="utf-8")
    db = workdir / "old.sqlite"
    Database(db, migrations=first).close()
    assert main(["show", "--db", str(db)]) == 1
    err = capsys.readouterr().err
    assert "schema version is 1, older" in err
    assert "upgrade" in err
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT MAX(version) FROM schema_migrations").fetchone()[0] == 1


def test_show_one_document_its_text_and_chunks_and_ocr_counts(
    make_pdf: Any, corpus: Path, workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scanned = corpus / "civic" / "hackomaha__1303a_scanned.pdf"  # image-only pages
    plain = workdir / "plain.pdf"
    plain.write_bytes(make_pdf(["Minutes of the meeting", "Adjourned"]))
    # --ocr off: the text layer's verdict is counted here (OCR through process and show:
    # tests/test_ocr.py), and ten pages of OCR would only add time
    assert main(["process", str(scanned), str(plain), "--ocr", "off"]) == 0
    assert ", 1 needs OCR, " in capsys.readouterr().out
    db = workdir / "conductor.sqlite"
    before = db.read_bytes()

    assert main(["show"]) == 0
    out = capsys.readouterr().out
    assert "2 documents in conductor.sqlite, 1 needs OCR" in out
    assert main(["show", "--json"]) == 0
    docs = json.loads(capsys.readouterr().out)["documents"]
    by_name = {d["name"]: d for d in docs}
    pages = by_name[str(scanned)]["page_count"]
    assert by_name[str(scanned)]["ocr_pages"] == pages >= 1
    assert by_name[str(plain)]["ocr_pages"] == 0
    assert f"({pages} need OCR)" in out
    ocr_sha = by_name[str(scanned)]["sha256"]
    assert main(["show", ocr_sha[:10]]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{ocr_sha}  pdf  ")
    assert "need OCR: 1 (no_text_layer)" in out

    sha = by_name[str(plain)]["sha256"]
    assert main(["show", sha[:10]]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{sha}  pdf  2 pages  {plain}")
    assert "no page needs OCR" in out
    assert "extracted by: pdf " in out
    assert "max_tokens=512;overlap_tokens=0;encoding=cl100k_base" in out

    assert main(["show", sha[:10], "--text"]) == 0
    out = capsys.readouterr().out
    assert out == "--- PAGE 1 ---\nMinutes of the meeting\n--- PAGE 2 ---\nAdjourned\n"
    assert main(["show", sha.upper()[:10], "--text", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["sha256"] == sha
    assert [p["text"] for p in document["pages"]] == ["Minutes of the meeting", "Adjourned"]

    assert main(["show", sha[:10], "--chunks"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("--- CHUNK 0 (pages 1-2, ")
    assert "Minutes of the meeting" in out
    assert main(["show", sha[:10], "--chunks", "--json"]) == 0
    chunks = json.loads(capsys.readouterr().out)
    assert (chunks["source"], chunks["page_count"]) == (str(plain), 2)
    assert "Minutes of the meeting" in chunks["chunks"][0]["text"]
    assert main(["show", sha[:10], "--json"]) == 0
    one = json.loads(capsys.readouterr().out)
    assert one["document"]["sha256"] == sha
    assert [p["needs_ocr"] for p in one["pages"]] == [False, False]
    assert [c["chunks"] for c in one["chunkings"]] == [1]

    # a prefix matching nothing, or not hex; --text needs a document
    for bad in ("ffffffffffff0", "zz"):
        assert main(["show", bad]) == 1
        assert "no stored document" in capsys.readouterr().err
    assert main(["show", "--text", "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["error"]["kind"] == "invalid_argument"
    assert db.read_bytes() == before  # showing wrote nothing
