"""Opened bids under their original file names, for the evaluation committee.

At opening every bid is decrypted to ``<bidder>-<nonce>.bin`` (``tenders.opening``,
the same code that repeats the opening from the chain). Then, for each opened bid
whose client sealed its file name (``core.sealing.file_name``), the name is read
with the envelope's content key and the document is also linked as
``<bidder>-<nonce>/<original name>``. ``files.json`` in the opening directory lists
every opened bid: bidder, nonce, file name (``<bidder>-<nonce>.bin`` when none was
sealed or it did not open, with the reason), size and path.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ledger_service.core import sealing
from ledger_service.core.errors import EvidenceError, NotFound
from ledger_service.core.sealing import file_name
from ledger_service.tenders.opening import OPENED, BidOutcome

MANIFEST = "files.json"


@dataclass(frozen=True)
class OpenedFile:
    bidder: str
    nonce: int
    file_name: str
    size: int
    path: str  # relative to the opening directory
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def name_files(
    out_dir: Path, outcomes: Sequence[BidOutcome], ciphertexts: Mapping[str, Path],
    sealed_names: Callable[[str, int], bytes | None], secret: bytes,
) -> list[OpenedFile]:  # fmt: skip
    """Link each opened bid under its sealed file name; write and return the manifest.

    ``sealed_names(bidder, nonce)`` gives the sealed name the bid arrived with (None:
    none); ``secret`` is the rebuilt tender key that unwraps each content key.
    """
    files = []
    for o in sorted(outcomes, key=lambda o: (o.bidder, o.nonce)):
        if o.result != OPENED:
            continue
        plain = f"{o.bidder}-{o.nonce}.bin"
        size = (out_dir / plain).stat().st_size
        blob, note = sealed_names(o.bidder, o.nonce), ""
        name = None
        if blob is None:
            note = "no file name was sealed with the bid"
        else:
            try:
                with ciphertexts[o.ciphertext_sha256].open("rb") as f:
                    header = sealing.read_header(f)
                key = sealing.unwrap_key(header, "tender", secret)
                name = file_name.open_name(key, header.digest(), blob)
            except (EvidenceError, KeyError, OSError) as exc:
                note = f"the sealed file name did not open: {exc}"
        if name is None:
            files.append(OpenedFile(o.bidder, o.nonce, plain, size, plain, note))
            continue
        folder = out_dir / f"{o.bidder}-{o.nonce}"
        folder.mkdir(exist_ok=True)
        target = folder / name
        if not target.exists():
            try:
                os.link(out_dir / plain, target)  # same bytes, no copy
            except OSError:
                shutil.copyfile(out_dir / plain, target)
        files.append(OpenedFile(o.bidder, o.nonce, name, size, f"{folder.name}/{name}"))
    (out_dir / MANIFEST).write_text(
        json.dumps([f.to_json() for f in files], ensure_ascii=False, indent=2) + "\n"
    )
    return files


def manifest(out_dir: Path) -> list[OpenedFile]:
    """The opened files of an opening directory. Raises NotFound before opening."""
    try:
        rows = json.loads((out_dir / MANIFEST).read_text())
    except FileNotFoundError:
        raise NotFound("expected opened bids, found none yet (the tender is not open)") from None
    return [OpenedFile(**r) for r in rows]


def opened_file(out_dir: Path, bidder: str, nonce: int) -> tuple[OpenedFile, Path]:
    """One opened bid and its file. Raises NotFound."""
    for f in manifest(out_dir):
        if f.bidder.lower() == bidder.lower() and f.nonce == nonce:
            return f, out_dir / f.path
    raise NotFound(f"expected an opened bid of {bidder} with nonce {nonce}, found none")
