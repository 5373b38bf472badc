"""Independent verification of inclusion proofs: offline, then against the chain.

Needs no database: a proof is checked with ``core`` alone, and its anchor with
nothing but a JSON-RPC endpoint.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from ledger_service.core.errors import ChainUnavailable, MalformedInput, VerificationFailed
from ledger_service.core.proofs import InclusionProof


def proofs_in(obj: Any) -> list[InclusionProof]:
    """The proofs in a saved proof, a ``/v1/records/{i}`` answer or a ``/v1/verify`` answer."""
    if isinstance(obj, dict) and "proofs" in obj and isinstance(obj["proofs"], list):
        return [InclusionProof.from_json(p) for p in obj["proofs"]]
    if isinstance(obj, dict) and "proof" in obj:
        return [InclusionProof.from_json(obj["proof"])]
    return [InclusionProof.from_json(obj)]


def check_offline(p: InclusionProof) -> str:
    p.verify()
    return (
        f"OK  record {p.leaf_index} is in the tree of size {p.tree_size} with root "
        f"{p.root.hex()} (RFC 9162 inclusion proof, {len(p.path)} hashes)"
    )


def check_on_chain(p: InclusionProof, rpc_url: str) -> list[str]:
    """Check ``p.anchor`` against the chain at ``rpc_url``; raises VerificationFailed."""
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
    if client.chain_id != a.chain_id:
        raise VerificationFailed(
            f"expected chain id {a.chain_id}, found {client.chain_id} at {rpc_url}"
        )
    on_chain = EvidenceLogContract(client, a.contract).root_of(a.tree_size)
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
    return [
        f"OK  chain {a.chain_id}: EvidenceLog {a.contract} holds root {a.root.hex()[:16]}... "
        f"at size {a.tree_size}",
        f"OK  anchored by tx {a.tx_hash} in block {a.block_number} at chain time {a.block_time}",
    ]


def verify_proofs(proofs: list[InclusionProof], rpc_url: str | None) -> list[str]:
    lines: list[str] = []
    for p in proofs:
        lines.append(check_offline(p))
        if rpc_url:
            lines.extend(check_on_chain(p, rpc_url))
        elif p.anchor:
            lines.append(
                f"--  anchor claimed: chain {p.anchor.chain_id}, tx {p.anchor.tx_hash}; "
                "not checked (pass --rpc URL to check it on chain)"
            )
        else:
            lines.append("--  not anchored yet: nothing on chain backs this proof so far")
    return lines


def verify_proof_file(path: Path, rpc_url: str | None) -> list[str]:
    try:
        obj = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise MalformedInput(f"expected a JSON proof in {path}, found: {exc}") from exc
    return verify_proofs(proofs_in(obj), rpc_url)


def verify_remote_digest(server: str, digest: str, rpc_url: str | None) -> list[str]:
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
    return verify_proofs(proofs_in(body), rpc_url)
