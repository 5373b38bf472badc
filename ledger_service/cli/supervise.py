"""Regulators (智慧监管): ``supervise scan|alerts|show|dispose|record|tamper-watch``.

Every command talks to the regulator API (``/v1/supervision``) with a regulator token
(``record``: the trading system's operator token).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer

from ledger_service.cli.console import Server, Token, out, run
from ledger_service.core.errors import ChainUnavailable, MalformedInput, NotFound

Source = Annotated[str, typer.Option(help="the trading system's table or record kind")]
Key = Annotated[str, typer.Option(help="the field that identifies a record")]


def _call(server: str, token: str | None, method: str, path: str, **kw: Any) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        r = httpx.request(method, f"{server.rstrip('/')}/v1/supervision{path}", headers=headers,
                          timeout=600, **kw)  # fmt: skip
    except httpx.HTTPError as exc:
        raise ChainUnavailable(f"expected the service at {server}, found: {exc}") from exc
    if r.status_code >= 400:
        try:
            detail = r.json().get("detail", r.text)
        except ValueError:
            detail = r.text
        cls = NotFound if r.status_code == 404 else MalformedInput
        raise cls(f"the service answered {r.status_code}: {detail}")
    return r.json()


def _print_alert(a: dict[str, Any]) -> None:
    out.print(f"alert record {a['record_index']}  tender {a['tender']}  {a['severity']}  "
              f"score {a['score']}  evidence {a['evidence']}")  # fmt: skip
    out.print(f"  {a['zh']}", highlight=False)
    out.print(f"  {a['en']}", highlight=False)


def scan(tender: Annotated[str, typer.Argument(help="tender code")], server: Server,
         token: Token) -> None:  # fmt: skip
    """Run every rule on a tender and record its alert (if any rule hits)."""

    def body() -> None:
        res = _call(server, token, "POST", f"/tenders/{tender}/scan")
        if res["alert"] is None:
            out.print(f"tender {tender}: no rule hit")
            return
        _print_alert(res["alert"])
        out.print("  (recorded now)" if res["recorded"] else "  (same as the last recorded alert)")

    run(body)


def alerts(
    server: Server, token: Token,
    tender: Annotated[str | None, typer.Option(help="tender code")] = None,
    party: Annotated[str | None, typer.Option(help="a bidder's address")] = None,
    severity: Annotated[str | None, typer.Option(help="least severity: watch, alert, high")] = None,
) -> None:  # fmt: skip
    """List recorded alerts."""

    def body() -> None:
        params = {
            k: v for k, v in {"tender": tender, "party": party, "severity": severity}.items() if v
        }
        found = _call(server, token, "GET", "/alerts", params=params)["alerts"]
        for a in found:
            _print_alert(a)
        out.print(f"{len(found)} alert(s)")

    run(body)


def show(index: Annotated[int, typer.Argument(help="the alert's record index")], server: Server,
         token: Token) -> None:  # fmt: skip
    """An alert with its evidence records (each with an inclusion proof) and dispositions."""

    def body() -> None:
        a = _call(server, token, "GET", f"/alerts/{index}")
        _print_alert(a)
        for e in a["evidence_records"]:
            p = e["proof"]
            out.print(f"  evidence {e['record_index']}: {e['record']['kind']}  proof to tree size "
                      f"{p['tree_size']}{'' if p.get('anchor') else ' (not yet anchored)'}")  # fmt: skip
        for d in a["dispositions"]:
            out.print(
                f"  disposition {d['record_index']}: {d['decision']} by {d['regulator']}: {d['reason']}"
            )

    run(body)


def dispose(
    index: Annotated[int, typer.Argument(help="the alert's record index")], server: Server,
    token: Token,
    decision: Annotated[str, typer.Option(help="confirmed or dismissed")],
    reason: Annotated[str, typer.Option(help="why")],
) -> None:  # fmt: skip
    """Record your disposition of an alert (confirmed or dismissed, with the reason)."""

    def body() -> None:
        if decision not in ("confirmed", "dismissed"):
            raise MalformedInput(f"--decision: expected confirmed or dismissed, found {decision!r}")
        res = _call(server, token, "POST", f"/alerts/{index}/dispositions",
                    json={"decision": decision, "reason": reason})  # fmt: skip
        out.print(f"alert {index} {decision}; disposition record {res['record_index']}")

    run(body)


def _export(file: Path) -> list[Any]:
    """The records of a JSON export: an array, or an object with ``records``. An
    integral number written as 100.0 is read as 100 (the log holds no floats)."""

    def number(text: str) -> int | float:
        value = float(text)
        if not value.is_integer():
            raise MalformedInput(
                f"{file}: expected whole numbers (the log holds no floats), found {text}"
            )
        return int(value)

    try:
        data = json.loads(file.read_text("utf-8"), parse_float=number)
    except (OSError, ValueError) as exc:
        raise MalformedInput(f"{file}: expected a JSON export, found: {exc}") from exc
    records = data.get("records") if isinstance(data, dict) else data
    if not isinstance(records, list):
        raise MalformedInput(f"{file}: expected an array of records, found {type(data).__name__}")
    return records


def record(file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)], server: Server,
           token: Token, source: Source = "records", key: Key = "id") -> None:  # fmt: skip
    """Record the trading system's records (the versions the tamper watch compares with)."""

    def body() -> None:
        res = _call(server, token, "POST", "/trading-records",
                    json={"source": source, "key": key, "records": _export(file)})  # fmt: skip
        out.print(f"{len(res['record_indices'])} record(s) of {source} recorded")

    run(body)


def tamper_watch(
    server: Server, token: Token,
    file: Annotated[Path | None, typer.Argument(dir_okay=False, help="the JSON export")] = None,
    source: Source = "records", key: Key = "id",
    database_url: Annotated[str | None, typer.Option(help="read-only URL of the trading "
                                                     "system's database (instead of FILE)")] = None,
    query: Annotated[str | None, typer.Option(help="with --database-url: the SELECT")] = None,
) -> None:  # fmt: skip
    """Compare the trading system's current records with their recorded versions; alert
    on every difference with the changed fields and the proof of the recorded one."""

    def body() -> None:
        if (file is None) == (database_url is None):
            raise MalformedInput("expected an export FILE or --database-url, found "
                                 + ("both" if file else "neither"))  # fmt: skip
        if database_url is not None:
            from ledger_service.supervision.trading import read_database

            current = read_database(database_url, query or f"SELECT * FROM {source}")
        else:
            assert file is not None
            current = _export(file)
        res = _call(server, token, "POST", "/tamper-watch",
                    json={"source": source, "key": key, "records": current})  # fmt: skip
        for f in res["findings"]:
            out.print(f"{f['status']:<10} {f['record_id']}  alert record {f['alert_record']}  "
                      f"recorded version: record {f['ref']}")  # fmt: skip
            out.print(f"  {f['zh']}", highlight=False)
            for c in f["changes"]:
                out.print(f"  {c['path']}: {json.dumps(c['before'], ensure_ascii=False)} -> "
                          f"{json.dumps(c['after'], ensure_ascii=False)}", highlight=False)  # fmt: skip
        out.print(f"{res['checked']} checked, {len(res['findings'])} finding(s)")
        if res["findings"]:
            raise typer.Exit(3)

    run(body)


def register(app: typer.Typer) -> None:
    """Add the ``supervise`` group to ``app``."""
    group = typer.Typer(help="Smart supervision (智慧监管): alerts, dispositions, tamper watch.",
                        no_args_is_help=True)  # fmt: skip
    group.command("scan")(scan)
    group.command("alerts")(alerts)
    group.command("show")(show)
    group.command("dispose")(dispose)
    group.command("record")(record)
    group.command("tamper-watch")(tamper_watch)
    app.add_typer(group, name="supervise")
