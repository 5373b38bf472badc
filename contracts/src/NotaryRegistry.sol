// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {INotaryRegistry} from "./INotaryRegistry.sol";

/// @title NotaryRegistry
/// @notice Registry of notaries and the certificates they issue; see INotaryRegistry.
/// @dev Roles: DEFAULT_ADMIN_ROLE, held by the notary authority passed at deployment,
/// manages roles and authorizes and removes notaries; the deployer gets no role. The
/// admin cannot give a name twice, register or revoke a certificate in a notary's name, re-authorize a
/// removed notary, or alter a registered certificate.
contract NotaryRegistry is INotaryRegistry, AccessControl {
    struct Notary {
        uint64 authorizedAt; // 0: never authorized
        uint64 removedAt; // 0: not removed
        string name;
    }

    struct Certificate {
        // slot 1: fixed at registration
        address notary; // address(0): not registered
        uint64 issuedAt;
        // slot 2: the only slot revokeCertificate() writes
        uint64 treeSize;
        uint64 revokedAt;
        uint8 reasonCode;
        bytes32 packageDigest;
        bytes32 treeRoot;
    }

    mapping(address notary => Notary) private _notaries;
    mapping(bytes32 certDigest => Certificate) private _certificates;
    mapping(bytes32 nameHash => address notary) private _byName;

    /// @param authority The notary authority's own account, granted DEFAULT_ADMIN_ROLE
    /// (e.g. the justice bureau overseeing notary offices); not the service's signer.
    constructor(address authority) {
        if (authority == address(0)) revert NotaryRegistryZeroAuthority();
        _grantRole(DEFAULT_ADMIN_ROLE, authority);
    }

    // ------------------------------------------------------------------ actions

    /// @inheritdoc INotaryRegistry
    function authorizeNotary(address notary, string calldata name) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (notary == address(0)) revert NotaryRegistryZeroAddress();
        if (bytes(name).length == 0) revert NotaryRegistryEmptyName(notary);
        Notary storage n = _notaries[notary];
        if (n.authorizedAt != 0) revert NotaryRegistryAlreadyKnown(notary, n.authorizedAt);
        bytes32 nameHash = keccak256(bytes(name));
        address holder = _byName[nameHash];
        if (holder != address(0)) revert NotaryRegistryNameTaken(name, holder);

        uint64 time = _time();
        n.authorizedAt = time;
        n.name = name;
        _byName[nameHash] = notary;
        emit NotaryAuthorized(notary, name, time);
    }

    /// @inheritdoc INotaryRegistry
    function removeNotary(address notary) external onlyRole(DEFAULT_ADMIN_ROLE) {
        Notary storage n = _notaries[notary];
        if (n.authorizedAt == 0 || n.removedAt != 0) revert NotaryRegistryNotAuthorized(notary);

        uint64 time = _time();
        n.removedAt = time;
        emit NotaryRemoved(notary, time);
    }

    /// @inheritdoc INotaryRegistry
    function registerCertificate(bytes32 certDigest, bytes32 packageDigest, uint64 treeSize, bytes32 treeRoot)
        external
    {
        Notary storage n = _notaries[msg.sender];
        if (n.authorizedAt == 0 || n.removedAt != 0) revert NotaryRegistryNotAuthorized(msg.sender);
        if (certDigest == 0 || packageDigest == 0) revert NotaryRegistryZeroDigest(certDigest);
        Certificate storage c = _certificates[certDigest];
        if (c.notary != address(0)) revert NotaryRegistryCertificateExists(certDigest, c.notary);

        uint64 time = _time();
        c.notary = msg.sender;
        c.issuedAt = time;
        c.treeSize = treeSize;
        c.packageDigest = packageDigest;
        c.treeRoot = treeRoot;
        emit CertificateRegistered(certDigest, msg.sender, packageDigest, treeSize, treeRoot, time);
    }

    /// @inheritdoc INotaryRegistry
    function revokeCertificate(bytes32 certDigest, uint8 reasonCode) external {
        Certificate storage c = _certificates[certDigest];
        address notary = c.notary;
        if (notary == address(0)) revert NotaryRegistryNoSuchCertificate(certDigest);
        if (msg.sender != notary) revert NotaryRegistryNotIssuer(certDigest, msg.sender, notary);
        if (c.revokedAt != 0) revert NotaryRegistryAlreadyRevoked(certDigest, c.revokedAt);
        if (reasonCode == 0) revert NotaryRegistryZeroReason(certDigest);

        uint64 time = _time();
        c.revokedAt = time;
        c.reasonCode = reasonCode;
        emit CertificateRevoked(certDigest, notary, reasonCode, time);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc INotaryRegistry
    function notaryInfo(address notary)
        external
        view
        returns (string memory name, uint64 authorizedAt, uint64 removedAt)
    {
        Notary storage n = _notaries[notary];
        return (n.name, n.authorizedAt, n.removedAt);
    }

    /// @inheritdoc INotaryRegistry
    function notaryByName(string calldata name) external view returns (address) {
        return _byName[keccak256(bytes(name))];
    }

    /// @inheritdoc INotaryRegistry
    function wasAuthorizedAt(address notary, uint64 time) external view returns (bool) {
        Notary storage n = _notaries[notary];
        return n.authorizedAt != 0 && n.authorizedAt <= time && (n.removedAt == 0 || time < n.removedAt);
    }

    /// @inheritdoc INotaryRegistry
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
        )
    {
        Certificate storage c = _certificates[certDigest];
        return (c.notary, c.packageDigest, c.treeSize, c.treeRoot, c.issuedAt, c.revokedAt, c.reasonCode);
    }

    /// @inheritdoc INotaryRegistry
    function version() external pure returns (string memory) {
        return "NotaryRegistry 2";
    }

    // ------------------------------------------------------------------ internals

    /// @dev Clock for every timestamp; tests and forks may override it.
    /// block.timestamp fits in 64 bits for the next 500 billion years.
    function _time() internal view virtual returns (uint64) {
        return uint64(block.timestamp);
    }
}
