"""Signals captured at the source, as evidence records (subject ``supervision:<tender>``).

When a bid is uploaded the service records what it saw (``supervision.upload``: the
peer address, the device fingerprint the bidder client reported, the chain time of the
bid); when the bids are opened it records, per opened bid, the full
:class:`~ledger_service.supervision.signals.Submission` signal with the opened
document's provenance (``supervision.submission``, citing its upload record) and the
price the document declares (``supervision.opening_price``). A bond payment the
centre records is ``supervision.bond_payment``. The signal JSON is the signal's own
``to_json`` without ``ref``: a signal's ref is the leaf index of the record holding it.

Disclosure (``tenders.disclosure``): these records name bidders, so before opening
they are withheld like the bidder steps (only the bidder concerned and the oversight
roles see them); every record carries its ``bidder`` at the top for that rule.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ledger_service.core.errors import EvidenceError, MalformedInput
from ledger_service.core.records import EvidenceRecord
from ledger_service.evidence.deposit import Appender, StepDomain, step_record
from ledger_service.supervision.documents import SCAN_BYTES, read_document
from ledger_service.supervision.signals import Bid, Bond, Submission

__all__ = [
    "SIGNAL_EVENTS",
    "SUPERVISION",
    "Opened",
    "bond_record",
    "capture_opening",
    "check_device",
    "subject",
    "upload_record",
]

SUPERVISION = StepDomain("supervision", "tender")
#: events of the signal records (withheld before opening like the bidder steps)
SIGNAL_EVENTS = frozenset({"upload", "submission", "opening_price", "bond_payment"})
ACTOR = "service:chainwitness"
#: longest device fingerprint a client may report
MAX_DEVICE_CHARS = 128
log = logging.getLogger("chainwitness.supervision")


def subject(code: str) -> str:
    return f"{SUPERVISION.prefix}:{code}"


def _signal(signal: Submission | Bid | Bond) -> dict[str, Any]:
    out = signal.to_json()
    out.pop("ref", None)
    return out


def upload_record(
    code: str, bidder: str, at: int, ip: str, device: str | None, bid_record: int,
    ciphertext_sha256: str,
) -> EvidenceRecord:  # fmt: skip
    """The record of one upload as the service saw it. Raises MalformedInput for a bad
    ``ip`` or ``device`` (1..128 printable characters)."""
    check_device(device)
    sub = Submission(bidder, at, ip, "pending", device=device)
    return step_record(SUPERVISION, code, "upload",
                       {"bidder": bidder, "signal": _signal(sub), "bid_record": bid_record,
                        "ciphertext_sha256": ciphertext_sha256}, actor=ACTOR)  # fmt: skip


def check_device(device: str | None) -> None:
    """Raises MalformedInput unless ``device`` is None or 1..128 printable characters."""
    if device is not None and (
        type(device) is not str or not 1 <= len(device) <= MAX_DEVICE_CHARS
        or not device.isprintable()
    ):  # fmt: skip
        raise MalformedInput(
            f"device: expected 1..{MAX_DEVICE_CHARS} printable characters, found {device!r:.160}"
        )


def bond_record(code: str, bidder: str, payer_account: str, actor: str) -> EvidenceRecord:
    """The record of a bid bond payment (投标保证金) and the account it came from."""
    bond = Bond(bidder, payer_account, "pending")
    return step_record(SUPERVISION, code, "bond_payment",
                       {"bidder": bidder, "signal": _signal(bond)}, actor=actor)  # fmt: skip


def _read(path: Path) -> tuple[bytes, str]:
    """The bytes to scan (whole file, or its first and last SCAN_BYTES) and its SHA-256."""
    digest = hashlib.sha256()
    size = path.stat().st_size
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
        if size <= 2 * SCAN_BYTES:
            f.seek(0)
            data = f.read()
        else:
            f.seek(0)
            head = f.read(SCAN_BYTES)
            f.seek(size - SCAN_BYTES)
            data = head + f.read(SCAN_BYTES)
    return data, digest.hexdigest()


class Opened:
    """One opened bid: its bidder, the ciphertext it came from, and the plaintext file."""

    __slots__ = ("bidder", "ciphertext_sha256", "path")

    def __init__(self, bidder: str, ciphertext_sha256: str, path: Path) -> None:
        self.bidder, self.ciphertext_sha256, self.path = bidder, ciphertext_sha256, path


def _uploads(
    records: Sequence[tuple[int, EvidenceRecord]],
) -> dict[str, tuple[int, Mapping[str, Any]]]:
    return {str(r.metadata.get("ciphertext_sha256")): (i, r.metadata)
            for i, r in records if r.kind == "supervision.upload"}  # fmt: skip


def capture_opening(
    log_store: Appender, code: str, opened: Sequence[Opened],
    records: Sequence[tuple[int, EvidenceRecord]],
) -> list[int]:  # fmt: skip
    """Record the submission signal (with the opened document's provenance) and the
    declared price of each opened bid; ``records`` are the tender's supervision records
    so far (the uploads). Returns the new leaf indices. A bid whose upload was not
    recorded or whose facts cannot be recorded is logged and skipped: supervision
    never stops an opening."""
    uploads = _uploads(records)
    out: list[int] = []
    for bid in opened:
        found = uploads.get(bid.ciphertext_sha256)
        if found is None:
            log.warning("tender %s: no upload record for bid %s", code, bid.ciphertext_sha256)
            continue
        index, meta = found
        try:
            data, sha256 = _read(bid.path)
            facts = read_document(data, sha256)
            upload = Submission.from_json({**meta["signal"], "ref": str(index)})
            sub = Submission(bid.bidder, upload.at, upload.ip, str(index), device=upload.device,
                             documents=(facts.document,))  # fmt: skip
            payload: dict[str, Any] = {"bidder": bid.bidder, "signal": _signal(sub),
                                       "upload_record": index}  # fmt: skip
            if facts.producer:
                payload["producer"] = facts.producer
            rec = step_record(SUPERVISION, code, "submission", payload, actor=ACTOR)
            sub_index = int(log_store.append([rec]).first_index)
            out.append(sub_index)
            if facts.price is not None:
                bid_signal = Bid(bid.bidder, facts.price, str(sub_index))
                price = step_record(SUPERVISION, code, "opening_price",
                                    {"bidder": bid.bidder, "signal": _signal(bid_signal),
                                     "submission_record": sub_index}, actor=ACTOR)  # fmt: skip
                out.append(int(log_store.append([price]).first_index))
        except (EvidenceError, OSError, KeyError, TypeError):
            log.exception("tender %s: signals of bid %s not recorded", code, bid.ciphertext_sha256)
    return out
