"""The bidder's side (投标人): seal on your own machine, sign your own commitment.

Nothing here needs the service's database: the client reads the tender's public
state (opening key, contract, chain id) from the API, seals locally, signs the
EIP-712 commitment with the bidder's own key, and uploads only ciphertext.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
from coincurve import PrivateKey
from eth_account.signers.local import LocalAccount

from ledger_service.chain.eip712 import sign_typed
from ledger_service.chain.tender_messages import (
    bid_typed_data,
    tender_id_bytes,
    withdrawal_typed_data,
)
from ledger_service.core import sealing
from ledger_service.core.errors import ChainUnavailable, EvidenceError, MalformedInput, NotFound
from ledger_service.tenders import envelope_files

Progress = Callable[[int], None]
_CHUNK = 1 << 20


def bidder_public_key(account: LocalAccount) -> bytes:
    """The bidder's compressed secp256k1 public key (the key their chain account uses)."""
    return bytes(PrivateKey(bytes(account.key)).public_key.format(compressed=True))


def _fail(resp: httpx.Response) -> EvidenceError:
    try:
        body = resp.json()
        detail = body.get("detail", resp.text)
    except ValueError:
        detail = resp.text
    cls = NotFound if resp.status_code == 404 else MalformedInput
    return cls(f"the service answered {resp.status_code}: {detail}")


class BidderClient:
    def __init__(self, server: str, token: str | None, account: LocalAccount) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.Client(base_url=server.rstrip("/"), headers=headers, timeout=600)
        self.account = account

    def close(self) -> None:
        self._http.close()

    def _get(self, path: str) -> Any:
        try:
            resp = self._http.get(path)
        except httpx.HTTPError as exc:
            raise ChainUnavailable(f"expected the service to answer {path}, found: {exc}") from exc
        if resp.status_code >= 400:
            raise _fail(resp)
        return resp.json()

    def tender(self, code: str) -> dict[str, Any]:
        return dict(self._get(f"/v1/tenders/{code}"))

    def seal(
        self, code: str, src: Path, dst: Path, progress: Progress | None = None
    ) -> sealing.SealResult:
        """Seal ``src`` for tender ``code`` into ``dst`` (on this machine)."""
        t = self.tender(code)
        if not t.get("opening_public_key"):
            raise MalformedInput(f"expected tender {code} to have its opening key, found none yet")
        with src.open("rb") as fin, dst.open("wb") as fout:
            return envelope_files.seal_stream(
                fin, fout, tender_id=code, bidder=self.account.address,
                tender_public_key=bytes.fromhex(t["opening_public_key"]),
                bidder_public_key=bidder_public_key(self.account), progress=progress,
            )  # fmt: skip

    def _next_nonce(self, code: str) -> int:
        return max((int(b["nonce"]) for b in self.status(code)), default=0) + 1

    def submit(
        self, code: str, sealed: Path, nonce: int | None = None, progress: Progress | None = None
    ) -> dict[str, Any]:
        """Sign the commitment of ``sealed`` with the bidder's key and upload the envelope."""
        t = self.tender(code)
        ciphertext_sha256, envelope_digest, plaintext_commitment = _envelope_facts(
            sealed, self.account
        )
        nonce = nonce or self._next_nonce(code)
        chain = t["chain"]
        typed = bid_typed_data(
            chain["chain_id"], chain["tender_registry"], tender_id_bytes(code), self.account.address,
            ciphertext_sha256, plaintext_commitment, envelope_digest, nonce,
        )  # fmt: skip
        signature = sign_typed(self.account, typed)

        def body() -> Iterator[bytes]:
            with sealed.open("rb") as f:
                while chunk := f.read(_CHUNK):
                    if progress:
                        progress(len(chunk))
                    yield chunk

        resp = self._http.post(
            f"/v1/tenders/{code}/bids",
            params={"bidder": self.account.address, "nonce": nonce,
                    "plaintext_commitment": plaintext_commitment.hex(),
                    "envelope_digest": envelope_digest.hex(), "signature": signature.hex()},
            content=body(), headers={"Content-Type": "application/octet-stream"},
        )  # fmt: skip
        if resp.status_code >= 400:
            raise _fail(resp)
        receipt = dict(resp.json())
        if receipt["ciphertext_sha256"] != ciphertext_sha256.hex():
            raise MalformedInput(
                f"expected the receipt to name ciphertext {ciphertext_sha256.hex()}, "
                f"found {receipt['ciphertext_sha256']}"
            )
        return receipt

    def withdraw(self, code: str, nonce: int | None = None) -> dict[str, Any]:
        t = self.tender(code)
        nonce = nonce or self._next_nonce(code)
        typed = withdrawal_typed_data(t["chain"]["chain_id"], t["chain"]["tender_registry"],
                                      tender_id_bytes(code), self.account.address, nonce)  # fmt: skip
        resp = self._http.post(f"/v1/tenders/{code}/withdrawals", json={
            "bidder": self.account.address, "nonce": nonce,
            "signature": sign_typed(self.account, typed).hex()})  # fmt: skip
        if resp.status_code >= 400:
            raise _fail(resp)
        return dict(resp.json())

    def status(self, code: str) -> list[dict[str, Any]]:
        return list(self._get(f"/v1/tenders/{code}/bids/{self.account.address}"))


def _envelope_facts(sealed: Path, account: LocalAccount) -> tuple[bytes, bytes, bytes]:
    """(ciphertext sha256, envelope digest, plaintext commitment) of a sealed file.

    The commitment needs the content key: the bidder unwraps it with their own key
    and streams the envelope once (which also proves the file opens).
    """
    with sealed.open("rb") as f:
        header = sealing.read_header(f)
    key = sealing.unwrap_key(header, "bidder", bytes(account.key))
    with sealed.open("rb") as src, open(os.devnull, "wb") as sink:
        result = envelope_files.open_stream(src, sink, key)
    return result.ciphertext_sha256, result.envelope_digest, result.plaintext_commitment


def open_own(sealed: Path, dst: Path, account: LocalAccount) -> sealing.OpenResult:
    """The bidder's fallback: open their own bid with their own key."""
    with sealed.open("rb") as f:
        header = sealing.read_header(f)
    key = sealing.unwrap_key(header, "bidder", bytes(account.key))
    return envelope_files.open_to_path(sealed, dst, key)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()
