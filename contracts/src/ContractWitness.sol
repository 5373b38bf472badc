// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {IContractWitness} from "./IContractWitness.sol";

/// @title ContractWitness
/// @notice Witness of electronic contracts signed by their parties; see IContractWitness.
/// @dev Roles: DEFAULT_ADMIN_ROLE manages roles; OPERATOR_ROLE registers contracts and
/// amendments. The operator cannot sign for a party, alter a registered contract, amend
/// a contract that is not fully signed, or mark a contract as amended without every
/// original party's signature on the amendment.
contract ContractWitness is IContractWitness, AccessControl, EIP712 {
    /// @notice Role allowed to register contracts and amendments.
    bytes32 public constant OPERATOR_ROLE = keccak256("OPERATOR_ROLE");

    /// @notice Fewest parties a contract may have.
    uint8 public constant MIN_PARTIES = 2;

    /// @notice Most parties a contract may have.
    uint8 public constant MAX_PARTIES = 8;

    bytes32 private constant _SIGNATURE_TYPEHASH = keccak256(
        "ContractSignature(bytes32 contractId,bytes32 documentDigest,address[] parties,uint256 amount,uint64 date,bytes32 termsDigest,bytes32 previous)"
    );

    struct Record {
        // one slot: the counters and times sign() reads and writes
        uint64 date;
        uint64 registeredAt;
        uint64 completedAt;
        uint8 partyCount;
        uint8 signatureCount;
        // the EIP-712 struct hash, fixed at registration, so sign() reads one slot
        // instead of re-hashing every field
        bytes32 structHash;
        bytes32 documentDigest;
        bytes32 termsDigest;
        bytes32 previous;
        bytes32 amendedBy;
        uint256 amount;
        address[] parties;
    }

    struct Party {
        uint8 index; // 1-based; 0: not a party
        bool signed;
        uint64 signedAt;
    }

    mapping(bytes32 contractId => Record) private _contracts;
    mapping(bytes32 contractId => mapping(address party => Party)) private _parties;

    /// @param admin Account granted DEFAULT_ADMIN_ROLE.
    /// @param operator Account granted OPERATOR_ROLE.
    constructor(address admin, address operator) EIP712("ChainWitness ContractWitness", "1") {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(OPERATOR_ROLE, operator);
    }

    // ------------------------------------------------------------------ actions

    /// @inheritdoc IContractWitness
    function registerContract(
        bytes32 contractId,
        bytes32 documentDigest,
        address[] calldata parties,
        uint256 amount,
        uint64 date,
        bytes32 termsDigest,
        bytes32 previous
    ) external onlyRole(OPERATOR_ROLE) {
        if (contractId == 0) revert ContractWitnessZeroId();
        Record storage record = _contracts[contractId];
        if (record.partyCount != 0) revert ContractWitnessContractExists(contractId);
        if (documentDigest == 0 || termsDigest == 0) revert ContractWitnessZeroDigest(contractId);
        uint256 n = parties.length;
        if (n < MIN_PARTIES || n > MAX_PARTIES) revert ContractWitnessBadPartyCount(n);
        mapping(address => Party) storage slots = _parties[contractId];
        for (uint256 i = 0; i < n; ++i) {
            address p = parties[i];
            if (p == address(0)) revert ContractWitnessZeroParty(i + 1);
            if (slots[p].index != 0) revert ContractWitnessDuplicateParty(i + 1, p);
            // i < MAX_PARTIES, checked above
            // forge-lint: disable-next-line(unsafe-typecast)
            slots[p].index = uint8(i + 1);
        }
        if (previous != 0) _requireAmendable(previous, parties);

        uint64 time = _time();
        record.date = date;
        record.registeredAt = time;
        // n <= MAX_PARTIES, checked above
        // forge-lint: disable-next-line(unsafe-typecast)
        record.partyCount = uint8(n);
        record.structHash = _structHash(contractId, documentDigest, parties, amount, date, termsDigest, previous);
        record.documentDigest = documentDigest;
        record.termsDigest = termsDigest;
        record.previous = previous;
        record.amount = amount;
        record.parties = parties;
        emit ContractRegistered(contractId, documentDigest, parties, amount, date, termsDigest, previous, time);
    }

    /// @inheritdoc IContractWitness
    function sign(bytes32 contractId, address party, bytes calldata signature) external {
        Record storage record = _contracts[contractId];
        if (record.partyCount == 0) revert ContractWitnessNoSuchContract(contractId);
        Party storage slot = _parties[contractId][party];
        if (slot.index == 0) revert ContractWitnessUnknownParty(contractId, party);
        if (slot.signed) revert ContractWitnessAlreadySigned(contractId, party, slot.signedAt);
        _requireSignature(party, record.structHash, signature);

        uint64 time = _time();
        slot.signed = true;
        slot.signedAt = time;
        uint8 count = ++record.signatureCount;
        emit ContractSigned(contractId, party, time);
        if (count == record.partyCount) {
            record.completedAt = time;
            emit ContractCompleted(contractId, time);
            bytes32 previous = record.previous;
            if (previous != 0) _markAmended(previous, contractId);
        }
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc IContractWitness
    function getContract(bytes32 contractId) external view returns (ContractView memory) {
        Record storage r = _contracts[contractId];
        return ContractView({
            documentDigest: r.documentDigest,
            termsDigest: r.termsDigest,
            previous: r.previous,
            amendedBy: r.amendedBy,
            amount: r.amount,
            date: r.date,
            registeredAt: r.registeredAt,
            completedAt: r.completedAt,
            signatureCount: r.signatureCount,
            parties: r.parties
        });
    }

    /// @inheritdoc IContractWitness
    function signatures(bytes32 contractId) external view returns (PartySignature[] memory list) {
        address[] storage parties = _contracts[contractId].parties;
        list = new PartySignature[](parties.length);
        for (uint256 i = 0; i < list.length; ++i) {
            address p = parties[i];
            list[i] = PartySignature({party: p, signedAt: _parties[contractId][p].signedAt});
        }
    }

    /// @inheritdoc IContractWitness
    function isComplete(bytes32 contractId) public view returns (bool) {
        Record storage r = _contracts[contractId];
        return r.partyCount != 0 && r.signatureCount == r.partyCount;
    }

    /// @inheritdoc IContractWitness
    function signatureDigest(bytes32 contractId) external view returns (bytes32) {
        Record storage r = _contracts[contractId];
        if (r.partyCount == 0) revert ContractWitnessNoSuchContract(contractId);
        return _hashTypedDataV4(r.structHash);
    }

    /// @inheritdoc IContractWitness
    function contractDigest(
        bytes32 contractId,
        bytes32 documentDigest,
        address[] calldata parties,
        uint256 amount,
        uint64 date,
        bytes32 termsDigest,
        bytes32 previous
    ) external view returns (bytes32) {
        return _hashTypedDataV4(_structHash(contractId, documentDigest, parties, amount, date, termsDigest, previous));
    }

    /// @inheritdoc IContractWitness
    function DOMAIN_SEPARATOR() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    /// @inheritdoc IContractWitness
    function version() external pure returns (string memory) {
        return "ContractWitness 2";
    }

    // ------------------------------------------------------------------ internals

    /// @dev Clock for every timestamp; tests and forks may override it.
    /// block.timestamp fits in 64 bits for the next 500 billion years.
    function _time() internal view virtual returns (uint64) {
        return uint64(block.timestamp);
    }

    /// @dev Reverts unless `previous` exists, is complete, is not amended yet, and each of
    /// its parties is among `parties` (so the amendment needs all of their signatures).
    function _requireAmendable(bytes32 previous, address[] calldata parties) private view {
        Record storage prior = _contracts[previous];
        if (prior.partyCount == 0) revert ContractWitnessNoSuchContract(previous);
        if (prior.signatureCount != prior.partyCount) {
            revert ContractWitnessPreviousIncomplete(previous, prior.signatureCount, prior.partyCount);
        }
        if (prior.amendedBy != 0) revert ContractWitnessPreviousAmended(previous, prior.amendedBy);
        address[] storage original = prior.parties;
        for (uint256 i = 0; i < original.length; ++i) {
            address party = original[i];
            bool named;
            for (uint256 j = 0; j < parties.length && !named; ++j) {
                named = parties[j] == party;
            }
            if (!named) revert ContractWitnessAmendmentMissesParty(previous, party);
        }
    }

    /// @dev Links the now complete `amendment` after `previous`. Still refused if another
    /// amendment of `previous` completed first: the chain of amendments never forks.
    function _markAmended(bytes32 previous, bytes32 amendment) private {
        Record storage prior = _contracts[previous];
        if (prior.amendedBy != 0) revert ContractWitnessPreviousAmended(previous, prior.amendedBy);
        prior.amendedBy = amendment;
        emit ContractAmended(previous, amendment);
    }

    /// @dev Reverts unless `signature` is `party`'s over the EIP-712 struct `structHash`.
    /// OZ ECDSA refuses high-s and malformed signatures, so a relayer cannot mint a second
    /// valid signature from the first.
    function _requireSignature(address party, bytes32 structHash, bytes calldata signature) private view {
        (address signer, ECDSA.RecoverError err,) = ECDSA.tryRecover(_hashTypedDataV4(structHash), signature);
        if (err != ECDSA.RecoverError.NoError || signer != party) revert ContractWitnessBadSignature(party, signer);
    }

    /// @dev EIP-712 hashStruct of ContractSignature; an address[] is hashed as the
    /// keccak256 of its elements' 32-byte encodings (abi.encodePacked pads array items).
    function _structHash(
        bytes32 contractId,
        bytes32 documentDigest,
        address[] calldata parties,
        uint256 amount,
        uint64 date,
        bytes32 termsDigest,
        bytes32 previous
    ) private pure returns (bytes32) {
        return keccak256(
            abi.encode(
                _SIGNATURE_TYPEHASH,
                contractId,
                documentDigest,
                keccak256(abi.encodePacked(parties)),
                amount,
                date,
                termsDigest,
                previous
            )
        );
    }
}
