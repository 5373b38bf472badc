/**
 * RFC 9162 (section 2.1) Merkle proof verification over SHA-256, in the browser.
 *
 * The same verifiers, with the same rules, as ledger_service/core/merkle.py and
 * docs/proof-format.md, section 7: anything that does not verify, malformed values
 * included, throws VerificationFailed; nothing else is thrown. Sizes and indices are
 * safe integers (Number) or BigInt; the walk runs on BigInt because JavaScript's
 * bit operators on Number cut to 32 bits and trees here may have up to 2^53 - 1 leaves.
 *
 * Rules at the edges (proof-format.md 6.3): a consistency proof from size 0 never
 * verifies; equal sizes verify exactly when the proof is empty and the roots equal,
 * the roots then compared as given, whatever their length (the published vectors'
 * rule); every other hash must be exactly 32 bytes.
 */

import { sha256 } from "@noble/hashes/sha2.js";
import { VerificationFailed } from "./errors.js";
import { concat, equalBytes, toHex } from "./bytes.js";

export const HASH_SIZE = 32;
const LEAF_PREFIX = Uint8Array.of(0);
const NODE_PREFIX = Uint8Array.of(1);

/** RFC 9162 leaf hash: SHA-256(0x00 || data). */
export function leafHash(data) {
  return sha256(concat(LEAF_PREFIX, data));
}

/** RFC 9162 interior node hash: SHA-256(0x01 || left || right). */
export function nodeHash(left, right) {
  return sha256(concat(NODE_PREFIX, left, right));
}

function describe(value) {
  return value instanceof Uint8Array ? `${value.length} bytes` : value === null ? "null" : typeof value;
}

function needHash(name, value) {
  if (!(value instanceof Uint8Array) || value.length !== HASH_SIZE) {
    throw new VerificationFailed(`expected ${name} to be a ${HASH_SIZE}-byte hash, found ${describe(value)}`);
  }
  return value;
}

function needSize(name, value) {
  const ok =
    (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) ||
    (typeof value === "bigint" && value >= 0n);
  if (!ok) throw new VerificationFailed(`expected ${name} to be an integer >= 0, found ${String(value)}`);
  return BigInt(value);
}

function needPath(name, proof) {
  if (!Array.isArray(proof)) {
    throw new VerificationFailed(`expected ${name} to be an array of hashes, found ${describe(proof)}`);
  }
  return proof.map((p, i) => needHash(`${name}[${i}]`, p));
}

/**
 * Check that `leaf` is leaf `index` of the tree of `size` leaves with `root`.
 *
 * RFC 9162 section 2.1.3.2. The proof binds the leaf to (size, root) only as a pair:
 * take both from one trusted tree head (an anchor checked on chain).
 * Requires 0 <= index < size and 32-byte hashes (checked).
 * @throws {VerificationFailed} a precondition fails or the proof does not verify.
 */
export function verifyInclusion(leaf, index, size, proof, root) {
  leaf = needHash("leaf hash", leaf);
  const wantRoot = needHash("root", root);
  const idx = needSize("leaf index", index);
  const sz = needSize("tree size", size);
  const path = needPath("inclusion proof", proof);
  if (idx >= sz) {
    throw new VerificationFailed(`expected leaf index < tree size, found index ${idx} >= size ${sz}`);
  }
  let fn = idx;
  let sn = sz - 1n;
  let r = leaf;
  for (const p of path) {
    if (sn === 0n) {
      throw new VerificationFailed(
        `expected an inclusion proof of at most the length the tree allows for index ${idx} in size ${sz}, found ${path.length} elements (too long)`,
      );
    }
    if (fn & 1n || fn === sn) {
      r = nodeHash(p, r);
      while (fn !== 0n && !(fn & 1n)) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      r = nodeHash(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  if (sn !== 0n) {
    throw new VerificationFailed(
      `expected a longer inclusion proof for index ${idx} in size ${sz}, found ${path.length} elements (too short)`,
    );
  }
  if (!equalBytes(r, wantRoot)) {
    throw new VerificationFailed(`expected the proof to reproduce root ${toHex(wantRoot)}, found ${toHex(r)}`);
  }
}

function hexOf(value) {
  return value instanceof Uint8Array ? toHex(value) : describe(value);
}

/**
 * Check that the tree (size2, root2) extends the tree (size1, root1).
 *
 * RFC 9162 section 2.1.4.2 plus the equal-size case; size1 = 0 never verifies.
 * @throws {VerificationFailed} a precondition fails or the proof does not verify.
 */
export function verifyConsistency(size1, size2, root1, root2, proof) {
  const s1 = needSize("size1", size1);
  const s2 = needSize("size2", size2);
  let path = needPath("consistency proof", proof);
  if (s1 === 0n) {
    throw new VerificationFailed(
      `expected size1 > 0 (no consistency proof from the empty tree), found size1=0, size2=${s2}`,
    );
  }
  if (s1 > s2) throw new VerificationFailed(`expected size1 <= size2, found ${s1} > ${s2}`);
  if (s1 === s2) {
    if (path.length) {
      throw new VerificationFailed(`expected an empty proof for equal sizes ${s1}, found ${path.length} elements`);
    }
    if (!(root1 instanceof Uint8Array) || !equalBytes(root1, root2)) {
      throw new VerificationFailed(
        `expected equal roots for equal sizes ${s1}, found ${hexOf(root1)} and ${hexOf(root2)}`,
      );
    }
    return;
  }
  const first = needHash("root1", root1);
  const second = needHash("root2", root2);
  if (!path.length) {
    throw new VerificationFailed(`expected a non-empty consistency proof from ${s1} to ${s2}, found none`);
  }
  // the old root is itself a node of the new tree: the verifier supplies it
  if ((s1 & (s1 - 1n)) === 0n) path = [first, ...path];
  let fn = s1 - 1n;
  let sn = s2 - 1n;
  while (fn & 1n) {
    fn >>= 1n;
    sn >>= 1n;
  }
  let fr = path[0];
  let sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0n) {
      throw new VerificationFailed(
        `expected a consistency proof of at most the length sizes ${s1} -> ${s2} allow, found ${proof.length} elements (too long)`,
      );
    }
    if (fn & 1n || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while (fn !== 0n && !(fn & 1n)) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  if (sn !== 0n) {
    throw new VerificationFailed(
      `expected a longer consistency proof for sizes ${s1} -> ${s2}, found ${proof.length} elements (too short)`,
    );
  }
  if (!equalBytes(fr, first)) {
    throw new VerificationFailed(`expected the proof to reproduce root1 ${toHex(first)}, found ${toHex(fr)}`);
  }
  if (!equalBytes(sr, second)) {
    throw new VerificationFailed(`expected the proof to reproduce root2 ${toHex(second)}, found ${toHex(sr)}`);
  }
}
