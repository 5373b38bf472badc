#!/usr/bin/env python3
"""Generate a four-validator Besu QBFT network for the consortium topology in compose.yaml.

Usage:
    deploy/generate_network.py deploy/network                # keys, genesis, env files
    deploy/generate_network.py deploy/network --chain-id 20261203 --block-period 2
    deploy/generate_network.py OUT --validator-address centre=0x.. (x4)   # keys made elsewhere

Writes into OUT (refusing to overwrite without --force):

- ``<institution>/key``: the validator's secp256k1 node key (``0x`` + 64 hex, mode 0600), as
  Besu's ``--node-private-key-file`` reads it; ``<institution>/address`` and
  ``<institution>/enode.pub`` (its 64-byte public key, the enode id);
- ``genesis.json``: QBFT (``config.qbft``), London at block 0 and no later fork, so the EVM
  lacks PUSH0 and MCOPY: the service deploys its ``paris`` bytecode there
  (``CHAINWITNESS_EVM_VERSION=auto``); ``zeroBaseFee`` so that custodians and witnesses need
  no funds; ``extraData`` = RLP([32 zero bytes, [validators], [], 0, []]) as Besu's
  ``QbftExtraDataCodec.encodeFromAddresses`` writes it;
- ``network.env`` (mode 0600): ``CHAIN_ID``, ``BOOTNODES``, ``VALIDATORS`` (the four
  addresses, a JSON list, pinned in the trust policy) and a fresh ``POSTGRES_PASSWORD``
  for compose.yaml; ``service.env`` (0600): the service's signing key (a fresh account,
  funded in the genesis).

In a real consortium each institution makes its own node key on its own machine and hands
over only its address: pass them as ``--validator-address NAME=0x...`` and no key is written.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
from pathlib import Path
from typing import Any

import rlp
from coincurve import PrivateKey
from eth_hash.auto import keccak

#: the four validators of the consortium (docs/deployment.md)
INSTITUTIONS = ("centre", "regulator", "court", "notary")
#: Besu's BFT mixHash, "Istanbul byzantine fault tolerance"
BFT_MIX_HASH = "0x63746963616c2062797a616e74696e65206661756c7420746f6c6572616e6365"
P2P_PORT = 30303
SERVICE_FUNDING_WEI = 10**24


def qbft_genesis_extra_data(validators: list[bytes]) -> str:
    """``0x`` + RLP([vanity: 32 zero bytes, validators, vote: [], round: 0, seals: []])."""
    if not validators or any(len(v) != 20 for v in validators):
        raise ValueError("expected at least one 20-byte validator address")
    return "0x" + rlp.encode([bytes(32), list(validators), [], b"", []]).hex()


def new_key() -> PrivateKey:
    return PrivateKey(secrets.token_bytes(32))


def public_key(key: PrivateKey) -> bytes:
    """The 64-byte uncompressed public key without its 0x04 prefix (the enode id)."""
    return key.public_key.format(compressed=False)[1:]


def address_of(public: bytes) -> bytes:
    return keccak(public)[-20:]


def genesis(
    chain_id: int, block_period: int, validators: list[bytes], funded: list[bytes]
) -> dict[str, Any]:
    return {
        "config": {
            "chainId": chain_id,
            "homesteadBlock": 0, "eip150Block": 0, "eip155Block": 0, "eip158Block": 0,
            "byzantiumBlock": 0, "constantinopleBlock": 0, "petersburgBlock": 0,
            "istanbulBlock": 0, "berlinBlock": 0, "londonBlock": 0,
            "zeroBaseFee": True,
            "qbft": {
                "blockperiodseconds": block_period,
                "epochlength": 30000,
                "requesttimeoutseconds": max(4, 2 * block_period),
            },
        },
        "nonce": "0x0",
        "timestamp": "0x0",
        "gasLimit": "0x1fffffffffffff",
        "difficulty": "0x1",
        "mixHash": BFT_MIX_HASH,
        "coinbase": "0x" + "00" * 20,
        "alloc": {"0x" + a.hex(): {"balance": hex(SERVICE_FUNDING_WEI)} for a in funded},
        "extraData": qbft_genesis_extra_data(validators),
    }  # fmt: skip


def _write(path: Path, text: str, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(path, mode)


def _parse_addresses(items: list[str]) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for item in items:
        name, _, value = item.partition("=")
        text = value.removeprefix("0x")
        if name not in INSTITUTIONS or len(text) != 40 or text.strip("0123456789abcdefABCDEF"):
            raise SystemExit(
                f"error: expected --validator-address NAME=0x<40 hex> with NAME in "
                f"{list(INSTITUTIONS)}, found {item!r}"
            )
        out[name] = bytes.fromhex(text)
    if set(out) != set(INSTITUTIONS):
        raise SystemExit(
            f"error: expected an address for each of {list(INSTITUTIONS)}, found {sorted(out)}"
        )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="directory to write (e.g. deploy/network)")
    parser.add_argument("--chain-id", type=int, default=20261203)
    parser.add_argument("--block-period", type=int, default=2, help="seconds per block")
    parser.add_argument("--validator-address", action="append", default=[],
                        help="NAME=0x... of a validator whose key was made elsewhere (x4)")  # fmt: skip
    parser.add_argument("--force", action="store_true", help="overwrite an existing OUT")
    args = parser.parse_args(argv)
    out: Path = args.out
    if not 1 <= args.chain_id < 2**53 or not 1 <= args.block_period <= 60:
        print(
            "error: expected 1 <= chain id < 2**53 and 1 <= block period <= 60 s", file=sys.stderr
        )
        return 1
    if (out / "genesis.json").exists() and not args.force:
        print(f"error: expected no network in {out}, found genesis.json (use --force)",
              file=sys.stderr)  # fmt: skip
        return 1
    publics: dict[str, bytes | None] = {}
    if args.validator_address:
        addresses = _parse_addresses(args.validator_address)
        publics = dict.fromkeys(INSTITUTIONS)
    else:
        addresses = {}
        for name in INSTITUTIONS:
            key = new_key()
            publics[name] = public_key(key)
            addresses[name] = address_of(public_key(key))
            _write(out / name / "key", "0x" + key.secret.hex(), 0o600)
            _write(out / name / "enode.pub", public_key(key).hex() + "\n")
    for name, address in addresses.items():
        _write(out / name / "address", "0x" + address.hex() + "\n")
    service = new_key()
    service_address = address_of(public_key(service))
    gen = genesis(args.chain_id, args.block_period, [addresses[n] for n in INSTITUTIONS],
                  [service_address])  # fmt: skip
    _write(out / "genesis.json", json.dumps(gen, indent=2) + "\n")
    boot = publics[INSTITUTIONS[0]]
    bootnodes = f"enode://{boot.hex()}@validator-centre:{P2P_PORT}" if boot else ""
    validators = json.dumps(
        ["0x" + addresses[n].hex() for n in INSTITUTIONS], separators=(",", ":")
    )
    _write(out / "network.env", f"CHAIN_ID={args.chain_id}\nBOOTNODES={bootnodes}\n"
           f"VALIDATORS={validators}\nPOSTGRES_PASSWORD={secrets.token_hex(16)}\n", 0o600)  # fmt: skip
    _write(out / "service.env",
           f"CHAINWITNESS_SIGNER_KEY=0x{service.secret.hex()}\n", 0o600)  # fmt: skip
    print(f"wrote {out}: chain {args.chain_id}, validators "
          + ", ".join(f"{n} 0x{addresses[n].hex()}" for n in INSTITUTIONS)
          + f"; service account 0x{service_address.hex()}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
