/**
 * RFC 8785 (JCS) canonical JSON for the values the project uses, and strict parsing.
 *
 * The domain is that of ledger_service/core/canonical.py: null, booleans, safe
 * integers, strings of Unicode scalar values, arrays, objects. For it JCS is
 * JSON.stringify's string escaping (RFC 8785 was written around it) with object
 * members sorted by UTF-16 code units, which is JavaScript's default string order.
 *
 * `parseCanonical` accepts bytes only if they are exactly the canonical form of
 * what they parse to: that one comparison rejects whitespace, duplicate members
 * (JSON.parse keeps the last), fractions and exponents, escapes that need not be,
 * and member order; invalid UTF-8 and lone surrogates are rejected explicitly.
 */

import { MalformedInput } from "./errors.js";
import { equalBytes, fromUtf8, utf8 } from "./bytes.js";

function walk(value, name) {
  if (value === null || value === true || value === false) return JSON.stringify(value);
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) {
      throw new MalformedInput(`${name}: expected an integer within +-(2^53 - 1), found ${value}`);
    }
    return Object.is(value, -0) ? "0" : String(value);
  }
  if (typeof value === "string") {
    if (!value.isWellFormed()) throw new MalformedInput(`${name}: expected Unicode scalar values, found a lone surrogate`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((v, i) => walk(v, `${name}[${i}]`)).join(",")}]`;
  if (typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${walk(k, name)}:${walk(value[k], `${name}.${k}`)}`).join(",")}}`;
  }
  throw new MalformedInput(`${name}: expected a JSON value, found ${typeof value}`);
}

/** The JCS bytes (UTF-8) of `value`. @throws {MalformedInput} a value outside the domain. */
export function canonicalize(value, name = "value") {
  return utf8(walk(value, name));
}

/**
 * Parse `bytes` as JSON and require them to be its canonical form.
 * @throws {MalformedInput} invalid UTF-8 or JSON, or bytes that are not canonical.
 */
export function parseCanonical(bytes, name = "json") {
  const text = fromUtf8(bytes, name);
  let value;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new MalformedInput(`${name}: expected one JSON value, found invalid JSON (${e.message})`);
  }
  if (!equalBytes(canonicalize(value, name), bytes)) {
    throw new MalformedInput(`${name}: expected canonical JSON (RFC 8785), found another encoding`);
  }
  return value;
}
