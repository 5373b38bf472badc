"""The evidence log by hand: ``deposit``, ``proof``, ``verify``, ``package``."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer

from ledger_service.cli.console import (
    DataDir,
    PolicyFile,
    checked,
    err,
    exit_code_for,
    load_policy,
    out,
    progress_bar,
    read_chunks,
    run,
    settings_for,
    sha256_file,
)
from ledger_service.core.errors import EvidenceError, MalformedInput
from ledger_service.settings import Settings


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
            else _deposit_local(files, subject, kind, settings_for(data_dir))
        )
        # one line per file, tab-separated: easy to read and to pipe
        for index, digest, path in results:
            out.print(f"{index}\t{digest}\t{path}", highlight=False)

    run(body)


def _deposit_local(
    files: list[Path], subject: str | None, kind: str, s: Settings
) -> list[tuple[int, str, Path]]:
    import asyncio

    from ledger_service.core.records import EvidenceRecord
    from ledger_service.runtime import open_store

    log_store, _, blobs = open_store(s)
    results = []
    with progress_bar() as progress:
        for path in files:
            task = progress.add_task(path.name, total=path.stat().st_size)

            async def chunks(p: Path = path, t: Any = task) -> Any:
                for c in read_chunks(p, progress, t):
                    yield c

            blob = asyncio.run(blobs.put_stream(chunks()))
            record = EvidenceRecord.create(
                kind=kind,
                subject=subject or f"file:{blob.sha256}",
                actor="cli:" + (Path.home().name or "local"),
                digests=blob.digests,
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
    with progress_bar() as progress, httpx.Client(base_url=server, timeout=300) as http:
        for path in files:
            task = progress.add_task(path.name, total=path.stat().st_size)
            params = {"name": path.name, "kind": kind}
            if subject:
                params["subject"] = subject
            resp = http.post(
                "/v1/files",
                params=params,
                content=read_chunks(path, progress, task),
                headers={
                    "Authorization": f"Bearer {token}",
                    "Content-Type": "application/octet-stream",
                },
            )
            body = checked(resp)
            results.append((int(body["index"]), str(body["sha256"]), path))
    return results


def proof(
    index: Annotated[int, typer.Argument(help="record index")],
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="write the proof here")
    ] = None,
    data_dir: DataDir = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="print the proof as one line of JSON (for scripts)")
    ] = False,
) -> None:
    """Export a record's inclusion proof, its anchor and its cosigned checkpoint as JSON."""
    from ledger_service.evidence.proofs import proof_bundle
    from ledger_service.runtime import open_store
    from ledger_service.store.checkpoints import CheckpointStore

    def body() -> None:
        log_store, anchors, _ = open_store(settings_for(data_dir))
        bundle = proof_bundle(log_store, anchors, CheckpointStore(log_store.engine), index)
        text = json.dumps(bundle, indent=2)
        if output:
            output.write_text(text + "\n")
            err.print(f"proof written to {output}")
        elif as_json:
            print(json.dumps(bundle, separators=(",", ":"), ensure_ascii=False))
        else:
            out.print_json(text)

    run(body)


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
    policy_file: PolicyFile = None,
    require_production: Annotated[
        bool,
        typer.Option(
            "--require-production", help="refuse a development chain (one its operator controls)"
        ),
    ] = False,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help='print one JSON object: {"ok", "target", "checks": [{"status", "text"}], '
            '"error", "exit_code"}',
        ),
    ] = False,
) -> None:
    """Verify a proof offline and, with --rpc, against the chain. Needs no database.

    Exit status 0 verified, 1 verification failed, 2 usage, 3 could not check (the
    chain or the server did not answer)."""
    from ledger_service.evidence.verify import verify_proof_file, verify_remote_digest

    def checks(lines: list[str]) -> list[dict[str, str]]:
        found = []
        for line in lines:
            mark, _, text = line.partition("  ")
            found.append({"status": mark.strip() or "--", "text": text.strip() or line})
        return found

    def report_json() -> None:
        try:
            lines = body()
        except (EvidenceError, httpx.TransportError) as exc:
            code = exit_code_for(exc)
            print(json.dumps({"ok": False, "target": target, "checks": [], "error": str(exc),
                              "exit_code": code}, ensure_ascii=False))  # fmt: skip
            raise typer.Exit(code) from None
        print(json.dumps({"ok": True, "target": target, "checks": checks(lines), "error": None,
                          "exit_code": 0}, ensure_ascii=False))  # fmt: skip

    def body() -> list[str]:
        policy = load_policy(policy_file, require_production)
        path = Path(target)
        if target.endswith(".zip"):
            from ledger_service.evidence.package_rpc import verify_package

            report = verify_package(path, rpc_url=rpc, policy=policy)
            lines = report.lines()
            if policy is None:
                lines.append(
                    "--  chain, contract, log key and witnesses not pinned: this package is only "
                    "consistent with itself (pass --policy FILE)"
                )
            if not rpc:
                lines.append("--  anchors not checked on chain (pass --rpc URL to check them)")
            warned = sum(line.startswith("WARN") for line in lines)
            lines.append(f"OK  evidence package {report.package_id} verified"
                         + (f", with {warned} file(s) left out (WARN above)" if warned else ""))  # fmt: skip
        elif path.suffix == ".json" and path.is_file():
            lines = verify_proof_file(path, rpc, policy)
        else:
            if path.is_file():
                digest = sha256_file(path)
            elif len(target) == 64 and all(c in "0123456789abcdefABCDEF" for c in target):
                digest = target.lower()
            else:
                raise MalformedInput(
                    f"expected a proof .json file, a file or a 64-hex SHA-256 digest, found {target!r}"
                )
            if not server:
                raise MalformedInput("expected --server to look up a digest, found none")
            lines = verify_remote_digest(server, digest, rpc, policy)
        return lines

    def printed() -> None:
        for line in body():
            out.print(line, highlight=False, markup=False)

    if as_json:
        report_json()
    else:
        run(printed)


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
        services = open_services(settings_for(data_dir))
        try:
            data = build_package(services.package_sources(), subject, include_files=not no_files)
        finally:
            services.close()
        output.write_bytes(data)
        err.print(f"package written to {output}")
        out.print(f"{hashlib.sha256(data).hexdigest()}\t{output}", highlight=False)

    run(body)


def register(app: typer.Typer) -> None:
    """Add the evidence commands to ``app``."""
    app.command()(deposit)
    app.command()(proof)
    app.command()(verify)
    app.command()(package)
