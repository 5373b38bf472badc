"""``chainwitness notary ...``: check a notarization certificate from the command line.

Offered to ``ledger_service.cli`` through the ``chainwitness.cli`` entry point group.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from ledger_service.core.errors import EvidenceError
from ledger_service.core.packages import MAX_PACKAGE_BYTES
from ledger_service.core.trust_policy import TrustPolicy

app = typer.Typer(
    help="数字公证 Digital notarization: authorize notaries, request, issue, reject, revoke, "
    "verify certificates.",
    no_args_is_help=True,
)


@app.callback()
def _group() -> None:
    """数字公证 Digital notarization: authorize notaries, request, issue, reject, revoke,
    verify certificates."""


def _read(path: Path, limit: int, what: str) -> bytes:
    try:
        if path.stat().st_size > limit:
            raise typer.BadParameter(f"{what}: expected at most {limit} bytes, found more")
        return path.read_bytes()
    except OSError as exc:
        raise typer.BadParameter(
            f"{what}: expected a readable file at {path}, found: {exc}"
        ) from exc


@app.command()
def verify(
    cert: Annotated[str, typer.Argument(help="certificate file (compact JWS) or the JWS itself")],
    rpc: Annotated[str, typer.Option("--rpc", envvar="CHAINWITNESS_RPC_URL", help="JSON-RPC URL")],
    registry: Annotated[
        str | None,
        typer.Option(
            "--registry",
            envvar="CHAINWITNESS_NOTARY_REGISTRY_ADDRESS",
            help="NotaryRegistry address you trust (default: the one --policy pins)",
        ),
    ] = None,
    package: Annotated[
        Path | None, typer.Option("--package", help="the evidence package (zip) it certifies")
    ] = None,
    policy_file: Annotated[
        Path | None,
        typer.Option(
            "--policy", help="the pinned trust policy: refuses another chain, contract or notary"
        ),
    ] = None,
    require_production: Annotated[
        bool,
        typer.Option(
            "--require-production", help="refuse a development chain (one its operator controls)"
        ),
    ] = False,
) -> None:
    """Verify a certificate: signature, chain registration, notary, revocation, package.

    Prints one line per check; on failure prints one line and exits 1.
    """
    from notary.certificate import MAX_JWS_BYTES
    from notary.verify import verify_certificate

    try:
        path = Path(cert)
        jws = _read(path, MAX_JWS_BYTES, "certificate") if path.is_file() else cert.encode()
        data = _read(package, MAX_PACKAGE_BYTES, "package") if package is not None else None
        policy = (
            TrustPolicy.from_bytes(_read(policy_file, 1024**2, "policy"))
            if policy_file is not None
            else None
        )
        if require_production:
            if policy is None:
                raise typer.BadParameter("expected --policy with --require-production, found none")
            policy.require_production()
        if registry is None:
            if policy is None:
                raise typer.BadParameter("expected --registry or --policy, found neither")
            registry = policy.contract("NotaryRegistry")
        verdicts = verify_certificate(
            jws, rpc_url=rpc, registry_address=registry, package=data, policy=policy
        )
    except (EvidenceError, typer.BadParameter) as exc:
        typer.echo(f"FAILED {' '.join(str(exc).split())}")
        raise typer.Exit(1) from None
    for v in verdicts:
        typer.echo(v.line())


# -- the workflow by hand: authorize (the notary authority), request, issue, reject, revoke


def _api(server: str, token: str | None, method: str, path: str, **kw: Any) -> Any:
    import httpx

    from ledger_service.cli.console import checked

    headers = {"Authorization": f"Bearer {token}"} if token else {}
    resp = httpx.request(method, f"{server.rstrip('/')}{path}", headers=headers, timeout=600, **kw)
    return checked(resp)


def _show(view: dict[str, Any]) -> None:
    for key, value in view.items():
        if value not in (None, "", [], {}):
            typer.echo(f"{key:<20} {value}")


@app.command()
def authorize(
    address: Annotated[str, typer.Option(
        help="the notary's own chain address, or its FILE.pub.json (key create)")],
    name: Annotated[str, typer.Option(help="the notary office's name, e.g. 某市公证处")],
    server: Annotated[str | None, typer.Option(
        envvar="CHAINWITNESS_SERVER", help="embedded chain: the service plays the authority")] = None,
    token: Annotated[str | None, typer.Option(envvar="CHAINWITNESS_TOKEN",
                                              help="an admin token (with --server)")] = None,
    keystore: Annotated[Path | None, typer.Option(
        exists=True, dir_okay=False, help="real chain: the notary authority's own key")] = None,
    rpc: Annotated[str | None, typer.Option(envvar="CHAINWITNESS_RPC_URL",
                                            help="JSON-RPC of the chain (with --keystore)")] = None,
    registry: Annotated[str | None, typer.Option(
        envvar="CHAINWITNESS_NOTARY_REGISTRY_ADDRESS",
        help="NotaryRegistry address (with --keystore; default: the --policy's)")] = None,
    policy_file: Annotated[Path | None, typer.Option("--policy", dir_okay=False,
                                                     help="the pinned trust policy")] = None,
) -> None:  # fmt: skip
    """Authorize a notary on NotaryRegistry (the notary authority, 司法行政机关).

    With --keystore the authority signs on its own machine (any chain); with --server
    and an admin token the service does it on its embedded development chain.
    """
    from ledger_service.cli.console import account, load_policy, run
    from ledger_service.core.errors import MalformedInput

    def body() -> None:
        nonlocal address
        if address.endswith(".json"):
            from ledger_service.tenders.handover import Handover

            h = Handover.from_bytes(_read(Path(address), 64 * 1024, "--address"))
            if h.role != "notary":
                raise MalformedInput(f"--address {address}: expected a notary's hand-over, "
                                     f"found a {h.role}'s")  # fmt: skip
            address = h.address
        if keystore is None:
            if server is None:
                raise MalformedInput("expected --keystore (and --rpc) or --server, found neither")
            view = _api(server, token, "POST", "/v1/notary/notaries",
                        json={"address": address, "name": name})  # fmt: skip
        else:
            from ledger_service.chain.client import ChainClient
            from notary.api import notary_view
            from notary.registry import NotaryRegistryContract

            pinned = load_policy(policy_file)
            where = registry or (pinned.contract("NotaryRegistry") if pinned else None)
            if rpc is None or where is None:
                raise MalformedInput(
                    "expected --rpc and --registry (or --policy) with --keystore, found "
                    f"rpc {rpc!r}, registry {where!r}"
                )
            client = ChainClient(rpc, account(keystore), pinned.chain_id if pinned else None)
            contract = NotaryRegistryContract(client, where)
            tx = contract.authorize_notary(address, name)
            view = {**notary_view(address, contract), "tx_hash": tx.tx_hash}
        _show(view)

    run(body)


Server = Annotated[str, typer.Option(envvar="CHAINWITNESS_SERVER", help="the Chain Witness API")]
Token = Annotated[str | None, typer.Option(envvar="CHAINWITNESS_TOKEN", help="API token")]


@app.command()
def request(
    subject: Annotated[str, typer.Option(help="e.g. tender:GC-2026-0417")],
    server: Server, token: Token = None,
    note: Annotated[str, typer.Option(help="what the requester asks for")] = "",
) -> None:  # fmt: skip
    """Request notarization of a subject (operator, court or notary token)."""
    from ledger_service.cli.console import run

    run(lambda: _show(_api(server, token, "POST", "/v1/notary/requests",
                           json={"subject": subject, "note": note})))  # fmt: skip


@app.command()
def show(request_id: Annotated[int, typer.Argument(min=1)], server: Server,
         token: Token = None) -> None:  # fmt: skip
    """A notarization request and its status."""
    from ledger_service.cli.console import run

    run(lambda: _show(_api(server, token, "GET", f"/v1/notary/requests/{request_id}")))


@app.command()
def issue(
    request_id: Annotated[int, typer.Argument(min=1)], server: Server, token: Token = None,
    output: Annotated[Path | None, typer.Option("-o", help="write the certificate (JWS) here")] = None,
    pdf: Annotated[Path | None, typer.Option(help="write the signed certificate PDF here")] = None,
) -> None:  # fmt: skip
    """Review the evidence package and issue the certificate (notary token)."""
    from ledger_service.cli.console import run

    def body() -> None:
        view = _api(server, token, "POST", f"/v1/notary/requests/{request_id}/issue")
        if output is not None:
            output.write_text(view["jws"] + "\n")
        if pdf is not None:
            digest = view["certificate_digest"]
            import httpx

            resp = httpx.get(f"{server.rstrip('/')}/v1/notary/certificates/{digest}/pdf",
                             timeout=60)  # fmt: skip
            if resp.status_code >= 400:
                from ledger_service.cli.console import checked

                checked(resp)
            pdf.write_bytes(resp.content)
        _show({k: v for k, v in view.items() if k != "jws"}
              | ({"certificate file": str(output)} if output else {})
              | ({"pdf file": str(pdf)} if pdf else {}))  # fmt: skip

    run(body)


@app.command()
def reject(
    request_id: Annotated[int, typer.Argument(min=1)], server: Server,
    reason: Annotated[str, typer.Option(help="why no certificate is issued")], token: Token = None,
) -> None:  # fmt: skip
    """Reject a request, stating why (notary token)."""
    from ledger_service.cli.console import run

    run(lambda: _show(_api(server, token, "POST", f"/v1/notary/requests/{request_id}/reject",
                           json={"reason": reason})))  # fmt: skip


@app.command()
def revoke(
    digest: Annotated[str, typer.Argument(help="the certificate digest (hex)")], server: Server,
    reason_code: Annotated[int, typer.Option(min=1, max=255,
                                             help="RFC 5280 CRLReason, e.g. 4 superseded")],
    token: Token = None,
) -> None:  # fmt: skip
    """Revoke a certificate on chain (the notary that issued it)."""
    from ledger_service.cli.console import run

    run(lambda: _show(_api(server, token, "POST", f"/v1/notary/certificates/{digest}/revoke",
                           json={"reason_code": reason_code})))  # fmt: skip
