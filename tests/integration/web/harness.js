// Helpers the browser tests call through page.evaluate: they move bytes in and out
// as hex or base64 and run the library in web/src (bundled as /static/chainwitness.js)
// exactly as a page would. Every check of a result is made in Python, against
// ledger_service.core and the published vectors.

import * as cw from "/static/chainwitness.js";

const hex = (b) => cw.toHex(b);
const unhex = (h) => cw.fromHex(h);

/** An rng that replays recorded draws in order and fails on a size mismatch. */
export function replay(draws) {
  const queue = draws.map(unhex);
  return (n) => {
    const next = queue.shift();
    if (!next || next.length !== n) throw new Error(`replayed rng: expected a draw of ${n} bytes, found ${next ? next.length : "none"}`);
    return next;
  };
}

/** Run `fn`; return {ok: true, value} or {ok: false, name, message}. */
async function outcome(fn) {
  try {
    return { ok: true, value: await fn() };
  } catch (e) {
    return { ok: false, name: e.name, message: e.message };
  }
}

const b64OrNull = (v) => (v === null || v === undefined ? null : cw.fromBase64(v));

/** Fetch each RFC 6962 vector file and verify it; one outcome per path. */
export async function runMerkleVectors(paths) {
  const out = [];
  for (const path of paths) {
    const v = await (await fetch(`/vectors/rfc6962/${path}`)).json();
    const proof = (v.proof ?? []).map(cw.fromBase64);
    const result = await outcome(() => {
      if ("leafIdx" in v) cw.verifyInclusion(b64OrNull(v.leafHash), v.leafIdx, v.treeSize, proof, b64OrNull(v.root));
      else cw.verifyConsistency(v.size1, v.size2, b64OrNull(v.root1), b64OrNull(v.root2), proof);
    });
    out.push({ path, ...result });
  }
  return out;
}

/** Verify proofs built by Python; cases: {kind, ...hex fields}. */
export async function runMerkleCases(cases) {
  const out = [];
  for (const c of cases) {
    out.push(await outcome(() => {
      if (c.kind === "inclusion") cw.verifyInclusion(unhex(c.leaf), c.index, c.size, c.path.map(unhex), unhex(c.root));
      else cw.verifyConsistency(c.size1, c.size2, unhex(c.root1), unhex(c.root2), c.path.map(unhex));
    }));
  }
  return out;
}

function sealResultHex(r) {
  return {
    ciphertext_sha256: hex(r.ciphertextSha256),
    envelope_digest: hex(r.envelopeDigest),
    plaintext_commitment: hex(r.plaintextCommitment),
    plaintext_size: r.plaintextSize,
    ciphertext_size: r.ciphertextSize,
  };
}

async function blobHex(blob) {
  return hex(new Uint8Array(await blob.arrayBuffer()));
}

/** Seal `plaintext` (hex) with the vector's inputs and (optionally replayed) rng. */
export async function seal({ plaintext, tender_id, bidder, tender_public_key, bidder_public_key, chunk_size, rng }) {
  const sink = cw.blobSink();
  const result = await cw.sealBlob(new Blob([unhex(plaintext)]), {
    tenderId: tender_id,
    bidder,
    tenderPublicKey: unhex(tender_public_key),
    bidderPublicKey: unhex(bidder_public_key),
    chunkSize: chunk_size,
    rng: rng ? replay(rng) : undefined,
    write: sink.write,
  });
  return { envelope: await blobHex(sink.blob()), ...sealResultHex(result) };
}

/** Seal `size` random bytes made in the browser; returns the plaintext too (base64). */
export async function sealRandom({ size, tender_id, bidder, tender_public_key, bidder_public_key, chunk_size }) {
  const plain = new Uint8Array(size);
  for (let at = 0; at < size; at += 65536) crypto.getRandomValues(plain.subarray(at, Math.min(at + 65536, size)));
  const sink = cw.blobSink();
  const result = await cw.sealBlob(new Blob([plain]), {
    tenderId: tender_id, bidder, chunkSize: chunk_size, write: sink.write,
    tenderPublicKey: unhex(tender_public_key), bidderPublicKey: unhex(bidder_public_key),
  });
  const envelope = new Uint8Array(await sink.blob().arrayBuffer());
  return { envelope: cw.toBase64(envelope), plaintext: cw.toBase64(plain), ...sealResultHex(result) };
}

/** Open an envelope (base64) as `kind` with its secret (hex); plaintext as base64. */
export async function open({ envelope, kind, secret }) {
  return outcome(async () => {
    const blob = new Blob([cw.fromBase64(envelope)]);
    const { header } = await cw.readHeader(blob);
    const key = await cw.unwrapKey(header, kind, unhex(secret));
    const sink = cw.blobSink();
    const r = await cw.openBlob(blob, key, { write: sink.write });
    const plain = new Uint8Array(await sink.blob().arrayBuffer());
    return {
      content_key: hex(key),
      plaintext: cw.toBase64(plain),
      plaintext_size: r.plaintextSize,
      plaintext_commitment: hex(r.plaintextCommitment),
      ciphertext_sha256: hex(r.ciphertextSha256),
      envelope_digest: hex(r.envelopeDigest),
    };
  });
}

/** Open with a given content key (hex): for named mutations of an envelope. */
export async function openWithKey({ envelope, content_key }) {
  return outcome(async () => {
    const r = await cw.openBlob(new Blob([cw.fromBase64(envelope)]), unhex(content_key), { write: async () => {} });
    return { plaintext_size: r.plaintextSize };
  });
}

export async function eciesEncrypt({ recipient, plaintext, aad, info, rng }) {
  return hex(await cw.ecies.encrypt(unhex(recipient), unhex(plaintext), unhex(aad), unhex(info), replay(rng)));
}

export async function eciesEncryptRandom({ recipient, plaintext, aad, info }) {
  return hex(await cw.ecies.encrypt(unhex(recipient), unhex(plaintext), unhex(aad), unhex(info)));
}

export async function eciesDecrypt({ secret, blob, aad, info }) {
  return outcome(async () => hex(await cw.ecies.decrypt(unhex(secret), unhex(blob), unhex(aad), unhex(info))));
}

/** EIP-712: the bid typed data built here, its digest, the digest of Python's dict, a signature. */
export function eip712({ bid, sealed, python_typed, python_sealed, extra_typed, secret }) {
  const typed = cw.bidTypedData({
    ...bid,
    tenderId: unhex(bid.tenderId),
    ciphertextDigest: unhex(bid.ciphertextDigest),
    plaintextCommitment: unhex(bid.plaintextCommitment),
    envelopeDigest: unhex(bid.envelopeDigest),
  });
  const sealedTyped = cw.sealedBidTypedData({ ...sealed, tenderId: unhex(sealed.tenderId), commitment: unhex(sealed.commitment) });
  const signature = cw.signTypedData(unhex(secret), typed);
  return {
    typed,
    digest: hex(cw.typedDataDigest(typed)),
    python_digest: hex(cw.typedDataDigest(python_typed)),
    extra_digest: hex(cw.typedDataDigest(extra_typed)),
    sealed: sealedTyped,
    sealed_digest: hex(cw.typedDataDigest(sealedTyped)),
    python_sealed_digest: hex(cw.typedDataDigest(python_sealed)),
    signature: hex(signature),
    signer: cw.recoverTypedSigner(typed, signature),
    tender_id: hex(cw.tenderIdBytes(bid.tenderCode)),
  };
}

export function ed25519({ public_key, message, signature }) {
  return cw.isValidEd25519(unhex(public_key), unhex(message), unhex(signature));
}

/** Hash the file chosen in #file, sampling the JS heap after every chunk. */
export async function hashChosenFile({ chunkSize }) {
  const file = document.getElementById("file").files[0];
  const heap = () => performance.memory?.usedJSHeapSize ?? null;
  const before = heap();
  let peak = before;
  const started = performance.now();
  const digest = await cw.sha256Blob(file, {
    chunkSize,
    progress: () => {
      const h = heap();
      if (h !== null && h > peak) peak = h;
    },
  });
  return { digest: hex(digest), size: file.size, ms: performance.now() - started, heap_before: before, heap_peak: peak };
}

/** Read an EvidenceLog and a block over JSON-RPC from the page. */
export async function readChain({ url, contract, size, other_size, block }) {
  const rpc = new cw.JsonRpc(url);
  return {
    chain_id: await rpc.chainId(),
    root: hex(await cw.evidenceLogRootOf(rpc, contract, size)),
    other_root: hex(await cw.evidenceLogRootOf(rpc, contract, other_size)),
    block: await rpc.getBlockByNumber(block),
  };
}

export async function rpcFailure({ url }) {
  return outcome(() => new cw.JsonRpc(url, { timeoutMs: 3000 }).chainId());
}

/** Both hashing paths (BYOB reader and slices) over the chosen file, with a small chunk. */
export async function hashChosenFileBothWays({ chunkSize }) {
  const file = document.getElementById("file").files[0];
  return {
    byob: hex(await cw.sha256Blob(file, { chunkSize })),
    sliced: hex(await cw.sha256BlobSliced(file, { chunkSize })),
  };
}

// ---------------------------------------------------------------- bidder and notary pages

/** The bidder page's own computations: pseudonym, commitment, sealed file name. */
export async function bidding({ secret, tenderCode, bidder, salt, ciphertext, plaintext, envelope, contentKey, fileName, nonce }) {
  const tid = cw.tenderIdBytes(tenderCode);
  const pseudonym = cw.accountOf(cw.pseudonymSecret(unhex(secret), tid));
  return {
    account: cw.accountOf(unhex(secret)).address,
    publicKey: hex(cw.accountOf(unhex(secret)).publicKey),
    pseudonym: pseudonym.address,
    commitment: hex(cw.sealedBidCommitment({ tenderId: tid, bidder, salt: unhex(salt), ciphertextDigest: unhex(ciphertext),
      plaintextCommitment: unhex(plaintext), envelopeDigest: unhex(envelope) })),
    fileName: hex(await cw.sealFileName(unhex(contentKey), unhex(envelope), fileName, replay([nonce]))),
  };
}

/** decryptKeystore(text, password) as {ok, value: secret hex} or the error. */
export async function keystore({ text, password }) {
  return outcome(async () => hex((await cw.decryptKeystore(text, password)).secret));
}

/** A legacy EIP-155 transaction signed here. */
export function legacyTx({ secret, tx }) {
  return hex(cw.signLegacyTransaction(unhex(secret), { ...tx, to: tx.to, data: unhex(tx.data) }));
}

/** A certificate issued here: { jws, digest }. */
export function issueCertificate({ secret, fields }) {
  return cw.issueCertificate(cw.credentialJson(fields), unhex(secret));
}

/** Parse a trust policy text in the browser; the outcome (a GM policy is refused by name). */
export async function parsePolicy({ text }) {
  return outcome(() => {
    const p = cw.parseTrustPolicy(text);
    return { fingerprint: p.fingerprint, origin: p.origin };
  });
}
