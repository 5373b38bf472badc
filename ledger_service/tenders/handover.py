"""What a party hands the operator: its role, name, chain address and public key.

``chainwitness key create`` writes one beside the new keystore (``FILE.pub.json``);
the operator's ``tender register-bidder --from FILE`` reads it. Nothing in it is
secret. A bidder's per-tender pseudonym (an address derived from the bidder's own
key and the tender code) is added per tender by ``key show --tender CODE``, because
only the holder of the key can derive it.

Format (canonical JSON object, version 1)::

    {"format": "chainwitness/key-handover", "version": 1, "role": "bidder",
     "name": "...", "address": "0x...", "public_key": "02...",
     "pseudonyms": {"GC-2026-0417": "0x..."}}
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from eth_utils.address import is_checksum_address, to_checksum_address

from ledger_service.core.errors import MalformedInput

FORMAT = "chainwitness/key-handover"
VERSION = 1
#: The roles whose keys this command makes (the others hold only API tokens).
KEY_ROLES = ("bidder", "custodian", "notary")
_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
_PUB33 = re.compile(r"^0[23][0-9a-f]{64}$")
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
MAX_NAME = 128
MAX_BYTES = 64 * 1024


def _address(what: str, value: object) -> str:
    if not isinstance(value, str) or not _ADDRESS.match(value):
        raise MalformedInput(f"{what}: expected a 0x address of 40 hex digits, found {value!r}")
    if value != value.lower() and not is_checksum_address(value):
        raise MalformedInput(f"{what}: expected a valid EIP-55 checksum, found {value}")
    return str(to_checksum_address(value))


@dataclass(frozen=True)
class Handover:
    role: str
    name: str
    address: str
    public_key: str  # compressed secp256k1, hex (custodian: its share key)
    pseudonyms: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.role not in KEY_ROLES:
            raise MalformedInput(
                f"role: expected one of {', '.join(KEY_ROLES)}, found {self.role!r}"
            )
        if not isinstance(self.name, str) or not 1 <= len(self.name) <= MAX_NAME:
            raise MalformedInput(f"name: expected 1..{MAX_NAME} characters, found {self.name!r}")
        object.__setattr__(self, "address", _address("address", self.address))
        if not isinstance(self.public_key, str) or not _PUB33.match(self.public_key):
            raise MalformedInput(
                f"public_key: expected a compressed secp256k1 key (66 hex digits), "
                f"found {self.public_key!r}"
            )
        if not isinstance(self.pseudonyms, dict):
            raise MalformedInput(f"pseudonyms: expected an object, found {self.pseudonyms!r}")
        for code, addr in self.pseudonyms.items():
            if not isinstance(code, str) or not _CODE.match(code):
                raise MalformedInput(f"pseudonyms: expected tender codes, found {code!r}")
            self.pseudonyms[code] = _address(f"pseudonyms[{code}]", addr)

    def pseudonym(self, code: str) -> str:
        """The bidder's pseudonym for tender ``code``.

        Raises:
            MalformedInput: the file names none for ``code``.
        """
        found = self.pseudonyms.get(code)
        if found is None:
            raise MalformedInput(
                f"expected a pseudonym for tender {code} in the {self.role} key handover of "
                f"{self.address}, found {sorted(self.pseudonyms) or 'none'}: the bidder runs "
                f"`chainwitness key show --keystore KEYFILE --tender {code}` and hands the file over"
            )
        return found

    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT, "version": VERSION, "role": self.role, "name": self.name,
                "address": self.address, "public_key": self.public_key,
                "pseudonyms": dict(sorted(self.pseudonyms.items()))}  # fmt: skip

    def to_bytes(self) -> bytes:
        return (json.dumps(self.to_json(), ensure_ascii=False, indent=2) + "\n").encode()

    @classmethod
    def from_json(cls, data: object) -> Handover:
        if not isinstance(data, dict):
            raise MalformedInput(
                f"key handover: expected a JSON object, found {type(data).__name__}"
            )
        if data.get("format") != FORMAT or data.get("version") != VERSION:
            raise MalformedInput(
                f"key handover: expected format {FORMAT} version {VERSION}, found "
                f"{data.get('format')!r} version {data.get('version')!r}"
            )
        extra = set(data) - {"format", "version", "role", "name", "address", "public_key",
                             "pseudonyms"}  # fmt: skip
        if extra:
            raise MalformedInput(f"key handover: unexpected fields {sorted(extra)}")
        return cls(data.get("role"), data.get("name"), data.get("address"),  # type: ignore[arg-type]
                   data.get("public_key"), dict(data.get("pseudonyms") or {}))  # type: ignore[arg-type]  # fmt: skip

    @classmethod
    def from_bytes(cls, raw: bytes) -> Handover:
        if len(raw) > MAX_BYTES:
            raise MalformedInput(
                f"key handover: expected at most {MAX_BYTES} bytes, found {len(raw)}"
            )
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise MalformedInput(f"key handover: expected JSON, found: {exc}") from None
        return cls.from_json(data)
