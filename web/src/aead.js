/**
 * AES-256-GCM (96-bit nonce, 128-bit tag) through Web Crypto, and HKDF-SHA256.
 *
 * Web Crypto's AES-GCM output is ciphertext || tag, the layout of pyca/cryptography's
 * AESGCM that ledger_service/core uses. HKDF is @noble/hashes' RFC 5869 HKDF
 * (synchronous; an absent salt is HashLen zero bytes, as in RFC 5869 and in
 * pyca/cryptography's HKDF with salt=None).
 */

import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";

export const KEY_SIZE = 32;
export const GCM_NONCE_SIZE = 12;
export const TAG_SIZE = 16;

/** HKDF-SHA256(ikm, salt, info) with 32 bytes of output; `salt` undefined means empty. */
export function hkdfSha256(ikm, info, salt = undefined) {
  return hkdf(sha256, ikm, salt, info, KEY_SIZE);
}

/** A non-extractable Web Crypto AES-GCM key for `raw` (32 bytes). */
export function aesKey(raw, usages = ["encrypt", "decrypt"]) {
  return crypto.subtle.importKey("raw", raw, { name: "AES-GCM" }, false, usages);
}

/** ciphertext || tag of `plaintext` under `key` (a CryptoKey), `nonce` and `aad`. */
export async function gcmSeal(key, nonce, plaintext, aad) {
  const params = { name: "AES-GCM", iv: nonce, additionalData: aad, tagLength: 128 };
  return new Uint8Array(await crypto.subtle.encrypt(params, key, plaintext));
}

/**
 * The plaintext of `sealed` (ciphertext || tag), or null when it does not authenticate.
 * Only Web Crypto's OperationError (a failed tag) maps to null; other errors pass through.
 */
export async function gcmOpen(key, nonce, sealed, aad) {
  const params = { name: "AES-GCM", iv: nonce, additionalData: aad, tagLength: 128 };
  try {
    return new Uint8Array(await crypto.subtle.decrypt(params, key, sealed));
  } catch (e) {
    if (e instanceof DOMException && e.name === "OperationError") return null;
    throw e;
  }
}

/** `n` bytes from the browser's CSPRNG (getRandomValues takes at most 65536 at a time). */
export function randomBytes(n) {
  return crypto.getRandomValues(new Uint8Array(n));
}
