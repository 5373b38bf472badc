"""Verify a notarization certificate without trusting the service that issued it.

:func:`verify_certificate` takes the compact JWS, an RPC endpoint, the NotaryRegistry
address the verifier trusts, and optionally the evidence package. It returns the
verdicts of a certificate that holds, or raises :class:`VerificationFailed` at the first
check that does not (the message names the check and what was expected and found),
the same convention as the package verifier. The checks are listed in
``docs/notarization.md``.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from eth_account import Account

from ledger_service.chain.client import ChainClient
from ledger_service.chain.evidence_log import EvidenceLogContract
from ledger_service.core.errors import ChainUnavailable, EvidenceError, VerificationFailed
from ledger_service.core.packages import ONLINE, Verdict
from ledger_service.core.pinned import chain_trust, policy_trust
from ledger_service.core.trust_policy import TrustPolicy
from ledger_service.evidence.package_rpc import verify_package
from notary.certificate import certificate_digest, verify_signature
from notary.registry import NotaryRegistryContract

__all__ = ["REASON_CODES", "reason_name", "verify_certificate"]

#: Revocation reason codes, numbered as RFC 5280 CRLReason (0 is not allowed on chain).
REASON_CODES = {
    1: "keyCompromise",
    3: "affiliationChanged",
    4: "superseded",
    5: "cessationOfOperation",
    9: "privilegeWithdrawn",
    16: "packageWithdrawn",  # ours: the evidence package was withdrawn or found wrong
    17: "issuedInError",  # ours
}


def reason_name(code: int) -> str:
    return REASON_CODES.get(code, "unassigned")


def _when(t: int) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def verify_certificate(
    jws: str | bytes,
    *,
    rpc_url: str,
    registry_address: str,
    package: bytes | None = None,
    policy: TrustPolicy | None = None,
) -> list[Verdict]:
    """Check a certificate; return its verdicts, or raise at the first failure.

    Checks: the JWS signature and that its key is the issuer's address; the chain at
    ``rpc_url`` is the credential's chain; NotaryRegistry at ``registry_address`` has the
    certificate's digest, registered by that notary with the same package digest and tree
    head; the notary was authorized at the registration time; it is not revoked; the tree
    head is the one EvidenceLog stores for that size. With ``package``: its SHA-256 is the
    credential's packageDigest, its subject matches, and it verifies with the independent
    package verifier against the chain. With ``policy`` (pinned out of band): the chain,
    the NotaryRegistry, the credential's EvidenceLog and (if pinned) the notary authority
    must be the pinned ones, and the package is verified against the policy too.

    Raises:
        MalformedInput, LimitExceeded: the JWS or the package is malformed.
        VerificationFailed: a check fails (the message says which and why).
        ChainUnavailable: ``rpc_url`` does not answer.
    """
    cert = verify_signature(jws)
    digest = certificate_digest(jws)
    verdicts = [Verdict("signature", f"ES256K by the issuer's key, address {cert.notary}")]
    if policy is not None:
        verdicts.append(_pinned(policy, cert.chain_id, registry_address, cert.anchor.contract,
                                cert.notary))  # fmt: skip
    online = f"{ONLINE}; {chain_trust(policy, cert.chain_id)}"
    # a throwaway signer: this client only reads
    client = ChainClient(rpc_url, Account.create(), None, retries=2)
    if policy is not None:
        policy.require_chain(client.chain_id)
    if client.chain_id != cert.chain_id:
        raise VerificationFailed(
            f"chain: expected chain id {cert.chain_id} (the issuer's), found {client.chain_id} at RPC"
        )
    registry = NotaryRegistryContract(client, registry_address)
    info = registry.certificate(bytes.fromhex(digest))
    if info.notary is None or info.issued_at is None:
        raise VerificationFailed(
            f"registration: expected certificate {digest} registered on NotaryRegistry "
            f"{registry.address}, found it is not"
        )
    if info.notary != cert.notary:
        raise VerificationFailed(
            f"registration: expected certificate {digest} registered by the issuer "
            f"{cert.notary}, found it registered by {info.notary}"
        )
    registered = (info.package_digest.hex(), info.tree_size, info.tree_root.hex())
    stated = (cert.package_digest, cert.tree_size, cert.tree_root)
    if registered != stated:
        raise VerificationFailed(
            "registration: expected the registered (packageDigest, treeSize, treeRoot) "
            f"{stated}, found {registered}"
        )
    verdicts.append(Verdict("registration", f"registered by {cert.notary} at "
                            f"{_when(info.issued_at)}", online))  # fmt: skip
    if not registry.was_authorized_at(cert.notary, info.issued_at):
        raise VerificationFailed(
            f"notary: expected {cert.notary} authorized at issuance {_when(info.issued_at)}, "
            "found it was not"
        )
    verdicts.append(Verdict("notary", f"authorized at {_when(info.issued_at)}", online))
    if info.revoked_at is not None:
        raise VerificationFailed(
            f"revocation: expected certificate {digest} not revoked, found it revoked at "
            f"{_when(info.revoked_at)} with reason code {info.reason_code} "
            f"({reason_name(info.reason_code)})"
        )
    verdicts.append(Verdict("revocation", "not revoked", online))
    root = EvidenceLogContract(client, cert.anchor.contract).root_of(cert.tree_size)
    if root is None or root.hex() != cert.tree_root:
        raise VerificationFailed(
            f"tree head: expected EvidenceLog {cert.anchor.contract} to hold root "
            f"{cert.tree_root} at size {cert.tree_size}, found {root.hex() if root else 'none'}"
        )
    verdicts.append(Verdict("tree head", f"size {cert.tree_size} anchored", online))
    if package is not None:
        found = hashlib.sha256(package).hexdigest()
        if found != cert.package_digest:
            raise VerificationFailed(
                f"package: expected SHA-256 {cert.package_digest} (the credential's "
                f"packageDigest), found {found}"
            )
        try:
            report = verify_package(package, rpc_url=rpc_url, policy=policy)
        except VerificationFailed as exc:
            raise VerificationFailed(f"package: expected it to verify, found: {exc}") from exc
        except ChainUnavailable:
            raise
        except EvidenceError as exc:
            raise VerificationFailed(f"package: expected a valid package, found: {exc}") from exc
        if report.subject != cert.subject:
            raise VerificationFailed(
                f"package: expected subject {cert.subject!r}, found {report.subject!r}"
            )
        verdicts.append(Verdict("package", f"{found} verifies ({len(report.verdicts)} checks)",
                                online))  # fmt: skip
    return verdicts


def _pinned(
    policy: TrustPolicy, chain_id: int, registry: str, evidence_log: str, notary: str
) -> Verdict:
    """The certificate's chain, registry, EvidenceLog and notary against the policy."""
    policy.require_chain(chain_id)
    policy.require_contract("NotaryRegistry", registry)
    policy.require_contract("EvidenceLog", evidence_log)
    if policy.notary is not None:
        policy.require_notary(address=notary)
    who = "the pinned notary authority" if policy.notary is not None else "no notary pinned"
    return Verdict("trust policy", f"chain {chain_id}, NotaryRegistry {registry}, EvidenceLog "
                   f"{evidence_log} are the pinned ones; issuer {notary}: {who}",
                   policy_trust(policy))  # fmt: skip
