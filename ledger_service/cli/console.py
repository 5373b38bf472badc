"""What every command shares: output consoles, one-line errors, options, progress bars.

Commands import the service's modules inside their bodies, so that ``chainwitness
--help`` and light commands start without loading web3, SQLAlchemy or FastAPI.
"""

from __future__ import annotations

import getpass
import hashlib
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import httpx
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

from ledger_service.core.errors import ChainUnavailable, EvidenceError, MalformedInput
from ledger_service.settings import Settings

if TYPE_CHECKING:
    from ledger_service.core.trust_policy import TrustPolicy

out = Console(soft_wrap=True)
err = Console(stderr=True)
T = TypeVar("T")
CHUNK = 1024 * 1024

DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir", help="state directory [env CHAINWITNESS_DATA_DIR]", show_default=False
    ),
]
Server = Annotated[str, typer.Option(help="the Chain Witness API [env CHAINWITNESS_SERVER]",
                                     envvar="CHAINWITNESS_SERVER")]  # fmt: skip
Token = Annotated[str | None, typer.Option(help="API token [env CHAINWITNESS_TOKEN]",
                                           envvar="CHAINWITNESS_TOKEN")]  # fmt: skip
Keystore = Annotated[Path, typer.Option(help="your encrypted key (keystore JSON)", exists=True,
                                        dir_okay=False)]  # fmt: skip
TenderCode = Annotated[str, typer.Option("--tender", help="tender code, e.g. GC-2026-0417")]
PolicyFile = Annotated[
    Path | None,
    typer.Option(
        "--policy",
        help="the trust policy published with the tender notice: pinned chain, contracts, "
        "log key, witnesses (refuses artefacts naming anything else)",
        dir_okay=False,
    ),
]


def load_policy(path: Path | None, require_production: bool = False) -> TrustPolicy | None:
    """Read the pinned policy; with ``require_production`` refuse a development chain."""
    from ledger_service.core.trust_policy import TrustPolicy

    if path is None:
        if require_production:
            raise MalformedInput("expected --policy FILE with --require-production, found none")
        return None
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise MalformedInput(f"expected a trust policy file at {path}, found: {exc}") from None
    policy = TrustPolicy.from_bytes(data)
    if require_production:
        policy.require_production()
    return policy


def pinned_tender_chain(
    policy: TrustPolicy | None, chain_id: int | None, registry: str | None
) -> tuple[int, str]:
    """The chain id and TenderRegistry to use: the policy's, or the explicit options.

    Raises:
        MalformedInput: neither given, or an explicit value that differs from the policy's.
    """
    if policy is None:
        if chain_id is None or registry is None:
            raise MalformedInput(
                "expected --chain-id and --registry from the tender notice, or --policy FILE, "
                "found neither"
            )
        return chain_id, registry
    pinned = policy.contract("TenderRegistry")
    if chain_id is not None and chain_id != policy.chain_id:
        raise MalformedInput(
            f"--chain-id: expected {policy.chain_id} (the pinned policy), found {chain_id}"
        )
    if registry is not None and registry.lower() != pinned.lower():
        raise MalformedInput(f"--registry: expected {pinned} (the pinned policy), found {registry}")
    return policy.chain_id, pinned


def settings_for(data_dir: Path | None, **overrides: Any) -> Settings:
    values = {k: v for k, v in overrides.items() if v is not None}
    if data_dir is not None:
        values["data_dir"] = data_dir
    return Settings(**values)


#: exit statuses of every command (documented in ``chainwitness --help``)
EXIT_FAILED = 1  # verification failed, or the command was refused
EXIT_USAGE = 2  # options or arguments not as expected (click's usage errors)
EXIT_UNREACHABLE = 3  # could not check: the chain or the server did not answer
EXIT_CODES_HELP = (
    "Exit status: 0 done (verified); 1 verification failed or the command was refused; "
    "2 usage: options or arguments not as expected; 3 could not check: the chain or "
    "the server did not answer."
)


def exit_code_for(exc: BaseException) -> int:
    """The exit status for an error: 3 when nothing could be checked, else 1."""
    if isinstance(exc, ChainUnavailable | httpx.TransportError):
        return EXIT_UNREACHABLE
    return EXIT_FAILED


def run(fn: Callable[[], T]) -> T:
    """Run a command body, turning our errors into one line and exit status 1 (or 3 when
    the chain or the server could not be reached)."""
    try:
        return fn()
    except EvidenceError as exc:
        err.print(f"[red]error[/red]: {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(exit_code_for(exc)) from None
    except httpx.TransportError as exc:
        try:
            url: object = exc.request.url
        except RuntimeError:  # raised before a request was attached
            url = "the server"
        err.print(
            f"[red]error[/red]: expected {url} to answer, found {type(exc).__name__}: {exc}",
            highlight=False, soft_wrap=True,
        )  # fmt: skip
        raise typer.Exit(EXIT_UNREACHABLE) from None


def progress_bar() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=False,
    )


def read_chunks(path: Path, progress: Progress, task: Any) -> Iterator[bytes]:
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            progress.advance(task, len(chunk))
            yield chunk


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def checked(resp: httpx.Response) -> Any:
    if resp.status_code >= 400:
        try:
            detail = resp.json().get("detail", resp.text)
        except ValueError:
            detail = resp.text
        if resp.status_code in (502, 503, 504):  # the server, or its chain, is down
            raise ChainUnavailable(f"server answered {resp.status_code}: {detail}")
        raise MalformedInput(f"server answered {resp.status_code}: {detail}")
    return resp.json()


def password(env: str, what: str) -> str:
    """``env``'s value, else asked on the terminal. Raises MalformedInput with neither
    (no terminal: a script or a service), instead of stopping silently."""
    if os.environ.get(env):
        return os.environ[env]
    if not sys.stdin.isatty():
        raise MalformedInput(
            f"password for {what}: expected {env} or a terminal to ask on, found neither"
        )
    return getpass.getpass(f"password for {what}: ")


def account(keystore: Path) -> LocalAccount:
    from ledger_service.chain.keys import load_signer

    return load_signer(None, keystore, password("CHAINWITNESS_KEY_PASSWORD", str(keystore)))
