"""What an opened bid document says about where it came from, and the price it declares.

Pure: handed the document's bytes (for a large file, its first and last
:data:`SCAN_BYTES`), it returns a :class:`~ledger_service.supervision.signals.Document`
and the declared price. No PDF library is installed here, so PDF facts come from a
small reader of the two places a PDF keeps them in plain (uncompressed) syntax:

* the trailer's ``/ID [<hex> <hex>]`` (ISO 32000-1 section 14.4): the first element is
  made when the file is first written and kept by every later save, so two bidders'
  files with one ``/ID`` are one file lineage; the last trailer (an incremental
  update's) wins, whether it is a ``trailer`` dictionary or an XRef stream's;
* the document information dictionary the trailer names with ``/Info n g R``
  (section 14.3.3): ``/Author``, ``/Creator``, ``/Producer``, and three keys of our
  convention that bid-preparation tools write: ``/CreationID`` (文件创建标识码 /
  ``/MachineCode`` 文件制作机器码), ``/DongleSerial`` (造价软件加密锁, several separated
  by commas or semicolons) and ``/BidPrice`` (投标报价). An information dictionary
  inside a compressed object stream is not read (the facts are then absent, never
  guessed).

A document that is not a PDF is read as UTF-8 text (if it decodes) with one fact per
line in ``key: value`` form (full-width colon too): ``投标报价`` / ``bid price`` (a whole
amount, thousands separators and a trailing 元/yuan allowed), ``文件创建标识码`` /
``creation id``, ``加密锁号`` / ``dongle serial``, ``作者`` / ``author``; its text is
sketched for near-duplicate detection (``similarity.sketch_text``). The convention is
documented in ``docs/supervision.md``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from ledger_service.supervision.signals import Document
from ledger_service.supervision.similarity import sketch_text

__all__ = ["SCAN_BYTES", "DocumentFacts", "read_document"]

#: bytes read from each end of a large document (trailers and Info sit near the end)
SCAN_BYTES = 4 * 1024 * 1024
_MAX_FIELD = 256
_MAX_AMOUNT = 2**53 - 1

_ID = re.compile(rb"/ID\s*\[\s*(<[0-9A-Fa-f\s]*>|\((?:\\.|[^\\)])*\))")
_INFO = re.compile(rb"/Info\s+(\d{1,10})\s+(\d{1,5})\s+R")
_LINE = re.compile(r"^[ \t]*([^:：\r\n]{1,40}?)[ \t]*[:：][ \t]*([^\r\n]+?)[ \t]*$", re.MULTILINE)
_AMOUNT = re.compile(r"([0-9][0-9,，]*)\s*(?:元|yuan|cny|rmb)?", re.IGNORECASE)
_KEYS = {
    "投标报价": "price", "bid price": "price", "price": "price",
    "文件创建标识码": "creation_id", "文件制作机器码": "creation_id", "creation id": "creation_id",
    "加密锁号": "dongle", "加密锁序列号": "dongle", "dongle serial": "dongle",
    "作者": "author", "author": "author",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class DocumentFacts:
    """The signal of one opened document and the price it declares (None: none, or not
    a whole positive amount)."""

    document: Document
    price: int | None
    producer: str | None = None


def read_document(data: bytes, sha256: str | None = None) -> DocumentFacts:
    """The facts of the document whose bytes (or first and last :data:`SCAN_BYTES`)
    are ``data``; ``sha256`` is the whole file's digest (default: that of ``data``).

    Never raises for malformed content: a fact that cannot be read is absent.
    """
    digest = sha256 or hashlib.sha256(data).hexdigest()
    if data[:1024].lstrip().startswith(b"%PDF-"):
        return _pdf(data, digest)
    return _text(data, digest)


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = "".join(c for c in value if c.isprintable()).strip()[:_MAX_FIELD]
    return value or None


def _amount(text: str | None) -> int | None:
    m = _AMOUNT.fullmatch(text.strip()) if text else None
    if m is None:
        return None
    amount = int(m.group(1).replace(",", "").replace("，", ""))
    return amount if 0 < amount <= _MAX_AMOUNT else None


def _serials(text: str | None) -> tuple[str, ...]:
    if not text:
        return ()
    return tuple(sorted({s for part in re.split(r"[,;，；]", text) if (s := _clean(part))}))


def _text(data: bytes, sha256: str) -> DocumentFacts:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return DocumentFacts(Document(sha256), None)
    facts: dict[str, str] = {}
    for key, value in _LINE.findall(text):
        name = _KEYS.get(key.strip().lower())
        if name is not None and name not in facts:
            facts[name] = value
    doc = Document(sha256, author=_clean(facts.get("author")),
                   creation_id=_clean(facts.get("creation_id")),
                   dongle_serials=_serials(facts.get("dongle")),
                   sketch=tuple(sketch_text(text)))  # fmt: skip
    return DocumentFacts(doc, _amount(facts.get("price")))


# -- PDF -----------------------------------------------------------------------------


def _literal(data: bytes, start: int) -> tuple[bytes, int]:
    """The literal string opening at ``data[start] == '('``: its bytes and the end."""
    out = bytearray()
    depth, i = 1, start + 1
    escapes = {ord("n"): b"\n", ord("r"): b"\r", ord("t"): b"\t", ord("b"): b"\b",
               ord("f"): b"\f", ord("("): b"(", ord(")"): b")", ord("\\"): b"\\"}  # fmt: skip
    while i < len(data) and depth:
        c = data[i]
        if c == 0x5C and i + 1 < len(data):  # backslash
            n = data[i + 1]
            if n in escapes:
                out += escapes[n]
                i += 2
            elif 0x30 <= n <= 0x37:
                octal = re.match(rb"[0-7]{1,3}", data[i + 1 : i + 4])
                assert octal is not None
                out.append(int(octal.group(), 8) & 0xFF)
                i += 1 + len(octal.group())
            elif n in (0x0D, 0x0A):  # a line continuation
                i += 3 if data[i + 1 : i + 3] == b"\r\n" else 2
            else:
                out.append(n)
                i += 2
            continue
        depth += c == 0x28
        depth -= c == 0x29
        if depth:
            out.append(c)
        i += 1
    return bytes(out), i


def _string_at(data: bytes, start: int) -> bytes | None:
    """The PDF string (literal or hex) starting at ``start``, else None."""
    if data[start : start + 1] == b"(":
        return _literal(data, start)[0]
    m = re.match(rb"<([0-9A-Fa-f\s]*)>", data[start : start + 2 * _MAX_FIELD * 4 + 2])
    if m is None:
        return None
    digits = re.sub(rb"\s", b"", m.group(1))
    return bytes.fromhex((digits + b"0" * (len(digits) % 2)).decode())


def _decode(raw: bytes) -> str:
    """A PDF text string: UTF-16BE with its BOM, UTF-8 with its BOM (PDF 2.0), else
    PDFDocEncoding (read as Latin-1, which it matches for printable text)."""
    if raw.startswith(b"\xfe\xff"):
        return raw[2:].decode("utf-16-be", errors="replace")
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="replace")
    return raw.decode("latin-1")


def _info_entries(data: bytes) -> dict[str, str]:
    refs = _INFO.findall(data)
    if not refs:
        return {}
    number, generation = refs[-1]
    heads = list(
        re.finditer(rb"(?<![0-9])" + number + rb"\s+" + generation + rb"\s+obj\s*<<", data)
    )
    if not heads:
        return {}
    start = heads[-1].end()
    end = data.find(b">>", start)
    body_end = data.find(b"endobj", start)
    stop = len(data) if body_end < 0 else body_end
    out: dict[str, str] = {}
    for key in re.finditer(rb"/([A-Za-z][A-Za-z0-9]{0,40})\s*(?=[(<])", data[start:stop]):
        pos = start + key.end()
        if end >= 0 and pos > stop:
            break
        raw = _string_at(data, pos)
        if raw is not None:
            out.setdefault(key.group(1).decode(), _decode(raw[: 4 * _MAX_FIELD]))
    return out


def _pdf(data: bytes, sha256: str) -> DocumentFacts:
    ids = list(_ID.finditer(data))
    pdf_id = None
    if ids:
        raw = _string_at(data, ids[-1].start(1))
        pdf_id = raw.hex() if raw else None
    info = _info_entries(data)
    creation = info.get("CreationID") or info.get("MachineCode")
    doc = Document(sha256, author=_clean(info.get("Author")),
                   creator_tool=_clean(info.get("Creator")), pdf_id=_clean(pdf_id),
                   creation_id=_clean(creation),
                   dongle_serials=_serials(info.get("DongleSerial")))  # fmt: skip
    return DocumentFacts(doc, _amount(info.get("BidPrice")), _clean(info.get("Producer")))
