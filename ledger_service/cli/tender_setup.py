"""The operator's first tender steps: ``tender announce`` and ``tender issue-documents``,
through the HTTP API like the other ``tender`` commands."""

from __future__ import annotations

import re
import time
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer

from ledger_service.cli.console import Server, TenderCode, Token, checked, out, run
from ledger_service.core.errors import MalformedInput
from ledger_service.core.human_time import with_iso

_RELATIVE = re.compile(r"^\+(\d+)(s|m|h|d)$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400}
TIME_HELP = "+DURATION from now (+90s, +5m, +2h, +14d), an ISO 8601 time with zone or Unix seconds"


def parse_when(what: str, value: str, now: int) -> int:
    """``value`` as Unix seconds: ``+N{s,m,h,d}`` from ``now``, ISO 8601 with a zone,
    or plain seconds. Raises MalformedInput naming ``what`` otherwise."""
    m = _RELATIVE.match(value)
    if m:
        return now + int(m.group(1)) * _UNIT_S[m.group(2)]
    if value.isdigit():
        return int(value)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise MalformedInput(f"{what}: expected {TIME_HELP}, found {value!r}")
    return int(parsed.timestamp())


def _custodian_entry(value: str) -> dict[str, str]:
    """A custodian named by its hand-over file (key create) or by its bare address."""
    from ledger_service.tenders.handover import Handover

    if re.fullmatch(r"0x[0-9a-fA-F]{40}", value):
        return {"name": value, "address": value}
    path = Path(value)
    if not path.is_file():
        raise MalformedInput(
            f"--custodian: expected a FILE.pub.json or a 0x address, found {value!r}"
        )
    h = Handover.from_bytes(path.read_bytes())
    if h.role != "custodian":
        raise MalformedInput(
            f"--custodian {value}: expected a custodian's hand-over, found a {h.role}'s"
        )
    return {"name": h.name, "address": h.address}


def bidder_address(value: str) -> str:
    """A bidder named by its 0x address or by its hand-over file (key create)."""
    from ledger_service.tenders.handover import Handover

    if re.fullmatch(r"0x[0-9a-fA-F]{40}", value) or not value.endswith(".json"):
        return value
    path = Path(value)
    if not path.is_file():
        raise MalformedInput(f"expected a bidder's 0x address or FILE.pub.json, found {value!r}")
    h = Handover.from_bytes(path.read_bytes())
    if h.role != "bidder":
        raise MalformedInput(f"{value}: expected a bidder's hand-over, found a {h.role}'s")
    return h.address


def _post(server: str, token: str | None, path: str, payload: dict[str, Any]) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return checked(httpx.post(f"{server.rstrip('/')}{path}", json=payload, headers=headers,
                              timeout=120))  # fmt: skip


def tender_announce(
    code: Annotated[str, typer.Option(help="the tender's code, e.g. GC-2026-0417")],
    title: Annotated[str, typer.Option(help="the tender's title, e.g. 市政道路改造工程")],
    custodian: Annotated[list[str], typer.Option(
        help="a custodian: its FILE.pub.json (key create) or its 0x address; repeat, in order")],
    threshold: Annotated[int, typer.Option(min=2, help="custodians needed to open (t of n)")],
    dealing_deadline: Annotated[str, typer.Option(
        help=f"custodians deal their key shares before this; {TIME_HELP}")],
    complaint_deadline: Annotated[str, typer.Option(
        help="custodians complain about bad shares before this, then approve the key; "
            "same forms")],
    bid_deadline: Annotated[str, typer.Option(help="bids accepted before this, by chain time; same forms")],
    opening_time: Annotated[str, typer.Option(help="custodians release their shares from then on; same forms")],
    server: Server, token: Token,
) -> None:  # fmt: skip
    """Operator: announce a tender (招标公告) and its custodians; their agents then make
    the opening key. Times are by chain time; relative ones count from now."""

    def body() -> None:
        now = int(time.time())
        times = {name: parse_when(f"--{name.replace('_', '-')}", value, now) for name, value in (
            ("dealing_deadline", dealing_deadline), ("complaint_deadline", complaint_deadline),
            ("bid_deadline", bid_deadline), ("opening_time", opening_time))}  # fmt: skip
        payload = {"code": code, "title": title, "threshold": threshold, **times,
                   "custodians": [_custodian_entry(c) for c in custodian]}  # fmt: skip
        view = _post(server, token, "/v1/tenders", payload)
        out.print(f"announced   {code} {title}: {view.get('state')}, {threshold} of "
                  f"{len(custodian)} custodians to open")  # fmt: skip
        for name, t in times.items():
            out.print(f"{name.replace('_', ' '):<19} {with_iso(t)}")

    run(body)


def tender_issue_documents(
    document: Annotated[Path, typer.Argument(exists=True, dir_okay=False,
                                             help="the tender documents (招标文件)")],
    tender: TenderCode, server: Server, token: Token,
) -> None:  # fmt: skip
    """Operator: issue the tender documents (once the custodians' opening key is on
    chain); their SHA-256 is recorded and bids are accepted from then on."""
    from ledger_service.cli.console import sha256_file

    def body() -> None:
        digest = sha256_file(document)
        view = _post(server, token, f"/v1/tenders/{tender}/documents",
                     {"name": document.name, "sha256": digest})  # fmt: skip
        out.print(f"issued      {document.name} sha256 {digest}: tender {tender} is now "
                  f"{view.get('state')}")  # fmt: skip

    run(body)
