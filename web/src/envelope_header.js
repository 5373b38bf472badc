/**
 * The header of a sealed bid envelope (docs/sealed-envelope.md, section 3), as in
 * ledger_service/core/sealing.py: build, encode, parse and check.
 *
 * A header in JavaScript is a plain object
 *   { chunkSize, noncePrefix, keyCommitment, tenderId, bidder,
 *     recipients: [{ kind: "tender", publicKey, wrappedKey }, { kind: "bidder", ... }] }
 * with byte values as Uint8Array. Its bytes are the preamble ("CWSEAL", version 1,
 * uint32 big-endian length) and the RFC 8785 JSON of section 3; one header has one
 * encoding, so the envelope digest (SHA-256 of those bytes) is well defined.
 */

import { sha256 } from "@noble/hashes/sha2.js";
import { LimitExceeded, MalformedInput } from "./errors.js";
import { concat, equalBytes, fromHex, shown, toHex, uintBytes, utf8 } from "./bytes.js";
import { canonicalize, parseCanonical } from "./jcs.js";
import { checkChecksumAddress } from "./address.js";
import { POINT_SIZE, checkPoint } from "./ecies.js";
import { KEY_SIZE, TAG_SIZE } from "./aead.js";

export const MAGIC = utf8("CWSEAL");
export const VERSION = 1;
export const FORMAT = "chainwitness/sealed-envelope";
export const ALG = "aes-256-gcm-stream+ecies-secp256k1";
export const MIN_CHUNK_SIZE = 4 * 1024;
export const DEFAULT_CHUNK_SIZE = 1024 * 1024;
export const MAX_CHUNK_SIZE = 16 * 1024 * 1024;
export const MAX_HEADER_SIZE = 8 * 1024;
export const MAX_CHUNKS = 2 ** 32;
export const MAX_TENDER_ID_CHARS = 256;
export const NONCE_PREFIX_SIZE = 7;
/** ephemeral public key 33 || nonce 12 || wrapped content key 32 || tag 16 */
export const WRAPPED_KEY_SIZE = POINT_SIZE + 12 + KEY_SIZE + TAG_SIZE;
/** magic 6 || version 1 || header length 4 */
export const PREAMBLE_SIZE = 11;
export const KINDS = ["tender", "bidder"];
const FIELDS = ["alg", "bidder", "chunk_size", "format", "key_commitment", "nonce_prefix", "recipients", "tender_id", "version"];

// Python's str.isprintable(): no code point of Cc, Cf, Cs, Co, Cn, Zl, Zp, Zs but U+0020
const PRINTABLE = /^(?:[^\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]| )*$/u;

function checkInt(name, value, low, high) {
  if (!Number.isSafeInteger(value)) throw new MalformedInput(`${name}: expected an integer, found ${shown(value)}`);
  if (value < low || value > high) throw new MalformedInput(`${name}: expected ${low} <= ${name} <= ${high}, found ${value}`);
  return value;
}

function checkBytes(name, value, size) {
  if (!(value instanceof Uint8Array) || value.length !== size) {
    throw new MalformedInput(`${name}: expected ${size} bytes, found ${shown(value)}`);
  }
  return value;
}

/** Require a tender id of 1..256 printable code points. @throws {MalformedInput} */
export function checkTenderId(value) {
  const chars = typeof value === "string" && value.isWellFormed() ? [...value].length : 0;
  if (chars < 1 || chars > MAX_TENDER_ID_CHARS) {
    throw new MalformedInput(`tender_id: expected 1..${MAX_TENDER_ID_CHARS} characters, found ${shown(value)}`);
  }
  if (!PRINTABLE.test(value)) throw new MalformedInput(`tender_id: expected printable text, found ${shown(value)}`);
  return value;
}

/** The wrap context: the header's JSON without `recipients`, the AAD of both key wraps. */
export function contextJson({ chunkSize, noncePrefix, keyCommitment, tenderId, bidder }) {
  return {
    format: FORMAT,
    version: VERSION,
    alg: ALG,
    chunk_size: checkInt("chunk_size", chunkSize, MIN_CHUNK_SIZE, MAX_CHUNK_SIZE),
    nonce_prefix: toHex(checkBytes("nonce_prefix", noncePrefix, NONCE_PREFIX_SIZE)),
    key_commitment: toHex(checkBytes("key_commitment", keyCommitment, KEY_SIZE)),
    tender_id: checkTenderId(tenderId),
    bidder: checkChecksumAddress(bidder, "bidder"),
  };
}

/** The JCS bytes of the wrap context. @throws {MalformedInput} a field out of its rule. */
export function wrapContext(fields) {
  return canonicalize(contextJson(fields), "header");
}

function recipientJson(r, want) {
  if (r?.kind !== want) throw new MalformedInput(`recipients: expected the kinds ${JSON.stringify(KINDS)} in that order, found ${shown(r?.kind)}`);
  return {
    kind: r.kind,
    public_key: toHex(checkPoint(`${want} public_key`, r.publicKey)),
    wrapped_key: toHex(checkBytes(`${want} wrapped_key`, r.wrappedKey, WRAPPED_KEY_SIZE)),
  };
}

/** The header's JSON object (section 3). @throws {MalformedInput} a field out of its rule. */
export function headerJson(header) {
  const recipients = header.recipients;
  if (!Array.isArray(recipients) || recipients.length !== 2) {
    throw new MalformedInput(`recipients: expected an array of 2, found ${shown(recipients?.length)}`);
  }
  return { ...contextJson(header), recipients: recipients.map((r, i) => recipientJson(r, KINDS[i])) };
}

/** Preamble and canonical JSON: every byte before chunk 0. @throws {MalformedInput} */
export function headerBytes(header) {
  const text = canonicalize(headerJson(header), "header");
  return concat(MAGIC, Uint8Array.of(VERSION), uintBytes(text.length, 4), text);
}

/** `envelope_digest`: SHA-256 of the header bytes, the AAD of every chunk. */
export function envelopeDigest(raw) {
  return sha256(raw);
}

function hexField(name, value, size) {
  return fromHex(value, { size, name });
}

function headerFromJson(obj) {
  if (obj === null || typeof obj !== "object" || Array.isArray(obj)) {
    throw new MalformedInput(`header: expected an object, found ${shown(obj)}`);
  }
  const keys = Object.keys(obj).sort();
  if (keys.join() !== FIELDS.join()) {
    const missing = FIELDS.filter((f) => !keys.includes(f));
    const unknown = keys.filter((k) => !FIELDS.includes(k));
    throw new MalformedInput(`header: expected exactly the fields ${JSON.stringify(FIELDS)}, found missing ${JSON.stringify(missing)} and unknown ${JSON.stringify(unknown)}`);
  }
  for (const [name, want] of [["format", FORMAT], ["version", VERSION], ["alg", ALG]]) {
    if (obj[name] !== want) throw new MalformedInput(`${name}: expected ${JSON.stringify(want)}, found ${shown(obj[name])}`);
  }
  if (!Array.isArray(obj.recipients) || obj.recipients.length !== 2) {
    throw new MalformedInput(`recipients: expected an array of 2, found ${shown(obj.recipients)}`);
  }
  const recipients = obj.recipients.map((r) => {
    const want = ["kind", "public_key", "wrapped_key"];
    if (r === null || typeof r !== "object" || Object.keys(r).sort().join() !== want.join()) {
      throw new MalformedInput(`recipient: expected an object with fields ${JSON.stringify(want)}, found ${shown(r)}`);
    }
    return {
      kind: r.kind,
      publicKey: hexField(`${r.kind} public_key`, r.public_key, POINT_SIZE),
      wrappedKey: hexField(`${r.kind} wrapped_key`, r.wrapped_key, WRAPPED_KEY_SIZE),
    };
  });
  const header = {
    chunkSize: obj.chunk_size,
    noncePrefix: hexField("nonce_prefix", obj.nonce_prefix, NONCE_PREFIX_SIZE),
    keyCommitment: hexField("key_commitment", obj.key_commitment, KEY_SIZE),
    tenderId: obj.tender_id,
    bidder: obj.bidder,
    recipients,
  };
  headerJson(header); // every field rule, as the Python dataclass checks on construction
  return header;
}

/**
 * Parse the header at the start of `bytes` (which may hold more: the chunks).
 *
 * Returns { header, raw } where raw is the header's bytes (preamble included).
 * @throws {MalformedInput} wrong magic or version, truncated or non-canonical header,
 *   a field outside its rule.
 * @throws {LimitExceeded} a declared header length above MAX_HEADER_SIZE.
 */
export function parseHeader(bytes) {
  if (bytes.length < PREAMBLE_SIZE || !equalBytes(bytes.subarray(0, 6), MAGIC)) {
    throw new MalformedInput(`envelope: expected the magic b'CWSEAL', version and header length, found ${shown(bytes.subarray(0, PREAMBLE_SIZE))}`);
  }
  if (bytes[6] !== VERSION) throw new MalformedInput(`envelope version: expected ${VERSION}, found ${bytes[6]}`);
  const size = new DataView(bytes.buffer, bytes.byteOffset + 7, 4).getUint32(0, false);
  if (size > MAX_HEADER_SIZE) throw new LimitExceeded(`header: expected at most ${MAX_HEADER_SIZE} bytes, found ${size}`);
  const available = bytes.length - PREAMBLE_SIZE;
  if (available < size) {
    throw new MalformedInput(`header: expected ${size} bytes, found ${available} (envelope truncated)`);
  }
  const raw = bytes.slice(0, PREAMBLE_SIZE + size);
  const header = headerFromJson(parseCanonical(raw.subarray(PREAMBLE_SIZE), "header"));
  return { header, raw };
}
