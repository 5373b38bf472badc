// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @title INotaryRegistry
/// @notice Digital notarization (数字公证): the notary authority (the admin, an account
/// named at deployment, never the service's signer) authorizes notaries by address and
/// name, each address and each name once ever, and may later remove one. An authorized notary registers the
/// certificates it issues, each by its digest with the digest of the evidence package it
/// certifies and the evidence log's tree size and root the package was proven against. A
/// certificate can be revoked only by the notary that issued it, also after that
/// notary's removal, so a removed notary can still withdraw its own mistakes but issue
/// nothing new. Chain time (`_time()`, block.timestamp) stamps authorization, removal,
/// issuance and revocation; wasAuthorizedAt() answers whether a notary was in office at
/// a given time, e.g. at a certificate's issuedAt.
interface INotaryRegistry {
    // ------------------------------------------------------------------ events

    /// @notice `notary` was authorized under `name`.
    /// @param at Chain time of the authorization (`_time()`).
    event NotaryAuthorized(address indexed notary, string name, uint64 at);

    /// @notice `notary` was removed; it can no longer register certificates.
    /// @param at Chain time of the removal (`_time()`).
    event NotaryRemoved(address indexed notary, uint64 at);

    /// @notice `notary` registered the certificate `certDigest`.
    /// @param packageDigest Digest of the certified evidence package.
    /// @param treeSize Size of the evidence log tree the package was proven against.
    /// @param treeRoot Root of that tree.
    /// @param issuedAt Chain time of registration (`_time()`).
    event CertificateRegistered(
        bytes32 indexed certDigest,
        address indexed notary,
        bytes32 packageDigest,
        uint64 treeSize,
        bytes32 treeRoot,
        uint64 issuedAt
    );

    /// @notice The issuing `notary` revoked the certificate `certDigest`.
    /// @param reasonCode Caller-defined reason, never 0.
    /// @param revokedAt Chain time of the revocation (`_time()`).
    event CertificateRevoked(bytes32 indexed certDigest, address indexed notary, uint8 reasonCode, uint64 revokedAt);

    // ------------------------------------------------------------------ errors

    /// @notice The notary address is the zero address.
    error NotaryRegistryZeroAddress();

    /// @notice The notary's name is empty.
    error NotaryRegistryEmptyName(address notary);

    /// @notice `notary` was already authorized once, at `authorizedAt` (and possibly
    /// removed since); an address is authorized at most once ever.
    error NotaryRegistryAlreadyKnown(address notary, uint64 authorizedAt);

    /// @notice `name` was already given to `holder` (authorized, possibly removed since);
    /// a name is given at most once ever, so no second address can pose as that notary.
    /// Names compare as exact UTF-8 bytes.
    error NotaryRegistryNameTaken(string name, address holder);

    /// @notice The notary authority passed at deployment is the zero address.
    error NotaryRegistryZeroAuthority();

    /// @notice `notary` is not an authorized notary now: never authorized, or removed.
    error NotaryRegistryNotAuthorized(address notary);

    /// @notice The certificate or package digest is bytes32(0).
    error NotaryRegistryZeroDigest(bytes32 certDigest);

    /// @notice A certificate with this digest was already registered, by `notary`.
    error NotaryRegistryCertificateExists(bytes32 certDigest, address notary);

    /// @notice No certificate with this digest was registered.
    error NotaryRegistryNoSuchCertificate(bytes32 certDigest);

    /// @notice `caller` is not the notary that issued the certificate, `notary`.
    error NotaryRegistryNotIssuer(bytes32 certDigest, address caller, address notary);

    /// @notice The certificate was already revoked, at `revokedAt`.
    error NotaryRegistryAlreadyRevoked(bytes32 certDigest, uint64 revokedAt);

    /// @notice The revocation reason code is 0, which is reserved for "not revoked".
    error NotaryRegistryZeroReason(bytes32 certDigest);

    // ------------------------------------------------------------------ actions

    /// @notice Authorizes `notary` under `name` from now on.
    /// @dev Requires DEFAULT_ADMIN_ROLE. Reverts with NotaryRegistryZeroAddress,
    /// NotaryRegistryEmptyName, NotaryRegistryAlreadyKnown if `notary` was ever
    /// authorized before (also if removed since), or NotaryRegistryNameTaken if `name`
    /// was ever given to an address before (also if removed since). Emits NotaryAuthorized.
    /// @param notary The notary's signing address.
    /// @param name The notary's name (e.g. the notary office), non-empty.
    function authorizeNotary(address notary, string calldata name) external;

    /// @notice Removes `notary` from now on; its certificates stay valid unless revoked.
    /// @dev Requires DEFAULT_ADMIN_ROLE. Reverts with NotaryRegistryNotAuthorized if
    /// `notary` was never authorized or was already removed. Emits NotaryRemoved.
    /// @param notary The notary.
    function removeNotary(address notary) external;

    /// @notice Registers a certificate issued by the caller, an authorized notary.
    /// @dev Reverts with
    /// - NotaryRegistryNotAuthorized unless msg.sender is authorized and not removed;
    /// - NotaryRegistryZeroDigest if `certDigest` or `packageDigest` is bytes32(0);
    /// - NotaryRegistryCertificateExists if `certDigest` was registered before.
    /// Emits CertificateRegistered.
    /// @param certDigest Digest of the certificate document.
    /// @param packageDigest Digest of the certified evidence package.
    /// @param treeSize Size of the evidence log tree the package was proven against.
    /// @param treeRoot Root of that tree.
    function registerCertificate(bytes32 certDigest, bytes32 packageDigest, uint64 treeSize, bytes32 treeRoot) external;

    /// @notice Revokes a certificate; only its issuing notary may, even after removal.
    /// @dev Reverts with NotaryRegistryNoSuchCertificate, NotaryRegistryNotIssuer,
    /// NotaryRegistryAlreadyRevoked or NotaryRegistryZeroReason. Emits CertificateRevoked.
    /// @param certDigest The certificate.
    /// @param reasonCode Caller-defined reason, non-zero.
    function revokeCertificate(bytes32 certDigest, uint8 reasonCode) external;

    // ------------------------------------------------------------------ views

    /// @notice Returns the notary's name and its authorization and removal times (0 if
    /// not removed); all zero for an address never authorized.
    /// @param notary The notary.
    function notaryInfo(address notary)
        external
        view
        returns (string memory name, uint64 authorizedAt, uint64 removedAt);

    /// @notice Returns the address that was given `name`, or address(0) if none was.
    /// @param name The notary's name, compared as exact UTF-8 bytes.
    function notaryByName(string calldata name) external view returns (address);

    /// @notice Returns whether `notary` was authorized at chain time `time`:
    /// authorizedAt != 0 && authorizedAt <= time && (removedAt == 0 || time < removedAt).
    /// @param notary The notary.
    /// @param time A chain time (Unix seconds).
    function wasAuthorizedAt(address notary, uint64 time) external view returns (bool);

    /// @notice Returns the certificate; all zero for a digest never registered.
    /// @param certDigest The certificate.
    /// @return notary The issuing notary.
    /// @return packageDigest Digest of the certified evidence package.
    /// @return treeSize Size of the evidence log tree.
    /// @return treeRoot Root of that tree.
    /// @return issuedAt Chain time of registration.
    /// @return revokedAt Chain time of revocation, 0 if not revoked.
    /// @return reasonCode Revocation reason, 0 if not revoked.
    function certificate(bytes32 certDigest)
        external
        view
        returns (
            address notary,
            bytes32 packageDigest,
            uint64 treeSize,
            bytes32 treeRoot,
            uint64 issuedAt,
            uint64 revokedAt,
            uint8 reasonCode
        );

    /// @notice Returns the contract's name and interface version, "NotaryRegistry 2".
    function version() external pure returns (string memory);
}
