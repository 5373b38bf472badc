// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @title ITenderRegistry
/// @notice On-chain rules of sealed-bid public tenders ("sealed bids that no operator can
/// open early").
/// @dev Life of a tender, against an operator that relays everything and is trusted with
/// nothing:
/// 1. Custodians register their own encryption keys from their own accounts
///    (registerCustodianKey). The operator creates a tender naming custodian ADDRESSES; the
///    keys are copied from this registry (never supplied by the operator) and the tender is
///    in KeyGeneration.
/// 2. Key generation (docs/threshold-keys.md section 10): before `dealingDeadline` each
///    custodian's dealing is posted under that custodian's EIP-712 signature (anyone may
///    relay); from then until `complaintDeadline` each custodian may post one complaint
///    bundle, signed over the dealings it judged. Bodies travel in the events, digests stay
///    in storage, write-once: every party reads the same transcript.
/// 3. From `complaintDeadline` on, the opening key is accepted (finalizeKey) only with at
///    least t custodian signatures over (tender, round, key, commitments, transcript hash),
///    the transcript hash being computed here from the stored digests. If fewer than t
///    dealers qualify, the operator starts a new round (restartKeyGeneration).
/// 4. Bidding (status Open, until `bidDeadline`): bids are sealed under a per-tender
///    pseudonym (a fresh address only its bidder holds the key of), as a hiding commitment;
///    no bidder address and no bid counter exist on chain before the deadline.
/// 5. From `bidDeadline` until `openingTime` bids are revealed (revealBid, anyone may
///    relay, the bidder included): the commitment opens to the bidder's address and the
///    bidder's own EIP-712 Bid signature is checked. From `openingTime` shares are released
///    if at least MIN_BIDS bids were revealed; with t shares the operator records the opening.
/// Cancellation is refused from `bidDeadline` on and after any share release.
/// Chain time (`_time()`) is the only clock: "before X" means `_time() < X`.
///
/// EIP-712 domain: name "ChainWitness TenderRegistry", version "2", the chain id and this
/// contract's address. Signed types:
///   Dealing(bytes32 tenderId,uint32 round,uint8 dealer,bytes32 bodyHash)
///   Complaints(bytes32 tenderId,uint32 round,uint8 accuser,bytes32 dealingsHash,bytes32 bodyHash)
///   KeyApproval(bytes32 tenderId,uint32 round,bytes32 openingKeyHash,bytes32 commitmentsHash,bytes32 transcriptHash)
///   SealedBid(bytes32 tenderId,address pseudonym,bytes32 commitment,uint64 nonce)
///   Withdrawal(bytes32 tenderId,address pseudonym,uint64 nonce)
///   Bid(bytes32 tenderId,address bidder,address pseudonym,bytes32 ciphertextDigest,bytes32 plaintextCommitment,bytes32 envelopeDigest)
/// `bodyHash` is keccak256 of the posted body bytes.
interface ITenderRegistry {
    /// @notice Life of a tender. None: never created. KeyGeneration: created, opening key
    /// not yet accepted. Open: key accepted; bidding, reveal and share release follow by
    /// time. Opened, Failed and Cancelled are final. (KeyGeneration is last so that the
    /// numbers of the other states are those of version 1.)
    enum Status {
        None,
        Open,
        Opened,
        Failed,
        Cancelled,
        KeyGeneration
    }

    /// @notice A tender as getTender() returns it.
    /// @param dealingDeadline First second at which the current round refuses dealings.
    /// @param complaintDeadline First second at which it refuses complaints; the key is
    /// accepted from then on.
    /// @param bidDeadline First second at which sealed bids are refused (reveals start).
    /// @param openingTime First second at which reveals are refused and shares accepted.
    /// @param round Key-generation round, 1 for the first, part of every DKG signature.
    /// @param threshold Number t of shares that open the tender.
    /// @param custodianCount Number n of custodians.
    /// @param revealedBids Bids revealed so far (always 0 before the bid deadline).
    /// @param sharesReleased Number of custodians who released their share.
    /// @param status Where the tender is in its life.
    /// @param custodianKeysHash keccak256 of the n * 33 bytes of custodian keys.
    /// @param openingKeyHash keccak256 of the opening key, 0 until finalizeKey.
    /// @param commitmentsHash keccak256 of the t * 33 bytes of commitments, 0 until then.
    /// @param transcriptHash Transcript the custodians approved, 0 until then.
    /// @param openingRecordDigest Digest given to recordOpening(), 0 until then.
    struct TenderView {
        uint64 dealingDeadline;
        uint64 complaintDeadline;
        uint64 bidDeadline;
        uint64 openingTime;
        uint32 round;
        uint8 threshold;
        uint8 custodianCount;
        uint32 revealedBids;
        uint8 sharesReleased;
        Status status;
        bytes32 custodianKeysHash;
        bytes32 openingKeyHash;
        bytes32 commitmentsHash;
        bytes32 transcriptHash;
        bytes32 openingRecordDigest;
    }

    /// @notice A pseudonym's current sealed bid; after a withdrawal `commitment` and
    /// `submittedAt` are zero and `active` false; `nonce` is the last one used.
    struct SealedBidView {
        bytes32 commitment;
        uint64 nonce;
        uint64 submittedAt;
        bool active;
        bool revealed;
    }

    /// @notice What revealBid() opens a sealed bid to.
    /// @param bidder The bidder's own signing address.
    /// @param salt 32 secret random bytes that hid the bidder and digests until the reveal.
    struct BidReveal {
        address bidder;
        bytes32 salt;
        bytes32 ciphertextDigest;
        bytes32 plaintextCommitment;
        bytes32 envelopeDigest;
    }

    /// @notice A revealed bid as getBid() returns it (all zero if none).
    struct BidView {
        address pseudonym;
        bytes32 ciphertextDigest;
        bytes32 plaintextCommitment;
        bytes32 envelopeDigest;
        uint64 submittedAt;
        uint64 revealedAt;
    }

    // ------------------------------------------------------------------ events

    /// @notice `custodian` registered (or replaced) its 33-byte encryption key; tenders
    /// created later use it, earlier tenders keep their copy.
    event CustodianKeyRegistered(address indexed custodian, bytes key);

    /// @notice A tender was created, its key generation starts with round 1.
    /// @param custodians The n custodians; custodian i (1-based) is dealer and share index i.
    /// @param custodianKeys Their encryption keys as registered, n * 33 bytes in index order.
    event TenderCreated(
        bytes32 indexed tenderId,
        uint64 dealingDeadline,
        uint64 complaintDeadline,
        uint64 bidDeadline,
        uint64 openingTime,
        uint8 threshold,
        address[] custodians,
        bytes custodianKeys
    );

    /// @notice Key generation restarted with a new round and new DKG deadlines.
    event KeyGenerationRestarted(
        bytes32 indexed tenderId, uint32 round, uint64 dealingDeadline, uint64 complaintDeadline
    );

    /// @notice Custodian `dealer` posted its dealing for `round`.
    /// @param bodyHash keccak256(body).
    /// @param body The signed dealing body (canonical JSON, docs/threshold-keys.md 10.3).
    /// @param signature The dealer's EIP-712 Dealing signature.
    event DealingPosted(
        bytes32 indexed tenderId, uint32 round, uint8 dealer, bytes32 bodyHash, bytes body, bytes signature
    );

    /// @notice Custodian `accuser` posted its complaint bundle for `round`, judged against
    /// the dealings that `dealingsHash` names.
    event ComplaintsPosted(
        bytes32 indexed tenderId,
        uint32 round,
        uint8 accuser,
        bytes32 dealingsHash,
        bytes32 bodyHash,
        bytes body,
        bytes signature
    );

    /// @notice The opening key was accepted with the signatures of custodians `approvers`.
    /// @param openingPublicKey Compressed secp256k1 point (33 bytes) bids are sealed to.
    /// @param shareCommitments Feldman commitments A_0..A_{t-1}, 33 bytes each, A_0 = key.
    event KeyFinalized(
        bytes32 indexed tenderId,
        uint32 round,
        bytes openingPublicKey,
        bytes shareCommitments,
        bytes32 transcriptHash,
        uint8[] approvers
    );

    /// @notice `pseudonym` may now submit sealed bids to the tender.
    event BidderRegistered(bytes32 indexed tenderId, address indexed pseudonym);

    /// @notice `pseudonym`'s sealed bid was accepted; it replaces its earlier one.
    event BidSealed(
        bytes32 indexed tenderId, address indexed pseudonym, bytes32 commitment, uint64 nonce, uint64 submittedAt
    );

    /// @notice `pseudonym` withdrew its sealed bid.
    event BidWithdrawn(bytes32 indexed tenderId, address indexed pseudonym, uint64 nonce, uint64 withdrawnAt);

    /// @notice `pseudonym`'s sealed bid was opened to `bidder`'s signed bid.
    event BidRevealed(
        bytes32 indexed tenderId,
        address indexed bidder,
        address pseudonym,
        bytes32 ciphertextDigest,
        bytes32 plaintextCommitment,
        bytes32 envelopeDigest,
        bytes bidderSignature
    );

    /// @notice Custodian `custodian` released key share number `index` (1-based).
    event ShareReleased(bytes32 indexed tenderId, uint8 index, address indexed custodian, bytes32 share);

    /// @notice The tender was opened; `openingRecordDigest` identifies the opening record.
    event TenderOpened(
        bytes32 indexed tenderId, bytes32 openingRecordDigest, uint32 revealedBids, uint8 sharesReleased
    );

    /// @notice At the opening time fewer than MIN_BIDS bids were revealed (or no key was
    /// ever accepted): the tender failed and its bids stay sealed.
    event TenderFailed(bytes32 indexed tenderId, uint32 revealedBids);

    /// @notice The tender was cancelled; `reasonDigest` identifies the published reason.
    event TenderCancelled(bytes32 indexed tenderId, bytes32 reasonDigest);

    // ------------------------------------------------------------------ errors

    /// @notice `key` is not a 33-byte compressed secp256k1 point (prefix 0x02/0x03,
    /// x below the field prime, x^3 + 7 a square).
    error TenderRegistryBadCustodianKey(bytes key);

    /// @notice `key` is already registered by `owner`: no account may claim another's key.
    error TenderRegistryCustodianKeyTaken(bytes key, address owner);

    /// @notice Custodian number `index` (1-based) has registered no key.
    error TenderRegistryNoCustodianKey(uint256 index, address custodian);

    /// @notice A tender with this id already exists (whatever its status).
    error TenderRegistryTenderExists(bytes32 tenderId);

    /// @notice No tender with this id was created.
    error TenderRegistryNoSuchTender(bytes32 tenderId);

    /// @notice The schedule breaks `time < dealingDeadline < complaintDeadline < bidDeadline < openingTime`.
    error TenderRegistryBadSchedule(
        uint64 time, uint64 dealingDeadline, uint64 complaintDeadline, uint64 bidDeadline, uint64 openingTime
    );

    /// @notice `count` custodians where 1 to MAX_CUSTODIANS are allowed (with t >= 2, the threshold rule needs n >= 3).
    error TenderRegistryBadCustodianCount(uint256 count);

    /// @notice The threshold breaks `2 <= threshold` and `2 * threshold - 1 <= custodianCount`.
    error TenderRegistryBadThreshold(uint8 threshold, uint256 custodianCount);

    /// @notice Custodian number `index` (1-based) is the zero address or repeats an earlier one.
    error TenderRegistryBadCustodian(uint256 index, address custodian);

    /// @notice The tender is `status`; the action needs `required`.
    error TenderRegistryWrongStatus(bytes32 tenderId, Status status, Status required);

    /// @notice The tender is `status`, which is final or not yet keyed for this action.
    error TenderRegistryNotOpen(bytes32 tenderId, Status status);

    /// @notice The phase ended at `deadline` (the first second refused); it is `time`.
    error TenderRegistryDeadlinePassed(bytes32 tenderId, uint64 deadline, uint64 time);

    /// @notice The action is allowed from `notBefore` on; it is only `time`.
    error TenderRegistryTooEarly(bytes32 tenderId, uint64 notBefore, uint64 time);

    /// @notice Index `index` is outside 1..custodianCount.
    error TenderRegistryBadIndex(bytes32 tenderId, uint8 index, uint256 custodianCount);

    /// @notice Custodian `index` already posted its `what` ("dealing" or "complaints") in `round`.
    error TenderRegistryAlreadyPosted(bytes32 tenderId, uint32 round, uint8 index, string what);

    /// @notice A DKG body is empty or longer than MAX_DKG_BODY_BYTES.
    error TenderRegistryBadBodyLength(uint256 length, uint256 maxLength);

    /// @notice The signature is not `expected`'s over the typed data; `signer` is the
    /// address it recovers to (address(0) if malformed: bad length, high s, bad v).
    error TenderRegistryBadSignature(address expected, address signer);

    /// @notice The opening key is not 33 bytes starting with 0x02 or 0x03.
    error TenderRegistryBadOpeningKey(uint256 length, bytes1 prefix);

    /// @notice The commitments are `got` bytes where threshold * 33 = `expected` are needed.
    error TenderRegistryBadCommitmentsLength(uint256 expected, uint256 got);

    /// @notice Commitment A_`position` (0-based) lacks the 0x02/0x03 prefix or, for
    /// position 0, differs from the opening key.
    error TenderRegistryBadCommitment(uint256 position);

    /// @notice The approvers are not strictly ascending custodian indices, or there are
    /// `signatures` signatures for `approvers` approvers.
    error TenderRegistryBadApprovers(uint256 approvers, uint256 signatures);

    /// @notice Only `got` custodians approved the key; `threshold` are needed.
    error TenderRegistryTooFewApprovals(bytes32 tenderId, uint256 got, uint256 threshold);

    /// @notice The pseudonym is the zero address.
    error TenderRegistryZeroBidder(bytes32 tenderId);

    /// @notice `pseudonym` is already registered for the tender.
    error TenderRegistryAlreadyRegistered(bytes32 tenderId, address pseudonym);

    /// @notice `pseudonym` is not registered for the tender.
    error TenderRegistryNotRegistered(bytes32 tenderId, address pseudonym);

    /// @notice The nonce `got` is not greater than `last`, the pseudonym's last used nonce.
    error TenderRegistryStaleNonce(bytes32 tenderId, address pseudonym, uint64 last, uint64 got);

    /// @notice A digest argument is bytes32(0), which is reserved for "none".
    error TenderRegistryZeroDigest(bytes32 tenderId);

    /// @notice `pseudonym` has no active sealed bid.
    error TenderRegistryNoActiveBid(bytes32 tenderId, address pseudonym);

    /// @notice The reveal does not open `pseudonym`'s sealed commitment.
    error TenderRegistryRevealMismatch(bytes32 tenderId, address pseudonym, bytes32 commitment, bytes32 opened);

    /// @notice `pseudonym`'s bid is already revealed, or `bidder` already revealed a bid
    /// (under `pseudonym`): one bid per bidder.
    error TenderRegistryAlreadyRevealed(bytes32 tenderId, address bidder, address pseudonym);

    /// @notice Share `index` belongs to `custodian`, not to the caller `caller`.
    error TenderRegistryNotCustodian(bytes32 tenderId, uint8 index, address custodian, address caller);

    /// @notice Share `index` was already released.
    error TenderRegistryShareAlreadyReleased(bytes32 tenderId, uint8 index);

    /// @notice The share is 0 or not below the secp256k1 group order.
    error TenderRegistryBadShare(bytes32 tenderId, uint8 index);

    /// @notice Only `released` of the `threshold` shares needed were released.
    error TenderRegistryTooFewShares(bytes32 tenderId, uint256 released, uint256 threshold);

    /// @notice `revealedBids` bids were revealed; the action needs at least `minBids`.
    error TenderRegistryTooFewBids(bytes32 tenderId, uint256 revealedBids, uint256 minBids);

    /// @notice `revealedBids` >= `minBids` bids were revealed, so the tender has not failed.
    error TenderRegistryEnoughBids(bytes32 tenderId, uint256 revealedBids, uint256 minBids);

    /// @notice `sharesReleased` shares are on chain: the tender can no longer be cancelled.
    error TenderRegistrySharesReleased(bytes32 tenderId, uint256 sharesReleased);

    // ------------------------------------------------------------------ custodian keys

    /// @notice Registers (or replaces) the caller's encryption key for future tenders.
    /// @dev Reverts with TenderRegistryBadCustodianKey unless `key` is a compressed
    /// secp256k1 point (checked on the curve), TenderRegistryCustodianKeyTaken if another
    /// account ever registered it. Tenders already created keep the key they copied.
    /// Emits CustodianKeyRegistered.
    /// @param key The caller's 33-byte compressed public key for DKG shares.
    function registerCustodianKey(bytes calldata key) external;

    // ------------------------------------------------------------------ key generation

    /// @notice Creates a tender in KeyGeneration, round 1, copying its custodians' keys.
    /// @dev Requires OPERATOR_ROLE. Reverts with TenderRegistryTenderExists;
    /// TenderRegistryBadSchedule unless `_time() < dealingDeadline < complaintDeadline <
    /// bidDeadline < openingTime`; TenderRegistryBadCustodianCount unless 1 <= n <=
    /// MAX_CUSTODIANS; TenderRegistryBadThreshold unless t >= 2 and 2t - 1 <= n;
    /// TenderRegistryBadCustodian (zero or repeated); TenderRegistryNoCustodianKey.
    /// Emits TenderCreated.
    /// @param tenderId Caller-chosen id, e.g. keccak256 of the tender code.
    /// @param dealingDeadline First second at which round 1 refuses dealings.
    /// @param complaintDeadline First second at which round 1 refuses complaints.
    /// @param bidDeadline First second at which sealed bids are refused.
    /// @param openingTime First second at which shares may be released.
    /// @param custodians The n custodians, in index order (index 1 first).
    /// @param threshold Shares t needed to open.
    function createTender(
        bytes32 tenderId,
        uint64 dealingDeadline,
        uint64 complaintDeadline,
        uint64 bidDeadline,
        uint64 openingTime,
        address[] calldata custodians,
        uint8 threshold
    ) external;

    /// @notice Posts custodian `dealer`'s dealing for the current round; anyone may relay.
    /// @dev Reverts with TenderRegistryNoSuchTender; TenderRegistryWrongStatus unless
    /// KeyGeneration; TenderRegistryDeadlinePassed at or after the dealing deadline;
    /// TenderRegistryBadIndex; TenderRegistryBadBodyLength; TenderRegistryAlreadyPosted
    /// (write-once per round); TenderRegistryBadSignature unless `signature` is custodian
    /// `dealer`'s EIP-712 Dealing(tenderId, round, dealer, keccak256(body)). Emits DealingPosted.
    /// @param tenderId The tender.
    /// @param dealer The dealer's 1-based index.
    /// @param body The dealing body, at most MAX_DKG_BODY_BYTES.
    /// @param signature The dealer's EIP-712 signature (65 bytes r || s || v, low s).
    function postDealing(bytes32 tenderId, uint8 dealer, bytes calldata body, bytes calldata signature) external;

    /// @notice Posts custodian `accuser`'s complaint bundle for the current round; anyone
    /// may relay. Complaints are judged against the closed set of dealings.
    /// @dev Reverts with TenderRegistryNoSuchTender; TenderRegistryWrongStatus unless
    /// KeyGeneration; TenderRegistryTooEarly before the dealing deadline;
    /// TenderRegistryDeadlinePassed at or after the complaint deadline; TenderRegistryBadIndex;
    /// TenderRegistryBadBodyLength; TenderRegistryAlreadyPosted; TenderRegistryBadSignature
    /// unless `signature` is custodian `accuser`'s EIP-712 Complaints(tenderId, round,
    /// accuser, dealingsHash(tenderId), keccak256(body)). Emits ComplaintsPosted.
    /// @param tenderId The tender.
    /// @param accuser The accuser's 1-based index.
    /// @param body The complaint bundle, at most MAX_DKG_BODY_BYTES.
    /// @param signature The accuser's EIP-712 signature.
    function postComplaints(bytes32 tenderId, uint8 accuser, bytes calldata body, bytes calldata signature) external;

    /// @notice Accepts the opening key approved by at least t custodians; anyone may relay.
    /// @dev Reverts with TenderRegistryNoSuchTender; TenderRegistryWrongStatus unless
    /// KeyGeneration; TenderRegistryTooEarly before the complaint deadline;
    /// TenderRegistryDeadlinePassed at or after the bid deadline; TenderRegistryBadOpeningKey,
    /// TenderRegistryBadCommitmentsLength, TenderRegistryBadCommitment (shape; points are
    /// checked off chain by every custodian before it signs); TenderRegistryBadApprovers;
    /// TenderRegistryBadIndex; TenderRegistryBadSignature unless each signature is its
    /// custodian's EIP-712 KeyApproval(tenderId, round, keccak256(openingPublicKey),
    /// keccak256(shareCommitments), transcriptHash(tenderId)); TenderRegistryTooFewApprovals.
    /// Emits KeyFinalized; the tender is Open.
    /// @param tenderId The tender.
    /// @param openingPublicKey Compressed secp256k1 opening key (33 bytes).
    /// @param shareCommitments Feldman commitments A_0..A_{t-1}, 33 compressed bytes each.
    /// @param approvers Strictly ascending 1-based indices of the signing custodians.
    /// @param signatures Their KeyApproval signatures, in the same order.
    function finalizeKey(
        bytes32 tenderId,
        bytes calldata openingPublicKey,
        bytes calldata shareCommitments,
        uint8[] calldata approvers,
        bytes[] calldata signatures
    ) external;

    /// @notice Starts a new key-generation round (when fewer than t dealers qualified).
    /// @dev Requires OPERATOR_ROLE. Reverts with TenderRegistryNoSuchTender;
    /// TenderRegistryWrongStatus unless KeyGeneration; TenderRegistryTooEarly before the
    /// current complaint deadline (a round is never cut short); TenderRegistryBadSchedule
    /// unless `_time() < dealingDeadline < complaintDeadline < bidDeadline`.
    /// Emits KeyGenerationRestarted.
    /// @param tenderId The tender.
    /// @param dealingDeadline The new round's dealing deadline.
    /// @param complaintDeadline The new round's complaint deadline.
    function restartKeyGeneration(bytes32 tenderId, uint64 dealingDeadline, uint64 complaintDeadline) external;

    // ------------------------------------------------------------------ bids

    /// @notice Admits the pseudonym `pseudonym` (a fresh per-tender address of a bidder).
    /// @dev Requires OPERATOR_ROLE. Reverts with TenderRegistryNoSuchTender,
    /// TenderRegistryNotOpen (final states), TenderRegistryZeroBidder,
    /// TenderRegistryDeadlinePassed or TenderRegistryAlreadyRegistered. Emits BidderRegistered.
    /// @param tenderId The tender.
    /// @param pseudonym The address whose key signs the sealed bids.
    function registerBidder(bytes32 tenderId, address pseudonym) external;

    /// @notice Records `pseudonym`'s sealed bid, replacing any earlier one; anyone may relay.
    /// @dev Reverts with TenderRegistryNoSuchTender, TenderRegistryWrongStatus unless Open,
    /// TenderRegistryDeadlinePassed, TenderRegistryNotRegistered, TenderRegistryStaleNonce,
    /// TenderRegistryZeroDigest, or TenderRegistryBadSignature unless `signature` is the
    /// pseudonym's EIP-712 SealedBid(tenderId, pseudonym, commitment, nonce). Emits BidSealed.
    /// @param tenderId The tender.
    /// @param pseudonym The registered pseudonym.
    /// @param commitment sealedBidCommitment(tenderId, reveal): hides bidder and digests.
    /// @param nonce Greater than the pseudonym's last used nonce.
    /// @param signature The pseudonym's EIP-712 signature.
    function submitBid(bytes32 tenderId, address pseudonym, bytes32 commitment, uint64 nonce, bytes calldata signature)
        external;

    /// @notice Withdraws `pseudonym`'s sealed bid; anyone may relay.
    /// @dev Reverts with TenderRegistryNoSuchTender, TenderRegistryWrongStatus unless Open,
    /// TenderRegistryDeadlinePassed, TenderRegistryNotRegistered, TenderRegistryStaleNonce,
    /// TenderRegistryNoActiveBid, or TenderRegistryBadSignature unless `signature` is the
    /// pseudonym's EIP-712 Withdrawal(tenderId, pseudonym, nonce). Emits BidWithdrawn.
    /// @param tenderId The tender.
    /// @param pseudonym The pseudonym whose bid is withdrawn.
    /// @param nonce Greater than the pseudonym's last used nonce.
    /// @param signature The pseudonym's EIP-712 signature.
    function withdrawBid(bytes32 tenderId, address pseudonym, uint64 nonce, bytes calldata signature) external;

    /// @notice Opens `pseudonym`'s sealed bid to its bidder and digests; anyone may relay.
    /// @dev Reverts with TenderRegistryNoSuchTender; TenderRegistryWrongStatus unless Open;
    /// TenderRegistryTooEarly before the bid deadline; TenderRegistryDeadlinePassed at or
    /// after the opening time (the count is final before any share); TenderRegistryNoActiveBid;
    /// TenderRegistryZeroBidder; TenderRegistryZeroDigest; TenderRegistryRevealMismatch;
    /// TenderRegistryAlreadyRevealed (pseudonym or bidder); TenderRegistryBadSignature unless
    /// `bidderSignature` is the bidder's EIP-712 Bid(tenderId, bidder, pseudonym,
    /// ciphertextDigest, plaintextCommitment, envelopeDigest). Emits BidRevealed.
    /// @param tenderId The tender.
    /// @param pseudonym The pseudonym the bid was sealed under.
    /// @param reveal The opening of the commitment.
    /// @param bidderSignature The bidder's own EIP-712 Bid signature.
    function revealBid(bytes32 tenderId, address pseudonym, BidReveal calldata reveal, bytes calldata bidderSignature)
        external;

    // ------------------------------------------------------------------ opening

    /// @notice Publishes the caller's key share `index` of the tender's opening key.
    /// @dev The caller must be custodian number `index`. Reverts with
    /// TenderRegistryNoSuchTender; TenderRegistryWrongStatus unless Open (the bids of a
    /// failed or cancelled tender stay sealed); TenderRegistryBadIndex;
    /// TenderRegistryNotCustodian; TenderRegistryTooEarly before the opening time;
    /// TenderRegistryTooFewBids if fewer than MIN_BIDS bids were revealed;
    /// TenderRegistryShareAlreadyReleased; TenderRegistryBadShare. Emits ShareReleased.
    /// @param tenderId The tender.
    /// @param index The caller's 1-based share index.
    /// @param share The share, a secp256k1 scalar, big-endian.
    function releaseShare(bytes32 tenderId, uint8 index, bytes32 share) external;

    /// @notice Records that the tender was opened, by the digest of its opening record.
    /// @dev Requires OPERATOR_ROLE. Reverts with TenderRegistryNoSuchTender,
    /// TenderRegistryWrongStatus unless Open, TenderRegistryZeroDigest,
    /// TenderRegistryTooFewBids or TenderRegistryTooFewShares. Emits TenderOpened.
    /// @param tenderId The tender.
    /// @param openingRecordDigest Digest of the off-chain opening record.
    function recordOpening(bytes32 tenderId, bytes32 openingRecordDigest) external;

    /// @notice Ends a tender that reached its opening time with fewer than MIN_BIDS revealed
    /// bids, or without an accepted key (流标).
    /// @dev Requires OPERATOR_ROLE. Reverts with TenderRegistryNoSuchTender,
    /// TenderRegistryNotOpen (final states), TenderRegistryTooEarly before the opening time,
    /// or TenderRegistryEnoughBids. Emits TenderFailed.
    /// @param tenderId The tender.
    function declareFailed(bytes32 tenderId) external;

    /// @notice Cancels a tender before its bid deadline.
    /// @dev Requires OPERATOR_ROLE. Reverts with TenderRegistryNoSuchTender,
    /// TenderRegistryNotOpen (final states), TenderRegistryZeroDigest,
    /// TenderRegistryDeadlinePassed at or after the bid deadline (once bids may be
    /// revealed, the operator must not re-tender at will), or TenderRegistrySharesReleased.
    /// Emits TenderCancelled.
    /// @param tenderId The tender.
    /// @param reasonDigest Digest of the published reason.
    function cancelTender(bytes32 tenderId, bytes32 reasonDigest) external;

    // ------------------------------------------------------------------ views

    /// @notice Returns `custodian`'s registered encryption key (empty if none).
    /// @param custodian The custodian's account.
    function custodianKey(address custodian) external view returns (bytes memory);

    /// @notice Returns the tender's schedule, counters, status and hashes (all zero if unknown).
    /// @param tenderId The tender.
    function getTender(bytes32 tenderId) external view returns (TenderView memory);

    /// @notice Returns the tender's custodians in index order (empty if none).
    /// @param tenderId The tender.
    function custodians(bytes32 tenderId) external view returns (address[] memory);

    /// @notice Returns the custodians' keys as copied at creation, n * 33 bytes.
    /// @param tenderId The tender.
    function custodianKeys(bytes32 tenderId) external view returns (bytes memory);

    /// @notice Returns keccak256 of custodian `index`'s dealing body in `round`, 0 if none.
    /// @param tenderId The tender.
    /// @param round The key-generation round.
    /// @param index The dealer's 1-based index.
    function dealingHash(bytes32 tenderId, uint32 round, uint8 index) external view returns (bytes32);

    /// @notice Returns keccak256 of custodian `index`'s complaint bundle in `round`, 0 if none.
    /// @param tenderId The tender.
    /// @param round The key-generation round.
    /// @param index The accuser's 1-based index.
    function complaintsHash(bytes32 tenderId, uint32 round, uint8 index) external view returns (bytes32);

    /// @notice keccak256(DEALINGS_TAG || tenderId || round || d_1 || ... || d_n), each
    /// 32 bytes (round as uint256), d_i the dealing hash of index i or 0: what a complaint binds.
    /// @param tenderId The tender.
    function dealingsHash(bytes32 tenderId) external view returns (bytes32);

    /// @notice keccak256(TRANSCRIPT_TAG || tenderId || round || t || n || custodianKeysHash ||
    /// dealingsHash || c_1 || ... || c_n), each 32 bytes, c_j the complaints hash of index j
    /// or 0: the current round's transcript, what a KeyApproval binds.
    /// @param tenderId The tender.
    function transcriptHash(bytes32 tenderId) external view returns (bytes32);

    /// @notice Returns whether `pseudonym` is registered for the tender.
    /// @param tenderId The tender.
    /// @param pseudonym The address asked about.
    function isRegistered(bytes32 tenderId, address pseudonym) external view returns (bool);

    /// @notice Returns `pseudonym`'s sealed bid.
    /// @param tenderId The tender.
    /// @param pseudonym The pseudonym.
    function getSealedBid(bytes32 tenderId, address pseudonym) external view returns (SealedBidView memory);

    /// @notice Returns `bidder`'s revealed bid (all zero before its reveal).
    /// @param tenderId The tender.
    /// @param bidder The bidder's own address.
    function getBid(bytes32 tenderId, address bidder) external view returns (BidView memory);

    /// @notice Returns the bidders in order of reveal (empty before the bid deadline).
    /// @param tenderId The tender.
    function bidders(bytes32 tenderId) external view returns (address[] memory);

    /// @notice Returns share `index` (1-based) as released, or bytes32(0).
    /// @param tenderId The tender.
    /// @param index The 1-based share index.
    function releasedShare(bytes32 tenderId, uint8 index) external view returns (bytes32);

    /// @notice keccak256(abi.encode(tenderId, bidder, salt, ciphertextDigest,
    /// plaintextCommitment, envelopeDigest)): the commitment a sealed bid carries.
    /// @param tenderId The tender.
    /// @param reveal What the commitment opens to.
    function sealedBidCommitment(bytes32 tenderId, BidReveal calldata reveal) external pure returns (bytes32);

    /// @notice Returns the EIP-712 digest of Dealing(tenderId, round, dealer, bodyHash).
    /// @param tenderId The tender.
    /// @param round The round.
    /// @param dealer The dealer's index.
    /// @param bodyHash keccak256 of the dealing body.
    function dealingDigest(bytes32 tenderId, uint32 round, uint8 dealer, bytes32 bodyHash)
        external
        view
        returns (bytes32);

    /// @notice Returns the EIP-712 digest of Complaints(tenderId, round, accuser, dealingsHash, bodyHash).
    /// @param tenderId The tender.
    /// @param round The round.
    /// @param accuser The accuser's index.
    /// @param dealingsHash_ The dealings judged (dealingsHash()).
    /// @param bodyHash keccak256 of the complaint bundle.
    function complaintsDigest(bytes32 tenderId, uint32 round, uint8 accuser, bytes32 dealingsHash_, bytes32 bodyHash)
        external
        view
        returns (bytes32);

    /// @notice Returns the EIP-712 digest of KeyApproval(tenderId, round, openingKeyHash,
    /// commitmentsHash, transcriptHash).
    /// @param tenderId The tender.
    /// @param round The round.
    /// @param openingKeyHash keccak256 of the 33-byte opening key.
    /// @param commitmentsHash_ keccak256 of the t * 33 bytes of commitments.
    /// @param transcriptHash_ The approved transcript (transcriptHash()).
    function keyApprovalDigest(
        bytes32 tenderId,
        uint32 round,
        bytes32 openingKeyHash,
        bytes32 commitmentsHash_,
        bytes32 transcriptHash_
    ) external view returns (bytes32);

    /// @notice Returns the EIP-712 digest of SealedBid(tenderId, pseudonym, commitment, nonce).
    /// @param tenderId The tender.
    /// @param pseudonym The pseudonym.
    /// @param commitment The sealed commitment.
    /// @param nonce The nonce.
    function sealedBidDigest(bytes32 tenderId, address pseudonym, bytes32 commitment, uint64 nonce)
        external
        view
        returns (bytes32);

    /// @notice Returns the EIP-712 digest of Withdrawal(tenderId, pseudonym, nonce).
    /// @param tenderId The tender.
    /// @param pseudonym The pseudonym.
    /// @param nonce The nonce.
    function withdrawalDigest(bytes32 tenderId, address pseudonym, uint64 nonce) external view returns (bytes32);

    /// @notice Returns the EIP-712 digest of Bid(tenderId, bidder, pseudonym,
    /// ciphertextDigest, plaintextCommitment, envelopeDigest), what the bidder signs.
    /// @param tenderId The tender.
    /// @param bidder The bidder.
    /// @param pseudonym The pseudonym.
    /// @param ciphertextDigest Digest of the ciphertext.
    /// @param plaintextCommitment Commitment to the plaintext.
    /// @param envelopeDigest Digest of the envelope.
    function bidDigest(
        bytes32 tenderId,
        address bidder,
        address pseudonym,
        bytes32 ciphertextDigest,
        bytes32 plaintextCommitment,
        bytes32 envelopeDigest
    ) external view returns (bytes32);

    /// @notice Returns the EIP-712 domain separator for this chain and contract.
    function DOMAIN_SEPARATOR() external view returns (bytes32);

    /// @notice Returns the contract's name and interface version, "TenderRegistry 2".
    function version() external pure returns (string memory);
}
