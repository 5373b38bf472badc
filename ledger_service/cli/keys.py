"""Parties' own keys: ``key create`` and ``key show``.

A bidder, custodian or notary makes its key on its own machine; the command writes
the encrypted key file and, beside it, ``FILE.pub.json``: the public key and the
address to hand to the operator (``tender register-bidder --from FILE.pub.json``).
"""

from __future__ import annotations

import getpass
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from ledger_service.cli.console import out, run
from ledger_service.core.errors import MalformedInput
from ledger_service.reports.ca import MIN_PASSWORD_LENGTH  # one rule for every key password
from ledger_service.tenders.handover import KEY_ROLES, Handover

PASSWORD_ENV = "CHAINWITNESS_KEY_PASSWORD"


def new_password(password_file: Path | None, what: str) -> str:
    """The password for a new key: first line of ``password_file``, else
    ``CHAINWITNESS_KEY_PASSWORD``, else asked twice on the terminal.

    Raises:
        MalformedInput: no source (no terminal), two answers that differ, or a short one.
    """
    if password_file is not None:
        try:
            lines = password_file.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise MalformedInput(
                f"--password-file: expected a readable file, found {password_file}: {exc}"
            ) from None
        secret = lines[0] if lines else ""
    elif os.environ.get(PASSWORD_ENV):
        secret = os.environ[PASSWORD_ENV]
    elif sys.stdin.isatty():
        secret = getpass.getpass(f"new password for {what}: ")
        if getpass.getpass("again: ") != secret:
            raise MalformedInput("password: expected the same answer twice, found two different")
    else:
        raise MalformedInput(
            f"password: expected a terminal to ask on, --password-file or {PASSWORD_ENV}, "
            "found none of them"
        )
    if len(secret) < MIN_PASSWORD_LENGTH:
        raise MalformedInput(
            f"password: expected at least {MIN_PASSWORD_LENGTH} characters, found {len(secret)}"
        )
    return secret


def _handover_path(keyfile: Path) -> Path:
    return keyfile.with_name(keyfile.name + ".pub.json")


def _print(h: Handover, path: Path) -> None:
    out.print(f"role        {h.role}")
    out.print(f"name        {h.name}")
    out.print(f"address     {h.address}")
    out.print(f"public key  {h.public_key}")
    for code, pseudonym in sorted(h.pseudonyms.items()):
        out.print(f"pseudonym   {pseudonym} (tender {code})")
    out.print(f"hand over   {path} (no secret in it)")


def key_create(
    role: Annotated[str, typer.Option(help=f"one of {', '.join(KEY_ROLES)}")],
    name: Annotated[str, typer.Option(help="your name as the operator registers it")],
    output: Annotated[Path, typer.Option("--out", "-o", help="key file to create (encrypted)",
                                         dir_okay=False)],
    password_file: Annotated[Path | None, typer.Option(
        help="file whose first line is the password (default: asked on the terminal)",
        dir_okay=False)] = None,
    tender: Annotated[list[str] | None, typer.Option(
        help="bidders: also derive the pseudonym for this tender code (repeatable)")] = None,
) -> None:  # fmt: skip
    """Create your key on this machine and print what to hand to the operator.

    Writes the encrypted key file (--out) and FILE.pub.json beside it: role, name,
    address and public key (bidders: also a pseudonym per --tender). The operator
    registers you with `tender register-bidder --from FILE.pub.json`, or names your
    address as a custodian; on the embedded chain your token funds your account.
    """

    def body() -> None:
        if role not in KEY_ROLES:
            raise MalformedInput(f"--role: expected one of {', '.join(KEY_ROLES)}, found {role!r}")
        if tender and role != "bidder":
            raise MalformedInput(f"--tender: expected only with --role bidder, found {role}")
        handover_file = _handover_path(output)
        for path in (output, handover_file):
            if path.exists():
                raise MalformedInput(f"expected a new file, found {path} already there")
        secret = new_password(password_file, str(output))
        if role == "custodian":
            from ledger_service.tenders.custodian import CustodianAgent

            agent = CustodianAgent.create(name)
            agent.save(output, secret)
            h = Handover(role, name, agent.address, agent.public_key.hex())
        else:
            from ledger_service.chain.keys import create_keystore
            from ledger_service.tenders.bidder import bidder_public_key

            account = create_keystore(output, secret)
            h = Handover(role, name, account.address, bidder_public_key(account).hex(),
                         _pseudonyms(account, tender or []))  # fmt: skip
        handover_file.write_bytes(h.to_bytes())
        _print(h, handover_file)

    run(body)


def _pseudonyms(account: object, codes: list[str]) -> dict[str, str]:
    from ledger_service.chain.tender_messages import tender_id_bytes
    from ledger_service.tenders.bidder import pseudonym_of

    return {c: pseudonym_of(account, tender_id_bytes(c)).address for c in codes}  # type: ignore[arg-type]


def key_show(
    keystore: Annotated[Path, typer.Option(exists=True, dir_okay=False,
                                           help="your key file (from key create)")],
    tender: Annotated[list[str] | None, typer.Option(
        help="bidders: add the pseudonym for this tender code (repeatable)")] = None,
) -> None:  # fmt: skip
    """Print your hand-over (FILE.pub.json); with --tender add that tender's pseudonym."""

    def body() -> None:
        handover_file = _handover_path(keystore)
        try:
            h = Handover.from_bytes(handover_file.read_bytes())
        except OSError:
            raise MalformedInput(
                f"expected {handover_file} beside the key (written by key create), found none"
            ) from None
        if tender:
            if h.role != "bidder":
                raise MalformedInput(f"--tender: expected a bidder's key, found a {h.role}'s")
            from ledger_service.cli.console import account as load_account

            account = load_account(keystore)
            if account.address != h.address:
                raise MalformedInput(
                    f"expected {keystore} to hold {h.address} (its hand-over), found "
                    f"{account.address}"
                )
            h = Handover(h.role, h.name, h.address, h.public_key,
                         {**h.pseudonyms, **_pseudonyms(account, tender)})  # fmt: skip
            handover_file.write_bytes(h.to_bytes())
        _print(h, handover_file)

    run(body)


def register(app: typer.Typer) -> None:
    """Add the ``key`` group to ``app``."""
    keys = typer.Typer(
        help="Your own keys (bidders, custodians, notaries): create one, show what to hand over.",
        no_args_is_help=True,
    )
    keys.command("create")(key_create)
    keys.command("show")(key_show)
    app.add_typer(keys, name="key")
