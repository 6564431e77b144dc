"""Job callbacks: the outbox sender, the signature and the callback URL policy.

When a job ends, the transaction that ends it writes an outbox row
(:meth:`JobStore.finish`); :class:`CallbackSender` POSTs each due row's body with
``X-Conductor-Signature: sha256=<hex HMAC-SHA256 of the body>`` and retries failures
(connection errors, non-2xx answers) with exponential backoff, so a restart or a receiver
that is down loses no callback. Callback URLs that name or resolve to loopback, private,
link-local or reserved addresses are refused unless private callbacks are allowed: the
server must not become a client's way into its own network.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import socket
import threading
import time
from urllib.parse import urlsplit

import httpx

from ._store import Callback, JobStore

log = logging.getLogger("conductor.service.callbacks")

SIGNATURE_HEADER = "X-Conductor-Signature"


def sign(secret: bytes, body: bytes) -> str:
    """The signature header's value for ``body``."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def _private(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    return not ip.is_global or ip.is_multicast


def url_problem(url: str, *, allow_private: bool, resolve: bool) -> str | None:
    """Why ``url`` cannot be a callback URL, or ``None``. A literal address is checked
    as it is; a host name too when ``resolve`` (each address it resolves to)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "a callback URL must be an absolute http or https URL"
    if allow_private:
        return None
    host = parts.hostname
    if host == "localhost" or host.endswith(".localhost"):
        return f"callback host {host} is loopback (allowed only with --allow-private-callbacks)"
    try:
        addresses = [str(ipaddress.ip_address(host))]
    except ValueError:
        if not resolve:
            return None
        try:
            infos = socket.getaddrinfo(host, parts.port or 443, type=socket.SOCK_STREAM)
        except OSError as e:
            return f"callback host {host} does not resolve: {e}"
        addresses = [str(info[4][0]) for info in infos]
    for address in addresses:
        if _private(address):
            return (
                f"callback host {host} is a loopback, private or reserved address "
                f"({address}); allowed only with --allow-private-callbacks"
            )
    return None


class CallbackSender:
    """A thread delivering the outbox's due callbacks.

    :param retry_base_s: the first retry waits this long; each further one twice as long,
        at most ``retry_max_s``.
    :param max_attempts: attempts before the callback is given up (status ``failed``).
    """

    def __init__(
        self,
        store: JobStore,
        secret: bytes | None,
        *,
        allow_private: bool,
        retry_base_s: float = 1.0,
        retry_max_s: float = 300.0,
        max_attempts: int = 8,
        timeout_s: float = 10.0,
    ) -> None:
        self.store = store
        self.secret = secret
        self.allow_private = allow_private
        self.retry_base_s = retry_base_s
        self.retry_max_s = retry_max_s
        self.max_attempts = max_attempts
        self._client = httpx.Client(timeout=timeout_s, follow_redirects=False)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="conductor-callbacks", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        """A job ended: look at the outbox now rather than at the next poll."""
        self._wake.set()

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(15)
        self._client.close()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                for callback in self.store.due_callbacks(time.time()):
                    if self._stop.is_set():
                        return
                    self._deliver(callback)
            except Exception:
                log.exception("the callback sender failed; trying again")
            self._wake.wait(0.5)
            self._wake.clear()

    def _deliver(self, callback: Callback) -> None:
        problem = url_problem(callback.url, allow_private=self.allow_private, resolve=True)
        if problem is not None:
            log.warning("callback refused: %s", problem, extra={"job_id": callback.job_id})
            self.store.callback_done(callback.job_id, delivered=False, error=problem)
            return
        if self.secret is None:
            why = "no callback secret is configured (CONDUCTOR_CALLBACK_SECRET)"
            self.store.callback_done(callback.job_id, delivered=False, error=why)
            return
        body = callback.body.encode()
        headers = {
            **callback.headers,
            "Content-Type": "application/json",
            "X-Conductor-Job": callback.job_id,
            SIGNATURE_HEADER: sign(self.secret, body),
        }
        error: str | None
        try:
            response = self._client.post(callback.url, content=body, headers=headers)
            error = None if response.is_success else f"HTTP {response.status_code}"
        except httpx.HTTPError as e:
            error = f"{type(e).__name__}: {e}"
        attempts = callback.attempts + 1
        if error is None:
            log.info("callback delivered", extra={"job_id": callback.job_id})
            self.store.callback_done(callback.job_id, delivered=True, error=None)
        elif attempts >= self.max_attempts:
            log.warning("callback given up: %s", error, extra={"job_id": callback.job_id})
            self.store.callback_done(callback.job_id, delivered=False, error=error)
        else:
            wait = min(self.retry_max_s, self.retry_base_s * 2.0 ** (attempts - 1))
            log.info(
                "callback failed (%s), retry in %.1f s",
                error,
                wait,
                extra={"job_id": callback.job_id},
            )
            self.store.callback_retry(callback.job_id, at=time.time() + wait, error=error)
