"""RFC 3161 timestamps over signed checkpoints: a time source outside the operator and
outside the witnesses, e.g. a national time-stamping service (可信时间戳).

The message a TSA stamps is a checkpoint's signed text (the note body: origin, size,
root and extension lines, UTF-8), hashed with SHA-256 in the request's message
imprint. The token is the TSA's whole DER ``TimeStampResp``. A verifier checks it
against the TSA root certificates pinned in its trust policy (never against a
certificate the token or the operator supplies alone): status granted, the signer
certificate chains to a pinned root with the time-stamping key usage, the CMS
signature holds and the imprint is SHA-256 of that checkpoint's text. Parsing and
verification are ``rfc3161-client`` (Trail of Bits); nothing here does I/O.

Specification: ``docs/checkpoints.md`` section "RFC 3161 timestamps".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cryptography import x509
from rfc3161_client import (
    HashAlgorithm,
    TimestampRequestBuilder,
    VerificationError,
    VerifierBuilder,
    decode_timestamp_response,
)

from ledger_service.core.errors import MalformedInput, VerificationFailed

__all__ = ["MAX_TOKEN_BYTES", "Stamped", "load_roots", "timestamp_request", "verify_timestamp"]

#: a TimeStampResp larger than this is refused unread (tokens are a few KiB)
MAX_TOKEN_BYTES = 64 * 1024


def timestamp_request(message: bytes) -> bytes:
    """A DER ``TimeStampReq`` for SHA-256 of ``message``, with a nonce, asking for the
    TSA's certificate in the answer."""
    builder = TimestampRequestBuilder().data(message).hash_algorithm(HashAlgorithm.SHA256)
    return bytes(builder.nonce(nonce=True).cert_request(cert_request=True).build().as_bytes())


def load_roots(pems: Sequence[str]) -> list[x509.Certificate]:
    """PEM certificates -> certificates. Raises MalformedInput naming the bad one."""
    roots = []
    for i, pem in enumerate(pems):
        try:
            roots.append(x509.load_pem_x509_certificate(pem.encode()))
        except ValueError as exc:
            raise MalformedInput(
                f"TSA root {i}: expected a PEM certificate, found: {exc}"
            ) from None
    return roots


@dataclass(frozen=True)
class Stamped:
    """A verified timestamp: when the TSA says the message existed, and who said it."""

    time: int
    tsa: str
    serial: int


def verify_timestamp(token: bytes, message: bytes, roots: Sequence[x509.Certificate]) -> Stamped:
    """Verify a DER ``TimeStampResp`` over ``message`` against the pinned ``roots``.

    Raises:
        MalformedInput: the token is not a DER TimeStampResp (or is too large).
        VerificationFailed: not granted, not chained to a pinned root, a bad signature,
            or an imprint of another message (the reason named).
    """
    if len(token) > MAX_TOKEN_BYTES:
        raise MalformedInput(
            f"timestamp: expected at most {MAX_TOKEN_BYTES} bytes, found {len(token)}"
        )
    if not roots:
        raise VerificationFailed("timestamp: expected a pinned TSA root, found none")
    try:
        resp = decode_timestamp_response(token)
    except (ValueError, TypeError) as exc:
        raise MalformedInput(f"timestamp: expected a DER TimeStampResp, found: {exc}") from None
    builder = VerifierBuilder()
    for root in roots:
        builder = builder.add_root_certificate(root)
    try:
        builder.build().verify_message(resp, message)
    except (VerificationError, ValueError) as exc:
        raise VerificationFailed(
            f"timestamp: expected a token of a pinned TSA over this checkpoint, found: {exc}"
        ) from None
    info = resp.tst_info
    signer = next(iter(resp.signed_data.signer_infos))
    certs = [x509.load_der_x509_certificate(c) for c in resp.signed_data.certificates]
    leaf = next((c for c in certs if c.serial_number == signer.serial_number
                 and c.issuer == signer.issuer), None)  # fmt: skip
    name = (leaf.subject if leaf is not None else signer.issuer).rfc4514_string()
    return Stamped(int(info.gen_time.timestamp()), name, int(info.serial_number))
