"""The custodian agent (密钥托管方): deals at key generation, releases its share at opening.

An agent holds one custodian's key material, encrypted at rest: its chain
account (which signs share releases) and its secp256k1 key for receiving DKG
shares. Its share of a tender key is never stored: it is recomputed from the
public dealings when it is due, so a restarted agent just catches up. The chain
refuses a release before the opening time, so a hasty or compromised agent
cannot open early on its own, and fewer than t agents can never open at all.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import httpx
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_keyfile.keyfile import create_keyfile_json, decode_keyfile_json

from ledger_service.chain.client import ChainClient
from ledger_service.chain.tender_messages import tender_id_bytes
from ledger_service.chain.tender_registry import TenderRegistryContract
from ledger_service.chain.tx import ContractReverted, TxResult
from ledger_service.core import threshold
from ledger_service.core.errors import ConfigurationError, EvidenceError, MalformedInput
from ledger_service.tenders.model import Duty, Party

log = logging.getLogger("chainwitness.custodian")


class CustodianAgent:
    def __init__(self, name: str, account: LocalAccount, secret: bytes) -> None:
        self.name = name
        self.account = account
        self._secret = secret
        self.public_key = threshold.public_from_secret(secret)

    @property
    def address(self) -> str:
        return str(self.account.address)

    def party_info(self) -> Party:
        """This custodian as a tender names it (name, chain address, share key)."""
        return Party(self.name, self.address, self.public_key)

    @classmethod
    def create(cls, name: str, rng: Callable[[int], bytes] = os.urandom) -> CustodianAgent:
        secret, _public = threshold.custodian_keypair(rng)
        return cls(name, Account.from_key(rng(32)), secret)

    def save(self, path: Path, password: str) -> None:
        """Write both keys encrypted (scrypt keystores) to ``path``, mode 0600."""
        body = {
            "format": "chainwitness/custodian-keys",
            "version": 1,
            "name": self.name,
            "account": create_keyfile_json(self.account.key, password.encode()),
            "share_key": create_keyfile_json(self._secret, password.encode()),
        }
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(body, f)

    @classmethod
    def load(cls, path: Path, password: str) -> CustodianAgent:
        try:
            body = json.loads(path.read_text())
            account = Account.from_key(decode_keyfile_json(body["account"], password.encode()))
            secret = decode_keyfile_json(body["share_key"], password.encode())
        except (OSError, ValueError, KeyError) as exc:
            raise ConfigurationError(
                f"expected custodian keys in {path} readable with the given password, found: {exc}"
            ) from exc
        return cls(str(body.get("name", "custodian")), account, bytes(secret))

    # -- key generation ------------------------------------------------------

    def deal(
        self, duty: Duty, context: bytes, rng: Callable[[int], bytes] = os.urandom
    ) -> threshold.Dealing:
        return threshold.deal(duty.index, duty.t, duty.recipients, context, rng)

    def complaints(self, duty: Duty, context: bytes) -> list[threshold.Complaint]:
        """Check the share every dealing holds for us; a complaint for each bad one."""
        out = []
        for d in duty.dealings:
            try:
                threshold.receive(d, duty.index, self._secret, context)
            except EvidenceError:
                out.append(threshold.make_complaint(d, duty.index, self._secret, context))
        return out

    def share(self, duty: Duty, context: bytes) -> int:
        if not duty.qualified:
            raise MalformedInput(
                f"expected tender {duty.code}'s key to be generated, found no qualified dealers"
            )
        return threshold.my_share(
            list(duty.dealings), list(duty.qualified), duty.index, self._secret, context
        )

    # -- opening -------------------------------------------------------------

    def release_if_due(
        self, duty: Duty, context: bytes, client: ChainClient, registry: TenderRegistryContract
    ) -> TxResult | None:
        """Release our share on chain if the opening time has come and we have not yet."""
        tid = tender_id_bytes(duty.code)
        existing = registry.released_share(tid, duty.index)
        if existing and any(existing):
            return None
        now = int(client.block("latest")["timestamp"])
        if now < duty.opening_time:
            return None
        share = threshold.share_to_bytes(self.share(duty, context))
        try:
            tx = registry.release_share(tid, duty.index, share)
        except ContractReverted as exc:
            log.warning("%s: share release for %s refused: %s", self.name, duty.code, exc)
            return None
        log.info("%s released share %d of tender %s in block %d", self.name, duty.index,
                 duty.code, tx.block_number)  # fmt: skip
        return tx

    def step(
        self, source: DutySource, client: ChainClient, registry: TenderRegistryContract
    ) -> None:
        """One pass over our tenders: deal where a key is being made, release where due."""
        for duty, context in source.duties(self.address):
            if duty.qualified:
                self.release_if_due(duty, context, client, registry)
            elif not any(d.dealer == duty.index for d in duty.dealings):
                source.post_dealing(duty.code, self.deal(duty, context))
                log.info("%s dealt for tender %s", self.name, duty.code)

    def run(
        self,
        source: DutySource,
        client: ChainClient,
        registry: TenderRegistryContract,
        stop: threading.Event,
        poll_s: float = 1.0,
    ) -> None:
        """Watch our tenders until ``stop`` is set; errors are logged and retried."""
        while not stop.is_set():
            try:
                self.step(source, client, registry)
            except EvidenceError as exc:
                log.error("%s: %s; retrying", self.name, exc)
            stop.wait(poll_s)

    def run_with(
        self, source: HttpDuties, rpc_url: str, stop: threading.Event, poll_s: float
    ) -> None:
        """``run`` against a remote service and chain (the ``custodian run`` command)."""
        client = ChainClient(rpc_url, self.account, None)
        registry = TenderRegistryContract(client, source.registry_address())
        self.run(source, client, registry, stop, poll_s)


class DutySource(Protocol):
    def duties(self, address: str) -> Sequence[tuple[Duty, bytes]]: ...

    def post_dealing(self, code: str, dealing: threshold.Dealing) -> None: ...


class HttpDuties:
    """A DutySource over the service's custodian endpoints."""

    def __init__(self, server: str, token: str | None) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.Client(base_url=server.rstrip("/"), headers=headers, timeout=60)

    def _json(self, resp: httpx.Response) -> Any:
        if resp.status_code >= 400:
            raise MalformedInput(f"the service answered {resp.status_code}: {resp.text[:300]}")
        return resp.json()

    def registry_address(self) -> str:
        chain = self._json(self._http.get("/v1/heads/latest"))["chain"]
        if not chain or not chain.get("tender_registry"):
            raise ConfigurationError("expected the service to name its TenderRegistry, found none")
        return str(chain["tender_registry"])

    def duties(self, address: str) -> list[tuple[Duty, bytes]]:
        out = []
        for d in self._json(self._http.get(f"/v1/custodians/{address}/duties")):
            duty = Duty(
                code=d["code"], index=d["index"], t=d["threshold"],
                opening_time=d["opening_time"],
                recipients=tuple(bytes.fromhex(r) for r in d["recipients"]),
                dealings=tuple(threshold.Dealing.from_json(x) for x in d["dealings"]),
                qualified=tuple(d["qualified"]),
            )  # fmt: skip
            out.append((duty, bytes.fromhex(d["context"])))
        return out

    def post_dealing(self, code: str, dealing: threshold.Dealing) -> None:
        self._json(self._http.post(f"/v1/tenders/{code}/dealings", json=dealing.to_json()))
