"""A party's client rides out a service restart: retry with backoff, then one clear error.

The transport is faked (httpx.MockTransport): this tests the reaction to faults."""

from __future__ import annotations

import logging

import httpx
import pytest

from ledger_service.core.errors import ChainUnavailable
from ledger_service.tenders import service_http


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def sleep(self, s: float) -> None:
        self.slept.append(s)
        self.now += s

    def clock(self) -> float:
        return self.now


def _client(answers: list[object]) -> tuple[httpx.Client, list[bytes]]:
    seen: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.read())
        a = answers.pop(0)
        if isinstance(a, Exception):
            raise a
        assert isinstance(a, int)
        return httpx.Response(a, json={"ok": a})

    return httpx.Client(base_url="http://svc", transport=httpx.MockTransport(handler)), seen


def test_retries_connect_errors_and_503_then_answers(caplog: pytest.LogCaptureFixture) -> None:
    t = FakeTime()
    http, seen = _client([httpx.ConnectError("refused"), 503, httpx.ReadError("reset"), 201])
    with caplog.at_level(logging.WARNING, "chainwitness.client"):
        resp = service_http.call(http, "POST", "/v1/x?a=1", content=lambda: iter([b"ab", b"c"]),
                                 sleep=t.sleep, clock=t.clock)  # fmt: skip
    assert resp.status_code == 201
    assert seen == [b"abc"] * 4  # the body is made afresh for every attempt
    assert t.slept == [0.5, 1.0, 2.0]
    lines = [r.getMessage() for r in caplog.records]
    assert lines[0] == ("service unreachable (POST http://svc/v1/x: ConnectError: refused); "
                        "retrying in 0.5 s")  # fmt: skip
    assert "HTTP 503" in lines[1] and all(r.exc_info is None for r in caplog.records)


def test_gives_up_after_retry_s_with_one_clear_error() -> None:
    t = FakeTime()
    http, _ = _client([httpx.ConnectError("refused")] * 100)
    with pytest.raises(ChainUnavailable, match=r"expected the service to answer GET http://svc/v1/t, "
                       r"found after 5 attempt\(s\) in 10 s: ConnectError: refused"):  # fmt: skip
        service_http.call(http, "GET", "/v1/t", retry_s=10, sleep=t.sleep, clock=t.clock)
    assert t.slept == [0.5, 1.0, 2.0, 4.0] and t.now <= 10


@pytest.mark.parametrize("status", [200, 400, 404, 409, 500])
def test_other_answers_are_returned_at_once(status: int) -> None:
    t = FakeTime()
    http, seen = _client([status])
    assert service_http.call(http, "GET", "/", sleep=t.sleep, clock=t.clock).status_code == status
    assert len(seen) == 1 and t.slept == []
