"""The ``chainwitness`` command.

Every command reads the same Settings (``CHAINWITNESS_*`` environment variables,
or ``--data-dir``). Errors print one line saying what was expected and what was
found, and exit non-zero.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any, TypeVar

import httpx
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from ledger_service import __version__
from ledger_service.core.errors import EvidenceError, MalformedInput
from ledger_service.settings import Settings
from ledger_service.store.tokens import ROLES

app = typer.Typer(
    help="Chain Witness (链见证): verifiable evidence log anchored on an EVM chain.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
token_app = typer.Typer(help="API tokens with roles (admin only).", no_args_is_help=True)
app.add_typer(token_app, name="token")


def _add_tender_commands() -> None:
    from importlib.metadata import entry_points

    from ledger_service.cli_tenders import (
        bid_app,
        court_app,
        custodian_app,
        tender_app,
        witness_app,
    )

    for ep in entry_points(group="chainwitness.cli"):  # e.g. `chainwitness notary ...`
        try:
            app.add_typer(ep.load(), name=ep.name)
        except Exception as exc:  # a broken plugin must not break the command
            logging.getLogger("chainwitness.cli").warning("plugin %s: %s", ep.name, exc)
    app.add_typer(bid_app, name="bid")
    app.add_typer(witness_app, name="witness")
    app.add_typer(court_app, name="court")
    app.add_typer(custodian_app, name="custodian")
    app.add_typer(tender_app, name="tender")


out = Console(soft_wrap=True)
err = Console(stderr=True)
T = TypeVar("T")
_CHUNK = 1024 * 1024

DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir", help="state directory [env CHAINWITNESS_DATA_DIR]", show_default=False
    ),
]


def _settings(data_dir: Path | None, **overrides: Any) -> Settings:
    values = {k: v for k, v in overrides.items() if v is not None}
    if data_dir is not None:
        values["data_dir"] = data_dir
    return Settings(**values)


def _run(fn: Callable[[], T]) -> T:
    """Run a command body, turning our errors into one line and exit status 1."""
    try:
        return fn()
    except EvidenceError as exc:
        err.print(f"[red]error[/red]: {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None


@app.callback()
def _main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="log debug details")] = False,
) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for noisy in ("web3", "urllib3", "httpx", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


@app.command()
def version() -> None:
    """Print the version."""
    out.print(f"chainwitness {__version__}")


@app.command()
def init(data_dir: DataDir = None) -> None:
    """Create the data directory and database, start the chain and deploy the contracts."""
    from ledger_service.runtime import open_services

    def body() -> None:
        s = _settings(data_dir)
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
        finally:
            services.close()

    _run(body)


@app.command()
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
        s = _settings(data_dir, host=host, port=port)
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
                )
                if s.anchoring_enabled
                else None
            )
            api = create_app(services, anchorer=anchorer, watch_tenders=True)
            uvicorn.run(api, host=s.host, port=s.port, log_level="info")
        finally:
            services.close()

    _run(body)


@token_app.command("create")
def token_create(
    role: Annotated[str, typer.Option(help=f"one of {', '.join(ROLES)}")],
    name: Annotated[str, typer.Option(help="who holds the token (shown as the actor)")],
    data_dir: DataDir = None,
) -> None:
    """Create an API token; it is printed once and only its hash is stored."""
    from ledger_service.runtime import open_store
    from ledger_service.store.tokens import create_token

    def body() -> None:
        log_store, _, _ = open_store(_settings(data_dir))
        info, secret = create_token(log_store.engine, name, role)
        err.print(
            f"token {info.id} for {info.name} ({info.role}); store it now, it is not shown again:"
        )
        out.print(secret, highlight=False)

    _run(body)


@token_app.command("list")
def token_list(data_dir: DataDir = None) -> None:
    """List tokens (never their secrets)."""
    from ledger_service.runtime import open_store
    from ledger_service.store.tokens import list_tokens

    def body() -> None:
        log_store, _, _ = open_store(_settings(data_dir))
        table = Table("id", "name", "role", "created", "revoked")
        for t in list_tokens(log_store.engine):
            table.add_row(str(t.id), t.name, t.role, t.created_at, "yes" if t.revoked else "")
        out.print(table)

    _run(body)


@token_app.command("revoke")
def token_revoke(token_id: int, data_dir: DataDir = None) -> None:
    """Revoke a token by id."""
    from ledger_service.runtime import open_store
    from ledger_service.store.tokens import revoke_token

    def body() -> None:
        log_store, _, _ = open_store(_settings(data_dir))
        revoke_token(log_store.engine, token_id)
        out.print(f"token {token_id} revoked")

    _run(body)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=False,
    )


def _read_chunks(path: Path, progress: Progress, task: Any) -> Iterator[bytes]:
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            progress.advance(task, len(chunk))
            yield chunk


@app.command()
def deposit(
    files: Annotated[
        list[Path], typer.Argument(help="files to record", exists=True, dir_okay=False)
    ],
    subject: Annotated[str | None, typer.Option(help="subject, e.g. tender:GC-2026-0417")] = None,
    kind: Annotated[str, typer.Option(help="record kind")] = "file",
    server: Annotated[
        str | None, typer.Option(help="deposit through this API instead of locally")
    ] = None,
    token: Annotated[
        str | None,
        typer.Option(
            help="operator token for --server [env CHAINWITNESS_TOKEN]", envvar="CHAINWITNESS_TOKEN"
        ),
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Record files: their SHA-256 enters the log, the content goes to the file store."""

    def body() -> None:
        results = (
            _deposit_remote(files, subject, kind, server, token)
            if server
            else _deposit_local(files, subject, kind, _settings(data_dir))
        )
        # one line per file, tab-separated: easy to read and to pipe
        for index, digest, path in results:
            out.print(f"{index}\t{digest}\t{path}", highlight=False)

    _run(body)


def _deposit_local(
    files: list[Path], subject: str | None, kind: str, s: Settings
) -> list[tuple[int, str, Path]]:
    import asyncio

    from ledger_service.core.records import EvidenceRecord
    from ledger_service.runtime import open_store

    log_store, _, blobs = open_store(s)
    results = []
    with _progress() as progress:
        for path in files:
            task = progress.add_task(path.name, total=path.stat().st_size)

            async def chunks(p: Path = path, t: Any = task) -> Any:
                for c in _read_chunks(p, progress, t):
                    yield c

            blob = asyncio.run(blobs.put_stream(chunks()))
            record = EvidenceRecord.create(
                kind=kind,
                subject=subject or f"file:{blob.sha256}",
                actor="cli:" + (Path.home().name or "local"),
                digests={"sha256": blob.sha256},
                metadata={"name": path.name, "size": blob.size},
            )
            res = log_store.append([record])
            results.append((res.first_index, blob.sha256, path))
    return results


def _deposit_remote(
    files: list[Path], subject: str | None, kind: str, server: str, token: str | None
) -> list[tuple[int, str, Path]]:
    if not token:
        raise MalformedInput("expected --token (or CHAINWITNESS_TOKEN) with --server, found none")
    results = []
    with _progress() as progress, httpx.Client(base_url=server, timeout=300) as http:
        for path in files:
            task = progress.add_task(path.name, total=path.stat().st_size)
            params = {"name": path.name, "kind": kind}
            if subject:
                params["subject"] = subject
            resp = http.post(
                "/v1/files",
                params=params,
                content=_read_chunks(path, progress, task),
                headers={
                    "Authorization": f"Bearer {token}",
                    "Content-Type": "application/octet-stream",
                },
            )
            body = _checked(resp)
            results.append((int(body["index"]), str(body["sha256"]), path))
    return results


def _checked(resp: httpx.Response) -> Any:
    if resp.status_code >= 400:
        try:
            detail = resp.json().get("detail", resp.text)
        except ValueError:
            detail = resp.text
        raise MalformedInput(f"server answered {resp.status_code}: {detail}")
    return resp.json()


@app.command()
def proof(
    index: Annotated[int, typer.Argument(help="record index")],
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="write the proof here")
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Export a record's inclusion proof (with its anchor) as JSON."""
    from ledger_service.evidence.proofs import inclusion_proof
    from ledger_service.runtime import open_store

    def body() -> None:
        log_store, anchors, _ = open_store(_settings(data_dir))
        text = json.dumps(inclusion_proof(log_store, anchors, index).to_json(), indent=2)
        if output:
            output.write_text(text + "\n")
            err.print(f"proof written to {output}")
        else:
            out.print_json(text)

    _run(body)


@app.command()
def verify(
    target: Annotated[
        str,
        typer.Argument(
            help="an evidence package (.zip), a saved proof (.json), a file, or a SHA-256 digest"
        ),
    ],
    rpc: Annotated[
        str | None, typer.Option(help="check the anchor against this JSON-RPC endpoint")
    ] = None,
    server: Annotated[
        str | None, typer.Option(help="fetch proofs for a digest or file from this API")
    ] = None,
) -> None:
    """Verify a proof offline and, with --rpc, against the chain. Needs no database."""
    from ledger_service.evidence.verify import verify_proof_file, verify_remote_digest

    def body() -> None:
        path = Path(target)
        if target.endswith(".zip"):
            from ledger_service.evidence.package_rpc import verify_package

            report = verify_package(path, rpc_url=rpc)
            lines = report.lines()
            if not rpc:
                lines.append("--  anchors not checked on chain (pass --rpc URL to check them)")
            lines.append(f"OK  evidence package {report.package_id} verified")
        elif path.suffix == ".json" and path.is_file():
            lines = verify_proof_file(path, rpc)
        else:
            if path.is_file():
                digest = _sha256_file(path)
            elif len(target) == 64 and all(c in "0123456789abcdefABCDEF" for c in target):
                digest = target.lower()
            else:
                raise MalformedInput(
                    f"expected a proof .json file, a file or a 64-hex SHA-256 digest, found {target!r}"
                )
            if not server:
                raise MalformedInput("expected --server to look up a digest, found none")
            lines = verify_remote_digest(server, digest, rpc)
        for line in lines:
            out.print(line, highlight=False)

    _run(body)


@app.command()
def package(
    subject: Annotated[
        str, typer.Argument(help="a record index, a SHA-256 digest, or a subject (tender:CODE)")
    ],
    output: Annotated[Path, typer.Option("-o", "--output", help="write the package here")],
    no_files: Annotated[
        bool, typer.Option("--no-files", help="leave the original files out")
    ] = False,
    data_dir: DataDir = None,
) -> None:
    """Build an evidence package (取证包) for a subject; its digest is recorded in the log."""
    from ledger_service.evidence.packaging import build_package
    from ledger_service.runtime import open_services

    def body() -> None:
        services = open_services(_settings(data_dir))
        try:
            data = build_package(services.package_sources(), subject, include_files=not no_files)
        finally:
            services.close()
        output.write_bytes(data)
        err.print(f"package written to {output}")
        out.print(f"{hashlib.sha256(data).hexdigest()}\t{output}", highlight=False)

    _run(body)


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


@app.command()
def status(data_dir: DataDir = None) -> None:
    """Show the log's head, the newest anchor and the chain deployment."""
    from ledger_service.runtime import open_store

    def body() -> None:
        s = _settings(data_dir)
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
        dep = s.data_dir / "deployment.json"
        if dep.exists():
            out.print(f"deployment       {dep}")

    _run(body)


_add_tender_commands()


def main() -> None:
    """Entry point: usage errors, like our own errors, are one line on stderr."""
    try:  # typer 0.2x vendors click; older ones use the click package
        from typer._click import exceptions as click
    except ImportError:  # pragma: no cover
        import click  # type: ignore[no-redef]

    try:
        code = app(standalone_mode=False)
    except click.ClickException as exc:  # a missing or malformed option or argument
        err.print(f"error: {exc.format_message()} (see --help)", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)
