/**
 * EIP-712 typed-data hashing and secp256k1 signing, for the bid a bidder signs.
 *
 * Typed data is in the JSON shape of eth_signTypedData_v4, exactly what
 * ledger_service/chain/tender_registry.py builds (byte values as 0x-hex strings,
 * integers as numbers, decimal strings or BigInt), so the digest here equals
 * `typed_data_digest` there and the contract's `bidDigest`. Signatures are
 * RFC 6979 deterministic, low-s, encoded r || s || v with v = 27 or 28: what
 * eth-account's `sign_message` produces for the same key and message.
 */

import { keccak_256 } from "@noble/hashes/sha3.js";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { MalformedInput } from "./errors.js";
import { concat, fromHex, shown, uintBytes, utf8 } from "./bytes.js";
import { addressBytes, addressOfPublicKey, checkChecksumAddress } from "./address.js";
import { checkSecret } from "./ecies.js";

export const TENDER_REGISTRY_NAME = "ChainWitness TenderRegistry";
export const TENDER_REGISTRY_VERSION = "2";
const UINT64_MAX = 2n ** 64n - 1n;
const DOMAIN_TYPE = [
  { name: "name", type: "string" },
  { name: "version", type: "string" },
  { name: "chainId", type: "uint256" },
  { name: "verifyingContract", type: "address" },
];
// TenderRegistry 2: the bidder's own account signs `Bid` (checked at reveal); a
// per-tender pseudonym signs `SealedBid` (the commitment relayed before the deadline)
const BID_TYPE = [
  { name: "tenderId", type: "bytes32" },
  { name: "bidder", type: "address" },
  { name: "pseudonym", type: "address" },
  { name: "ciphertextDigest", type: "bytes32" },
  { name: "plaintextCommitment", type: "bytes32" },
  { name: "envelopeDigest", type: "bytes32" },
];
const SEALED_BID_TYPE = [
  { name: "tenderId", type: "bytes32" },
  { name: "pseudonym", type: "address" },
  { name: "commitment", type: "bytes32" },
  { name: "nonce", type: "uint64" },
];

/** keccak256 of bytes. */
export function keccak256(bytes) {
  return keccak_256(bytes);
}

function hexBytes(name, value) {
  if (typeof value !== "string" || !value.startsWith("0x")) throw new MalformedInput(`${name}: expected 0x-hex bytes, found ${shown(value)}`);
  return fromHex(value.slice(2), { name, anyCase: true });
}

function integer(name, value) {
  const ok = typeof value === "bigint" || (typeof value === "number" && Number.isSafeInteger(value)) ||
    (typeof value === "string" && /^(0|-?[1-9][0-9]*|0x[0-9a-fA-F]+)$/.test(value));
  if (!ok) throw new MalformedInput(`${name}: expected an integer, found ${shown(value)}`);
  return BigInt(value);
}

function dependencies(type, types, found = new Set()) {
  if (found.has(type) || !types[type]) return found;
  found.add(type);
  for (const field of types[type]) dependencies(field.type.replace(/(\[\d*\])+$/, ""), types, found);
  return found;
}

function encodeType(primary, types) {
  const deps = [...dependencies(primary, types)].filter((t) => t !== primary).sort();
  return [primary, ...deps].map((t) => `${t}(${types[t].map((f) => `${f.type} ${f.name}`).join(",")})`).join("");
}

function encodeValue(type, value, types, name) {
  const array = /^(.*)\[(\d*)\]$/.exec(type);
  if (array) {
    if (!Array.isArray(value) || (array[2] !== "" && value.length !== Number(array[2]))) {
      throw new MalformedInput(`${name}: expected an array of ${type}, found ${shown(value)}`);
    }
    return keccak_256(concat(...value.map((v, i) => encodeValue(array[1], v, types, `${name}[${i}]`))));
  }
  if (types[type]) return hashStruct(type, value, types);
  if (type === "string") {
    if (typeof value !== "string") throw new MalformedInput(`${name}: expected a string, found ${shown(value)}`);
    return keccak_256(utf8(value));
  }
  if (type === "bytes") return keccak_256(hexBytes(name, value));
  if (type === "bool") {
    if (typeof value !== "boolean") throw new MalformedInput(`${name}: expected a boolean, found ${shown(value)}`);
    return uintBytes(value ? 1 : 0, 32);
  }
  if (type === "address") return concat(new Uint8Array(12), addressBytes(value, name));
  const fixed = /^bytes([1-9]|[12][0-9]|3[0-2])$/.exec(type);
  if (fixed) {
    const bytes = hexBytes(name, value);
    if (bytes.length !== Number(fixed[1])) throw new MalformedInput(`${name}: expected ${fixed[1]} bytes, found ${bytes.length}`);
    return concat(bytes, new Uint8Array(32 - bytes.length));
  }
  const int = /^(u?)int(8|16|24|32|40|48|56|64|72|80|88|96|104|112|120|128|136|144|152|160|168|176|184|192|200|208|216|224|232|240|248|256)$/.exec(type);
  if (int) {
    const bits = BigInt(int[2]);
    const v = integer(name, value);
    const [low, high] = int[1] ? [0n, 2n ** bits - 1n] : [-(2n ** (bits - 1n)), 2n ** (bits - 1n) - 1n];
    if (v < low || v > high) throw new MalformedInput(`${name}: expected ${low} <= ${name} <= ${high}, found ${v}`);
    return uintBytes(v < 0n ? 2n ** 256n + v : v, 32);
  }
  throw new MalformedInput(`${name}: expected an EIP-712 type, found ${shown(type)}`);
}

/** keccak256(typeHash || encodeData): EIP-712's hashStruct. @throws {MalformedInput} */
export function hashStruct(primary, data, types) {
  const fields = types[primary];
  if (!Array.isArray(fields)) throw new MalformedInput(`type: expected ${shown(primary)} among the types, found none`);
  if (data === null || typeof data !== "object") throw new MalformedInput(`${primary}: expected an object, found ${shown(data)}`);
  const parts = [keccak_256(utf8(encodeType(primary, types)))];
  for (const field of fields) {
    if (!(field.name in data)) throw new MalformedInput(`${primary}.${field.name}: expected a value, found none`);
    parts.push(encodeValue(field.type, data[field.name], types, `${primary}.${field.name}`));
  }
  return keccak_256(concat(...parts));
}

/**
 * The 32-byte EIP-712 digest keccak256(0x19 0x01 || domainSeparator || hashStruct(message)).
 * @throws {MalformedInput} the typed data is not valid EIP-712.
 */
export function typedDataDigest(typed) {
  const { types, primaryType, domain, message } = typed ?? {};
  if (!types?.EIP712Domain) throw new MalformedInput("typed data: expected types with EIP712Domain, found none");
  return keccak_256(concat(Uint8Array.of(0x19, 0x01), hashStruct("EIP712Domain", domain, types), hashStruct(primaryType, message, types)));
}

/** The on-chain id of a tender: keccak256 of its code's UTF-8 bytes, as given. */
export function tenderIdBytes(tenderCode) {
  if (typeof tenderCode !== "string" || !tenderCode) throw new MalformedInput("expected a non-empty tender code, found an empty string");
  return keccak_256(utf8(tenderCode));
}

function bytes32Hex(name, value) {
  if (!(value instanceof Uint8Array) || value.length !== 32) throw new MalformedInput(`${name}: expected 32 bytes, found ${shown(value)}`);
  return `0x${[...value].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

function registryDomain(chainId, contract) {
  const chain = integer("chainId", chainId);
  if (chain <= 0n) throw new MalformedInput(`expected a chain id > 0, found ${chainId}`);
  return {
    name: TENDER_REGISTRY_NAME,
    version: TENDER_REGISTRY_VERSION,
    chainId: Number.isSafeInteger(Number(chain)) ? Number(chain) : chain,
    verifyingContract: checkChecksumAddress(contract, "the registry address"),
  };
}

/**
 * The EIP-712 `Bid` the bidder's own account signs, as `bid_typed_data` in Python.
 * @throws {MalformedInput} a digest not 32 bytes, a bad address, chainId <= 0.
 */
export function bidTypedData({ chainId, contract, tenderId, bidder, pseudonym, ciphertextDigest, plaintextCommitment, envelopeDigest }) {
  return {
    types: { EIP712Domain: DOMAIN_TYPE, Bid: BID_TYPE },
    primaryType: "Bid",
    domain: registryDomain(chainId, contract),
    message: {
      tenderId: bytes32Hex("tender_id", tenderId),
      bidder: checkChecksumAddress(bidder, "bidder"),
      pseudonym: checkChecksumAddress(pseudonym, "pseudonym"),
      ciphertextDigest: bytes32Hex("ciphertext_digest", ciphertextDigest),
      plaintextCommitment: bytes32Hex("plaintext_commitment", plaintextCommitment),
      envelopeDigest: bytes32Hex("envelope_digest", envelopeDigest),
    },
  };
}

/**
 * The EIP-712 `SealedBid` the pseudonym signs for submitBid, as `sealed_bid_typed_data`.
 * @throws {MalformedInput} a bad value, chainId <= 0, nonce outside 1..2^64-1.
 */
export function sealedBidTypedData({ chainId, contract, tenderId, pseudonym, commitment, nonce }) {
  const n = integer("nonce", nonce);
  if (n < 1n || n > UINT64_MAX) throw new MalformedInput(`expected a nonce in [1, 2**64 - 1], found ${nonce}`);
  return {
    types: { EIP712Domain: DOMAIN_TYPE, SealedBid: SEALED_BID_TYPE },
    primaryType: "SealedBid",
    domain: registryDomain(chainId, contract),
    message: {
      tenderId: bytes32Hex("tender_id", tenderId),
      pseudonym: checkChecksumAddress(pseudonym, "pseudonym"),
      commitment: bytes32Hex("commitment", commitment),
      nonce: Number.isSafeInteger(Number(n)) ? Number(n) : n,
    },
  };
}

/** Sign `typed` with a 32-byte secp256k1 secret: 65 bytes r || s || v (27/28, low s). */
export function signTypedData(secret, typed) {
  const digest = typedDataDigest(typed);
  const sig = secp256k1.sign(digest, checkSecret(secret), { prehash: false, lowS: true, format: "recovered" });
  return concat(sig.subarray(1, 65), Uint8Array.of(27 + sig[0]));
}

/** The EIP-55 address that made `signature` (65 bytes r || s || v) over `typed`. @throws {MalformedInput} */
export function recoverTypedSigner(typed, signature) {
  if (!(signature instanceof Uint8Array) || signature.length !== 65) {
    throw new MalformedInput(`expected a 65-byte ECDSA signature, found ${shown(signature)}`);
  }
  const v = signature[64];
  if (v !== 27 && v !== 28) throw new MalformedInput(`expected v 27 or 28, found ${v}`);
  const recovered = concat(Uint8Array.of(v - 27), signature.subarray(0, 64));
  let publicKey;
  try {
    publicKey = secp256k1.recoverPublicKey(recovered, typedDataDigest(typed), { prehash: false });
  } catch (e) {
    if (e instanceof MalformedInput) throw e;
    throw new MalformedInput(`expected a valid ECDSA signature, found one that recovers no key (${e.message})`);
  }
  return addressOfPublicKey(publicKey);
}
