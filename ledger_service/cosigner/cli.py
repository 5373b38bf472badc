"""``chainwitness cosigner init|run|status``: run an independent log witness.

Standalone too: ``python -m ledger_service.cosigner init|run|status``. Every
command takes ``--data-dir`` (env ``CHAINWITNESS_COSIGNER_DIR``): the key, the
state and the evidence live there and nowhere else.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from ledger_service.core.errors import EvidenceError, MalformedInput
from ledger_service.core.gm_notes import SM2_COSIGNATURE, Sm2NoteSigner
from ledger_service.core.notes import SIG_TYPE_COSIGNATURE_V1, NoteSigner, VerifierKey
from ledger_service.core.sm2 import Sm2PrivateKey
from ledger_service.cosigner.store import DEFAULT_MAX_CLOCK_SKEW, CosignerConfig, DataDir

__all__ = ["app", "main"]

app = typer.Typer(
    help="Independent log witness (C2SP tlog-witness): cosigns consistent checkpoints only.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(soft_wrap=True)
err = Console(stderr=True)

DirOption = Annotated[
    Path,
    typer.Option(
        "--data-dir", envvar="CHAINWITNESS_COSIGNER_DIR", help="the cosigner's own directory"
    ),
]


def _fail(exc: EvidenceError) -> typer.Exit:
    err.print(f"[red]error[/red]: {exc}", highlight=False, soft_wrap=True)
    return typer.Exit(1)


def _parse_log(value: str) -> tuple[str, VerifierKey]:
    """``<vkey>``: the log's verifier key, whose name is the log's origin."""
    key = VerifierKey.from_text(value)
    return key.name, key


@app.command()
def init(
    data_dir: DirOption,
    name: Annotated[str, typer.Option(help="this cosigner's key name, e.g. court.example/witness")],
    log: Annotated[
        list[str], typer.Option(help="a pinned log verifier key <origin>+<id>+<key> (repeatable)")
    ],
    max_clock_skew: Annotated[
        int, typer.Option(help="refuse checkpoints claiming a time further off (s); 0 = no check")
    ] = DEFAULT_MAX_CLOCK_SKEW,
    gm: Annotated[
        bool, typer.Option("--gm", help="also make an SM2 key and cosign in SM2 (国密 profile)")
    ] = False,
) -> None:
    """Create the directory, a fresh Ed25519 key and the config; print the verifier key
    (with --gm the SM2 verifier key too, on a second line)."""
    try:
        logs = tuple(_parse_log(v) for v in log)
        signer = NoteSigner(name, os.urandom(32), SIG_TYPE_COSIGNATURE_V1)
        if len({o for o, _ in logs}) != len(logs):
            raise MalformedInput("--log: expected each origin once")
        config = CosignerConfig(name, logs, max_clock_skew or None)
        DataDir(data_dir).init(signer, config)
        sm2 = Sm2NoteSigner(name, Sm2PrivateKey.generate(), SM2_COSIGNATURE) if gm else None
        if sm2 is not None:
            DataDir(data_dir).init_sm2(sm2)
    except EvidenceError as exc:
        raise _fail(exc) from None
    err.print(f"cosigner {name} initialised in {data_dir}; its verifier key (for trust policies):")
    out.print(signer.verifier_key.to_text(), highlight=False)
    if sm2 is not None:
        out.print(sm2.verifier_key.to_text(), highlight=False)


@app.command()
def run(
    data_dir: DirOption,
    host: Annotated[str, typer.Option(help="bind address")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port")] = 7380,
) -> None:
    """Serve POST /add-checkpoint and GET /<origin hash>/checkpoint until stopped."""
    import uvicorn

    from ledger_service.cosigner.server import Cosigner, create_app

    data = DataDir(data_dir)
    try:
        held = data.lock()
        cosigner = Cosigner(data.signer(), data.config(), data, clock=lambda: int(time.time()),
                            sm2_signer=data.sm2_signer())  # fmt: skip
        data.heads()  # a corrupt state file stops the start, not the first request
    except EvidenceError as exc:
        raise _fail(exc) from None
    err.print(f"cosigner {cosigner.signer.name} on http://{host}:{port}", highlight=False)
    try:
        uvicorn.run(create_app(cosigner), host=host, port=port, log_level="warning")
    finally:
        held.close()


@app.command()
def status(
    data_dir: DirOption,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """Show the key, the pinned logs, the last cosigned sizes and the kept refusals."""
    data = DataDir(data_dir)
    try:
        signer, config, heads, refused = data.signer(), data.config(), data.heads(), data.evidence()
        sm2 = data.sm2_signer()
    except EvidenceError as exc:
        raise _fail(exc) from None
    sizes = {o: heads[o].size if o in heads else None for o, _ in config.logs}
    if as_json:
        report = {
            "name": signer.name,
            "verifier_key": signer.verifier_key.to_text(),
            "sm2_verifier_key": None if sm2 is None else sm2.verifier_key.to_text(),
            "max_clock_skew": config.max_clock_skew,
            "logs": {o: {"key": k.to_text(), "cosigned_size": sizes[o]} for o, k in config.logs},
            "refused": len(refused),
        }
        out.print_json(json.dumps(report))
        return
    out.print(f"cosigner      {signer.name}", highlight=False)
    out.print(f"verifier key  {signer.verifier_key.to_text()}", highlight=False)
    if sm2 is not None:
        out.print(f"SM2 key       {sm2.verifier_key.to_text()}", highlight=False)
    for origin, size in sizes.items():
        out.print(f"log           {origin}: cosigned size {size}", highlight=False)
    out.print(f"refused       {len(refused)} (evidence in {data_dir / 'refused.jsonl'})")


def main() -> None:
    """Entry point of ``python -m ledger_service.cosigner``: usage errors are one line."""
    try:  # typer 0.2x vendors click; older ones use the click package
        from typer._click import exceptions as click
    except ImportError:  # pragma: no cover
        import click  # type: ignore[no-redef]

    try:
        code = app(standalone_mode=False)
    except click.ClickException as exc:
        err.print(f"error: {exc.format_message()} (see --help)", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)
