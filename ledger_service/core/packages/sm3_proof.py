"""``sm3-proofs/<i>.json``: a record's SM3 audit path, in GM-profile packages.

``{"format": "chainwitness/sm3-inclusion", "version": 1, "leaf_index": i,
"tree_size": n, "path": ["<64 lowercase hex>", ...]}``: RFC 9162 ``PATH(i, D[0:n])``
in the SM3 tree over the log's leaves (``core/merkle/sm3.py``), to the
``chainwitness-sm3`` root of the checkpoint of size ``n`` (``docs/gm-profile.md``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from ledger_service.core._fields import formatted, integer, lower_hex
from ledger_service.core.errors import LimitExceeded, MalformedInput

__all__ = ["Sm3Proof"]

_MAX_PATH = 64


@dataclass(frozen=True, slots=True)
class Sm3Proof:
    """The SM3 audit path of leaf ``leaf_index`` in the tree of ``tree_size`` leaves."""

    FORMAT: ClassVar[str] = "chainwitness/sm3-inclusion"
    VERSION: ClassVar[int] = 1

    leaf_index: int
    tree_size: int
    path: tuple[bytes, ...]

    def __post_init__(self) -> None:
        integer("sm3 proof leaf_index", self.leaf_index, 0)
        integer("sm3 proof tree_size", self.tree_size, 1)
        if self.leaf_index >= self.tree_size:
            raise MalformedInput(
                f"sm3 proof: expected leaf_index < tree_size, found {self.leaf_index} >= "
                f"{self.tree_size}"
            )
        if type(self.path) is not tuple or len(self.path) > _MAX_PATH:
            raise LimitExceeded(f"sm3 proof path: expected at most {_MAX_PATH} hashes")
        if not all(type(h) is bytes and len(h) == 32 for h in self.path):
            raise MalformedInput("sm3 proof path: expected 32-byte hashes")

    def to_json(self) -> dict[str, Any]:
        return {"format": self.FORMAT, "version": self.VERSION, "leaf_index": self.leaf_index,
                "tree_size": self.tree_size, "path": [h.hex() for h in self.path]}  # fmt: skip

    @classmethod
    def from_json(cls, obj: object, where: str = "sm3 proof") -> Sm3Proof:
        o = formatted(where, obj, {"format", "version", "leaf_index", "tree_size", "path"},
                      cls.FORMAT, cls.VERSION)  # fmt: skip
        if type(o["path"]) is not list or len(o["path"]) > _MAX_PATH:
            raise MalformedInput(f"{where} path: expected an array of at most {_MAX_PATH} hashes")
        path = tuple(lower_hex(f"{where} path[{i}]", h, 32) for i, h in enumerate(o["path"]))
        return cls(o["leaf_index"], o["tree_size"], path)
