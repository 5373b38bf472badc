"""The pinned trust policy: which chain, contracts, log, witnesses and notary to believe.

In the spirit of Sigstore's trusted root: a small file a trading centre publishes
with each tender notice, that every verifier pins out of band and checks every
artefact against. An artefact's own addresses and keys are compared with the
policy, never trusted. Specification: ``docs/trust-policy.md``.

The file is canonical JSON (RFC 8785); :attr:`TrustPolicy.fingerprint` is the
SHA-256 of those bytes, short enough to print on a tender notice.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Self

from eth_utils.address import is_checksum_address, to_checksum_address

from ledger_service.core.canonical import MAX_SAFE_INTEGER, canonicalize, parse_json_strict
from ledger_service.core.checkpoints import WitnessQuorum
from ledger_service.core.errors import MalformedInput, VerificationFailed
from ledger_service.core.gm_notes import SM2_COSIGNATURE, SM2_NOTE, Sm2VerifierKey
from ledger_service.core.headers import CONSENSUS_SCHEMES
from ledger_service.core.notes import SIG_TYPE_ED25519, VerifierKey
from ledger_service.core.timestamps import load_roots

__all__ = [
    "CHAIN_KINDS",
    "CONSENSUS_SCHEMES",
    "CONTRACT_NAMES",
    "CRYPTO_PROFILES",
    "MAX_ORIGIN_BYTES",
    "NotaryAuthority",
    "TrustPolicy",
]

#: ``development``: a chain its operator controls (anvil, hardhat): it binds no one;
#: ``consortium``: validators are independent institutions (e.g. Besu QBFT)
CHAIN_KINDS = ("development", "consortium")
#: the contracts a policy may pin; EvidenceLog is required
CONTRACT_NAMES = ("EvidenceLog", "TenderRegistry", "NotaryRegistry", "ContractWitness")
#: longest log origin, in UTF-8 bytes (the bound c2sp.org/tlog-cosignature sets for ML-DSA)
MAX_ORIGIN_BYTES = 255
_DID = re.compile(r"did:[a-z0-9]+:[A-Za-z0-9._%-]+(?::[A-Za-z0-9._%-]+)*")
#: ``international``: Ed25519 notes and SHA-256 (the default, written as no field);
#: ``gm``: additionally SM2 signatures and an SM3 root (``docs/gm-profile.md``)
CRYPTO_PROFILES = ("international", "gm")
_FIELDS = ("format", "version", "chain", "contracts", "log", "witnesses", "notary", "tsa")
_OPTIONAL = frozenset({"notary", "tsa", "crypto_profile"})


def _sm2_key(name: str, value: object, type_string: bytes) -> Sm2VerifierKey:
    key = Sm2VerifierKey.from_text(value)
    if key.type_string != type_string:
        raise MalformedInput(f"{name}: expected an SM2 {_KIND[type_string]} key, found a "
                             f"{key.kind} key")  # fmt: skip
    return key


_KIND = {SM2_NOTE: "note", SM2_COSIGNATURE: "cosignature"}


def _object(
    name: str, value: object, fields: set[str], optional: frozenset[str] = frozenset()
) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise MalformedInput(f"{name}: expected an object, found {type(value).__name__}")
    keys = set(value)
    if not fields <= keys or not keys <= fields | optional:
        raise MalformedInput(
            f"{name}: expected the fields {sorted(fields)} (optional {sorted(optional)}), "
            f"found {sorted(map(str, keys))}"
        )
    return value


def _address(name: str, value: object) -> str:
    if type(value) is not str or not is_checksum_address(value):
        raise MalformedInput(f"{name}: expected an EIP-55 checksummed address, found {value!r:.60}")
    return value


def _vkey(name: str, value: object) -> VerifierKey:
    if type(value) is not str:
        raise MalformedInput(
            f"{name}: expected a verifier key string, found {type(value).__name__}"
        )
    return VerifierKey.from_text(value)


@dataclass(frozen=True, slots=True)
class NotaryAuthority:
    """The notary office pinned by the policy: its account address and/or DID."""

    address: str | None = None
    did: str | None = None

    def __post_init__(self) -> None:
        if self.address is None and self.did is None:
            raise MalformedInput("notary: expected an address, a DID or both, found neither")
        if self.address is not None:
            _address("notary address", self.address)
        if self.did is not None and (type(self.did) is not str or not _DID.fullmatch(self.did)):
            raise MalformedInput(
                f"notary did: expected 'did:<method>:<id>', found {self.did!r:.80}"
            )

    def to_json(self) -> dict[str, str]:
        out = {"address": self.address, "did": self.did}
        return {k: v for k, v in out.items() if v is not None}


@dataclass(frozen=True, slots=True)
class TrustPolicy:
    """A pinned trust policy (version 1). Validated on construction (MalformedInput).

    ``contracts`` maps names from :data:`CONTRACT_NAMES` to EIP-55 addresses
    (EvidenceLog required); the log key is an Ed25519 note key (type 0x01) named
    by the origin; witnesses are cosignature/v1 keys with a quorum ``k``.
    """

    FORMAT: ClassVar[str] = "chainwitness/trust-policy"
    VERSION: ClassVar[int] = 1

    chain_id: int
    chain_kind: str
    contracts: tuple[tuple[str, str], ...]
    log_origin: str
    log_key: VerifierKey
    witnesses: WitnessQuorum
    notary: NotaryAuthority | None = None
    #: PEM root certificates of the RFC 3161 TSAs whose checkpoint timestamps count
    tsa_roots: tuple[str, ...] = ()
    #: the chain's block hashing: ethereum (written as no field), qbft or ibft2 (Besu BFT)
    consensus: str = "ethereum"
    #: BFT validators (EIP-55) whose commit seals, ceil(2n/3) of them, every header must carry
    validators: tuple[str, ...] = ()
    #: ``international`` (written as no field) or ``gm`` (SM2/SM3 required as well)
    crypto_profile: str = "international"
    #: gm only: the log's SM2 note key, named by the origin
    log_sm2_key: Sm2VerifierKey | None = None
    #: gm only: the witnesses' SM2 cosignature keys; k of them must cosign too
    witness_sm2_keys: tuple[Sm2VerifierKey, ...] = ()

    def __post_init__(self) -> None:
        if type(self.chain_id) is not int or not 1 <= self.chain_id <= MAX_SAFE_INTEGER:
            raise MalformedInput(
                f"chain id: expected 1 <= id <= 2**53 - 1, found {self.chain_id!r}"
            )
        if self.chain_kind not in CHAIN_KINDS:
            raise MalformedInput(
                f"chain kind: expected one of {CHAIN_KINDS}, found {self.chain_kind!r}"
            )
        if self.consensus not in CONSENSUS_SCHEMES:
            raise MalformedInput(
                f"chain consensus: expected one of {CONSENSUS_SCHEMES}, found {self.consensus!r}"
            )
        if type(self.validators) is not tuple:
            raise MalformedInput("chain.validators: expected an array of addresses")
        if self.validators and self.consensus == "ethereum":
            raise MalformedInput(
                "chain.validators: expected only with consensus qbft or ibft2 (commit seals), "
                "found consensus ethereum"
            )
        for i, v in enumerate(self.validators):
            _address(f"chain.validators[{i}]", v)
        if len({v.lower() for v in self.validators}) != len(self.validators):
            raise MalformedInput("chain.validators: expected distinct addresses, found repeats")
        names = [n for n, _ in self.contracts]
        if names != sorted(set(names)) or not set(names) <= set(CONTRACT_NAMES):
            raise MalformedInput(
                f"contracts: expected distinct names from {CONTRACT_NAMES} in sorted order, "
                f"found {names}"
            )
        if "EvidenceLog" not in names:
            raise MalformedInput("contracts: expected an EvidenceLog address, found none")
        for n, a in self.contracts:
            _address(f"contracts.{n}", a)
        origin = self.log_origin
        if (
            type(origin) is not str
            or not origin
            or len(origin.encode()) > MAX_ORIGIN_BYTES
            or "+" in origin
            or any(c.isspace() or c < " " for c in origin)
        ):
            raise MalformedInput(
                f"log origin: expected 1 to {MAX_ORIGIN_BYTES} bytes without spaces or '+', "
                f"found {origin!r:.80}"
            )
        if self.log_key.sig_type != SIG_TYPE_ED25519 or self.log_key.name != origin:
            raise MalformedInput(
                f"log key: expected an Ed25519 note key (type 0x01) named {origin!r}, "
                f"found {self.log_key.ref} type 0x{self.log_key.sig_type:02x}"
            )
        if self.log_key.public_key in {w.public_key for w in self.witnesses.keys}:
            raise MalformedInput("witnesses: expected keys other than the log's own key")
        if type(self.tsa_roots) is not tuple or not all(type(r) is str for r in self.tsa_roots):
            raise MalformedInput("tsa.roots: expected an array of PEM certificates")
        load_roots(self.tsa_roots)
        self._check_profile()

    def _check_profile(self) -> None:
        if self.crypto_profile not in CRYPTO_PROFILES:
            raise MalformedInput(
                f"crypto_profile: expected one of {CRYPTO_PROFILES}, found {self.crypto_profile!r}"
            )
        if self.crypto_profile == "international":
            if self.log_sm2_key is not None or self.witness_sm2_keys:
                raise MalformedInput("log.sm2_key, witnesses.sm2_keys: expected only with "
                                     "crypto_profile gm, found them without")  # fmt: skip
            return
        key = self.log_sm2_key
        if key is None or key.type_string != SM2_NOTE or key.name != self.log_origin:
            raise MalformedInput(
                f"log.sm2_key: expected an SM2 note key named {self.log_origin!r} "
                f"(crypto_profile gm), found {'none' if key is None else key.ref}"
            )
        keys = self.witness_sm2_keys
        if type(keys) is not tuple or not all(
            isinstance(w, Sm2VerifierKey) and w.type_string == SM2_COSIGNATURE for w in keys
        ):
            raise MalformedInput("witnesses.sm2_keys: expected SM2 cosignature keys")
        if len({w.public_key for w in keys}) != len(keys) or len({w.ref for w in keys}) != len(
            keys
        ):
            raise MalformedInput("witnesses.sm2_keys: expected distinct public keys and names")
        if key.public_key in {w.public_key for w in keys}:
            raise MalformedInput("witnesses.sm2_keys: expected keys other than the log's SM2 key")
        if len(keys) < self.witnesses.k:
            raise MalformedInput(
                f"witnesses.sm2_keys: expected at least the quorum {self.witnesses.k} of keys "
                f"(crypto_profile gm), found {len(keys)}"
            )

    @property
    def gm(self) -> bool:
        """Whether the policy asks for the GM profile (SM2 signatures, SM3 root)."""
        return self.crypto_profile == "gm"

    # ------------------------------------------------------------ checks

    @property
    def operator_controlled(self) -> bool:
        """True for a development chain: its operator can rewrite it; it binds no one."""
        return self.chain_kind == "development"

    def contract(self, name: str) -> str:
        """The pinned address of ``name``. Raises VerificationFailed if none is pinned."""
        for n, a in self.contracts:
            if n == name:
                return a
        raise VerificationFailed(f"trust policy: expected a pinned {name} address, found none")

    def require_chain(self, chain_id: int) -> None:
        """Raises VerificationFailed unless ``chain_id`` is the pinned chain."""
        if chain_id != self.chain_id:
            raise VerificationFailed(
                f"chain id: expected {self.chain_id} (trust policy), found {chain_id!r}"
            )

    def require_contract(self, name: str, address: str) -> None:
        """Raises VerificationFailed unless ``address`` is the pinned ``name`` contract.

        Compared as 20-byte values (case-insensitive); the message names both.
        """
        pinned = self.contract(name)
        if type(address) is not str or address.lower() != pinned.lower():
            raise VerificationFailed(
                f"{name}: expected the pinned address {pinned}, found {address!r}"
            )

    def require_log(self, origin: str, key: VerifierKey | None = None) -> None:
        """Raises VerificationFailed unless the origin (and key, if given) are pinned."""
        if origin != self.log_origin:
            raise VerificationFailed(f"log origin: expected {self.log_origin!r}, found {origin!r}")
        if key is not None and key != self.log_key:
            raise VerificationFailed(f"log key: expected {self.log_key}, found {key}")

    def require_notary(self, *, address: str | None = None, did: str | None = None) -> None:
        """Raises VerificationFailed unless the given address and/or DID are pinned."""
        n = self.notary
        if n is None:
            raise VerificationFailed("trust policy: expected a pinned notary authority, found none")
        if address is None and did is None:
            raise VerificationFailed("notary: expected an address or a DID to check, found neither")
        if address is not None and (n.address is None or address.lower() != n.address.lower()):
            raise VerificationFailed(f"notary address: expected {n.address}, found {address!r}")
        if did is not None and did != n.did:
            raise VerificationFailed(f"notary did: expected {n.did!r}, found {did!r}")

    def require_production(self) -> None:
        """Raises VerificationFailed for a development chain (a production setting's check)."""
        if self.operator_controlled:
            raise VerificationFailed(
                f"chain {self.chain_id}: expected a consortium chain, found a development "
                "chain controlled by its operator"
            )

    # ------------------------------------------------------------ wire format

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "format": self.FORMAT,
            "version": self.VERSION,
            "chain": {"id": self.chain_id, "kind": self.chain_kind}
            | ({"consensus": self.consensus} if self.consensus != "ethereum" else {})
            | ({"validators": list(self.validators)} if self.validators else {}),
            "contracts": dict(self.contracts),
            "log": {"origin": self.log_origin, "key": self.log_key.to_text()},
            "witnesses": {
                "quorum": self.witnesses.k,
                "keys": [k.to_text() for k in self.witnesses.keys],
            },
        }
        if self.gm and self.log_sm2_key is not None:
            # the default profile is written as no field: earlier policies keep their bytes
            out["crypto_profile"] = self.crypto_profile
            out["log"]["sm2_key"] = self.log_sm2_key.to_text()
            out["witnesses"]["sm2_keys"] = [k.to_text() for k in self.witness_sm2_keys]
        if self.notary is not None:
            out["notary"] = self.notary.to_json()
        if self.tsa_roots:
            out["tsa"] = {"roots": list(self.tsa_roots)}
        return out

    @classmethod
    def from_json(cls, obj: object) -> Self:
        """Parse the JSON object. Raises MalformedInput if anything is off."""
        o = _object("trust policy", obj, set(_FIELDS) - _OPTIONAL, _OPTIONAL)
        if (
            o["format"] != cls.FORMAT
            or type(o["version"]) is not int
            or o["version"] != cls.VERSION
        ):
            raise MalformedInput(
                f"trust policy: expected format {cls.FORMAT!r} version {cls.VERSION}, "
                f"found {o['format']!r} version {o['version']!r}"
            )
        chain = _object("chain", o["chain"], {"id", "kind"}, frozenset({"consensus", "validators"}))
        if "validators" in chain and (type(chain["validators"]) is not list
                                      or not chain["validators"]):  # fmt: skip
            raise MalformedInput("chain.validators: expected a non-empty array of addresses")
        if "consensus" in chain and chain["consensus"] == "ethereum":
            # one policy, one encoding: the default is written as no field
            raise MalformedInput("chain.consensus: expected qbft or ibft2 (ethereum is the "
                                 "default, written as no field), found 'ethereum'")  # fmt: skip
        contracts = _object("contracts", o["contracts"], {"EvidenceLog"}, frozenset(CONTRACT_NAMES))
        log = _object("log", o["log"], {"origin", "key"}, frozenset({"sm2_key"}))
        wit = _object("witnesses", o["witnesses"], {"quorum", "keys"}, frozenset({"sm2_keys"}))
        if type(wit["keys"]) is not list:
            raise MalformedInput("witnesses.keys: expected an array of verifier keys")
        profile = o.get("crypto_profile", "international")
        if "crypto_profile" in o and profile != "gm":
            raise MalformedInput("crypto_profile: expected 'gm' (international is the default, "
                                 f"written as no field), found {profile!r}")  # fmt: skip
        if type(wit.get("sm2_keys", [])) is not list:
            raise MalformedInput("witnesses.sm2_keys: expected an array of SM2 keys")
        notary = None
        if "notary" in o:
            n = _object("notary", o["notary"], set(), frozenset({"address", "did"}))
            notary = NotaryAuthority(n.get("address"), n.get("did"))
        roots: tuple[str, ...] = ()
        if "tsa" in o:
            tsa = _object("tsa", o["tsa"], {"roots"})
            if type(tsa["roots"]) is not list or not tsa["roots"]:
                raise MalformedInput("tsa.roots: expected a non-empty array of PEM certificates")
            roots = tuple(tsa["roots"])
        return cls(
            chain_id=chain["id"],
            chain_kind=chain["kind"],
            contracts=tuple(sorted((str(k), v) for k, v in contracts.items())),
            log_origin=log["origin"],
            log_key=_vkey("log.key", log["key"]),
            witnesses=WitnessQuorum(
                tuple(_vkey(f"witnesses.keys[{i}]", k) for i, k in enumerate(wit["keys"])),
                wit["quorum"],
            ),
            notary=notary,
            tsa_roots=roots,
            consensus=chain.get("consensus", "ethereum"),
            validators=tuple(chain.get("validators", ())),
            crypto_profile=profile,
            log_sm2_key=(
                _sm2_key("log.sm2_key", log["sm2_key"], SM2_NOTE) if "sm2_key" in log else None
            ),
            witness_sm2_keys=tuple(
                _sm2_key(f"witnesses.sm2_keys[{i}]", k, SM2_COSIGNATURE)
                for i, k in enumerate(wit.get("sm2_keys", []))
            ),
        )

    def to_bytes(self) -> bytes:
        """The canonical JSON (RFC 8785) bytes: what is published and fingerprinted."""
        return canonicalize(self.to_json(), name="trust policy")

    @classmethod
    def from_bytes(cls, data: bytes) -> Self:
        """Parse a policy file (strict I-JSON; any whitespace). Raises MalformedInput."""
        return cls.from_json(parse_json_strict(data))

    @property
    def fingerprint(self) -> str:
        """``sha256:`` and the hex SHA-256 of :meth:`to_bytes`."""
        return "sha256:" + hashlib.sha256(self.to_bytes()).hexdigest()

    @staticmethod
    def checksummed(address: str) -> str:
        """EIP-55 form of a 0x-prefixed 20-byte hex address, for building a policy."""
        return str(to_checksum_address(address))
