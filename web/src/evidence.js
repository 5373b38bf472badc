/**
 * Verify one proof the service answered (GET /v1/verify/{sha256}, GET /v1/records/{i}),
 * check by check, in the browser.
 *
 * The answer is the operator's word; each check below turns one part of it into a
 * fact or a named failure (docs/proof-format.md 7.1, docs/checkpoints.md,
 * docs/trust-policy.md). Every check is reported, in order, as
 * { id, ok, detail }: ok true (verified), false (failed: detail says what was
 * expected and found) or null (not checked: detail says why, e.g. no trust policy).
 */

import { fromBase64, fromHex, shown, toHex } from "./bytes.js";
import { EvidenceError, MalformedInput, VerificationFailed } from "./errors.js";
import { parseCanonical } from "./jcs.js";
import { leafHash, verifyConsistency, verifyInclusion } from "./merkle.js";
import { verifyCosignatures, verifyLogSignature } from "./notes.js";
import { checkpointPins, sameAddress } from "./policy.js";
import { evidenceLogRootOf } from "./rpc.js";

/** The checks of one proof, in the order they run (ids the pages translate). */
export const PROOF_CHECKS = [
  "record", "inclusion", "log-signature", "cosignatures", "pinned-anchor",
  "chain-id", "chain-root", "chain-transaction", "consistency",
];

const HEX32 = /^[0-9a-f]{64}$/;

function hash(name, value) {
  if (typeof value !== "string" || !HEX32.test(value)) throw new MalformedInput(`${name}: expected 64 lowercase hex digits, found ${shown(value)}`);
  return fromHex(value, { size: 32, name });
}

function failure(e) {
  return e instanceof EvidenceError ? `${e.name}: ${e.message}` : `${e?.name ?? "Error"}: ${e?.message ?? e}`;
}

class Checks {
  constructor() {
    this.list = [];
  }

  skip(id, detail) {
    this.list.push({ id, ok: null, detail });
  }

  /** Run `fn` (sync or async); its returned string is the detail of a pass. */
  async run(id, fn) {
    try {
      this.list.push({ id, ok: true, detail: (await fn()) ?? "" });
      return true;
    } catch (e) {
      this.list.push({ id, ok: false, detail: failure(e) });
      return false;
    }
  }
}

/**
 * Verify one proof with its checkpoint.
 *
 * @param {object} answer  { proof: InclusionProof JSON, checkpoint: {note} or null }
 * @param {object} opts
 *   policy  a parsed trust policy (policy.js) or null: without it nothing is pinned
 *   rpc     a JsonRpc of the user's chain endpoint, or null: without it the chain is not read
 *   digest  the SHA-256 (hex) the user asked about (a file's, or pasted), or null
 *   now     the verifier's clock in POSIX seconds
 *   latest  optional { checkpoint: {note}, consistency: ConsistencyProof JSON }: the log's
 *           newest checkpoint and a proof that it extends the proof's head
 * @returns {Promise<{checks, verdict, record, witnessed, anchor}>} verdict is
 *   "verified" (every check passed, trust pinned), "failed" (some check failed) or
 *   "unpinned" (nothing failed, but without a trust policy or chain it is the operator's word).
 */
export async function verifyProofAnswer(answer, { policy = null, rpc = null, digest = null, now, latest = null } = {}) {
  const checks = new Checks();
  const proof = answer?.proof;
  let record = null;
  let witnessed = null;
  if (proof?.format !== "chainwitness/inclusion-proof" || proof?.version !== 1) {
    checks.list.push({ id: "record", ok: false, detail: `MalformedInput: expected a chainwitness/inclusion-proof version 1, found ${shown(proof?.format)}` });
    return { checks: checks.list, verdict: "failed", record, witnessed, anchor: null };
  }
  const anchor = proof.anchor ?? null;

  await checks.run("record", () => {
    if (proof.record === null) throw new MalformedInput("record: expected the record bytes, found none");
    const bytes = fromBase64(proof.record, "record");
    record = parseCanonical(bytes, "record");
    const got = toHex(leafHash(bytes));
    if (got !== proof.leaf_hash) throw new VerificationFailed(`leaf hash: expected SHA-256(0x00 || record) = ${got}, found ${proof.leaf_hash}`);
    if (digest !== null && record?.digests?.sha256 !== digest) {
      throw new VerificationFailed(`record: expected digests.sha256 ${digest}, found ${shown(record?.digests?.sha256)}`);
    }
    return `leaf ${proof.leaf_index}: SHA-256(0x00 || record) = ${got}`;
  });

  await checks.run("inclusion", () => {
    verifyInclusion(hash("leaf_hash", proof.leaf_hash), proof.leaf_index, proof.tree_size,
      (proof.path ?? []).map((p, i) => hash(`path[${i}]`, p)), hash("root", proof.root));
    return `leaf ${proof.leaf_index} of ${proof.tree_size}, ${proof.path.length} hashes to root ${proof.root}`;
  });

  const note = answer.checkpoint?.note ?? null;
  let parsedNote = null;
  if (!policy) {
    checks.skip("log-signature", "no trust policy loaded: the log key is not pinned");
    checks.skip("cosignatures", "no trust policy loaded: no witness is pinned");
  } else if (note === null) {
    checks.list.push({ id: "log-signature", ok: false, detail: "VerificationFailed: expected the checkpoint of the proof's head, found none (not yet anchored and cosigned)" });
    checks.skip("cosignatures", "no checkpoint");
  } else {
    const ok = await checks.run("log-signature", () => {
      parsedNote = verifyLogSignature(note, checkpointPins(policy));
      const cp = parsedNote.checkpoint;
      if (cp.size !== proof.tree_size || cp.rootHex !== proof.root) {
        throw new VerificationFailed(`checkpoint: expected size ${proof.tree_size} and root ${proof.root}, found size ${cp.size} and root ${cp.rootHex}`);
      }
      return `${cp.origin}, size ${cp.size}, signed by the pinned log key`;
    });
    if (ok) {
      await checks.run("cosignatures", () => {
        witnessed = verifyCosignatures(parsedNote.note, parsedNote.checkpoint, checkpointPins(policy), now);
        return `${witnessed.cosignatures.length} of ${witnessed.of} pinned witnesses (quorum ${witnessed.quorum}): ${witnessed.cosignatures.map((c) => c.ref).join(", ")}`;
      });
    } else {
      checks.skip("cosignatures", "the checkpoint itself failed");
    }
  }

  if (anchor === null) {
    checks.list.push({ id: "pinned-anchor", ok: policy ? false : null, detail: policy ? "VerificationFailed: expected an anchor on the pinned chain, found none yet" : "not anchored yet" });
  } else if (!policy) {
    checks.skip("pinned-anchor", `no trust policy loaded: chain ${anchor.chain_id} and EvidenceLog ${anchor.contract} are the operator's own claim`);
  } else {
    await checks.run("pinned-anchor", () => {
      if (anchor.tree_size !== proof.tree_size || anchor.root !== proof.root) {
        throw new VerificationFailed(`anchor: expected size ${proof.tree_size} and root ${proof.root}, found size ${anchor.tree_size} and root ${anchor.root}`);
      }
      if (anchor.chain_id !== policy.chainId) throw new VerificationFailed(`anchor: expected the pinned chain ${policy.chainId}, found ${anchor.chain_id}`);
      if (!sameAddress(anchor.contract, policy.contracts.EvidenceLog)) {
        throw new VerificationFailed(`anchor: expected the pinned EvidenceLog ${policy.contracts.EvidenceLog}, found ${anchor.contract}`);
      }
      return `chain ${anchor.chain_id}, EvidenceLog ${anchor.contract}`;
    });
  }

  if (anchor === null || rpc === null) {
    const why = anchor === null ? "not anchored yet" : "no chain endpoint given: the chain was not read";
    for (const id of ["chain-id", "chain-root", "chain-transaction"]) checks.skip(id, why);
  } else {
    await checks.run("chain-id", async () => {
      const id = await rpc.chainId();
      const want = policy ? policy.chainId : anchor.chain_id;
      if (id !== want) throw new VerificationFailed(`chain: expected chain id ${want}${policy ? " (pinned)" : ""}, found ${id} at ${rpc.url}`);
      return `${rpc.url} answers chain id ${id}`;
    });
    await checks.run("chain-root", async () => {
      const contract = policy ? policy.contracts.EvidenceLog : anchor.contract;
      const root = await evidenceLogRootOf(rpc, contract, proof.tree_size);
      if (toHex(root) !== proof.root) {
        throw new VerificationFailed(`EvidenceLog.rootOf(${proof.tree_size}): expected ${proof.root}, found ${toHex(root)}${root.every((b) => b === 0) ? " (no head of that size anchored)" : ""}`);
      }
      return `EvidenceLog ${contract} holds root ${proof.root} for size ${proof.tree_size}`;
    });
    await checks.run("chain-transaction", async () => {
      const receipt = await rpc.getTransactionReceipt(anchor.tx_hash);
      if (receipt === null) throw new VerificationFailed(`transaction ${anchor.tx_hash}: expected a receipt, found none`);
      if (receipt.status !== 1 || receipt.blockHash !== anchor.block_hash || receipt.blockNumber !== anchor.block_number) {
        throw new VerificationFailed(`transaction ${anchor.tx_hash}: expected success in block ${anchor.block_number} ${anchor.block_hash}, found status ${receipt.status} in block ${receipt.blockNumber} ${receipt.blockHash}`);
      }
      const block = await rpc.getBlockByNumber(anchor.block_number);
      if (block === null || block.hash !== anchor.block_hash || block.timestamp !== anchor.block_time) {
        throw new VerificationFailed(`block ${anchor.block_number}: expected hash ${anchor.block_hash} at time ${anchor.block_time}, found ${shown(block)}`);
      }
      return `transaction ${anchor.tx_hash} in block ${anchor.block_number} at ${new Date(anchor.block_time * 1000).toISOString()}`;
    });
  }

  if (latest === null) {
    checks.skip("consistency", "the log's newest checkpoint was not fetched");
  } else {
    await checks.run("consistency", () => {
      const c = latest.consistency;
      let latestRoot = c.root2;
      if (policy) {
        const head = verifyLogSignature(latest.checkpoint.note, checkpointPins(policy));
        verifyCosignatures(head.note, head.checkpoint, checkpointPins(policy), now);
        if (head.checkpoint.size !== c.size2 || head.checkpoint.rootHex !== c.root2) {
          throw new VerificationFailed(`newest checkpoint: expected size ${c.size2} root ${c.root2}, found size ${head.checkpoint.size} root ${head.checkpoint.rootHex}`);
        }
        latestRoot = head.checkpoint.rootHex;
      }
      if (c.size1 !== proof.tree_size || c.root1 !== proof.root) {
        throw new VerificationFailed(`consistency: expected it from size ${proof.tree_size} root ${proof.root}, found size ${c.size1} root ${c.root1}`);
      }
      verifyConsistency(c.size1, c.size2, hash("root1", c.root1), hash("root2", latestRoot),
        (c.path ?? []).map((p, i) => hash(`consistency path[${i}]`, p)));
      return `size ${c.size1} is a prefix of the newest${policy ? " witnessed" : ""} head, size ${c.size2}`;
    });
  }

  const results = checks.list;
  const verdict = results.some((c) => c.ok === false) ? "failed"
    : policy && rpc && results.filter((c) => c.id !== "consistency").every((c) => c.ok === true) ? "verified" : "unpinned";
  return { checks: results, verdict, record, witnessed, anchor };
}

