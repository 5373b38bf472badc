"""ECIES on secp256k1, with proofs of what a ciphertext decrypts to.

A blob is ``E || nonce || ciphertext || tag``: the sender's fresh ephemeral public
key ``E = e·G`` (33 bytes, compressed), a 12-byte nonce, then AES-256-GCM output
(plaintext length + 16 bytes) under

    K   = e·P = x·E                         (compressed point, 33 bytes)
    key = HKDF-SHA256(ikm=K, salt=E || P, info=info, length=32)

where ``P = x·G`` is the recipient's public key. ``info`` names the use (the caller
passes a constant such as ``threshold.SHARE_INFO``); ``aad`` binds the context.

Accountable use (the DKG's complaints, docs/threshold-keys.md): the sender attaches a
*sender proof*, a Schnorr proof of knowledge of ``e`` bound to ``P``, the blob,
``aad`` and ``info``; the recipient can then *disclose* ``K`` with a Chaum-Pedersen
proof that ``log_G P = log_E K``, so anyone can decrypt that one blob and nothing
else. :func:`disclose` refuses without a valid sender proof: otherwise a sender
could copy someone else's ``E`` and use the recipient as a decryption oracle.

Pure: no I/O. ``rng(n)`` returns ``n`` random bytes (``secrets.token_bytes`` by
default; tests pass a seeded one). Wrong lengths or types raise ``MalformedInput``;
a blob or proof that does not check raises ``VerificationFailed``.
"""

from __future__ import annotations

import secrets

from coincurve import PublicKey
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ledger_service.core._secp256k1 import (
    CURVE_ORDER,
    POINT_SIZE,
    SCALAR_SIZE,
    Point,
    Rng,
)
from ledger_service.core._secp256k1 import add as _add
from ledger_service.core._secp256k1 import base as _base
from ledger_service.core._secp256k1 import hash_to_scalar as _hash_int
from ledger_service.core._secp256k1 import mul as _mul
from ledger_service.core._secp256k1 import parse_point as _point
from ledger_service.core._secp256k1 import random_scalar as _random_scalar
from ledger_service.core._secp256k1 import seen as _seen
from ledger_service.core.errors import MalformedInput, VerificationFailed

__all__ = [
    "CURVE_ORDER",
    "DISCLOSURE_SIZE",
    "NONCE_SIZE",
    "OVERHEAD",
    "POINT_SIZE",
    "PROOF_SIZE",
    "SCALAR_SIZE",
    "TAG_SIZE",
    "Point",
    "Rng",
    "decrypt",
    "decrypt_disclosed",
    "disclose",
    "encrypt",
    "encrypt_proven",
    "public_key",
    "verify_disclosure",
    "verify_sender",
]

NONCE_SIZE = 12
TAG_SIZE = 16
#: bytes a blob adds to its plaintext
OVERHEAD = POINT_SIZE + NONCE_SIZE + TAG_SIZE
#: sender proof: challenge c (32) || response z (32)
PROOF_SIZE = 2 * SCALAR_SIZE
#: disclosure: K (33) || challenge c (32) || response z (32)
DISCLOSURE_SIZE = POINT_SIZE + PROOF_SIZE
SENDER_PROOF_TAG = b"chainwitness/ecies/sender-proof/v1"
DISCLOSURE_TAG = b"chainwitness/ecies/disclosure/v1"
_NONCE_TAG = b"chainwitness/ecies/proof-nonce/v1"


def _bytes(name: str, value: object) -> bytes:
    if type(value) is not bytes:
        raise MalformedInput(f"{name}: expected bytes, found {type(value).__name__}")
    return value


def _secret(value: object) -> int:
    if type(value) is not bytes or len(value) != SCALAR_SIZE:
        raise MalformedInput(f"secret: expected {SCALAR_SIZE} bytes, found {_seen(value)}")
    x = int.from_bytes(value, "big")
    if not 0 < x < CURVE_ORDER:
        raise MalformedInput("secret: expected a scalar in 1..order-1, found one out of range")
    return x


def _proof_nonce(secret: int, rng: Rng, *parts: bytes) -> int:
    # hedged: a broken rng alone cannot repeat k for different statements
    while True:
        k = _hash_int(_NONCE_TAG, secret.to_bytes(SCALAR_SIZE, "big"), rng(SCALAR_SIZE), *parts)
        if k:
            return k


def _scalars(name: str, data: bytes) -> tuple[int, int]:
    c, z = int.from_bytes(data[:SCALAR_SIZE], "big"), int.from_bytes(data[SCALAR_SIZE:], "big")
    if c >= CURVE_ORDER or z >= CURVE_ORDER:
        raise VerificationFailed(f"{name}: expected scalars below the group order")
    return c, z


# ---------------------------------------------------------------- encryption


def public_key(secret: bytes) -> bytes:
    """Return the 33-byte compressed public key of a 32-byte secret (1..order-1)."""
    return PublicKey.from_valid_secret(_secret(secret).to_bytes(SCALAR_SIZE, "big")).format()


def _key(shared: PublicKey, ephemeral: bytes, recipient: bytes, info: bytes) -> AESGCM:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=ephemeral + recipient, info=info)
    return AESGCM(hkdf.derive(shared.format()))


def _args(aad: object, info: object) -> tuple[bytes, bytes]:
    if not _bytes("info", info):
        raise MalformedInput("info: expected a non-empty domain-separation string, found b''")
    return _bytes("aad", aad), _bytes("info", info)


def _seal(
    recipient: bytes, plaintext: bytes, aad: bytes, info: bytes, rng: Rng
) -> tuple[bytes, int]:
    pub = _point("recipient", recipient)
    aad, info = _args(aad, info)
    e = _random_scalar(rng)
    ephemeral = PublicKey.from_valid_secret(e.to_bytes(SCALAR_SIZE, "big")).format()
    nonce = rng(NONCE_SIZE)
    if type(nonce) is not bytes or len(nonce) != NONCE_SIZE:
        raise MalformedInput(f"rng: expected {NONCE_SIZE} bytes, found {_seen(nonce)}")
    shared = pub.multiply(e.to_bytes(SCALAR_SIZE, "big"))
    body = _key(shared, ephemeral, recipient, info).encrypt(
        nonce, _bytes("plaintext", plaintext), aad
    )
    return ephemeral + nonce + body, e


def encrypt(
    recipient: bytes, plaintext: bytes, aad: bytes, info: bytes, rng: Rng = secrets.token_bytes
) -> bytes:
    """Encrypt ``plaintext`` to the 33-byte public key ``recipient``.

    Returns ``len(plaintext) + OVERHEAD`` bytes (layout in the module docstring).
    Raises MalformedInput for a bad key, a non-bytes argument or an empty ``info``.
    """
    return _seal(recipient, plaintext, aad, info, rng)[0]


def decrypt(secret: bytes, blob: bytes, aad: bytes, info: bytes) -> bytes:
    """Decrypt a blob with the recipient's 32-byte secret.

    Raises:
        MalformedInput: a bad secret, ``blob`` shorter than ``OVERHEAD``, empty ``info``.
        VerificationFailed: the blob, ``aad`` or ``info`` differ from what was encrypted
            (including an ephemeral key that is not a point).
    """
    x = _secret(secret)
    recipient = public_key(secret)
    ephemeral = _ephemeral(blob)
    return _open(ephemeral.multiply(x.to_bytes(SCALAR_SIZE, "big")), recipient, blob, aad, info)


def _ephemeral(blob: object) -> PublicKey:
    if type(blob) is not bytes or len(blob) < OVERHEAD:
        raise MalformedInput(f"blob: expected at least {OVERHEAD} bytes, found {_seen(blob)}")
    return _point("blob ephemeral key", blob[:POINT_SIZE], VerificationFailed)


def _open(shared: PublicKey, recipient: bytes, blob: bytes, aad: bytes, info: bytes) -> bytes:
    aad, info = _args(aad, info)
    body_at = POINT_SIZE + NONCE_SIZE
    nonce, body = blob[POINT_SIZE:body_at], blob[body_at:]
    try:
        return _key(shared, blob[:POINT_SIZE], recipient, info).decrypt(nonce, body, aad)
    except InvalidTag:
        raise VerificationFailed(
            "blob: expected an AES-GCM tag that authenticates it under this key, aad and info; "
            "found a mismatch (tampered blob, wrong key, aad or info)"
        ) from None


# ---------------------------------------------------------------- accountability


def encrypt_proven(
    recipient: bytes, plaintext: bytes, aad: bytes, info: bytes, rng: Rng = secrets.token_bytes
) -> tuple[bytes, bytes]:
    """Like :func:`encrypt`, also returning a ``PROOF_SIZE``-byte sender proof.

    The proof is Schnorr's: ``R = k·G``, ``c = H(SENDER_PROOF_TAG, P, blob, aad,
    info, R)``, ``z = k + c·e``, encoded ``c || z`` (docs/threshold-keys.md).
    """
    blob, e = _seal(recipient, plaintext, aad, info, rng)
    k = _proof_nonce(e, rng, recipient, blob)
    r = PublicKey.from_valid_secret(k.to_bytes(SCALAR_SIZE, "big")).format()
    c = _hash_int(SENDER_PROOF_TAG, recipient, blob, aad, info, r)
    z = (k + c * e) % CURVE_ORDER
    return blob, c.to_bytes(SCALAR_SIZE, "big") + z.to_bytes(SCALAR_SIZE, "big")


def verify_sender(recipient: bytes, blob: bytes, proof: bytes, aad: bytes, info: bytes) -> None:
    """Check a sender proof: whoever made ``blob`` for ``recipient`` knew ``e``.

    Raises MalformedInput for wrong lengths; VerificationFailed if the proof fails.
    """
    _point("recipient", recipient)
    aad, info = _args(aad, info)
    ephemeral = _ephemeral(blob)
    if type(proof) is not bytes or len(proof) != PROOF_SIZE:
        raise MalformedInput(f"sender proof: expected {PROOF_SIZE} bytes, found {_seen(proof)}")
    c, z = _scalars("sender proof", proof)
    r = _add([_base(z), _mul(ephemeral, -c)])
    if r is None or _hash_int(SENDER_PROOF_TAG, recipient, blob, aad, info, r.format()) != c:
        raise VerificationFailed(
            "sender proof: expected a proof of knowledge of the blob's ephemeral secret "
            "bound to this recipient, blob, aad and info; found one that does not verify"
        )


def disclose(
    secret: bytes,
    blob: bytes,
    sender_proof: bytes,
    aad: bytes,
    info: bytes,
    rng: Rng = secrets.token_bytes,
) -> bytes:
    """Reveal the shared point of one blob, proven, so anyone can decrypt it.

    Returns ``K || c || z`` (``DISCLOSURE_SIZE`` bytes), a Chaum-Pedersen proof:
    ``R1 = k·G``, ``R2 = k·E``, ``c = H(DISCLOSURE_TAG, P, blob, K, R1, R2)``,
    ``z = k + c·x``. Reveals nothing usable on any other blob.

    Raises:
        MalformedInput: bad secret or lengths.
        VerificationFailed: ``sender_proof`` does not verify (disclosing then could
            decrypt a blob someone else sent; see the module docstring).
    """
    x = _secret(secret)
    recipient = public_key(secret)
    verify_sender(recipient, blob, sender_proof, aad, info)
    ephemeral = _ephemeral(blob)
    shared = ephemeral.multiply(x.to_bytes(SCALAR_SIZE, "big")).format()
    k = _proof_nonce(x, rng, blob, shared)
    r1, r2 = _base(k), _mul(ephemeral, k)
    assert r1 is not None and r2 is not None  # k is in 1..order-1 and E is finite
    c = _hash_int(DISCLOSURE_TAG, recipient, blob, shared, r1.format(), r2.format())
    z = (k + c * x) % CURVE_ORDER
    return shared + c.to_bytes(SCALAR_SIZE, "big") + z.to_bytes(SCALAR_SIZE, "big")


def verify_disclosure(recipient: bytes, blob: bytes, disclosure: bytes) -> None:
    """Check that ``disclosure`` is ``recipient``'s true shared point for ``blob``.

    Raises MalformedInput for wrong lengths; VerificationFailed if the proof fails.
    """
    pub = _point("recipient", recipient)
    ephemeral = _ephemeral(blob)
    if type(disclosure) is not bytes or len(disclosure) != DISCLOSURE_SIZE:
        raise MalformedInput(
            f"disclosure: expected {DISCLOSURE_SIZE} bytes, found {_seen(disclosure)}"
        )
    shared = _point("disclosure shared point", disclosure[:POINT_SIZE], VerificationFailed)
    c, z = _scalars("disclosure", disclosure[POINT_SIZE:])
    r1 = _add([_base(z), _mul(pub, -c)])
    r2 = _add([_mul(ephemeral, z), _mul(shared, -c)])
    if r1 is None or r2 is None:
        c_check = -1
    else:
        c_check = _hash_int(
            DISCLOSURE_TAG, recipient, blob, shared.format(), r1.format(), r2.format()
        )
    if c_check != c:
        raise VerificationFailed(
            "disclosure: expected a proof that the shared point is the recipient's secret "
            "times the blob's ephemeral key; found one that does not verify"
        )


def decrypt_disclosed(
    recipient: bytes, blob: bytes, disclosure: bytes, aad: bytes, info: bytes
) -> bytes:
    """Decrypt ``blob`` with a verified disclosure (no secret needed).

    Raises:
        MalformedInput: wrong lengths.
        VerificationFailed: the disclosure does not verify (see
            :func:`verify_disclosure`, call it first to tell the two cases apart), or
            it does and the blob still does not decrypt: then the sender is at fault.
    """
    verify_disclosure(recipient, blob, disclosure)
    return _open(PublicKey(disclosure[:POINT_SIZE]), recipient, blob, aad, info)
