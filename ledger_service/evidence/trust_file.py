"""``trust-policy.json``: the trust policy ``chainwitness init`` writes for publication.

The trading centre publishes this file (and its fingerprint) with each tender
notice; verifiers pin it (``docs/trust-policy.md``). It names the chain this
service runs on and what kind it is, the deployed contracts, the log's origin and
note key, and the witnesses' keys and quorum and the notary authority (when known) from the
settings. A policy needs at least one witness: without witnesses nothing is written, and the service says so.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ledger_service.core.checkpoints import WitnessQuorum
from ledger_service.core.errors import ConfigurationError, MalformedInput
from ledger_service.core.trust_policy import CONTRACT_NAMES, NotaryAuthority, TrustPolicy
from ledger_service.evidence.checkpointing import ensure_log_key, ensure_log_sm2_key, parse_witness
from ledger_service.settings import Settings

__all__ = ["POLICY_FILE", "build_trust_policy", "write_trust_policy"]

POLICY_FILE = "trust-policy.json"


def build_trust_policy(
    settings: Settings,
    chain_id: int,
    contracts: dict[str, str],
) -> TrustPolicy | None:
    """The policy for this service, or None when no witness is configured.

    ``chain_kind`` is the setting, else ``development`` (an embedded anvil or any
    chain not declared a consortium: its operator controls it).
    """
    if not settings.witnesses:
        return None
    signer = ensure_log_key(settings.data_dir, settings.log_origin)
    endpoints = [parse_witness(w) for w in settings.witnesses]
    keys = tuple(w.key for w in endpoints)
    gm: dict[str, Any] = {}
    if settings.crypto_profile == "gm":
        missing = [w.url for w in endpoints if w.sm2_key is None]
        if missing:
            raise ConfigurationError(
                "CHAINWITNESS_WITNESSES: expected '<URL> <verifier key> <SM2 verifier key>' for "
                f"every witness with crypto_profile gm, found none for {', '.join(missing)}"
            )
        gm = dict(
            crypto_profile="gm",
            log_sm2_key=ensure_log_sm2_key(settings.data_dir, signer.name).verifier_key,
            witness_sm2_keys=tuple(w.sm2_key for w in endpoints if w.sm2_key is not None),
        )
    return TrustPolicy(
        chain_id=chain_id,
        chain_kind=settings.chain_kind or "development",
        contracts=tuple(
            sorted(
                (name, TrustPolicy.checksummed(address))
                for name, address in contracts.items()
                if name in CONTRACT_NAMES
            )
        ),
        log_origin=signer.name,
        log_key=signer.verifier_key,
        witnesses=WitnessQuorum(keys, settings.quorum),
        notary=_notary(settings.notary),
        tsa_roots=_tsa_roots(settings.tsa_root),
        consensus=settings.chain_consensus,
        validators=tuple(TrustPolicy.checksummed(v) for v in settings.chain_validators),
        **gm,
    )


def _tsa_roots(path: Path | None) -> tuple[str, ...]:
    """``CHAINWITNESS_TSA_ROOT``: each PEM certificate in the file."""
    if path is None:
        return ()
    try:
        text = path.read_text()
    except OSError as exc:
        raise ConfigurationError(f"TSA root: expected a PEM file at {path}, found: {exc}") from None
    end = "-----END CERTIFICATE-----"
    pems = tuple(part.strip() + "\n" + end + "\n" for part in text.split(end)[:-1])
    if not pems:
        raise ConfigurationError(f"TSA root: expected PEM certificates in {path}, found none")
    return pems


def _notary(value: str | None) -> NotaryAuthority | None:
    """``CHAINWITNESS_NOTARY``: the pinned notary, its own ``0x`` address or its DID."""
    if value is None:
        return None
    try:
        if value.startswith("did:"):
            return NotaryAuthority(did=value)
        return NotaryAuthority(address=TrustPolicy.checksummed(value))
    except (MalformedInput, ValueError) as exc:
        raise ConfigurationError(
            f"notary authority: expected a 0x address or a DID, found {value!r:.80} ({exc})"
        ) from None


def write_trust_policy(policy: TrustPolicy, data_dir: Path) -> Path:
    """Write the canonical bytes to ``data_dir/trust-policy.json`` (replaced atomically)."""
    path = data_dir / POLICY_FILE
    tmp = path.with_suffix(".json.tmp")
    tmp.write_bytes(policy.to_bytes())
    os.replace(tmp, path)
    return path
