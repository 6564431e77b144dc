"""Encrypted PDFs opened with a password (issue 13, item 6): the library (``extract``,
``Extractor.extract``, per item of ``process_documents``) and the CLI (``--password`` on
``extract``, ``chunk`` and ``process``), on files qpdf encrypts at test time: AES-256
(revision 6), AES-128 (revision 4) and RC4 128-bit (revision 3).

A wrong or missing password is an ``encrypted`` error whose hint names the option, and
the password itself is never in an error, a result's JSON, a log line or the database.
"""

from __future__ import annotations

import json
import logging
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from _metrics import require_tool
from _pdfgen import build_pdf
from conductor import (
    Conductor,
    EncryptedDocumentError,
    Extractor,
    extract,
)
from conductor._convert import options_to_wit

USER = "user-secret-7"
OWNER = "owner-secret-9"
WRONG = "wrong-guess-3"
PAGES = [
    "Regular meeting of the city council\nCall to order at 7:00 PM",
    "Consent calendar item 5.A approved unanimously",
    "Adjournment at 9:15 PM",
]
TITLE = "Council minutes 2024"

# qpdf arguments per encryption kind: key length and its options.
KINDS = {
    "aes256-r6": ["256"],
    "aes128-r4": ["128", "--use-aes=y"],
    "rc4-r3": ["128", "--use-aes=n"],
}


def _encrypt(tmp_path: Path, kind: str, *, user: str = USER, owner: str = OWNER) -> Path:
    qpdf = require_tool("qpdf")
    plain = tmp_path / "plain.pdf"
    plain.write_bytes(build_pdf(PAGES, title=TITLE))
    out = tmp_path / f"{kind}.pdf"
    # qpdf warns (exit 3) about weak crypto for RC4; the file is written all the same.
    proc = subprocess.run(
        [qpdf, "--allow-weak-crypto", "--encrypt", user, owner, *KINDS[kind], "--", plain, out],
        capture_output=True,
        text=True,
    )
    assert proc.returncode in (0, 3), proc.stderr
    assert b"/Encrypt" in out.read_bytes()
    return out


@pytest.fixture(params=sorted(KINDS))
def encrypted(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    return _encrypt(tmp_path, request.param)


def _texts(doc_pages: list[str]) -> list[str]:
    return [" ".join(t.split()) for t in doc_pages]


def _expected() -> list[str]:
    return [" ".join(p.split()) for p in PAGES]


def test_user_password_decrypts_text_and_metadata(encrypted: Path) -> None:
    doc = extract(encrypted, password=USER)

    assert _texts([p.text for p in doc.pages]) == _expected()
    assert doc.metadata.title == TITLE
    assert doc.page_count == len(PAGES)


def test_missing_password_is_encrypted_error_naming_the_option(encrypted: Path) -> None:
    with pytest.raises(EncryptedDocumentError) as info:
        extract(encrypted)

    e = info.value
    assert e.kind == "encrypted"
    assert e.stage == "extract"
    assert e.document.endswith(encrypted.name)
    assert "password=" in e.hint
    assert "--password" in e.hint
    assert "qpdf --decrypt" not in str(e)


def test_wrong_password_is_encrypted_error_without_the_password(encrypted: Path) -> None:
    with pytest.raises(EncryptedDocumentError) as info:
        extract(encrypted, password=WRONG)

    e = info.value
    assert "does not open the document" in e.message
    assert "--password" in e.hint
    assert WRONG not in str(e)
    assert WRONG not in json.dumps(e.to_dict())


def test_empty_password_is_no_password(encrypted: Path) -> None:
    with pytest.raises(EncryptedDocumentError):
        extract(encrypted, password="")


def test_owner_password_opens_aes256(tmp_path: Path) -> None:
    doc = extract(_encrypt(tmp_path, "aes256-r6"), password=OWNER)

    assert _texts([p.text for p in doc.pages]) == _expected()


@pytest.mark.parametrize("kind", ["aes128-r4", "rc4-r3"])
def test_owner_password_of_older_revisions_asks_for_the_user_password(
    tmp_path: Path, kind: str
) -> None:
    # lopdf authenticates it but would derive the key as for a user password: garbage.
    with pytest.raises(EncryptedDocumentError) as info:
        extract(_encrypt(tmp_path, kind), password=OWNER)

    assert "owner password" in info.value.message
    assert "user password" in info.value.message
    assert OWNER not in str(info.value)


def test_empty_user_password_needs_none_and_ignores_one(tmp_path: Path) -> None:
    path = _encrypt(tmp_path, "aes256-r6", user="")

    assert _texts([p.text for p in extract(path).pages]) == _expected()
    assert _texts([p.text for p in extract(path, password=WRONG).pages]) == _expected()


def test_password_is_ignored_for_a_plain_document(tmp_path: Path) -> None:
    doc = extract(build_pdf(PAGES), password=USER)

    assert _texts([p.text for p in doc.pages]) == _expected()


def test_page_parallel_extraction_passes_the_password_to_every_range(tmp_path: Path) -> None:
    qpdf = require_tool("qpdf")
    pages = [f"Page {n} of the encrypted packet, item {n}.A" for n in range(1, 41)]
    plain = tmp_path / "plain.pdf"
    plain.write_bytes(build_pdf(pages))
    path = tmp_path / "big.pdf"
    subprocess.run(
        [qpdf, "--encrypt", USER, OWNER, "256", "--", plain, path], check=True, capture_output=True
    )
    extractor = Extractor(page_workers=3)
    extractor.parallel_min_bytes = 0
    calls: list[object] = []
    original = extractor._call

    def spy(call: object, pages: tuple[int, int] | None) -> object:
        calls.append(pages)
        return original(call, pages)  # type: ignore[arg-type]

    extractor._call = spy  # type: ignore[assignment,method-assign]
    doc = extractor.extract(path, password=USER)

    assert len(calls) >= 2, calls
    assert [" ".join(p.text.split()) for p in doc.pages] == pages


def test_password_never_in_the_call_repr() -> None:
    from conductor._extract import _Call

    fields = _Call.__dataclass_fields__
    assert fields["password"].repr is False


def test_options_carry_the_password() -> None:
    options = options_to_wit(None, max_chars_per_page=10, max_pages=10, password=USER)
    assert getattr(options, "password") == USER  # noqa: B009

    plain = options_to_wit(None, max_chars_per_page=10, max_pages=10)
    assert getattr(plain, "password") is None  # noqa: B009


# -- the pipeline ---------------------------------------------------------------------


def test_process_documents_takes_a_password_per_item(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "a").mkdir()
    first = _encrypt(tmp_path / "a", "rc4-r3")
    second = _encrypt(tmp_path, "aes256-r6", user="another-one")
    db = tmp_path / "db.sqlite"
    caplog.set_level(logging.DEBUG)
    with Conductor(database=db, workers=2) as conductor:
        results = conductor.process_documents(
            [
                {"path": str(first), "password": USER},
                {"path": str(second), "password": WRONG},
                {"path": str(second)},
                {"path": str(first), "password": 12345},
            ]
        )

    ok, wrong, missing, malformed = results
    assert ok.ok, ok.error
    assert ok.document is not None
    assert _texts([p.text for p in ok.document.pages]) == _expected()
    assert ok.chunks
    assert "Consent calendar" in " ".join(c.text for c in ok.chunks)
    for r in (wrong, missing):
        assert not r.ok
        assert isinstance(r.error, EncryptedDocumentError)
        assert "--password" in r.error.hint
    assert malformed.error is not None
    assert '"password" must be a string' in malformed.error.message
    assert "12345" not in malformed.source
    assert "<hidden>" in malformed.source

    shown = json.dumps([r.to_json_dict() for r in results]) + caplog.text
    for secret in (USER, WRONG):
        assert secret not in shown
    stored = db.read_bytes() + b"".join(
        p.read_bytes() for p in tmp_path.glob("db.sqlite*") if p != db
    )
    assert USER.encode() not in stored
    assert WRONG.encode() not in stored
    with sqlite3.connect(db) as con:
        kinds = [row[0] for row in con.execute("SELECT kind FROM failures")]
    assert kinds == ["encrypted"]


def test_an_encrypted_failure_is_retried_at_once_with_a_password(tmp_path: Path) -> None:
    path = _encrypt(tmp_path, "aes128-r4")
    db = tmp_path / "db.sqlite"
    with Conductor(database=db, workers=1) as conductor:
        (failed,) = conductor.process_documents([{"path": str(path)}])
        (skipped,) = conductor.process_documents([{"path": str(path)}])
        (opened,) = conductor.process_documents([{"path": str(path), "password": USER}])

    assert isinstance(failed.error, EncryptedDocumentError)
    assert skipped.skipped
    assert opened.ok, opened.error
    assert opened.document is not None
    assert _texts([p.text for p in opened.document.pages]) == _expected()


# -- the CLI --------------------------------------------------------------------------


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    beside = Path(sys.executable).with_name("conductor")
    exe = str(beside) if beside.exists() else shutil.which("conductor")
    if exe is None:
        pytest.fail("the conductor script is not installed")
    proc = subprocess.run([exe, *args], capture_output=True, text=True, timeout=300)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def test_cli_extract_and_chunk_take_password(tmp_path: Path) -> None:
    path = _encrypt(tmp_path, "aes256-r6")

    out = _cli("extract", str(path), "--json", "--password", USER)
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert _texts([p["text"] for p in doc["pages"]]) == _expected()
    assert USER not in out.stdout

    chunked = _cli("chunk", str(path), "--json", "--password", USER)
    assert chunked.returncode == 0, chunked.stderr
    assert "Consent calendar item 5.A" in chunked.stdout

    wrong = _cli("extract", str(path), "--json", "--password", WRONG)
    assert wrong.returncode == 1
    error = json.loads(wrong.stdout)["error"]
    assert error["kind"] == "encrypted"
    assert "--password" in error["message"]
    assert WRONG not in wrong.stdout + wrong.stderr


def test_cli_process_password_applies_to_every_source(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    first = _encrypt(tmp_path / "a", "rc4-r3")
    second = _encrypt(tmp_path, "aes256-r6")
    db = tmp_path / "db.sqlite"

    proc = _cli("process", str(first), str(second), "--db", str(db), "--json", "--password", USER)

    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [line["ok"] for line in lines] == [True, True]
    assert all(line["page_count"] == len(PAGES) for line in lines)
    assert USER not in proc.stdout + proc.stderr
    assert USER.encode() not in db.read_bytes()
