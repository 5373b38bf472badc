/**
 * What a bidder's browser computes besides the envelope: the tender read from the
 * chain and its opening key checked, the per-tender pseudonym, the sealed commitment
 * and the sealed file name. Python references: ledger_service/tenders/bidder.py,
 * ledger_service/chain/tender_messages.py, ledger_service/core/sealing/file_name.py.
 *
 * The opening key is taken from the chain the user reads (the pinned TenderRegistry
 * over JSON-RPC), never from the service: TenderRegistry.finalizeKey accepted it only
 * with t custodians' signed approvals of keccak256(key), and stores that hash; a key
 * the service serves is used only if it hashes to it (docs/web-crypto.md).
 */

import { keccak_256 } from "@noble/hashes/sha3.js";
import { ChainUnavailable, MalformedInput, VerificationFailed } from "./errors.js";
import { bytesToBigInt, concat, equalBytes, shown, toHex, utf8 } from "./bytes.js";
import { addressBytes, addressOfPublicKey, toChecksumAddress } from "./address.js";
import { hkdfSha256, aesKey, gcmSeal, randomBytes } from "./aead.js";
import { selector } from "./rpc.js";
import { publicKey, checkSecret } from "./ecies.js";

/** ITenderRegistry.Status, by number. */
export const TENDER_STATUS = ["None", "Open", "Opened", "Failed", "Cancelled", "KeyGeneration"];
const TENDER_VIEW_WORDS = 15;
const FILE_NAME_INFO = utf8("chainwitness/sealed-envelope/file-name/v1");
const PSEUDONYM_TAG = utf8("chainwitness/pseudonym/v1");

function bytes32(name, value) {
  if (!(value instanceof Uint8Array) || value.length !== 32) throw new MalformedInput(`${name}: expected 32 bytes, found ${shown(value)}`);
  return value;
}

function words(out, count, what) {
  if (out.length !== 32 * count) throw new ChainUnavailable(`${what}: expected ${32 * count} bytes, found ${out.length}`);
  return Array.from({ length: count }, (_, i) => out.subarray(32 * i, 32 * i + 32));
}

const num = (w) => {
  const v = bytesToBigInt(w);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ChainUnavailable(`expected a number below 2^53, found ${v}`);
  return Number(v);
};

/**
 * TenderRegistry(registry).getTender(tenderId) read over `rpc`.
 * @returns {Promise<object>} { status (name), bidDeadline, openingTime, threshold,
 *   custodianCount, openingKeyHash (32 bytes), transcriptHash }
 * @throws {ChainUnavailable} the node fails or answers another shape.
 */
export async function readTender(rpc, registry, tenderId, block = "latest") {
  const data = concat(selector("getTender(bytes32)"), bytes32("tender id", tenderId));
  const w = words(await rpc.ethCall(registry, data, block), TENDER_VIEW_WORDS, "getTender");
  return {
    dealingDeadline: num(w[0]), complaintDeadline: num(w[1]), bidDeadline: num(w[2]), openingTime: num(w[3]),
    round: num(w[4]), threshold: num(w[5]), custodianCount: num(w[6]), revealedBids: num(w[7]),
    sharesReleased: num(w[8]), status: TENDER_STATUS[num(w[9])] ?? `unknown ${num(w[9])}`,
    openingKeyHash: w[11], transcriptHash: w[13],
  };
}

/** The last nonce `pseudonym` used in tender `tenderId` (getSealedBid), 0 if none. */
export async function sealedBidNonce(rpc, registry, tenderId, pseudonym, block = "latest") {
  const data = concat(selector("getSealedBid(bytes32,address)"), bytes32("tender id", tenderId),
    new Uint8Array(12), addressBytes(pseudonym, "pseudonym"));
  return num(words(await rpc.ethCall(registry, data, block), 5, "getSealedBid")[1]);
}

/**
 * The opening key to seal to, checked on the chain: the service's `claimedKey`
 * (33 bytes) is used only if the pinned registry, read over `rpc`, holds an Open
 * tender `tenderCode` whose accepted key hashes to it and whose bid deadline has not
 * passed by the chain's latest block.
 *
 * @param {object} opts { policy (parsed, pinned), rpc (JsonRpc), tenderCode, claimedKey,
 *   claimedRegistry (what the service names, refused if not the pinned one) }
 * @returns {Promise<object>} { key, tender (readTender), chainTime, registry }
 * @throws {VerificationFailed} naming what differs. @throws {ChainUnavailable}
 */
export async function checkTenderKey({ policy, rpc, tenderCode, tenderId, claimedKey, claimedRegistry }) {
  if (!policy?.contracts?.TenderRegistry) {
    throw new VerificationFailed("trust policy: expected a pinned TenderRegistry address to check the tender key, found none");
  }
  const registry = policy.contracts.TenderRegistry;
  if (claimedRegistry !== undefined && claimedRegistry !== null && toChecksumAddress(claimedRegistry) !== registry) {
    throw new VerificationFailed(`tender registry: expected the pinned ${registry}, found the service naming ${claimedRegistry}`);
  }
  const chainId = await rpc.chainId();
  if (chainId !== policy.chainId) throw new VerificationFailed(`chain id: expected the pinned ${policy.chainId}, found ${chainId} at the node`);
  const tender = await readTender(rpc, registry, tenderId);
  if (tender.status !== "Open") {
    throw new VerificationFailed(`tender ${tenderCode}: expected an Open tender with an accepted key on chain, found status ${tender.status}`);
  }
  if (!(claimedKey instanceof Uint8Array) || claimedKey.length !== 33) {
    throw new VerificationFailed(`opening key: expected 33 bytes from the service, found ${shown(claimedKey)}`);
  }
  if (!equalBytes(keccak_256(claimedKey), tender.openingKeyHash)) {
    throw new VerificationFailed(
      `opening key: expected the key the custodians approved on chain (keccak256 ${toHex(tender.openingKeyHash)}), ` +
      `found the service serving ${toHex(claimedKey)} (keccak256 ${toHex(keccak_256(claimedKey))})`);
  }
  const block = await rpc.getBlockByNumber("latest");
  if (block === null) throw new ChainUnavailable("eth_getBlockByNumber: expected the latest block, found none");
  if (block.timestamp >= tender.bidDeadline) {
    throw new VerificationFailed(`bid deadline: expected chain time before ${tender.bidDeadline}, found ${block.timestamp}`);
  }
  return { key: claimedKey, tender, chainTime: block.timestamp, registry };
}

/** The bidder's per-tender pseudonym secret: keccak256(tag || own secret || tender id). */
export function pseudonymSecret(secret, tenderId) {
  return keccak_256(concat(PSEUDONYM_TAG, checkSecret(secret), bytes32("tender id", tenderId)));
}

/** { secret, publicKey (33), address } of a 32-byte secp256k1 secret. */
export function accountOf(secret) {
  const pub = publicKey(secret);
  return { secret, publicKey: pub, address: addressOfPublicKey(pub) };
}

/**
 * keccak256(abi.encode(tenderId, bidder, salt, ciphertextDigest, plaintextCommitment,
 * envelopeDigest)): TenderRegistry.sealedBidCommitment.
 */
export function sealedBidCommitment({ tenderId, bidder, salt, ciphertextDigest, plaintextCommitment, envelopeDigest }) {
  return keccak_256(concat(bytes32("tender_id", tenderId), new Uint8Array(12), addressBytes(bidder, "bidder"),
    bytes32("salt", salt), bytes32("ciphertext_digest", ciphertextDigest),
    bytes32("plaintext_commitment", plaintextCommitment), bytes32("envelope_digest", envelopeDigest)));
}

/**
 * The file name sealed under the envelope's content key: nonce (12) || AES-256-GCM
 * under HKDF-SHA256(content key, salt = envelope digest, info), aad = envelope digest.
 */
export async function sealFileName(contentKey, envelopeDigest, name, rng = randomBytes) {
  const data = utf8(name);
  if (!data.length || data.length > 255 || /[/\\\u0000-\u001f\u007f]/.test(name) || name !== name.trim() || name === "." || name === "..") {
    throw new MalformedInput(`file name: expected a plain name of 1..255 UTF-8 bytes, found ${shown(name)}`);
  }
  const key = await aesKey(hkdfSha256(bytes32("content key", contentKey), FILE_NAME_INFO, bytes32("envelope digest", envelopeDigest)), ["encrypt"]);
  const nonce = rng(12);
  return concat(nonce, await gcmSeal(key, nonce, data, envelopeDigest));
}
