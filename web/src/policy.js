/**
 * The trust policy (docs/trust-policy.md), read in the browser.
 *
 * The page pins the bytes the user loads (published with the tender notice) and
 * shows their fingerprint, `sha256:` + hex SHA-256 of the RFC 8785 form, for the
 * user to compare with the one printed on the notice. Python reference:
 * ledger_service/core/trust_policy.py (this reader checks the members a browser
 * verdict rests on; unknown top-level members are refused as there).
 */

import { sha256 } from "@noble/hashes/sha2.js";
import { shown, toHex } from "./bytes.js";
import { toChecksumAddress } from "./address.js";
import { MalformedInput } from "./errors.js";
import { canonicalize } from "./jcs.js";
import { parseVerifierKey, SIG_TYPE_COSIGNATURE_V1, SIG_TYPE_ED25519 } from "./notes.js";

export const POLICY_FORMAT = "chainwitness/trust-policy";
const TOP = ["format", "version", "chain", "contracts", "log", "witnesses", "notary", "tsa"];
const CONTRACTS = ["EvidenceLog", "TenderRegistry", "NotaryRegistry", "ContractWitness"];

function object(name, value) {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new MalformedInput(`${name}: expected an object, found ${shown(value)}`);
  }
  return value;
}

function checksummed(name, value) {
  if (typeof value !== "string" || toChecksumAddress(value, name) !== value) {
    throw new MalformedInput(`${name}: expected an EIP-55 checksummed address, found ${shown(value)}`);
  }
  return value;
}

/**
 * Parse a trust policy from its JSON text.
 * @returns {{chainId, chainKind, contracts, origin, logKey, witnessKeys, quorum, notary, fingerprint, raw}}
 * @throws {MalformedInput} not a version 1 trust policy.
 */
export function parseTrustPolicy(text) {
  let raw;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new MalformedInput(`trust policy: expected JSON, found invalid JSON (${e.message})`);
  }
  object("trust policy", raw);
  if (raw.format !== POLICY_FORMAT || raw.version !== 1) {
    throw new MalformedInput(`trust policy: expected format ${POLICY_FORMAT} version 1, found ${shown(raw.format)} version ${shown(raw.version)}`);
  }
  if (raw.crypto_profile !== undefined) {
    // SM2 and the SM3 tree are not implemented here: say so rather than pass on half the checks
    throw new MalformedInput(`GM profile: verify with the CLI (国密配置：本页不能核验 SM2 签名与 SM3 根，请用命令行核验): chainwitness verify PACKAGE.zip --policy trust-policy.json; crypto_profile ${shown(raw.crypto_profile)}`);
  }
  const unknown = Object.keys(raw).filter((k) => !TOP.includes(k));
  if (unknown.length) throw new MalformedInput(`trust policy: expected only ${TOP.join(", ")}, found ${unknown.join(", ")}`);
  const chain = object("chain", raw.chain);
  if (!Number.isSafeInteger(chain.id) || chain.id < 1) throw new MalformedInput(`chain.id: expected an integer >= 1, found ${shown(chain.id)}`);
  if (chain.kind !== "development" && chain.kind !== "consortium") {
    throw new MalformedInput(`chain.kind: expected "development" or "consortium", found ${shown(chain.kind)}`);
  }
  const contracts = object("contracts", raw.contracts);
  for (const [name, address] of Object.entries(contracts)) {
    if (!CONTRACTS.includes(name)) throw new MalformedInput(`contracts: expected only ${CONTRACTS.join(", ")}, found ${name}`);
    checksummed(`contracts.${name}`, address);
  }
  if (!contracts.EvidenceLog) throw new MalformedInput("contracts.EvidenceLog: expected an address, found none");
  const log = object("log", raw.log);
  const logKey = parseVerifierKey(log.key);
  if (logKey.sigType !== SIG_TYPE_ED25519 || logKey.name !== log.origin) {
    throw new MalformedInput(`log.key: expected an Ed25519 key named ${shown(log.origin)}, found ${shown(log.key)}`);
  }
  const witnesses = object("witnesses", raw.witnesses);
  if (!Array.isArray(witnesses.keys) || !witnesses.keys.length) throw new MalformedInput("witnesses.keys: expected a non-empty array");
  const keys = witnesses.keys.map(parseVerifierKey);
  const publics = new Set(keys.map((k) => toHex(k.publicKey)));
  if (publics.size !== keys.length || publics.has(toHex(logKey.publicKey))) {
    throw new MalformedInput("witnesses.keys: expected distinct public keys, none the log key; found a repeat");
  }
  for (const k of keys) {
    if (k.sigType !== SIG_TYPE_COSIGNATURE_V1) throw new MalformedInput(`witnesses.keys: expected cosignature/v1 (0x04) keys, found ${k.ref}`);
  }
  if (!Number.isSafeInteger(witnesses.quorum) || witnesses.quorum < 1 || witnesses.quorum > keys.length) {
    throw new MalformedInput(`witnesses.quorum: expected 1 to ${keys.length}, found ${shown(witnesses.quorum)}`);
  }
  const notary = raw.notary === undefined ? null : object("notary", raw.notary);
  if (notary?.address !== undefined) checksummed("notary.address", notary.address);
  const fingerprint = `sha256:${toHex(sha256(canonicalize(raw, "trust policy")))}`;
  return {
    chainId: chain.id,
    chainKind: chain.kind,
    contracts: { ...contracts },
    origin: log.origin,
    logKey: log.key,
    witnessKeys: [...witnesses.keys],
    quorum: witnesses.quorum,
    notary,
    fingerprint,
    raw,
  };
}

/** The pins `verifyWitnessedCheckpoint` takes, from a parsed policy. */
export function checkpointPins(policy) {
  return { origin: policy.origin, logKey: policy.logKey, witnessKeys: policy.witnessKeys, quorum: policy.quorum };
}

/** Whether two EVM addresses name the same 20 bytes. */
export function sameAddress(a, b) {
  return typeof a === "string" && typeof b === "string" && a.toLowerCase() === b.toLowerCase();
}

