/**
 * Sealed bid envelopes in the browser: seal and open, byte-compatible with
 * ledger_service/core/sealing.py (docs/sealed-envelope.md is the specification).
 *
 *   envelope = header || chunk_0 || ... || chunk_(n-1)
 *   chunk_i  = AES-256-GCM(payload_key, nonce_prefix || uint32_be(i) || final_i,
 *                          plaintext_i, aad = SHA-256(header))
 *
 * Both directions stream a Blob (a File) chunk by chunk through `blob.slice()`, so
 * memory stays at a few chunks for any size, and hand each output piece to an async
 * `write(bytes)` sink (a FileSystemWritableFileStream, or `blobSink()` below).
 * Opening writes only authenticated plaintext, but the document is complete only
 * when `openBlob` resolves: on a rejection the caller MUST discard what was written.
 * Randomness is `rng(n)` (the browser's CSPRNG by default), drawn in the order of the
 * reference: content key 32, nonce prefix 7, then each wrap's scalar and nonce.
 */

import { sha256 } from "@noble/hashes/sha2.js";
import { MalformedInput, VerificationFailed, LimitExceeded } from "./errors.js";
import { concat, equalBytes, shown, uintBytes, utf8 } from "./bytes.js";
import { KEY_SIZE, TAG_SIZE, aesKey, gcmOpen, gcmSeal, hkdfSha256, randomBytes } from "./aead.js";
import * as ecies from "./ecies.js";
import {
  DEFAULT_CHUNK_SIZE, KINDS, MAX_CHUNKS, MAX_CHUNK_SIZE, MAX_HEADER_SIZE, MIN_CHUNK_SIZE,
  NONCE_PREFIX_SIZE, PREAMBLE_SIZE, checkTenderId, headerBytes, parseHeader, wrapContext,
} from "./envelope_header.js";
import { checkChecksumAddress } from "./address.js";

const INFO_PAYLOAD_KEY = utf8("chainwitness/seal/v1 payload-key");
const INFO_SALT = utf8("chainwitness/seal/v1 plaintext-salt");
const INFO_COMMITMENT = utf8("chainwitness/seal/v1 key-commitment");
const INFO_WRAP = { tender: utf8("chainwitness/seal/v1 wrap tender"), bidder: utf8("chainwitness/seal/v1 wrap bidder") };

function checkKey(value, name = "content key") {
  if (!(value instanceof Uint8Array) || value.length !== KEY_SIZE) {
    throw new MalformedInput(`${name}: expected ${KEY_SIZE} bytes, found ${shown(value)}`);
  }
  return value;
}

/** The three values derived from a content key (section 4). */
export function deriveKeys(contentKey) {
  checkKey(contentKey);
  return {
    payloadKey: hkdfSha256(contentKey, INFO_PAYLOAD_KEY),
    salt: hkdfSha256(contentKey, INFO_SALT),
    keyCommitment: hkdfSha256(contentKey, INFO_COMMITMENT),
  };
}

function nonce(prefix, index, final) {
  return concat(prefix, uintBytes(index, 4), Uint8Array.of(final ? 1 : 0));
}

function drawn(rng, size) {
  const out = rng(size);
  if (!(out instanceof Uint8Array) || out.length !== size) {
    throw new MalformedInput(`rng output: expected ${size} bytes, found ${shown(out)}`);
  }
  return out;
}

/**
 * Collect written pieces into one Blob, merging every `spill` bytes so that the
 * browser may keep large envelopes on disk rather than as many small buffers.
 * Returns { write, blob(type) }.
 */
export function blobSink({ spill = 64 * 1024 * 1024 } = {}) {
  let done = new Blob([]);
  let parts = [];
  let held = 0;
  return {
    async write(bytes) {
      parts.push(bytes);
      held += bytes.length;
      if (held >= spill) {
        done = new Blob([done, ...parts]);
        parts = [];
        held = 0;
      }
    },
    blob(type = "application/octet-stream") {
      return new Blob([done, ...parts], { type });
    },
  };
}

/**
 * Read and check the header of the envelope `blob` (section 3).
 * Returns { header, headerBytes, envelopeDigest }.
 * @throws {MalformedInput|LimitExceeded} as parseHeader.
 */
export async function readHeader(blob) {
  let bytes = new Uint8Array(await blob.slice(0, PREAMBLE_SIZE).arrayBuffer());
  if (bytes.length === PREAMBLE_SIZE) {
    // read what the preamble declares, never more than the limit (parseHeader refuses more)
    const size = new DataView(bytes.buffer).getUint32(7, false);
    bytes = new Uint8Array(await blob.slice(0, PREAMBLE_SIZE + Math.min(size, MAX_HEADER_SIZE)).arrayBuffer());
  }
  const { header, raw } = parseHeader(bytes);
  return { header, headerBytes: raw, envelopeDigest: sha256(raw) };
}

/**
 * Unwrap the content key as `kind` ("tender" or "bidder") with its 32-byte secret.
 * @throws {MalformedInput} a bad secret or kind.
 * @throws {VerificationFailed} another key's secret, a wrap that fails authentication,
 *   or a key that does not match the header's key_commitment.
 */
export async function unwrapKey(header, kind, secret) {
  const index = KINDS.indexOf(kind);
  if (index < 0) throw new MalformedInput(`recipient kind: expected one of ${JSON.stringify(KINDS)}, found ${shown(kind)}`);
  const recipient = header.recipients[index];
  if (!equalBytes(ecies.publicKey(secret), recipient.publicKey)) {
    throw new VerificationFailed(`secret: expected the key of the ${kind} recipient, found the key of another public key`);
  }
  let key;
  try {
    key = await ecies.decrypt(secret, recipient.wrappedKey, wrapContext(header), INFO_WRAP[kind]);
  } catch (e) {
    if (e instanceof VerificationFailed) throw new VerificationFailed(`the ${kind}'s wrapped key failed authentication (${e.message})`);
    throw e;
  }
  if (key.length !== KEY_SIZE || !equalBytes(deriveKeys(key).keyCommitment, header.keyCommitment)) {
    throw new VerificationFailed(`the ${kind}'s wrapped key does not match the header's key_commitment`);
  }
  return key;
}

/**
 * Seal `blob` (the bid document) into an envelope written to `write`.
 *
 * @param {Blob} blob  the plaintext
 * @param {object} opts `tenderId`, `bidder` (EIP-55), `tenderPublicKey` and
 *   `bidderPublicKey` (33 bytes each), `chunkSize`, `rng`, `progress(done, total)`,
 *   `write(bytes)` (async; required).
 * @returns {Promise<object>} { ciphertextSha256, envelopeDigest, plaintextCommitment,
 *   plaintextSize, ciphertextSize, header }
 * @throws {MalformedInput} a bad argument. @throws {LimitExceeded} more than MAX_CHUNKS.
 */
export async function sealBlob(blob, { tenderId, bidder, tenderPublicKey, bidderPublicKey,
  chunkSize = DEFAULT_CHUNK_SIZE, rng = randomBytes, progress, write }) {
  if (!(blob instanceof Blob)) throw new MalformedInput(`document: expected a File or Blob, found ${typeof blob}`);
  if (typeof write !== "function") throw new MalformedInput("write: expected an async function taking bytes");
  if (!Number.isSafeInteger(chunkSize) || chunkSize < MIN_CHUNK_SIZE || chunkSize > MAX_CHUNK_SIZE) {
    throw new MalformedInput(`chunk_size: expected ${MIN_CHUNK_SIZE} <= chunk_size <= ${MAX_CHUNK_SIZE}, found ${chunkSize}`);
  }
  ecies.checkPoint("tender public_key", tenderPublicKey);
  ecies.checkPoint("bidder public_key", bidderPublicKey);
  checkTenderId(tenderId);
  checkChecksumAddress(bidder, "bidder");
  const total = blob.size;
  const chunks = Math.max(1, Math.ceil(total / chunkSize));
  if (chunks > MAX_CHUNKS) {
    throw new LimitExceeded(`document: expected at most ${MAX_CHUNKS} chunks of ${chunkSize} bytes, found more`);
  }
  const contentKey = drawn(rng, KEY_SIZE);
  const noncePrefix = drawn(rng, NONCE_PREFIX_SIZE);
  const { payloadKey, salt, keyCommitment } = deriveKeys(contentKey);
  const fields = { chunkSize, noncePrefix, keyCommitment, tenderId, bidder };
  const aad = wrapContext(fields);
  const recipients = [];
  for (const [kind, publicKey] of [["tender", tenderPublicKey], ["bidder", bidderPublicKey]]) {
    recipients.push({ kind, publicKey, wrappedKey: await ecies.encrypt(publicKey, contentKey, aad, INFO_WRAP[kind], rng) });
  }
  const header = { ...fields, recipients };
  const head = headerBytes(header);
  const digest = sha256(head);
  const fileHash = sha256.create().update(head);
  const plainHash = sha256.create().update(salt);
  const key = await aesKey(payloadKey, ["encrypt"]);
  await write(head);

  const read = (i) => blob.slice(i * chunkSize, Math.min((i + 1) * chunkSize, total)).arrayBuffer();
  let pending = read(0);
  let done = 0;
  for (let i = 0; i < chunks; i++) {
    const plain = new Uint8Array(await pending);
    const final = i === chunks - 1;
    pending = final ? null : read(i + 1);
    plainHash.update(plain);
    const sealed = await gcmSeal(key, nonce(noncePrefix, i, final), plain, digest);
    fileHash.update(sealed);
    await write(sealed);
    done += plain.length;
    progress?.(done, total);
  }
  return {
    ciphertextSha256: fileHash.digest(),
    envelopeDigest: digest,
    plaintextCommitment: plainHash.digest(),
    plaintextSize: total,
    ciphertextSize: head.length + total + chunks * TAG_SIZE,
    header,
  };
}

/**
 * Open the envelope `blob` with its content key, writing the plaintext to `write`.
 *
 * A chunk is final iff nothing follows it (section 7.1); each chunk authenticates
 * before its plaintext is written. Failures carry the reference's messages (7.2).
 * @returns {Promise<object>} { plaintextSize, plaintextCommitment, ciphertextSha256,
 *   envelopeDigest, header }: compare the digests with the bid.sealed record.
 * @throws {MalformedInput|LimitExceeded} the header. @throws {VerificationFailed} the rest.
 */
export async function openBlob(blob, contentKey, { progress, write }) {
  if (typeof write !== "function") throw new MalformedInput("write: expected an async function taking bytes");
  const { header, headerBytes: head, envelopeDigest: digest } = await readHeader(blob);
  checkKey(contentKey);
  const { payloadKey, salt, keyCommitment } = deriveKeys(contentKey);
  if (!equalBytes(keyCommitment, header.keyCommitment)) {
    throw new VerificationFailed("content key: does not match the header's key_commitment");
  }
  const key = await aesKey(payloadKey, ["decrypt"]);
  const fileHash = sha256.create().update(head);
  const plainHash = sha256.create().update(salt);
  const full = header.chunkSize + TAG_SIZE;
  const total = blob.size;
  const prefix = header.noncePrefix;
  const read = (at) => blob.slice(at, Math.min(at + full, total)).arrayBuffer();
  let at = head.length;
  let pending = at < total ? read(at) : null;
  let index = 0;
  let plainSize = 0;
  for (;;) {
    if (pending === null) throw new VerificationFailed("envelope ends without a final chunk: no chunk follows the header");
    const sealed = new Uint8Array(await pending);
    at += sealed.length;
    const more = at < total; // a byte follows: this chunk cannot be the final one
    pending = more ? read(at) : null;
    if (sealed.length < TAG_SIZE) {
      throw new VerificationFailed(`envelope ends inside chunk ${index}: found ${sealed.length} bytes, expected at least the ${TAG_SIZE}-byte tag`);
    }
    fileHash.update(sealed);
    const plain = await gcmOpen(key, nonce(prefix, index, !more), sealed, digest);
    if (plain === null) {
      // only on failure is the other flag tried, to say what went wrong
      if (more && (await gcmOpen(key, nonce(prefix, index, true), sealed, digest)) !== null) {
        throw new VerificationFailed(`data after the final chunk: chunk ${index} is final, yet more bytes follow`);
      }
      if (!more && sealed.length === full && (await gcmOpen(key, nonce(prefix, index, false), sealed, digest)) !== null) {
        throw new VerificationFailed(`envelope ends without a final chunk: chunk ${index} is not final and nothing follows it`);
      }
      throw new VerificationFailed(`chunk ${index} failed authentication: wrong key, or the envelope was altered, truncated or extended`);
    }
    if (!plain.length && index > 0) {
      throw new VerificationFailed(`chunk ${index}: expected a non-empty final chunk after other chunks, found an empty one`);
    }
    plainHash.update(plain);
    await write(plain);
    plainSize += plain.length;
    progress?.(plainSize, total);
    if (!more) break;
    index += 1;
    if (index >= MAX_CHUNKS) throw new VerificationFailed(`envelope: expected at most ${MAX_CHUNKS} chunks, found more`);
  }
  return {
    plaintextSize: plainSize,
    plaintextCommitment: plainHash.digest(),
    ciphertextSha256: fileHash.digest(),
    envelopeDigest: digest,
    header,
  };
}
