// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @title ITenderRegistry
/// @notice On-chain rules of sealed-bid public tenders ("sealed bids that open themselves").
/// @dev A tender fixes, at creation, its bid deadline, its opening time, a set of n
/// custodians of which any t can open it, the tender's opening public key and the Feldman
/// commitments of its key shares. Registered bidders submit commitments to their sealed
/// bids, each under their own EIP-712 signature: anyone (in practice the service) may relay
/// and pay gas, but no relayer can forge, replay or move a bid. Custodians release their
/// key shares only from the opening time on; with t shares and at least MIN_BIDS bids the
/// operator records the opening. Chain time (`_time()`, block.timestamp) is the only clock:
/// an action is "before the deadline" iff `_time() < bidDeadline`, and "at or after the
/// opening time" iff `_time() >= openingTime`.
///
/// EIP-712 domain: name "ChainWitness TenderRegistry", version "1", the chain id and this
/// contract's address (read it with eip712Domain()). Signed types:
///   Bid(bytes32 tenderId,address bidder,bytes32 ciphertextDigest,bytes32 plaintextCommitment,bytes32 envelopeDigest,uint64 nonce)
///   Withdrawal(bytes32 tenderId,address bidder,uint64 nonce)
/// Bids and withdrawals of one bidder in one tender share one nonce sequence: each must
/// carry a nonce greater than the last one used, so every signature is good at most once.
interface ITenderRegistry {
    /// @notice Life of a tender. None: never created. Open: created, neither opened nor
    /// ended (bidding runs until the deadline, shares are released from the opening time).
    /// Opened, Failed and Cancelled are final.
    enum Status {
        None,
        Open,
        Opened,
        Failed,
        Cancelled
    }

    /// @notice A tender as getTender() returns it.
    /// @param bidDeadline First second (chain time) at which bids are no longer accepted.
    /// @param openingTime First second (chain time) at which shares may be released.
    /// @param threshold Number t of shares that open the tender.
    /// @param custodianCount Number n of custodians.
    /// @param activeBids Bids submitted and not withdrawn (one per bidder at most).
    /// @param sharesReleased Number of custodians who released their share.
    /// @param status Where the tender is in its life.
    /// @param openingKeyHash keccak256 of the 33-byte compressed opening public key.
    /// @param commitmentsHash keccak256 of the t * 33 bytes of share commitments.
    /// @param openingRecordDigest Digest given to recordOpening(), bytes32(0) until then.
    struct TenderView {
        uint64 bidDeadline;
        uint64 openingTime;
        uint8 threshold;
        uint8 custodianCount;
        uint32 activeBids;
        uint8 sharesReleased;
        Status status;
        bytes32 openingKeyHash;
        bytes32 commitmentsHash;
        bytes32 openingRecordDigest;
    }

    /// @notice A bidder's current bid as getBid() returns it. After a withdrawal the
    /// digests and `submittedAt` read as zero and `active` as false; `nonce` is the last
    /// nonce used (by a bid or a withdrawal), so the next signature needs a greater one.
    struct BidView {
        bytes32 ciphertextDigest;
        bytes32 plaintextCommitment;
        bytes32 envelopeDigest;
        uint64 nonce;
        uint64 submittedAt;
        bool active;
    }

    // ------------------------------------------------------------------ events

    /// @notice A tender was created. The log carries the full key material; storage keeps
    /// only its hashes.
    /// @param custodians The n custodians; custodian i (1-based) holds share index i.
    /// @param openingPublicKey Compressed secp256k1 point (33 bytes), the key bids are
    /// sealed to.
    /// @param shareCommitments Feldman commitments A_0..A_{t-1}, 33 bytes each, A_0 being
    /// the opening public key.
    event TenderCreated(
        bytes32 indexed tenderId,
        uint64 bidDeadline,
        uint64 openingTime,
        uint8 threshold,
        address[] custodians,
        bytes openingPublicKey,
        bytes shareCommitments
    );

    /// @notice `bidder` may now submit bids to the tender.
    event BidderRegistered(bytes32 indexed tenderId, address indexed bidder);

    /// @notice `bidder`'s bid was accepted; it replaces any earlier bid of theirs.
    /// @param submittedAt Chain time of acceptance (`_time()`).
    event BidSubmitted(
        bytes32 indexed tenderId,
        address indexed bidder,
        bytes32 ciphertextDigest,
        bytes32 plaintextCommitment,
        bytes32 envelopeDigest,
        uint64 nonce,
        uint64 submittedAt
    );

    /// @notice `bidder` withdrew their bid.
    /// @param withdrawnAt Chain time of the withdrawal (`_time()`).
    event BidWithdrawn(bytes32 indexed tenderId, address indexed bidder, uint64 nonce, uint64 withdrawnAt);

    /// @notice Custodian `custodian` released key share number `index` (1-based).
    event ShareReleased(bytes32 indexed tenderId, uint8 index, address indexed custodian, bytes32 share);

    /// @notice The tender was opened; `openingRecordDigest` identifies the off-chain
    /// opening record (decrypted bids checked against their commitments).
    event TenderOpened(bytes32 indexed tenderId, bytes32 openingRecordDigest, uint32 activeBids, uint8 sharesReleased);

    /// @notice Bidding closed with `activeBids` < MIN_BIDS bids: the tender failed and
    /// its bids stay sealed.
    event TenderFailed(bytes32 indexed tenderId, uint32 activeBids);

    /// @notice The tender was cancelled; `reasonDigest` identifies the published reason.
    event TenderCancelled(bytes32 indexed tenderId, bytes32 reasonDigest);

    // ------------------------------------------------------------------ errors

    /// @notice A tender with this id already exists (whatever its status).
    error TenderRegistryTenderExists(bytes32 tenderId);

    /// @notice No tender with this id was created.
    error TenderRegistryNoSuchTender(bytes32 tenderId);

    /// @notice The schedule breaks `time < bidDeadline <= openingTime`.
    error TenderRegistryBadSchedule(uint64 time, uint64 bidDeadline, uint64 openingTime);

    /// @notice `count` custodians where 1 to MAX_CUSTODIANS are allowed.
    error TenderRegistryBadCustodianCount(uint256 count);

    /// @notice The threshold breaks `1 <= threshold <= custodianCount`.
    error TenderRegistryBadThreshold(uint8 threshold, uint256 custodianCount);

    /// @notice Custodian number `index` (1-based) is the zero address or repeats an
    /// earlier one.
    error TenderRegistryBadCustodian(uint256 index, address custodian);

    /// @notice The opening key is not 33 bytes starting with 0x02 or 0x03; `prefix` is
    /// its first byte (0x00 if empty).
    error TenderRegistryBadOpeningKey(uint256 length, bytes1 prefix);

    /// @notice The commitments are `got` bytes where threshold * 33 = `expected` are needed.
    error TenderRegistryBadCommitmentsLength(uint256 expected, uint256 got);

    /// @notice Commitment A_`position` (0-based) is not a compressed point (first byte
    /// 0x02 or 0x03), or, for position 0, differs from the opening key.
    error TenderRegistryBadCommitment(uint256 position);

    /// @notice The tender is `status`, but the action needs it Open.
    error TenderRegistryNotOpen(bytes32 tenderId, Status status);

    /// @notice Bidding closed at `bidDeadline` (the first second at which bids are refused); it is `time`.
    error TenderRegistryDeadlinePassed(bytes32 tenderId, uint64 bidDeadline, uint64 time);

    /// @notice Bidding runs until `bidDeadline`; it is only `time`, so the tender has not failed yet.
    error TenderRegistryBeforeDeadline(bytes32 tenderId, uint64 bidDeadline, uint64 time);

    /// @notice Shares may be released from `openingTime` on; it is only `time`.
    error TenderRegistryBeforeOpeningTime(bytes32 tenderId, uint64 openingTime, uint64 time);

    /// @notice The bidder is the zero address.
    error TenderRegistryZeroBidder(bytes32 tenderId);

    /// @notice `bidder` is already registered for the tender.
    error TenderRegistryAlreadyRegistered(bytes32 tenderId, address bidder);

    /// @notice `bidder` is not registered for the tender.
    error TenderRegistryNotRegistered(bytes32 tenderId, address bidder);

    /// @notice The nonce `got` is not greater than `last`, the bidder's last used nonce.
    error TenderRegistryStaleNonce(bytes32 tenderId, address bidder, uint64 last, uint64 got);

    /// @notice A digest argument is bytes32(0), which is reserved for "none".
    error TenderRegistryZeroDigest(bytes32 tenderId);

    /// @notice The signature is not `bidder`'s over the given data; `signer` is the
    /// address it recovers to (address(0) if malformed: bad length, high s, bad v).
    error TenderRegistryBadSignature(address bidder, address signer);

    /// @notice `bidder` has no active bid to withdraw.
    error TenderRegistryNoActiveBid(bytes32 tenderId, address bidder);

    /// @notice Share index `index` is outside 1..custodianCount.
    error TenderRegistryBadShareIndex(bytes32 tenderId, uint8 index, uint256 custodianCount);

    /// @notice Share `index` belongs to `custodian`, not to the caller `caller`.
    error TenderRegistryNotCustodian(bytes32 tenderId, uint8 index, address custodian, address caller);

    /// @notice Share `index` was already released.
    error TenderRegistryShareAlreadyReleased(bytes32 tenderId, uint8 index);

    /// @notice The share is 0 or not below the secp256k1 group order: not a key share.
    error TenderRegistryBadShare(bytes32 tenderId, uint8 index);

    /// @notice Only `released` of the `threshold` shares needed were released.
    error TenderRegistryTooFewShares(bytes32 tenderId, uint256 released, uint256 threshold);

    /// @notice The tender has `activeBids` bids; opening needs at least `minBids`.
    error TenderRegistryTooFewBids(bytes32 tenderId, uint256 activeBids, uint256 minBids);

    /// @notice The tender has `activeBids` >= `minBids` bids, so it has not failed.
    error TenderRegistryEnoughBids(bytes32 tenderId, uint256 activeBids, uint256 minBids);

    // ------------------------------------------------------------------ actions

    /// @notice Creates a tender with its schedule, custodians and opening key.
    /// @dev Requires OPERATOR_ROLE. Reverts with
    /// - TenderRegistryTenderExists if `tenderId` was used before;
    /// - TenderRegistryBadSchedule unless `_time() < bidDeadline <= openingTime`;
    /// - TenderRegistryBadCustodianCount unless 1 <= custodians.length <= MAX_CUSTODIANS;
    /// - TenderRegistryBadThreshold unless 1 <= threshold <= custodians.length;
    /// - TenderRegistryBadCustodian for a zero or repeated custodian;
    /// - TenderRegistryBadOpeningKey unless the key is 33 bytes starting 0x02 or 0x03;
    /// - TenderRegistryBadCommitmentsLength unless there are threshold * 33 bytes;
    /// - TenderRegistryBadCommitment if a commitment lacks the 0x02/0x03 prefix or A_0
    ///   differs from the opening key.
    /// Points are not checked to lie on the curve (too costly here); shares are verified
    /// against the commitments off chain. Emits TenderCreated.
    /// @param tenderId Caller-chosen id, e.g. keccak256 of the tender code.
    /// @param bidDeadline First second at which bids are refused.
    /// @param openingTime First second at which shares may be released.
    /// @param custodians The n custodians, in share-index order (index 1 first).
    /// @param threshold Shares t needed to open.
    /// @param openingPublicKey Compressed secp256k1 opening key (33 bytes).
    /// @param shareCommitments Feldman commitments A_0..A_{t-1}, 33 compressed bytes each.
    function createTender(
        bytes32 tenderId,
        uint64 bidDeadline,
        uint64 openingTime,
        address[] calldata custodians,
        uint8 threshold,
        bytes calldata openingPublicKey,
        bytes calldata shareCommitments
    ) external;

    /// @notice Admits `bidder` to the tender.
    /// @dev Requires OPERATOR_ROLE. Reverts with TenderRegistryNoSuchTender,
    /// TenderRegistryNotOpen, TenderRegistryZeroBidder, TenderRegistryDeadlinePassed
    /// (at or after the deadline) or TenderRegistryAlreadyRegistered. Emits BidderRegistered.
    /// @param tenderId The tender.
    /// @param bidder The bidder's signing address.
    function registerBidder(bytes32 tenderId, address bidder) external;

    /// @notice Records `bidder`'s sealed bid, replacing any earlier one; anyone may relay it.
    /// @dev Reverts with TenderRegistryNoSuchTender, TenderRegistryNotOpen,
    /// TenderRegistryDeadlinePassed (`_time() >= bidDeadline`), TenderRegistryNotRegistered,
    /// TenderRegistryStaleNonce (nonce not above the last used), TenderRegistryZeroDigest,
    /// or TenderRegistryBadSignature unless `signature` is `bidder`'s EIP-712 signature of
    /// Bid(tenderId, bidder, ciphertextDigest, plaintextCommitment, envelopeDigest, nonce)
    /// (65 bytes r || s || v, low s). Emits BidSubmitted.
    /// @param tenderId The tender.
    /// @param bidder The registered bidder who signed the bid.
    /// @param ciphertextDigest Digest of the sealed bid's ciphertext.
    /// @param plaintextCommitment Hiding commitment to the bid's plaintext.
    /// @param envelopeDigest Digest of the whole sealed envelope.
    /// @param nonce Greater than the bidder's last used nonce in this tender.
    /// @param signature The bidder's EIP-712 signature.
    function submitBid(
        bytes32 tenderId,
        address bidder,
        bytes32 ciphertextDigest,
        bytes32 plaintextCommitment,
        bytes32 envelopeDigest,
        uint64 nonce,
        bytes calldata signature
    ) external;

    /// @notice Withdraws `bidder`'s bid; anyone may relay the withdrawal. The bidder may
    /// bid again before the deadline with a greater nonce.
    /// @dev Reverts with TenderRegistryNoSuchTender, TenderRegistryNotOpen,
    /// TenderRegistryDeadlinePassed, TenderRegistryNotRegistered, TenderRegistryStaleNonce,
    /// TenderRegistryNoActiveBid, or TenderRegistryBadSignature unless `signature` is
    /// `bidder`'s EIP-712 signature of Withdrawal(tenderId, bidder, nonce). Emits BidWithdrawn.
    /// @param tenderId The tender.
    /// @param bidder The bidder whose bid is withdrawn.
    /// @param nonce Greater than the bidder's last used nonce in this tender.
    /// @param signature The bidder's EIP-712 signature.
    function withdrawBid(bytes32 tenderId, address bidder, uint64 nonce, bytes calldata signature) external;

    /// @notice Publishes the caller's key share `index` of the tender's opening key.
    /// @dev The caller must be custodian number `index` (1-based). Reverts with
    /// TenderRegistryNoSuchTender; TenderRegistryNotOpen (opened, failed or cancelled:
    /// the bids of a failed or cancelled tender stay sealed); TenderRegistryBadShareIndex
    /// unless 1 <= index <= custodianCount; TenderRegistryNotCustodian;
    /// TenderRegistryBeforeOpeningTime (`_time() < openingTime`); TenderRegistryTooFewBids
    /// if fewer than MIN_BIDS bids are active (bidding is closed, so the tender can only
    /// fail); TenderRegistryShareAlreadyReleased; TenderRegistryBadShare if `share` is 0
    /// or not below the secp256k1 group order. The share is not checked against the
    /// commitments here; verifiers do that off chain from the TenderCreated log.
    /// Emits ShareReleased.
    /// @param tenderId The tender.
    /// @param index The caller's 1-based share index.
    /// @param share The share, a secp256k1 scalar, big-endian.
    function releaseShare(bytes32 tenderId, uint8 index, bytes32 share) external;

    /// @notice Records that the tender was opened, by the digest of its opening record.
    /// @dev Requires OPERATOR_ROLE. Reverts with TenderRegistryNoSuchTender,
    /// TenderRegistryNotOpen (so it happens at most once), TenderRegistryZeroDigest,
    /// TenderRegistryTooFewBids (fewer than MIN_BIDS active bids) or
    /// TenderRegistryTooFewShares (fewer than `threshold` released; as shares come only
    /// from the opening time on, so does the opening). Emits TenderOpened.
    /// @param tenderId The tender.
    /// @param openingRecordDigest Digest of the off-chain opening record.
    function recordOpening(bytes32 tenderId, bytes32 openingRecordDigest) external;

    /// @notice Ends a tender whose bidding closed with fewer than MIN_BIDS bids (流标).
    /// @dev Requires OPERATOR_ROLE. Reverts with TenderRegistryNoSuchTender,
    /// TenderRegistryNotOpen (so it happens at most once), TenderRegistryBeforeDeadline
    /// (`_time() < bidDeadline`) or TenderRegistryEnoughBids. Emits TenderFailed.
    /// @param tenderId The tender.
    function declareFailed(bytes32 tenderId) external;

    /// @notice Cancels a tender that was neither opened nor failed nor cancelled.
    /// @dev Requires OPERATOR_ROLE. Reverts with TenderRegistryNoSuchTender,
    /// TenderRegistryNotOpen or TenderRegistryZeroDigest. Emits TenderCancelled.
    /// @param tenderId The tender.
    /// @param reasonDigest Digest of the published reason.
    function cancelTender(bytes32 tenderId, bytes32 reasonDigest) external;

    // ------------------------------------------------------------------ views

    /// @notice Returns the tender's schedule, counters, status and hashes; all zero (status
    /// None) for an id never created.
    /// @param tenderId The tender.
    function getTender(bytes32 tenderId) external view returns (TenderView memory);

    /// @notice Returns the tender's custodians in share-index order (empty if none).
    /// @param tenderId The tender.
    function custodians(bytes32 tenderId) external view returns (address[] memory);

    /// @notice Returns whether `bidder` is registered for the tender.
    /// @param tenderId The tender.
    /// @param bidder The address asked about.
    function isBidder(bytes32 tenderId, address bidder) external view returns (bool);

    /// @notice Returns `bidder`'s current bid (all zero if they never bid).
    /// @param tenderId The tender.
    /// @param bidder The bidder.
    function getBid(bytes32 tenderId, address bidder) external view returns (BidView memory);

    /// @notice Returns the registered bidders in order of registration.
    /// @param tenderId The tender.
    function bidders(bytes32 tenderId) external view returns (address[] memory);

    /// @notice Returns share `index` (1-based) as released, or bytes32(0) if not released.
    /// @param tenderId The tender.
    /// @param index The 1-based share index.
    function releasedShare(bytes32 tenderId, uint8 index) external view returns (bytes32);

    /// @notice Returns the EIP-712 digest a bidder signs for a Bid, on this chain and
    /// contract (what eth_signTypedData_v4 signs).
    /// @param tenderId The tender.
    /// @param bidder The bidder.
    /// @param ciphertextDigest Digest of the sealed bid's ciphertext.
    /// @param plaintextCommitment Commitment to the bid's plaintext.
    /// @param envelopeDigest Digest of the sealed envelope.
    /// @param nonce The bid's nonce.
    function bidDigest(
        bytes32 tenderId,
        address bidder,
        bytes32 ciphertextDigest,
        bytes32 plaintextCommitment,
        bytes32 envelopeDigest,
        uint64 nonce
    ) external view returns (bytes32);

    /// @notice Returns the EIP-712 digest a bidder signs for a Withdrawal.
    /// @param tenderId The tender.
    /// @param bidder The bidder.
    /// @param nonce The withdrawal's nonce.
    function withdrawalDigest(bytes32 tenderId, address bidder, uint64 nonce) external view returns (bytes32);

    /// @notice Returns the EIP-712 domain separator for this chain and contract.
    function DOMAIN_SEPARATOR() external view returns (bytes32);

    /// @notice Returns the contract's name and interface version, "TenderRegistry 1".
    function version() external pure returns (string memory);
}
