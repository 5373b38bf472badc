"""Running the service: ``init``, ``serve``, ``status``, API tokens."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from ledger_service.cli.console import (
    DataDir,
    err,
    out,
    run,
    settings_for,
)
from ledger_service.core.errors import MalformedInput
from ledger_service.store.tokens import ROLES


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
) -> None:
    """Run the HTTP API and the anchorer (starts the embedded anvil when no RPC URL is set)."""
    import uvicorn

    from ledger_service.api.app import create_app
    from ledger_service.evidence.anchoring import Anchorer
    from ledger_service.runtime import open_services

    def body() -> None:
        s = settings_for(data_dir, host=host, port=port)
        services = open_services(s)
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
                )
                if s.anchoring_enabled
                else None
            )
            api = create_app(services, anchorer=anchorer, watch_tenders=True)
            uvicorn.run(api, host=s.host, port=s.port, log_level="info")
        finally:
            services.close()

    run(body)


def status(data_dir: DataDir = None) -> None:
    """Show the log's head, the newest anchor, the witnessed size and the deployment."""
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
        out.print(f"data directory   {s.data_dir}")
        out.print(f"log              {head.size} records, root {head.root.hex()}")
        if a is None:
            out.print("anchored         nothing yet")
        else:
            out.print(
                f"anchored         {a.tree_size} records in block {a.block_number} "
                f"(chain {a.chain_id}, tx {a.tx_hash}), {head.size - a.tree_size} waiting"
            )
        c = CheckpointStore(log_store.engine)
        latest, k = c.latest(), s.quorum
        witnessed = c.latest_cosigned(k) if k else None
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
        dep = s.data_dir / "deployment.json"
        if dep.exists():
            out.print(f"deployment       {dep}")

    run(body)


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
