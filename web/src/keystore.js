/**
 * An Ethereum V3 keystore (the bidder's `--keystore` file), decrypted in the browser.
 *
 * The format eth-account writes (Web3 Secret Storage): a KDF (scrypt or PBKDF2-HMAC-
 * SHA256) turns the password into 32 bytes; the MAC is keccak256(derived[16:32] ||
 * ciphertext); the secret is AES-128-CTR(derived[0:16], iv) of the ciphertext. The
 * secret never leaves the page: this module only returns it to the caller.
 */

import { scryptAsync } from "@noble/hashes/scrypt.js";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { MalformedInput, VerificationFailed } from "./errors.js";
import { concat, equalBytes, fromHex, shown, utf8 } from "./bytes.js";
import { checkSecret } from "./ecies.js";

//: what a keystore may ask of a browser: scrypt n up to 2^20 (1 GiB would be refused)
const MAX_SCRYPT_N = 2 ** 20;
const MAX_PBKDF2_C = 10_000_000;

function hexField(name, value, size) {
  if (typeof value !== "string") throw new MalformedInput(`keystore ${name}: expected hex, found ${shown(value)}`);
  return fromHex(value.replace(/^0x/, ""), { name: `keystore ${name}`, size, anyCase: true });
}

function int(name, value, max) {
  if (!Number.isSafeInteger(value) || value < 1 || value > max) {
    throw new MalformedInput(`keystore ${name}: expected an integer 1..${max}, found ${shown(value)}`);
  }
  return value;
}

async function derive(crypto_) {
  const p = crypto_.kdfparams ?? {};
  const dklen = int("kdfparams.dklen", p.dklen, 64);
  if (dklen < 32) throw new MalformedInput(`keystore kdfparams.dklen: expected at least 32, found ${dklen}`);
  const salt = hexField("kdfparams.salt", p.salt);
  if (crypto_.kdf === "scrypt") {
    const N = int("kdfparams.n", p.n, MAX_SCRYPT_N);
    return (password) => scryptAsync(utf8(password), salt, { N, r: int("kdfparams.r", p.r, 64), p: int("kdfparams.p", p.p, 16), dkLen: dklen, maxmem: 2 ** 31 });
  }
  if (crypto_.kdf === "pbkdf2") {
    if (p.prf !== "hmac-sha256") throw new MalformedInput(`keystore kdfparams.prf: expected hmac-sha256, found ${shown(p.prf)}`);
    const c = int("kdfparams.c", p.c, MAX_PBKDF2_C);
    return async (password) => {
      const base = await crypto.subtle.importKey("raw", utf8(password), "PBKDF2", false, ["deriveBits"]);
      return new Uint8Array(await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations: c }, base, dklen * 8));
    };
  }
  throw new MalformedInput(`keystore kdf: expected scrypt or pbkdf2, found ${shown(crypto_.kdf)}`);
}

/**
 * The 32-byte secret of the V3 keystore `text` under `password`.
 * @returns {Promise<{secret: Uint8Array, address: string|null}>} `address` as the file names it (unchecked).
 * @throws {MalformedInput} not a V3 keystore. @throws {VerificationFailed} a wrong password.
 */
export async function decryptKeystore(text, password) {
  let ks;
  try {
    ks = JSON.parse(text);
  } catch (e) {
    throw new MalformedInput(`keystore: expected JSON, found invalid JSON (${e.message})`);
  }
  const c = ks?.crypto ?? ks?.Crypto;
  if (ks?.version !== 3 || c === null || typeof c !== "object") {
    throw new MalformedInput(`keystore: expected a version 3 keystore, found version ${shown(ks?.version)}`);
  }
  if (c.cipher !== "aes-128-ctr") throw new MalformedInput(`keystore cipher: expected aes-128-ctr, found ${shown(c.cipher)}`);
  const iv = hexField("cipherparams.iv", c.cipherparams?.iv, 16);
  const ciphertext = hexField("ciphertext", c.ciphertext);
  const mac = hexField("mac", c.mac, 32);
  const derived = await (await derive(c))(password);
  if (!equalBytes(keccak_256(concat(derived.subarray(16, 32), ciphertext)), mac)) {
    throw new VerificationFailed("keystore: expected the password to give the file's MAC, found another (wrong password)");
  }
  const key = await crypto.subtle.importKey("raw", derived.subarray(0, 16), "AES-CTR", false, ["decrypt"]);
  const secret = new Uint8Array(await crypto.subtle.decrypt({ name: "AES-CTR", counter: iv, length: 128 }, key, ciphertext));
  checkSecret(secret, "keystore secret");
  return { secret, address: typeof ks.address === "string" ? ks.address : null };
}
