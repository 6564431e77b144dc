"""Downloads against a real HTTP server on 127.0.0.1 (tests/_server.py): retries, spacing
and Retry-After are measured from the server's own request log."""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import math
import os
import stat
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

import pytest

from _server import FaultServer, Hit, Reply
from conductor._errors import (
    AccessDeniedError,
    CircuitOpenError,
    ConductorError,
    DownloadError,
    DownloadTimeoutError,
    NotADocumentError,
    NotFoundError,
    TooLargeError,
)
from conductor._fetch import FetchConfig, Fetched, Fetcher, rewrite_url
from conductor._fetch._links import (
    document_links,
    drive_confirm_url,
    is_google_host,
    looks_like_html,
    parse_page,
)
from conductor._fetch._retry import backoff_delay, parse_retry_after

T = TypeVar("T")
GOOGLE_HOSTS = ("drive.google.com", "docs.google.com", "drive.usercontent.google.com")
HTML = "text/html; charset=utf-8"


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


pytestmark = pytest.mark.usefixtures("private_tempdir")


@pytest.fixture(scope="module")
def pdf(corpus: Path) -> bytes:
    return (corpus / "civic" / "agendaminer__mountain-view.pdf").read_bytes()


def config(server: FaultServer, **overrides: Any) -> FetchConfig:
    """Fast test defaults: no rate limit, tiny backoffs, Google hosts routed to ``server``."""
    values: dict[str, Any] = {
        "rate_per_domain": math.inf,
        "max_retries": 3,
        "backoff_base_s": 0.01,
        "backoff_max_s": 0.05,
        "connect_timeout_s": 2.0,
        "read_timeout_s": 2.0,
        "total_timeout_s": 20.0,
        "connect_to": dict.fromkeys(GOOGLE_HOSTS, server.origin),
    }
    values.update(overrides)
    return FetchConfig(**values)


def fetch(cfg: FetchConfig, url: str, **kwargs: Any) -> Fetched:
    async def go() -> Fetched:
        async with Fetcher(cfg) as fetcher:
            return await fetcher.fetch(url, **kwargs)

    return run(go())


def fetch_error(cfg: FetchConfig, url: str, **kwargs: Any) -> ConductorError:
    with pytest.raises(ConductorError) as info:
        fetch(cfg, url, **kwargs)
    return info.value


SLACK_S = 0.04
"""The limiter spaces requests when they are sent; the server sees them after connection
set-up and scheduling, which varies by some milliseconds (tens on a loaded machine)."""


def gaps(hits: list[Hit]) -> list[float]:
    return [b.t - a.t for a, b in itertools.pairwise(hits)]


def assert_pdf(got: Fetched, pdf: bytes) -> None:
    assert got.path is not None
    assert got.path.read_bytes() == pdf
    assert got.size == len(pdf)
    assert got.sha256 == hashlib.sha256(pdf).hexdigest()
    assert not got.not_modified


# -- the happy path -----------------------------------------------------------------------


def test_serves_a_corpus_pdf(server: FaultServer, pdf: bytes, private_tempdir: Path) -> None:
    server.route("/agenda.pdf", Reply(body=pdf, headers={"ETag": '"v1"'}))
    got = fetch(config(server), server.url("/agenda.pdf"))
    assert_pdf(got, pdf)
    assert got.path is not None
    assert got.path.parent == private_tempdir
    assert stat.S_IMODE(os.stat(got.path).st_mode) == 0o600
    assert (got.url, got.final_url) == (server.url("/agenda.pdf"),) * 2
    assert (got.status, got.attempts, got.content_type, got.etag) == (
        200,
        1,
        "application/pdf",
        '"v1"',
    )
    assert got.elapsed_s > 0
    hit = server.hits("/agenda.pdf")[0]
    assert hit.headers["user-agent"].startswith("engagic-conductor/")
    assert "authorization" not in hit.headers
    got.discard()
    got.discard()
    assert list(private_tempdir.iterdir()) == []


def test_pdf_served_as_html_is_still_a_pdf(server: FaultServer, pdf: bytes) -> None:
    server.route("/report", Reply(body=pdf, content_type=HTML))
    got = fetch(config(server), server.url("/report"))
    assert_pdf(got, pdf)
    assert got.content_type == HTML


def test_docx_is_returned(server: FaultServer, corpus: Path) -> None:
    docx = (corpus / "docx" / "pandoc__headers.docx").read_bytes()
    server.route("/minutes.docx", Reply(body=docx, content_type="application/octet-stream"))
    got = fetch(config(server), server.url("/minutes.docx"))
    assert got.path is not None
    assert got.path.read_bytes() == docx


# -- retries ------------------------------------------------------------------------------


def test_429_honours_retry_after(server: FaultServer, pdf: bytes) -> None:
    server.route("/busy.pdf", Reply(429, headers={"Retry-After": "1"}), Reply(body=pdf))
    got = fetch(config(server), server.url("/busy.pdf"))
    assert_pdf(got, pdf)
    assert got.attempts == 2
    hits = server.hits("/busy.pdf")
    assert [h.status for h in hits] == [429, 200]
    assert gaps(hits)[0] >= 1.0


def test_retry_after_is_capped(server: FaultServer, pdf: bytes) -> None:
    server.route("/slowdown.pdf", Reply(503, headers={"Retry-After": "3600"}), Reply(body=pdf))
    got = fetch(config(server, retry_after_cap_s=0.3), server.url("/slowdown.pdf"))
    assert got.attempts == 2
    assert 0.3 <= gaps(server.hits("/slowdown.pdf"))[0] < 1.5


def test_5xx_then_success(server: FaultServer, pdf: bytes) -> None:
    server.route("/flaky.pdf", Reply(500), Reply(502), Reply(body=pdf))
    got = fetch(config(server), server.url("/flaky.pdf"))
    assert_pdf(got, pdf)
    assert got.attempts == 3
    assert [h.status for h in server.hits("/flaky.pdf")] == [500, 502, 200]


def test_5xx_gives_up_after_max_retries(server: FaultServer) -> None:
    server.route("/down.pdf", Reply(503, b"down", "text/plain"))
    err = fetch_error(config(server, max_retries=2), server.url("/down.pdf"))
    assert isinstance(err, DownloadError)
    assert (err.kind, err.stage, err.attempts) == ("download_failed", "download", 3)
    assert "HTTP 503" in err.message
    assert "3 attempts" in err.message
    assert server.url("/down.pdf") in str(err)
    assert len(server.hits("/down.pdf")) == 3


def test_connection_reset_then_success(server: FaultServer, pdf: bytes) -> None:
    server.route("/reset.pdf", Reply(body=pdf, reset_after=20_000), Reply(body=pdf))
    got = fetch(config(server), server.url("/reset.pdf"))
    assert_pdf(got, pdf)
    assert got.attempts == 2
    assert server.hits("/reset.pdf")[0].bytes_sent == 20_000


def test_truncated_body_is_retried(server: FaultServer, pdf: bytes) -> None:
    server.route("/short.pdf", Reply(body=pdf[:30_000], declared_length=len(pdf)), Reply(body=pdf))
    got = fetch(config(server), server.url("/short.pdf"))
    assert_pdf(got, pdf)
    assert got.attempts == 2


def test_truncated_every_time_is_a_download_error(
    server: FaultServer, pdf: bytes, private_tempdir: Path
) -> None:
    server.route("/short.pdf", Reply(body=pdf[:30_000], declared_length=len(pdf)))
    err = fetch_error(config(server, max_retries=1), server.url("/short.pdf"))
    assert isinstance(err, DownloadError)
    assert "complete message body" in err.message or "truncated" in err.message
    assert len(server.hits("/short.pdf")) == 2
    assert list(private_tempdir.iterdir()) == []


def test_slow_body_times_out_then_a_fast_attempt_succeeds(server: FaultServer, pdf: bytes) -> None:
    server.route("/slow.pdf", Reply(body=pdf, stall_s=0.8), Reply(body=pdf))
    got = fetch(config(server, read_timeout_s=0.3), server.url("/slow.pdf"))
    assert_pdf(got, pdf)
    assert got.attempts == 2


def test_slow_body_every_time_is_a_timeout(server: FaultServer, pdf: bytes) -> None:
    server.route("/slow.pdf", Reply(body=pdf, stall_s=0.8))
    err = fetch_error(config(server, read_timeout_s=0.2, max_retries=2), server.url("/slow.pdf"))
    assert isinstance(err, DownloadTimeoutError)
    assert (err.kind, err.stage, err.attempts) == ("timeout", "download", 3)
    assert "timed out" in err.message
    assert len(server.hits("/slow.pdf")) == 3


def test_total_timeout_bounds_the_whole_download(server: FaultServer, pdf: bytes) -> None:
    server.route("/slow.pdf", Reply(body=pdf, stall_s=0.8))
    start = time.monotonic()
    err = fetch_error(
        config(server, read_timeout_s=5.0, total_timeout_s=0.4), server.url("/slow.pdf")
    )
    assert isinstance(err, DownloadTimeoutError)
    assert "total_timeout_s" in err.message
    assert time.monotonic() - start < 0.75


@pytest.mark.parametrize(
    ("status", "error", "kind"),
    [
        (404, NotFoundError, "not_found"),
        (410, NotFoundError, "not_found"),
        (401, AccessDeniedError, "access_denied"),
        (403, AccessDeniedError, "access_denied"),
        (400, DownloadError, "download_failed"),
    ],
)
def test_other_4xx_are_not_retried(
    server: FaultServer, status: int, error: type[ConductorError], kind: str
) -> None:
    server.route("/x.pdf", Reply(status, b"no", "text/plain"))
    err = fetch_error(config(server), server.url("/x.pdf"))
    assert type(err) is error
    assert (err.kind, err.stage) == (kind, "download")
    assert f"HTTP {status}" in err.message
    assert len(server.hits("/x.pdf")) == 1


def test_retries_are_rate_limited(server: FaultServer, pdf: bytes) -> None:
    server.route("/flaky.pdf", Reply(500), Reply(500), Reply(body=pdf))
    fetch(config(server, rate_per_domain=5.0), server.url("/flaky.pdf"))
    assert all(g >= 0.2 - SLACK_S for g in gaps(server.hits("/flaky.pdf")))


# -- redirects and size -------------------------------------------------------------------


def test_redirects_are_followed(server: FaultServer, pdf: bytes) -> None:
    server.route("/old", Reply(301, headers={"Location": "/moved"}))
    server.route("/moved", Reply(302, headers={"Location": server.url("/doc.pdf")}))
    server.route("/doc.pdf", Reply(body=pdf))
    got = fetch(config(server), server.url("/old"))
    assert_pdf(got, pdf)
    assert got.final_url == server.url("/doc.pdf")
    assert got.attempts == 3


def test_redirect_loop_is_named(server: FaultServer) -> None:
    server.route("/a", Reply(302, headers={"Location": "/b"}))
    server.route("/b", Reply(302, headers={"Location": "/a"}))
    err = fetch_error(config(server, max_redirects=5), server.url("/a"))
    assert isinstance(err, DownloadError)
    assert "redirect loop" in err.message
    assert f"{server.url('/a')} -> {server.url('/b')} -> {server.url('/a')}" in err.message
    assert len(server.hits()) == 6  # the first request and five redirects


def test_oversize_body_is_stopped_while_streaming(
    server: FaultServer, private_tempdir: Path
) -> None:
    total = 64 * 1024 * 1024
    server.route("/huge.pdf", Reply(body=b"%PDF-1.7\n", stream_bytes=total))
    err = fetch_error(config(server, max_bytes=1024 * 1024), server.url("/huge.pdf"))
    assert isinstance(err, TooLargeError)
    assert (err.kind, err.stage) == ("too_large", "download")
    hit = server.hits("/huge.pdf")[0]
    assert hit.done.wait(5)
    assert hit.bytes_sent < total // 4  # the server was cut off, not drained
    assert len(server.hits()) == 1  # not retried
    assert list(private_tempdir.iterdir()) == []


def test_oversize_content_length_is_rejected_before_the_body(server: FaultServer) -> None:
    server.route("/huge.pdf", Reply(body=b"%PDF-1.7\n", declared_length=10**9, stall_s=0.5))
    err = fetch_error(config(server, max_bytes=1024 * 1024), server.url("/huge.pdf"))
    assert isinstance(err, TooLargeError)
    assert "Content-Length is 1,000,000,000" in err.message
    hit = server.hits("/huge.pdf")[0]
    assert hit.done.wait(5)
    assert hit.bytes_sent <= 9


# -- HTML in place of a document ----------------------------------------------------------

PAGE = """<!DOCTYPE html><html><head><title>Council  Agenda
</title></head><body><nav><a href="/">Home</a> <a href="/meetings">Meetings</a>
<a href="mailto:clerk@example.org">Clerk</a></nav>{links}</body></html>"""


@pytest.mark.parametrize(
    "href",
    [
        "/files/agenda.pdf",
        "files/Agenda.PDF#page=2",
        "/DocumentCenter/View/1234/Agenda",
        "/Granicus/MetaViewer.php?view_id=2&clip_id=77&meta_id=9",
        "/Legistar/View.ashx?M=A&ID=99&GUID=abc",
        "/Portal/ViewFile?id=5",
        "/api/meetings/12/Download",
    ],
)
def test_interstitial_with_one_document_link_is_followed(
    server: FaultServer, pdf: bytes, href: str
) -> None:
    page = PAGE.format(links=f'<p>Download: <a href="{href}">agenda</a> <a href="{href}">x</a>')
    server.route("/meeting/7", Reply(body=page.encode(), content_type=HTML))
    target = "/" + href.lstrip("/").split("#")[0]
    if not href.startswith("/"):
        target = "/meeting/" + href.split("#")[0]
    server.route(target.split("?")[0], Reply(body=pdf, content_type="application/octet-stream"))
    got = fetch(config(server), server.url("/meeting/7"))
    assert_pdf(got, pdf)
    assert got.final_url == server.url(target)
    assert got.attempts == 2


def test_iframe_viewer_page_is_followed(server: FaultServer, pdf: bytes) -> None:
    page = PAGE.format(links='<iframe src="/viewer/packet.pdf"></iframe>')
    server.route("/view", Reply(body=page.encode(), content_type=HTML))
    server.route("/viewer/packet.pdf", Reply(body=pdf))
    assert_pdf(fetch(config(server), server.url("/view")), pdf)


@pytest.mark.parametrize(
    ("links", "says"),
    [
        ("<p>No agenda yet.</p>", "links to no document"),
        ('<a href="/a.pdf">A</a> <a href="/b.docx">B</a>', "links to 2 documents"),
    ],
)
def test_interstitial_without_exactly_one_link_is_not_a_document(
    server: FaultServer, links: str, says: str, private_tempdir: Path
) -> None:
    server.route("/meeting/8", Reply(body=PAGE.format(links=links).encode(), content_type=HTML))
    err = fetch_error(config(server), server.url("/meeting/8"))
    assert isinstance(err, NotADocumentError)
    assert (err.kind, err.stage) == ("not_a_document", "download")
    assert says in err.message
    assert "text/html" in err.message
    assert "'Council Agenda'" in err.message
    assert server.url("/meeting/8") in str(err)
    assert len(server.hits()) == 1
    assert list(private_tempdir.iterdir()) == []


def test_real_listing_page_is_not_a_document(server: FaultServer, corpus: Path) -> None:
    page = (corpus / "html" / "cityscrapersakr__akr_city_council.html").read_bytes()
    server.route("/council", Reply(body=page, content_type=None))
    err = fetch_error(config(server), server.url("/council"))
    assert isinstance(err, NotADocumentError)
    assert "documents, not one" in err.message


def test_with_html_documents_a_page_is_the_document(
    server: FaultServer, corpus: Path, pdf: bytes
) -> None:
    page = (corpus / "html" / "cityscrapersakr__akr_city_council.html").read_bytes()
    server.route("/council", Reply(body=page, content_type="text/html; charset=utf-8"))
    got = fetch(config(server), server.url("/council"), html_documents=True)
    assert got.path is not None
    assert got.path.read_bytes() == page
    assert got.sha256 == hashlib.sha256(page).hexdigest()
    assert got.content_type == "text/html; charset=utf-8"
    got.discard()
    # an interstitial with one document link is still followed
    one = PAGE.format(links='<a href="/packet.pdf">Agenda packet</a>')
    server.route("/meeting/9", Reply(body=one.encode(), content_type=HTML))
    server.route("/packet.pdf", Reply(body=pdf))
    assert_pdf(fetch(config(server), server.url("/meeting/9"), html_documents=True), pdf)


def test_interstitial_is_followed_one_level_only(server: FaultServer) -> None:
    server.route("/p1", Reply(body=PAGE.format(links='<a href="/p2.pdf">x</a>').encode()))
    server.route("/p2.pdf", Reply(body=PAGE.format(links='<a href="/p3.pdf">x</a>').encode()))
    err = fetch_error(config(server), server.url("/p1"))
    assert isinstance(err, NotADocumentError)
    assert "after following" in err.message
    assert [h.path for h in server.hits()] == ["/p1", "/p2.pdf"]


def test_html_is_returned_when_no_document_is_expected(server: FaultServer) -> None:
    server.route("/page", Reply(body=PAGE.format(links="").encode(), content_type=HTML))
    got = fetch(config(server), server.url("/page"), expect_document=False)
    assert got.path is not None
    assert got.path.read_bytes().startswith(b"<!DOCTYPE html>")


# -- Google --------------------------------------------------------------------------------

CONFIRM_FORM = """<!DOCTYPE html><html><head><title>Google Drive - Virus scan warning</title>
</head><body><p>Google Drive can't scan this file for viruses.</p>
<form id="download-form" action="https://drive.usercontent.google.com/download" method="get">
<input type="submit" id="uc-download-link" value="Download anyway"/>
<input type="hidden" name="id" value="{id}"><input type="hidden" name="export" value="download">
<input type="hidden" name="confirm" value="t"><input type="hidden" name="uuid" value="u-1">
</form></body></html>"""
CONFIRM_LINK = """<html><head><title>Google Drive - Virus scan warning</title></head><body>
<a href="/">Drive</a>
<a id="uc-download-link" href="/uc?export=download&amp;confirm=AbCd&amp;id={id}">Download
anyway</a></body></html>"""
FILE_ID = "1AbCdEfGhIjKlMnOpQrStUvWxYz012345"


def test_drive_share_link_with_confirm_form(server: FaultServer, pdf: bytes) -> None:
    server.route("/uc", Reply(body=CONFIRM_FORM.format(id=FILE_ID).encode(), content_type=HTML))
    server.route("/download", Reply(body=pdf))
    got = fetch(config(server), f"https://drive.google.com/file/d/{FILE_ID}/view?usp=sharing")
    assert_pdf(got, pdf)
    first, second = server.hits()
    assert (first.host, first.path, first.query) == (
        "drive.google.com",
        "/uc",
        {"export": ["download"], "id": [FILE_ID]},
    )
    assert second.host == "drive.usercontent.google.com"
    assert second.query["confirm"] == ["t"]
    assert second.query["uuid"] == ["u-1"]
    assert got.final_url.startswith("https://drive.usercontent.google.com/download?id=")


def test_drive_open_link_with_old_confirm_link(server: FaultServer, pdf: bytes) -> None:
    def uc(hit: Hit) -> Reply:
        if "confirm" in hit.query:
            return Reply(body=pdf)
        return Reply(body=CONFIRM_LINK.format(id=FILE_ID).encode(), content_type=HTML)

    server.route("/uc", uc)
    got = fetch(config(server), f"https://drive.google.com/open?id={FILE_ID}")
    assert_pdf(got, pdf)
    assert [h.query.get("confirm") for h in server.hits()] == [None, ["AbCd"]]


def test_google_docs_link_is_exported(server: FaultServer, corpus: Path) -> None:
    docx = (corpus / "docx" / "pandoc__lists.docx").read_bytes()
    server.route(f"/document/d/{FILE_ID}/export", Reply(body=docx))
    got = fetch(config(server), f"https://docs.google.com/document/d/{FILE_ID}/edit#heading=h.1")
    assert got.path is not None
    assert got.path.read_bytes() == docx
    assert server.hits()[0].query == {"format": ["docx"]}


def test_gview_is_unwrapped(server: FaultServer, pdf: bytes) -> None:
    server.route("/packet.pdf", Reply(body=pdf))
    got = fetch(
        config(server),
        f"https://docs.google.com/gview?url={server.url('/packet.pdf')}&embedded=true",
    )
    assert_pdf(got, pdf)
    assert [(h.host, h.path) for h in server.hits()] == [("127.0.0.1", "/packet.pdf")]


def test_token_is_sent_to_google_hosts_only(server: FaultServer, pdf: bytes) -> None:
    server.route("/uc", Reply(302, headers={"Location": server.url("/mirror.pdf")}))
    server.route("/mirror.pdf", Reply(body=pdf))
    cfg = config(server, google_token="sekrit")
    assert_pdf(fetch(cfg, f"https://drive.google.com/file/d/{FILE_ID}/view"), pdf)
    assert_pdf(fetch(cfg, server.url("/mirror.pdf", host="localhost")), pdf)
    seen = [(h.host, h.path, h.headers.get("authorization")) for h in server.hits()]
    assert seen == [
        ("drive.google.com", "/uc", "Bearer sekrit"),
        ("127.0.0.1", "/mirror.pdf", None),
        ("localhost", "/mirror.pdf", None),
    ]


def test_private_google_file_is_access_denied(server: FaultServer) -> None:
    login = "https://accounts.google.com/ServiceLogin?continue=https://drive.google.com/uc"
    server.route("/uc", Reply(302, headers={"Location": login}))
    err = fetch_error(config(server), f"https://drive.google.com/file/d/{FILE_ID}/view")
    assert isinstance(err, AccessDeniedError)
    assert (err.kind, err.stage) == ("access_denied", "download")
    assert "sign in" in err.message
    assert "google_token" in str(err)
    assert [h.host for h in server.hits()] == ["drive.google.com"]


def test_google_403_is_access_denied_with_a_token_hint(server: FaultServer) -> None:
    server.route(f"/document/d/{FILE_ID}/export", Reply(403, b"denied", HTML))
    err = fetch_error(config(server), f"https://docs.google.com/document/d/{FILE_ID}/edit")
    assert isinstance(err, AccessDeniedError)
    assert "google_token" in err.hint
    assert len(server.hits()) == 1


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            f"https://drive.google.com/file/d/{FILE_ID}/view?usp=sharing",
            f"https://drive.google.com/uc?export=download&id={FILE_ID}",
        ),
        (
            f"https://drive.google.com/u/1/file/d/{FILE_ID}/preview",
            f"https://drive.google.com/uc?export=download&id={FILE_ID}",
        ),
        (
            f"https://drive.google.com/open?id={FILE_ID}",
            f"https://drive.google.com/uc?export=download&id={FILE_ID}",
        ),
        (
            f"https://drive.google.com/file/d/{FILE_ID}/view?resourcekey=0-xyz",
            f"https://drive.google.com/uc?export=download&id={FILE_ID}&resourcekey=0-xyz",
        ),
        (
            f"https://drive.google.com/uc?export=download&id={FILE_ID}&confirm=t",
            f"https://drive.google.com/uc?export=download&id={FILE_ID}&confirm=t",
        ),
        (
            f"https://docs.google.com/document/d/{FILE_ID}/edit?usp=sharing",
            f"https://docs.google.com/document/d/{FILE_ID}/export?format=docx",
        ),
        (
            f"https://docs.google.com/document/u/0/d/{FILE_ID}/",
            f"https://docs.google.com/document/d/{FILE_ID}/export?format=docx",
        ),
        (
            f"https://docs.google.com/presentation/d/{FILE_ID}/edit#slide=id.p",
            f"https://docs.google.com/presentation/d/{FILE_ID}/export?format=pdf",
        ),
        (
            f"https://docs.google.com/spreadsheets/d/{FILE_ID}/edit",
            f"https://docs.google.com/spreadsheets/d/{FILE_ID}/export?format=pdf",
        ),
        (
            f"https://docs.google.com/document/d/{FILE_ID}/export?format=pdf",
            f"https://docs.google.com/document/d/{FILE_ID}/export?format=pdf",
        ),
        (
            "https://docs.google.com/viewer?url=https%3A%2F%2Fcity.gov%2Fa.pdf&embedded=true",
            "https://city.gov/a.pdf",
        ),
        (
            "https://docs.google.com/gview?url=https://city.gov/a.pdf",
            "https://city.gov/a.pdf",
        ),
        (
            f"https://docs.google.com/viewer?url=https://drive.google.com/open?id%3D{FILE_ID}",
            f"https://drive.google.com/uc?export=download&id={FILE_ID}",
        ),
        ("https://docs.google.com/document/d/e/2PACX-1v/pub", None),
        ("https://city.legistar.com/View.ashx?M=F&ID=1", None),
        ("https://docs.google.com/gview?url=javascript:alert(1)", None),
    ],
)
def test_google_link_rewriting(url: str, expected: str | None) -> None:
    assert rewrite_url(url) == (expected or url)


def test_google_hosts() -> None:
    for host in ("google.com", "drive.google.com", "lh3.googleusercontent.com", "DOCS.GOOGLE.COM"):
        assert is_google_host(host)
    for host in ("evilgoogle.com", "google.com.evil.org", "googleusercontent.co", "127.0.0.1"):
        assert not is_google_host(host)


def test_page_parsing() -> None:
    page = parse_page(
        '<base href="https://city.gov/docs/"><title>T</title><a href="a.pdf">a</a>'
        '<a href="https://drive.google.com/file/d/' + FILE_ID + '/view">d</a>'
        '<meta http-equiv="refresh" content="0; url=/x/Agenda.docx"><a href="#top">t</a>'
        '<object data="b.PDF"></object><a href="javascript:void(0)">j</a>',
        "https://city.gov/meeting",
    )
    assert page.title == "T"
    assert document_links(page) == [
        "https://city.gov/docs/a.pdf",
        f"https://drive.google.com/file/d/{FILE_ID}/view",
        "https://city.gov/x/Agenda.docx",
        "https://city.gov/docs/b.PDF",
    ]
    assert drive_confirm_url(page) is None
    confirm = drive_confirm_url(
        parse_page(CONFIRM_FORM.format(id="X"), "https://drive.google.com/uc?id=X")
    )
    assert confirm == (
        "https://drive.usercontent.google.com/download?id=X&export=download&confirm=t&uuid=u-1"
    )


def test_html_sniffing() -> None:
    assert looks_like_html(b"\xef\xbb\xbf  <!doctype html><html>")
    assert looks_like_html(b"<!-- c --><html lang=en>")
    assert looks_like_html(b"<title>x</title>")
    assert looks_like_html(b"Error 500", "text/html; charset=utf-8")
    assert not looks_like_html(b"Error 500", "text/plain")
    assert not looks_like_html(b"\x00\x01binary", "text/html")


# -- politeness: rate limits and circuit breakers -----------------------------------------


def test_requests_to_one_host_are_spaced_and_hosts_are_independent(
    server: FaultServer, pdf: bytes
) -> None:
    server.route("/doc.pdf", Reply(body=pdf))
    cfg = config(server, rate_per_domain=4.0, concurrency=8)
    hosts = ("127.0.0.1", "localhost")

    async def go() -> list[Fetched]:
        async with Fetcher(cfg) as fetcher:
            urls = [server.url(f"/doc.pdf?n={i}", host=h) for i in range(4) for h in hosts]
            return await asyncio.gather(*(fetcher.fetch(u) for u in urls))

    start = time.monotonic()
    results = run(go())
    elapsed = time.monotonic() - start
    assert len(results) == 8
    for got in results:
        got.discard()
    per_host = {h: server.hits("/doc.pdf", host=h) for h in hosts}
    for hits in per_host.values():
        assert len(hits) == 4
        assert min(gaps(hits)) >= 0.25 - SLACK_S
    assert abs(per_host["127.0.0.1"][0].t - per_host["localhost"][0].t) < 0.15
    assert elapsed < 1.5  # 0.75 s per host in parallel, not 1.75 s in series


def test_connections_per_host_and_documents_at_once_are_capped(
    server: FaultServer, pdf: bytes
) -> None:
    server.route("/slow.pdf", Reply(body=pdf, stall_s=0.2))

    async def go(cfg: FetchConfig, hosts: list[str]) -> None:
        async with Fetcher(cfg) as fetcher:
            urls = [server.url(f"/slow.pdf?n={i}", host=h) for i, h in enumerate(hosts)]
            for got in await asyncio.gather(*(fetcher.fetch(u) for u in urls)):
                got.discard()

    # one connection per host: three documents from one host go one after another
    run(go(config(server, per_domain_connections=1, concurrency=5), ["127.0.0.1"] * 3))
    assert min(gaps(server.hits())) >= 0.2 - SLACK_S
    # one document at once: two hosts go one after another too
    server.log.clear()
    run(go(config(server, concurrency=1), ["127.0.0.1", "localhost"]))
    assert gaps(server.hits())[0] >= 0.2 - SLACK_S
    # by default they overlap
    server.log.clear()
    run(go(config(server), ["127.0.0.1", "localhost", "127.0.0.1"]))
    assert max(gaps(server.hits())) < 0.15


def test_cancelled_download_leaves_no_temp_file_and_frees_the_trial(
    server: FaultServer, pdf: bytes, private_tempdir: Path
) -> None:
    server.route("/stuck.pdf", Reply(body=pdf, stall_s=1.0))
    server.route("/fail.pdf", Reply(500))
    server.route("/ok.pdf", Reply(body=pdf))
    cfg = config(server, max_retries=0, circuit_failures=1, circuit_cooldown_s=0.0)

    async def go() -> None:
        async with Fetcher(cfg) as fetcher:
            with pytest.raises(DownloadError):
                await fetcher.fetch(server.url("/fail.pdf"))
            assert fetcher.breaker.state("127.0.0.1") == "half_open"  # cool-down of 0 s
            task = asyncio.create_task(fetcher.fetch(server.url("/stuck.pdf")))  # the trial
            await asyncio.sleep(0.3)
            assert len(list(private_tempdir.iterdir())) == 1  # streaming into it
            with pytest.raises(CircuitOpenError, match="trial"):
                await fetcher.fetch(server.url("/ok.pdf"))
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            (await fetcher.fetch(server.url("/ok.pdf"))).discard()  # the trial was freed
            assert fetcher.breaker.state("127.0.0.1") == "closed"

    run(go())
    assert list(private_tempdir.iterdir()) == []


def test_domain_rate_override(server: FaultServer, pdf: bytes) -> None:
    server.route("/doc.pdf", Reply(body=pdf))
    cfg = config(server, rate_per_domain=math.inf, domain_rates={"localhost": 5.0})
    assert cfg.rate_for("localhost") == 5.0
    assert cfg.rate_for("sub.localhost") == 5.0
    assert cfg.rate_for("127.0.0.1") == math.inf

    async def go() -> None:
        async with Fetcher(cfg) as fetcher:
            for host in ("localhost", "localhost", "127.0.0.1", "127.0.0.1"):
                (await fetcher.fetch(server.url("/doc.pdf", host=host))).discard()

    run(go())
    assert gaps(server.hits(host="localhost"))[0] >= 0.2 - SLACK_S
    assert gaps(server.hits(host="127.0.0.1"))[0] < 0.15


def test_circuit_opens_fails_fast_and_closes_after_cooldown(
    server: FaultServer, pdf: bytes
) -> None:
    healthy = False

    def route(hit: Hit) -> Reply:
        return Reply(body=pdf) if healthy else Reply(500)

    server.route("/doc.pdf", route)
    server.route("/ok.pdf", Reply(body=pdf))
    cfg = config(server, max_retries=0, circuit_failures=3, circuit_cooldown_s=0.5)
    url = server.url("/doc.pdf")

    async def go() -> None:
        nonlocal healthy
        async with Fetcher(cfg) as fetcher:
            for _ in range(3):
                with pytest.raises(DownloadError):
                    await fetcher.fetch(url)
            assert fetcher.breaker.state("127.0.0.1") == "open"
            with pytest.raises(CircuitOpenError) as info:
                await fetcher.fetch(url)
            err = info.value
            assert (err.kind, err.stage, err.attempts) == ("circuit_open", "download", 0)
            assert "until" in err.message
            assert 0 < err.retry_after_s <= 0.5
            assert len(server.hits()) == 3  # failed fast: nothing reached the server
            # another host is not affected
            (await fetcher.fetch(server.url("/ok.pdf", host="localhost"))).discard()
            await asyncio.sleep(0.55)
            # half-open: the trial fails, the circuit opens again
            with pytest.raises(DownloadError):
                await fetcher.fetch(url)
            with pytest.raises(CircuitOpenError):
                await fetcher.fetch(url)
            await asyncio.sleep(0.55)
            healthy = True
            (await fetcher.fetch(url)).discard()
            assert fetcher.breaker.state("127.0.0.1") == "closed"
            (await fetcher.fetch(url)).discard()

    run(go())
    assert len(server.hits(host="127.0.0.1")) == 6


def test_not_found_does_not_open_the_circuit(server: FaultServer) -> None:
    cfg = config(server, circuit_failures=2)

    async def go() -> None:
        async with Fetcher(cfg) as fetcher:
            for _ in range(4):
                with pytest.raises(NotFoundError):
                    await fetcher.fetch(server.url("/gone.pdf"))

    run(go())
    assert len(server.hits()) == 4


# -- conditional GET ----------------------------------------------------------------------


def test_conditional_get_304(server: FaultServer, pdf: bytes) -> None:
    stamp = "Tue, 24 Nov 2026 10:00:00 GMT"

    def route(hit: Hit) -> Reply:
        if hit.headers.get("if-none-match") == '"v1"':
            return Reply(304, content_type=None, headers={"ETag": '"v1"'})
        return Reply(body=pdf, headers={"ETag": '"v1"', "Last-Modified": stamp})

    server.route("/agenda.pdf", route)
    cfg = config(server)
    first = fetch(cfg, server.url("/agenda.pdf"))
    assert (first.etag, first.last_modified) == ('"v1"', stamp)
    first.discard()
    again = fetch(cfg, server.url("/agenda.pdf"), etag=first.etag, last_modified=stamp)
    assert again.not_modified
    assert (again.path, again.sha256, again.size, again.status) == (None, None, 0, 304)
    assert (again.etag, again.last_modified) == ('"v1"', stamp)
    hit = server.hits()[1]
    assert hit.headers["if-none-match"] == '"v1"'
    assert hit.headers["if-modified-since"] == stamp
    assert "if-none-match" not in server.hits()[0].headers


# -- small parts --------------------------------------------------------------------------


def test_retry_after_parsing() -> None:
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(" 1.5 ") == 1.5
    assert parse_retry_after("-3") == 0.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    now = 1_800_000_000.0
    date = "Fri, 15 Jan 2027 08:00:30 GMT"  # 1_800_000_030
    assert parse_retry_after(date, now=now) == pytest.approx(30.0)
    assert parse_retry_after(date, now=now + 100) == 0.0


def test_backoff_is_exponential_with_full_jitter() -> None:
    class Top:
        def uniform(self, a: float, b: float) -> float:
            return b

    top: Any = Top()
    assert [backoff_delay(n, 0.5, 30.0, top) for n in range(8)] == [
        0.5,
        1.0,
        2.0,
        4.0,
        8.0,
        16.0,
        30.0,
        30.0,
    ]
    assert all(0 <= backoff_delay(3, 0.5, 30.0) <= 4.0 for _ in range(100))


def test_config_is_validated() -> None:
    for bad in (
        {"concurrency": 0},
        {"rate_per_domain": 0},
        {"domain_rates": {"x.org": -1}},
        {"read_timeout_s": float("nan")},
        {"connect_to": {"a.org": "127.0.0.1:80"}},
    ):
        with pytest.raises(ValueError, match="FetchConfig"):
            FetchConfig(**bad)


def test_non_http_urls_are_refused() -> None:
    async def go() -> None:
        async with Fetcher() as fetcher:
            with pytest.raises(DownloadError, match="only http:// and https:// URLs"):
                await fetcher.fetch("file:///etc/passwd")

    run(go())


@pytest.mark.parametrize(
    ("cls", "kind"),
    [
        (DownloadError, "download_failed"),
        (NotFoundError, "not_found"),
        (AccessDeniedError, "access_denied"),
        (NotADocumentError, "not_a_document"),
        (DownloadTimeoutError, "timeout"),
        (CircuitOpenError, "circuit_open"),
    ],
)
def test_download_errors_have_kind_stage_hint(cls: type[ConductorError], kind: str) -> None:
    err = cls("it broke", document="https://city.gov/a.pdf")
    assert (err.kind, err.stage) == (kind, "download")
    assert err.hint == cls.default_hint
    assert cls.__doc__
    assert err.to_dict() == {"kind": kind, "stage": "download", "message": str(err)}
    assert str(err).startswith("https://city.gov/a.pdf: it broke [stage: download; hint: ")
