"""Independent verification of inclusion proofs: offline, then against the chain.

Needs no database: a proof is checked with ``core`` alone, its checkpoint with the
pinned trust policy (``--policy``), and its anchor with nothing but a JSON-RPC
endpoint. Each verdict line ends with the trust it rests on, in brackets.
"""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from typing import Any

import httpx

from ledger_service.core.checkpoints import SignedCheckpoint
from ledger_service.core.errors import ChainUnavailable, MalformedInput, VerificationFailed
from ledger_service.core.human_time import with_iso
from ledger_service.core.pinned import (
    chain_trust,
    check_cosigned,
    check_pinned_anchor,
    policy_trust,
    witness_trust,
    witnessed_text,
)
from ledger_service.core.proofs import InclusionProof
from ledger_service.core.records import EvidenceRecord
from ledger_service.core.timestamps import load_roots, verify_timestamp
from ledger_service.core.trust_policy import TrustPolicy

#: a proof and the checkpoint it rests on (None when the artefact carries none)
Evidence = tuple[InclusionProof, SignedCheckpoint | None]


def _checkpoint(obj: Any) -> SignedCheckpoint | None:
    return None if obj is None else SignedCheckpoint.from_json(obj)


def proofs_in(obj: Any) -> list[Evidence]:
    """The proofs (with their checkpoints) in a saved proof, a ``/v1/records/{i}`` answer
    or a ``/v1/verify`` answer; a bare inclusion proof has no checkpoint."""
    if isinstance(obj, dict) and "proofs" in obj and isinstance(obj["proofs"], list):
        cps = obj.get("checkpoints") or [None] * len(obj["proofs"])
        if not isinstance(cps, list) or len(cps) != len(obj["proofs"]):
            raise MalformedInput("checkpoints: expected one per proof")
        return [
            (InclusionProof.from_json(p), _checkpoint(c))
            for p, c in zip(obj["proofs"], cps, strict=True)
        ]
    if isinstance(obj, dict) and "proof" in obj:
        return [(InclusionProof.from_json(obj["proof"]), _checkpoint(obj.get("checkpoint")))]
    return [(InclusionProof.from_json(obj), None)]


def timestamps_in(obj: Any) -> list[bytes | None]:
    """The RFC 3161 token beside each proof's checkpoint (``timestamp``/``timestamps``,
    base64 DER), aligned with :func:`proofs_in`; None where there is none."""
    if isinstance(obj, dict) and isinstance(obj.get("proofs"), list):
        raw = obj.get("timestamps") or [None] * len(obj["proofs"])
    elif isinstance(obj, dict) and "proof" in obj:
        raw = [obj.get("timestamp")]
    else:
        return [None]
    if not isinstance(raw, list):
        raise MalformedInput("timestamps: expected one per proof")
    out: list[bytes | None] = []
    for t in raw:
        if t is not None and not isinstance(t, str):
            raise MalformedInput("timestamp: expected base64 DER text or null")
        try:
            out.append(None if t is None else base64.b64decode(t, validate=True))
        except ValueError:
            raise MalformedInput("timestamp: expected base64 DER text, found other text") from None
    return out


def check_timestamp(token: bytes, checkpoint: SignedCheckpoint | None, policy: TrustPolicy) -> str:
    """The verdict line of an RFC 3161 token over the proof's checkpoint, against the
    policy's pinned TSA roots. Raises VerificationFailed."""
    if checkpoint is None:
        raise VerificationFailed("timestamp: expected the checkpoint it stamps, found none")
    if not policy.tsa_roots:
        return "--  RFC 3161 timestamp carried; not checked (no TSA root pinned in the policy)"
    stamp = verify_timestamp(token, checkpoint.note.text.encode(), load_roots(policy.tsa_roots))
    return (
        f"OK  checkpoint of size {checkpoint.checkpoint.size} existed by {stamp.time}: RFC 3161 "
        f"token {stamp.serial} of {stamp.tsa} [TSA roots pinned by {policy.fingerprint[:19]}]"
    )


def check_offline(p: InclusionProof) -> str:
    p.verify()
    return (
        f"OK  record {p.leaf_index}{_described(p)} is in the tree of size {p.tree_size} with "
        f"root {p.root.hex()} (RFC 9162 inclusion proof, {len(p.path)} hashes) [offline]"
    )


def _described(p: InclusionProof) -> str:
    """`` (document "招标文件.pdf" about tender:X, sha256 ab.., recorded 2026-..Z)`` when
    the proof carries its record; nothing otherwise."""
    if p.record is None:
        return ""
    try:
        rec = EvidenceRecord.from_canonical_bytes(p.record)
    except MalformedInput:
        return ""
    meta = rec.to_json()["metadata"]
    name = next((meta[k] for k in ("name", "file_name", "document", "title")
                 if isinstance(meta.get(k), str)), None)  # fmt: skip
    digest = rec.digests.get("sha256")
    return (f" ({rec.kind}" + (f" {name!r}" if name else "") + f" about {rec.subject}"
            + (f", sha256 {digest}" if digest else "") + f", recorded {rec.submitted_at})")  # fmt: skip


def check_pinned(
    p: InclusionProof, checkpoint: SignedCheckpoint | None, policy: TrustPolicy, now: int
) -> list[str]:
    """The proof's anchor names the pinned chain and EvidenceLog, and its head is the pinned
    log's checkpoint cosigned at k of n. Raises VerificationFailed naming both values."""
    what = f"record {p.leaf_index}"
    if p.anchor is None:
        raise VerificationFailed(f"{what}: expected an anchored proof, found none yet")
    check_pinned_anchor(policy, p.anchor, f"{what} anchor")
    if checkpoint is None:
        raise VerificationFailed(
            f"{what}: expected the checkpoint of size {p.tree_size} cosigned by "
            f"{policy.witnesses.k} of {len(policy.witnesses.keys)} pinned witnesses, found none"
        )
    w = check_cosigned(policy, checkpoint, p.tree_size, p.root, now, f"{what} checkpoint")
    return [
        f"OK  chain {p.anchor.chain_id} and EvidenceLog {p.anchor.contract} are the pinned "
        f"ones [{policy_trust(policy)}]",
        f"OK  {witnessed_text(w)} [{witness_trust(policy)}]",
    ]


def check_on_chain(
    p: InclusionProof, rpc_url: str, policy: TrustPolicy | None = None, witnessed: bool = False
) -> list[str]:
    """Check ``p.anchor`` against the chain at ``rpc_url``; raises VerificationFailed.

    ``witnessed``: k pinned witnesses cosigned ``p.root`` (a disagreeing chain is then
    named as rewritten). With ``policy`` the chain must report the pinned chain id."""
    from eth_account import Account

    from ledger_service.chain.client import ChainClient
    from ledger_service.chain.evidence_log import EvidenceLogContract

    a = p.anchor
    if a is None:
        raise VerificationFailed(
            f"expected an anchored proof to check on chain, found record {p.leaf_index} "
            "not anchored yet (fetch the proof again once anchored)"
        )
    client = ChainClient(rpc_url, Account.create(), None, retries=2)
    if policy is not None:
        policy.require_chain(client.chain_id)
    if client.chain_id != a.chain_id:
        raise VerificationFailed(
            f"expected chain id {a.chain_id}, found {client.chain_id} at {rpc_url}"
        )
    on_chain = EvidenceLogContract(client, a.contract).root_of(a.tree_size)
    if on_chain != a.root and witnessed:
        raise VerificationFailed(
            f"expected EvidenceLog {a.contract} to hold root {a.root.hex()} at size {a.tree_size}, "
            f"the root the pinned witnesses cosigned, found "
            f"{'nothing' if on_chain is None else on_chain.hex()}: the chain's state was rewritten"
        )
    if on_chain != a.root:
        raise VerificationFailed(
            f"expected EvidenceLog {a.contract} to hold root {a.root.hex()} at size {a.tree_size}, "
            f"found {'nothing' if on_chain is None else on_chain.hex()}"
        )
    receipt = client.receipt(a.tx_hash)
    if receipt is None or receipt.block_hash.lower() != a.block_hash.lower():
        found = "no such transaction" if receipt is None else f"block {receipt.block_hash}"
        raise VerificationFailed(
            f"expected anchoring tx {a.tx_hash} in block {a.block_hash}, found {found}"
        )
    if receipt.block_time != a.block_time:
        raise VerificationFailed(
            f"expected block time {a.block_time} for block {a.block_number}, found {receipt.block_time}"
        )
    trust = f"{rpc_url}; {chain_trust(policy, a.chain_id)}"
    return [
        f"OK  chain {a.chain_id}: EvidenceLog {a.contract} holds root {a.root.hex()[:16]}... "
        f"at size {a.tree_size} [{trust}]",
        f"OK  anchored by tx {a.tx_hash} in block {a.block_number} at chain time {with_iso(a.block_time)} "
        f"[{trust}]",
    ]


def verify_proofs(
    proofs: list[Evidence],
    rpc_url: str | None,
    policy: TrustPolicy | None = None,
    timestamps: list[bytes | None] | None = None,
) -> list[str]:
    """Verdict lines for each proof; raises VerificationFailed at the first failure.

    Without ``policy`` the anchor's chain and contract are only those the proof names.
    """
    lines: list[str] = []
    now = int(time.time())  # the verifier's own clock
    stamps = timestamps or [None] * len(proofs)
    for (p, checkpoint), stamp in zip(proofs, stamps, strict=True):
        lines.append(check_offline(p))
        if policy is not None:
            lines.extend(check_pinned(p, checkpoint, policy, now))
            if stamp is not None:
                lines.append(check_timestamp(stamp, checkpoint, policy))
        elif checkpoint is not None:
            lines.append("--  checkpoint carried; not checked (pass --policy FILE to check it)")
        if rpc_url:
            lines.extend(check_on_chain(p, rpc_url, policy, witnessed=policy is not None))
        elif p.anchor:
            lines.append(
                f"--  anchor claimed: chain {p.anchor.chain_id}, tx {p.anchor.tx_hash}; "
                "not checked (pass --rpc URL to check it on chain)"
            )
        else:
            lines.append("--  not anchored yet: nothing on chain backs this proof so far")
    return lines


def verify_proof_file(
    path: Path, rpc_url: str | None, policy: TrustPolicy | None = None
) -> list[str]:
    try:
        obj = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise MalformedInput(f"expected a JSON proof in {path}, found: {exc}") from exc
    return verify_proofs(proofs_in(obj), rpc_url, policy, timestamps_in(obj))


def verify_remote_digest(
    server: str, digest: str, rpc_url: str | None, policy: TrustPolicy | None = None
) -> list[str]:
    try:
        resp = httpx.get(f"{server.rstrip('/')}/v1/verify/{digest}", timeout=30)
    except httpx.HTTPError as exc:
        raise ChainUnavailable(f"expected the API at {server} to answer, found: {exc}") from exc
    if resp.status_code != 200:
        raise MalformedInput(
            f"expected 200 from {server}, found {resp.status_code}: {resp.text[:200]}"
        )
    body = resp.json()
    if not body.get("found"):
        raise VerificationFailed(f"expected a record with sha256 {digest}, found none at {server}")
    if not body.get("proofs") and body.get("withheld"):
        raise VerificationFailed(
            f"expected a proof for sha256 {digest}, found it recorded at {server} with its proof "
            "withheld until its tender is opened (a sealed bid); check again after opening"
        )
    return verify_proofs(proofs_in(body), rpc_url, policy, timestamps_in(body))
