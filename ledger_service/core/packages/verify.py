"""Verify an evidence package: the checks of section 7 of ``docs/evidence-package.md``.

:func:`verify_package` runs one function per numbered step, in the order the
specification gives, and stops at the first failure:

1. :func:`check_container`   zip, limits, names, ``manifest.sha256``
2. :func:`check_manifest`    members, every listed entry present and matching
3. :func:`check_heads`       one history of anchored heads (consistency proofs)
4. :func:`check_anchors`     each head's receipt and block header
5. :func:`check_records`     records, inclusion proofs, the manifest's subject
6. :func:`check_files`       original files against the records' digests
7. :func:`check_signatures`  source signatures
8. :func:`check_checkpoints` the heads' signed checkpoints; with a pinned trust
                             policy: the pinned chain and EvidenceLog, and the newest
                             head cosigned by k of the n pinned witnesses
   :func:`check_gm`          (a ``gm`` policy) SM3 root, SM2 log signature and SM2
                             cosignatures, SM3 proofs of records, SM3 of files
   :func:`check_timestamps` RFC 3161 tokens of checkpoints, against pinned TSA roots
   :func:`check_bid_deadlines` (with a policy) every bid first witnessed by its
                             tender's bid deadline (``core/packages/deadlines.py``)
9. :func:`check_chain`       (optional) the chain still holds the blocks and roots

Steps 1-8 need nothing but the zip (and the policy); step 9 asks a :class:`ChainView`
the caller supplies (``ledger_service.evidence.package_rpc`` has one over JSON-RPC).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass
from typing import Protocol

from ledger_service.core import merkle
from ledger_service.core._fields import formatted
from ledger_service.core.canonical import canonicalize
from ledger_service.core.errors import ConfigurationError, MalformedInput, VerificationFailed
from ledger_service.core.headers import bft_quorum
from ledger_service.core.human_time import with_iso
from ledger_service.core.packages.anchor_evidence import AnchorEvidence
from ledger_service.core.packages.deadlines import check_bid_deadlines
from ledger_service.core.packages.format import (
    HEADS_FORMAT,
    LIMITS,
    MANIFEST,
    MANIFEST_DIGEST,
    OMISSION_REASONS,
    VERSION,
    Limits,
    Omission,
    Signature,
    parse_canonical,
    read_entries,
    sha256_hex,
)
from ledger_service.core.packages.gm import check_gm
from ledger_service.core.packages.manifest import Manifest, read_manifest, subject_matches
from ledger_service.core.packages.stamps import check_timestamps
from ledger_service.core.packages.verdicts import OFFLINE, ONLINE, Verdict
from ledger_service.core.packages.witnessed import check_checkpoints, read_checkpoints
from ledger_service.core.pinned import chain_trust, witness_trust
from ledger_service.core.proofs import Anchor, ConsistencyProof, InclusionProof
from ledger_service.core.records import EvidenceRecord
from ledger_service.core.trust_policy import TrustPolicy

__all__ = [
    "OFFLINE",
    "ONLINE",
    "ChainView",
    "Report",
    "Verdict",
    "check_anchors",
    "check_checkpoints",
    "check_chain",
    "check_container",
    "check_files",
    "check_heads",
    "check_manifest",
    "check_records",
    "check_signatures",
    "verify_package",
]

Entries = Mapping[str, bytes]


class ChainView(Protocol):
    """What the verifier asks of a chain (an adapter over JSON-RPC)."""

    description: str

    def chain_id(self) -> int: ...

    def block_hash(self, number: int) -> str | None:
        """``0x`` hash of the canonical block at ``number``, or None if there is none."""
        ...

    def root_of(self, contract: str, size: int) -> bytes | None:
        """``EvidenceLog(contract).rootOf(size)``, None for the zero root."""
        ...


@dataclass(frozen=True)
class Report:
    """The verdicts of a package that verified (a failure raises instead)."""

    package_id: str
    subject: str
    manifest_sha256: str
    verdicts: tuple[Verdict, ...]

    def lines(self) -> list[str]:
        return [v.line() for v in self.verdicts]


def verify_package(
    data: bytes,
    *,
    chain: ChainView | None = None,
    limits: Limits = LIMITS,
    policy: TrustPolicy | None = None,
    now: int | None = None,
) -> Report:
    """Check every byte of a package; return the verdicts, or raise at the first failure.

    Offline it recomputes every digest, leaf hash, inclusion proof, the consistency
    chain between heads, each header's hash from its fields, and finds each head's
    ``HeadAnchored`` log in its receipt. With ``chain`` it also checks the chain id,
    that the chain has each header's hash at its number, and ``rootOf(size)``.
    ``limits`` bounds what is read (section 1); the default is the format's. With
    ``policy`` (pinned out of band) the package must be on the pinned chain and
    EvidenceLog and its newest head witnessed at k of n by the verifier's clock ``now``.

    Raises:
        MalformedInput, LimitExceeded: the package breaks the format (message names the entry).
        VerificationFailed: something does not verify (message names the entry and the values).
        ConfigurationError: ``policy`` without the verifier's clock ``now``.
    """
    if policy is not None and now is None:
        raise ConfigurationError("verify_package: expected the verifier's clock with a policy")
    entries, digest = check_container(data, limits)
    manifest, out = check_manifest(entries, digest)
    heads, verdict = check_heads(entries, manifest)
    out.append(verdict)
    out += check_anchors(entries, heads, policy)
    records, verdicts = check_records(entries, heads, manifest.subject)
    out += verdicts
    out += check_files(entries, records, manifest.omitted)
    out += check_signatures(entries)
    witnessed, verdicts = check_checkpoints(entries, heads, policy, now or 0)
    out += verdicts
    if policy is not None and policy.gm:
        out += check_gm(entries, records, read_checkpoints(entries, heads), policy, now or 0)
    out += check_timestamps(entries, heads, policy)
    if policy is not None:
        out += check_bid_deadlines(records, witnessed, witness_trust(policy))
    if chain is not None:
        out += check_chain(heads, manifest.chain_id, chain, policy, set(witnessed))
    return Report(manifest.package_id, manifest.subject, digest, tuple(out))


# ---------------------------------------------------------------- 1. container


def check_container(data: bytes, limits: Limits = LIMITS) -> tuple[dict[str, bytes], str]:
    """Step 1: read the zip within ``limits``; ``manifest.sha256`` is SHA-256 of the manifest.

    Returns the entries in zip order and the manifest digest (hex).
    """
    entries = read_entries(data, limits)
    digest = sha256_hex(entries[MANIFEST])
    if entries[MANIFEST_DIGEST] != (digest + "\n").encode():
        raise VerificationFailed(
            f"{MANIFEST_DIGEST}: expected {digest}, found {entries[MANIFEST_DIGEST][:80]!r}"
        )
    return entries, digest


# ---------------------------------------------------------------- 2. manifest


def check_manifest(entries: Entries, digest: str) -> tuple[Manifest, list[Verdict]]:
    """Step 2: exact members and values; every listed entry present, of its size and
    SHA-256; no entry unlisted; entries in manifest order."""
    manifest = read_manifest(entries)
    text = f"package {manifest.package_id}, {len(manifest.files)} files, SHA-256 {digest}"
    return manifest, [Verdict(MANIFEST, text)]


# ---------------------------------------------------------------- 3. heads


def check_heads(entries: Entries, manifest: Manifest) -> tuple[list[Anchor], Verdict]:
    """Step 3: ``heads.json`` holds heads of the manifest's chain and contract, in
    increasing size and head index, joined by consistency proofs that verify."""
    if "heads.json" not in entries:
        raise VerificationFailed("heads.json: expected in the package, found missing")
    o = formatted("heads.json", parse_canonical(entries["heads.json"], "heads.json"),
                  {"format", "version", "heads", "consistency"}, HEADS_FORMAT, VERSION)  # fmt: skip
    if type(o["heads"]) is not list or type(o["consistency"]) is not list or not o["heads"]:
        raise MalformedInput("heads.json: expected a non-empty heads array and a consistency array")
    heads = [Anchor.from_json(h) for h in o["heads"]]
    proofs = [ConsistencyProof.from_json(p) for p in o["consistency"]]
    chain_id, contract = manifest.chain_id, manifest.contract
    for h in heads:
        if h.chain_id != chain_id or h.contract != contract:
            raise VerificationFailed(
                f"heads.json: expected every head on chain {chain_id} contract {contract}, "
                f"found chain {h.chain_id} contract {h.contract} at size {h.tree_size}"
            )
    for a, b in zip(heads, heads[1:], strict=False):
        if b.tree_size <= a.tree_size or b.head_index <= a.head_index:
            raise VerificationFailed(
                f"heads.json: expected heads in increasing size and head index, "
                f"found size {b.tree_size} after {a.tree_size}"
            )
    if len(proofs) != len(heads) - 1:
        raise VerificationFailed(
            f"heads.json: expected {len(heads) - 1} consistency proofs, found {len(proofs)}"
        )
    for a, b, p in zip(heads, heads[1:], proofs, strict=False):
        if (p.size1, p.root1, p.size2, p.root2) != (a.tree_size, a.root, b.tree_size, b.root):
            raise VerificationFailed(
                f"heads.json: expected a consistency proof from {a.tree_size} to {b.tree_size} "
                f"with the heads' roots, found {p.size1} to {p.size2}"
            )
        try:
            p.verify()
        except VerificationFailed as exc:
            raise VerificationFailed(f"heads.json {a.tree_size} -> {b.tree_size}: {exc}") from exc
    return heads, Verdict("heads.json", f"{len(heads)} anchored heads, sizes "
                          f"{[h.tree_size for h in heads]}, one history (RFC 9162 consistency)")  # fmt: skip


# ---------------------------------------------------------------- 4. anchors


def check_anchors(
    entries: Entries, heads: Sequence[Anchor], policy: TrustPolicy | None = None
) -> list[Verdict]:
    """Step 4: every head has its ``anchors/<tx_hash>.json`` (and no anchor file lacks a
    head), whose header hashes to its stated hash (by the pinned ``chain.consensus``; with
    no policy, by whichever known scheme it hashes under), whose receipt (version 2) is
    proven under the header's ``receiptsRoot``, and whose receipt holds the head; with
    pinned ``chain.validators`` the header also carries ceil(2n/3) of their commit seals."""
    out = []
    consensus = policy.consensus if policy is not None else None
    validators = policy.validators if policy is not None else ()
    anchor_files = {p for p in entries if p.startswith("anchors/")}
    for h in heads:
        name = f"anchors/{h.tx_hash}.json"
        if name not in entries:
            raise VerificationFailed(
                f"{name}: expected for the head of size {h.tree_size}, found missing"
            )
        anchor_files.discard(name)
        evidence = AnchorEvidence.from_json(parse_canonical(entries[name], name))
        scheme = evidence.check_head(h, name, consensus, validators)
        proven = (
            "receipt proven under its receiptsRoot"
            if evidence.receipt_proof is not None
            else "receipt not proven under receiptsRoot (anchor evidence version 1)"
        )
        if validators:
            n = len(validators)
            proven += f"; sealed by at least {bft_quorum(n)} of the {n} pinned validators"
        out.append(Verdict(name, f"block {h.block_number} {h.block_hash} (time {h.block_time}, "
                           f"{scheme} header) holds HeadAnchored #{h.head_index} "
                           f"size {h.tree_size}; {proven}"))  # fmt: skip
    if anchor_files:
        raise VerificationFailed(
            f"{min(anchor_files)}: expected for a head in heads.json, found none"
        )
    return out


# ---------------------------------------------------------------- 5. records and proofs


def check_records(
    entries: Entries, heads: Sequence[Anchor], subject: str
) -> tuple[dict[int, EvidenceRecord], list[Verdict]]:
    """Step 5: every record has its proof and the reverse; each proof is of that record's
    leaf, to a head of ``heads.json``, and verifies; the records match ``subject``."""
    records: dict[int, EvidenceRecord] = {}
    out: list[Verdict] = []
    record_paths = sorted(
        (p for p in entries if p.startswith("records/")), key=lambda p: int(p[8:-5])
    )
    proof_paths = {p for p in entries if p.startswith("proofs/")}
    for path in record_paths:
        i = int(path[8:-5])
        proof_paths.discard(f"proofs/{i}.json")
        records[i], verdicts = _check_record(entries, i, heads)
        out += verdicts
    if proof_paths:
        raise VerificationFailed(f"{min(proof_paths)}: expected a record for it, found none")
    what = subject_matches(subject, records)
    out.append(Verdict(MANIFEST, f"subject {subject!r}: {len(records)} {what}"))
    return records, out


def _check_record(
    entries: Entries, i: int, heads: Sequence[Anchor]
) -> tuple[EvidenceRecord, list[Verdict]]:
    path, ppath = f"records/{i}.json", f"proofs/{i}.json"
    raw = entries[path]
    try:
        rec = EvidenceRecord.from_canonical_bytes(raw)
    except MalformedInput as exc:
        raise type(exc)(f"{path}: {exc}") from exc
    if ppath not in entries:
        raise VerificationFailed(f"{ppath}: expected for {path}, found missing")
    p = InclusionProof.from_json(parse_canonical(entries[ppath], ppath))
    leaf = merkle.leaf_hash(raw)
    if p.leaf_index != i or p.leaf_hash != leaf:
        raise VerificationFailed(
            f"{ppath}: expected leaf {i} with hash {leaf.hex()}, "
            f"found leaf {p.leaf_index} with hash {p.leaf_hash.hex()}"
        )
    if p.record is not None and p.record != raw:
        raise VerificationFailed(f"{ppath}: expected its record to equal {path}, found another")
    head = next((h for h in heads if h.tree_size == p.tree_size), None)
    if head is None or p.anchor != head:
        raise VerificationFailed(
            f"{ppath}: expected an anchor from heads.json at size {p.tree_size}, found "
            f"{'none' if head is None else 'another anchor'}"
        )
    try:
        p.verify()
    except VerificationFailed as exc:
        raise VerificationFailed(f"{ppath}: {exc}") from exc
    # the heads are one history, so the record was on chain by the first head holding it
    first = min((h for h in heads if h.tree_size > i), key=lambda h: h.tree_size)
    return rec, [
        Verdict(path, f"{rec.kind} about {rec.subject!r} by {rec.actor!r}, leaf "
                f"{leaf.hex()[:16]}..."),
        Verdict(ppath, f"record {i} in tree size {p.tree_size} root {p.root.hex()[:16]}...; "
                f"on chain by block time {with_iso(first.block_time)} (head of size {first.tree_size})"),
    ]  # fmt: skip


# ---------------------------------------------------------------- 6. files, 7. signatures


def check_files(
    entries: Entries, records: Mapping[int, EvidenceRecord], omitted: Sequence[Omission] = ()
) -> list[Verdict]:
    """Step 6: each ``files/<sha256>`` hashes to its name, a digest some record states;
    each file the manifest says it leaves out is one the named records state and is
    absent, and gives one warning verdict with its reason."""
    digests = {r.digests.get("sha256") for r in records.values()}
    out = []
    for o in omitted:
        named = sorted(i for i, r in records.items() if r.digests.get("sha256") == o.sha256)
        if f"files/{o.sha256}" in entries:
            raise VerificationFailed(
                f"manifest omitted {o.sha256}: expected the file absent, found it in the package"
            )
        if not named or not set(o.records) <= set(named):
            raise VerificationFailed(
                f"manifest omitted {o.sha256}: expected records {list(o.records)} stating this "
                f"SHA-256, found {named}"
            )
        subject = records[o.records[0]].subject
        out.append(Verdict(
            f"files/{o.sha256}",
            f"NOT IN THE PACKAGE ({o.reason}: {OMISSION_REASONS[o.reason]}"
            + (f"; {o.detail}" if o.detail else "") + f"), named by record(s) "
            f"{', '.join(map(str, o.records))} of {subject}: the records and proofs stand, "
            "the file itself cannot be checked here",
            warning=True,
        ))  # fmt: skip
    listed = {o.sha256 for o in omitted}
    for index, r in sorted(records.items()):
        digest = r.digests.get("sha256")
        if digest is None or digest in listed or f"files/{digest}" in entries:
            continue
        if digest == sha256_hex(canonicalize(r.to_json()["metadata"])):
            continue  # a step record: its digest is of its own metadata, it names no file
        raise VerificationFailed(
            f"records/{index}.json: expected files/{digest} in the package or an omission "
            "naming it in the manifest, found neither (a file left out silently)"
        )
    for path in (p for p in entries if p.startswith("files/")):
        digest = path[6:]
        if sha256_hex(entries[path]) != digest:
            raise VerificationFailed(
                f"{path}: expected SHA-256 {digest}, found {sha256_hex(entries[path])}"
            )
        if digest not in digests:
            raise VerificationFailed(f"{path}: expected a record with this SHA-256, found none")
        out.append(Verdict(path, f"{len(entries[path])} bytes match the records' SHA-256"))
    return out


def check_signatures(entries: Entries) -> list[Verdict]:
    """Step 7: each ``signatures/<name>.json`` recovers to its stated signer."""
    out = []
    for path in (p for p in entries if p.startswith("signatures/")):
        sig = Signature.from_json(parse_canonical(entries[path], path))
        try:
            signer = sig.verify()
        except VerificationFailed as exc:
            raise VerificationFailed(f"{path}: {exc}") from exc
        out.append(Verdict(path, f"EIP-712 signature by {signer}"))
    return out


# ---------------------------------------------------------------- 8. chain


def check_chain(
    heads: Sequence[Anchor],
    chain_id: int,
    chain: ChainView,
    policy: TrustPolicy | None = None,
    witnessed: Set[int] = frozenset(),
) -> list[Verdict]:
    """Step 9: the chain has ``chain_id``, each head's block is still canonical there and
    ``EvidenceLog.rootOf(tree_size)`` is the head's root. ``witnessed``: the sizes whose
    root k pinned witnesses cosigned (a disagreeing chain is then named as rewritten)."""
    trust = f"{ONLINE} {chain.description}; {chain_trust(policy, chain_id)}"
    found_id = chain.chain_id()
    if found_id != chain_id:
        raise VerificationFailed(f"chain: expected chain id {chain_id}, found {found_id}")
    out = []
    for h in heads:
        name = f"anchors/{h.tx_hash}.json"
        found = chain.block_hash(h.block_number)
        if found != h.block_hash:
            raise VerificationFailed(
                f"{name}: expected the chain to have block {h.block_hash} at {h.block_number}, "
                f"found {found}"
            )
        root = chain.root_of(h.contract, h.tree_size)
        if root != h.root and h.tree_size in witnessed:
            raise VerificationFailed(
                f"{name}: expected EvidenceLog.rootOf({h.tree_size}) = {h.root.hex()}, the root "
                f"the pinned witnesses cosigned, found {'nothing' if root is None else root.hex()}:"
                " the chain's state was rewritten"
            )
        if root != h.root:
            raise VerificationFailed(
                f"{name}: expected EvidenceLog.rootOf({h.tree_size}) = {h.root.hex()}, "
                f"found {'nothing' if root is None else root.hex()}"
            )
        out.append(Verdict(name, f"block {h.block_number} is canonical and EvidenceLog "
                           f"{h.contract} holds root {h.root.hex()[:16]}... at size {h.tree_size}",
                           trust))  # fmt: skip
    return out
