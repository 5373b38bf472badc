// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @title IContractWitness
/// @notice Witness of electronic contracts (电子合同见证): the operator registers a contract
/// by its document digest, parties, amount, date and terms digest; each party then signs
/// it under its own EIP-712 signature. Anyone (in practice the service) may relay and pay
/// gas for a signature, but no relayer can forge one, move it to another contract, or
/// use it twice. A contract whose parties have all signed is complete. An amendment is a
/// new contract naming its `previous`, which must be complete and not amended yet; the
/// amendment's parties include every party of `previous`, so it needs all of their
/// signatures. `previous` counts as amended (`amendedBy`) only once the amendment is
/// complete: the operator's registration alone marks nothing, and several amendments of
/// one contract may be pending until the first completes; the others can then never
/// complete, so amendments still form a single linked chain of signed contracts. Chain
/// time (`_time()`, block.timestamp) stamps registration, signatures and completion.
///
/// EIP-712 domain: name "ChainWitness ContractWitness", version "1", the chain id and this
/// contract's address (read it with eip712Domain()). Signed type:
///   ContractSignature(bytes32 contractId,bytes32 documentDigest,address[] parties,uint256 amount,uint64 date,bytes32 termsDigest,bytes32 previous)
/// `parties` is encoded as EIP-712 prescribes for arrays: keccak256 of the concatenated
/// 32-byte encodings of its elements. Each party signs each contract at most once.
interface IContractWitness {
    /// @notice A contract as getContract() returns it; all zero for an unknown id.
    /// @param documentDigest Digest of the signed document (e.g. its SHA-256).
    /// @param termsDigest Digest of the contract's key terms.
    /// @param previous The contract this one amends, bytes32(0) if none.
    /// @param amendedBy The complete amendment of this contract, bytes32(0) until an
    /// amendment naming it as `previous` has all its parties' signatures.
    /// @param amount Contract amount in fen (0.01 CNY).
    /// @param date Contract date as its caller encodes it (the service: Unix seconds of
    /// 00:00 UTC on the date); not interpreted here.
    /// @param registeredAt Chain time of registration (`_time()`).
    /// @param completedAt Chain time of the last party's signature, 0 until complete.
    /// @param signatureCount Parties who have signed.
    /// @param parties The parties in registration order.
    struct ContractView {
        bytes32 documentDigest;
        bytes32 termsDigest;
        bytes32 previous;
        bytes32 amendedBy;
        uint256 amount;
        uint64 date;
        uint64 registeredAt;
        uint64 completedAt;
        uint8 signatureCount;
        address[] parties;
    }

    /// @notice One party's signature as signatures() returns it; `signedAt` is 0 if the
    /// party has not signed.
    struct PartySignature {
        address party;
        uint64 signedAt;
    }

    // ------------------------------------------------------------------ events

    /// @notice A contract was registered; it awaits its parties' signatures.
    /// @param previous The contract it amends, bytes32(0) if none.
    /// @param registeredAt Chain time of registration (`_time()`).
    event ContractRegistered(
        bytes32 indexed contractId,
        bytes32 documentDigest,
        address[] parties,
        uint256 amount,
        uint64 date,
        bytes32 termsDigest,
        bytes32 indexed previous,
        uint64 registeredAt
    );

    /// @notice Contract `previous` was amended by contract `amendment`: emitted when the
    /// amendment completes, right after its ContractCompleted.
    event ContractAmended(bytes32 indexed previous, bytes32 indexed amendment);

    /// @notice `party` signed the contract.
    /// @param signedAt Chain time of the signature (`_time()`).
    event ContractSigned(bytes32 indexed contractId, address indexed party, uint64 signedAt);

    /// @notice Every party has signed the contract (emitted after the last ContractSigned).
    /// @param completedAt Chain time of the last signature.
    event ContractCompleted(bytes32 indexed contractId, uint64 completedAt);

    // ------------------------------------------------------------------ errors

    /// @notice The contract id is bytes32(0), which is reserved for "no previous contract".
    error ContractWitnessZeroId();

    /// @notice A contract with this id was already registered.
    error ContractWitnessContractExists(bytes32 contractId);

    /// @notice No contract with this id was registered.
    error ContractWitnessNoSuchContract(bytes32 contractId);

    /// @notice The document or terms digest is bytes32(0).
    error ContractWitnessZeroDigest(bytes32 contractId);

    /// @notice `count` parties where MIN_PARTIES to MAX_PARTIES are allowed.
    error ContractWitnessBadPartyCount(uint256 count);

    /// @notice Party number `index` (1-based) is the zero address.
    error ContractWitnessZeroParty(uint256 index);

    /// @notice Party number `index` (1-based) repeats an earlier party.
    error ContractWitnessDuplicateParty(uint256 index, address party);

    /// @notice The amended contract `previous` has only `signatureCount` of its
    /// `partyCount` signatures.
    error ContractWitnessPreviousIncomplete(bytes32 previous, uint256 signatureCount, uint256 partyCount);

    /// @notice The contract `previous` was already amended, by the complete amendment
    /// `amendedBy`.
    error ContractWitnessPreviousAmended(bytes32 previous, bytes32 amendedBy);

    /// @notice The amendment of `previous` does not name `party`, a party of `previous`,
    /// among its own parties; every original party must sign an amendment.
    error ContractWitnessAmendmentMissesParty(bytes32 previous, address party);

    /// @notice `party` is not a party to the contract.
    error ContractWitnessUnknownParty(bytes32 contractId, address party);

    /// @notice `party` already signed the contract, at `signedAt`.
    error ContractWitnessAlreadySigned(bytes32 contractId, address party, uint64 signedAt);

    /// @notice The signature is not `party`'s over the contract; `signer` is the address
    /// it recovers to (address(0) if malformed: bad length, high s, bad v).
    error ContractWitnessBadSignature(address party, address signer);

    // ------------------------------------------------------------------ actions

    /// @notice Registers a contract, or an amendment of a complete contract.
    /// @dev Requires OPERATOR_ROLE. Reverts with
    /// - ContractWitnessZeroId if `contractId` is bytes32(0);
    /// - ContractWitnessContractExists if `contractId` was used before;
    /// - ContractWitnessZeroDigest if `documentDigest` or `termsDigest` is bytes32(0);
    /// - ContractWitnessBadPartyCount unless MIN_PARTIES <= parties.length <= MAX_PARTIES;
    /// - ContractWitnessZeroParty or ContractWitnessDuplicateParty for a bad party;
    /// - ContractWitnessNoSuchContract if `previous` is set and was never registered;
    /// - ContractWitnessPreviousIncomplete if `previous` is not fully signed;
    /// - ContractWitnessPreviousAmended if `previous` was already amended (by a complete
    ///   amendment);
    /// - ContractWitnessAmendmentMissesParty if a party of `previous` is not in `parties`.
    /// Registering an amendment does not change `previous`. Emits ContractRegistered.
    /// @param contractId Caller-chosen id, e.g. keccak256 of the contract code.
    /// @param documentDigest Digest of the document.
    /// @param parties The parties, 2 to 8 distinct non-zero signing addresses; for an
    /// amendment, every party of `previous` and possibly others.
    /// @param amount Amount in fen.
    /// @param date Contract date (uninterpreted).
    /// @param termsDigest Digest of the key terms.
    /// @param previous The contract amended, or bytes32(0).
    function registerContract(
        bytes32 contractId,
        bytes32 documentDigest,
        address[] calldata parties,
        uint256 amount,
        uint64 date,
        bytes32 termsDigest,
        bytes32 previous
    ) external;

    /// @notice Records `party`'s signature of the contract; anyone may relay it.
    /// @dev Reverts with ContractWitnessNoSuchContract, ContractWitnessUnknownParty,
    /// ContractWitnessAlreadySigned (so a signature counts once: replays are refused),
    /// ContractWitnessBadSignature unless `signature` is `party`'s EIP-712 signature of
    /// the contract's ContractSignature (65 bytes r || s || v, low s), or, for the last
    /// signature missing on an amendment, ContractWitnessPreviousAmended if another
    /// amendment of the same `previous` completed first. Emits ContractSigned, then
    /// ContractCompleted if it was the last signature missing, then ContractAmended if
    /// the contract is an amendment and thereby sets the previous contract's `amendedBy`.
    /// @param contractId The contract.
    /// @param party The party who signed.
    /// @param signature The party's EIP-712 signature.
    function sign(bytes32 contractId, address party, bytes calldata signature) external;

    // ------------------------------------------------------------------ views

    /// @notice Returns the contract (all zero, no parties, for an unknown id).
    /// @param contractId The contract.
    function getContract(bytes32 contractId) external view returns (ContractView memory);

    /// @notice Returns every party with its signing time (0 if not signed), in
    /// registration order; empty for an unknown id.
    /// @param contractId The contract.
    function signatures(bytes32 contractId) external view returns (PartySignature[] memory);

    /// @notice Returns whether the contract exists and all its parties have signed.
    /// @param contractId The contract.
    function isComplete(bytes32 contractId) external view returns (bool);

    /// @notice Returns the EIP-712 digest every party signs for the contract, on this
    /// chain and contract (what eth_signTypedData_v4 signs).
    /// @dev Reverts with ContractWitnessNoSuchContract for an unknown id.
    /// @param contractId The contract.
    function signatureDigest(bytes32 contractId) external view returns (bytes32);

    /// @notice Returns the EIP-712 digest of ContractSignature for the given fields,
    /// registered or not.
    /// @param contractId The contract id.
    /// @param documentDigest Digest of the document.
    /// @param parties The parties, in order.
    /// @param amount Amount in fen.
    /// @param date Contract date.
    /// @param termsDigest Digest of the key terms.
    /// @param previous The contract amended, or bytes32(0).
    function contractDigest(
        bytes32 contractId,
        bytes32 documentDigest,
        address[] calldata parties,
        uint256 amount,
        uint64 date,
        bytes32 termsDigest,
        bytes32 previous
    ) external view returns (bytes32);

    /// @notice Returns the EIP-712 domain separator for this chain and contract.
    function DOMAIN_SEPARATOR() external view returns (bytes32);

    /// @notice Returns the contract's name and interface version, "ContractWitness 2".
    function version() external pure returns (string memory);
}
