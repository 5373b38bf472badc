"""The notarization certificate (数字公证书): a W3C Verifiable Credential 2.0 as a compact JWS.

The credential (``docs/notarization.md`` is the spec) states that a notary examined an
evidence package: its SHA-256, its subject, how many records, and the anchored tree
head it reaches. The payload is the credential as RFC 8785 canonical JSON; the JWS
(RFC 7515 compact serialization) is signed ES256K (RFC 8812) with the notary's own
secp256k1 key, the key that also signs the notary's Ethereum transactions. The
protected header carries that key as ``jwk``; its Ethereum address must equal the
issuer's ``did:pkh`` address. The certificate digest, registered on chain, is the
SHA-256 of the compact JWS's ASCII bytes.

Pure: no chain, no database. :func:`verify_signature` checks only the JWS itself;
``notary.verify`` adds what the chain says.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from eth_hash.auto import keccak
from eth_utils.address import to_checksum_address

from ledger_service.core._fields import exact_fields
from ledger_service.core.canonical import canonicalize, parse_json_strict
from ledger_service.core.errors import LimitExceeded, MalformedInput, VerificationFailed

__all__ = [
    "ALG",
    "CONTEXT",
    "CREDENTIAL_TYPE",
    "MAX_JWS_BYTES",
    "AnchorRef",
    "Certificate",
    "address_of_jwk",
    "certificate_digest",
    "issue",
    "parse",
    "verify_signature",
]

CONTEXT = "https://www.w3.org/ns/credentials/v2"
CREDENTIAL_TYPE = ("VerifiableCredential", "NotarizationCredential")
ALG = "ES256K"
#: media type of a VC secured with JOSE (W3C VC-JOSE-COSE)
TYP = "vc+jwt"
ID_PREFIX = "urn:chainwitness:notarization:"
SUBJECT_PREFIX = "urn:sha256:"
KID_FRAGMENT = "#blockchainAccountId"
#: a compact JWS larger than this is refused before any decoding
MAX_JWS_BYTES = 64 * 1024
MAX_TEXT_CHARS = 512

STATEMENT_ZH = (
    "公证员已审查本证据包：其全部记录、包含证明与一致性证明经独立核验通过，"
    "记录已纳入大小为 {size} 的透明日志树头，该树头已锚定于链上。本证书不证明所记录文件内容的真实性。"
)
STATEMENT_EN = (
    "The notary examined this evidence package: every record, inclusion proof and "
    "consistency proof verified independently, and the records are contained in the "
    "transparency-log tree head of size {size}, anchored on chain. This certificate does "
    "not attest to the truth of the recorded documents."
)

_SERIAL = re.compile(r"[A-Z]{2,8}-\d{4}-\d{6}")
_HEX64 = re.compile(r"[0-9a-f]{64}")
_TX = re.compile(r"0x[0-9a-f]{64}")
_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")
_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", re.ASCII)
_DID = re.compile(r"did:pkh:eip155:([1-9][0-9]{0,18}):(0x[0-9a-fA-F]{40})")
_B64URL = re.compile(r"[A-Za-z0-9_-]*")


def _check(ok: bool, what: str, expected: str, found: object) -> None:
    if not ok:
        raise MalformedInput(f"{what}: expected {expected}, found {found!r}")


def _text(value: object, what: str) -> str:
    ok = isinstance(value, str) and 0 < len(value) <= MAX_TEXT_CHARS
    _check(ok, what, f"1..{MAX_TEXT_CHARS} characters", value)
    return str(value)


def _int(value: object, what: str, minimum: int) -> int:
    if type(value) is not int or value < minimum:
        raise MalformedInput(f"{what}: expected an integer >= {minimum}, found {value!r}")
    return value


@dataclass(frozen=True)
class AnchorRef:
    """The EvidenceLog transaction that anchored the package's newest tree head."""

    chain_id: int
    contract: str
    tx_hash: str
    block_number: int

    def __post_init__(self) -> None:
        _int(self.chain_id, "anchor.chainId", 1)
        _check(bool(_ADDRESS.fullmatch(self.contract)), "anchor.contract", "a 0x address",
               self.contract)  # fmt: skip
        _check(bool(_TX.fullmatch(self.tx_hash)), "anchor.txHash", "0x + 64 lowercase hex",
               self.tx_hash)  # fmt: skip
        _int(self.block_number, "anchor.blockNumber", 0)

    def to_json(self) -> dict[str, Any]:
        return {"chainId": self.chain_id, "contract": self.contract, "txHash": self.tx_hash,
                "blockNumber": self.block_number}  # fmt: skip

    @classmethod
    def from_json(cls, obj: object) -> AnchorRef:
        o = exact_fields("anchor", obj, {"chainId", "contract", "txHash", "blockNumber"})
        return cls(o["chainId"], o["contract"], o["txHash"], o["blockNumber"])


@dataclass(frozen=True)
class Certificate:
    """What a notarization credential states; validated on construction.

    ``notary`` is the issuer's checksummed address, ``valid_from`` an XML Schema
    dateTime in UTC to the second (``2026-11-30T08:00:00Z``), ``package_digest`` and
    ``tree_root`` 64 lowercase hex digits. ``anchor.chain_id`` equals ``chain_id``.
    """

    serial: str
    chain_id: int
    notary: str
    notary_name: str
    valid_from: str
    package_digest: str
    subject: str
    records: int
    tree_size: int
    tree_root: str
    anchor: AnchorRef

    def __post_init__(self) -> None:
        _check(bool(_SERIAL.fullmatch(self.serial)), "serial", "like CWN-2026-000001", self.serial)
        _int(self.chain_id, "chainId", 1)
        _check(bool(_ADDRESS.fullmatch(self.notary)), "notary", "a 0x address", self.notary)
        _check(to_checksum_address(self.notary) == self.notary, "notary",
               "a checksummed (EIP-55) address", self.notary)  # fmt: skip
        _text(self.notary_name, "issuer.name")
        _check(bool(_TIME.fullmatch(self.valid_from)), "validFrom", "YYYY-MM-DDThh:mm:ssZ",
               self.valid_from)  # fmt: skip
        _check(bool(_HEX64.fullmatch(self.package_digest)), "packageDigest", "64 lowercase hex",
               self.package_digest)  # fmt: skip
        _text(self.subject, "subject")
        _int(self.records, "records", 1)
        _int(self.tree_size, "treeSize", 1)
        _check(self.records <= self.tree_size, "records", f"at most treeSize {self.tree_size}",
               self.records)  # fmt: skip
        _check(bool(_HEX64.fullmatch(self.tree_root)), "treeRoot", "64 lowercase hex",
               self.tree_root)  # fmt: skip
        _check(self.anchor.chain_id == self.chain_id, "anchor.chainId",
               f"the issuer's chain {self.chain_id}", self.anchor.chain_id)  # fmt: skip

    @property
    def issuer(self) -> str:
        return f"did:pkh:eip155:{self.chain_id}:{self.notary}"

    @property
    def kid(self) -> str:
        return self.issuer + KID_FRAGMENT

    @property
    def id(self) -> str:
        return ID_PREFIX + self.serial

    def to_json(self) -> dict[str, Any]:
        """The credential as a JSON object (W3C VC Data Model 2.0)."""
        return {
            "@context": [CONTEXT],
            "type": list(CREDENTIAL_TYPE),
            "id": self.id,
            "issuer": {"id": self.issuer, "name": self.notary_name},
            "validFrom": self.valid_from,
            "credentialSubject": {
                "id": SUBJECT_PREFIX + self.package_digest,
                "packageDigest": self.package_digest,
                "subject": self.subject,
                "records": self.records,
                "treeSize": self.tree_size,
                "treeRoot": self.tree_root,
                "anchor": self.anchor.to_json(),
                "statement": {
                    "zh": STATEMENT_ZH.format(size=self.tree_size),
                    "en": STATEMENT_EN.format(size=self.tree_size),
                },
            },
        }

    @classmethod
    def from_json(cls, obj: object) -> Certificate:
        """Parse :meth:`to_json`; every field is checked, nothing extra is allowed.

        Raises:
            MalformedInput: a missing, unknown or malformed field (the message names it).
        """
        vc = exact_fields("credential", obj, {"@context", "type", "id", "issuer", "validFrom",
                                         "credentialSubject"})  # fmt: skip
        _check(vc["@context"] == [CONTEXT], "@context", f"[{CONTEXT!r}]", vc["@context"])
        _check(vc["type"] == list(CREDENTIAL_TYPE), "type", str(list(CREDENTIAL_TYPE)),
               vc["type"])  # fmt: skip
        _check(type(vc["id"]) is str and vc["id"].startswith(ID_PREFIX), "id",
               f"{ID_PREFIX}<serial>", vc["id"])  # fmt: skip
        issuer = exact_fields("issuer", vc["issuer"], {"id", "name"})
        m = _DID.fullmatch(issuer["id"]) if type(issuer["id"]) is str else None
        _check(m is not None, "issuer.id", "did:pkh:eip155:<chainId>:<address>", issuer["id"])
        assert m is not None
        cs = exact_fields("credentialSubject", vc["credentialSubject"], {
            "id", "packageDigest", "subject", "records", "treeSize", "treeRoot", "anchor",
            "statement",
        })  # fmt: skip
        cert = cls(
            serial=vc["id"][len(ID_PREFIX) :],
            chain_id=int(m.group(1)),
            notary=m.group(2),
            notary_name=issuer["name"],
            valid_from=vc["validFrom"],
            package_digest=cs["packageDigest"],
            subject=cs["subject"],
            records=cs["records"],
            tree_size=cs["treeSize"],
            tree_root=cs["treeRoot"],
            anchor=AnchorRef.from_json(cs["anchor"]),
        )
        # the remaining fields are derived: they must be exactly what this version writes
        if cert.to_json() != vc:
            raise MalformedInput(
                "credential: expected credentialSubject.id and statement derived from the "
                "other fields, found other values"
            )
        return cert


# -- JOSE ---------------------------------------------------------------------


_SECP256K1_ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
_HALF_ORDER = _SECP256K1_ORDER // 2


def _b64decode(part: str, what: str) -> bytes:
    _check(bool(_B64URL.fullmatch(part)) and len(part) % 4 != 1, what,
           "unpadded base64url", part[:40])  # fmt: skip
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _b64int(value: object, what: str) -> int:
    _check(type(value) is str, what, "base64url text", value)
    raw = _b64decode(str(value), what)
    _check(len(raw) == 32, what, "32 bytes", len(raw))
    return int.from_bytes(raw, "big")


def address_of_jwk(jwk: object) -> str:
    """The Ethereum address of a secp256k1 public JWK: keccak256(x || y)[12:], checksummed.

    Raises:
        MalformedInput: not an EC secp256k1 public key (a private ``d`` is refused too).
    """
    key = exact_fields("header.jwk", jwk, {"kty", "crv", "x", "y"})
    _check(key["kty"] == "EC" and key["crv"] == "secp256k1", "header.jwk",
           "kty EC, crv secp256k1", f"{key['kty']} {key['crv']}")  # fmt: skip
    x, y = _b64int(key["x"], "header.jwk.x"), _b64int(key["y"], "header.jwk.y")
    return str(to_checksum_address(keccak(x.to_bytes(32, "big") + y.to_bytes(32, "big"))[12:]))


def _split(jws: str | bytes) -> tuple[dict[str, Any], bytes, str]:
    """Header, payload bytes and the token as text; nothing verified yet."""
    if isinstance(jws, bytes):
        try:
            jws = jws.decode("ascii")
        except UnicodeDecodeError:
            raise MalformedInput(
                "certificate: expected ASCII compact JWS, found other bytes"
            ) from None
    jws = jws.strip()
    if len(jws) > MAX_JWS_BYTES:
        raise LimitExceeded(
            f"certificate: expected at most {MAX_JWS_BYTES} bytes, found {len(jws)}"
        )
    parts = jws.split(".")
    _check(len(parts) == 3, "certificate", "a compact JWS of three dot-separated parts",
           f"{len(parts)} parts")  # fmt: skip
    try:
        header = json.loads(_b64decode(parts[0], "JWS header"))
    except ValueError:
        raise MalformedInput("JWS header: expected JSON, found other bytes") from None
    if not isinstance(header, dict):
        raise MalformedInput(f"JWS header: expected an object, found {type(header).__name__}")
    return header, _b64decode(parts[1], "JWS payload"), jws


def certificate_digest(jws: str | bytes) -> str:
    """SHA-256 (hex) of the compact JWS's ASCII bytes: the digest registered on chain."""
    text = jws.decode("ascii") if isinstance(jws, bytes) else jws
    return hashlib.sha256(text.strip().encode("ascii")).hexdigest()


def parse(jws: str | bytes) -> Certificate:
    """The credential inside ``jws``, WITHOUT checking the signature (see verify_signature).

    Raises:
        MalformedInput, LimitExceeded: not a compact JWS carrying a canonical credential.
    """
    _header, payload, _ = _split(jws)
    value = parse_json_strict(payload)
    if canonicalize(value, name="credential") != payload:
        raise MalformedInput(
            "JWS payload: expected RFC 8785 canonical JSON, found another encoding"
        )
    return Certificate.from_json(value)


def issue(cert: Certificate, private_key: bytes) -> str:
    """Sign ``cert`` with the notary's secp256k1 key; return the compact JWS.

    Precondition: ``private_key`` (32 bytes) is the key of ``cert.notary``.

    Raises:
        MalformedInput: the key is not 32 bytes or belongs to another address.
    """
    from cryptography.hazmat.primitives.asymmetric import ec
    from joserfc import jws as jose
    from joserfc.jwk import ECKey

    _check(len(private_key) == 32, "private key", "32 bytes", len(private_key))
    pk = ec.derive_private_key(int.from_bytes(private_key, "big"), ec.SECP256K1())
    key = ECKey.import_key(pk)
    public = {k: v for k, v in key.as_dict(private=False).items() if k in ("kty", "crv", "x", "y")}
    found = address_of_jwk(public)
    _check(found == cert.notary, "private key", f"the key of {cert.notary}", found)
    header = {"alg": ALG, "typ": TYP, "kid": cert.kid, "jwk": public}
    payload = canonicalize(cert.to_json(), name="credential")
    token = str(jose.serialize_compact(header, payload, key, algorithms=[ALG]))
    # ECDSA signs with either s or n - s; only the low one is a certificate (no twin JWS
    # with another digest): normalize here, refuse high s in verify_signature
    signing_input, _, sig = token.rpartition(".")
    raw = _b64decode(sig, "signature")
    r, s_ = raw[:32], int.from_bytes(raw[32:], "big")
    if s_ > _HALF_ORDER:
        low = (_SECP256K1_ORDER - s_).to_bytes(32, "big")
        token = f"{signing_input}.{base64.urlsafe_b64encode(r + low).rstrip(b'=').decode()}"
    return token


def verify_signature(jws: str | bytes) -> Certificate:
    """Check the JWS alone and return its credential.

    Checks, in order: the header is exactly ``alg`` ES256K, ``typ``, ``kid`` (the
    issuer's DID + ``#blockchainAccountId``) and a public secp256k1 ``jwk``; the
    jwk's Ethereum address is the issuer's (checked before ``kid``, so a key swap is
    named as such); the signature verifies under that jwk.

    Raises:
        MalformedInput, LimitExceeded: the token or credential is malformed.
        VerificationFailed: wrong algorithm, a key of another address, or a bad signature.
    """
    from joserfc import jws as jose
    from joserfc.errors import JoseError
    from joserfc.jwk import ECKey

    header, _payload, token = _split(jws)
    cert = parse(token)
    if header.get("alg") != ALG:
        raise VerificationFailed(f"signature: expected alg {ALG}, found {header.get('alg')!r}")
    exact_fields("JWS header", header, {"alg", "typ", "kid", "jwk"})
    _check(header["typ"] == TYP, "header.typ", TYP, header["typ"])
    signer = address_of_jwk(header["jwk"])
    if signer != cert.notary:
        raise VerificationFailed(
            f"signature: expected the header jwk to be the key of the issuer {cert.notary}, "
            f"found the key of {signer}"
        )
    _check(header["kid"] == cert.kid, "header.kid", cert.kid, header["kid"])
    raw = _b64decode(token.rpartition(".")[2], "signature")
    if len(raw) == 64 and int.from_bytes(raw[32:], "big") > _HALF_ORDER:
        raise VerificationFailed(
            "signature: expected a low-s ES256K signature (s <= n/2), found a high s: the "
            "malleated twin of a certificate, whose digest differs from the registered one"
        )
    try:
        jose.deserialize_compact(token, ECKey.import_key(header["jwk"]), algorithms=[ALG])
    except (JoseError, ValueError) as exc:
        raise VerificationFailed(
            f"signature: expected a valid ES256K signature by {cert.notary}, found it does "
            f"not verify ({type(exc).__name__})"
        ) from None
    return cert
