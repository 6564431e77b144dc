"""What the CLI says when something is wrong (issue 13, item 15): each message names the
thing once, in the user's terms, and says what to do."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from _server import FaultServer
from conductor._cli import main

pytestmark = pytest.mark.usefixtures("workdir")


@pytest.mark.parametrize("command", ["extract", "chunk"])
def test_a_url_given_to_extract_points_to_process(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([command, "http://example.com/agenda.pdf"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(
        "conductor: http://example.com/agenda.pdf: this is a URL, not a file: extract reads "
        "a path (or bytes), it does not download [stage: read; hint: download and extract "
        "URLs with `conductor process URL`"
    )
    assert "no such file" not in err


def test_an_ftp_source_is_a_url_the_downloader_refuses(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["process", "ftp://example.com/a.pdf", "--json"]) == 1
    [line] = capsys.readouterr().out.splitlines()
    error = json.loads(line)["error"]
    assert (error["kind"], error["stage"]) == ("download_failed", "download")
    assert error["message"].startswith(
        "ftp://example.com/a.pdf: cannot download it: only http:// and https:// URLs"
    )


def test_a_404_names_its_url_once(server: FaultServer, capsys: pytest.CaptureFixture[str]) -> None:
    url = server.url("/gone.pdf")
    assert main(["process", url]) == 1
    out, err = capsys.readouterr()
    assert err == (
        f"conductor: {url}: not_found: HTTP 404 Not Found [stage: download; hint: check the "
        "URL; the document may have been moved or removed]\n"
    )
    assert err.count(url) == 1
    assert out.startswith("0 ok, 1 failed, 0 pages, 0 chunks, ")


def test_counts_of_one_are_singular(
    make_pdf: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pdf = tmp_path / "one.pdf"
    pdf.write_bytes(make_pdf(["Call to order."]))
    assert main(["process", str(pdf), "--db", "one.sqlite"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("1 ok, 0 failed, 1 page, 1 chunk, ")
    assert main(["show", "--db", "one.sqlite"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("1 document in one.sqlite")
    assert "   1 page      1 chunk  " in out.splitlines()[1]


def test_a_memory_limit_while_loading_is_the_documents_error_only(
    make_pdf: Any,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    pdf = tmp_path / "one.pdf"
    pdf.write_bytes(make_pdf(["Call to order."]))
    assert main(["extract", str(pdf), "--memory-mb", "1"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(f"conductor: {pdf}: plugin 'pdf' needed more than the 1 MiB")
    assert err.count("\n") == 1
    assert "broken" not in err
    # The CLI user would see a logged warning on stderr too: there must be none.
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
