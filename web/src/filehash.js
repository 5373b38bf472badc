/**
 * SHA-256 of a File or Blob, streamed: a 2 GB file is hashed with about two chunks
 * of memory, never read whole and never uploaded.
 *
 * Web Crypto's `digest` takes one buffer and has no incremental form, so the hash is
 * @noble/hashes' incremental SHA-256 fed `blob.slice()` chunks. The next chunk is
 * read while the current one is hashed (one read ahead), so reading and hashing
 * overlap. Runs in a page or a Worker.
 */

import { sha256 } from "@noble/hashes/sha2.js";
import { MalformedInput } from "./errors.js";

/** Bytes read per step: large enough to amortize the read, small enough to stay flat. */
export const DEFAULT_HASH_CHUNK = 4 * 1024 * 1024;

/**
 * Return the 32-byte SHA-256 of `blob`.
 * @param {Blob} blob  a File, or any Blob
 * @param {object} [opts] `chunkSize` bytes per read; `progress(done, total)` after each
 *   chunk; `signal` an AbortSignal checked between chunks.
 * @throws {MalformedInput} `blob` is not a Blob or `chunkSize` is not a positive integer.
 * @throws {DOMException} the read failed or was aborted (passed through).
 */
export async function sha256Blob(blob, { chunkSize = DEFAULT_HASH_CHUNK, progress, signal } = {}) {
  if (!(blob instanceof Blob)) throw new MalformedInput(`file: expected a File or Blob, found ${typeof blob}`);
  if (!Number.isSafeInteger(chunkSize) || chunkSize <= 0) {
    throw new MalformedInput(`chunkSize: expected a positive integer, found ${chunkSize}`);
  }
  const hash = sha256.create();
  const total = blob.size;
  const read = (at) => blob.slice(at, Math.min(at + chunkSize, total)).arrayBuffer();
  let at = 0;
  let pending = total > 0 ? read(0) : null;
  while (pending !== null) {
    const buffer = await pending;
    signal?.throwIfAborted();
    at += buffer.byteLength;
    pending = at < total ? read(at) : null;
    hash.update(new Uint8Array(buffer));
    progress?.(at, total);
  }
  return hash.digest();
}
