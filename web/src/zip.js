/**
 * A small ZIP reader for evidence packages (docs/evidence-package.md section 1), in the
 * browser: the central directory, stored and deflated entries (DecompressionStream
 * "deflate-raw"), no encryption, no ZIP64. Sizes are checked on the bytes actually
 * decompressed, against the package limits.
 */

import { LimitExceeded, MalformedInput } from "./errors.js";

export const MAX_PACKAGE_BYTES = 1024 ** 3;
export const MAX_ENTRIES = 10000;
export const MAX_JSON_BYTES = 1024 ** 2;
export const MAX_FILE_BYTES = 256 * 1024 ** 2;
export const MAX_TOTAL_BYTES = 1024 ** 3;

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

async function bytesOf(blob, start, end) {
  return new Uint8Array(await blob.slice(start, end).arrayBuffer());
}

async function inflate(data, limit, name) {
  const stream = new Blob([data]).stream().pipeThrough(new DecompressionStream("deflate-raw"));
  const reader = stream.getReader();
  const parts = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > limit) throw new LimitExceeded(`${name}: expected at most ${limit} bytes decompressed, found more`);
      parts.push(value);
    }
  } catch (e) {
    if (e instanceof LimitExceeded) throw e;
    throw new MalformedInput(`${name}: expected deflated data, found data that does not inflate (${e.message})`);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Read every entry of a ZIP archive.
 * @param {Blob} blob  the archive
 * @returns {Promise<Array<{name, data: Uint8Array}>>} in the order of the central directory
 * @throws {MalformedInput|LimitExceeded} not a ZIP this reader takes, or over a limit.
 */
export async function readZip(blob) {
  if (blob.size > MAX_PACKAGE_BYTES) throw new LimitExceeded(`package: expected at most ${MAX_PACKAGE_BYTES} bytes, found ${blob.size}`);
  const tailStart = Math.max(0, blob.size - (65535 + 22));
  const tail = await bytesOf(blob, tailStart, blob.size);
  const tv = new DataView(tail.buffer);
  let eocd = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tv.getUint32(i, true) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new MalformedInput("package: expected a ZIP archive, found no end of central directory");
  const count = tv.getUint16(eocd + 10, true);
  const cdSize = tv.getUint32(eocd + 12, true);
  const cdOffset = tv.getUint32(eocd + 16, true);
  if (count === 0xffff || cdOffset === 0xffffffff) throw new MalformedInput("package: expected a ZIP without ZIP64, found ZIP64");
  if (count > MAX_ENTRIES) throw new LimitExceeded(`package: expected at most ${MAX_ENTRIES} entries, found ${count}`);
  const cd = await bytesOf(blob, cdOffset, cdOffset + cdSize);
  const cv = new DataView(cd.buffer);
  const decoder = new TextDecoder("utf-8", { fatal: true });
  const entries = [];
  let at = 0;
  let total = 0;
  for (let n = 0; n < count; n++) {
    if (at + 46 > cd.length || cv.getUint32(at, true) !== CENTRAL) throw new MalformedInput(`package: expected central directory entry ${n}, found other bytes`);
    const flags = cv.getUint16(at + 8, true);
    const method = cv.getUint16(at + 10, true);
    const compressed = cv.getUint32(at + 20, true);
    const size = cv.getUint32(at + 24, true);
    const nameLen = cv.getUint16(at + 28, true);
    const extraLen = cv.getUint16(at + 30, true);
    const commentLen = cv.getUint16(at + 32, true);
    const local = cv.getUint32(at + 42, true);
    let name;
    try {
      name = decoder.decode(cd.subarray(at + 46, at + 46 + nameLen));
    } catch {
      throw new MalformedInput(`package: expected UTF-8 entry names, found entry ${n} not UTF-8`);
    }
    at += 46 + nameLen + extraLen + commentLen;
    if (flags & 1) throw new MalformedInput(`${name}: expected no encryption, found an encrypted entry`);
    if (method !== 0 && method !== 8) throw new MalformedInput(`${name}: expected stored or deflated, found method ${method}`);
    const limit = name.startsWith("files/") ? MAX_FILE_BYTES : MAX_JSON_BYTES;
    if (size > limit) throw new LimitExceeded(`${name}: expected at most ${limit} bytes, found ${size} declared`);
    const lh = await bytesOf(blob, local, local + 30);
    const lv = new DataView(lh.buffer);
    if (lh.length < 30 || lv.getUint32(0, true) !== LOCAL) throw new MalformedInput(`${name}: expected a local header at ${local}, found other bytes`);
    const start = local + 30 + lv.getUint16(26, true) + lv.getUint16(28, true);
    const raw = await bytesOf(blob, start, start + compressed);
    const data = method === 0 ? raw : await inflate(raw, limit, name);
    if (data.length !== size) throw new MalformedInput(`${name}: expected ${size} bytes as declared, found ${data.length}`);
    total += data.length;
    if (total > MAX_TOTAL_BYTES) throw new LimitExceeded(`package: expected at most ${MAX_TOTAL_BYTES} bytes in all, found more`);
    entries.push({ name, data });
  }
  return entries;
}
