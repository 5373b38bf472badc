/**
 * Ed25519 signature verification (RFC 8032), for checkpoint and witness cosignatures.
 *
 * @noble/curves' ed25519 with `zip215: false`: the strict RFC 8032 / FIPS 186-5
 * encoding rules (non-canonical points and S >= L rejected), so a signature accepted
 * here is accepted by OpenSSL (pyca/cryptography) and Go's crypto/ed25519 as well.
 */

import { ed25519 } from "@noble/curves/ed25519.js";
import { MalformedInput, VerificationFailed } from "./errors.js";

export const PUBLIC_KEY_SIZE = 32;
export const SIGNATURE_SIZE = 64;

function need(name, value, size) {
  if (!(value instanceof Uint8Array) || value.length !== size) {
    const found = value instanceof Uint8Array ? `${value.length} bytes` : typeof value;
    throw new MalformedInput(`${name}: expected ${size} bytes, found ${found}`);
  }
  return value;
}

/**
 * Whether `signature` is `publicKey`'s Ed25519 signature of `message`.
 * @throws {MalformedInput} a key or signature of the wrong length, or a message that is not bytes.
 */
export function isValidEd25519(publicKey, message, signature) {
  need("ed25519 public key", publicKey, PUBLIC_KEY_SIZE);
  need("ed25519 signature", signature, SIGNATURE_SIZE);
  if (!(message instanceof Uint8Array)) throw new MalformedInput(`message: expected bytes, found ${typeof message}`);
  try {
    return ed25519.verify(signature, message, publicKey, { zip215: false });
  } catch {
    return false; // a public key that is not a point: no signature is valid for it
  }
}

/**
 * Check an Ed25519 signature.
 * @throws {MalformedInput} as isValidEd25519.
 * @throws {VerificationFailed} the signature does not verify.
 */
export function verifyEd25519(publicKey, message, signature, name = "signature") {
  if (!isValidEd25519(publicKey, message, signature)) {
    throw new VerificationFailed(`${name}: expected a valid Ed25519 signature by the pinned key, found one that does not verify`);
  }
}
