"""Evidence packages (取证包): one zip a court can check without the operator.

A package holds canonical records, optionally their files, inclusion proofs to
anchored tree heads, the consistency proofs that join those heads into one
history, and for every head the anchoring transaction's receipt and block header.
The format is specified in ``docs/evidence-package.md``.

Pure: :func:`write_package` builds zip bytes from typed contents and
:func:`verify_package` checks zip bytes it is handed. Whatever needs a chain is
asked of a :class:`ChainView` the caller supplies
(``ledger_service.evidence.package_rpc``).

- :mod:`.format`: the container, the typed contents, the writer and the reader;
- :mod:`.manifest`: the manifest, the entries it lists and the subject rule;
- :mod:`.anchor_evidence`: receipts and block headers (keccak256 of RLP);
- :mod:`.verify`: the verifier, one named function per numbered check.
"""

from ledger_service.core.packages.anchor_evidence import (
    ANCHOR_EVIDENCE_FORMAT,
    HEAD_ANCHORED_TOPIC,
    AnchorEvidence,
    header_hash,
)
from ledger_service.core.packages.format import (
    FORMAT,
    HEADS_FORMAT,
    LIMITS,
    MAX_ENTRIES,
    MAX_FILE_BYTES,
    MAX_JSON_BYTES,
    MAX_PACKAGE_BYTES,
    MAX_TOTAL_BYTES,
    OMISSION_REASONS,
    SIGNATURE_FORMAT,
    VERSION,
    Limits,
    Omission,
    PackageContents,
    Signature,
    manifest_digest,
    write_package,
)
from ledger_service.core.packages.verify import (
    OFFLINE,
    ONLINE,
    ChainView,
    Report,
    Verdict,
    verify_package,
)

__all__ = [
    "ANCHOR_EVIDENCE_FORMAT",
    "FORMAT",
    "HEADS_FORMAT",
    "HEAD_ANCHORED_TOPIC",
    "LIMITS",
    "MAX_ENTRIES",
    "MAX_FILE_BYTES",
    "MAX_JSON_BYTES",
    "MAX_PACKAGE_BYTES",
    "MAX_TOTAL_BYTES",
    "OFFLINE",
    "ONLINE",
    "SIGNATURE_FORMAT",
    "VERSION",
    "AnchorEvidence",
    "ChainView",
    "Limits",
    "OMISSION_REASONS",
    "Omission",
    "PackageContents",
    "Report",
    "Signature",
    "Verdict",
    "header_hash",
    "manifest_digest",
    "verify_package",
    "write_package",
]
