"""notary.own_key: what the service checks before relaying a notary's own signatures."""

from __future__ import annotations

import hashlib

import pytest
from eth_account import Account
from eth_utils.crypto import keccak

from ledger_service.chain.compiled import load_artifact
from ledger_service.chain.deployment import NOTARY_REGISTRY
from ledger_service.chain.eip712 import sign_typed
from ledger_service.core.errors import Forbidden, MalformedInput, VerificationFailed
from notary import own_key

NOTARY = Account.from_key(hashlib.sha256(b"own_key notary").digest())
OTHER = Account.from_key(hashlib.sha256(b"own_key other").digest())
REGISTRY = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
DIGEST, PACKAGE, ROOT = (hashlib.sha256(n).digest() for n in (b"cert", b"package", b"root"))


def _raw(
    account: object, data: bytes, *, to: str = REGISTRY, value: int = 0, chain_id: int = 31337
) -> bytes:
    tx = {"nonce": 3, "gasPrice": 10**9, "gas": 150_000, "to": to, "value": value, "data": data,
          "chainId": chain_id}  # fmt: skip
    return bytes(Account.sign_transaction(tx, account.key).raw_transaction)  # type: ignore[attr-defined]


def test_calldata_selectors_are_the_contracts() -> None:
    abi = load_artifact(NOTARY_REGISTRY)["abi"]
    signature = {f["name"]: f"{f['name']}({','.join(i['type'] for i in f['inputs'])})"
                 for f in abi if f.get("type") == "function"}  # fmt: skip
    register = own_key.register_calldata(DIGEST, PACKAGE, 7, ROOT)
    assert register[:4] == keccak(signature["registerCertificate"].encode())[:4]
    assert register[4:] == DIGEST + PACKAGE + (7).to_bytes(32, "big") + ROOT
    revoke = own_key.revoke_calldata(DIGEST, 4)
    assert revoke[:4] == keccak(signature["revokeCertificate"].encode())[:4]
    assert revoke[4:] == DIGEST + (4).to_bytes(32, "big")


def test_a_signed_call_decodes_to_its_signer_and_passes_when_exact() -> None:
    data = own_key.register_calldata(DIGEST, PACKAGE, 7, ROOT)
    call = own_key.decode_call(_raw(NOTARY, data))
    assert (call.sender, call.to, call.chain_id, call.value, call.data) == (
        NOTARY.address, REGISTRY, 31337, 0, data)  # fmt: skip
    own_key.check_call(
        call, sender=NOTARY.address, to=REGISTRY, chain_id=31337, data=data, what="registration"
    )


def test_another_signer_is_refused_by_name() -> None:
    data = own_key.register_calldata(DIGEST, PACKAGE, 7, ROOT)
    call = own_key.decode_call(_raw(OTHER, data))
    with pytest.raises(
        Forbidden,
        match=f"expected a transaction signed by the notary {NOTARY.address}, found one signed by {OTHER.address}",
    ):
        own_key.check_call(
            call, sender=NOTARY.address, to=REGISTRY, chain_id=31337, data=data, what="registration"
        )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"to": OTHER.address}, "expected a transaction to NotaryRegistry"),
        ({"chain_id": 1}, "on chain 31337, found one to .* on chain 1"),
        ({"value": 1}, "sending no value"),
        ({"data": own_key.register_calldata(DIGEST, PACKAGE, 8, ROOT)}, "sending no value"),
    ],
)
def test_another_call_is_refused(change: dict[str, object], message: str) -> None:
    data = own_key.register_calldata(DIGEST, PACKAGE, 7, ROOT)
    call = own_key.decode_call(_raw(NOTARY, **{"data": data, **change}))  # type: ignore[arg-type]
    with pytest.raises(VerificationFailed, match=message):
        own_key.check_call(
            call, sender=NOTARY.address, to=REGISTRY, chain_id=31337, data=data, what="registration"
        )


@pytest.mark.parametrize(
    "raw", [b"", b"\x01\x02", b"\xc0", bytes(4097)], ids=["empty", "junk", "empty list", "too long"]
)
def test_what_is_not_a_signed_legacy_transaction_is_malformed(raw: bytes) -> None:
    with pytest.raises(MalformedInput, match="transaction: expected"):
        own_key.decode_call(raw)


def test_authorized_names_both_keys_and_needs_office() -> None:
    own_key.authorized(
        NOTARY.address, f"did:pkh:eip155:31337:{NOTARY.address}", True, "certificate"
    )
    own_key.authorized(NOTARY.address, None, True, "certificate")
    with pytest.raises(
        Forbidden,
        match=f"^certificate: expected the signature of the authorized notary {NOTARY.address}, found one by {OTHER.address}$",
    ):
        own_key.authorized(OTHER.address, NOTARY.address, True, "certificate")
    with pytest.raises(Forbidden, match="expected a notary authorized on NotaryRegistry"):
        own_key.authorized(NOTARY.address, NOTARY.address, False, "rejection")


def test_a_rejection_recovers_its_signer() -> None:
    typed = own_key.rejection_typed_data(31337, REGISTRY, 5, PACKAGE.hex(), "材料不全")
    assert own_key.rejection_signer(typed, sign_typed(NOTARY, typed)) == NOTARY.address
    other = own_key.rejection_typed_data(31337, REGISTRY, 6, PACKAGE.hex(), "材料不全")
    assert own_key.rejection_signer(other, sign_typed(NOTARY, typed)) != NOTARY.address
    with pytest.raises(MalformedInput, match="expected 65 bytes"):
        own_key.rejection_signer(typed, b"\x00" * 64)
