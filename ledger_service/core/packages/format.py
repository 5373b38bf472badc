"""The package container (sections 1-3 and 6 of ``docs/evidence-package.md``).

:class:`PackageContents` is everything a package holds, typed; :func:`write_package`
turns it into zip bytes (equal contents, equal bytes) and :func:`read_entries` reads
zip bytes back strictly, within :class:`Limits`. What the entries must say to each
other is checked in :mod:`ledger_service.core.packages.verify`.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ledger_service.core._fields import exact_fields, formatted, hex_text
from ledger_service.core.canonical import canonicalize, parse_json_strict
from ledger_service.core.checkpoints import SignedCheckpoint
from ledger_service.core.errors import (
    ConfigurationError,
    LimitExceeded,
    MalformedInput,
    VerificationFailed,
)
from ledger_service.core.packages.anchor_evidence import AnchorEvidence
from ledger_service.core.packages.sm3_proof import Sm3Proof
from ledger_service.core.proofs import Anchor, ConsistencyProof, InclusionProof

__all__ = [
    "FORMAT",
    "LIMITS",
    "MAX_ENTRIES",
    "MAX_FILE_BYTES",
    "MAX_JSON_BYTES",
    "MAX_PACKAGE_BYTES",
    "MAX_TOTAL_BYTES",
    "VERSION",
    "Limits",
    "PackageContents",
    "Signature",
    "manifest_digest",
    "read_entries",
    "write_package",
]

FORMAT = "chainwitness/evidence-package"
VERSION = 1
HEADS_FORMAT = "chainwitness/package-heads"
SIGNATURE_FORMAT = "chainwitness/signature"


@dataclass(frozen=True)
class Limits:
    """How much a reader accepts (section 1); sizes count the bytes actually decompressed.

    Raises (on construction): ConfigurationError unless every limit is an integer >= 1.
    """

    #: the zip as received
    package_bytes: int = 1024**3
    #: zip entries, manifest included
    entries: int = 10_000
    #: any one JSON entry (manifest, record, proof, heads, anchor, signature), uncompressed
    json_bytes: int = 1024**2
    #: any one ``files/`` entry, uncompressed
    file_bytes: int = 256 * 1024**2
    #: all entries together, uncompressed (a zip bomb stops here)
    total_bytes: int = 1024**3

    def __post_init__(self) -> None:
        for name in ("package_bytes", "entries", "json_bytes", "file_bytes", "total_bytes"):
            value = getattr(self, name)
            if type(value) is not int or value < 1:
                raise ConfigurationError(
                    f"limits.{name}: expected an integer >= 1, found {value!r}"
                )


#: the limits of the format, version 1
LIMITS = Limits()
MAX_PACKAGE_BYTES = LIMITS.package_bytes
MAX_ENTRIES = LIMITS.entries
MAX_JSON_BYTES = LIMITS.json_bytes
MAX_FILE_BYTES = LIMITS.file_bytes
MAX_TOTAL_BYTES = LIMITS.total_bytes

#: Bytes inflated at a time when reading an entry.
INFLATE_CHUNK = 64 * 1024

MANIFEST = "manifest.json"
MANIFEST_DIGEST = "manifest.sha256"
_INDEX = r"(0|[1-9][0-9]{0,15})"
#: role -> path pattern of every entry but the manifest and its digest (section 2)
ROLES = {
    "record": re.compile(rf"records/{_INDEX}\.json"),
    "proof": re.compile(rf"proofs/{_INDEX}\.json"),
    "file": re.compile(r"files/[0-9a-f]{64}"),
    "heads": re.compile(r"heads\.json"),
    "anchor": re.compile(r"anchors/0x[0-9a-f]{64}\.json"),
    "signature": re.compile(r"signatures/[a-z0-9][a-z0-9_-]{0,63}\.json"),
    "checkpoint": re.compile(rf"checkpoints/{_INDEX}\.json"),
    "timestamp": re.compile(rf"timestamps/{_INDEX}\.tsr"),
    # GM profile only (docs/gm-profile.md): a record's SM3 audit path
    "sm3_proof": re.compile(rf"sm3-proofs/{_INDEX}\.json"),
}
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # fixed: equal contents give equal zip bytes


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def parse_canonical(data: bytes, name: str) -> Any:
    """Parse one JSON entry; it must be exactly its RFC 8785 form (no trailing bytes)."""
    try:
        value = parse_json_strict(data)
    except MalformedInput as exc:
        raise type(exc)(f"{name}: {exc}") from exc
    if canonicalize(value, name=name) != data:
        raise MalformedInput(f"{name}: expected canonical RFC 8785 JSON, found another encoding")
    return value


# ---------------------------------------------------------------- typed contents


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
        hex_text("signer", self.signer.lower(), 20)
        hex_text("signature", self.signature, 65)
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
        o = formatted("signature", obj, fields, SIGNATURE_FORMAT, VERSION)
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


#: Why a file that records name is not in a package (``manifest.omitted[].reason``).
OMISSION_REASONS = {
    "not-stored": "no file with this SHA-256 was stored by the service",
    "too-large": "the stored file is larger than a package may carry",
    "digest-mismatch": "the stored copy no longer matches its SHA-256 (altered or damaged)",
    "withheld": "this package was built without original files",
}


@dataclass(frozen=True)
class Omission:
    """A file the package's records name but the package leaves out, and why."""

    sha256: str
    reason: str
    records: tuple[int, ...]
    detail: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.sha256, str) or not re.fullmatch(r"[0-9a-f]{64}", self.sha256):
            raise MalformedInput(f"omitted sha256: expected 64 hex digits, found {self.sha256!r}")
        if self.reason not in OMISSION_REASONS:
            raise MalformedInput(
                f"omitted reason: expected one of {', '.join(OMISSION_REASONS)}, "
                f"found {self.reason!r}"
            )
        if (not isinstance(self.records, tuple) or not self.records
                or not all(type(i) is int and i >= 0 for i in self.records)):  # fmt: skip
            raise MalformedInput(f"omitted records: expected leaf indices, found {self.records!r}")
        if not isinstance(self.detail, str) or len(self.detail) > 1000:
            raise MalformedInput("omitted detail: expected text of at most 1000 characters")

    def to_json(self) -> dict[str, object]:
        return {"sha256": self.sha256, "reason": self.reason, "records": list(self.records),
                "detail": self.detail}  # fmt: skip

    @classmethod
    def from_json(cls, obj: object, where: str) -> Omission:
        f = exact_fields(where, obj, {"sha256", "reason", "records", "detail"})
        records = f["records"]
        if not isinstance(records, list):
            raise MalformedInput(f"{where} records: expected an array, found {records!r}")
        return cls(f["sha256"], f["reason"], tuple(records), f["detail"])


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
    #: tree size of a head -> the log's signed (and cosigned) checkpoint of that head
    checkpoints: Mapping[int, SignedCheckpoint] = field(default_factory=dict)
    #: tree size -> a TSA's DER TimeStampResp over that checkpoint's signed text (RFC 3161)
    timestamps: Mapping[int, bytes] = field(default_factory=dict)
    #: files the records name that the package leaves out, each with its reason
    omitted: Sequence[Omission] = ()
    #: GM profile: leaf index -> the record's SM3 audit path (``docs/gm-profile.md``)
    sm3_proofs: Mapping[int, Sm3Proof] = field(default_factory=dict)


# ---------------------------------------------------------------- writing


def write_package(c: PackageContents) -> bytes:
    """Return the zip bytes of ``c``; equal contents give equal bytes.

    Does not verify ``c``: run ``verify_package`` on the result for that.
    """
    entries: dict[str, tuple[str, bytes]] = {}
    for i, data in c.records.items():
        entries[f"records/{i}.json"] = ("record", data)
    for i, p in c.proofs.items():
        entries[f"proofs/{i}.json"] = ("proof", canonicalize(p.to_json(), name="proof"))
    for digest, data in c.files.items():
        entries[f"files/{digest}"] = ("file", data)
    heads = {
        "format": HEADS_FORMAT, "version": VERSION,
        "heads": [h.to_json() for h in c.heads],
        "consistency": [p.to_json() for p in c.consistency],
    }  # fmt: skip
    entries["heads.json"] = ("heads", canonicalize(heads, name="heads"))
    for tx, ev in c.anchors.items():
        entries[f"anchors/{tx}.json"] = ("anchor", canonicalize(ev.to_json(), name="anchor"))
    for size, cp in c.checkpoints.items():
        entries[f"checkpoints/{size}.json"] = (
            "checkpoint", canonicalize(cp.to_json(), name="checkpoint"),
        )  # fmt: skip
    for size, token in c.timestamps.items():
        entries[f"timestamps/{size}.tsr"] = ("timestamp", token)
    for i, sp in c.sm3_proofs.items():
        entries[f"sm3-proofs/{i}.json"] = ("sm3_proof", canonicalize(sp.to_json(), name="sm3"))
    for name, sig in c.signatures.items():
        entries[f"signatures/{name}.json"] = (
            "signature", canonicalize(sig.to_json(), name="signature"),
        )  # fmt: skip
    paths = sorted(entries)
    manifest = canonicalize(
        {
            "format": FORMAT, "version": VERSION, "package_id": c.package_id,
            "created_at": c.created_at, "subject": c.subject, "chain_id": c.chain_id,
            "contracts": {"EvidenceLog": c.contract},
            "files": [
                {"path": p, "role": entries[p][0], "sha256": sha256_hex(entries[p][1]),
                 "size": len(entries[p][1])}
                for p in paths
            ],
            # present only when something is left out: other packages stay byte for byte
            **({"omitted": [o.to_json() for o in sorted(c.omitted, key=lambda o: o.sha256)]}
               if c.omitted else {}),
        },
        name="manifest",
    )  # fmt: skip
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in [
            (MANIFEST, manifest),
            (MANIFEST_DIGEST, (sha256_hex(manifest) + "\n").encode()),
            *((p, entries[p][1]) for p in paths),
        ]:
            zf.writestr(zipfile.ZipInfo(name, _ZIP_TIME), data, zipfile.ZIP_DEFLATED)
    return buf.getvalue()


# ---------------------------------------------------------------- reading


def _check_name(name: str) -> None:
    parts = name.replace("\\", "/").split("/")
    if name.startswith(("/", "\\")) or re.match(r"[A-Za-z]:", name) or ".." in parts:
        raise MalformedInput(f"zip entry {name!r}: expected a relative path, found path traversal")
    if name not in (MANIFEST, MANIFEST_DIGEST) and not any(
        rx.fullmatch(name) for rx in ROLES.values()
    ):
        raise MalformedInput(f"zip entry {name!r}: expected a known package path, found unknown")


def read_entries(data: bytes, limits: Limits = LIMITS) -> dict[str, bytes]:
    """Read every entry of a package strictly, in zip order (section 1).

    Returns name -> bytes, ``manifest.json`` and ``manifest.sha256`` first.

    Raises:
        LimitExceeded: ``data`` or an entry is over ``limits`` (on the bytes decompressed).
        MalformedInput: not a zip; a name that traverses, is unknown or repeats; an
            encrypted or unreadable entry; the manifest not first.
    """
    if len(data) > limits.package_bytes:
        raise LimitExceeded(
            f"package: expected at most {limits.package_bytes} bytes, found {len(data)}"
        )
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise MalformedInput(f"package: expected a zip archive, found: {exc}") from exc
    if len(infos) > limits.entries:
        raise LimitExceeded(
            f"package: expected at most {limits.entries} entries, found {len(infos)}"
        )
    declared = sum(i.file_size for i in infos)
    if declared > limits.total_bytes:
        raise LimitExceeded(
            f"package: expected at most {limits.total_bytes} bytes unpacked, found {declared} "
            "declared"
        )
    out: dict[str, bytes] = {}
    total = 0
    for info in infos:
        name = info.filename
        _check_name(name)
        if name in out:
            raise MalformedInput(f"zip entry {name!r}: expected unique names, found it twice")
        if info.flag_bits & 1:
            raise MalformedInput(f"zip entry {name!r}: expected no encryption, found encrypted")
        limit = limits.file_bytes if name.startswith("files/") else limits.json_bytes
        if info.file_size > limit:  # a declared size only ever refuses early, never admits
            raise LimitExceeded(f"{name}: expected at most {limit} bytes, found {info.file_size}")
        content = _inflate(zf, info, limit, limits.total_bytes - total)
        total += len(content)
        out[name] = content
    if list(out)[:2] != [MANIFEST, MANIFEST_DIGEST]:
        raise MalformedInput(
            f"package: expected {MANIFEST} and {MANIFEST_DIGEST} as the first entries, "
            f"found {list(out)[:2]}"
        )
    return out


def _inflate(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int, room: int) -> bytes:
    """Inflate one entry chunk by chunk, stopping at the first byte past ``limit`` (the
    entry's) or ``room`` (what the package total has left): whatever the entry declares,
    no more than the limits plus one chunk is ever inflated."""
    name = info.filename
    parts: list[bytes] = []
    size = 0
    try:
        with zf.open(info) as f:
            while chunk := f.read(INFLATE_CHUNK):
                size += len(chunk)
                if size > limit:
                    raise LimitExceeded(f"{name}: expected at most {limit} bytes, found more")
                if size > room:
                    raise LimitExceeded(
                        f"package: expected at most {room} more bytes unpacked at {name}, "
                        "found more (total limit)"
                    )
                parts.append(chunk)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise MalformedInput(f"{name}: expected a readable zip entry, found: {exc}") from exc
    return b"".join(parts)


def manifest_digest(zip_bytes: bytes, limits: Limits = LIMITS) -> str:
    """SHA-256 hex of the package's ``manifest.json`` (raises like :func:`read_entries`)."""
    return sha256_hex(read_entries(zip_bytes, limits)[MANIFEST])
