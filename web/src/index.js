/**
 * Chain Witness in the browser: the verifier and sealer library of the pages.
 *
 * Every check runs here, on the user's machine, from bytes the page was given and a
 * JSON-RPC endpoint of the user's choosing; the server's word is never the answer.
 * Specifications: docs/proof-format.md, docs/sealed-envelope.md,
 * docs/threshold-keys.md section 6; this library: docs/web-crypto.md.
 */

export * from "./errors.js";
export { toHex, fromHex, utf8, fromUtf8, fromBase64, toBase64, concat, equalBytes } from "./bytes.js";
export { HASH_SIZE, leafHash, nodeHash, verifyInclusion, verifyConsistency } from "./merkle.js";
export { DEFAULT_HASH_CHUNK, sha256Blob, sha256BlobSliced } from "./filehash.js";
export { isValidEd25519, verifyEd25519 } from "./ed25519.js";
export { canonicalize, parseCanonical } from "./jcs.js";
export { toChecksumAddress, addressOfPublicKey } from "./address.js";
export * as ecies from "./ecies.js";
export {
  ALG, DEFAULT_CHUNK_SIZE, MAX_CHUNK_SIZE, MAX_HEADER_SIZE, MIN_CHUNK_SIZE,
  headerBytes, headerJson, parseHeader, wrapContext,
} from "./envelope_header.js";
export { blobSink, deriveKeys, openBlob, readHeader, sealBlob, unwrapKey } from "./sealing.js";
export {
  bidTypedData,
  sealedBidTypedData, hashStruct, keccak256, recoverTypedSigner, signTypedData, tenderIdBytes, typedDataDigest,
} from "./eip712.js";
export { JsonRpc, evidenceLogRootOf, selector } from "./rpc.js";
export { keyId, parseNote, parseCheckpointBody, parseVerifierKey, verifyLogSignature, verifyCosignatures, verifyWitnessedCheckpoint } from "./notes.js";
export { parseTrustPolicy, checkpointPins, sameAddress } from "./policy.js";
export { PROOF_CHECKS, verifyProofAnswer } from "./evidence.js";
export { readZip } from "./zip.js";
export { decryptKeystore } from "./keystore.js";
export { TENDER_STATUS, accountOf, checkTenderKey, pseudonymSecret, readTender, sealFileName, sealedBidCommitment, sealedBidNonce } from "./bidding.js";
export { PACKAGE_CHECKS, headerHash, verifyPackage } from "./package.js";
export { CERTIFICATE_CHECKS, credentialJson, issueCertificate, verifyCertificate, verifyCertificateSignature } from "./certificate.js";
export { quantityBytes, registerCertificateData, revokeCertificateData, rlp, signContractCall, signLegacyTransaction } from "./transaction.js";
export { sha256 } from "@noble/hashes/sha2.js";

/** Version of this library's API; bumped with any change a page must know about. */
export const LIBRARY_VERSION = "1";
