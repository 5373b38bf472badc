"""``chainwitness bid ...``, ``chainwitness custodian ...`` and ``chainwitness tender ...``."""

from __future__ import annotations

import getpass
import json
import os
import threading
from pathlib import Path
from typing import Annotated, Any

import typer
from eth_account.signers.local import LocalAccount
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from ledger_service.core.errors import MalformedInput

bid_app = typer.Typer(help="Bidders: seal, submit, withdraw, check and open your own bids.",
                      no_args_is_help=True)  # fmt: skip
custodian_app = typer.Typer(
    help="Key custodians: create keys, run the agent.", no_args_is_help=True
)
tender_app = typer.Typer(help="Tenders: verify an opening from the chain.", no_args_is_help=True)

out = Console(soft_wrap=True)
err = Console(stderr=True)

Server = Annotated[str, typer.Option(help="the Chain Witness API [env CHAINWITNESS_SERVER]",
                                     envvar="CHAINWITNESS_SERVER")]  # fmt: skip
Token = Annotated[str | None, typer.Option(help="API token [env CHAINWITNESS_TOKEN]",
                                           envvar="CHAINWITNESS_TOKEN")]  # fmt: skip
Keystore = Annotated[Path, typer.Option(help="your encrypted key (keystore JSON)", exists=True,
                                        dir_okay=False)]  # fmt: skip
TenderCode = Annotated[str, typer.Option("--tender", help="tender code, e.g. GC-2026-0417")]


def _password(env: str, what: str) -> str:
    return os.environ.get(env) or getpass.getpass(f"password for {what}: ")


def _account(keystore: Path) -> LocalAccount:
    from ledger_service.chain.client import load_signer

    return load_signer(None, keystore, _password("CHAINWITNESS_KEY_PASSWORD", str(keystore)))


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
                    TransferSpeedColumn(), TimeRemainingColumn(), console=err)  # fmt: skip


def _run(fn: Any) -> Any:
    from ledger_service.cli import _run as run

    return run(fn)


@bid_app.command("seal")
def bid_seal(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="the bid document")],
    tender: TenderCode, server: Server, keystore: Keystore,
    output: Annotated[Path | None, typer.Option("-o", help="default: FILE.cwseal")] = None,
) -> None:  # fmt: skip
    """Seal a bid on this machine for the tender's opening key (and your own key)."""
    from ledger_service.tenders.bidder import BidderClient

    def body() -> None:
        dst = output or file.with_name(file.name + ".cwseal")
        client = BidderClient(server, None, _account(keystore))
        with _progress() as p:
            task = p.add_task(f"sealing {file.name}", total=file.stat().st_size)
            res = client.seal(tender, file, dst, progress=lambda n: p.advance(task, n))
        out.print(f"sealed      {dst}")
        out.print(f"ciphertext  sha256 {res.ciphertext_sha256.hex()} ({res.ciphertext_size} bytes)")
        out.print(f"commitment  {res.plaintext_commitment.hex()}")

    _run(body)


@bid_app.command("submit")
def bid_submit(
    sealed: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="a .cwseal file")],
    tender: TenderCode, server: Server, token: Token, keystore: Keystore,
    nonce: Annotated[int | None, typer.Option(help="default: one above your last")] = None,
) -> None:  # fmt: skip
    """Sign the sealed bid's commitment with your key and submit it (before the deadline)."""
    from ledger_service.tenders.bidder import BidderClient

    def body() -> None:
        client = BidderClient(server, token, _account(keystore))
        with _progress() as p:
            task = p.add_task(f"uploading {sealed.name}", total=sealed.stat().st_size)
            receipt = client.submit(tender, sealed, nonce, progress=lambda n: p.advance(task, n))
        receipt_file = sealed.with_name(sealed.name + ".receipt.json")
        receipt_file.write_text(json.dumps(receipt, indent=2) + "\n")
        out.print(
            f"accepted by the chain in tx {receipt['tx_hash']} at chain time {receipt['block_time']}"
        )
        out.print(f"receipt     {receipt_file}")

    _run(body)


@bid_app.command("withdraw")
def bid_withdraw(tender: TenderCode, server: Server, token: Token, keystore: Keystore) -> None:
    """Withdraw your bid (signed with your key; before the deadline)."""
    from ledger_service.tenders.bidder import BidderClient

    def body() -> None:
        res = BidderClient(server, token, _account(keystore)).withdraw(tender)
        out.print(f"withdrawn; evidence record {res['record_index']}")

    _run(body)


@bid_app.command("status")
def bid_status(tender: TenderCode, server: Server, token: Token, keystore: Keystore) -> None:
    """Your bids on a tender as the service and the chain know them."""
    from ledger_service.tenders.bidder import BidderClient

    def body() -> None:
        for b in BidderClient(server, token, _account(keystore)).status(tender):
            out.print(f"nonce {b['nonce']}  {b['status']:<9} sha256 {b['ciphertext_sha256']}  "
                      f"tx {b['tx_hash']}  record {b['record_index']}")  # fmt: skip

    _run(body)


@bid_app.command("open-own")
def bid_open_own(
    sealed: Annotated[Path, typer.Argument(exists=True, dir_okay=False)],
    keystore: Keystore,
    output: Annotated[Path, typer.Option("-o", help="where to write the document")],
) -> None:
    """Open your own sealed bid with your own key (a verifiable fallback)."""
    from ledger_service.tenders.bidder import open_own

    def body() -> None:
        res = open_own(sealed, output, _account(keystore))
        out.print(f"opened {output} ({res.plaintext_size} bytes), commitment "
                  f"{res.plaintext_commitment.hex()}")  # fmt: skip

    _run(body)


@custodian_app.command("init")
def custodian_init(
    name: Annotated[str, typer.Option(help="e.g. 市公证处 notary office")],
    output: Annotated[Path, typer.Option("-o", help="key file to create (encrypted)")],
) -> None:
    """Create a custodian's keys (chain account + share key), encrypted with a password."""
    from ledger_service.tenders.custodian import CustodianAgent

    def body() -> None:
        if output.exists():
            raise MalformedInput(f"expected a new key file, found {output} already there")
        agent = CustodianAgent.create(name)
        agent.save(output, _password("CHAINWITNESS_KEY_PASSWORD", str(output)))
        out.print(f"custodian {name}: address {agent.address}, share key {agent.public_key.hex()}")

    _run(body)


@custodian_app.command("run")
def custodian_run(
    keys: Annotated[Path, typer.Option(exists=True, dir_okay=False, help="from custodian init")],
    server: Server, token: Token,
    rpc: Annotated[str, typer.Option(help="JSON-RPC of the chain", envvar="CHAINWITNESS_RPC_URL")],
    poll: Annotated[float, typer.Option(help="seconds between checks")] = 1.0,
) -> None:  # fmt: skip
    """Deal when a tender's key is being generated; release the share at opening time."""
    from ledger_service.tenders.custodian import CustodianAgent, HttpDuties

    def body() -> None:
        agent = CustodianAgent.load(keys, _password("CHAINWITNESS_KEY_PASSWORD", str(keys)))
        duties = HttpDuties(server, token)
        err.print(f"custodian {agent.name} ({agent.address}) watching {server}")
        try:
            agent.run_with(duties, rpc, threading.Event(), poll)
        except KeyboardInterrupt:
            err.print("stopped")

    _run(body)


@tender_app.command("verify-opening")
def tender_verify_opening(
    tender: TenderCode,
    rpc: Annotated[str, typer.Option(help="JSON-RPC of the chain", envvar="CHAINWITNESS_RPC_URL")],
    registry: Annotated[str, typer.Option(help="TenderRegistry address")],
    ciphertexts: Annotated[Path, typer.Option(exists=True, file_okay=False,
                                              help="folder with the sealed bids")],
    from_block: Annotated[int, typer.Option(help="first block to read events from")] = 0,
) -> None:  # fmt: skip
    """Repeat an opening from the chain alone and compare with the on-chain record."""
    from ledger_service.core.errors import VerificationFailed
    from ledger_service.tenders.verify_opening import verify_opening

    def body() -> None:
        check = verify_opening(rpc, registry, tender, ciphertexts, from_block)
        for b in check.record["bids"]:
            out.print(f"{b['result']:<20} {b['bidder']}  nonce {b['nonce']}  {b['detail']}")
        if not check.matches:
            raise VerificationFailed(
                f"expected the opening record digest on chain {check.on_chain_digest.hex()}, "
                f"found {check.digest.hex()} when repeating the opening"
            )
        out.print(
            f"OK  the opening of {tender} repeats exactly: record sha256 {check.digest.hex()}"
        )

    _run(body)


witness_app = typer.Typer(help="Witness reports: the platform's signing CA.", no_args_is_help=True)
court_app = typer.Typer(help="Courts and regulators: search records, fetch evidence packages.",
                        no_args_is_help=True)  # fmt: skip


@witness_app.command("init-ca")
def witness_init_ca(
    org: Annotated[str, typer.Option(help="organisation named in the certificates")],
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help="state directory")] = None,
) -> None:
    """Create the platform's witness CA and report-signing certificate (admin, once)."""
    from ledger_service.reports.ca import init_witness_ca
    from ledger_service.settings import Settings

    def body() -> None:
        s = Settings(data_dir=data_dir) if data_dir else Settings()
        paths = init_witness_ca(
            s.data_dir, _password("CHAINWITNESS_WITNESS_PASSWORD", "the witness CA"), org
        )
        out.print(f"witness CA and signing certificate written under {paths.ca_cert.parent}")

    _run(body)


@court_app.command("search")
def court_search(
    server: Server, token: Token,
    tender: Annotated[str | None, typer.Option(help="tender code")] = None,
    party: Annotated[str | None, typer.Option(help="actor, address or name fragment")] = None,
    sha256: Annotated[str | None, typer.Option(help="a document or record digest")] = None,
    since: Annotated[str | None, typer.Option(help="UTC date or time, inclusive")] = None,
    until: Annotated[str | None, typer.Option(help="UTC date or time, exclusive")] = None,
) -> None:  # fmt: skip
    """Search records; the search itself is recorded (chain of custody)."""
    import httpx

    def body() -> None:
        params = {k: v for k, v in {"tender": tender, "party": party, "sha256": sha256,
                  "since": since, "until": until}.items() if v}  # fmt: skip
        r = httpx.get(f"{server.rstrip('/')}/v1/court/records", params=params,
                      headers={"Authorization": f"Bearer {token}"}, timeout=60)  # fmt: skip
        if r.status_code >= 400:
            raise MalformedInput(f"the service answered {r.status_code}: {r.json().get('detail')}")
        for rec in r.json()["records"]:
            x = rec["record"]
            out.print(
                f"{rec['index']:>8}  {x['submitted_at']}  {x['kind']:<22} {x['subject']}  {x['actor']}"
            )

    _run(body)


@court_app.command("package")
def court_package(
    subject: Annotated[str, typer.Argument(help="tender:CODE, contract:CODE, a record index or a digest")],
    server: Server, token: Token,
    output: Annotated[Path, typer.Option("-o", help="where to write the zip")],
) -> None:  # fmt: skip
    """Request and download an evidence package (then: chainwitness verify FILE.zip)."""
    import httpx

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

    _run(body)
