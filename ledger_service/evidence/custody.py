"""The chain of custody: every search, package and download by a court or regulator.

Each retrieval is itself an evidence record, so who retrieved what, and when, is as
verifiable as the evidence retrieved.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from ledger_service.core.canonical import canonicalize
from ledger_service.core.records import EvidenceRecord
from ledger_service.evidence.deposit import Appender


def record_custody(
    log: Appender, role: str, name: str, action: str, what: Mapping[str, Any]
) -> int:
    """Record one retrieval by ``role``/``name``; returns its record index.

    Kind ``custody.<action>``, subject ``custody:<role>:<name>``, actor ``<role>:<name>``;
    the digest is ``what["sha256"]`` when given, else the SHA-256 of ``what`` canonicalized.
    Raises MalformedInput when ``what`` is not canonical JSON.
    """
    digest = what.get("sha256") or hashlib.sha256(canonicalize(dict(what))).hexdigest()
    record = EvidenceRecord.create(
        kind=f"custody.{action}", subject=f"custody:{role}:{name}",
        actor=f"{role}:{name}", digests={"sha256": digest}, metadata=dict(what),
    )  # fmt: skip
    index: int = log.append([record]).first_index
    return index
