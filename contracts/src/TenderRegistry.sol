// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ITenderRegistry} from "./ITenderRegistry.sol";

/// @title TenderRegistry
/// @notice On-chain rules of sealed-bid public tenders; see ITenderRegistry.
/// @dev Roles: DEFAULT_ADMIN_ROLE manages roles; OPERATOR_ROLE creates tenders, registers
/// bidders and records outcomes. The operator cannot submit, replace or withdraw a bid
/// without the bidder's signature, cannot release a share, and cannot open a tender before
/// t custodians have released theirs.
contract TenderRegistry is ITenderRegistry, AccessControl, EIP712 {
    /// @notice Role allowed to create tenders, register bidders and record outcomes.
    bytes32 public constant OPERATOR_ROLE = keccak256("OPERATOR_ROLE");

    /// @notice Fewest active bids with which a tender may be opened (招标投标法实施条例
    /// art. 44: with fewer than three bidders, bids are not opened).
    uint8 public constant MIN_BIDS = 3;

    /// @notice Most custodians a tender may have.
    uint8 public constant MAX_CUSTODIANS = 32;

    /// @dev Length of a compressed secp256k1 point.
    uint256 private constant _POINT_LENGTH = 33;

    /// @dev Order n of the secp256k1 group: key shares are scalars in [1, n).
    uint256 private constant _SECP256K1_ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;

    bytes32 private constant _BID_TYPEHASH = keccak256(
        "Bid(bytes32 tenderId,address bidder,bytes32 ciphertextDigest,bytes32 plaintextCommitment,bytes32 envelopeDigest,uint64 nonce)"
    );

    bytes32 private constant _WITHDRAWAL_TYPEHASH =
        keccak256("Withdrawal(bytes32 tenderId,address bidder,uint64 nonce)");

    struct Tender {
        // one slot: everything a bid, a release or an outcome reads and writes
        uint64 bidDeadline;
        uint64 openingTime;
        uint8 threshold;
        uint8 custodianCount;
        uint8 sharesReleased;
        Status status;
        uint32 activeBids;
        bytes32 openingKeyHash;
        bytes32 commitmentsHash;
        bytes32 openingRecordDigest;
        address[] custodians;
        address[] bidders;
    }

    struct Bid {
        bool registered;
        bool active;
        uint64 nonce;
        uint64 submittedAt;
        bytes32 ciphertextDigest;
        bytes32 plaintextCommitment;
        bytes32 envelopeDigest;
    }

    mapping(bytes32 tenderId => Tender) private _tenders;
    mapping(bytes32 tenderId => mapping(address bidder => Bid)) private _bids;
    mapping(bytes32 tenderId => mapping(uint8 index => bytes32 share)) private _shares;

    /// @param admin Account granted DEFAULT_ADMIN_ROLE.
    /// @param operator Account granted OPERATOR_ROLE.
    constructor(address admin, address operator) EIP712("ChainWitness TenderRegistry", "1") {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(OPERATOR_ROLE, operator);
    }

    // ------------------------------------------------------------------ actions

    /// @inheritdoc ITenderRegistry
    function createTender(
        bytes32 tenderId,
        uint64 bidDeadline,
        uint64 openingTime,
        address[] calldata custodians_,
        uint8 threshold,
        bytes calldata openingPublicKey,
        bytes calldata shareCommitments
    ) external onlyRole(OPERATOR_ROLE) {
        Tender storage tender = _tenders[tenderId];
        if (tender.status != Status.None) revert TenderRegistryTenderExists(tenderId);
        uint64 time = _time();
        if (!(time < bidDeadline && bidDeadline <= openingTime)) {
            revert TenderRegistryBadSchedule(time, bidDeadline, openingTime);
        }
        uint256 n = custodians_.length;
        if (n == 0 || n > MAX_CUSTODIANS) revert TenderRegistryBadCustodianCount(n);
        if (threshold == 0 || threshold > n) revert TenderRegistryBadThreshold(threshold, n);
        _checkCustodians(custodians_);
        _checkKeyMaterial(threshold, openingPublicKey, shareCommitments);

        tender.bidDeadline = bidDeadline;
        tender.openingTime = openingTime;
        tender.threshold = threshold;
        // n <= MAX_CUSTODIANS, checked above
        // forge-lint: disable-next-line(unsafe-typecast)
        tender.custodianCount = uint8(n);
        tender.status = Status.Open;
        tender.openingKeyHash = keccak256(openingPublicKey);
        tender.commitmentsHash = keccak256(shareCommitments);
        tender.custodians = custodians_;
        emit TenderCreated(
            tenderId, bidDeadline, openingTime, threshold, custodians_, openingPublicKey, shareCommitments
        );
    }

    /// @inheritdoc ITenderRegistry
    function registerBidder(bytes32 tenderId, address bidder) external onlyRole(OPERATOR_ROLE) {
        Tender storage tender = _openTender(tenderId);
        if (bidder == address(0)) revert TenderRegistryZeroBidder(tenderId);
        _requireBidding(tenderId, tender);
        Bid storage bid = _bids[tenderId][bidder];
        if (bid.registered) revert TenderRegistryAlreadyRegistered(tenderId, bidder);

        bid.registered = true;
        tender.bidders.push(bidder);
        emit BidderRegistered(tenderId, bidder);
    }

    /// @inheritdoc ITenderRegistry
    function submitBid(
        bytes32 tenderId,
        address bidder,
        bytes32 ciphertextDigest,
        bytes32 plaintextCommitment,
        bytes32 envelopeDigest,
        uint64 nonce,
        bytes calldata signature
    ) external {
        Tender storage tender = _openTender(tenderId);
        uint64 time = _requireBidding(tenderId, tender);
        Bid storage bid = _nextNonce(tenderId, bidder, nonce);
        if (ciphertextDigest == 0 || plaintextCommitment == 0 || envelopeDigest == 0) {
            revert TenderRegistryZeroDigest(tenderId);
        }
        _requireSignature(
            bidder,
            _bidStructHash(tenderId, bidder, ciphertextDigest, plaintextCommitment, envelopeDigest, nonce),
            signature
        );

        if (!bid.active) {
            bid.active = true;
            ++tender.activeBids;
        }
        bid.nonce = nonce;
        bid.submittedAt = time;
        bid.ciphertextDigest = ciphertextDigest;
        bid.plaintextCommitment = plaintextCommitment;
        bid.envelopeDigest = envelopeDigest;
        emit BidSubmitted(tenderId, bidder, ciphertextDigest, plaintextCommitment, envelopeDigest, nonce, time);
    }

    /// @inheritdoc ITenderRegistry
    function withdrawBid(bytes32 tenderId, address bidder, uint64 nonce, bytes calldata signature) external {
        Tender storage tender = _openTender(tenderId);
        uint64 time = _requireBidding(tenderId, tender);
        Bid storage bid = _nextNonce(tenderId, bidder, nonce);
        if (!bid.active) revert TenderRegistryNoActiveBid(tenderId, bidder);
        _requireSignature(bidder, keccak256(abi.encode(_WITHDRAWAL_TYPEHASH, tenderId, bidder, nonce)), signature);

        --tender.activeBids;
        bid.active = false;
        bid.nonce = nonce;
        bid.submittedAt = 0;
        bid.ciphertextDigest = 0;
        bid.plaintextCommitment = 0;
        bid.envelopeDigest = 0;
        emit BidWithdrawn(tenderId, bidder, nonce, time);
    }

    /// @inheritdoc ITenderRegistry
    function releaseShare(bytes32 tenderId, uint8 index, bytes32 share) external {
        Tender storage tender = _openTender(tenderId);
        if (index == 0 || index > tender.custodianCount) {
            revert TenderRegistryBadShareIndex(tenderId, index, tender.custodianCount);
        }
        address custodian = tender.custodians[index - 1];
        if (_msgSender() != custodian) revert TenderRegistryNotCustodian(tenderId, index, custodian, _msgSender());
        uint64 time = _time();
        if (time < tender.openingTime) revert TenderRegistryBeforeOpeningTime(tenderId, tender.openingTime, time);
        // Bidding is closed by now, so the count is final: such a tender can only fail,
        // and its bids must stay sealed.
        if (tender.activeBids < MIN_BIDS) revert TenderRegistryTooFewBids(tenderId, tender.activeBids, MIN_BIDS);
        if (_shares[tenderId][index] != 0) revert TenderRegistryShareAlreadyReleased(tenderId, index);
        if (share == 0 || uint256(share) >= _SECP256K1_ORDER) revert TenderRegistryBadShare(tenderId, index);

        _shares[tenderId][index] = share;
        ++tender.sharesReleased;
        emit ShareReleased(tenderId, index, custodian, share);
    }

    /// @inheritdoc ITenderRegistry
    function recordOpening(bytes32 tenderId, bytes32 openingRecordDigest) external onlyRole(OPERATOR_ROLE) {
        Tender storage tender = _openTender(tenderId);
        if (openingRecordDigest == 0) revert TenderRegistryZeroDigest(tenderId);
        if (tender.activeBids < MIN_BIDS) revert TenderRegistryTooFewBids(tenderId, tender.activeBids, MIN_BIDS);
        if (tender.sharesReleased < tender.threshold) {
            revert TenderRegistryTooFewShares(tenderId, tender.sharesReleased, tender.threshold);
        }

        tender.status = Status.Opened;
        tender.openingRecordDigest = openingRecordDigest;
        emit TenderOpened(tenderId, openingRecordDigest, tender.activeBids, tender.sharesReleased);
    }

    /// @inheritdoc ITenderRegistry
    function declareFailed(bytes32 tenderId) external onlyRole(OPERATOR_ROLE) {
        Tender storage tender = _openTender(tenderId);
        uint64 time = _time();
        if (time < tender.bidDeadline) revert TenderRegistryBeforeDeadline(tenderId, tender.bidDeadline, time);
        if (tender.activeBids >= MIN_BIDS) revert TenderRegistryEnoughBids(tenderId, tender.activeBids, MIN_BIDS);

        tender.status = Status.Failed;
        emit TenderFailed(tenderId, tender.activeBids);
    }

    /// @inheritdoc ITenderRegistry
    function cancelTender(bytes32 tenderId, bytes32 reasonDigest) external onlyRole(OPERATOR_ROLE) {
        Tender storage tender = _openTender(tenderId);
        if (reasonDigest == 0) revert TenderRegistryZeroDigest(tenderId);

        tender.status = Status.Cancelled;
        emit TenderCancelled(tenderId, reasonDigest);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc ITenderRegistry
    function getTender(bytes32 tenderId) external view returns (TenderView memory) {
        Tender storage t = _tenders[tenderId];
        return TenderView({
            bidDeadline: t.bidDeadline,
            openingTime: t.openingTime,
            threshold: t.threshold,
            custodianCount: t.custodianCount,
            activeBids: t.activeBids,
            sharesReleased: t.sharesReleased,
            status: t.status,
            openingKeyHash: t.openingKeyHash,
            commitmentsHash: t.commitmentsHash,
            openingRecordDigest: t.openingRecordDigest
        });
    }

    /// @inheritdoc ITenderRegistry
    function custodians(bytes32 tenderId) external view returns (address[] memory) {
        return _tenders[tenderId].custodians;
    }

    /// @inheritdoc ITenderRegistry
    function isBidder(bytes32 tenderId, address bidder) external view returns (bool) {
        return _bids[tenderId][bidder].registered;
    }

    /// @inheritdoc ITenderRegistry
    function getBid(bytes32 tenderId, address bidder) external view returns (BidView memory) {
        Bid storage b = _bids[tenderId][bidder];
        return BidView({
            ciphertextDigest: b.ciphertextDigest,
            plaintextCommitment: b.plaintextCommitment,
            envelopeDigest: b.envelopeDigest,
            nonce: b.nonce,
            submittedAt: b.submittedAt,
            active: b.active
        });
    }

    /// @inheritdoc ITenderRegistry
    function bidders(bytes32 tenderId) external view returns (address[] memory) {
        return _tenders[tenderId].bidders;
    }

    /// @inheritdoc ITenderRegistry
    function releasedShare(bytes32 tenderId, uint8 index) external view returns (bytes32) {
        return _shares[tenderId][index];
    }

    /// @inheritdoc ITenderRegistry
    function bidDigest(
        bytes32 tenderId,
        address bidder,
        bytes32 ciphertextDigest,
        bytes32 plaintextCommitment,
        bytes32 envelopeDigest,
        uint64 nonce
    ) external view returns (bytes32) {
        return _hashTypedDataV4(
            _bidStructHash(tenderId, bidder, ciphertextDigest, plaintextCommitment, envelopeDigest, nonce)
        );
    }

    /// @inheritdoc ITenderRegistry
    function withdrawalDigest(bytes32 tenderId, address bidder, uint64 nonce) external view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(_WITHDRAWAL_TYPEHASH, tenderId, bidder, nonce)));
    }

    /// @inheritdoc ITenderRegistry
    function DOMAIN_SEPARATOR() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    /// @inheritdoc ITenderRegistry
    function version() external pure returns (string memory) {
        return "TenderRegistry 1";
    }

    // ------------------------------------------------------------------ internals

    /// @dev Clock for every deadline and timestamp; tests and forks may override it.
    /// block.timestamp fits in 64 bits for the next 500 billion years.
    function _time() internal view virtual returns (uint64) {
        return uint64(block.timestamp);
    }

    /// @dev The tender, which must exist and be Open.
    function _openTender(bytes32 tenderId) private view returns (Tender storage tender) {
        tender = _tenders[tenderId];
        Status status = tender.status;
        if (status == Status.None) revert TenderRegistryNoSuchTender(tenderId);
        if (status != Status.Open) revert TenderRegistryNotOpen(tenderId, status);
    }

    /// @dev Reverts unless bidding is still running; returns the current time.
    function _requireBidding(bytes32 tenderId, Tender storage tender) private view returns (uint64 time) {
        time = _time();
        if (time >= tender.bidDeadline) revert TenderRegistryDeadlinePassed(tenderId, tender.bidDeadline, time);
    }

    /// @dev The registered bidder's record, after checking `nonce` is fresh for it.
    function _nextNonce(bytes32 tenderId, address bidder, uint64 nonce) private view returns (Bid storage bid) {
        bid = _bids[tenderId][bidder];
        if (!bid.registered) revert TenderRegistryNotRegistered(tenderId, bidder);
        if (nonce <= bid.nonce) revert TenderRegistryStaleNonce(tenderId, bidder, bid.nonce, nonce);
    }

    /// @dev Reverts unless `signature` is `bidder`'s over the EIP-712 struct `structHash`.
    /// OZ ECDSA refuses high-s and malformed signatures, so each is good at most once.
    function _requireSignature(address bidder, bytes32 structHash, bytes calldata signature) private view {
        (address signer, ECDSA.RecoverError err,) = ECDSA.tryRecover(_hashTypedDataV4(structHash), signature);
        if (err != ECDSA.RecoverError.NoError || signer != bidder) revert TenderRegistryBadSignature(bidder, signer);
    }

    function _bidStructHash(
        bytes32 tenderId,
        address bidder,
        bytes32 ciphertextDigest,
        bytes32 plaintextCommitment,
        bytes32 envelopeDigest,
        uint64 nonce
    ) private pure returns (bytes32) {
        return keccak256(
            abi.encode(_BID_TYPEHASH, tenderId, bidder, ciphertextDigest, plaintextCommitment, envelopeDigest, nonce)
        );
    }

    /// @dev Requires 1 <= custodians.length <= MAX_CUSTODIANS (quadratic, bounded by it).
    function _checkCustodians(address[] calldata custodians_) private pure {
        for (uint256 i = 0; i < custodians_.length; ++i) {
            address c = custodians_[i];
            if (c == address(0)) revert TenderRegistryBadCustodian(i + 1, c);
            for (uint256 j = 0; j < i; ++j) {
                if (custodians_[j] == c) revert TenderRegistryBadCustodian(i + 1, c);
            }
        }
    }

    /// @dev Shape checks only (length, prefix, A_0 == key); requires 1 <= threshold.
    function _checkKeyMaterial(uint8 threshold, bytes calldata openingPublicKey, bytes calldata shareCommitments)
        private
        pure
    {
        bytes1 prefix = openingPublicKey.length == 0 ? bytes1(0) : openingPublicKey[0];
        if (openingPublicKey.length != _POINT_LENGTH || (prefix != 0x02 && prefix != 0x03)) {
            revert TenderRegistryBadOpeningKey(openingPublicKey.length, prefix);
        }
        uint256 expected = uint256(threshold) * _POINT_LENGTH;
        if (shareCommitments.length != expected) {
            revert TenderRegistryBadCommitmentsLength(expected, shareCommitments.length);
        }
        if (keccak256(shareCommitments[0:_POINT_LENGTH]) != keccak256(openingPublicKey)) {
            revert TenderRegistryBadCommitment(0);
        }
        for (uint256 j = 1; j < threshold; ++j) {
            bytes1 p = shareCommitments[j * _POINT_LENGTH];
            if (p != 0x02 && p != 0x03) revert TenderRegistryBadCommitment(j);
        }
    }
}
