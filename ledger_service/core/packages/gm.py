"""Step 8c of ``docs/evidence-package.md`` (GM profile): SM2 signatures and SM3, offline.

Runs only when the pinned trust policy says ``crypto_profile: gm``
(``docs/gm-profile.md``). On top of the international checks, which still run:

- every checkpoint carries a ``chainwitness-sm3`` root, signed in SM2 by the pinned
  log key and SM2-cosigned by k of the pinned witnesses' SM2 keys;
- every record has ``sm3-proofs/<i>.json``, an SM3 audit path of its leaf to the
  SM3 root of a checkpoint in the package;
- every file in the package is named by a record that states its SM3 digest
  (``digests.sm3``), and the file hashes to it.

A package without any of these (e.g. the operator stripped its SM2 signatures, or
re-signed with an SM2 key of its own) is refused, naming what is missing.
"""

from __future__ import annotations

from collections.abc import Mapping

from ledger_service.core.checkpoints import SignedCheckpoint
from ledger_service.core.errors import MalformedInput, VerificationFailed
from ledger_service.core.gm_notes import GmWitnessed
from ledger_service.core.merkle import sm3 as sm3_tree
from ledger_service.core.packages.format import parse_canonical
from ledger_service.core.packages.sm3_proof import Sm3Proof
from ledger_service.core.packages.verdicts import Verdict
from ledger_service.core.pinned import check_gm_cosigned, gm_text, witness_trust
from ledger_service.core.records import EvidenceRecord
from ledger_service.core.sm2 import sm3
from ledger_service.core.trust_policy import TrustPolicy

__all__ = ["check_gm"]

Entries = Mapping[str, bytes]


def check_gm(
    entries: Entries,
    records: Mapping[int, EvidenceRecord],
    checkpoints: Mapping[int, SignedCheckpoint],
    policy: TrustPolicy,
    now: int,
) -> list[Verdict]:
    """Step 8c: the GM half of a package, against a ``gm`` policy.

    Raises:
        VerificationFailed: a checkpoint without a valid SM3 root, SM2 log signature or
            k SM2 cosignatures; a record without a valid SM3 proof; a file without a
            matching SM3 digest (each message names the entry).
    """
    trust = witness_trust(policy) + ", GM profile"
    out: list[Verdict] = []
    gm: dict[int, GmWitnessed] = {}
    for size, signed in checkpoints.items():
        path = f"checkpoints/{size}.json"
        gm[size] = check_gm_cosigned(policy, signed, now, path)
        out.append(Verdict(path, gm_text(gm[size], len(policy.witness_sm2_keys)), trust))
    proofs = {p for p in entries if p.startswith("sm3-proofs/")}
    for i in sorted(records):
        path = f"sm3-proofs/{i}.json"
        proofs.discard(path)
        if path not in entries:
            raise VerificationFailed(
                f"{path}: expected the SM3 proof of records/{i}.json (GM profile), found missing"
            )
        try:
            proof = Sm3Proof.from_json(parse_canonical(entries[path], path), path)
        except MalformedInput as exc:
            raise VerificationFailed(f"{path}: {exc}") from None
        witnessed = gm.get(proof.tree_size)
        if proof.leaf_index != i or witnessed is None:
            raise VerificationFailed(
                f"{path}: expected leaf {i} in the tree of a checkpoint in the package, found "
                f"leaf {proof.leaf_index} in size {proof.tree_size}"
            )
        leaf = sm3_tree.leaf_hash(entries[f"records/{i}.json"])
        try:
            sm3_tree.verify_inclusion(leaf, i, proof.tree_size, proof.path, witnessed.sm3_root)
        except VerificationFailed as exc:
            raise VerificationFailed(f"{path}: SM3 root of size {proof.tree_size}: {exc}") from None
        out.append(Verdict(path, f"record {i} in the SM3 tree of size {proof.tree_size}, root "
                           f"{witnessed.sm3_root.hex()[:16]}..."))  # fmt: skip
    if proofs:
        raise VerificationFailed(f"{min(proofs)}: expected a record for it, found none")
    out += _check_files_sm3(entries, records)
    return out


def _check_files_sm3(entries: Entries, records: Mapping[int, EvidenceRecord]) -> list[Verdict]:
    out = []
    for path in sorted(p for p in entries if p.startswith("files/")):
        digest = path[6:]
        stated = {r.digests.get("sm3") for r in records.values()
                  if r.digests.get("sha256") == digest}  # fmt: skip
        found = sm3(entries[path]).hex()
        if None in stated or not stated:
            raise VerificationFailed(
                f"{path}: expected every record naming it to state its SM3 digest (GM profile), "
                "found a record without one"
            )
        if stated != {found}:
            raise VerificationFailed(
                f"{path}: expected SM3 {found} as its records state, found "
                f"{', '.join(sorted(str(s) for s in stated))}"
            )
        out.append(Verdict(path, f"SM3 {found[:16]}... matches the records' SM3 digest"))
    return out
