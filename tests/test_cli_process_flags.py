"""``conductor process`` flags (issue 13, item 7): the library's chunking, limits and
download-rate settings reach the batch, checked against a real loopback server and real
files."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest

from _server import FaultServer, Reply
from conductor import Conductor, _cli
from conductor._cli import main

pytestmark = pytest.mark.usefixtures("workdir")


def _lines(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines()]


def test_flags_reach_the_conductor(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seen: list[Conductor] = []

    class Spy(Conductor):
        def __init__(self, **kw: Any) -> None:
            super().__init__(**kw)
            seen.append(self)

        def iter_documents(self, *a: Any, **kw: Any) -> Any:
            return iter(())

    monkeypatch.setattr(_cli, "Conductor", Spy)
    args = ["--max-tokens", "64", "--overlap", "8", "--encoding", "o200k_base"]
    args += ["--timeout", "7.5", "--memory-mb", "256", "--rate", "4"]
    assert main(["process", "a.pdf", "--db", "x.sqlite", *args]) == 0
    [conductor] = seen
    assert (conductor.chunking.max_tokens, conductor.chunking.overlap_tokens) == (64, 8)
    assert conductor.chunking.encoding == "o200k_base"
    assert (conductor.limits.timeout_s, conductor.limits.memory_mb) == (7.5, 256)
    assert conductor.extractor.limits == conductor.limits
    assert conductor.fetch.rate_per_domain == 4.0


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--rate", "0", "--rate must be a number of requests per second above 0"),
        ("--rate", "nan", "--rate must be a number of requests per second above 0"),
        ("--max-tokens", "many", "--max-tokens must be an integer, got 'many'"),
        ("--timeout", "inf", "--timeout must be above 0 and at most 86,400, got 'inf'"),
        ("--memory-mb", "abc", "--memory-mb must be an integer, got 'abc'"),
    ],
)
def test_bad_flag_values_are_named(
    flag: str, value: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["process", "a.pdf", "--json", flag, value]) == 1
    error = json.loads(capsys.readouterr().out)["error"]
    assert (error["kind"], error["stage"]) == ("invalid_argument", "cli")
    assert error["message"].startswith(message)
    assert not Path("conductor.sqlite").exists()


def test_chunk_flags_shape_the_stored_chunks(
    make_pdf: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pdf = tmp_path / "agenda.pdf"
    lines = [f"Item {i} is approved." for i in range(150)]
    pdf.write_bytes(make_pdf(["\n".join(lines[p : p + 30]) for p in range(0, 150, 30)]))
    assert main(["process", str(pdf), "--json", "--db", "a.sqlite"]) == 0
    [default] = _lines(capsys.readouterr().out)
    assert main(["process", str(pdf), "--json", "--db", "b.sqlite", "--max-tokens", "40"]) == 0
    [small] = _lines(capsys.readouterr().out)
    assert default["ok"]
    assert small["ok"]
    assert default["chunks"] <= 3
    assert small["chunks"] >= 20


def test_rate_spaces_requests_to_one_host(
    server: FaultServer, make_pdf: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """At the default 0.5 requests/s, 4 URLs on one host take 6 s; at --rate 5, under 2 s,
    and never faster than 5/s."""
    urls = []
    for i in range(4):
        server.route(f"/{i}.pdf", Reply(body=make_pdf([f"Agenda {i}"])))
        urls.append(server.url(f"/{i}.pdf"))
    assert main(["process", *urls, "--json", "--rate", "5"]) == 0
    assert all(r["ok"] for r in _lines(capsys.readouterr().out))
    times = sorted(hit.t for hit in server.hits())
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert len(times) == 4
    assert min(gaps) >= 0.15
    assert times[-1] - times[0] < 2.0
