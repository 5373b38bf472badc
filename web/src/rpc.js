/**
 * A minimal Ethereum JSON-RPC reader over fetch, for checking anchors in the browser.
 *
 * It reads; it never signs or sends transactions. The endpoint is untrusted like
 * everything else: every answer is checked for shape (JSON-RPC 2.0, the id asked,
 * quantities and hashes in their exact hex form) before a value is used, and a
 * reader that wants a verdict compares what it reads against the anchor it holds
 * and the pinned trust policy (docs/proof-format.md, section 7.1, step 3).
 */

import { ChainUnavailable, MalformedInput } from "./errors.js";
import { fromHex, shown, toHex, uintBytes, utf8 } from "./bytes.js";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { checkChecksumAddress } from "./address.js";

const QUANTITY = /^0x(0|[1-9a-f][0-9a-f]*)$/;
const HASH32 = /^0x[0-9a-f]{64}$/;

function quantity(name, value) {
  if (typeof value !== "string" || !QUANTITY.test(value)) {
    throw new ChainUnavailable(`${name}: expected a JSON-RPC quantity, found ${shown(value)}`);
  }
  const v = BigInt(value);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ChainUnavailable(`${name}: expected at most 2^53 - 1, found ${v}`);
  return Number(v);
}

function hash32(name, value) {
  if (typeof value !== "string" || !HASH32.test(value)) {
    throw new ChainUnavailable(`${name}: expected 0x and 64 lowercase hex digits, found ${shown(value)}`);
  }
  return value;
}

function blockTag(block) {
  if (block === "latest" || block === "finalized" || block === "safe") return block;
  if (Number.isSafeInteger(block) && block >= 0) return `0x${block.toString(16)}`;
  throw new MalformedInput(`block: expected a block number or "latest", found ${shown(block)}`);
}

/** The 4-byte selector of a Solidity function signature, e.g. "rootOf(uint64)". */
export function selector(signature) {
  return keccak_256(utf8(signature)).subarray(0, 4);
}

export class JsonRpc {
  /**
   * @param {string} url  the endpoint (http or https)
   * @param {object} [opts] `fetch` (for tests), `timeoutMs` per call (default 15000)
   */
  constructor(url, { fetch = globalThis.fetch.bind(globalThis), timeoutMs = 15000 } = {}) {
    this.url = url;
    this._fetch = fetch;
    this._timeoutMs = timeoutMs;
    this._id = 0;
  }

  /**
   * Call `method` with `params`; returns the `result` member.
   * @throws {ChainUnavailable} no answer, an HTTP error, not JSON-RPC, or an error object.
   */
  async call(method, params = []) {
    const id = ++this._id;
    let reply;
    try {
      const response = await this._fetch(this.url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id, method, params }),
        signal: AbortSignal.timeout(this._timeoutMs),
      });
      if (!response.ok) throw new ChainUnavailable(`${method}: expected HTTP 200, found ${response.status}`);
      reply = await response.json();
    } catch (e) {
      if (e instanceof ChainUnavailable) throw e;
      throw new ChainUnavailable(`${method}: expected a JSON-RPC answer from ${this.url}, found ${e.name}: ${e.message}`);
    }
    if (reply === null || typeof reply !== "object" || reply.jsonrpc !== "2.0" || reply.id !== id) {
      throw new ChainUnavailable(`${method}: expected a JSON-RPC 2.0 answer with id ${id}, found ${shown(reply)}`);
    }
    if ("error" in reply) throw new ChainUnavailable(`${method}: the node answered error ${shown(reply.error)}`);
    if (!("result" in reply)) throw new ChainUnavailable(`${method}: expected a result, found none`);
    return reply.result;
  }

  /** eth_chainId as a Number. */
  async chainId() {
    return quantity("eth_chainId", await this.call("eth_chainId"));
  }

  /** eth_blockNumber as a Number. */
  async blockNumber() {
    return quantity("eth_blockNumber", await this.call("eth_blockNumber"));
  }

  /**
   * eth_getBlockByNumber (without transactions): { number, hash, parentHash, timestamp }, or null.
   * @throws {ChainUnavailable} a malformed block.
   */
  async getBlockByNumber(block = "latest") {
    const b = await this.call("eth_getBlockByNumber", [blockTag(block), false]);
    if (b === null) return null;
    return {
      number: quantity("block.number", b?.number),
      hash: hash32("block.hash", b?.hash),
      parentHash: hash32("block.parentHash", b?.parentHash),
      timestamp: quantity("block.timestamp", b?.timestamp),
    };
  }

  /** eth_getTransactionReceipt: { transactionHash, blockHash, blockNumber, status, to }, or null. */
  async getTransactionReceipt(txHash) {
    const r = await this.call("eth_getTransactionReceipt", [hash32("transaction hash", txHash)]);
    if (r === null) return null;
    return {
      transactionHash: hash32("receipt.transactionHash", r?.transactionHash),
      blockHash: hash32("receipt.blockHash", r?.blockHash),
      blockNumber: quantity("receipt.blockNumber", r?.blockNumber),
      status: quantity("receipt.status", r?.status),
      to: r?.to ?? null,
    };
  }

  /** eth_call of `data` (bytes) on contract `to` at `block`; returns the bytes returned. */
  async ethCall(to, data, block = "latest") {
    const result = await this.call("eth_call", [{ to: checkChecksumAddress(to, "contract"), data: `0x${toHex(data)}` }, blockTag(block)]);
    if (typeof result !== "string" || !result.startsWith("0x")) {
      throw new ChainUnavailable(`eth_call: expected 0x-hex bytes, found ${shown(result)}`);
    }
    try {
      return fromHex(result.slice(2), { name: "eth_call result", anyCase: true });
    } catch {
      throw new ChainUnavailable(`eth_call: expected 0x-hex bytes, found ${shown(result)}`);
    }
  }
}

/**
 * EvidenceLog(contract).rootOf(size): the 32-byte root anchored for that size,
 * all zero when no head of that size was anchored.
 * @throws {ChainUnavailable} the node fails or answers other than 32 bytes.
 */
export async function evidenceLogRootOf(rpc, contract, size, block = "latest") {
  if (!Number.isSafeInteger(size) || size < 0) throw new MalformedInput(`size: expected an integer >= 0, found ${shown(size)}`);
  const data = new Uint8Array([...selector("rootOf(uint64)"), ...uintBytes(size, 32)]);
  const out = await rpc.ethCall(contract, data, block);
  if (out.length !== 32) throw new ChainUnavailable(`rootOf: expected 32 bytes, found ${out.length}`);
  return out;
}
