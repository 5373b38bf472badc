"""One verdict line of a package verification, and the trust labels it may rest on."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["OFFLINE", "ONLINE", "Verdict"]

OFFLINE = "offline: consistent with the package's own contents"
ONLINE = "checked against the chain at RPC"


@dataclass(frozen=True)
class Verdict:
    """One checked item: ``item`` (e.g. ``records/3.json``), what holds, and on what trust."""

    item: str
    text: str
    trust: str = OFFLINE
    #: something the package says it leaves out: shown, never silent, yet not a failure
    warning: bool = False

    def line(self) -> str:
        if self.warning:
            return f"WARN  {self.item}: {self.text}"
        return f"OK  {self.item}: {self.text} [{self.trust}]"
