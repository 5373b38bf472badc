/**
 * Ethereum addresses: from a secp256k1 public key, and the EIP-55 checksum.
 *
 * address = the last 20 bytes of keccak256(uncompressed public key without 0x04);
 * EIP-55 writes hex digit i in upper case iff nibble i of keccak256(lowercase hex) >= 8.
 */

import { keccak_256 } from "@noble/hashes/sha3.js";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { MalformedInput } from "./errors.js";
import { fromHex, shown, toHex, utf8 } from "./bytes.js";

/** The EIP-55 form of a `0x` + 40 hex digit address (any case). @throws {MalformedInput} */
export function toChecksumAddress(address, name = "address") {
  if (typeof address !== "string" || !/^0x[0-9a-fA-F]{40}$/.test(address)) {
    throw new MalformedInput(`${name}: expected 0x and 40 hex digits, found ${shown(address)}`);
  }
  const lower = address.slice(2).toLowerCase();
  const digest = toHex(keccak_256(utf8(lower)));
  let out = "0x";
  for (let i = 0; i < 40; i++) out += parseInt(digest[i], 16) >= 8 ? lower[i].toUpperCase() : lower[i];
  return out;
}

/** Require an EIP-55 checksummed address and return it. @throws {MalformedInput} */
export function checkChecksumAddress(address, name = "address") {
  const want = toChecksumAddress(address, name);
  if (address !== want) throw new MalformedInput(`${name}: expected the EIP-55 checksummed ${want}, found ${address}`);
  return address;
}

/** The EIP-55 address of a secp256k1 public key (33 or 65 bytes). @throws {MalformedInput} */
export function addressOfPublicKey(publicKey) {
  let point;
  try {
    point = secp256k1.Point.fromBytes(publicKey);
  } catch {
    throw new MalformedInput(`public key: expected a secp256k1 point, found ${shown(publicKey)}`);
  }
  const raw = point.toBytes(false).subarray(1);
  return toChecksumAddress(`0x${toHex(keccak_256(raw).subarray(12))}`);
}

/** The 20 bytes of an address. @throws {MalformedInput} */
export function addressBytes(address, name = "address") {
  return fromHex(toChecksumAddress(address, name).slice(2).toLowerCase(), { size: 20, name });
}
