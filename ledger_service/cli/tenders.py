"""Bidders, custodians and openings: ``bid ...``, ``custodian ...``, ``tender ...``."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import httpx
import typer

from ledger_service.cli.console import (
    Keystore,
    PolicyFile,
    Server,
    TenderCode,
    Token,
    account,
    checked,
    err,
    load_policy,
    out,
    password,
    pinned_tender_chain,
    progress_bar,
    run,
)
from ledger_service.cli.keys import new_password
from ledger_service.core.errors import ChainUnavailable, MalformedInput
from ledger_service.core.human_time import with_iso

if TYPE_CHECKING:
    from ledger_service.tenders.bidder import BidderClient

Rpc = Annotated[
    str, typer.Option(help="JSON-RPC of the chain you trust", envvar="CHAINWITNESS_RPC_URL")
]
ChainId = Annotated[
    int | None, typer.Option(help="chain id from the tender notice (default: the policy's)")
]
Registry = Annotated[
    str | None,
    typer.Option(help="TenderRegistry address from the tender notice (default: the policy's)"),
]


def _bidder(server: str, token: str | None, keystore: Path, rpc: str, chain_id: int | None,
            registry: str | None, policy_file: Path | None) -> BidderClient:  # fmt: skip
    from ledger_service.tenders.bidder import BidderClient, ChainTrust

    policy = load_policy(policy_file)
    chain, address = pinned_tender_chain(policy, chain_id, registry)
    trust = ChainTrust(rpc, chain, address, policy=policy)
    return BidderClient(server, token, account(keystore), trust)


def bid_seal(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="the bid document")],
    tender: TenderCode, server: Server, keystore: Keystore, rpc: Rpc, chain_id: ChainId = None,
    registry: Registry = None, policy: PolicyFile = None,
    output: Annotated[Path | None, typer.Option("-o", help="default: FILE.cwseal")] = None,
) -> None:  # fmt: skip
    """Check the tender's opening key on your chain, then seal a bid on this machine."""

    def body() -> None:
        dst = output or file.with_name(file.name + ".cwseal")
        client = _bidder(server, None, keystore, rpc, chain_id, registry, policy)
        with progress_bar() as p:
            task = p.add_task(f"sealing {file.name}", total=file.stat().st_size)
            res = client.seal(tender, file, dst, progress=lambda n: p.advance(task, n))
        out.print(f"sealed      {dst}")
        out.print(f"ciphertext  sha256 {res.ciphertext_sha256.hex()} ({res.ciphertext_size} bytes)")
        out.print(f"commitment  {res.plaintext_commitment.hex()}")

    run(body)


def bid_submit(
    sealed: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="a .cwseal file")],
    tender: TenderCode, server: Server, token: Token, keystore: Keystore, rpc: Rpc,
    chain_id: ChainId = None, registry: Registry = None, policy: PolicyFile = None,
    nonce: Annotated[int | None, typer.Option(help="default: one above your last")] = None,
    wait: Annotated[float, typer.Option(help="with --policy: seconds to wait for the "
                                        "witnesses' cosignatures")] = 60.0,
    device: Annotated[str | None, typer.Option(help="device fingerprint to report ('auto': "
                                               "this machine's); default: none")] = None,
    file_name: Annotated[str | None, typer.Option(
        help="the document's file name the evaluators get after opening (sent sealed); "
             "default: the sealed file's name without .cwseal")] = None,
) -> None:  # fmt: skip
    """Sign the sealed bid's commitment with your keys and submit it (before the deadline).

    With --policy the client then waits until k of the pinned witnesses cosigned a
    checkpoint holding the bid and checks, by their clocks, that it was on time.
    """

    def body() -> None:
        client = _bidder(server, token, keystore, rpc, chain_id, registry, policy)
        with progress_bar() as p:
            task = p.add_task(f"uploading {sealed.name}", total=sealed.stat().st_size)
            receipt = client.submit(tender, sealed, nonce, progress=lambda n: p.advance(task, n),
                                    device=_device(device), file_name=file_name)  # fmt: skip
        receipt_file = _receipt_file(sealed, receipt)
        if receipt_file.exists():
            out.print(f"already submitted: the service gave the same receipt (nonce "
                      f"{receipt['nonce']}); nothing new was sent on chain")  # fmt: skip
        receipt_file.write_text(json.dumps(receipt, indent=2) + "\n")
        out.print(
            f"accepted by the chain in tx {receipt['tx_hash']} at chain time "
            f"{with_iso(receipt['block_time'])}"
        )
        if client.trust.policy is not None:
            with err.status("waiting for the witnesses' cosignatures"):
                on_time = client.on_time(tender, receipt, wait_s=wait)
            receipt["witnessed"] = on_time.to_json()
            receipt_file.write_text(json.dumps(receipt, indent=2) + "\n")
            out.print(
                f"on time     witnessed at {with_iso(on_time.witnessed_time)} by "
                f"{', '.join(on_time.cosigned_by)} ({on_time.k} of {on_time.n} needed), "
                f"deadline {with_iso(on_time.deadline)}"
            )
        out.print(f"receipt     {receipt_file}")

    run(body)


def _receipt_file(sealed: Path, receipt: dict[str, object]) -> Path:
    """``X.cwseal.receipt.json``; never one that holds another bid's receipt (that one
    is kept, and this receipt goes to ``X.cwseal.receipt-<nonce>.json``)."""
    path = sealed.with_name(sealed.name + ".receipt.json")
    if path.exists():
        try:
            old = json.loads(path.read_text())
        except ValueError:
            old = None
        same = isinstance(old, dict) and all(
            old.get(k) == receipt.get(k) for k in ("tender", "bidder", "nonce", "ciphertext_sha256")
        )
        if not same:
            return sealed.with_name(f"{sealed.name}.receipt-{receipt['nonce']}.json")
    return path


def _device(option: str | None) -> str | None:
    from ledger_service.tenders.bidder import device_fingerprint

    return device_fingerprint() if option == "auto" else option


def bid_withdraw(
    tender: TenderCode, server: Server, token: Token, keystore: Keystore, rpc: Rpc,
    chain_id: ChainId = None, registry: Registry = None, policy: PolicyFile = None,
) -> None:  # fmt: skip
    """Withdraw your bid (signed with your pseudonym's key; before the deadline)."""

    def body() -> None:
        res = _bidder(server, token, keystore, rpc, chain_id, registry, policy).withdraw(tender)
        out.print(f"withdrawn; evidence record {res['record_index']}")

    run(body)


def bid_status(
    tender: TenderCode, server: Server, token: Token, keystore: Keystore, rpc: Rpc,
    chain_id: ChainId = None, registry: Registry = None, policy: PolicyFile = None,
) -> None:  # fmt: skip
    """Your bids on a tender as the service knows them."""

    def body() -> None:
        client = _bidder(server, token, keystore, rpc, chain_id, registry, policy)
        for b in client.status(tender):
            out.print(f"nonce {b['nonce']}  {b['status']:<9} sha256 {b['ciphertext_sha256']}  "
                      f"tx {b['tx_hash']}  record {b['record_index']}")  # fmt: skip

    run(body)


def bid_open_own(
    sealed: Annotated[Path, typer.Argument(exists=True, dir_okay=False)],
    keystore: Keystore,
    output: Annotated[Path, typer.Option("-o", help="where to write the document")],
) -> None:
    """Open your own sealed bid with your own key (a verifiable fallback)."""
    from ledger_service.tenders.bidder import open_own

    def body() -> None:
        res = open_own(sealed, output, account(keystore))
        out.print(f"opened {output} ({res.plaintext_size} bytes), commitment "
                  f"{res.plaintext_commitment.hex()}")  # fmt: skip

    run(body)


def custodian_init(  # the same as `key create --role custodian`, kept for existing scripts
    name: Annotated[str, typer.Option(help="e.g. 市公证处 notary office")],
    output: Annotated[Path, typer.Option("-o", help="key file to create (encrypted)")],
    password_file: Annotated[Path | None, typer.Option(
        dir_okay=False, help="file whose first line is the password (default: asked)")] = None,
) -> None:  # fmt: skip
    """Create a custodian's keys (chain account + share key), encrypted with a password."""
    from ledger_service.tenders.custodian import CustodianAgent

    def body() -> None:
        if output.exists():
            raise MalformedInput(f"expected a new key file, found {output} already there")
        agent = CustodianAgent.create(name)
        agent.save(output, new_password(password_file, str(output)))  # the rule of `key create`
        out.print(f"custodian {name}: address {agent.address}, share key {agent.public_key.hex()}")

    run(body)


def custodian_register_key(
    keys: Annotated[Path, typer.Option(exists=True, dir_okay=False, help="from custodian init")],
    rpc: Rpc, chain_id: ChainId = None, registry: Registry = None, policy: PolicyFile = None,
) -> None:  # fmt: skip
    """Register your encryption key on chain from your own account (once)."""
    from ledger_service.chain.client import ChainClient
    from ledger_service.chain.tender_registry import TenderRegistryContract
    from ledger_service.tenders.custodian import CustodianAgent

    def body() -> None:
        chain, address = pinned_tender_chain(load_policy(policy), chain_id, registry)
        agent = CustodianAgent.load(keys, password("CHAINWITNESS_KEY_PASSWORD", str(keys)))
        client = ChainClient(rpc, agent.account, chain)
        agent.register_key(TenderRegistryContract(client, address))
        out.print(
            f"custodian {agent.name}: key {agent.public_key.hex()} registered by {agent.address}"
        )

    run(body)


def custodian_run(
    keys: Annotated[Path, typer.Option(exists=True, dir_okay=False, help="from custodian init")],
    server: Server, token: Token, rpc: Rpc, chain_id: ChainId = None,
    registry: Registry = None, policy: PolicyFile = None,
    state: Annotated[Path | None, typer.Option(help="file of the dealings you signed")] = None,
    poll: Annotated[float, typer.Option(help="seconds between checks")] = 1.0,
) -> None:  # fmt: skip
    """Guard your tenders from your own chain: deal, complain, approve, release on time.

    With --policy the agent also releases only once k of the pinned witnesses, by
    their own clocks, cosigned a checkpoint at or after the opening time.
    """
    from ledger_service.tenders.custodian import AgentRun, CustodianAgent, HttpRelay

    def body() -> None:
        pinned = load_policy(policy)
        chain, address = pinned_tender_chain(pinned, chain_id, registry)
        agent = CustodianAgent.load(keys, password("CHAINWITNESS_KEY_PASSWORD", str(keys)))
        relay = HttpRelay(server, token)
        agent_run = AgentRun.connect(agent, rpc, address, chain, relay, state_file=state,
                                     witnessed_time=relay.witnessed_time(pinned))  # fmt: skip
        err.print(f"custodian {agent.name} ({agent.address}) watching {address} at {rpc}"
                  + ("" if pinned else "; no --policy: witnessed time not checked"))  # fmt: skip
        try:
            agent_run.run(threading.Event(), poll)
        except KeyboardInterrupt:
            err.print("stopped")

    run(body)


def tender_verify_opening(
    tender: TenderCode,
    rpc: Annotated[str, typer.Option(help="JSON-RPC of the chain", envvar="CHAINWITNESS_RPC_URL")],
    ciphertexts: Annotated[Path, typer.Option(exists=True, file_okay=False,
                                              help="folder with the sealed bids")],
    registry: Registry = None, chain_id: ChainId = None, policy: PolicyFile = None,
    from_block: Annotated[int, typer.Option(help="first block to read events from")] = 0,
) -> None:  # fmt: skip
    """Repeat an opening from the chain alone and compare with the on-chain record.

    Give --registry (and optionally --chain-id), or --policy: the pinned chain id and
    TenderRegistry (the endpoint must serve that chain).
    """
    from ledger_service.core.errors import VerificationFailed
    from ledger_service.tenders.verify_opening import verify_opening

    def body() -> None:
        pinned = load_policy(policy)
        if pinned is None and registry is None:
            raise MalformedInput("expected --registry or --policy FILE, found neither")
        chain, address = (chain_id, registry) if pinned is None else pinned_tender_chain(
            pinned, chain_id, registry)  # fmt: skip
        check = verify_opening(rpc, str(address), tender, ciphertexts, from_block, chain)
        for b in check.record["bids"]:
            out.print(f"{b['result']:<20} {b['bidder']}  nonce {b['nonce']}  {b['detail']}")
        if not check.matches:
            if check.rejected:
                raise VerificationFailed(
                    f"expected every revealed bid signed by its bidder, found {len(check.rejected)} not"
                )
            raise VerificationFailed(
                f"expected the opening record digest on chain {check.on_chain_digest.hex()}, "
                f"found {check.digest.hex()} when repeating the opening"
            )
        out.print(
            f"OK  the opening of {tender} repeats exactly: record sha256 {check.digest.hex()}"
        )
        if pinned is not None and pinned.operator_controlled:
            out.print(f"--  chain {pinned.chain_id} is a development chain controlled by its "
                      "operator: what it says binds nobody")  # fmt: skip

    run(body)


def tender_register_bidder(
    tender: TenderCode, server: Server, token: Token,
    handover: Annotated[Path, typer.Option("--from", exists=True, dir_okay=False,
                                           help="the bidder's FILE.pub.json (key create)")],
) -> None:  # fmt: skip
    """Operator: register a bidder from the hand-over file its `key create` wrote."""
    from ledger_service.tenders.handover import Handover

    def body() -> None:
        h = Handover.from_bytes(handover.read_bytes())
        if h.role != "bidder":
            raise MalformedInput(f"--from: expected a bidder's hand-over, found a {h.role}'s")
        payload = {"name": h.name, "address": h.address, "public_key": h.public_key,
                   "pseudonym": h.pseudonym(tender)}  # fmt: skip
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        try:
            resp = httpx.post(f"{server.rstrip('/')}/v1/tenders/{tender}/bidders", json=payload,
                              headers=headers, timeout=60)  # fmt: skip
        except httpx.HTTPError as exc:
            raise ChainUnavailable(
                f"expected the service at {server} to answer, found: {exc}"
            ) from None
        checked(resp)
        out.print(f"registered  {h.name} {h.address} for tender {tender} "
                  f"(pseudonym {payload['pseudonym']})")  # fmt: skip

    run(body)


def tender_step(
    tender: TenderCode, server: Server, token: Token,
    event: Annotated[str, typer.Option(help="report_evaluation, publish_candidates, "
                                       "file_complaint, resolve_complaint, award, sign_contract "
                                       "or cancel")],
    document: Annotated[Path | None, typer.Option(exists=True, dir_okay=False,
                        help="the step's document (report, notice, contract); its SHA-256 "
                             "is recorded")] = None,
    note: Annotated[str, typer.Option(help="a remark kept with the step")] = "",
    valid: Annotated[list[str] | None, typer.Option(help="report_evaluation: a valid bid's "
                                                    "bidder, best first (repeat)")] = None,
    disqualified: Annotated[list[str] | None, typer.Option(
        help="report_evaluation: a disqualified bidder (repeat)")] = None,
    candidate: Annotated[list[str] | None, typer.Option(
        help="publish_candidates: a candidate, best first (repeat)")] = None,
    publicity_end: Annotated[str | None, typer.Option(
        help="publish_candidates: end of publicity (+7d, ISO 8601 or Unix seconds)")] = None,
    complainant: Annotated[str | None, typer.Option(help="file_complaint: who")] = None,
    decision: Annotated[str | None, typer.Option(help="resolve_complaint: the decision")] = None,
    winner: Annotated[str | None, typer.Option(help="award: the winning bidder")] = None,
    price: Annotated[int | None, typer.Option(help="award, sign_contract: price in whole units")] = None,
    currency: Annotated[str, typer.Option(help="ISO 4217 currency of --price")] = "CNY",
    start: Annotated[str | None, typer.Option(help="sign_contract: start (same forms as "
                                              "--publicity-end)")] = None,
    end: Annotated[str | None, typer.Option(help="sign_contract: end (same forms)")] = None,
    reason: Annotated[str | None, typer.Option(help="cancel: why (default: --note)")] = None,
) -> None:  # fmt: skip
    """Operator: record a later step with its data (valid bids, candidates, winner, price);
    the service refuses a step its OCDS export could not carry.

    A bidder is named by its address or by its hand-over file (FILE.pub.json).
    """
    from ledger_service.cli.console import sha256_file
    from ledger_service.cli.tender_setup import bidder_address, parse_when

    def body() -> None:
        now = int(time.time())
        when = {k: None if v is None else parse_when(f"--{k.replace('_', '-')}", v, now)
                for k, v in (("publicity_end", publicity_end), ("start", start), ("end", end))}  # fmt: skip
        named = {k: None if v is None else [bidder_address(x) for x in v]
                 for k, v in (("valid", valid), ("disqualified", disqualified),
                              ("candidates", candidate))}  # fmt: skip
        payload: dict[str, Any] = {"event": event, "note": note}
        if document is not None:
            payload["document"] = {"name": document.name, "sha256": sha256_file(document)}
        fields = {**named, **when, "complainant": complainant, "decision": decision,
                  "supplier": None if winner is None else bidder_address(winner),
                  "reason": reason,
                  "value": None if price is None else {"amount": price, "currency": currency}}  # fmt: skip
        payload.update({k: v for k, v in fields.items() if v})
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        view = checked(httpx.post(f"{server.rstrip('/')}/v1/tenders/{tender}/transitions",
                                  json=payload, headers=headers, timeout=120))  # fmt: skip
        out.print(f"{event} recorded: tender {tender} is now {view.get('state')}")

    run(body)


def tender_list(
    server: Server,
    state: Annotated[str | None, typer.Option(help="only tenders in this state")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="tenders per page")] = 100,
    cursor: Annotated[str | None, typer.Option(help="the next cursor a page printed")] = None,
) -> None:
    """List tenders (public): code, state, bid deadline and opening time by chain time."""

    def body() -> None:
        params = {k: v for k, v in {"state": state, "limit": limit, "cursor": cursor}.items()
                  if v is not None}  # fmt: skip
        page = checked(httpx.get(f"{server.rstrip('/')}/v1/tenders", params=params, timeout=60))
        for t in page["tenders"]:
            out.print(f"{t['code']:<20} {t['state']:<17} deadline {t['bid_deadline_utc']} "
                      f"({t['bid_deadline']})  opening {t['opening_time_utc']}  {t['title']}")  # fmt: skip
        nxt = page["next_cursor"]
        out.print(f"{len(page['tenders'])} of {page['total']} tenders"
                  + ("" if nxt is None else f"; next page: --cursor {nxt}"))  # fmt: skip

    run(body)


def tender_bids_list(tender: TenderCode, server: Server, token: Token) -> None:
    """After opening: the opened bids with their original file names (operator, regulator,
    court)."""

    def body() -> None:
        for f in _http_json(server, token, f"/v1/tenders/{tender}/opened"):
            out.print(f"{f['bidder']}  nonce {f['nonce']}  {f['size']:>12} bytes  {f['file_name']}"
                      + (f"  ({f['note']})" if f.get("note") else ""))  # fmt: skip

    run(body)


def tender_bids_download(
    tender: TenderCode, server: Server, token: Token,
    output: Annotated[Path, typer.Option("-o", "--out", file_okay=False,
                                         help="folder to write <bidder>/<file name> into")],
) -> None:  # fmt: skip
    """After opening: download every opened bid under its original file name, one folder
    per bidder, for the evaluation committee."""

    def body() -> None:
        files = _http_json(server, token, f"/v1/tenders/{tender}/opened")
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        for f in files:
            folder = output / f["bidder"]
            folder.mkdir(parents=True, exist_ok=True)
            target = folder / Path(f["file_name"]).name
            url = f"{server.rstrip('/')}/v1/tenders/{tender}/opened/{f['bidder']}/{f['nonce']}"
            with httpx.stream("GET", url, headers=headers, timeout=600) as resp:
                if resp.status_code >= 400:
                    resp.read()
                    checked(resp)
                size = 0
                with target.open("wb") as dst:
                    for chunk in resp.iter_bytes():
                        dst.write(chunk)
                        size += len(chunk)
            if size != f["size"]:
                raise MalformedInput(f"{target}: expected {f['size']} bytes, found {size}")
            out.print(f"{target}  ({size} bytes)")
        out.print(f"{len(files)} opened bids in {output}")

    run(body)


def _http_json(server: str, token: str | None, path: str) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return checked(httpx.get(f"{server.rstrip('/')}{path}", headers=headers, timeout=60))


def register(app: typer.Typer) -> None:
    """Add the ``bid``, ``custodian`` and ``tender`` groups to ``app``."""
    from ledger_service.cli.tender_setup import tender_announce, tender_issue_documents

    bids = typer.Typer(
        help="Bidders: seal, submit, withdraw, check and open your own bids.", no_args_is_help=True
    )
    bids.command("seal")(bid_seal)
    bids.command("submit")(bid_submit)
    bids.command("withdraw")(bid_withdraw)
    bids.command("status")(bid_status)
    bids.command("open-own")(bid_open_own)
    app.add_typer(bids, name="bid")
    custodians = typer.Typer(
        help="Key custodians: create keys, run the agent.", no_args_is_help=True
    )
    custodians.command("init")(custodian_init)
    custodians.command("register-key")(custodian_register_key)
    custodians.command("run")(custodian_run)
    app.add_typer(custodians, name="custodian")
    tenders = typer.Typer(
        help="Tenders: announce, issue documents, register bidders, record later steps, "
        "download opened bids, verify an opening from the chain.",
        no_args_is_help=True,
    )
    tenders.command("announce")(tender_announce)
    tenders.command("issue-documents")(tender_issue_documents)
    tenders.command("verify-opening")(tender_verify_opening)
    tenders.command("register-bidder")(tender_register_bidder)
    tenders.command("list")(tender_list)
    tenders.command("step")(tender_step)
    opened = typer.Typer(help="Opened bids, for the evaluation committee.", no_args_is_help=True)
    opened.command("list")(tender_bids_list)
    opened.command("download")(tender_bids_download)
    tenders.add_typer(opened, name="bids")
    app.add_typer(tenders, name="tender")
