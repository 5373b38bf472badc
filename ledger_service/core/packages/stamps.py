"""Step 8b of ``docs/evidence-package.md``: RFC 3161 timestamps of the heads' checkpoints.

``timestamps/<size>.tsr`` is a TSA's DER ``TimeStampResp`` over the signed text of
``checkpoints/<size>.json`` (``core/timestamps.py``). With TSA roots pinned in the
trust policy each token must verify against them (a token of a TSA of the
operator's own choosing, or over another checkpoint, fails, named); the verdict
gives the TSA's time beside the witnessed time. Without pinned roots the tokens
are reported as carried, not checked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from ledger_service.core.errors import MalformedInput, VerificationFailed
from ledger_service.core.packages.verdicts import Verdict
from ledger_service.core.packages.witnessed import read_checkpoints
from ledger_service.core.proofs import Anchor
from ledger_service.core.timestamps import load_roots, verify_timestamp
from ledger_service.core.trust_policy import TrustPolicy

__all__ = ["check_timestamps"]


def check_timestamps(
    entries: Mapping[str, bytes], heads: Sequence[Anchor], policy: TrustPolicy | None
) -> list[Verdict]:
    """Step 8b: each ``timestamps/<size>.tsr`` against its checkpoint and the pinned TSAs.

    Raises:
        VerificationFailed: a token without its checkpoint, or (with pinned roots) a
            token that does not verify against them over that checkpoint's text.
        MalformedInput: a token that is not a TimeStampResp.
    """
    paths = sorted((p for p in entries if p.startswith("timestamps/")),
                   key=lambda p: int(p[11:-4]))  # fmt: skip
    if not paths:
        return []
    signed = read_checkpoints(entries, heads)
    roots = load_roots(policy.tsa_roots) if policy is not None else []
    trust = f"TSA roots pinned by {policy.fingerprint[:19]}" if policy is not None else ""
    out = []
    for path in paths:
        size = int(path[11:-4])
        if size not in signed:
            raise VerificationFailed(
                f"{path}: expected checkpoints/{size}.json beside it, found none"
            )
        if not roots:
            out.append(Verdict(path, f"RFC 3161 timestamp of checkpoint {size} carried; not "
                               "checked (no TSA root pinned)"))  # fmt: skip
            continue
        try:
            stamp = verify_timestamp(entries[path], signed[size].note.text.encode(), roots)
        except (MalformedInput, VerificationFailed) as exc:
            raise type(exc)(f"{path}: {exc}") from None
        when = datetime.fromtimestamp(stamp.time, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        out.append(Verdict(path, f"checkpoint of size {size} existed by {stamp.time} ({when}), "
                           f"RFC 3161 token {stamp.serial} of {stamp.tsa}", trust))  # fmt: skip
    return out
