"""Running the service: ``init``, ``serve``, ``status``, API tokens."""

from __future__ import annotations

import contextlib
import logging
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ledger_service.cli import logs
from ledger_service.cli.console import (
    DataDir,
    err,
    out,
    run,
    settings_for,
)
from ledger_service.core.errors import MalformedInput
from ledger_service.store.tokens import ROLES

log = logging.getLogger("chainwitness.serve")


def init(data_dir: DataDir = None) -> None:
    """Create the data directory, database and log key, deploy the contracts, and write
    ``trust-policy.json`` (chain, contracts, log key, witnesses) for publication."""
    from ledger_service.evidence.trust_file import build_trust_policy, write_trust_policy
    from ledger_service.runtime import open_services

    def body() -> None:
        s = settings_for(data_dir)
        services = open_services(s)
        try:
            assert services.chain is not None
            out.print(f"data directory  {s.data_dir}")
            out.print(f"database        {s.effective_database_url}")
            out.print(
                f"chain           {services.chain.chain_id} at {services.chain.rpc_url}"
                + (" (embedded anvil)" if services.chain.embedded else "")
            )
            out.print(f"EvidenceLog     {services.chain.evidence_log}")
            assert services.publisher is not None
            out.print(f"log origin      {services.publisher.origin}")
            out.print(f"log key         {services.publisher.log_key.to_text()}", highlight=False)
            if services.publisher.log_sm2_key is not None:
                out.print(f"log SM2 key     {services.publisher.log_sm2_key.to_text()}",
                          highlight=False)  # fmt: skip
            policy = build_trust_policy(s, services.chain.chain_id, services.contract_addresses)
            if policy is None:
                out.print(
                    "trust policy    not written: no witnesses configured "
                    "(CHAINWITNESS_WITNESSES); a policy pins at least one"
                )
            else:
                path = write_trust_policy(policy, s.data_dir)
                out.print(f"trust policy    {path} ({policy.fingerprint})", highlight=False)
                if policy.operator_controlled:
                    out.print(
                        f"                chain {policy.chain_id} is a development chain: "
                        "controlled by its operator; publish the policy with each tender notice"
                    )
        finally:
            services.close()

    run(body)


def serve(
    data_dir: DataDir = None,
    host: Annotated[str | None, typer.Option(help="bind address [default 127.0.0.1]")] = None,
    port: Annotated[int | None, typer.Option(help="port [default 8700]")] = None,
    workers: Annotated[
        int | None,
        typer.Option(help="HTTP processes sharing the port and the database [default 1]"),
    ] = None,
) -> None:
    """Run the HTTP API and the anchorer (starts the embedded anvil when no RPC URL is set).

    With --workers N, N-1 more processes serve the same API on the same port; this one
    also anchors, watches tenders and runs the embedded node."""
    import uvicorn

    from ledger_service.api.app import create_app
    from ledger_service.cli import workers as workers_mod
    from ledger_service.evidence.anchoring import Anchorer
    from ledger_service.runtime import open_services

    def body() -> None:
        s = settings_for(data_dir, host=host, port=port, workers=workers)
        services = open_services(s, exclusive=True)
        children: list[subprocess.Popen[bytes]] = []
        for partial in services.blobs.sweep_partial_uploads():  # left by a kill -9
            log.warning("removed a half-written upload of a dead process: %s", partial.name)
        try:
            assert services.client and services.evidence_log
            anchorer = (
                Anchorer(
                    services.log_store,
                    services.anchors,
                    services.client,
                    services.evidence_log,
                    interval_s=s.anchor_interval_s,
                    max_leaves=s.anchor_max_leaves,
                    confirmations=s.confirmations,
                    start_block=services.deployed_at_block,
                    # sign a checkpoint of every anchored head and have the witnesses cosign it
                    on_head=services.publisher.ensure if services.publisher else None,
                    # embedded chain: an anchor counts once the node's state holding it is saved
                    make_durable=services.node.save_state if services.node else None,
                )
                if s.anchoring_enabled
                else None
            )
            api = create_app(services, anchorer=anchorer, watch_tenders=True)
            # where `chainwitness status` finds this service's /readyz
            (s.data_dir / SERVE_URL_FILE).write_text(_local_url(s.host, s.port) + "\n")
            sock = workers_mod.bind(s.host, s.port)
            children = workers_mod.spawn(s.workers - 1, sock, s.data_dir)
            with _terminate_gracefully():
                config = uvicorn.Config(
                    api, log_level="info",
                    # JSON lines: uvicorn's own lines go through the root handler too
                    log_config=None if logs.is_json() else uvicorn.config.LOGGING_CONFIG,
                )  # fmt: skip
                log.info("serving on %s with %d worker process(es)",
                         _local_url(s.host, s.port), s.workers)  # fmt: skip
                workers_mod.serve_on(config, sock)
        finally:
            workers_mod.stop(children)
            services.close()

    run(body)


@contextlib.contextmanager
def _terminate_gracefully() -> Iterator[None]:
    """SIGTERM ends ``serve`` with exit 0 after the cleanup (anvil saved and stopped).

    uvicorn handles SIGTERM itself, then restores the previous handler and raises the
    signal again; with the default handler that kills us before ``Services.close``
    runs. This handler makes that second delivery a no-op.
    """
    previous = signal.signal(signal.SIGTERM, lambda _sig, _frame: None)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def status(
    data_dir: DataDir = None,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
) -> None:
    """Show the service's readiness, the log's head, the newest anchor, the witnessed size,
    the chain's RPC URL and every contract address."""
    from ledger_service.chain.deployment import Deployment
    from ledger_service.evidence.health import anchor_lag, check_chain
    from ledger_service.runtime import open_store
    from ledger_service.store.checkpoints import CheckpointStore

    def body() -> None:
        s = settings_for(data_dir)
        if not s.database_url and not (s.data_dir / "chainwitness.db").is_file():
            # opening would create an empty database there and report 0 records
            raise MalformedInput(
                f"expected a Chain Witness data directory (made by `chainwitness init`), found "
                f"no database in {s.data_dir}; pass --data-dir or set CHAINWITNESS_DATA_DIR"
            )
        log_store, anchors, _ = open_store(s)
        head = log_store.head()
        a = anchors.latest_confirmed()
        lag = anchor_lag(log_store, anchors)
        c = CheckpointStore(log_store.engine)
        latest, k = c.latest(), s.quorum
        witnessed = c.latest_cosigned(k) if k else None
        log_store.engine.dispose()
        rpc_url = s.rpc_url or _embedded_rpc_url(s.data_dir)
        dep = Deployment.load(s.data_dir)
        contracts = dict(dep.contracts) if dep is not None else {}
        for name, address in (("EvidenceLog", s.evidence_log_address),
                              ("TenderRegistry", s.tender_registry_address)):  # fmt: skip
            if address:
                contracts[name] = address
        chain = None if rpc_url is None else check_chain(rpc_url)
        report: dict[str, object] = {
            "data_dir": str(s.data_dir),
            "service": _service_readiness(s.data_dir, s.host, s.port, s.embedded_chain),
            "log": {"tree_size": head.size, "root": head.root.hex()},
            "anchored": None if a is None else {
                "tree_size": a.tree_size, "block": a.block_number, "chain_id": a.chain_id,
                "tx": a.tx_hash, "waiting": lag.leaves, "lag_s": round(lag.seconds, 1)},
            "checkpoint": None if latest is None else {
                "tree_size": latest.tree_size, "cosigned": latest.cosigned,
                "witnesses": len(s.witnesses)},
            "witnessed": None if witnessed is None else {
                "tree_size": witnessed.tree_size, "cosigned": witnessed.cosigned, "quorum": k},
            "chain": {"rpc_url": rpc_url, "embedded": s.embedded_chain,
                      "reachable": None if chain is None else chain.ok,
                      "detail": None if chain is None else chain.detail},
            "contracts": dict(sorted(contracts.items())),
        }  # fmt: skip
        if as_json:
            out.print_json(data=report)
            return
        svc = report["service"]
        assert isinstance(svc, dict)
        out.print(f"data directory   {s.data_dir}")
        out.print(f"service          {svc['state']} at {svc['url']}"
                  + (f": {svc['detail']}" if svc.get("detail") else ""), highlight=False)  # fmt: skip
        out.print(f"log              {head.size} records, root {head.root.hex()}")
        if a is None:
            out.print("anchored         nothing yet")
        else:
            out.print(
                f"anchored         {a.tree_size} records in block {a.block_number} "
                f"(chain {a.chain_id}, tx {a.tx_hash}), {lag.leaves} waiting"
                + (f", oldest {lag.seconds:.1f} s" if lag.leaves else "")
            )
        out.print(
            "checkpoint       "
            + ("none signed yet" if latest is None else
               f"size {latest.tree_size}, {latest.cosigned} of {len(s.witnesses)} witnesses")
        )  # fmt: skip
        out.print(
            "witnessed        "
            + ("no witnesses configured" if not k else
               "nothing yet" if witnessed is None else
               f"size {witnessed.tree_size} (cosigned by {witnessed.cosigned}, quorum {k} "
               f"of {len(s.witnesses)})")
        )  # fmt: skip
        if rpc_url is None:
            out.print("chain            not initialised (run `chainwitness init`)")
        else:
            assert chain is not None
            out.print(f"chain RPC        {rpc_url}"
                      + (" (embedded anvil)" if s.embedded_chain else "")
                      + ("" if chain.ok else f", {chain.detail}"), highlight=False)  # fmt: skip
        for name, address in sorted(contracts.items()):
            out.print(f"{name:<16} {address}", highlight=False)

    run(body)


#: the URL ``serve`` listens on, written in the data directory for ``status``
SERVE_URL_FILE = "serve-url"


def _embedded_rpc_url(data_dir: Path) -> str | None:
    """The embedded anvil's URL from its stored port (None before ``init``)."""
    from ledger_service.chain.node import PORT_FILE_NAME

    try:
        port = (data_dir / "anvil" / PORT_FILE_NAME).read_text().strip()
    except OSError:
        return None
    return f"http://127.0.0.1:{port}" if port.isdigit() else None


def _local_url(host: str, port: int) -> str:
    return f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"


def _service_readiness(
    data_dir: Path, host: str, port: int, embedded: bool
) -> dict[str, object]:
    """What the running service's ``/readyz`` says: ready, not ready (and why), or no answer.

    On the embedded chain the service is the process holding the data directory's
    lock (none: not running, nothing is asked), at the URL it wrote there. With an
    RPC URL (no lock) that URL, else the configured host and port, is asked.
    """
    import httpx

    from ledger_service.chain.node import DataDirLock

    url = _local_url(host, port)
    holder = DataDirLock(data_dir).holder()
    if embedded and holder is None:
        return {"url": url, "state": "not running", "detail": f"no service holds {data_dir}"}
    with contextlib.suppress(OSError):
        url = (data_dir / SERVE_URL_FILE).read_text().strip() or url
    try:
        r = httpx.get(f"{url}/readyz", timeout=5)
    except httpx.HTTPError as exc:
        state = "not running" if holder is None else f"not answering (PID {holder})"
        return {"url": url, "state": state, "detail": f"no answer ({type(exc).__name__})"}
    try:
        answer = r.json()
    except ValueError:
        answer = {}
    if r.status_code == 200:
        return {"url": url, "state": "ready", "checks": answer.get("checks")}
    return {"url": url, "state": "not ready", "detail": answer.get("detail", r.text[:200]),
            "checks": answer.get("checks")}  # fmt: skip


def token_create(
    role: Annotated[str, typer.Option(help=f"one of {', '.join(ROLES)}")],
    name: Annotated[str, typer.Option(help="who holds the token (shown as the actor)")],
    data_dir: DataDir = None,
) -> None:
    """Create an API token; it is printed once and only its hash is stored."""
    from ledger_service.runtime import open_store
    from ledger_service.store.tokens import create_token

    def body() -> None:
        log_store, _, _ = open_store(settings_for(data_dir))
        info, secret = create_token(log_store.engine, name, role)
        err.print(
            f"token {info.id} for {info.name} ({info.role}); store it now, it is not shown again:"
        )
        out.print(secret, highlight=False)

    run(body)


def token_list(data_dir: DataDir = None) -> None:
    """List tokens (never their secrets)."""
    from ledger_service.runtime import open_store
    from ledger_service.store.tokens import list_tokens

    def body() -> None:
        log_store, _, _ = open_store(settings_for(data_dir))
        table = Table("id", "name", "role", "created", "revoked")
        for t in list_tokens(log_store.engine):
            table.add_row(str(t.id), t.name, t.role, t.created_at, "yes" if t.revoked else "")
        out.print(table)

    run(body)


def token_revoke(token_id: int, data_dir: DataDir = None) -> None:
    """Revoke a token by id."""
    from ledger_service.runtime import open_store
    from ledger_service.store.tokens import revoke_token

    def body() -> None:
        log_store, _, _ = open_store(settings_for(data_dir))
        revoke_token(log_store.engine, token_id)
        out.print(f"token {token_id} revoked")

    run(body)


def register(app: typer.Typer) -> None:
    """Add ``init``, ``serve``, ``status`` and the ``token`` group to ``app``."""
    app.command()(init)
    app.command()(serve)
    app.command()(status)
    tokens = typer.Typer(help="API tokens with roles (admin only).", no_args_is_help=True)
    tokens.command("create")(token_create)
    tokens.command("list")(token_list)
    tokens.command("revoke")(token_revoke)
    app.add_typer(tokens, name="token")
