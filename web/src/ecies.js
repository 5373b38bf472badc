/**
 * ECIES on secp256k1, byte-compatible with ledger_service/core/ecies.py
 * (docs/threshold-keys.md, section 6.1):
 *
 *     E = e·G (33 bytes compressed),  K = e·P = d·E (33 bytes compressed)
 *     key  = HKDF-SHA256(ikm = K, salt = E || P, info, 32)
 *     blob = E (33) || nonce (12) || AES-256-GCM(key, nonce, m, aad)
 *
 * `rng(n)` returns n random bytes; `e` is drawn as 32 bytes, again while out of
 * 1..n-1, then the nonce: the order the Python reference draws in, so a replayed
 * rng gives the same blob. Only encryption and decryption live here; the sender
 * proofs and disclosures of the DKG are not needed in the browser.
 */

import { secp256k1 } from "@noble/curves/secp256k1.js";
import { MalformedInput, VerificationFailed } from "./errors.js";
import { bytesToBigInt, concat, toHex } from "./bytes.js";
import { GCM_NONCE_SIZE, TAG_SIZE, aesKey, gcmOpen, gcmSeal, hkdfSha256, randomBytes } from "./aead.js";

export const CURVE_ORDER = secp256k1.Point.Fn.ORDER;
export const POINT_SIZE = 33;
export const SCALAR_SIZE = 32;
export const NONCE_SIZE = GCM_NONCE_SIZE;
/** bytes a blob adds to its plaintext */
export const OVERHEAD = POINT_SIZE + NONCE_SIZE + TAG_SIZE;

function seen(value) {
  return value instanceof Uint8Array ? `${value.length} bytes` : typeof value;
}

function needBytes(name, value) {
  if (!(value instanceof Uint8Array)) throw new MalformedInput(`${name}: expected bytes, found ${typeof value}`);
  return value;
}

/**
 * Check a 33-byte compressed point on secp256k1 and return it.
 * @throws {MalformedInput} (or `Err`) another length, prefix, or not on the curve.
 */
export function checkPoint(name, value, Err = MalformedInput) {
  if (!(value instanceof Uint8Array) || value.length !== POINT_SIZE || (value[0] !== 2 && value[0] !== 3)) {
    throw new Err(`${name}: expected a 33-byte compressed secp256k1 point, found ${seen(value)}`);
  }
  try {
    secp256k1.Point.fromBytes(value).assertValidity();
  } catch {
    throw new Err(`${name}: expected a point on secp256k1, found ${toHex(value)}`);
  }
  return value;
}

/** Check a 32-byte secret in 1..n-1 and return it. @throws {MalformedInput} */
export function checkSecret(value, name = "secret") {
  if (!(value instanceof Uint8Array) || value.length !== SCALAR_SIZE) {
    throw new MalformedInput(`${name}: expected ${SCALAR_SIZE} bytes, found ${seen(value)}`);
  }
  const x = bytesToBigInt(value);
  if (!(x > 0n && x < CURVE_ORDER)) {
    throw new MalformedInput(`${name}: expected a scalar in 1..order-1, found one out of range`);
  }
  return value;
}

/** The 33-byte compressed public key of a 32-byte secret. @throws {MalformedInput} */
export function publicKey(secret) {
  return secp256k1.getPublicKey(checkSecret(secret), true);
}

function randomScalar(rng) {
  for (;;) {
    const data = rng(SCALAR_SIZE);
    if (!(data instanceof Uint8Array) || data.length !== SCALAR_SIZE) {
      throw new MalformedInput(`rng: expected ${SCALAR_SIZE} bytes, found ${seen(data)}`);
    }
    const k = bytesToBigInt(data);
    if (k > 0n && k < CURVE_ORDER) return data;
  }
}

function args(aad, info) {
  needBytes("aad", aad);
  if (!needBytes("info", info).length) {
    throw new MalformedInput("info: expected a non-empty domain-separation string, found an empty one");
  }
}

async function wrapKey(shared, ephemeral, recipient, info) {
  return aesKey(hkdfSha256(shared, info, concat(ephemeral, recipient)));
}

/**
 * Encrypt `plaintext` to the 33-byte public key `recipient`; `len(plaintext) + 61` bytes.
 * @throws {MalformedInput} a bad key, a non-bytes argument, an empty `info`, a bad rng.
 */
export async function encrypt(recipient, plaintext, aad, info, rng = randomBytes) {
  checkPoint("recipient", recipient);
  args(aad, info);
  needBytes("plaintext", plaintext);
  const e = randomScalar(rng);
  const ephemeral = secp256k1.getPublicKey(e, true);
  const nonce = rng(NONCE_SIZE);
  if (!(nonce instanceof Uint8Array) || nonce.length !== NONCE_SIZE) {
    throw new MalformedInput(`rng: expected ${NONCE_SIZE} bytes, found ${seen(nonce)}`);
  }
  const shared = secp256k1.getSharedSecret(e, recipient, true);
  const body = await gcmSeal(await wrapKey(shared, ephemeral, recipient, info), nonce, plaintext, aad);
  return concat(ephemeral, nonce, body);
}

/**
 * Decrypt a blob with the recipient's 32-byte secret.
 * @throws {MalformedInput} a bad secret, a blob shorter than OVERHEAD, an empty `info`.
 * @throws {VerificationFailed} the blob, `aad` or `info` differ from what was encrypted.
 */
export async function decrypt(secret, blob, aad, info) {
  const recipient = publicKey(secret);
  if (!(blob instanceof Uint8Array) || blob.length < OVERHEAD) {
    throw new MalformedInput(`blob: expected at least ${OVERHEAD} bytes, found ${seen(blob)}`);
  }
  args(aad, info);
  const ephemeral = checkPoint("blob ephemeral key", blob.subarray(0, POINT_SIZE), VerificationFailed);
  const shared = secp256k1.getSharedSecret(secret, ephemeral, true);
  const key = await wrapKey(shared, ephemeral, recipient, info);
  const at = POINT_SIZE + NONCE_SIZE;
  const plain = await gcmOpen(key, blob.subarray(POINT_SIZE, at), blob.subarray(at), aad);
  if (plain === null) {
    throw new VerificationFailed(
      "blob: expected an AES-GCM tag that authenticates it under this key, aad and info; " +
        "found a mismatch (tampered blob, wrong key, aad or info)",
    );
  }
  return plain;
}

