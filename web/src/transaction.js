/**
 * A legacy (EIP-155) Ethereum transaction, built and signed in the browser.
 *
 * For the parties who must act on chain with their own account (a notary registering
 * or revoking a certificate on NotaryRegistry): the page signs with the key it holds
 * and hands the raw transaction to the service, which only broadcasts it (it cannot
 * alter a signed transaction). Encoding: RLP of [nonce, gasPrice, gas, to, value,
 * data, v, r, s] with v = chainId * 2 + 35 + recovery id; the signed hash is
 * keccak256(RLP([nonce, gasPrice, gas, to, value, data, chainId, 0, 0])).
 */

import { keccak_256 } from "@noble/hashes/sha3.js";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { ChainUnavailable, MalformedInput } from "./errors.js";
import { concat, shown, toHex, uintBytes } from "./bytes.js";
import { addressBytes } from "./address.js";
import { checkSecret } from "./ecies.js";
import { selector } from "./rpc.js";

function lengthPrefix(len, short) {
  if (len <= 55) return Uint8Array.of(short + len);
  let bytes = [];
  for (let v = len; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return Uint8Array.of(short + 55 + bytes.length, ...bytes);
}

/** RLP of a byte string or a (nested) list of them. */
export function rlp(item) {
  if (item instanceof Uint8Array) {
    if (item.length === 1 && item[0] < 0x80) return item;
    return concat(lengthPrefix(item.length, 0x80), item);
  }
  if (!Array.isArray(item)) throw new MalformedInput(`rlp: expected bytes or a list, found ${shown(item)}`);
  const payload = concat(...item.map(rlp));
  return concat(lengthPrefix(payload.length, 0xc0), payload);
}

/** The minimal big-endian bytes of a non-negative integer (0 is the empty string). */
export function quantityBytes(value) {
  let v = BigInt(value);
  if (v < 0n) throw new MalformedInput(`quantity: expected >= 0, found ${v}`);
  const out = [];
  while (v > 0n) {
    out.unshift(Number(v & 0xffn));
    v >>= 8n;
  }
  return Uint8Array.from(out);
}

const stripped = (bytes) => quantityBytes(BigInt(`0x${toHex(bytes) || "0"}`));

/**
 * Sign a legacy EIP-155 transaction with a 32-byte secret; returns the raw bytes.
 * @param {object} tx { chainId, nonce, gasPrice, gas, to (EIP-55), value (default 0), data (bytes) }
 */
export function signLegacyTransaction(secret, { chainId, nonce, gasPrice, gas, to, value = 0, data }) {
  const fields = [quantityBytes(nonce), quantityBytes(gasPrice), quantityBytes(gas), addressBytes(to, "to"), quantityBytes(value), data];
  const hash = keccak_256(rlp([...fields, quantityBytes(chainId), new Uint8Array(0), new Uint8Array(0)]));
  const sig = secp256k1.sign(hash, checkSecret(secret), { prehash: false, lowS: true, format: "recovered" });
  const v = BigInt(chainId) * 2n + 35n + BigInt(sig[0]);
  return rlp([...fields, quantityBytes(v), stripped(sig.subarray(1, 33)), stripped(sig.subarray(33, 65))]);
}

function quantityOf(name, value) {
  if (typeof value !== "string" || !/^0x[0-9a-f]+$/i.test(value)) throw new ChainUnavailable(`${name}: expected a JSON-RPC quantity, found ${shown(value)}`);
  return BigInt(value);
}

/**
 * Build and sign a call of `data` on contract `to` from `from` (the secret's account),
 * reading nonce, gas price and a gas estimate from `rpc` (the estimate with a 30% margin).
 * @returns {Promise<Uint8Array>} the raw signed transaction
 */
export async function signContractCall(rpc, secret, { chainId, from, to, data }) {
  const call = { from, to, data: `0x${toHex(data)}` };
  const [nonce, gasPrice, estimate] = await Promise.all([
    rpc.call("eth_getTransactionCount", [from, "pending"]),
    rpc.call("eth_gasPrice"),
    rpc.call("eth_estimateGas", [call]),
  ]);
  const gas = (quantityOf("eth_estimateGas", estimate) * 13n) / 10n + 10_000n;
  return signLegacyTransaction(secret, {
    chainId, nonce: quantityOf("eth_getTransactionCount", nonce), gasPrice: quantityOf("eth_gasPrice", gasPrice), gas, to, data,
  });
}

function word(name, bytes) {
  if (!(bytes instanceof Uint8Array) || bytes.length !== 32) throw new MalformedInput(`${name}: expected 32 bytes, found ${shown(bytes)}`);
  return bytes;
}

/** Calldata of NotaryRegistry.registerCertificate(certDigest, packageDigest, treeSize, treeRoot). */
export function registerCertificateData(certDigest, packageDigest, treeSize, treeRoot) {
  return concat(selector("registerCertificate(bytes32,bytes32,uint64,bytes32)"), word("cert_digest", certDigest),
    word("package_digest", packageDigest), uintBytes(treeSize, 32), word("tree_root", treeRoot));
}

/** Calldata of NotaryRegistry.revokeCertificate(certDigest, reasonCode). */
export function revokeCertificateData(certDigest, reasonCode) {
  if (!Number.isSafeInteger(reasonCode) || reasonCode < 1 || reasonCode > 255) {
    throw new MalformedInput(`reason code: expected 1..255, found ${shown(reasonCode)}`);
  }
  return concat(selector("revokeCertificate(bytes32,uint8)"), word("cert_digest", certDigest), uintBytes(reasonCode, 32));
}
