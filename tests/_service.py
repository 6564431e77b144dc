"""Helpers of the service tests: a real ``conductor serve`` subprocess on a free loopback
port, and a callback receiver (a real HTTP server on 127.0.0.1 taking POSTs)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

CONDUCTOR = Path(sys.executable).parent / "conductor"
PDF = "civic/agendaminer__mountain-view.pdf"
DOCX = "docx/pandoc__headers.docx"
KEY = "test-key-0123456789abcdef"
OTHER_KEY = "other-key-0123456789abcdef"
SECRET = "callback-secret-for-tests"
_LISTENING = re.compile(r"Uvicorn running on http://127\.0\.0\.1:(\d+)")


class Server:
    """``conductor serve --db DB --port 0 ...`` with two API keys and a callback secret;
    the port is read from uvicorn's log, so no port is guessed. Its stderr is kept
    (``log``) and shown when it fails to start."""

    def __init__(self, db: str | Path, *args: str) -> None:
        self.db = db
        self.args = args
        self.lines: list[str] = []
        self.port = 0
        self.proc: subprocess.Popen[str] | None = None
        self._reader: threading.Thread | None = None

    def start(self, timeout_s: float = 90.0) -> Server:
        env = {
            **os.environ,
            "CONDUCTOR_API_KEYS": f"{KEY},{OTHER_KEY}",
            "CONDUCTOR_CALLBACK_SECRET": SECRET,
        }
        cmd = [str(CONDUCTOR), "serve", "--db", str(self.db), "--port", "0", "--rate", "inf"]
        self.lines = []
        self.proc = subprocess.Popen(
            [*cmd, *self.args],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        found = threading.Event()
        self._reader = threading.Thread(target=self._read, args=(found,), daemon=True)
        self._reader.start()
        deadline = time.monotonic() + timeout_s
        while not found.wait(0.05):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.kill()
                raise AssertionError("conductor serve did not start:\n" + self.log)
        return self

    def _read(self, found: threading.Event) -> None:
        assert self.proc is not None
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line)
            match = _LISTENING.search(line)
            if match and not found.is_set():
                self.port = int(match.group(1))
                found.set()

    @property
    def log(self) -> str:
        return "".join(self.lines)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self, key: str | None = KEY) -> httpx.Client:
        headers = {} if key is None else {"Authorization": f"Bearer {key}"}
        return httpx.Client(base_url=self.url, headers=headers, timeout=90.0)

    def kill(self) -> None:
        """SIGKILL: no shutdown of any kind (a crash)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(30)
        self._reap()

    def stop(self) -> None:
        """SIGTERM, uvicorn's graceful shutdown."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()
        self._reap()

    def _reap(self) -> None:
        """After the exit: the rest of its log read, the pipe closed."""
        if self._reader is not None:
            self._reader.join(10)
        if self.proc is not None and self.proc.stderr is not None:
            self.proc.stderr.close()

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def cli_json(*args: str) -> dict[str, Any]:
    """What ``conductor ARGS --json`` prints (the objects the API must equal)."""
    out = subprocess.run(
        [str(CONDUCTOR), *args, "--json"], capture_output=True, text=True, check=True, timeout=120
    )
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def wait_job(client: httpx.Client, job_id: str, timeout_s: float = 60.0) -> dict[str, Any]:
    """The job once it ended (long-polls; fails after ``timeout_s``)."""
    deadline = time.monotonic() + timeout_s
    while True:
        job: dict[str, Any] = client.get(f"/v1/jobs/{job_id}", params={"wait": 20}).json()
        if job["status"] not in ("queued", "running"):
            return job
        assert time.monotonic() < deadline, f"job {job_id} did not end: {job}"


@dataclass
class Delivery:
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Receiver:
    """A callback receiver on 127.0.0.1: answers POSTs with ``statuses`` in order (the
    last repeating) and keeps every delivery."""

    def __init__(self, *statuses: int) -> None:
        self.statuses = list(statuses) or [200]
        self.deliveries: list[Delivery] = []
        self.arrived = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver.arrived:
                    n = len(receiver.deliveries)
                    headers = {k.lower(): v for k, v in self.headers.items()}
                    receiver.deliveries.append(Delivery(headers, body))
                    status = receiver.statuses[min(n, len(receiver.statuses) - 1)]
                    receiver.arrived.notify_all()
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}/hook"

    def wait_for(self, count: int, timeout_s: float = 60.0) -> list[Delivery]:
        with self.arrived:
            ok = self.arrived.wait_for(lambda: len(self.deliveries) >= count, timeout_s)
        assert ok, f"{len(self.deliveries)} callback(s) arrived, expected {count}"
        return list(self.deliveries)

    @contextmanager
    def running(self) -> Iterator[Receiver]:
        thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._httpd.shutdown()
            self._httpd.server_close()
