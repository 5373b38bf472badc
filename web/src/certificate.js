/**
 * A notarization certificate (数字公证, docs/notarization.md), checked in the browser.
 *
 * What runs here: the compact JWS (header exactly ES256K / vc+jwt / kid / secp256k1
 * jwk; canonical JCS payload; low-s ES256K signature under the jwk; the jwk's address
 * is the issuer DID's), the trust policy (chain, EvidenceLog, the pinned notary
 * authority) and, with a chain endpoint, EvidenceLog.rootOf(treeSize) == treeRoot.
 * What does not: NotaryRegistry registration, authorization at issue time and
 * revocation (steps 3-5 of notarization.md section 4) are reported as not checked;
 * `chainwitness notary verify` checks them. Python reference: notary/certificate.py.
 */

import { secp256k1 } from "@noble/curves/secp256k1.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { concat, fromBase64, shown, toBase64, toHex, utf8 } from "./bytes.js";
import { toChecksumAddress } from "./address.js";
import { LimitExceeded, MalformedInput, VerificationFailed } from "./errors.js";
import { canonicalize, parseCanonical } from "./jcs.js";
import { sameAddress } from "./policy.js";
import { evidenceLogRootOf } from "./rpc.js";

export const MAX_JWS_BYTES = 64 * 1024;
export const CERTIFICATE_CHECKS = ["signature", "trust-policy", "tree-head", "registration"];
const HALF_ORDER = secp256k1.Point.Fn.ORDER >> 1n;
const DID = /^did:pkh:eip155:([1-9][0-9]{0,18}):(0x[0-9a-fA-F]{40})$/;

function b64url(part, name) {
  if (!/^[A-Za-z0-9_-]*$/.test(part)) throw new MalformedInput(`${name}: expected base64url, found other characters`);
  const std = part.replace(/-/g, "+").replace(/_/g, "/");
  return fromBase64(std + "=".repeat((4 - (std.length % 4)) % 4), name);
}

/** Parse the JWS and check its signature: { credential, issuer (address), chainId, digest }. */
export function verifyCertificateSignature(jws) {
  const text = jws.trim();
  if (text.length > MAX_JWS_BYTES) throw new LimitExceeded(`certificate: expected at most ${MAX_JWS_BYTES} bytes, found ${text.length}`);
  const parts = text.split(".");
  if (parts.length !== 3) throw new MalformedInput(`certificate: expected a compact JWS of three dot-separated parts, found ${parts.length} parts`);
  let header;
  try {
    header = JSON.parse(new TextDecoder().decode(b64url(parts[0], "JWS header")));
  } catch (e) {
    if (e instanceof MalformedInput) throw e;
    throw new MalformedInput("JWS header: expected JSON, found other bytes");
  }
  const keys = Object.keys(header ?? {}).sort().join(",");
  if (keys !== "alg,jwk,kid,typ" || header.alg !== "ES256K" || header.typ !== "vc+jwt") {
    throw new VerificationFailed(`signature: expected a header of alg ES256K, typ vc+jwt, kid and jwk, found ${shown(header)}`);
  }
  const jwk = header.jwk;
  if (jwk?.kty !== "EC" || jwk?.crv !== "secp256k1") throw new VerificationFailed(`signature: expected a secp256k1 EC jwk, found ${shown(jwk)}`);
  const x = b64url(jwk.x, "jwk.x");
  const y = b64url(jwk.y, "jwk.y");
  if (x.length !== 32 || y.length !== 32) throw new MalformedInput("jwk: expected 32-byte x and y");
  const payload = b64url(parts[1], "JWS payload");
  const credential = parseCanonical(payload, "credential");
  const did = credential?.issuer?.id;
  const m = typeof did === "string" ? DID.exec(did) : null;
  if (!m) throw new MalformedInput(`issuer.id: expected did:pkh:eip155:<chain id>:<address>, found ${shown(did)}`);
  const address = toChecksumAddress(`0x${toHex(keccak_256(concat(x, y)).subarray(12))}`);
  if (address !== m[2]) throw new VerificationFailed(`signature: expected the jwk of the issuer ${m[2]}, found the key of ${address}`);
  if (header.kid !== `${did}#blockchainAccountId`) throw new VerificationFailed(`signature: expected kid ${did}#blockchainAccountId, found ${shown(header.kid)}`);
  const sig = b64url(parts[2], "signature");
  if (sig.length !== 64) throw new MalformedInput(`signature: expected 64 bytes r || s, found ${sig.length}`);
  let s = 0n;
  for (const b of sig.subarray(32)) s = (s << 8n) | BigInt(b);
  if (s > HALF_ORDER) throw new VerificationFailed("signature: expected a low-s ES256K signature, found a high s");
  const digest = sha256(utf8(`${parts[0]}.${parts[1]}`));
  let ok = false;
  try {
    ok = secp256k1.verify(sig, digest, concat(Uint8Array.of(4), x, y), { prehash: false, lowS: true, format: "compact" });
  } catch {
    ok = false;
  }
  if (!ok) throw new VerificationFailed(`signature: expected a valid ES256K signature by ${address}, found one that does not verify`);
  return { credential, issuer: address, chainId: Number(m[1]), digest: toHex(sha256(utf8(text))) };
}

/**
 * Every check the browser can make of a certificate.
 * @returns {Promise<{checks, verdict, credential, digest}>}
 */
export async function verifyCertificate(jws, { policy = null, rpc = null } = {}) {
  const list = [];
  const run = async (id, fn) => {
    try {
      list.push({ id, ok: true, detail: (await fn()) ?? "" });
      return true;
    } catch (e) {
      list.push({ id, ok: false, detail: `${e.name}: ${e.message}` });
      return false;
    }
  };
  let parsed = null;
  await run("signature", () => {
    parsed = verifyCertificateSignature(jws);
    return `ES256K by ${parsed.issuer}; certificate digest ${parsed.digest}`;
  });
  const cs = parsed?.credential?.credentialSubject;
  if (!parsed) {
    for (const id of CERTIFICATE_CHECKS.slice(1)) list.push({ id, ok: null, detail: "the signature failed" });
  } else {
    if (!policy) list.push({ id: "trust-policy", ok: null, detail: "no trust policy loaded: any key can sign a credential; the notary is not pinned" });
    else {
      await run("trust-policy", () => {
        if (parsed.chainId !== policy.chainId) throw new VerificationFailed(`trust policy: expected the pinned chain ${policy.chainId}, found ${parsed.chainId}`);
        if (!sameAddress(cs.anchor.contract, policy.contracts.EvidenceLog)) throw new VerificationFailed(`trust policy: expected the pinned EvidenceLog ${policy.contracts.EvidenceLog}, found ${cs.anchor.contract}`);
        if (!policy.notary?.address) throw new VerificationFailed("trust policy: expected a pinned notary authority, found none in the policy");
        if (!sameAddress(parsed.issuer, policy.notary.address)) throw new VerificationFailed(`trust policy: expected the pinned notary ${policy.notary.address}, found ${parsed.issuer}`);
        return `issuer ${parsed.issuer} is the pinned notary; chain ${parsed.chainId}`;
      });
    }
    if (!rpc) list.push({ id: "tree-head", ok: null, detail: "no chain endpoint given: the chain was not read" });
    else {
      await run("tree-head", async () => {
        const id = await rpc.chainId();
        if (id !== parsed.chainId) throw new VerificationFailed(`chain: expected chain id ${parsed.chainId}, found ${id}`);
        const contract = policy ? policy.contracts.EvidenceLog : cs.anchor.contract;
        const root = toHex(await evidenceLogRootOf(rpc, contract, cs.treeSize));
        if (root !== cs.treeRoot) throw new VerificationFailed(`EvidenceLog.rootOf(${cs.treeSize}): expected ${cs.treeRoot}, found ${root}`);
        return `EvidenceLog ${contract} holds root ${cs.treeRoot} for size ${cs.treeSize}`;
      });
    }
    list.push({ id: "registration", ok: null, detail: "NotaryRegistry registration and revocation are not read in the browser: run chainwitness notary verify" });
  }
  const failed = list.some((c) => c.ok === false);
  const verdict = failed ? "failed" : policy && rpc && list.filter((c) => c.id !== "registration").every((c) => c.ok) ? "verified" : "unpinned";
  return { checks: list, verdict, credential: parsed?.credential ?? null, digest: parsed?.digest ?? null };
}

// ---------------------------------------------------------------- issuing (the notary's page)

const STATEMENT_ZH = "公证员已审查本证据包：其全部记录、包含证明与一致性证明经独立核验通过，记录已纳入大小为 {size} 的透明日志树头，该树头已锚定于链上。本证书不证明所记录文件内容的真实性。";
const STATEMENT_EN = "The notary examined this evidence package: every record, inclusion proof and consistency proof verified independently, and the records are contained in the transparency-log tree head of size {size}, anchored on chain. This certificate does not attest to the truth of the recorded documents.";

const b64urlOf = (bytes) => toBase64(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

/**
 * The credential of notarization.md section 1, as notary/certificate.py Certificate.to_json.
 * @param {object} c { serial, chainId, notary (EIP-55), notaryName, validFrom, packageDigest,
 *   subject, records, treeSize, treeRoot, anchor: { chainId, contract, txHash, blockNumber } }
 */
export function credentialJson(c) {
  return {
    "@context": ["https://www.w3.org/ns/credentials/v2"],
    type: ["VerifiableCredential", "NotarizationCredential"],
    id: `urn:chainwitness:notarization:${c.serial}`,
    issuer: { id: `did:pkh:eip155:${c.chainId}:${c.notary}`, name: c.notaryName },
    validFrom: c.validFrom,
    credentialSubject: {
      id: `urn:sha256:${c.packageDigest}`,
      packageDigest: c.packageDigest,
      subject: c.subject,
      records: c.records,
      treeSize: c.treeSize,
      treeRoot: c.treeRoot,
      anchor: { chainId: c.anchor.chainId, contract: c.anchor.contract, txHash: c.anchor.txHash, blockNumber: c.anchor.blockNumber },
      statement: { zh: STATEMENT_ZH.replace("{size}", String(c.treeSize)), en: STATEMENT_EN.replace("{size}", String(c.treeSize)) },
    },
  };
}

/**
 * Sign a credential as the notary: the compact JWS of section 2 (ES256K, low s).
 * @returns {{jws: string, digest: string}} digest: SHA-256 hex of the JWS (what NotaryRegistry stores)
 * @throws {MalformedInput} the secret is not the key of the credential's issuer.
 */
export function issueCertificate(credential, secret) {
  const point = secp256k1.getPublicKey(secret, false);
  const x = point.subarray(1, 33);
  const y = point.subarray(33, 65);
  const address = toChecksumAddress(`0x${toHex(keccak_256(concat(x, y)).subarray(12))}`);
  const did = credential?.issuer?.id;
  if (did !== `did:pkh:eip155:${credential?.credentialSubject?.anchor?.chainId}:${address}`) {
    throw new MalformedInput(`private key: expected the key of the issuer ${shown(did)}, found the key of ${address}`);
  }
  const header = { alg: "ES256K", typ: "vc+jwt", kid: `${did}#blockchainAccountId`, jwk: { kty: "EC", crv: "secp256k1", x: b64urlOf(x), y: b64urlOf(y) } };
  const input = `${b64urlOf(utf8(JSON.stringify(header)))}.${b64urlOf(canonicalize(credential, "credential"))}`;
  const sig = secp256k1.sign(sha256(utf8(input)), secret, { prehash: false, lowS: true, format: "compact" });
  const jws = `${input}.${b64urlOf(sig)}`;
  return { jws, digest: toHex(sha256(utf8(jws))) };
}
