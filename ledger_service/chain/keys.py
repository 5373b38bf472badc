"""Signing keys: a hex key or an encrypted keystore (Web3 Secret Storage)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_keyfile.keyfile import create_keyfile_json, decode_keyfile_json, load_keyfile

from ledger_service.core.errors import ConfigurationError


def load_signer(
    private_key: str | None, keystore_path: Path | None, keystore_password: str | None
) -> LocalAccount:
    """Return the account that signs transactions: from a hex key or a keystore.

    Exactly one of ``private_key`` and ``keystore_path`` must be given; a
    keystore needs its password. Messages never echo the secret.

    Raises:
        ConfigurationError: none or both sources, unreadable keystore, wrong
            password, or a key that is not 32 bytes of hex.
    """
    if (private_key is None) == (keystore_path is None):
        raise ConfigurationError(
            "expected exactly one of a private key or a keystore path, found "
            + ("both" if private_key is not None else "neither")
        )
    if private_key is not None:
        try:
            account: LocalAccount = Account.from_key(private_key)
        except (ValueError, TypeError) as exc:
            raise ConfigurationError(
                "expected the private key to be 32 bytes of hex (0x + 64 digits), "
                f"found a value of {len(private_key)} characters that is not"
            ) from exc
        return account
    assert keystore_path is not None
    if keystore_password is None:
        raise ConfigurationError(f"expected a password for keystore {keystore_path}, found none")
    try:
        keyfile = load_keyfile(str(keystore_path))
    except (OSError, ValueError) as exc:
        raise ConfigurationError(
            f"expected a JSON keystore at {keystore_path}, found: {exc}"
        ) from exc
    try:
        key = decode_keyfile_json(keyfile, keystore_password.encode())
    except ValueError as exc:
        raise ConfigurationError(
            f"expected the password to open keystore {keystore_path}, found it does not ({exc})"
        ) from exc
    except (KeyError, TypeError, NotImplementedError) as exc:
        raise ConfigurationError(
            f"expected a version 3 keystore at {keystore_path}, found malformed fields ({exc})"
        ) from exc
    opened: LocalAccount = Account.from_key(key)
    return opened


def create_keystore(path: Path, password: str, *, kdf: str = "scrypt") -> LocalAccount:
    """Create a new random account and write it as an encrypted keystore (mode 0600).

    Raises:
        ConfigurationError: ``path`` already exists (never overwritten) or cannot be written.
    """
    account: LocalAccount = Account.create()
    keyfile = create_keyfile_json(account.key, password.encode(), kdf=kdf)  # type: ignore[arg-type]
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise ConfigurationError(
            f"expected no file at {path} for a new keystore, found one (not overwritten)"
        ) from exc
    except OSError as exc:
        raise ConfigurationError(f"expected to create keystore {path}, found: {exc}") from exc
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(keyfile, f)
    return account
