"""``--log-format json``: every line serve writes is one JSON object, and anchoring and
refusals carry their identifiers (issue 11, item 4)."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import httpx
import pytest

from tests.integration.ops.harness import Served, record

pytestmark = pytest.mark.integration


def test_json_lines_with_identifiers(tmp_path: Path) -> None:
    served = Served(tmp_path / "data").start("--log-format", "json")
    try:
        got = served.wait_anchored(served.deposit(0)["index"])
        refused = httpx.post(f"{served.url}/v1/records", json=record(1), timeout=10)
        assert refused.status_code == 401
        served.signal(signal.SIGTERM)
        assert served.wait_exit() == 0
    finally:
        served.stop()
    lines = [ln for ln in served.log_path.read_text().splitlines() if ln.strip()]
    parsed = []
    for ln in lines:
        try:
            parsed.append(json.loads(ln))
        except ValueError:
            raise AssertionError(f"not a JSON line: {ln!r}") from None
    assert all({"ts", "level", "logger", "message"} <= set(p) for p in parsed)
    anchored = [p for p in parsed if p.get("event") == "anchored"]
    tx = got["proof"]["anchor"]["tx_hash"]
    assert any(p["tx"] == tx and p["tree_size"] >= 1 and p["gas"] > 0 for p in anchored), anchored
    refusals = [p for p in parsed if p.get("event") == "refusal"]
    assert any(p["status"] == 401 and p["path"] == "/v1/records" for p in refusals), refusals
    assert any(p["logger"] == "uvicorn.access" for p in parsed)
