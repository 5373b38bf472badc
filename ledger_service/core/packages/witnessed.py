"""Step 9 of ``docs/evidence-package.md``: the heads' checkpoints, against the trust policy.

``checkpoints/<size>.json`` holds the log's C2SP checkpoint of the head of that
size with the witnesses' cosignatures (``docs/checkpoints.md``). Without a policy
the verifier can only check that each checkpoint names its head's size and root.
With a pinned policy (:func:`check_witnessed`) the package must be on the pinned
chain and EvidenceLog, and its newest head (the one every proof goes to) must be
signed by the pinned log key and cosigned by k of the n pinned witnesses: a head
the operator rewrote, or anchored on a contract of its own, fails here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ledger_service.core.checkpoints import SignedCheckpoint, Witnessed
from ledger_service.core.errors import MalformedInput, VerificationFailed
from ledger_service.core.packages.format import parse_canonical
from ledger_service.core.packages.verdicts import Verdict
from ledger_service.core.pinned import (
    check_cosigned,
    check_pinned_anchor,
    policy_trust,
    witness_trust,
    witnessed_text,
)
from ledger_service.core.proofs import Anchor
from ledger_service.core.trust_policy import TrustPolicy

__all__ = ["check_checkpoints", "read_checkpoints"]


def read_checkpoints(
    entries: Mapping[str, bytes], heads: Sequence[Anchor]
) -> dict[int, SignedCheckpoint]:
    """Each ``checkpoints/<size>.json``: a checkpoint of the head of that size and root.

    Raises:
        MalformedInput: an entry is not a checkpoint envelope.
        VerificationFailed: no head has that size, or the checkpoint names another
            size or root than its head.
    """
    by_size = {h.tree_size: h for h in heads}
    out: dict[int, SignedCheckpoint] = {}
    paths = sorted(
        (p for p in entries if p.startswith("checkpoints/")), key=lambda p: int(p[12:-5])
    )
    for path in paths:
        size = int(path[12:-5])
        try:
            signed = SignedCheckpoint.from_json(parse_canonical(entries[path], path))
        except MalformedInput as exc:
            raise type(exc)(f"{path}: {exc}") from exc
        head = by_size.get(size)
        if head is None:
            raise VerificationFailed(f"{path}: expected a head of size {size}, found none")
        cp = signed.checkpoint
        if (cp.size, cp.root) != (head.tree_size, head.root):
            raise VerificationFailed(
                f"{path}: expected size {head.tree_size} root {head.root.hex()} (its head), "
                f"found size {cp.size} root {cp.root.hex()}"
            )
        out[size] = signed
    return out


def check_checkpoints(
    entries: Mapping[str, bytes],
    heads: Sequence[Anchor],
    policy: TrustPolicy | None,
    now: int,
) -> tuple[dict[int, Witnessed], list[Verdict]]:
    """Step 9: the checkpoints, and with ``policy`` the pinned chain, contract and quorum.

    Returns the witnessed heads by size (empty without a policy) and the verdicts.

    Raises:
        VerificationFailed: see :func:`read_checkpoints`; with a policy also another
            chain or EvidenceLog than the pinned one (both named), no checkpoint for
            the newest head, or a checkpoint not signed by the pinned log key and
            cosigned by k of the pinned witnesses.
    """
    signed = read_checkpoints(entries, heads)
    if policy is None:
        return {}, [
            Verdict(f"checkpoints/{size}.json", f"names size {size} and its head's root; "
                    "signatures not checked (no trust policy pinned)")
            for size in signed
        ]  # fmt: skip
    out = []
    for h in heads:
        check_pinned_anchor(policy, h, f"anchors/{h.tx_hash}.json")
    out.append(Verdict("heads.json", f"chain {policy.chain_id} and EvidenceLog "
                       f"{policy.contract('EvidenceLog')} are the pinned ones",
                       policy_trust(policy)))  # fmt: skip
    newest = heads[-1]
    if newest.tree_size not in signed:
        raise VerificationFailed(
            f"checkpoints/{newest.tree_size}.json: expected the log's checkpoint of the newest "
            f"head (size {newest.tree_size}) cosigned by {policy.witnesses.k} of "
            f"{len(policy.witnesses.keys)} pinned witnesses, found missing"
        )
    witnessed: dict[int, Witnessed] = {}
    for size, note in signed.items():
        path = f"checkpoints/{size}.json"
        head = next(h for h in heads if h.tree_size == size)
        witnessed[size] = check_cosigned(policy, note, size, head.root, now, path)
        out.append(Verdict(path, witnessed_text(witnessed[size]), witness_trust(policy)))
    return witnessed, out
