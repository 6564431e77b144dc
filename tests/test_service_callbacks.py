"""The callback URL policy and signature, without a server (the delivery itself, retries
included, is tested end to end in tests/test_service.py)."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from conductor._service._callbacks import sign, url_problem


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "http://localhost/hook",
        "http://api.localhost/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://172.16.5.4/hook",
        "http://169.254.169.254/latest/meta-data",  # cloud metadata
        "http://[::1]/hook",
        "http://[fd00::1]/hook",
        "http://0.0.0.0/hook",
    ],
)
def test_private_callback_urls_are_refused(url: str) -> None:
    problem = url_problem(url, allow_private=False, resolve=False)
    assert problem is not None
    assert "--allow-private-callbacks" in problem
    assert url_problem(url, allow_private=True, resolve=False) is None


def test_public_and_malformed_callback_urls() -> None:
    assert url_problem("https://93.184.216.34/hook", allow_private=False, resolve=False) is None
    # a name is only checked once resolved (at delivery)
    assert url_problem("https://hooks.example.org/x", allow_private=False, resolve=False) is None
    for bad in ("ftp://example.org/x", "/etc/passwd", "http:///nohost"):
        problem = url_problem(bad, allow_private=True, resolve=False)
        assert problem is not None
        assert "http or https" in problem


def test_signature_is_hmac_sha256_of_the_body() -> None:
    body = b'{"job_id": "x", "status": "succeeded"}'
    digest = hmac.new(b"k", body, hashlib.sha256).hexdigest()
    assert sign(b"k", body) == f"sha256={digest}"
    assert sign(b"other", body) != sign(b"k", body)
