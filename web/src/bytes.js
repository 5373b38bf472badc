/**
 * Byte encodings every module needs: hex, UTF-8, base64, concatenation, comparison.
 *
 * Hex is lowercase on output; `fromHex` accepts lowercase only unless told otherwise,
 * because every wire format of the project writes lowercase hex (docs/proof-format.md,
 * section 3) and one value must have one encoding.
 */

import { MalformedInput } from "./errors.js";

const HEX = "0123456789abcdef";

/** Lowercase hex of `bytes` (a Uint8Array). */
export function toHex(bytes) {
  let out = "";
  for (let i = 0; i < bytes.length; i++) out += HEX[bytes[i] >> 4] + HEX[bytes[i] & 15];
  return out;
}

/**
 * Decode hex into bytes.
 * @param {string} text  hex digits, no `0x`
 * @param {object} [opts] `size`: exact byte length required; `name`: for messages;
 *   `anyCase`: accept A-F too (Ethereum JSON-RPC answers).
 * @throws {MalformedInput} not hex, odd length, or not `size` bytes.
 */
export function fromHex(text, { size, name = "hex", anyCase = false } = {}) {
  const pattern = anyCase ? /^(?:[0-9a-fA-F]{2})*$/ : /^(?:[0-9a-f]{2})*$/;
  if (typeof text !== "string" || !pattern.test(text)) {
    throw new MalformedInput(`${name}: expected ${anyCase ? "" : "lowercase "}hex digits, found ${shown(text)}`);
  }
  if (size !== undefined && text.length !== 2 * size) {
    throw new MalformedInput(`${name}: expected ${2 * size} hex digits, found ${text.length}`);
  }
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.substr(2 * i, 2), 16);
  return out;
}

const encoder = new TextEncoder();
const strictDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** UTF-8 bytes of `text`. */
export function utf8(text) {
  return encoder.encode(text);
}

/** Decode UTF-8, rejecting invalid sequences. @throws {MalformedInput} */
export function fromUtf8(bytes, name = "text") {
  try {
    return strictDecoder.decode(bytes);
  } catch {
    throw new MalformedInput(`${name}: expected UTF-8, found invalid byte sequences`);
  }
}

/**
 * Decode standard base64 with padding (RFC 4648 section 4), canonical only.
 * @throws {MalformedInput} other alphabets, missing padding, or stray bits.
 */
export function fromBase64(text, name = "base64") {
  if (typeof text !== "string" || text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) {
    throw new MalformedInput(`${name}: expected padded standard base64, found ${shown(text)}`);
  }
  const raw = atob(text);
  const out = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  if (toBase64(out) !== text) {
    throw new MalformedInput(`${name}: expected canonical base64 (no stray bits), found ${shown(text)}`);
  }
  return out;
}

/** Standard base64 with padding. */
export function toBase64(bytes) {
  let raw = "";
  for (let i = 0; i < bytes.length; i++) raw += String.fromCharCode(bytes[i]);
  return btoa(raw);
}

/** One Uint8Array holding every argument in order. */
export function concat(...parts) {
  let size = 0;
  for (const p of parts) size += p.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Whether two byte arrays hold the same bytes (not constant time: for public values). */
export function equalBytes(a, b) {
  if (!(a instanceof Uint8Array) || !(b instanceof Uint8Array) || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Big-endian bytes of a non-negative integer (Number or BigInt) in `size` bytes. */
export function uintBytes(value, size) {
  let v = BigInt(value);
  const out = new Uint8Array(size);
  for (let i = size - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  if (v !== 0n) throw new MalformedInput(`integer: expected at most ${size} bytes, found ${value}`);
  return out;
}

/** The big-endian integer of `bytes`, as a BigInt. */
export function bytesToBigInt(bytes) {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

/** A short rendering of a value for error messages (never megabytes). */
export function shown(value) {
  let text;
  if (value instanceof Uint8Array) text = `${value.length} bytes`;
  else if (typeof value === "string") text = JSON.stringify(value);
  else if (typeof value === "bigint") text = `${value}`;
  else text = value === undefined ? "undefined" : JSON.stringify(value) ?? String(value);
  return text.length <= 80 ? text : `${text.slice(0, 60)}... (${text.length} chars)`;
}
