"""The ASGI layer in front of the API: API keys and request body caps, checked before a
route reads anything, so an unauthenticated or oversized upload is refused before it is
spooled (FastAPI parses a form body before it runs a route's dependencies)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ._auth import KeyRing

Caps = Callable[[str], int]


class _TooLarge(Exception):
    pass


def error_body(kind: str, stage: str, message: str) -> bytes:
    return json.dumps({"kind": kind, "stage": stage, "message": message}).encode()


async def _answer(
    send: Send, status: int, body: bytes, headers: Mapping[str, str] | None = None
) -> None:
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


class Guard:
    """Every ``/v1`` request needs ``Authorization: Bearer KEY`` with an accepted key (401
    otherwise); its key's hash goes to ``scope["state"]["owner"]``. Every request body is
    capped by ``caps(path)`` bytes: a larger ``Content-Length`` is refused at once, a
    body that grows past it while streaming (chunked) is cut and answered 413."""

    def __init__(self, app: ASGIApp, *, keys: Callable[[], KeyRing], caps: Caps) -> None:
        self.app = app
        self.keys = keys
        self.caps = caps

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        if path.startswith("/v1/") or path == "/v1":
            owner = self._owner(headers.get("authorization", ""))
            if owner is None:
                body = error_body(
                    "unauthorized",
                    "auth",
                    "a valid API key is needed: send the header 'Authorization: Bearer <key>'",
                )
                await _answer(send, 401, body, {"WWW-Authenticate": "Bearer"})
                return
            scope.setdefault("state", {})["owner"] = owner
        cap = self.caps(path)
        declared = headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > cap:
            await _answer(send, 413, _too_large(cap))
            return
        await self._capped(scope, receive, send, cap)

    def _owner(self, authorization: str) -> str | None:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        return self.keys().owner(token.strip())

    async def _capped(self, scope: Scope, receive: Receive, send: Send, cap: int) -> None:
        received = 0
        over = False
        started = False

        async def counted() -> Message:
            nonlocal received, over
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > cap:
                    over = True
                    raise _TooLarge
            return message

        async def guarded(message: Message) -> None:
            nonlocal started
            if over:
                # The route saw the body cut off (however it reported that): a 413 instead.
                if message["type"] == "http.response.start" and not started:
                    started = True
                    await _answer(send, 413, _too_large(cap))
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, guarded)
        except _TooLarge:
            if not started:
                await _answer(send, 413, _too_large(cap))


def _too_large(cap: int) -> bytes:
    return error_body(
        "too_large",
        "upload",
        f"the request body is larger than this server's limit of {cap:,} bytes",
    )


def owner_of(state: Any) -> str:
    """The authenticated key's hash that :class:`Guard` put in the request's state."""
    owner = getattr(state, "owner", None)
    assert isinstance(owner, str), "the Guard middleware must run before /v1 routes"
    return owner
