"""Issue evidence packages from the log, its anchors, the file store and the chain.

The I/O side of ``core.packages``: collect records, proofs, anchored heads, their
receipts and block headers, and files; write the zip; record its digest in the log.
The collaborators come in one :class:`PackageSources`, built by the composition root.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from ledger_service.chain.client import ChainClient
from ledger_service.core.canonical import canonicalize
from ledger_service.core.checkpoints import SignedCheckpoint
from ledger_service.core.errors import ChainStateMismatch, Conflict, NotFound
from ledger_service.core.gm_notes import sm3_root
from ledger_service.core.merkle import sm3 as sm3_tree
from ledger_service.core.packages import (
    MAX_FILE_BYTES,
    Omission,
    PackageContents,
    Signature,
    manifest_digest,
    verify_package,
    write_package,
)
from ledger_service.core.packages.sm3_proof import Sm3Proof
from ledger_service.core.proofs import Anchor, InclusionProof
from ledger_service.core.records import EvidenceRecord
from ledger_service.evidence.package_rpc import anchor_evidence
from ledger_service.evidence.proofs import anchor_of, consistency_proof
from ledger_service.store.anchors import CONFIRMED, AnchorStore
from ledger_service.store.blobs import BlobStore
from ledger_service.store.checkpoints import CheckpointStore
from ledger_service.store.log import LogStore, StoredRecord

PACKAGE_KIND = "evidence.package"
PACKAGER_ACTOR = "chainwitness:packager"
log = logging.getLogger("chainwitness.packages")
#: records one package may hold
MAX_PACKAGE_RECORDS = 5000
_HEX = set("0123456789abcdef")


@dataclass(frozen=True)
class PackageSources:
    """Where a package's contents come from.

    ``log_store`` holds the records and computes proofs, ``anchors`` the anchored
    heads, ``blobs`` the original files; ``client`` fetches each anchoring receipt
    and block header from the chain ``chain_id``; ``checkpoints`` the log's signed
    and cosigned checkpoints of those heads.
    """

    log_store: LogStore
    anchors: AnchorStore
    blobs: BlobStore
    client: ChainClient
    chain_id: int
    checkpoints: CheckpointStore | None = None


def normalize_subject(subject: str) -> str:
    """``"12"`` -> ``"record:12"``, a 64-hex digest -> ``"sha256:<hex>"``, else as given."""
    if subject.isascii() and subject.isdigit():
        return f"record:{int(subject)}"
    if len(subject) == 64 and set(subject.lower()) <= _HEX:
        return f"sha256:{subject.lower()}"
    return subject


def _records(log_store: LogStore, subject: str) -> list[StoredRecord]:
    if subject.startswith("record:") and subject[7:].isdigit():
        found = [log_store.record(int(subject[7:]))]
    elif subject.startswith("sha256:"):
        found = [
            log_store.record(i)
            for i in log_store.find_by_sha256(subject[7:], limit=MAX_PACKAGE_RECORDS + 1)
        ]
    else:
        # Earlier packages' issuance records share the subject but are not its evidence
        # (and the newest is never anchored yet): leave them out.
        found = [
            r
            for r in log_store.records_for_subject(subject, limit=2 * MAX_PACKAGE_RECORDS)
            if r.record.kind != PACKAGE_KIND
        ]
    if not found:
        raise NotFound(f"expected records for {subject!r}, found none")
    if len(found) > MAX_PACKAGE_RECORDS:
        raise Conflict(
            f"expected at most {MAX_PACKAGE_RECORDS} records per package, found more for {subject!r}"
        )
    return found


def _heads(sources: PackageSources, indices: list[int]) -> list[Anchor]:
    """The newest confirmed head, and for each record the first head that covered it."""
    confirmed = sorted(
        (a for a in sources.anchors.all() if a.status == CONFIRMED), key=lambda a: a.tree_size
    )
    last = max(indices)
    if not confirmed or confirmed[-1].tree_size <= last:
        covered = confirmed[-1].tree_size if confirmed else 0
        raise Conflict(
            f"expected every record anchored, found record {last} not yet covered by a confirmed "
            f"anchor (the newest covers {covered} records); wait for anchoring and retry"
        )
    chosen = {confirmed[-1].tree_size: confirmed[-1]}
    for i in indices:
        first = next(a for a in confirmed if a.tree_size > i)
        chosen[first.tree_size] = first
    heads = [anchor_of(chosen[size]) for size in sorted(chosen)]
    for h in heads:
        local = sources.log_store.root_at(h.tree_size)
        if local != h.root:
            raise ChainStateMismatch(
                f"expected the anchored root at size {h.tree_size} to be the log's "
                f"{local.hex()}, found {h.root.hex()}"
            )
    return heads


def _checkpoints(
    sources: PackageSources, heads: list[Anchor]
) -> tuple[dict[int, SignedCheckpoint], dict[int, bytes]]:
    """The stored checkpoint of each head, where one was signed for that head's root, and
    the TSA's RFC 3161 token over it where one was obtained."""
    out: dict[int, SignedCheckpoint] = {}
    stamps: dict[int, bytes] = {}
    for h in heads if sources.checkpoints is not None else []:
        assert sources.checkpoints is not None
        stored = sources.checkpoints.at_size(h.tree_size)
        if stored is not None and stored.root == h.root:
            out[h.tree_size] = SignedCheckpoint.from_bytes(stored.note)
            if stored.timestamp is not None:
                stamps[h.tree_size] = stored.timestamp
    return out, stamps


def _files(
    sources: PackageSources, stored: list[StoredRecord], include_files: bool
) -> tuple[dict[str, bytes], list[Omission]]:
    """The original files the records name, and every one left out with its reason.

    A step record's digest is that of its own metadata (``evidence.deposit``): it names
    no file, so it is neither carried nor listed as left out.
    """
    by_digest: dict[str, list[int]] = {}
    for r in stored:
        digest = r.record.digests.get("sha256")
        own = hashlib.sha256(canonicalize(r.record.to_json()["metadata"])).hexdigest()
        if digest is not None and digest != own:
            by_digest.setdefault(digest, []).append(r.index)
    files: dict[str, bytes] = {}
    omitted: list[Omission] = []
    for digest, indices in by_digest.items():

        def leave_out(reason: str, detail: str = "") -> None:
            omitted.append(Omission(digest, reason, tuple(indices), detail))  # noqa: B023

        if not include_files:
            leave_out("withheld")
            continue
        try:
            path = sources.blobs.open(digest)
        except NotFound:
            leave_out("not-stored")  # the record states a digest; the file was never uploaded
            continue
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            leave_out("too-large", f"{size} bytes, at most {MAX_FILE_BYTES}")
            continue
        data = path.read_bytes()
        found = hashlib.sha256(data).hexdigest()
        if found != digest:
            # the stored copy was altered: the record (and its proof) still stands, the
            # file cannot be vouched for, so it stays out of the package, and says so
            log.warning("stored file %s does not match its digest; left out", digest)
            leave_out("digest-mismatch", f"the stored copy hashes to {found}")
            continue
        files[digest] = data
    return files, omitted


def _sm3_proofs(
    log_store: LogStore, newest: SignedCheckpoint | None, indices: list[int]
) -> dict[int, Sm3Proof]:
    """GM profile: each record's SM3 audit path to the newest checkpoint's SM3 root, when
    that checkpoint carries one (``docs/gm-profile.md``); else none. ``O(size)``."""
    root = None if newest is None else sm3_root(newest.checkpoint)
    if newest is None or root is None:
        return {}
    size = newest.checkpoint.size
    leaves = [sm3_tree.leaf_hash(c) for c in log_store.canonical_prefix(size)]
    if sm3_tree.root_from_leaves(leaves) != root:
        raise ChainStateMismatch(
            f"checkpoint of size {size}: expected the log's SM3 root, found another"
        )
    return {i: Sm3Proof(i, size, tuple(sm3_tree.inclusion_proof_from_leaves(i, leaves)))
            for i in indices}  # fmt: skip


def build_package(
    sources: PackageSources,
    subject: str,
    *,
    include_files: bool = True,
    signatures: Mapping[str, Signature] | None = None,
    now: datetime | None = None,
    package_id: str | None = None,
) -> bytes:
    """Build, self-check and issue the package for ``subject``; return the zip bytes.

    ``subject``: a record index (``"12"`` or ``"record:12"``), a SHA-256 digest (every
    record with it), or a record subject such as ``"tender:GC-2026-0417"``. Proofs go to
    the newest confirmed anchor; waiting for anchoring is the caller's job. The zip's
    SHA-256 is then appended to the log as a record of kind ``evidence.package``.

    Raises:
        NotFound: no records for ``subject``.
        Conflict: a record is not anchored yet (or too many records).
        ChainStateMismatch, ChainUnavailable: the chain disagrees or does not answer.
    """
    subject = normalize_subject(subject)
    stored = _records(sources.log_store, subject)
    indices = [r.index for r in stored]
    heads = _heads(sources, indices)
    newest = heads[-1]
    proofs = {
        r.index: InclusionProof(
            leaf_index=r.index,
            tree_size=newest.tree_size,
            leaf_hash=r.leaf_hash,
            path=tuple(sources.log_store.inclusion_proof(r.index, newest.tree_size)),
            root=newest.root,
            anchor=newest,
        )
        for r in stored
    }
    files, omitted = _files(sources, stored, include_files)
    stamp = now or datetime.now(UTC)
    checkpoints, stamps = _checkpoints(sources, heads)
    sm3_proofs = _sm3_proofs(sources.log_store, checkpoints.get(newest.tree_size), indices)
    contents = PackageContents(
        package_id=package_id or uuid.uuid4().hex,
        created_at=stamp.astimezone(UTC).isoformat(timespec="milliseconds")[:-6] + "Z",
        subject=subject,
        chain_id=sources.chain_id,
        contract=newest.contract,
        records={r.index: r.canonical for r in stored},
        proofs=proofs,
        heads=heads,
        consistency=[
            consistency_proof(sources.log_store, a.tree_size, b.tree_size)
            for a, b in zip(heads, heads[1:], strict=False)
        ],
        anchors={h.tx_hash: anchor_evidence(sources.client, h) for h in heads},
        files=files,
        signatures=dict(signatures or {}),
        checkpoints=checkpoints,
        timestamps=stamps,
        omitted=omitted,
        sm3_proofs=sm3_proofs,
    )
    data = write_package(contents)
    verify_package(data)  # never issue a package that does not verify
    sources.log_store.append(
        [
            EvidenceRecord.create(
                kind=PACKAGE_KIND,
                subject=subject,
                actor=PACKAGER_ACTOR,
                digests={"sha256": hashlib.sha256(data).hexdigest()},
                metadata={
                    "package_id": contents.package_id,
                    "manifest_sha256": manifest_digest(data),
                    "records": len(stored),
                    "tree_size": newest.tree_size,
                    # how many original documents it carries (regulators get none)
                    "files": len(files),
                    "omitted": len(omitted),
                },
                now=stamp,
            )
        ]
    )
    return data
