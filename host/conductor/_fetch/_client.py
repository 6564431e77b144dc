"""The downloader: one pooled ``httpx.AsyncClient``, per-host rate limits, connection caps
and circuit breakers, retries, redirects, streaming to a temp file under a size cap, and
HTML interstitials (Google Drive's confirm page, a page that links to one document)."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import random
import tempfile
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from urllib.parse import urlsplit

import httpx

from conductor._detect import BUILTIN, HEAD_BYTES
from conductor._errors import (
    AccessDeniedError,
    ConductorError,
    DownloadError,
    DownloadTimeoutError,
    NotADocumentError,
    NotFoundError,
    TooLargeError,
    UnsupportedFormatError,
    _DownloadFailure,
)

from ._breaker import CircuitBreaker
from ._config import FetchConfig
from ._limiter import RateLimiter
from ._links import (
    Page,
    absolute,
    charset_of,
    document_links,
    drive_confirm_url,
    host_of,
    is_google_host,
    is_google_sign_in,
    looks_like_html,
    parse_page,
    rewrite_url,
)
from ._result import Fetched
from ._retry import RETRYABLE_ERRORS, backoff_delay, is_retryable_status, parse_retry_after

log = logging.getLogger("conductor.fetch")

ACCEPT = (
    "application/pdf,application/vnd.openxmlformats-officedocument.wordprocessingml.document,"
    "text/html;q=0.5,*/*;q=0.1"
)
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_HOST_FAILURES = frozenset({"download_failed", "timeout"})
_HTML_READ = 2 * 1024 * 1024
"""How much of an HTML page is parsed for links."""
_CHUNK = 64 * 1024


@dataclass
class _Call:
    """One ``fetch`` call: what it was asked for and what it has spent."""

    url: str
    etag: str | None
    last_modified: str | None
    deadline: float
    attempts: int = 0


@dataclass
class _Redirect:
    status: int
    location: str


@dataclass
class _Status:
    """A response that is neither a body, a redirect nor 304."""

    status: int
    reason: str
    headers: httpx.Headers


@dataclass
class _Body:
    status: int
    headers: httpx.Headers
    path: Path
    size: int
    sha256: str
    final_url: str = ""

    def discard(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


@dataclass
class _NotModified:
    headers: httpx.Headers
    final_url: str = ""


class _Truncated(Exception):
    def __init__(self, got: int, expected: int) -> None:
        super().__init__(f"body truncated: got {got:,} of {expected:,} bytes")
        self.got = got
        self.expected = expected


_RETRY_ON: tuple[type[Exception], ...] = (*RETRYABLE_ERRORS, _Truncated)

HostGate = Callable[[str], contextlib.AbstractAsyncContextManager[object]]
"""Entered around each request to a host (the host's name is its argument)."""


class _Routing(httpx.AsyncBaseTransport):
    """Sends requests for some hosts to another origin (``FetchConfig.connect_to``),
    keeping the URL's host in the Host header."""

    def __init__(self, inner: httpx.AsyncBaseTransport, connect_to: Mapping[str, str]) -> None:
        self._inner = inner
        self._map = {h.lower(): httpx.URL(o) for h, o in connect_to.items()}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        origin = self._map.get(request.url.host)
        if origin is not None:
            request = httpx.Request(
                request.method,
                request.url.copy_with(scheme=origin.scheme, host=origin.host, port=origin.port),
                headers=request.headers,
                stream=request.stream,
                extensions=request.extensions,
            )
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


class Fetcher:
    """Downloads documents. Use as an async context manager (it owns one pooled
    ``httpx.AsyncClient``); :meth:`fetch` may be called concurrently.

    ``clock`` (monotonic seconds) and ``sleep`` drive rate limits, backoff and breakers;
    ``rng`` the backoff jitter. Tests may replace them. ``gate``, when given, is entered
    around every request to a host, inside this process's own per-host connection cap:
    the queue's workers pass a cap shared by every machine
    (:class:`conductor._queue.ClusterConnectionCap`).
    """

    def __init__(
        self,
        config: FetchConfig | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        rng: random.Random | None = None,
        gate: HostGate | None = None,
    ) -> None:
        self.config = config or FetchConfig()
        self._gate = gate
        self._clock = clock
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._limiter = RateLimiter(self.config.rate_for, clock=clock, sleep=sleep)
        self.breaker = CircuitBreaker(
            self.config.circuit_failures, self.config.circuit_cooldown_s, clock=clock
        )
        self._client: httpx.AsyncClient | None = None
        self._documents: asyncio.Semaphore | None = None
        self._slots: dict[str, asyncio.Semaphore] = {}

    async def __aenter__(self) -> Fetcher:
        if self._client is not None:
            raise RuntimeError("this Fetcher is already open")
        cfg = self.config
        limits = httpx.Limits(
            max_connections=None, max_keepalive_connections=max(10, cfg.concurrency * 2)
        )
        transport: httpx.AsyncBaseTransport | None = None
        if cfg.connect_to:
            transport = _Routing(httpx.AsyncHTTPTransport(limits=limits), cfg.connect_to)
        self._client = httpx.AsyncClient(
            transport=transport,
            limits=limits,
            timeout=httpx.Timeout(
                connect=cfg.connect_timeout_s,
                read=cfg.read_timeout_s,
                write=cfg.read_timeout_s,
                pool=None,
            ),
            follow_redirects=False,
            headers={"User-Agent": cfg.user_agent, "Accept": ACCEPT},
        )
        self._documents = asyncio.Semaphore(cfg.concurrency)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        expect_document: bool = True,
        html_documents: bool = False,
    ) -> Fetched:
        """Downloads ``url`` to a temp file.

        With ``etag``/``last_modified`` (from an earlier :class:`Fetched`) the request is
        conditional, and a 304 gives ``Fetched(not_modified=True, path=None)``. With
        ``expect_document`` an HTML page is not returned as it is: Drive's confirm page is
        confirmed, a page linking to exactly one document is followed (one level), and any
        other page is the document when ``html_documents`` (an HTML plugin is installed:
        an agenda published as a web page), else raises :class:`NotADocumentError`.

        :raises DownloadError: connection failures, 429/5xx after every retry, other 4xx,
            too many redirects, a URL that is not http(s).
        :raises NotFoundError: 404 or 410.
        :raises AccessDeniedError: 401, 403, or a Google sign-in page.
        :raises NotADocumentError: HTML instead of a document, see above.
        :raises DownloadTimeoutError: timeouts on every attempt, or ``total_timeout_s``.
        :raises CircuitOpenError: the host's circuit breaker is open; nothing was sent.
        :raises TooLargeError: (stage ``download``) the body is over ``max_bytes``.
        """
        if self._client is None or self._documents is None:
            raise RuntimeError("use the Fetcher inside `async with Fetcher(...)`")
        start = self._clock()
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise DownloadError(
                "cannot download it: only http:// and https:// URLs with a host are fetched",
                document=url,
                hint="give an http:// or https:// URL, or download it yourself and give the path",
            )
        host = host_of(url)
        trial = self.breaker.before(host, url)
        call = _Call(url, etag, last_modified, deadline=float("inf"))
        try:
            async with self._documents:
                call.deadline = self._clock() + self.config.total_timeout_s
                try:
                    async with asyncio.timeout(self.config.total_timeout_s):
                        result = await self._fetch(call, expect_document, html_documents)
                except TimeoutError:
                    raise DownloadTimeoutError(
                        f"the download took longer than total_timeout_s="
                        f"{self.config.total_timeout_s:g} s ({call.attempts} requests)",
                        document=url,
                    ) from None
        except _DownloadFailure as e:
            e.attempts = call.attempts
            if e.kind in _HOST_FAILURES:
                self.breaker.failure(host)
            else:
                self.breaker.success(host)
            raise
        except ConductorError:
            self.breaker.success(host)  # too large: the host answered
            raise
        except BaseException:
            self.breaker.release(host, trial)
            raise
        self.breaker.success(host)
        result.elapsed_s = self._clock() - start
        return result

    # -- one document: rewriting, interstitials ----------------------------------------

    async def _fetch(self, call: _Call, expect_document: bool, html_documents: bool) -> Fetched:
        hop = await self._follow(rewrite_url(call.url), call)
        confirmed = followed = False
        while isinstance(hop, _Body) and expect_document:
            body = hop
            try:
                if not self._is_html(body):
                    break
                page = _read_page(body)
                target = None
                if not confirmed and is_google_host(host_of(body.final_url)):
                    target = drive_confirm_url(page)
                    confirmed = target is not None
                if target is None:
                    links = document_links(page)
                    if followed or len(links) != 1:
                        if html_documents:
                            break  # the page itself is the document, for the HTML plugin
                        raise NotADocumentError(
                            _describe_page(body, page, links, followed), document=call.url
                        )
                    followed = True
                    target = rewrite_url(links[0])
            except BaseException:
                body.discard()
                raise
            body.discard()
            log.debug("%s: HTML at %s, following %s", call.url, body.final_url, target)
            hop = await self._follow(target, call)
        return self._result(call, hop)

    def _is_html(self, body: _Body) -> bool:
        try:
            BUILTIN.detect_path(body.path)
        except UnsupportedFormatError:
            with open(body.path, "rb") as f:
                head = f.read(4 * HEAD_BYTES)
            return looks_like_html(head, body.headers.get("content-type"))
        return False

    def _result(self, call: _Call, hop: _Body | _NotModified) -> Fetched:
        headers = hop.headers
        body = hop if isinstance(hop, _Body) else None
        return Fetched(
            url=call.url,
            final_url=hop.final_url,
            path=body.path if body else None,
            size=body.size if body else 0,
            sha256=body.sha256 if body else None,
            content_type=headers.get("content-type"),
            # a 304 may omit the validators: the caller's still hold
            etag=headers.get("etag") or (None if body else call.etag),
            last_modified=headers.get("last-modified") or (None if body else call.last_modified),
            status=body.status if body else 304,
            attempts=call.attempts,
            not_modified=body is None,
            elapsed_s=0.0,
        )

    # -- one URL: redirects ----------------------------------------------------------------

    async def _follow(self, url: str, call: _Call) -> _Body | _NotModified:
        chain = [url]
        current = url
        while True:
            if is_google_sign_in(current):
                raise AccessDeniedError(
                    f"Google asks to sign in ({current}): the file is private"
                    + ("" if self.config.google_token else " and no google_token is set"),
                    document=call.url,
                )
            hop = await self._request(current, call)
            if not isinstance(hop, _Redirect):
                hop.final_url = current
                return hop
            target = absolute(current, hop.location)
            if target is None:
                raise DownloadError(
                    f"{current} redirects to {hop.location!r}, which is not an http(s) URL",
                    document=call.url,
                )
            if len(chain) > self.config.max_redirects:
                what = "redirect loop" if target in chain else "too many redirects"
                raise DownloadError(
                    f"{what}: {_chain([*chain, target])} (more than max_redirects="
                    f"{self.config.max_redirects})",
                    document=call.url,
                )
            chain.append(target)
            current = target

    # -- one request: retries ----------------------------------------------------------------

    async def _request(self, url: str, call: _Call) -> _Body | _NotModified | _Redirect:
        cfg = self.config
        host = host_of(url)
        headers = self._headers(host, call)
        retry = 0
        while True:
            failure: BaseException | _Status
            try:
                hop = await self._attempt(url, host, headers, call)
            except _RETRY_ON as e:
                failure = e
                wait = backoff_delay(retry, cfg.backoff_base_s, cfg.backoff_max_s, self._rng)
            except (httpx.HTTPError, httpx.InvalidURL) as e:
                raise DownloadError(
                    f"request to {url} failed: {type(e).__name__}: {e}", document=call.url
                ) from e
            else:
                if not isinstance(hop, _Status):
                    return hop
                if not is_retryable_status(hop.status):
                    raise self._status_error(url, hop, call)
                failure = hop
                after = parse_retry_after(hop.headers.get("retry-after"))
                if after is not None:
                    wait = min(after, cfg.retry_after_cap_s)
                    self._limiter.defer(host, wait)
                else:
                    wait = backoff_delay(retry, cfg.backoff_base_s, cfg.backoff_max_s, self._rng)
            if retry >= cfg.max_retries or self._clock() + wait > call.deadline:
                raise self._give_up(url, failure, retry + 1, call)
            log.info(
                "%s: %s; retry %d/%d in %.2f s",
                url,
                _what(failure),
                retry + 1,
                cfg.max_retries,
                wait,
            )
            await self._sleep(wait)
            retry += 1

    def _headers(self, host: str, call: _Call) -> dict[str, str]:
        headers = {}
        if self.config.google_token and is_google_host(host):
            headers["Authorization"] = f"Bearer {self.config.google_token}"
        if call.etag:
            headers["If-None-Match"] = call.etag
        if call.last_modified:
            headers["If-Modified-Since"] = call.last_modified
        return headers

    async def _attempt(
        self, url: str, host: str, headers: dict[str, str], call: _Call
    ) -> _Body | _NotModified | _Redirect | _Status:
        assert self._client is not None
        slot = self._slots.get(host)
        if slot is None:
            slot = self._slots[host] = asyncio.Semaphore(self.config.per_domain_connections)
        gate = contextlib.nullcontext() if self._gate is None else self._gate(host)
        async with slot, gate:
            await self._limiter.acquire(host)
            call.attempts += 1
            async with self._client.stream("GET", url, headers=headers) as response:
                status = response.status_code
                if status in _REDIRECTS and "location" in response.headers:
                    return _Redirect(status, response.headers["location"])
                if status == 304:
                    return _NotModified(response.headers)
                if 200 <= status < 300:
                    return await self._stream(response, url, call)
                return _Status(status, response.reason_phrase, response.headers)

    async def _stream(self, response: httpx.Response, url: str, call: _Call) -> _Body:
        limit = self.config.max_bytes
        declared = _content_length(response.headers)
        if declared is not None and declared > limit:
            raise self._too_large(url, f"its Content-Length is {declared:,} bytes", call)
        fd, name = tempfile.mkstemp(prefix="conductor-dl-", suffix=".part")  # mode 0600
        path = Path(name)
        try:
            digest = hashlib.sha256()
            size = 0
            with os.fdopen(fd, "wb") as f:
                async for chunk in response.aiter_bytes(_CHUNK):
                    size += len(chunk)
                    if size > limit:
                        raise self._too_large(url, "the body kept coming", call)
                    digest.update(chunk)
                    f.write(chunk)
            raw = response.num_bytes_downloaded
            if declared is not None and raw < declared:
                raise _Truncated(raw, declared)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return _Body(response.status_code, response.headers, path, size, digest.hexdigest())

    # -- errors --------------------------------------------------------------------------------

    def _too_large(self, url: str, why: str, call: _Call) -> TooLargeError:
        where = "" if url == call.url else f" ({url})"
        return TooLargeError(
            f"the download is over the {self.config.max_bytes:,} byte limit{where}: {why}; "
            "stopped without reading the rest",
            document=call.url,
            stage="download",
            hint="raise FetchConfig.max_bytes if the document is legitimate",
        )

    def _status_error(self, url: str, hop: _Status, call: _Call) -> _DownloadFailure:
        # The error names the requested URL as its document; repeat the URL only when a
        # redirect led elsewhere.
        what = f"HTTP {hop.status} {hop.reason}".rstrip()
        what += "" if url == call.url else f" from {url}"
        if hop.status in (401, 403):
            google = is_google_host(host_of(url))
            hint = None
            if not google:
                hint = "the server refuses access; the document may need a login"
            elif self.config.google_token:
                hint = "the google_token cannot read this file; share it with the token's account"
            return AccessDeniedError(what, document=call.url, hint=hint)
        if hop.status in (404, 410):
            return NotFoundError(what, document=call.url)
        return DownloadError(what, document=call.url, hint="the server refused the request")

    def _give_up(
        self, url: str, failure: BaseException | _Status, tries: int, call: _Call
    ) -> _DownloadFailure:
        suffix = f" ({url}, {tries} attempt{'s' if tries > 1 else ''})"
        if isinstance(failure, httpx.TimeoutException):
            cfg = self.config
            limit = (
                cfg.connect_timeout_s
                if isinstance(failure, httpx.ConnectTimeout)
                else cfg.read_timeout_s
            )
            return DownloadTimeoutError(
                f"{_what(failure)} after {limit:g} s{suffix}", document=call.url
            )
        return DownloadError(_what(failure) + suffix, document=call.url)


def _what(failure: BaseException | _Status) -> str:
    if isinstance(failure, _Status):
        return f"HTTP {failure.status} {failure.reason}".rstrip()
    if isinstance(failure, _Truncated):
        return str(failure)
    if isinstance(failure, httpx.ConnectTimeout):
        return "connecting timed out"
    if isinstance(failure, httpx.TimeoutException):
        return "reading the response timed out"
    text = str(failure) or type(failure).__name__
    return f"connection failed: {text}"


def _content_length(headers: httpx.Headers) -> int | None:
    if headers.get("content-encoding", "identity").lower() not in ("identity", ""):
        return None  # Content-Length counts encoded bytes; checked against the raw count
    try:
        value = int(headers.get("content-length", ""))
    except ValueError:
        return None
    return value if value >= 0 else None


def _chain(urls: list[str]) -> str:
    if len(urls) > 8:
        urls = [*urls[:3], f"... ({len(urls) - 6} more)", *urls[-3:]]
    return " -> ".join(urls)


def _read_page(body: _Body) -> Page:
    with open(body.path, "rb") as f:
        data = f.read(_HTML_READ)
    charset = charset_of(body.headers.get("content-type"))
    try:
        text = data.decode(charset, "replace")
    except LookupError:
        text = data.decode("utf-8", "replace")
    return parse_page(text, body.final_url)


def _describe_page(body: _Body, page: Page, links: list[str], followed: bool) -> str:
    ctype = body.headers.get("content-type") or "no Content-Type"
    title = f"titled {page.title!r}" if page.title else "untitled"
    got = f"got an HTML page ({ctype}, {body.size:,} bytes, {title}) from {body.final_url}"
    if followed:
        return got + " after following the one document link of the first page"
    if not links:
        return got + ", and it links to no document"
    shown = ", ".join(links[:3]) + (", ..." if len(links) > 3 else "")
    return got + f", and it links to {len(links)} documents, not one: {shown}"


__all__ = ["Fetcher"]
