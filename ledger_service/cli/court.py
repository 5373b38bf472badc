"""Courts, regulators and reports: ``court ...``, ``witness init-ca``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import httpx
import typer

from ledger_service.cli.console import (
    Server,
    Token,
    checked,
    out,
    password,
    run,
)
from ledger_service.core.errors import MalformedInput
from ledger_service.settings import Settings


def witness_init_ca(
    org: Annotated[str, typer.Option(help="organisation named in the certificates")],
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help="state directory")] = None,
) -> None:
    """Create the platform's witness CA and report-signing certificate (admin, once)."""
    from ledger_service.reports.ca import init_witness_ca

    def body() -> None:
        s = Settings(data_dir=data_dir) if data_dir else Settings()
        paths = init_witness_ca(
            s.data_dir, password("CHAINWITNESS_WITNESS_PASSWORD", "the witness CA"), org
        )
        out.print(f"witness CA and signing certificate written under {paths.ca_cert.parent}")

    run(body)


def witness_report(
    subject: Annotated[str, typer.Argument(help="tender:CODE or contract:CODE")],
    server: Server, token: Token,
    output: Annotated[Path, typer.Option("-o", help="where to write the signed PDF")],
) -> None:  # fmt: skip
    """Operator: issue a signed bilingual witness report (链见证报告) and download it."""

    def body() -> None:
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=server.rstrip("/"), headers=headers, timeout=600) as http:
            made = checked(http.post("/v1/reports", json={"subject": subject}))
            got = http.get(made["download"])
            if got.status_code >= 400:
                checked(got)
            output.write_bytes(got.content)
        out.print(f"report      {made['number']} sha256 {made['sha256']} (record "
                  f"{made['record_index']}) written to {output}")  # fmt: skip

    run(body)


def court_search(
    server: Server, token: Token,
    tender: Annotated[str | None, typer.Option(help="tender code")] = None,
    party: Annotated[str | None, typer.Option(help="actor, address or name fragment")] = None,
    sha256: Annotated[str | None, typer.Option(help="a document or record digest")] = None,
    since: Annotated[str | None, typer.Option(help="UTC date or time, inclusive")] = None,
    until: Annotated[str | None, typer.Option(help="UTC date or time, exclusive")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="records per page")] = 200,
    cursor: Annotated[int | None, typer.Option(min=0, help="the next cursor a page printed")] = None,
    all_pages: Annotated[bool, typer.Option("--all", help="follow the cursor to the end")] = False,
) -> None:  # fmt: skip
    """Search records, a page at a time (total and next cursor shown); each search is
    recorded (chain of custody)."""

    def body() -> None:
        params: dict[str, str | int] = {k: v for k, v in {
            "tender": tender, "party": party, "sha256": sha256, "since": since, "until": until,
            "limit": limit, "cursor": cursor}.items() if v is not None}  # fmt: skip
        shown = 0
        while True:
            page = _search_page(server, token, params)
            shown += len(page["records"])
            for rec in page["records"]:
                x = rec["record"]
                out.print(f"{rec['index']:>8}  {x['submitted_at']}  {x['kind']:<22} "
                          f"{x['subject']}  {x['actor']}")  # fmt: skip
            nxt = page.get("next_cursor")
            if nxt is None or not all_pages:
                break
            params["cursor"] = nxt
        out.print(f"{shown} of {page['total']} records"
                  + ("" if nxt is None else f"; next page: --cursor {nxt}"))  # fmt: skip

    run(body)


def _search_page(server: str, token: str | None, params: dict[str, str | int]) -> Any:
    r = httpx.get(f"{server.rstrip('/')}/v1/court/records", params=params,
                  headers={"Authorization": f"Bearer {token}"}, timeout=60)  # fmt: skip
    if r.status_code >= 400:
        raise MalformedInput(f"the service answered {r.status_code}: {r.json().get('detail')}")
    return r.json()


def court_package(
    subject: Annotated[str, typer.Argument(help="tender:CODE, contract:CODE, a record index or a digest")],
    server: Server, token: Token,
    output: Annotated[Path, typer.Option("-o", help="where to write the zip")],
) -> None:  # fmt: skip
    """Request and download an evidence package (then: chainwitness verify FILE.zip)."""

    def body() -> None:
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=server.rstrip("/"), headers=headers, timeout=600) as http:
            r = http.post("/v1/court/packages", json={"subject": subject})
            if r.status_code >= 400:
                raise MalformedInput(
                    f"the service answered {r.status_code}: {r.json().get('detail')}"
                )
            got = http.get(r.json()["download"])
            output.write_bytes(got.content)
        out.print(f"package {r.json()['sha256']} written to {output}")

    run(body)


def register(app: typer.Typer) -> None:
    """Add the ``witness`` and ``court`` groups to ``app``."""
    witness = typer.Typer(
        help="Witness reports: the platform's signing CA, signed reports.", no_args_is_help=True
    )
    witness.command("init-ca")(witness_init_ca)
    witness.command("report")(witness_report)
    app.add_typer(witness, name="witness")
    court = typer.Typer(
        help="Courts and regulators: search records, fetch evidence packages.", no_args_is_help=True
    )
    court.command("search")(court_search)
    court.command("package")(court_package)
    app.add_typer(court, name="court")
