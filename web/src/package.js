/**
 * Verify an evidence package (取证包) in the browser, offline, step by step as
 * docs/evidence-package.md section 7 (Python reference: ledger_service/core/packages/verify.py).
 *
 * Steps 1-7 need only the zip; step 8 (checkpoints) the pinned trust policy; the
 * chain step a JSON-RPC endpoint. Each step is reported as { id, ok, detail } like
 * evidence.js; a step that cannot run here says so (ok null), e.g. RFC 3161
 * timestamps, which need X.509 and CMS (checked by `chainwitness verify`).
 */

import { keccak_256 } from "@noble/hashes/sha3.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { concat, fromHex, shown, toHex, uintBytes } from "./bytes.js";
import { MalformedInput, VerificationFailed } from "./errors.js";
import { recoverTypedSigner } from "./eip712.js";
import { parseCanonical } from "./jcs.js";
import { leafHash, verifyConsistency, verifyInclusion } from "./merkle.js";
import { verifyCosignatures, verifyLogSignature } from "./notes.js";
import { checkpointPins, sameAddress } from "./policy.js";
import { evidenceLogRootOf } from "./rpc.js";
import { readZip } from "./zip.js";

export const PACKAGE_CHECKS = [
  "container", "manifest", "heads", "anchors", "records", "files", "signatures",
  "checkpoints", "timestamps", "chain",
];

const ROLES = {
  record: /^records\/(0|[1-9][0-9]*)\.json$/,
  proof: /^proofs\/(0|[1-9][0-9]*)\.json$/,
  file: /^files\/[0-9a-f]{64}$/,
  heads: /^heads\.json$/,
  anchor: /^anchors\/0x[0-9a-f]{64}\.json$/,
  signature: /^signatures\/[a-z0-9][a-z0-9_-]{0,63}\.json$/,
  checkpoint: /^checkpoints\/(0|[1-9][0-9]*)\.json$/,
  timestamp: /^timestamps\/(0|[1-9][0-9]*)\.tsr$/,
};
const HEAD_ANCHORED = toHex(keccak_256(new TextEncoder().encode("HeadAnchored(uint256,uint64,bytes32,uint64,address)")));
const HEADER_FIELDS = [
  "parentHash", "sha3Uncles", "miner", "stateRoot", "transactionsRoot", "receiptsRoot", "logsBloom",
  "difficulty", "number", "gasLimit", "gasUsed", "timestamp", "extraData", "mixHash", "nonce",
  "baseFeePerGas", "withdrawalsRoot", "blobGasUsed", "excessBlobGas", "parentBeaconBlockRoot", "requestsHash",
];
const QUANTITIES = new Set(["difficulty", "number", "gasLimit", "gasUsed", "timestamp", "baseFeePerGas", "blobGasUsed", "excessBlobGas"]);

const byteOrder = (a, b) => {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
};

function rlpLength(len, short) {
  if (len <= 55) return Uint8Array.of(short + len);
  const bytes = [];
  for (let v = len; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return Uint8Array.of(short + 55 + bytes.length, ...bytes);
}

function rlpBytes(b) {
  if (b.length === 1 && b[0] < 0x80) return b;
  return concat(rlpLength(b.length, 0x80), b);
}

/** keccak256(RLP(header fields)), as section 7 step 4.1. */
export function headerHash(header) {
  const items = [];
  for (const name of HEADER_FIELDS) {
    if (!(name in header)) break; // the six after baseFeePerGas come as a prefix
    const v = header[name];
    if (typeof v !== "string" || !/^0x[0-9a-f]*$/.test(v)) throw new MalformedInput(`header.${name}: expected lowercase 0x-hex, found ${shown(v)}`);
    let hex = v.slice(2);
    if (QUANTITIES.has(name)) hex = hex.replace(/^0+/, "");
    if (hex.length % 2) hex = `0${hex}`;
    items.push(rlpBytes(fromHex(hex, { name: `header.${name}` })));
  }
  const payload = concat(...items);
  return `0x${toHex(keccak_256(concat(rlpLength(payload.length, 0xc0), payload)))}`;
}

function json(entries, name) {
  const data = entries.get(name);
  if (!data) throw new MalformedInput(`${name}: expected the entry, found none`);
  return parseCanonical(data, name);
}

const hash32 = (name, hex) => fromHex(hex, { size: 32, name });
const num = (hex) => Number(BigInt(hex));

/**
 * Verify a package file.
 * @param {Blob} blob  the zip
 * @param {object} opts  { policy, rpc, now } as verifyProofAnswer
 * @returns {Promise<{checks, verdict, manifest, records: Array<{index, record}>, heads, sha256}>}
 */
export async function verifyPackage(blob, { policy = null, rpc = null, now } = {}) {
  const list = [];
  const out = { checks: list, verdict: "failed", manifest: null, records: [], heads: [], sha256: null };
  const run = async (id, fn) => {
    try {
      list.push({ id, ok: true, detail: (await fn()) ?? "" });
      return true;
    } catch (e) {
      list.push({ id, ok: false, detail: `${e.name}: ${e.message}` });
      return false;
    }
  };
  const skip = (id, detail) => list.push({ id, ok: null, detail });
  const all = new Uint8Array(await blob.arrayBuffer());
  out.sha256 = toHex(sha256(all));
  let entries;
  if (!(await run("container", async () => {
    const read = await readZip(blob);
    const names = read.map((e) => e.name);
    entries = new Map();
    for (const { name, data } of read) {
      if (entries.has(name)) throw new MalformedInput(`${name}: expected each name once, found it twice`);
      if (name !== "manifest.json" && name !== "manifest.sha256" && !Object.values(ROLES).some((rx) => rx.test(name))) {
        throw new MalformedInput(`${name}: expected only the entries of section 2, found an unknown one`);
      }
      entries.set(name, data);
    }
    const rest = names.slice(2);
    const sorted = [...rest].sort(byteOrder);
    if (names[0] !== "manifest.json" || names[1] !== "manifest.sha256" || rest.some((n, i) => n !== sorted[i])) {
      throw new MalformedInput("package: expected manifest.json, manifest.sha256, then the other entries in byte order, found another order");
    }
    return `${names.length} entries, package SHA-256 ${out.sha256}`;
  }))) return out;

  let manifest;
  await run("manifest", () => {
    const raw = entries.get("manifest.json");
    const want = `${toHex(sha256(raw))}\n`;
    const got = new TextDecoder().decode(entries.get("manifest.sha256") ?? new Uint8Array());
    if (got !== want) throw new VerificationFailed(`manifest.sha256: expected ${want.trim()}, found ${shown(got)}`);
    manifest = parseCanonical(raw, "manifest.json");
    if (manifest.format !== "chainwitness/evidence-package" || manifest.version !== 1) {
      throw new MalformedInput(`manifest.json: expected chainwitness/evidence-package version 1, found ${shown(manifest.format)}`);
    }
    const listed = new Set();
    for (const f of manifest.files) {
      const data = entries.get(f.path);
      if (!data) throw new VerificationFailed(`${f.path}: expected the listed entry, found none`);
      if (data.length !== f.size || toHex(sha256(data)) !== f.sha256) {
        throw new VerificationFailed(`${f.path}: expected ${f.size} bytes with SHA-256 ${f.sha256}, found ${data.length} bytes with ${toHex(sha256(data))}`);
      }
      listed.add(f.path);
    }
    for (const name of entries.keys()) {
      if (name !== "manifest.json" && name !== "manifest.sha256" && !listed.has(name)) throw new VerificationFailed(`${name}: expected every entry listed in the manifest, found one unlisted`);
    }
    out.manifest = manifest;
    return `${manifest.subject}, ${manifest.files.length} files listed, created ${manifest.created_at}`;
  });
  if (!manifest) return out;

  let heads = [];
  await run("heads", () => {
    const h = json(entries, "heads.json");
    heads = h.heads;
    if (!heads.length) throw new MalformedInput("heads.json: expected at least one head, found none");
    if (h.consistency.length !== heads.length - 1) throw new MalformedInput(`heads.json: expected ${heads.length - 1} consistency proofs, found ${h.consistency.length}`);
    for (let k = 0; k < heads.length; k++) {
      const a = heads[k];
      if (a.chain_id !== manifest.chain_id || !sameAddress(a.contract, manifest.contracts.EvidenceLog)) {
        throw new VerificationFailed(`heads[${k}]: expected chain ${manifest.chain_id} and EvidenceLog ${manifest.contracts.EvidenceLog}, found ${a.chain_id} and ${a.contract}`);
      }
      if (k === 0) continue;
      const prev = heads[k - 1];
      const c = h.consistency[k - 1];
      if (a.tree_size <= prev.tree_size || a.head_index <= prev.head_index) throw new MalformedInput("heads.json: expected strictly increasing sizes and head indices");
      if (c.size1 !== prev.tree_size || c.size2 !== a.tree_size || c.root1 !== prev.root || c.root2 !== a.root) {
        throw new VerificationFailed(`consistency[${k - 1}]: expected sizes ${prev.tree_size}..${a.tree_size} with their roots, found ${c.size1}..${c.size2}`);
      }
      verifyConsistency(c.size1, c.size2, hash32("root1", c.root1), hash32("root2", c.root2), c.path.map((p, i) => hash32(`path[${i}]`, p)));
    }
    out.heads = heads;
    return `${heads.length} heads, sizes ${heads.map((x) => x.tree_size).join(", ")}: one history`;
  });

  await run("anchors", () => {
    const files = [...entries.keys()].filter((n) => ROLES.anchor.test(n));
    for (const a of heads) {
      const name = `anchors/${a.tx_hash}.json`;
      const ev = json(entries, name);
      const { receipt, header } = ev;
      const hh = headerHash(header);
      if (hh !== header.hash) throw new VerificationFailed(`${name}: expected header.hash = keccak256(RLP(header)) = ${hh}, found ${header.hash}`);
      if (receipt.transactionHash !== a.tx_hash || receipt.blockHash !== header.hash || header.hash !== a.block_hash ||
          num(receipt.blockNumber) !== a.block_number || num(header.number) !== a.block_number ||
          num(header.timestamp) !== a.block_time || num(receipt.status) !== 1) {
        throw new VerificationFailed(`${name}: expected a successful receipt of ${a.tx_hash} in block ${a.block_number} ${a.block_hash} at ${a.block_time}, found another`);
      }
      const ok = receipt.logs.some((l) => sameAddress(l.address, a.contract) && l.topics[0] === `0x${HEAD_ANCHORED}` &&
        l.topics[1] === `0x${toHex(uintBytes(a.head_index, 32))}` && l.topics[2] === `0x${toHex(uintBytes(a.tree_size, 32))}` &&
        l.data.slice(2, 66) === a.root);
      if (!ok) throw new VerificationFailed(`${name}: expected a HeadAnchored log of head ${a.head_index} (size ${a.tree_size}, root ${a.root}), found none`);
    }
    if (files.length !== heads.length) throw new VerificationFailed(`anchors: expected one file per head (${heads.length}), found ${files.length}`);
    return `${heads.length} receipts and block headers hash-checked; block times ${heads.map((x) => new Date(x.block_time * 1000).toISOString()).join(", ")}`;
  });

  const records = new Map();
  await run("records", () => {
    const recNames = [...entries.keys()].filter((n) => ROLES.record.test(n));
    const proofNames = [...entries.keys()].filter((n) => ROLES.proof.test(n));
    if (recNames.length !== proofNames.length) throw new VerificationFailed(`records: expected one proof per record, found ${recNames.length} records and ${proofNames.length} proofs`);
    const bySize = new Map(heads.map((h) => [h.tree_size, h]));
    for (const name of recNames) {
      const i = Number(ROLES.record.exec(name)[1]);
      const bytes = entries.get(name);
      const record = parseCanonical(bytes, name);
      const proof = json(entries, `proofs/${i}.json`);
      const lh = toHex(leafHash(bytes));
      if (proof.leaf_index !== i || proof.leaf_hash !== lh) throw new VerificationFailed(`proofs/${i}.json: expected leaf ${i} with leaf hash ${lh}, found leaf ${proof.leaf_index} ${proof.leaf_hash}`);
      const head = bySize.get(proof.tree_size);
      if (!head || JSON.stringify(head) !== JSON.stringify(proof.anchor)) throw new VerificationFailed(`proofs/${i}.json: expected its anchor to be a head of heads.json, found size ${proof.tree_size}`);
      verifyInclusion(hash32("leaf_hash", lh), i, proof.tree_size, proof.path.map((p, k) => hash32(`path[${k}]`, p)), hash32("root", proof.root));
      const s = manifest.subject;
      const match = s.startsWith("record:") ? Number(s.slice(7)) === i : s.startsWith("sha256:") ? record.digests?.sha256 === s.slice(7) : record.subject === s;
      if (!match) throw new VerificationFailed(`${name}: expected a record of subject ${s}, found ${record.subject}`);
      records.set(i, record);
    }
    out.records = [...records.entries()].sort((a, b) => a[0] - b[0]).map(([index, record]) => ({ index, record }));
    return `${records.size} records, each included in an anchored head`;
  });

  await run("files", () => {
    const names = [...entries.keys()].filter((n) => ROLES.file.test(n));
    const digests = new Set([...records.values()].map((r) => r.digests?.sha256));
    for (const name of names) {
      const want = name.slice(6);
      const got = toHex(sha256(entries.get(name)));
      if (got !== want) throw new VerificationFailed(`${name}: expected SHA-256 ${want}, found ${got}`);
      if (!digests.has(want)) throw new VerificationFailed(`${name}: expected a record naming this digest, found none`);
    }
    return `${names.length} original files match their records`;
  });

  await run("signatures", () => {
    const names = [...entries.keys()].filter((n) => ROLES.signature.test(n));
    for (const name of names) {
      const s = json(entries, name);
      if (s.kind !== "eip712") throw new MalformedInput(`${name}: expected kind eip712, found ${shown(s.kind)}`);
      const signer = recoverTypedSigner(s.typed_data, fromHex(s.signature.slice(2), { size: 65, name, anyCase: true }));
      if (!sameAddress(signer, s.signer)) throw new VerificationFailed(`${name}: expected a signature by ${s.signer}, found one by ${signer}`);
    }
    return `${names.length} EIP-712 signatures recover to their signers`;
  });

  if (!policy) {
    skip("checkpoints", "no trust policy loaded: the log key and witnesses are not pinned, and the chain and EvidenceLog named are the package's own claim");
  } else {
    await run("checkpoints", () => {
      for (const h of heads) {
        if (h.chain_id !== policy.chainId) throw new VerificationFailed(`head ${h.tree_size}: expected the pinned chain ${policy.chainId}, found ${h.chain_id}`);
        if (!sameAddress(h.contract, policy.contracts.EvidenceLog)) throw new VerificationFailed(`head ${h.tree_size}: expected the pinned EvidenceLog ${policy.contracts.EvidenceLog}, found ${h.contract}`);
      }
      let newest = null;
      for (const h of heads) {
        const name = `checkpoints/${h.tree_size}.json`;
        if (!entries.has(name)) continue;
        const cp = json(entries, name);
        const parsed = verifyLogSignature(cp.note, checkpointPins(policy));
        if (parsed.checkpoint.size !== h.tree_size || parsed.checkpoint.rootHex !== h.root) throw new VerificationFailed(`${name}: expected size ${h.tree_size} root ${h.root}, found size ${parsed.checkpoint.size} root ${parsed.checkpoint.rootHex}`);
        const w = verifyCosignatures(parsed.note, parsed.checkpoint, checkpointPins(policy), now);
        if (h === heads[heads.length - 1]) newest = w;
      }
      if (!newest) throw new VerificationFailed(`checkpoints/${heads[heads.length - 1].tree_size}.json: expected the newest head's checkpoint, found none`);
      return `newest head cosigned by ${newest.cosignatures.length} of ${newest.of} pinned witnesses (quorum ${newest.quorum}), by ${new Date(newest.witnessedTime * 1000).toISOString()}`;
    });
  }
  const tsr = [...entries.keys()].filter((n) => ROLES.timestamp.test(n)).length;
  skip("timestamps", tsr ? `${tsr} RFC 3161 token(s) carried, not checked in the browser (X.509/CMS): use chainwitness verify --policy` : "none carried");

  if (!rpc) {
    skip("chain", "no chain endpoint given: the chain was not read");
  } else {
    await run("chain", async () => {
      const id = await rpc.chainId();
      const want = policy ? policy.chainId : manifest.chain_id;
      if (id !== want) throw new VerificationFailed(`chain: expected chain id ${want}, found ${id} at ${rpc.url}`);
      const contract = policy ? policy.contracts.EvidenceLog : manifest.contracts.EvidenceLog;
      for (const h of heads) {
        const root = toHex(await evidenceLogRootOf(rpc, contract, h.tree_size));
        if (root !== h.root) throw new VerificationFailed(`EvidenceLog.rootOf(${h.tree_size}): expected ${h.root}, found ${root}`);
      }
      return `${rpc.url}: chain ${id}, EvidenceLog ${contract} holds every head's root`;
    });
  }
  const failed = list.some((c) => c.ok === false);
  out.verdict = failed ? "failed" : policy && rpc && list.every((c) => c.ok !== false && (c.ok === true || c.id === "timestamps")) ? "verified" : "unpinned";
  return out;
}
