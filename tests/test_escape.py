"""Sandbox escape: a component that tries to reach the host (tests/components/escape).

The component probes files, directories, the host's working directory, environment
variables, arguments, process spawning, TCP and UDP sockets and name lookup (through
``wasi:sockets`` directly, since Rust's std on wasm32-wasip1 has no sockets), clocks and
randomness, and reports one line per probe: ``PROBE: denied (REASON)`` or
``PROBE: ALLOWED VALUE``. The test sets real targets up on the host (a secret file, a
listening TCP server, a bound UDP socket, an environment variable) and checks both the
report and that nothing arrived.

    .venv/bin/python scripts/build_plugins.py --only escape
"""

from __future__ import annotations

import os
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from _plugins import ComponentPlugin
from conductor import Extractor, Limits
from conductor._convert import options_to_wit, split_result
from conductor._registry import Registry
from conductor._sandbox import CallLimits, Sandbox

ROOT = Path(__file__).resolve().parent.parent
ESCAPE = ROOT / "build" / "components" / "escape.wasm"

GRANTED = {"random", "insecure seed"}
"""Probes WASI grants on purpose: randomness reveals nothing about the host."""
CLOCKS = {"clock wall", "clock monotonic"}


@pytest.fixture(scope="module")
def escape_component() -> Path:
    if not ESCAPE.is_file():
        pytest.skip(
            f"{ESCAPE.relative_to(ROOT)} is not built; run "
            "`python scripts/build_plugins.py --only escape`"
        )
    return ESCAPE


class Targets:
    """What the probes aim at: a TCP server and a UDP socket that count what reaches
    them, a secret file, a path that must not be created, a secret environment value."""

    def __init__(self, tmp: Path) -> None:
        self.tcp = socket.create_server(("127.0.0.1", 0))
        self.tcp.settimeout(0.05)
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", 0))
        self.udp.settimeout(0.05)
        self.connections = 0
        self.datagrams = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self.nonce = secrets.token_hex(8)
        self.secret = tmp / "secret.txt"
        self.secret.write_text(f"TOP SECRET {self.nonce}\n")
        self.write_target = tmp / "escaped.txt"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.tcp.accept()
                conn.close()
                self.connections += 1
            except TimeoutError:
                pass
            try:
                self.udp.recv(64)
                self.datagrams += 1
            except TimeoutError:
                pass

    def __enter__(self) -> Targets:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.tcp.close()
        self.udp.close()

    def document(self) -> bytes:
        tcp = "{}:{}".format(*self.tcp.getsockname())
        udp = "{}:{}".format(*self.udp.getsockname())
        return (
            f"secret {self.secret}\ncwd {os.getcwd()}\nwrite {self.write_target}\n"
            f"tcp {tcp}\nudp {udp}\nenv CONDUCTOR_ESCAPE_SECRET\nenv HOME\nenv PATH\n"
        ).encode()


def parse(report: str) -> dict[str, str]:
    """``{probe: outcome}`` from the component's report."""
    lines = [line.split(": ", 1) for line in report.splitlines()]
    assert all(len(parts) == 2 for parts in lines), report
    out = {probe: outcome for probe, outcome in lines}
    assert len(out) == len(lines), "a probe is reported twice"
    return out


@pytest.fixture(scope="module")
def run(
    escape_component: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[dict[str, str], Targets, str]]:
    """The probes run once through the real Extractor; the report, targets, raw text."""
    registry = Registry([ComponentPlugin("escape", ("escape",), ESCAPE)], entry_points=False)
    extractor = Extractor(
        Limits(memory_mb=64, timeout_s=20.0),
        registry=registry,
        cache_dir=tmp_path_factory.mktemp("component-cache"),
    )
    with pytest.MonkeyPatch.context() as mp, Targets(tmp_path_factory.mktemp("host")) as t:
        mp.setenv("CONDUCTOR_ESCAPE_SECRET", t.nonce)
        text = extractor.extract(t.document(), format="escape", name="escape-probe").text
        time.sleep(0.2)  # anything in flight reaches the listeners
        yield parse(text), t, text


EXPECTED_PROBES = {
    "read /etc/passwd",
    "read /proc/self/environ",
    "read ../../../../etc/hostname",
    "read pyproject.toml",
    "list /",
    "list .",
    "list /tmp",
    "env vars",
    "env CONDUCTOR_ESCAPE_SECRET",
    "env HOME",
    "env PATH",
    "args",
    "cwd",
    "spawn /bin/sh",
    "tcp wasi bind 127.0.0.1:0",
    "udp wasi bind 0.0.0.0:0",
    "dns wasi localhost",
    *CLOCKS,
    *GRANTED,
}


def test_every_probe_ran(run: tuple[dict[str, str], Targets, str]) -> None:
    report, t, _ = run
    host_cwd = os.getcwd()
    expected = EXPECTED_PROBES | {
        f"read {t.secret}",
        f"stat {t.secret}",
        f"read {host_cwd}/pyproject.toml",
        f"list {host_cwd}",
        f"write {t.write_target}",
    }
    tcp = "{}:{}".format(*t.tcp.getsockname())
    udp = "{}:{}".format(*t.udp.getsockname())
    expected |= {f"tcp std {tcp}", f"tcp wasi {tcp}", f"udp std {udp}"}
    assert set(report) == expected


def test_files_environment_processes_and_network_are_denied(
    run: tuple[dict[str, str], Targets, str],
) -> None:
    report, _, _ = run
    allowed = {
        p: o for p, o in report.items() if p not in GRANTED | CLOCKS and not o.startswith("denied")
    }
    assert allowed == {}


def test_the_host_refuses_sockets_itself(run: tuple[dict[str, str], Targets, str]) -> None:
    """The wasi:sockets calls reach wasmtime and are refused there, not by the guest."""
    report, t, _ = run
    tcp = "{}:{}".format(*t.tcp.getsockname())
    assert report[f"tcp wasi {tcp}"] == "denied (wasi:sockets access-denied)"
    assert report["tcp wasi bind 127.0.0.1:0"] == "denied (wasi:sockets access-denied)"
    assert report["udp wasi bind 0.0.0.0:0"] == "denied (wasi:sockets access-denied)"
    assert report["dns wasi localhost"].startswith("denied (wasi:sockets ")


def test_nothing_reached_the_host(run: tuple[dict[str, str], Targets, str]) -> None:
    report, t, text = run
    assert t.connections == 0
    assert t.datagrams == 0
    assert not t.write_target.exists()
    assert t.nonce not in text  # neither the secret file nor the secret variable leaked
    assert "root:" not in text
    assert report["cwd"] == "denied (guest sees /)"
    for var in ("HOME", "PATH"):
        assert report[f"env {var}"].startswith("denied"), var
        assert os.environ[var] not in text


def test_randomness_is_granted_and_fresh_per_document(
    escape_component: Path, run: tuple[dict[str, str], Targets, str]
) -> None:
    """wasi:random is granted (Rust's HashMap seeds need it); it carries no host data,
    and every document's fresh instance draws new values."""
    report, _, _ = run
    assert report["random"].startswith("ALLOWED ")
    again = parse(_live_report(escape_component))
    assert again["random"].startswith("ALLOWED ")
    assert again["random"] != report["random"]


def test_clocks_reveal_no_host_time(run: tuple[dict[str, str], Targets, str]) -> None:
    """The host shadows wasi:clocks (conductor._sandbox._linker): stopped clocks."""
    report, _, _ = run
    assert report["clock wall"] == "denied (stopped at the epoch)"
    assert report["clock monotonic"].startswith("denied")


def _live_report(component: Path) -> str:
    """The probes through a long-lived instance (the chunker's kind), without stdin."""
    sandbox = Sandbox(max_wasm_stack=1 << 20, cache_dir=None)
    live = sandbox.live(component, plugin="escape", stage="chunk")
    options = options_to_wit(None, max_chars_per_page=100_000, max_pages=10)
    result = live.call("extract", options, limits=CallLimits(64, 20.0, 1 << 20), document="live")
    value, error = split_result(result)
    assert error is None, error
    return str(value.pages[0].text)


def test_a_live_instance_grants_nothing_either(escape_component: Path) -> None:
    report = parse(_live_report(escape_component))
    allowed = {
        p: o for p, o in report.items() if p not in GRANTED | CLOCKS and not o.startswith("denied")
    }
    assert allowed == {}
    assert "read /etc/passwd" in report
