"""The evidence record and its canonical bytes: what every log leaf commits to.

A leaf of the log is ``merkle.leaf_hash(record.canonical_bytes())``. The canonical
bytes are RFC 8785 (JCS) of::

    {"v": 1, "kind": ..., "subject": ..., "actor": ..., "digests": {...},
     "metadata": {...}, "submitted_at": ...}

Anything that changes these bytes for an existing record invalidates its proof, so
the limits below are part of the format (``docs/proof-format.md``), not tunables.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from types import MappingProxyType
from typing import Any, Self

from ledger_service.core import merkle
from ledger_service.core._fields import HEX_DIGITS, shown
from ledger_service.core.canonical import (
    JSON,
    FrozenDict,
    freeze,
    jcs_string,
    parse_json_strict,
    thaw,
    to_utf8,
)
from ledger_service.core.errors import LimitExceeded, MalformedInput

__all__ = [
    "DIGEST_HEX_LENGTHS",
    "MAX_DIGESTS",
    "MAX_METADATA_DEPTH",
    "MAX_RECORD_BYTES",
    "MAX_TEXT_CHARS",
    "RECORD_VERSION",
    "EvidenceRecord",
]

RECORD_VERSION = 1
#: the whole canonical record, in bytes
MAX_RECORD_BYTES = 64 * 1024
#: containers in ``metadata``, the metadata object itself counting as 1
MAX_METADATA_DEPTH = 8
#: ``subject`` and ``actor``, in Unicode code points
MAX_TEXT_CHARS = 256
MAX_DIGESTS = 8
#: supported digest algorithms and the length of their lowercase hex
_HEX_LENGTHS = {
    "sha256": 64, "sha384": 96, "sha512": 128,
    "sha3-256": 64, "sha3-384": 96, "sha3-512": 128,
    "blake2b-512": 128, "sm3": 64,  # SM3: GB/T 32905, China's national standard hash
}  # fmt: skip
DIGEST_HEX_LENGTHS: Mapping[str, int] = MappingProxyType(_HEX_LENGTHS)

_FIELDS = frozenset({"v", "kind", "subject", "actor", "digests", "metadata", "submitted_at"})
_KIND = re.compile(r"[a-z][a-z0-9_.-]{0,63}")
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z", re.ASCII)


def _text(name: str, value: object) -> str:
    if type(value) is not str:
        raise MalformedInput(f"{name}: expected a string, found {type(value).__name__}")
    if not 1 <= len(value) <= MAX_TEXT_CHARS:
        raise MalformedInput(f"{name}: expected 1..{MAX_TEXT_CHARS} characters, found {len(value)}")
    # printable: no controls, separators other than space, or surrogates
    if not value.isprintable():
        bad = next(c for c in value if not c.isprintable())
        raise MalformedInput(
            f"{name}: expected printable text, found U+{ord(bad):04X} in {shown(value)}"
        )
    return value


def _digests(value: object) -> tuple[FrozenDict, str]:
    """Validated digests and their JCS text."""
    if type(value) is dict and len(value) == 1:
        # The common shape, one digest: the same checks as below without the sort.
        ((algorithm, hexdigest),) = value.items()
        want = _HEX_LENGTHS.get(algorithm) if type(algorithm) is str else None
        if (
            want is not None
            and type(hexdigest) is str
            and len(hexdigest) == want
            and not hexdigest.strip(HEX_DIGITS)
        ):
            return FrozenDict(value), f'{{"{algorithm}":"{hexdigest}"}}'
        # otherwise the general path below names what is wrong
    if type(value) is not dict and not isinstance(value, Mapping):
        raise MalformedInput(f"digests: expected an object, found {type(value).__name__}")
    if not 1 <= len(value) <= MAX_DIGESTS:
        error = LimitExceeded if len(value) > MAX_DIGESTS else MalformedInput
        raise error(f"digests: expected 1..{MAX_DIGESTS} entries, found {len(value)}")
    items = []
    for algorithm in value:
        want = _HEX_LENGTHS.get(algorithm) if type(algorithm) is str else None
        if want is None:
            raise MalformedInput(
                f"digests: expected an algorithm among {sorted(DIGEST_HEX_LENGTHS)}, "
                f"found {shown(algorithm)}"
            )
        hexdigest = value[algorithm]
        # strip() leaves nothing iff every character is a lowercase hex digit
        if type(hexdigest) is not str or len(hexdigest) != want or hexdigest.strip(HEX_DIGITS):
            raise MalformedInput(
                f"digests[{algorithm!r}]: expected {want} lowercase hex digits, "
                f"found {shown(hexdigest)}"
            )
        items.append((algorithm, hexdigest))
    items.sort()  # algorithm names are ASCII: code-point order is JCS order
    # names and lowercase hex need no JSON escaping
    text = ",".join([f'"{a}":"{h}"' for a, h in items])
    return FrozenDict(items), f"{{{text}}}"


def _timestamp(value: object) -> str:
    if type(value) is not str:
        raise MalformedInput(
            "submitted_at: expected RFC 3339 UTC with milliseconds like "
            f"'2026-11-30T01:51:22.123Z', found {shown(value)}"
        )
    return _valid_timestamp(value)


# Records of one batch share their millisecond: remembering the last valid stamps
# saves the regex and the calendar check (an exception is never cached).
@lru_cache(maxsize=256)
def _valid_timestamp(value: str) -> str:
    if not _TIMESTAMP.fullmatch(value):
        raise MalformedInput(
            "submitted_at: expected RFC 3339 UTC with milliseconds like "
            f"'2026-11-30T01:51:22.123Z', found {shown(value)}"
        )
    try:
        datetime.fromisoformat(value[:-1])
    except ValueError:
        raise MalformedInput(
            f"submitted_at: expected a real calendar date and time, found {value!r}"
        ) from None
    return value


def _format_time(now: datetime) -> str:
    if type(now) is not datetime and not isinstance(now, datetime):
        raise MalformedInput(f"now: expected a datetime, found {type(now).__name__}")
    return _utc_stamp(now)


# Equal aware datetimes are the same instant, whatever their zone, so they share a
# stamp; a naive datetime raises and is never cached.
@lru_cache(maxsize=256)
def _utc_stamp(now: datetime) -> str:
    if now.tzinfo is not UTC:
        if now.tzinfo is None or now.utcoffset() is None:
            raise MalformedInput(f"now: expected a timezone-aware datetime, found naive {now}")
        now = now.astimezone(UTC)
    # isoformat truncates (never rounds) to milliseconds, so a stamp never moves
    # into the next second; "+00:00" becomes the "Z" RFC 3339 allows.
    return now.isoformat(timespec="milliseconds")[:-6] + "Z"


@dataclass(frozen=True, slots=True)
class EvidenceRecord:
    """One piece of evidence, validated on construction, immutable, with canonical bytes.

    Fields:
        kind: lowercase slug ``[a-z][a-z0-9_.-]{0,63}`` (e.g. ``"bid.sealed"``).
        subject: what the evidence is about (e.g. a tender id): 1..256 printable
            characters.
        actor: who submitted it: 1..256 printable characters.
        digests: algorithm -> lowercase hex digest of the evidence file, 1..8
            entries, algorithms from :data:`DIGEST_HEX_LENGTHS`.
        metadata: a JSON object (no floats, integers within +-(2**53 - 1)),
            containers nested at most :data:`MAX_METADATA_DEPTH` deep.
        submitted_at: RFC 3339 UTC with milliseconds and ``Z``.
        v: format version, always :data:`RECORD_VERSION`.

    ``digests`` and ``metadata`` are stored as deep-frozen copies (objects in JCS
    key order, arrays as tuples), so the bytes computed at construction stay true.

    Raises (on construction):
        LimitExceeded: canonical bytes over :data:`MAX_RECORD_BYTES`, metadata too
            deep, or more than :data:`MAX_DIGESTS` digests.
        MalformedInput: any other field is invalid; the message names the field,
            what was expected and what was found.
    """

    kind: str
    subject: str
    actor: str
    digests: Mapping[str, str]
    metadata: Mapping[str, JSON]
    submitted_at: str
    v: int = RECORD_VERSION
    _canonical: bytes = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if type(self.v) is not int or self.v != RECORD_VERSION:
            raise MalformedInput(f"v: expected {RECORD_VERSION}, found {shown(self.v)}")
        if type(self.kind) is not str or not _KIND.fullmatch(self.kind):
            raise MalformedInput(
                f"kind: expected a slug like 'bid.sealed' ([a-z][a-z0-9_.-]{{0,63}}), "
                f"found {shown(self.kind)}"
            )
        _text("subject", self.subject)
        _text("actor", self.actor)
        digests, digests_text = _digests(self.digests)
        if type(self.metadata) is not dict and not isinstance(self.metadata, Mapping):
            raise MalformedInput(
                f"metadata: expected an object, found {type(self.metadata).__name__}"
            )
        metadata, metadata_text = freeze(
            self.metadata, max_depth=MAX_METADATA_DEPTH, name="metadata"
        )
        _timestamp(self.submitted_at)
        object.__setattr__(self, "digests", digests)
        object.__setattr__(self, "metadata", metadata)
        # Written by hand in JCS key order (actor < digests < kind < metadata <
        # subject < submitted_at < v): this is the hot path, and kind and
        # submitted_at are validated to characters JSON never escapes.
        canonical = to_utf8(
            f'{{"actor":{jcs_string(self.actor)},"digests":{digests_text},'
            f'"kind":"{self.kind}","metadata":{metadata_text},'
            f'"subject":{jcs_string(self.subject)},"submitted_at":"{self.submitted_at}",'
            f'"v":{RECORD_VERSION}}}',
            metadata,
            name="metadata",
        )
        if len(canonical) > MAX_RECORD_BYTES:
            raise LimitExceeded(
                f"record: expected at most {MAX_RECORD_BYTES} canonical bytes, "
                f"found {len(canonical)}"
            )
        object.__setattr__(self, "_canonical", canonical)

    def __hash__(self) -> int:
        return hash(self._canonical)

    @classmethod
    def create(
        cls,
        kind: str,
        subject: str,
        actor: str,
        digests: Mapping[str, str],
        metadata: Mapping[str, JSON] | None = None,
        *,
        now: datetime | None = None,
    ) -> Self:
        """Build a record stamped with ``now`` (default: the current UTC time).

        ``now`` must be timezone-aware; it is converted to UTC and truncated to
        milliseconds. Raises as the constructor does, or MalformedInput for a naive
        ``now``.
        """
        stamp = _format_time(datetime.now(UTC) if now is None else now)
        return cls(kind, subject, actor, digests, {} if metadata is None else metadata, stamp)

    def canonical_bytes(self) -> bytes:
        """Return the RFC 8785 bytes of the record (computed once, at construction)."""
        return self._canonical

    def leaf_hash(self) -> bytes:
        """Return the record's log leaf hash, ``SHA-256(0x00 || canonical_bytes())``."""
        return merkle.leaf_hash(self._canonical)

    def to_json(self) -> dict[str, Any]:
        """Return the record as a plain JSON object (fresh dicts and lists)."""
        return {
            "v": self.v,
            "kind": self.kind,
            "subject": self.subject,
            "actor": self.actor,
            "digests": dict(self.digests),
            "metadata": thaw(self.metadata),
            "submitted_at": self.submitted_at,
        }

    @classmethod
    def from_json(cls, obj: object) -> Self:
        """Build a record from a parsed JSON object with exactly the seven fields.

        Raises:
            MalformedInput: not an object, a missing or unknown field, or any field
                invalid as for the constructor.
            LimitExceeded: as for the constructor.
        """
        if not isinstance(obj, Mapping):
            raise MalformedInput(f"record: expected an object, found {type(obj).__name__}")
        keys = set(obj)
        if keys != _FIELDS:
            missing, unknown = sorted(_FIELDS - keys), sorted(map(str, keys - _FIELDS))
            raise MalformedInput(
                f"record: expected exactly the fields {sorted(_FIELDS)}, "
                f"found missing {missing} and unknown {unknown}"
            )
        return cls(
            obj["kind"],
            obj["subject"],
            obj["actor"],
            obj["digests"],
            obj["metadata"],
            obj["submitted_at"],
            v=obj["v"],
        )

    @classmethod
    def from_canonical_bytes(cls, data: bytes) -> Self:
        """Parse canonical record bytes strictly and check they are canonical.

        Raises:
            LimitExceeded: more than :data:`MAX_RECORD_BYTES` bytes.
            MalformedInput: not strict JSON (duplicate keys, floats, trailing data,
                ...), not a valid record, or valid but not byte-for-byte canonical.
        """
        if not isinstance(data, bytes):
            raise MalformedInput(f"record: expected bytes, found {type(data).__name__}")
        if len(data) > MAX_RECORD_BYTES:
            raise LimitExceeded(
                f"record: expected at most {MAX_RECORD_BYTES} bytes, found {len(data)}"
            )
        record = cls.from_json(parse_json_strict(data))
        if record._canonical != data:
            at = next(
                (
                    i
                    for i, (a, b) in enumerate(zip(data, record._canonical, strict=False))
                    if a != b
                ),
                min(len(data), len(record._canonical)),
            )
            raise MalformedInput(
                f"record: expected canonical RFC 8785 bytes, found a different encoding "
                f"of the same record (first difference at byte {at})"
            )
        return record
