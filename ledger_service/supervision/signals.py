"""The signals supervision reads: what the service saw at submission, opening and payment.

Each signal is a frozen value, validated on construction, with ``to_json``/``from_json``
whose JSON fits an :class:`~ledger_service.core.records.EvidenceRecord`'s metadata (no
floats, integers within +-(2**53 - 1)): the lead records each as evidence of kind
:data:`SIGNAL_KINDS` at the moment it is seen, and ``ref`` names that record (its leaf
hash in lowercase hex, or any stable reference the caller uses) so that every alert can
point at the evidence it rests on.

Times are unix seconds (UTC). Money is an integer amount of whole units of the tender's
currency, as in the OCDS export (``docs/tenders.md``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar, Self

from ledger_service.core.errors import MalformedInput

__all__ = [
    "BID_STATUSES",
    "SIGNAL_KINDS",
    "SKETCH_SIZE",
    "Bid",
    "Bond",
    "Document",
    "DocumentChange",
    "Party",
    "Step",
    "Submission",
    "TenderSignals",
]

#: size of a document's bottom-k MinHash sketch (see ``similarity``)
SKETCH_SIZE = 64
_MAX_HASH = 2**52 - 1
_MAX_SECONDS = 253_402_300_799
_MAX_AMOUNT = 2**53 - 1
_SHA256 = re.compile(r"[0-9a-f]{64}")
BID_STATUSES = frozenset({"pending", "valid", "disqualified"})
#: evidence record kind of each signal, as the lead records them
SIGNAL_KINDS: Mapping[str, str] = {
    "Submission": "supervision.submission",
    "Bid": "supervision.opening_price",
    "Bond": "supervision.bond_payment",
    "Party": "supervision.party_profile",
    "DocumentChange": "supervision.document_version",
}


def _bad(cls: str, name: str, expected: str, value: object) -> MalformedInput:
    return MalformedInput(f"{cls}.{name}: expected {expected}, found {value!r}")


def _text(cls: str, name: str, value: object, *, optional: bool = False) -> None:
    if value is None and optional:
        return
    if type(value) is not str or not value or not value.isprintable() or len(value) > 512:
        raise _bad(cls, name, "1..512 printable characters", value)


def _int(cls: str, name: str, value: object, high: int) -> None:
    if type(value) is not int or not 0 <= value <= high:
        raise _bad(cls, name, f"an integer in 0..{high}", value)


class _Wire:
    """``to_json``/``from_json`` for the frozen signal classes below.

    ``_NESTED`` names the fields that hold a tuple of another signal class; every other
    tuple field holds strings or integers.
    """

    _NESTED: ClassVar[Mapping[str, type[_Wire]]] = {}

    def to_json(self) -> dict[str, Any]:
        """The signal as a JSON object (fresh lists and dicts, ``None`` fields omitted)."""
        out: dict[str, Any] = {}
        for f in fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            if value is None:
                continue
            if f.name in self._NESTED:
                value = [item.to_json() for item in value]
            elif isinstance(value, tuple):
                value = list(value)
            out[f.name] = value
        return out

    @classmethod
    def from_json(cls, obj: object) -> Self:
        """Build from a parsed JSON object; unknown keys and bad values raise MalformedInput."""
        if not isinstance(obj, Mapping):
            raise MalformedInput(f"{cls.__name__}: expected an object, found {type(obj).__name__}")
        known = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        unknown = sorted(map(str, set(obj) - known))
        if unknown:
            raise MalformedInput(
                f"{cls.__name__}: expected only the fields {sorted(known)}, found {unknown}"
            )
        kwargs: dict[str, Any] = {}
        for name, value in obj.items():
            if name in cls._NESTED:
                if not isinstance(value, list | tuple):
                    raise _bad(cls.__name__, name, "an array", value)
                value = tuple(cls._NESTED[name].from_json(v) for v in value)
            elif isinstance(value, list):
                value = tuple(value)
            kwargs[name] = value
        try:
            return cls(**kwargs)
        except TypeError as error:  # a required field missing
            raise MalformedInput(f"{cls.__name__}: {error}") from None


@dataclass(frozen=True, slots=True)
class Document(_Wire):
    """Metadata of one file of a bid, read by the bidder client or at opening.

    ``pdf_id`` is the first element of the PDF trailer ``/ID`` (hex); ``creation_id`` the
    file-creation id a bid-preparation tool writes (文件制作机器码 / 文件创建标识码);
    ``dongle_serials`` the pricing-software dongle serials (造价软件加密锁) found in a
    priced bill of quantities; ``sketch`` the bottom-k MinHash of the text
    (``similarity.sketch_text``), sorted ascending, at most :data:`SKETCH_SIZE` values.
    """

    sha256: str
    author: str | None = None
    creator_tool: str | None = None
    pdf_id: str | None = None
    creation_id: str | None = None
    dongle_serials: tuple[str, ...] = ()
    sketch: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if type(self.sha256) is not str or not _SHA256.fullmatch(self.sha256):
            raise _bad("Document", "sha256", "64 lowercase hex digits", self.sha256)
        for name in ("author", "creator_tool", "pdf_id", "creation_id"):
            _text("Document", name, getattr(self, name), optional=True)
        if type(self.dongle_serials) is not tuple:
            raise _bad("Document", "dongle_serials", "a tuple of serials", self.dongle_serials)
        for serial in self.dongle_serials:
            _text("Document", "dongle_serials[]", serial)
        sketch = self.sketch
        if (type(sketch) is not tuple or len(sketch) > SKETCH_SIZE
                or any(type(h) is not int or not 0 <= h <= _MAX_HASH for h in sketch)
                or list(sketch) != sorted(set(sketch))):  # fmt: skip
            raise _bad("Document", "sketch",
                       f"at most {SKETCH_SIZE} distinct ascending integers in 0..2**52-1", sketch)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Submission(_Wire):
    """One bid upload as the service saw it: when, from which address, from which device.

    ``ip`` is the peer address the service saw (not one the client claims); ``device``
    the fingerprint the bidder client reports (e.g. a hash of MAC, CPU and disk serials).
    """

    _NESTED: ClassVar[Mapping[str, type[_Wire]]] = {"documents": Document}
    bidder: str
    at: int
    ip: str
    ref: str
    device: str | None = None
    documents: tuple[Document, ...] = ()

    def __post_init__(self) -> None:
        _text("Submission", "bidder", self.bidder)
        _int("Submission", "at", self.at, _MAX_SECONDS)
        _text("Submission", "ip", self.ip)
        _text("Submission", "ref", self.ref)
        _text("Submission", "device", self.device, optional=True)
        if type(self.documents) is not tuple or not all(
            isinstance(d, Document) for d in self.documents
        ):
            raise _bad("Submission", "documents", "a tuple of Document", self.documents)


@dataclass(frozen=True, slots=True)
class Bid(_Wire):
    """A bid's price and status as read at the opening (开标) and set by the evaluation."""

    bidder: str
    amount: int
    ref: str
    status: str = "pending"

    def __post_init__(self) -> None:
        _text("Bid", "bidder", self.bidder)
        _int("Bid", "amount", self.amount, _MAX_AMOUNT)
        if self.amount == 0:
            raise _bad("Bid", "amount", "a positive amount", self.amount)
        _text("Bid", "ref", self.ref)
        if self.status not in BID_STATUSES:
            raise _bad("Bid", "status", f"one of {sorted(BID_STATUSES)}", self.status)


@dataclass(frozen=True, slots=True)
class Bond(_Wire):
    """The account a bid bond (投标保证金) was paid from."""

    bidder: str
    payer_account: str
    ref: str

    def __post_init__(self) -> None:
        for name in ("bidder", "payer_account", "ref"):
            _text("Bond", name, getattr(self, name))


@dataclass(frozen=True, slots=True)
class Party(_Wire):
    """What a bidder declared about itself: address, contact and project manager."""

    bidder: str
    ref: str
    address: str | None = None
    contact: str | None = None
    project_manager: str | None = None

    def __post_init__(self) -> None:
        _text("Party", "bidder", self.bidder)
        _text("Party", "ref", self.ref)
        for name in ("address", "contact", "project_manager"):
            _text("Party", name, getattr(self, name), optional=True)


@dataclass(frozen=True, slots=True)
class Step(_Wire):
    """A tender step as recorded in the log (``tender.<event>``), in log order."""

    event: str
    at: int
    ref: str

    def __post_init__(self) -> None:
        _text("Step", "event", self.event)
        _int("Step", "at", self.at, _MAX_SECONDS)
        _text("Step", "ref", self.ref)


@dataclass(frozen=True, slots=True)
class DocumentChange(_Wire):
    """A version of a bid or tender document recorded at ``at`` (first version included)."""

    owner: str
    sha256: str
    at: int
    ref: str

    def __post_init__(self) -> None:
        _text("DocumentChange", "owner", self.owner)
        if type(self.sha256) is not str or not _SHA256.fullmatch(self.sha256):
            raise _bad("DocumentChange", "sha256", "64 lowercase hex digits", self.sha256)
        _int("DocumentChange", "at", self.at, _MAX_SECONDS)
        _text("DocumentChange", "ref", self.ref)


@dataclass(frozen=True, slots=True)
class TenderSignals(_Wire):
    """Everything supervision knows about one tender, gathered from its evidence records.

    ``deadline`` is the bid deadline; ``winner`` the awarded bidder, if any.
    """

    _NESTED: ClassVar[Mapping[str, type[_Wire]]] = {
        "submissions": Submission, "bids": Bid, "bonds": Bond, "parties": Party,
        "steps": Step, "changes": DocumentChange,
    }  # fmt: skip
    tender: str
    buyer: str
    deadline: int
    submissions: tuple[Submission, ...] = ()
    bids: tuple[Bid, ...] = ()
    bonds: tuple[Bond, ...] = ()
    parties: tuple[Party, ...] = ()
    steps: tuple[Step, ...] = ()
    changes: tuple[DocumentChange, ...] = ()
    winner: str | None = None
    _bidders: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _text("TenderSignals", "tender", self.tender)
        _text("TenderSignals", "buyer", self.buyer)
        _int("TenderSignals", "deadline", self.deadline, _MAX_SECONDS)
        _text("TenderSignals", "winner", self.winner, optional=True)
        for name, kind in self._NESTED.items():
            value = getattr(self, name)
            if type(value) is not tuple or not all(isinstance(v, kind) for v in value):
                raise _bad("TenderSignals", name, f"a tuple of {kind.__name__}", value)
        object.__setattr__(self, "_bidders", frozenset(b.bidder for b in self.bids)
                           | frozenset(s.bidder for s in self.submissions))  # fmt: skip

    def to_json(self) -> dict[str, Any]:
        out = _Wire.to_json(self)
        out.pop("_bidders", None)
        return out

    @property
    def bidders(self) -> frozenset[str]:
        """Every bidder that submitted or has a price at opening."""
        return self._bidders
