"""``chainwitness notary ...``: check a notarization certificate from the command line.

Offered to ``ledger_service.cli`` through the ``chainwitness.cli`` entry point group.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ledger_service.core.errors import EvidenceError
from ledger_service.core.packages import MAX_PACKAGE_BYTES
from ledger_service.core.trust_policy import TrustPolicy

app = typer.Typer(help="数字公证 Digital notarization certificates.", no_args_is_help=True)


@app.callback()
def _group() -> None:
    """数字公证 Digital notarization certificates."""


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
