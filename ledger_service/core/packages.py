"""Evidence packages (取证包): one zip a court can check without the operator.

A package holds canonical records, optionally their files, inclusion proofs to
anchored tree heads, the consistency proofs that join those heads into one
history, and for every head the anchoring transaction's receipt and block header.
The format is specified in ``docs/evidence-package.md``.

Pure: :func:`write_package` builds zip bytes from typed contents and
:func:`verify_package` checks zip bytes it is handed. Whatever needs a chain is
asked of a :class:`ChainView` the caller supplies (``ledger_service.packages_chain``).
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from eth_hash.auto import keccak

from ledger_service.core import merkle
from ledger_service.core.canonical import canonicalize, parse_json_strict
from ledger_service.core.errors import LimitExceeded, MalformedInput, VerificationFailed
from ledger_service.core.proofs import Anchor, ConsistencyProof, InclusionProof
from ledger_service.core.records import EvidenceRecord

__all__ = [
    "FORMAT",
    "MAX_ENTRIES",
    "MAX_FILE_BYTES",
    "MAX_JSON_BYTES",
    "MAX_PACKAGE_BYTES",
    "MAX_TOTAL_BYTES",
    "VERSION",
    "AnchorEvidence",
    "ChainView",
    "PackageContents",
    "Report",
    "Signature",
    "Verdict",
    "header_hash",
    "verify_package",
    "write_package",
]

FORMAT = "chainwitness/evidence-package"
VERSION = 1
#: the zip as received
MAX_PACKAGE_BYTES = 1024**3
#: zip entries, manifest included
MAX_ENTRIES = 10_000
#: any one JSON entry (manifest, record, proof, heads, anchor, signature), uncompressed
MAX_JSON_BYTES = 1024**2
#: any one ``files/`` entry, uncompressed
MAX_FILE_BYTES = 256 * 1024**2
#: all entries together, uncompressed (a zip bomb stops here)
MAX_TOTAL_BYTES = 1024**3

ANCHOR_EVIDENCE_FORMAT = "chainwitness/anchor-evidence"
HEADS_FORMAT = "chainwitness/package-heads"
SIGNATURE_FORMAT = "chainwitness/signature"
#: topic 0 of EvidenceLog's ``HeadAnchored(uint256 indexed index, uint64 indexed size,
#: bytes32 root, uint64 anchoredAt, address indexed anchorer)``
HEAD_ANCHORED_TOPIC = "0x" + keccak(b"HeadAnchored(uint256,uint64,bytes32,uint64,address)").hex()

_MANIFEST = "manifest.json"
_MANIFEST_DIGEST = "manifest.sha256"
_INDEX = r"(0|[1-9][0-9]{0,15})"
_ROLES = {
    "record": re.compile(rf"records/{_INDEX}\.json"),
    "proof": re.compile(rf"proofs/{_INDEX}\.json"),
    "file": re.compile(r"files/[0-9a-f]{64}"),
    "heads": re.compile(r"heads\.json"),
    "anchor": re.compile(r"anchors/0x[0-9a-f]{64}\.json"),
    "signature": re.compile(r"signatures/[a-z0-9][a-z0-9_-]{0,63}\.json"),
}
_MANIFEST_FIELDS = {
    "format", "version", "package_id", "created_at", "subject", "chain_id", "contracts", "files",
}  # fmt: skip
_PACKAGE_ID = re.compile(r"[0-9a-f]{32}")
_HEX = re.compile(r"0x[0-9a-f]*")
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z", re.ASCII)
_ZERO_TX = "0x" + "0" * 64
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # fixed: equal contents give equal zip bytes

# Block header fields in RLP order (Yellow Paper, then EIP-1559, 4895, 4844/4788,
# 7685). The first 15 are required; the others, when present, form a prefix.
_HEADER_FIELDS: tuple[tuple[str, bool], ...] = (
    ("parentHash", False), ("sha3Uncles", False), ("miner", False), ("stateRoot", False),
    ("transactionsRoot", False), ("receiptsRoot", False), ("logsBloom", False),
    ("difficulty", True), ("number", True), ("gasLimit", True), ("gasUsed", True),
    ("timestamp", True), ("extraData", False), ("mixHash", False), ("nonce", False),
    ("baseFeePerGas", True), ("withdrawalsRoot", False), ("blobGasUsed", True),
    ("excessBlobGas", True), ("parentBeaconBlockRoot", False), ("requestsHash", False),
)  # fmt: skip
_REQUIRED_HEADER_FIELDS = 15
_RECEIPT_FIELDS = {"transactionHash", "blockNumber", "blockHash", "status", "logs"}
_LOG_FIELDS = {"address", "topics", "data"}

OFFLINE = "offline: consistent with the package's own contents"
ONLINE = "checked against the chain at RPC"


# ---------------------------------------------------------------- small helpers


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _json(value: object, name: str) -> bytes:
    return canonicalize(value, name=name)


def _parse_canonical(data: bytes, name: str) -> Any:
    """Parse one JSON entry; it must be exactly its RFC 8785 form (no trailing bytes)."""
    try:
        value = parse_json_strict(data)
    except MalformedInput as exc:
        raise type(exc)(f"{name}: {exc}") from exc
    if canonicalize(value, name=name) != data:
        raise MalformedInput(f"{name}: expected canonical RFC 8785 JSON, found another encoding")
    return value


def _obj(value: object, name: str, fields: set[str], fmt: str | None = None) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise MalformedInput(f"{name}: expected an object, found {type(value).__name__}")
    if set(value) != fields:
        raise MalformedInput(
            f"{name}: expected exactly the fields {sorted(fields)}, found missing "
            f"{sorted(fields - set(value))} and unknown {sorted(set(value) - fields)}"
        )
    if fmt is not None and (value["format"] != fmt or value["version"] != VERSION):
        raise MalformedInput(
            f"{name}: expected format {fmt!r} version {VERSION}, "
            f"found {value['format']!r} version {value['version']!r}"
        )
    return value


def _hexstr(value: object, name: str, nbytes: int | None = None, *, even: bool = True) -> str:
    if type(value) is not str or not _HEX.fullmatch(value) or (even and len(value) % 2):
        raise MalformedInput(f"{name}: expected 0x and lowercase hex bytes, found {value!r}")
    if nbytes is not None and len(value) != 2 + 2 * nbytes:
        raise MalformedInput(f"{name}: expected {nbytes} bytes of hex, found {value!r}")
    return value


def _quantity(value: object, name: str) -> int:
    text = _hexstr(value, name, even=False)
    if text == "0x" or (len(text) > 3 and text[2] == "0"):
        raise MalformedInput(f"{name}: expected a hex quantity without leading zeros, found {text}")
    return int(text, 16)


# ---------------------------------------------------------------- RLP and headers


def _rlp_length(n: int, offset: int) -> bytes:
    if n < 56:
        return bytes([offset + n])
    length = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([offset + 55 + len(length)]) + length


def _rlp_item(b: bytes) -> bytes:
    return b if len(b) == 1 and b[0] < 0x80 else _rlp_length(len(b), 0x80) + b


def header_hash(header: Mapping[str, Any]) -> str:
    """Return ``0x`` + keccak256(RLP(header fields)) of an ``eth_getBlockByNumber`` header.

    ``header`` holds the fields of ``_HEADER_FIELDS`` as JSON-RPC hex (the first 15
    required, later ones a prefix of the rest) and may hold ``hash``, ignored here.

    Raises:
        MalformedInput: a field is missing, unknown, or not hex of the right kind.
    """
    known = {name for name, _ in _HEADER_FIELDS} | {"hash"}
    unknown = sorted(set(header) - known)
    if unknown:
        raise MalformedInput(f"header: expected only block header fields, found {unknown}")
    items = []
    for i, (name, is_int) in enumerate(_HEADER_FIELDS):
        if name not in header:
            if i < _REQUIRED_HEADER_FIELDS:
                raise MalformedInput(f"header: expected field {name!r}, found it missing")
            later = [n for n, _ in _HEADER_FIELDS[i:] if n in header]
            if later:
                raise MalformedInput(f"header: expected {name!r} before {later}, found it missing")
            break
        if is_int:
            v = _quantity(header[name], f"header.{name}")
            items.append(_rlp_item(v.to_bytes((v.bit_length() + 7) // 8, "big")))
        else:
            items.append(_rlp_item(bytes.fromhex(_hexstr(header[name], f"header.{name}")[2:])))
    payload = b"".join(items)
    return "0x" + keccak(_rlp_length(len(payload), 0xC0) + payload).hex()


# ---------------------------------------------------------------- typed contents


@dataclass(frozen=True)
class AnchorEvidence:
    """The anchoring transaction's receipt and its block's header, as JSON-RPC returns them.

    ``receipt``: ``transactionHash``, ``blockNumber``, ``blockHash``, ``status`` and
    ``logs`` (each ``address``, ``topics``, ``data``); ``header``: the fields of
    :func:`header_hash` plus ``hash``. Validated on construction (MalformedInput).
    """

    receipt: Mapping[str, Any]
    header: Mapping[str, Any]

    def __post_init__(self) -> None:
        r = _obj(self.receipt, "receipt", _RECEIPT_FIELDS)
        _hexstr(r["transactionHash"], "receipt.transactionHash", 32)
        _hexstr(r["blockHash"], "receipt.blockHash", 32)
        _quantity(r["blockNumber"], "receipt.blockNumber")
        _quantity(r["status"], "receipt.status")
        if type(r["logs"]) is not list:
            raise MalformedInput("receipt.logs: expected an array")
        for i, log in enumerate(r["logs"]):
            lg = _obj(log, f"receipt.logs[{i}]", _LOG_FIELDS)
            _hexstr(lg["address"], f"receipt.logs[{i}].address", 20)
            _hexstr(lg["data"], f"receipt.logs[{i}].data")
            if type(lg["topics"]) is not list:
                raise MalformedInput(f"receipt.logs[{i}].topics: expected an array")
            for t in lg["topics"]:
                _hexstr(t, f"receipt.logs[{i}].topics", 32)
        if "hash" not in self.header:
            raise MalformedInput("header: expected field 'hash', found it missing")
        _hexstr(self.header["hash"], "header.hash", 32)
        header_hash(self.header)  # shape of every field

    def to_json(self) -> dict[str, Any]:
        return {
            "format": ANCHOR_EVIDENCE_FORMAT, "version": VERSION,
            "receipt": dict(self.receipt), "header": dict(self.header),
        }  # fmt: skip

    @classmethod
    def from_json(cls, obj: object) -> AnchorEvidence:
        o = _obj(obj, "anchor evidence", {"format", "version", "receipt", "header"},
                 ANCHOR_EVIDENCE_FORMAT)  # fmt: skip
        if not isinstance(o["header"], Mapping):
            raise MalformedInput("header: expected an object")
        return cls(o["receipt"], o["header"])


@dataclass(frozen=True)
class Signature:
    """A source signature over typed data: ``kind`` is ``"eip712"`` (the one checked kind)."""

    kind: str
    signer: str
    typed_data: Mapping[str, Any]
    signature: str

    def __post_init__(self) -> None:
        if self.kind != "eip712":
            raise MalformedInput(f"signature kind: expected 'eip712', found {self.kind!r}")
        _hexstr(self.signer.lower(), "signer", 20)
        _hexstr(self.signature, "signature", 65)
        if not isinstance(self.typed_data, Mapping):
            raise MalformedInput("typed_data: expected an object")

    def to_json(self) -> dict[str, Any]:
        return {
            "format": SIGNATURE_FORMAT, "version": VERSION, "kind": self.kind,
            "signer": self.signer, "typed_data": dict(self.typed_data),
            "signature": self.signature,
        }  # fmt: skip

    @classmethod
    def from_json(cls, obj: object) -> Signature:
        fields = {"format", "version", "kind", "signer", "typed_data", "signature"}
        o = _obj(obj, "signature", fields, SIGNATURE_FORMAT)
        if type(o["signer"]) is not str or type(o["kind"]) is not str:
            raise MalformedInput("signature: expected kind and signer strings")
        return cls(o["kind"], o["signer"], o["typed_data"], o["signature"])

    def verify(self) -> str:
        """Recover the EIP-712 signer; raises VerificationFailed unless it is ``signer``."""
        from eth_account import Account
        from eth_account.messages import encode_typed_data

        try:
            message = encode_typed_data(full_message=dict(self.typed_data))
            found = Account.recover_message(message, signature=bytes.fromhex(self.signature[2:]))
        except Exception as exc:  # eth-account raises many kinds; all mean "does not verify"
            raise VerificationFailed(
                f"expected an EIP-712 signature by {self.signer}, found it unverifiable: {exc}"
            ) from exc
        if found.lower() != self.signer.lower():
            raise VerificationFailed(
                f"expected an EIP-712 signature by {self.signer}, found one by {found}"
            )
        return str(found)


@dataclass(frozen=True)
class PackageContents:
    """Everything a package holds, typed. See ``docs/evidence-package.md``.

    ``records`` maps leaf index to canonical record bytes; ``proofs`` leaf index to
    an anchored inclusion proof (``record`` null); ``files`` SHA-256 hex to bytes;
    ``heads`` the anchored heads by increasing size, ``consistency`` the proofs
    between consecutive heads; ``anchors`` tx hash to evidence.
    """

    package_id: str
    created_at: str
    subject: str
    chain_id: int
    contract: str
    records: Mapping[int, bytes]
    proofs: Mapping[int, InclusionProof]
    heads: Sequence[Anchor]
    consistency: Sequence[ConsistencyProof]
    anchors: Mapping[str, AnchorEvidence]
    files: Mapping[str, bytes] = field(default_factory=dict)
    signatures: Mapping[str, Signature] = field(default_factory=dict)


def write_package(c: PackageContents) -> bytes:
    """Return the zip bytes of ``c``; equal contents give equal bytes.

    Does not verify ``c``: run :func:`verify_package` on the result for that.
    """
    entries: dict[str, tuple[str, bytes]] = {}
    for i, data in c.records.items():
        entries[f"records/{i}.json"] = ("record", data)
    for i, p in c.proofs.items():
        entries[f"proofs/{i}.json"] = ("proof", _json(p.to_json(), "proof"))
    for digest, data in c.files.items():
        entries[f"files/{digest}"] = ("file", data)
    heads = {
        "format": HEADS_FORMAT, "version": VERSION,
        "heads": [h.to_json() for h in c.heads],
        "consistency": [p.to_json() for p in c.consistency],
    }  # fmt: skip
    entries["heads.json"] = ("heads", _json(heads, "heads"))
    for tx, ev in c.anchors.items():
        entries[f"anchors/{tx}.json"] = ("anchor", _json(ev.to_json(), "anchor"))
    for name, sig in c.signatures.items():
        entries[f"signatures/{name}.json"] = ("signature", _json(sig.to_json(), "signature"))
    paths = sorted(entries)
    manifest = _json(
        {
            "format": FORMAT, "version": VERSION, "package_id": c.package_id,
            "created_at": c.created_at, "subject": c.subject, "chain_id": c.chain_id,
            "contracts": {"EvidenceLog": c.contract},
            "files": [
                {"path": p, "role": entries[p][0], "sha256": _sha256(entries[p][1]),
                 "size": len(entries[p][1])}
                for p in paths
            ],
        },
        "manifest",
    )  # fmt: skip
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in [
            (_MANIFEST, manifest),
            (_MANIFEST_DIGEST, (_sha256(manifest) + "\n").encode()),
            *((p, entries[p][1]) for p in paths),
        ]:
            zf.writestr(zipfile.ZipInfo(name, _ZIP_TIME), data, zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def manifest_digest(zip_bytes: bytes) -> str:
    """SHA-256 hex of the package's ``manifest.json`` (raises like :func:`verify_package`)."""
    return _sha256(_read_zip(zip_bytes)[_MANIFEST])


# ---------------------------------------------------------------- reading


def _check_name(name: str) -> None:
    parts = name.replace("\\", "/").split("/")
    if name.startswith(("/", "\\")) or re.match(r"[A-Za-z]:", name) or ".." in parts:
        raise MalformedInput(f"zip entry {name!r}: expected a relative path, found path traversal")
    if name not in (_MANIFEST, _MANIFEST_DIGEST) and not any(
        rx.fullmatch(name) for rx in _ROLES.values()
    ):
        raise MalformedInput(f"zip entry {name!r}: expected a known package path, found unknown")


def _read_zip(data: bytes) -> dict[str, bytes]:
    """Read every entry strictly, in zip order; limits and names enforced."""
    if len(data) > MAX_PACKAGE_BYTES:
        raise LimitExceeded(
            f"package: expected at most {MAX_PACKAGE_BYTES} bytes, found {len(data)}"
        )
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise MalformedInput(f"package: expected a zip archive, found: {exc}") from exc
    if len(infos) > MAX_ENTRIES:
        raise LimitExceeded(f"package: expected at most {MAX_ENTRIES} entries, found {len(infos)}")
    out: dict[str, bytes] = {}
    total = 0
    for info in infos:
        name = info.filename
        _check_name(name)
        if name in out:
            raise MalformedInput(f"zip entry {name!r}: expected unique names, found it twice")
        if info.flag_bits & 1:
            raise MalformedInput(f"zip entry {name!r}: expected no encryption, found encrypted")
        limit = MAX_FILE_BYTES if name.startswith("files/") else MAX_JSON_BYTES
        if info.file_size > limit:
            raise LimitExceeded(f"{name}: expected at most {limit} bytes, found {info.file_size}")
        try:
            with zf.open(info) as f:
                content = f.read(limit + 1)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
            raise MalformedInput(f"{name}: expected a readable zip entry, found: {exc}") from exc
        if len(content) > limit:
            raise LimitExceeded(f"{name}: expected at most {limit} bytes, found more")
        total += len(content)
        if total > MAX_TOTAL_BYTES:
            raise LimitExceeded(f"package: expected at most {MAX_TOTAL_BYTES} bytes unpacked")
        out[name] = content
    if list(out)[:2] != [_MANIFEST, _MANIFEST_DIGEST]:
        raise MalformedInput(
            f"package: expected {_MANIFEST} and {_MANIFEST_DIGEST} as the first entries, "
            f"found {list(out)[:2]}"
        )
    return out


# ---------------------------------------------------------------- verification


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
class Verdict:
    """One checked item: ``item`` (e.g. ``records/3.json``), what holds, and on what trust."""

    item: str
    text: str
    trust: str = OFFLINE

    def line(self) -> str:
        return f"OK  {self.item}: {self.text} [{self.trust}]"


@dataclass(frozen=True)
class Report:
    """The verdicts of a package that verified (a failure raises instead)."""

    package_id: str
    subject: str
    manifest_sha256: str
    verdicts: tuple[Verdict, ...]

    def lines(self) -> list[str]:
        return [v.line() for v in self.verdicts]


def _manifest(raw: bytes, entries: Mapping[str, bytes]) -> Mapping[str, Any]:
    m = _obj(_parse_canonical(raw, _MANIFEST), _MANIFEST, _MANIFEST_FIELDS, FORMAT)
    if type(m["package_id"]) is not str or not _PACKAGE_ID.fullmatch(m["package_id"]):
        raise MalformedInput(
            f"manifest package_id: expected 32 hex digits, found {m['package_id']!r}"
        )
    if type(m["subject"]) is not str or not m["subject"]:
        raise MalformedInput(f"manifest subject: expected a string, found {m['subject']!r}")
    if type(m["created_at"]) is not str or not _TIMESTAMP.fullmatch(m["created_at"]):
        raise MalformedInput(
            f"manifest created_at: expected RFC 3339 UTC with milliseconds, found {m['created_at']!r}"
        )
    if type(m["chain_id"]) is not int or m["chain_id"] < 1:
        raise MalformedInput(
            f"manifest chain_id: expected an integer >= 1, found {m['chain_id']!r}"
        )
    contracts = _obj(m["contracts"], "manifest contracts", {"EvidenceLog"})
    try:  # an Anchor validates the EIP-55 address the same way heads do
        Anchor(m["chain_id"], contracts["EvidenceLog"], _ZERO_TX, 0, _ZERO_TX, 0, 0, 1, bytes(32))
    except MalformedInput as exc:
        raise MalformedInput(f"manifest contracts.EvidenceLog: {exc}") from exc
    files = m["files"]
    if type(files) is not list:
        raise MalformedInput("manifest files: expected an array")
    listed: list[str] = []
    for i, f in enumerate(files):
        f = _obj(f, f"manifest files[{i}]", {"path", "role", "sha256", "size"})
        path, role = f["path"], f["role"]
        if type(path) is not str or role not in _ROLES or not _ROLES[role].fullmatch(path):
            raise MalformedInput(
                f"manifest files[{i}]: expected a path of its role, found {path!r} as {role!r}"
            )
        if path not in entries:
            raise VerificationFailed(
                f"{path}: expected in the package (listed in the manifest), found missing"
            )
        data = entries[path]
        if f["size"] != len(data):
            raise VerificationFailed(f"{path}: expected {f['size']} bytes, found {len(data)}")
        if f["sha256"] != _sha256(data):
            raise VerificationFailed(
                f"{path}: expected SHA-256 {f['sha256']}, found {_sha256(data)}"
            )
        listed.append(path)
    if listed != sorted(set(listed)):
        raise MalformedInput(
            "manifest files: expected unique paths in sorted order, found otherwise"
        )
    extra = sorted(set(entries) - set(listed) - {_MANIFEST, _MANIFEST_DIGEST})
    if extra:
        raise VerificationFailed(
            f"{extra[0]}: expected only files the manifest lists, found an unknown file"
        )
    order = list(entries)[2:]
    if order != listed:
        bad = next(i for i, (a, b) in enumerate(zip(order, listed, strict=True)) if a != b)
        raise MalformedInput(
            f"package: expected entry {listed[bad]} at position {bad + 2}, found {order[bad]}"
        )
    return m


def _heads(raw: bytes, chain_id: int, contract: str) -> tuple[list[Anchor], list[ConsistencyProof]]:
    o = _obj(_parse_canonical(raw, "heads.json"), "heads.json",
             {"format", "version", "heads", "consistency"}, HEADS_FORMAT)  # fmt: skip
    if type(o["heads"]) is not list or type(o["consistency"]) is not list or not o["heads"]:
        raise MalformedInput("heads.json: expected a non-empty heads array and a consistency array")
    heads = [Anchor.from_json(h) for h in o["heads"]]
    proofs = [ConsistencyProof.from_json(p) for p in o["consistency"]]
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
    return heads, proofs


def _check_anchor(name: str, ev: AnchorEvidence, head: Anchor) -> None:
    r, h = ev.receipt, ev.header
    computed = header_hash(h)
    checks = [
        ("header hash keccak256(RLP(header))", h["hash"], computed),
        ("receipt transactionHash", head.tx_hash, r["transactionHash"]),
        ("receipt blockHash", head.block_hash, r["blockHash"]),
        ("header hash", head.block_hash, h["hash"]),
        ("receipt blockNumber", head.block_number, int(r["blockNumber"], 16)),
        ("header number", head.block_number, int(h["number"], 16)),
        ("header timestamp", head.block_time, int(h["timestamp"], 16)),
        ("receipt status", 1, int(r["status"], 16)),
    ]
    for what, want, found in checks:
        if want != found:
            raise VerificationFailed(f"{name}: expected {what} {want}, found {found}")
    want_log = (
        head.contract.lower(),
        [HEAD_ANCHORED_TOPIC, "0x" + head.head_index.to_bytes(32, "big").hex(),
         "0x" + head.tree_size.to_bytes(32, "big").hex()],
        head.root.hex(),
    )  # fmt: skip
    for log in r["logs"]:
        if (log["address"].lower(), log["topics"][:3], log["data"][2:66]) == want_log:
            return
    raise VerificationFailed(
        f"{name}: expected a HeadAnchored log from {head.contract} with index {head.head_index}, "
        f"size {head.tree_size}, root {head.root.hex()}, found none in the receipt"
    )


def _subject_matches(subject: str, records: Mapping[int, EvidenceRecord]) -> str:
    if subject.startswith("record:"):
        ok = list(records) == [int(subject[7:])] if subject[7:].isdigit() else False
        what = "exactly that record"
    elif subject.startswith("sha256:"):
        ok = all(r.digests.get("sha256") == subject[7:] for r in records.values())
        what = "records with that SHA-256"
    else:
        ok = all(r.subject == subject for r in records.values())
        what = "records of that subject"
    if not ok or not records:
        raise VerificationFailed(f"manifest subject {subject!r}: expected {what}, found others")
    return what


def verify_package(data: bytes, *, chain: ChainView | None = None) -> Report:
    """Check every byte of a package; return the verdicts, or raise at the first failure.

    Offline it recomputes every digest, leaf hash, inclusion proof, the consistency
    chain between heads, each header's hash from its fields, and finds each head's
    ``HeadAnchored`` log in its receipt. With ``chain`` it also checks the chain id,
    that the chain has each header's hash at its number, and ``rootOf(size)``.

    Raises:
        MalformedInput, LimitExceeded: the package breaks the format (message names the entry).
        VerificationFailed: something does not verify (message names the entry and the values).
    """
    entries = _read_zip(data)
    md = _sha256(entries[_MANIFEST])
    if entries[_MANIFEST_DIGEST] != (md + "\n").encode():
        raise VerificationFailed(
            f"{_MANIFEST_DIGEST}: expected {md}, found {entries[_MANIFEST_DIGEST][:80]!r}"
        )
    m = _manifest(entries[_MANIFEST], entries)
    out = [Verdict(_MANIFEST, f"package {m['package_id']}, {len(m['files'])} files, SHA-256 {md}")]
    chain_id, contract = m["chain_id"], m["contracts"]["EvidenceLog"]
    if "heads.json" not in entries:
        raise VerificationFailed("heads.json: expected in the package, found missing")
    heads, _ = _heads(entries["heads.json"], chain_id, contract)
    by_size = {h.tree_size: h for h in heads}
    out.append(Verdict("heads.json", f"{len(heads)} anchored heads, sizes "
                       f"{[h.tree_size for h in heads]}, one history (RFC 9162 consistency)"))  # fmt: skip

    anchor_files = {p for p in entries if p.startswith("anchors/")}
    for h in heads:
        name = f"anchors/{h.tx_hash}.json"
        if name not in entries:
            raise VerificationFailed(
                f"{name}: expected for the head of size {h.tree_size}, found missing"
            )
        anchor_files.discard(name)
        _check_anchor(name, AnchorEvidence.from_json(_parse_canonical(entries[name], name)), h)
        out.append(Verdict(name, f"block {h.block_number} {h.block_hash} (time {h.block_time}) "
                           f"holds HeadAnchored #{h.head_index} size {h.tree_size}"))  # fmt: skip
    if anchor_files:
        raise VerificationFailed(
            f"{min(anchor_files)}: expected for a head in heads.json, found none"
        )

    records: dict[int, EvidenceRecord] = {}
    record_paths = sorted(
        (p for p in entries if p.startswith("records/")), key=lambda p: int(p[8:-5])
    )
    proof_paths = {p for p in entries if p.startswith("proofs/")}
    for path in record_paths:
        i, raw = int(path[8:-5]), entries[path]
        try:
            rec = EvidenceRecord.from_canonical_bytes(raw)
        except MalformedInput as exc:
            raise type(exc)(f"{path}: {exc}") from exc
        ppath = f"proofs/{i}.json"
        if ppath not in entries:
            raise VerificationFailed(f"{ppath}: expected for {path}, found missing")
        proof_paths.discard(ppath)
        p = InclusionProof.from_json(_parse_canonical(entries[ppath], ppath))
        leaf = merkle.leaf_hash(raw)
        if p.leaf_index != i or p.leaf_hash != leaf:
            raise VerificationFailed(
                f"{ppath}: expected leaf {i} with hash {leaf.hex()}, "
                f"found leaf {p.leaf_index} with hash {p.leaf_hash.hex()}"
            )
        if p.record is not None and p.record != raw:
            raise VerificationFailed(f"{ppath}: expected its record to equal {path}, found another")
        head = by_size.get(p.tree_size)
        if head is None or p.anchor != head:
            raise VerificationFailed(
                f"{ppath}: expected an anchor from heads.json at size {p.tree_size}, found "
                f"{'none' if head is None else 'another anchor'}"
            )
        try:
            p.verify()
        except VerificationFailed as exc:
            raise VerificationFailed(f"{ppath}: {exc}") from exc
        first = min((h for h in heads if h.tree_size > i), key=lambda h: h.tree_size)
        records[i] = rec
        out.append(Verdict(path, f"{rec.kind} about {rec.subject!r} by {rec.actor!r}, leaf "
                           f"{leaf.hex()[:16]}..."))  # fmt: skip
        out.append(Verdict(ppath, f"record {i} in tree size {p.tree_size} root "
                           f"{p.root.hex()[:16]}...; on chain by block time {first.block_time} "
                           f"(head of size {first.tree_size})"))  # fmt: skip
    if proof_paths:
        raise VerificationFailed(f"{min(proof_paths)}: expected a record for it, found none")
    what = _subject_matches(m["subject"], records)
    out.append(Verdict(_MANIFEST, f"subject {m['subject']!r}: {len(records)} {what}"))

    digests = {r.digests.get("sha256") for r in records.values()}
    for path in (p for p in entries if p.startswith("files/")):
        digest = path[6:]
        if _sha256(entries[path]) != digest:
            raise VerificationFailed(
                f"{path}: expected SHA-256 {digest}, found {_sha256(entries[path])}"
            )
        if digest not in digests:
            raise VerificationFailed(f"{path}: expected a record with this SHA-256, found none")
        out.append(Verdict(path, f"{len(entries[path])} bytes match the records' SHA-256"))
    for path in (p for p in entries if p.startswith("signatures/")):
        sig = Signature.from_json(_parse_canonical(entries[path], path))
        try:
            signer = sig.verify()
        except VerificationFailed as exc:
            raise VerificationFailed(f"{path}: {exc}") from exc
        out.append(Verdict(path, f"EIP-712 signature by {signer}"))

    if chain is not None:
        out.extend(_on_chain(heads, chain_id, chain))
    return Report(m["package_id"], m["subject"], md, tuple(out))


def _on_chain(heads: Sequence[Anchor], chain_id: int, chain: ChainView) -> list[Verdict]:
    trust = f"{ONLINE} {chain.description}"
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
        if root != h.root:
            raise VerificationFailed(
                f"{name}: expected EvidenceLog.rootOf({h.tree_size}) = {h.root.hex()}, "
                f"found {'nothing' if root is None else root.hex()}"
            )
        out.append(Verdict(name, f"block {h.block_number} is canonical and EvidenceLog "
                           f"{h.contract} holds root {h.root.hex()[:16]}... at size {h.tree_size}",
                           trust))  # fmt: skip
    return out
