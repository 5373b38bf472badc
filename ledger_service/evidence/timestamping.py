"""RFC 3161 timestamps of checkpoints from the configured TSA (``CHAINWITNESS_TSA_URL``).

:class:`HttpTimestamper` posts a ``TimeStampReq`` for a checkpoint's signed text and
returns the TSA's DER ``TimeStampResp``, after checking that it is one and that its
imprint is of that text (so nothing else is stored). A TSA that is down or answers
garbage costs the checkpoint its timestamp, never its publication: one warning line
names the TSA and why. Verifiers check the token against their own pinned TSA roots
(``core.timestamps.verify_timestamp``); nothing the service says about it counts.
"""

from __future__ import annotations

import hashlib
import logging

import httpx
from rfc3161_client import PKIStatus, decode_timestamp_response

from ledger_service.core.timestamps import MAX_TOKEN_BYTES, timestamp_request

__all__ = ["HttpTimestamper"]

log = logging.getLogger("chainwitness.timestamps")


class HttpTimestamper:
    """``timestamper(message) -> DER TimeStampResp | None`` over HTTP (RFC 3161 section 3.4)."""

    def __init__(self, url: str, client: httpx.Client) -> None:
        self.url = url
        self._http = client

    def __call__(self, message: bytes) -> bytes | None:
        try:
            resp = self._http.post(
                self.url, content=timestamp_request(message),
                headers={"Content-Type": "application/timestamp-query"}, timeout=10,
            )  # fmt: skip
        except httpx.HTTPError as exc:
            log.warning(
                "TSA %s unreachable, checkpoint left without a timestamp: %s", self.url, exc
            )
            return None
        token = resp.content
        why = None
        if resp.status_code != 200:
            why = f"HTTP {resp.status_code}"
        elif len(token) > MAX_TOKEN_BYTES:
            why = f"{len(token)} bytes, over {MAX_TOKEN_BYTES}"
        else:
            try:
                parsed = decode_timestamp_response(token)
                if PKIStatus(parsed.status) != PKIStatus.GRANTED:
                    why = f"status {parsed.status}: {parsed.status_string}"
                elif parsed.tst_info.message_imprint.message != hashlib.sha256(message).digest():
                    why = "a token over another message"
            except (ValueError, TypeError) as exc:
                why = f"not a TimeStampResp ({exc})"
        if why is not None:
            log.warning("TSA %s answered %s; checkpoint left without a timestamp", self.url, why)
            return None
        return token
