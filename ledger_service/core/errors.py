"""The one closed error hierarchy of Chain Witness.

Every failure the service reports is an :class:`EvidenceError`. Third-party
exceptions (web3, SQLAlchemy, JSON parsing) are translated into one of these
where they enter our code. Messages say what was expected and what was found.
The API maps each class to an RFC 9457 problem type and HTTP status in one place.
"""

from __future__ import annotations


class EvidenceError(Exception):
    """Base of every error Chain Witness raises on purpose."""

    #: short machine-readable slug, used as the problem+json type suffix
    code = "evidence-error"
    #: HTTP status the API answers with
    status = 500
    title = "Evidence service error"


class MalformedInput(EvidenceError):
    """Input does not have the expected shape (bad JSON, wrong type, out of range)."""

    code = "malformed-input"
    status = 422
    title = "Malformed input"


class LimitExceeded(MalformedInput):
    """Input is well formed but larger than a named limit allows."""

    code = "limit-exceeded"
    status = 413
    title = "Limit exceeded"


class VerificationFailed(EvidenceError):
    """A proof, digest or signature did not verify."""

    code = "verification-failed"
    status = 422
    title = "Verification failed"


class NotFound(EvidenceError):
    """The requested record, proof or head does not exist (yet)."""

    code = "not-found"
    status = 404
    title = "Not found"


class Unauthorized(EvidenceError):
    """No valid token, or a token whose role may not do this."""

    code = "unauthorized"
    status = 401
    title = "Unauthorized"


class Forbidden(EvidenceError):
    """A valid token whose role may not do this."""

    code = "forbidden"
    status = 403
    title = "Forbidden"


class Conflict(EvidenceError):
    """The request contradicts stored state (e.g. a head that is not an extension)."""

    code = "conflict"
    status = 409
    title = "Conflict"


class ChainUnavailable(EvidenceError):
    """The EVM JSON-RPC endpoint could not be reached or answered with an error."""

    code = "chain-unavailable"
    status = 503
    title = "Chain unavailable"


class DatabaseUnavailable(EvidenceError):
    """The database could not be reached or refused the connection."""

    code = "database-unavailable"
    status = 503
    title = "Database unavailable"


class StorageFull(EvidenceError):
    """The disk holding the database or the file store has no room left."""

    code = "storage-full"
    status = 507
    title = "Insufficient storage"


class ChainStateMismatch(EvidenceError):
    """The chain holds a head that disagrees with the local log: history diverged."""

    code = "chain-state-mismatch"
    status = 500
    title = "Chain state mismatch"


class ConfigurationError(EvidenceError):
    """Settings are missing or contradictory."""

    code = "configuration-error"
    status = 500
    title = "Configuration error"


class NotConfigured(ConfigurationError):
    """A feature this deployment does not offer (no chain, no notary registry...)."""

    code = "not-configured"
    status = 503
    title = "Not configured"


class DeadlinePassed(Conflict):
    """The chain refused a step because of its deadline or opening time."""

    code = "deadline-passed"
    title = "Deadline passed"
