/**
 * The browser side of the one closed error hierarchy (ledger_service/core/errors.py).
 *
 * Same class names and the same meaning, so a page can tell a proof that does not
 * verify (VerificationFailed) from input it cannot read (MalformedInput), and say
 * which. Messages follow the Python ones: "expected X, found Y".
 */

export class EvidenceError extends Error {
  constructor(message) {
    super(message);
    this.name = new.target.name;
  }
}

/** Input does not have the expected shape (bad JSON, wrong type, out of range). */
export class MalformedInput extends EvidenceError {}

/** Input is well formed but larger than a named limit allows. */
export class LimitExceeded extends MalformedInput {}

/** A proof, digest or signature did not verify. */
export class VerificationFailed extends EvidenceError {}

/** The JSON-RPC endpoint did not answer, or answered something that is not JSON-RPC. */
export class ChainUnavailable extends EvidenceError {}
