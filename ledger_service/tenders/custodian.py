"""The custodian agent (密钥托管方): trusts only its own keys, its own clock and its chain.

An agent holds one custodian's keys, encrypted at rest: its chain account (signs its
dealings, complaints, key approvals and share releases) and its secp256k1 key for
receiving DKG shares, which it registers on chain itself. It learns which tenders it
guards, their schedule, custodians, keys and transcript ONLY from the TenderRegistry
at the address it is configured with, through the RPC endpoint it is configured with
(never from the service's answers). The service is a relay for its signed messages
and cannot forge them.

Per tender it checks, and writes down in :attr:`AgentRun.checks`, that its own key sits
at its index; that every dealing is signed by its custodian and carries a valid proof
of knowledge; that no dealing under its own index was made by anyone else; that the
key it approves is the one the public rule gives from the transcript it read, with the
chain's transcript hash. It releases its share only when its OWN clock and chain time
both say the opening time has passed and, given the trust policy published with the
tender notice, when the witnessed time agrees: a checkpoint cosigned just now by k of
the pinned witnesses, each by its own clock, is dated at or after the opening time
(so neither a warped chain nor a pushed custodian clock, e.g. through the intranet's
NTP, opens bids early). The share leaves the agent only inside the signed release
transaction (no estimate, no call), sent to its configured endpoint.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_keyfile.keyfile import create_keyfile_json, decode_keyfile_json
from eth_utils.crypto import keccak

from ledger_service.chain.tender_events import TenderCreatedEvent
from ledger_service.chain.tender_registry import TenderRegistryContract, TenderStatus
from ledger_service.core import threshold
from ledger_service.core.checkpoints import SignedCheckpoint, Witnessed, verify_witnessed
from ledger_service.core.errors import ConfigurationError, EvidenceError, VerificationFailed
from ledger_service.core.human_time import with_iso
from ledger_service.core.pinned import check_gm_cosigned
from ledger_service.core.trust_policy import TrustPolicy
from ledger_service.tenders import service_http
from ledger_service.tenders.chain_view import TenderOnChain, outcome, read_tender

log = logging.getLogger("chainwitness.custodian")
Clock = Callable[[], float]
#: ``own_now -> Witnessed``: a checkpoint cosigned now, verified against the pinned policy
WitnessedTime = Callable[[int], Witnessed]


def pinned_witnessed_time(
    policy: TrustPolicy, fetch: Callable[[], SignedCheckpoint]
) -> WitnessedTime:
    """Witnessed time from ``fetch`` (e.g. the service's fresh checkpoint), checked against
    ``policy``: the pinned log key and origin, and k of the pinned witnesses (with a gm
    policy their SM2 signatures too, ``docs/gm-profile.md``)."""

    def witnessed(now: int) -> Witnessed:
        signed = fetch()
        w = verify_witnessed(signed, policy.log_key, policy.log_origin, policy.witnesses, now)
        if policy.gm:
            check_gm_cosigned(policy, signed, now, "fresh checkpoint")
        return w

    return witnessed


class TenderRefused(VerificationFailed):
    """The agent will take no part in this tender (named in the message)."""

    code = "tender-refused"
    title = "Custodian refuses the tender"


class Relay(Protocol):
    """Where an agent hands its signed messages (the service; anyone could relay)."""

    def post_dealing(self, tender_id: bytes, index: int, body: bytes, signature: bytes) -> None: ...

    def post_complaints(
        self, tender_id: bytes, index: int, body: bytes, signature: bytes
    ) -> None: ...

    def post_approval(
        self, tender_id: bytes, index: int, public_key: bytes, commitments: bytes, signature: bytes
    ) -> None: ...


class CustodianAgent:
    """One custodian's keys (see the module docstring)."""

    def __init__(self, name: str, account: LocalAccount, secret: bytes) -> None:
        self.name = name
        self.account = account
        self._secret = secret
        self.public_key = threshold.public_from_secret(secret)

    @property
    def address(self) -> str:
        return str(self.account.address)

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

    def register_key(self, registry: TenderRegistryContract) -> None:
        """Register our encryption key on chain from our own account (once; idempotent).

        ``registry`` must be bound to a client signing with :attr:`account`.
        """
        if registry.client.address != self.account.address:
            raise ConfigurationError(
                f"expected a registry client signing as {self.address}, "
                f"found {registry.client.address}"
            )
        if registry.custodian_key(self.address) != self.public_key:
            registry.register_custodian_key(self.public_key)

    def share(self, tender: TenderOnChain, index: int, qualified: tuple[int, ...]) -> int:
        """Our share ``x_i = sum over Q of s_ji``, recomputed from the on-chain dealings."""
        dealings = [
            threshold.DealingBody.from_body(tender.dealings[j].body).dealing for j in qualified
        ]
        return threshold.my_share(dealings, list(qualified), index, self._secret,
                                  tender.setup.context)  # fmt: skip

    def complaints(self, tender: TenderOnChain, index: int) -> list[threshold.Complaint]:
        """A complaint for each well-formed dealing whose share for us does not check."""
        out = []
        for _, posted in sorted(tender.dealings.items()):
            try:
                d = threshold.DealingBody.from_body(posted.body).dealing
            except EvidenceError:
                continue  # malformed: disqualified by the public rule, no complaint needed
            try:
                threshold.receive(d, index, self._secret, tender.setup.context)
            except EvidenceError:
                out.append(threshold.make_complaint(d, index, self._secret, tender.setup.context))
        return out

    def sign(self, digest: bytes) -> bytes:
        return threshold.sign_digest(bytes(self.account.key), digest)


class AgentRun:
    """An agent bound to its own chain endpoint (``registry.client``), its relay and its clock.

    ``registry`` is built from the RPC URL, registry address and chain id the custodian
    configured (:meth:`connect`); ``clock`` returns Unix seconds (injectable for tests).
    ``signed`` holds the body hashes of dealings this agent signed (kept in
    ``state_file`` if given, so a restarted agent knows its own).
    """

    def __init__(
        self, agent: CustodianAgent, registry: TenderRegistryContract, relay: Relay,
        clock: Clock = time.time, state_file: Path | None = None,
        witnessed_time: WitnessedTime | None = None,
    ) -> None:  # fmt: skip
        if registry.client.address != agent.account.address:
            raise ConfigurationError(
                f"expected a chain client signing as {agent.address}, found {registry.client.address}"
            )
        self.agent, self.registry, self.relay, self.clock = agent, registry, relay, clock
        self.witnessed_time = witnessed_time
        self.checks: dict[str, list[str]] = {}
        self._state_file = state_file
        self._signed: set[str] = set()
        self._done: set[tuple[str, int, str]] = set()
        if state_file is not None and state_file.exists():
            self._signed = set(json.loads(state_file.read_text()))

    @classmethod
    def connect(
        cls, agent: CustodianAgent, rpc_url: str, registry_address: str, chain_id: int,
        relay: Relay, clock: Clock = time.time, state_file: Path | None = None,
        witnessed_time: WitnessedTime | None = None,
    ) -> AgentRun:  # fmt: skip
        """Bind to the configured endpoint; ConfigurationError if it serves another chain."""
        from ledger_service.chain.client import ChainClient

        client = ChainClient(rpc_url, agent.account, chain_id, retries=2)
        return cls(agent, TenderRegistryContract(client, registry_address), relay, clock,
                   state_file, witnessed_time)  # fmt: skip

    def _note(self, tid: bytes, line: str) -> None:
        lines = self.checks.setdefault(tid.hex(), [])
        if line not in lines:
            lines.append(line)
            log.info("%s, tender %s: %s", self.agent.name, tid.hex()[:12], line)

    def guarded(self) -> list[bytes]:
        """Ids of the tenders that name our address among their custodians (from events)."""
        return [e.tender_id for e in self.registry.events(0, "latest")
                if isinstance(e, TenderCreatedEvent) and self.agent.address in e.custodians]  # fmt: skip

    def step(self) -> None:
        """One pass over our tenders; a tender we refuse is logged and skipped."""
        for tid in self.guarded():
            try:
                self.guard(tid)
            except TenderRefused as exc:
                self._note(tid, f"REFUSED: {exc}")

    def guard(self, tid: bytes) -> None:
        """Do what is due now for tender ``tid``. Raises TenderRefused."""
        tender = read_tender(self.registry, tid)
        index = self._my_index(tender)
        now = int(self.registry.client.block("latest")["timestamp"])
        v = tender.view
        if v.status == TenderStatus.KEY_GENERATION:
            self._check_own_dealing(tender, index)
            if now < v.dealing_deadline:
                self._deal(tender, index)
            elif now < v.complaint_deadline:
                self._complain(tender, index)
            elif now < v.bid_deadline:
                self._approve(tender, index)
        elif v.status == TenderStatus.OPEN:
            self._release_if_due(tender, index, now)

    def _my_index(self, tender: TenderOnChain) -> int:
        tid = tender.tender_id
        if self.agent.address not in tender.custodians:
            raise TenderRefused(
                f"expected {self.agent.address} among the custodians, found it absent"
            )
        index = tender.custodians.index(self.agent.address) + 1
        if tender.keys[index - 1] != self.agent.public_key:
            raise TenderRefused(
                f"expected our key {self.agent.public_key.hex()} at index {index}, "
                f"found {tender.keys[index - 1].hex()}"
            )
        self._note(
            tid,
            f"own key at index {index} of {tender.setup.n} (t = {tender.setup.t}), read from the chain",
        )
        return index

    def _check_own_dealing(self, tender: TenderOnChain, index: int) -> None:
        posted = tender.dealings.get(index)
        if posted is not None and posted.body_hash.hex() not in self._signed:
            raise TenderRefused(
                f"expected no dealing under our index {index} that we did not sign, found "
                f"{posted.body_hash.hex()} (our account key is in other hands)"
            )

    def _once(self, tender: TenderOnChain, what: str) -> bool:
        key = (tender.tender_id.hex(), tender.view.round, what)
        if key in self._done:
            return False
        self._done.add(key)
        return True

    def _relay(self, tender: TenderOnChain, what: str, send: Callable[[], None]) -> None:
        """Send through the relay; if it fails (service down), ``what`` is due again on the
        next pass instead of being lost."""
        try:
            send()
        except BaseException:
            self._done.discard((tender.tender_id.hex(), tender.view.round, what))
            raise

    def _deal(self, tender: TenderOnChain, index: int) -> None:
        if index in tender.dealings or not self._once(tender, "deal"):
            return
        body = threshold.deal_body(tender.setup, index).body()
        self._signed.add(keccak(body).hex())
        if self._state_file is not None:
            self._state_file.write_text(json.dumps(sorted(self._signed)))
        sig = self.agent.sign(threshold.dealing_digest(tender.setup, index, keccak(body)))
        self._relay(
            tender, "deal", lambda: self.relay.post_dealing(tender.tender_id, index, body, sig)
        )
        self._note(
            tender.tender_id,
            f"dealt round {tender.view.round} with a proof of knowledge, signed by our account",
        )

    def _complain(self, tender: TenderOnChain, index: int) -> None:
        result = outcome(tender)
        self._note_outcome(tender, result)
        complaints = self.agent.complaints(tender, index)
        if not complaints or not self._once(tender, "complain"):
            return
        seen = self.registry.dealings_hash(tender.tender_id)
        bundle = threshold.ComplaintsBody(tender.tender_id, tender.view.round, index, seen,
                                          tuple(complaints)).body()  # fmt: skip
        sig = self.agent.sign(
            threshold.complaints_digest(tender.setup, index, seen, keccak(bundle))
        )
        self._relay(tender, "complain",
                    lambda: self.relay.post_complaints(tender.tender_id, index, bundle, sig))  # fmt: skip
        self._note(tender.tender_id, f"complained against dealers {[c.dealer for c in complaints]}")

    def _note_outcome(self, tender: TenderOnChain, result: threshold.Outcome) -> None:
        tid = tender.tender_id
        self._note(
            tid,
            f"{len(tender.dealings)} dealings read from chain events, each signature and proof checked",
        )
        for i, why in sorted(result.disqualified.items()):
            self._note(tid, f"dealer {i} disqualified: {why}")
        for r in result.rejected:
            self._note(tid, f"rejected: {r}")

    def _approve(self, tender: TenderOnChain, index: int) -> None:
        result = outcome(tender)
        self._note_outcome(tender, result)
        tid = tender.tender_id
        if result.transcript_hash != tender.transcript_hash:
            raise TenderRefused(
                f"expected the chain's transcript hash {tender.transcript_hash.hex()}, "
                f"found {result.transcript_hash.hex()} from the events we read"
            )
        if result.group is None:
            self._note(
                tid, f"only {len(result.qualified)} dealers qualified: key generation must re-run"
            )
            return
        if not self._once(tender, "approve"):
            return
        group = result.group
        sig = threshold.approve_key(
            tender.setup, group, result.transcript_hash, bytes(self.agent.account.key)
        )
        self._relay(tender, "approve", lambda: self.relay.post_approval(
            tid, index, group.public_key, group.commitments_bytes(), sig))  # fmt: skip
        self._note(
            tid,
            f"approved opening key {group.public_key.hex()[:16]}.. computed ourselves from qualified {list(result.qualified)}; transcript hash equals the chain's",
        )

    def _release_if_due(self, tender: TenderOnChain, index: int, chain_now: int) -> None:
        tid, opening = tender.tender_id, tender.view.opening_time
        if self.registry.released_share(tid, index) is not None:
            return
        own_now = int(self.clock())
        if own_now < opening or chain_now < opening:
            # the decision is made here, before anything containing the share is built
            return
        self._note(
            tid,
            f"own clock {with_iso(own_now)} and chain time {with_iso(chain_now)} both at or "
            f"past the opening time {with_iso(opening)}",
        )
        if self.witnessed_time is not None:
            w = self.witnessed_time(own_now)
            if not w.time >= opening:
                log.info("%s, tender %s: witnessed time %d (%d of %d witnesses) is before the "
                         "opening time %d: not releasing", self.agent.name, tid.hex()[:12],
                         w.time, w.k, w.n, opening)  # fmt: skip
                return
            self._note(tid, f"witnessed time {w.time} (cosigned now by {w.k} of {w.n} pinned "
                            f"witnesses) at or past the opening time {opening}")  # fmt: skip
        group = tender.group()
        result = outcome(tender)
        if result.group is None or result.group.public_key != group.public_key:
            raise TenderRefused(
                "expected the accepted key to be the transcript's key, found another"
            )
        share = self.agent.share(tender, index, result.qualified)
        threshold.verify_released_share(group, index, share)
        self._note(tid, f"share {index} checks against the on-chain commitments")
        tx = self.registry.release_share(tid, index, threshold.share_to_bytes(share))
        self._note(tid, f"released share {index} in block {tx.block_number}")

    def run(self, stop: threading.Event, poll_s: float = 1.0, max_backoff_s: float = 30.0) -> None:
        """Watch our tenders until ``stop`` is set. An unreachable chain or relay is
        retried with exponential backoff and logged in one line."""
        delay = poll_s
        while not stop.is_set():
            try:
                self.step()
                delay = poll_s
            except EvidenceError as exc:
                log.error(
                    "%s: %s; retrying in %.1f s", self.agent.name, str(exc).splitlines()[0], delay
                )
                delay = min(max_backoff_s, delay * 2)
            stop.wait(delay)


class HttpRelay:
    """A :class:`Relay` over the service's endpoints: it only carries signed messages."""

    def __init__(self, server: str, token: str | None, retry_s: float = 30.0) -> None:
        import httpx

        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.Client(base_url=server.rstrip("/"), headers=headers, timeout=60)
        self._retry_s = retry_s

    def _post(self, path: str, body: dict[str, object]) -> None:
        resp = service_http.call(self._http, "POST", path, json=body, retry_s=self._retry_s)
        if resp.status_code >= 400:
            raise ConfigurationError(f"the relay answered {resp.status_code}: {resp.text[:300]}")

    def witnessed_time(self, policy: TrustPolicy | None) -> WitnessedTime | None:
        """With ``policy``: witnessed time from the service's fresh checkpoint
        (``POST /v1/checkpoints/fresh``), checked against the policy, not the service."""
        if policy is None:
            return None

        def fetch() -> SignedCheckpoint:
            resp = service_http.call(self._http, "POST", "/v1/checkpoints/fresh",
                                     retry_s=self._retry_s)  # fmt: skip
            if resp.status_code >= 400:
                raise ConfigurationError(
                    f"the relay answered {resp.status_code} for a fresh checkpoint: {resp.text[:300]}"
                )
            return SignedCheckpoint.from_json(resp.json().get("checkpoint"))

        return pinned_witnessed_time(policy, fetch)

    def post_dealing(self, tender_id: bytes, index: int, body: bytes, signature: bytes) -> None:
        self._post(f"/v1/tenders/0x{tender_id.hex()}/dealings",
                   {"index": index, "body": body.hex(), "signature": signature.hex()})  # fmt: skip

    def post_complaints(self, tender_id: bytes, index: int, body: bytes, signature: bytes) -> None:
        self._post(f"/v1/tenders/0x{tender_id.hex()}/complaints",
                   {"index": index, "body": body.hex(), "signature": signature.hex()})  # fmt: skip

    def post_approval(
        self, tender_id: bytes, index: int, public_key: bytes, commitments: bytes, signature: bytes
    ) -> None:
        self._post(f"/v1/tenders/0x{tender_id.hex()}/approvals",
                   {"index": index, "public_key": public_key.hex(),
                    "commitments": commitments.hex(), "signature": signature.hex()})  # fmt: skip
