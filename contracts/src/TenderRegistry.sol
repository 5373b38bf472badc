// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ITenderRegistry} from "./ITenderRegistry.sol";

/// @title TenderRegistry
/// @notice On-chain rules of sealed-bid public tenders; see ITenderRegistry.
/// @dev Roles: DEFAULT_ADMIN_ROLE manages roles; OPERATOR_ROLE creates tenders, restarts
/// key generation, registers pseudonyms and records outcomes. The operator cannot supply a
/// custodian's key, post a dealing or complaint, approve a key, submit, replace, withdraw
/// or reveal a bid, or release a share: each needs the signature (or the account) of the
/// party it belongs to.
contract TenderRegistry is ITenderRegistry, AccessControl, EIP712 {
    /// @notice Role allowed to create tenders, register pseudonyms and record outcomes.
    bytes32 public constant OPERATOR_ROLE = keccak256("OPERATOR_ROLE");

    /// @notice Fewest revealed bids with which a tender may be opened (招标投标法实施条例
    /// art. 44: with fewer than three bidders, bids are not opened).
    uint8 public constant MIN_BIDS = 3;

    /// @notice Most custodians a tender may have.
    uint8 public constant MAX_CUSTODIANS = 32;

    /// @notice Longest dealing or complaint body (a 16-of-32 dealing is about 11 KiB).
    uint256 public constant MAX_DKG_BODY_BYTES = 24_576;

    /// @notice First word of dealingsHash().
    bytes32 public constant DEALINGS_TAG = keccak256("ChainWitness DKG dealings v1");

    /// @notice First word of transcriptHash().
    bytes32 public constant TRANSCRIPT_TAG = keccak256("ChainWitness DKG transcript v1");

    uint256 private constant _POINT_LENGTH = 33;
    uint256 private constant _SECP256K1_ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;
    uint256 private constant _SECP256K1_FIELD = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC2F;

    bytes32 private constant _DEALING_TYPEHASH =
        keccak256("Dealing(bytes32 tenderId,uint32 round,uint8 dealer,bytes32 bodyHash)");
    bytes32 private constant _COMPLAINTS_TYPEHASH =
        keccak256("Complaints(bytes32 tenderId,uint32 round,uint8 accuser,bytes32 dealingsHash,bytes32 bodyHash)");
    bytes32 private constant _KEY_APPROVAL_TYPEHASH = keccak256(
        "KeyApproval(bytes32 tenderId,uint32 round,bytes32 openingKeyHash,bytes32 commitmentsHash,bytes32 transcriptHash)"
    );
    bytes32 private constant _SEALED_BID_TYPEHASH =
        keccak256("SealedBid(bytes32 tenderId,address pseudonym,bytes32 commitment,uint64 nonce)");
    bytes32 private constant _WITHDRAWAL_TYPEHASH =
        keccak256("Withdrawal(bytes32 tenderId,address pseudonym,uint64 nonce)");
    bytes32 private constant _BID_TYPEHASH = keccak256(
        "Bid(bytes32 tenderId,address bidder,address pseudonym,bytes32 ciphertextDigest,bytes32 plaintextCommitment,bytes32 envelopeDigest)"
    );

    struct Tender {
        uint64 dealingDeadline;
        uint64 complaintDeadline;
        uint64 bidDeadline;
        uint64 openingTime;
        uint32 round;
        uint8 threshold;
        uint8 custodianCount;
        uint8 sharesReleased;
        Status status;
        uint32 revealedBids;
        bytes32 custodianKeysHash;
        bytes32 openingKeyHash;
        bytes32 commitmentsHash;
        bytes32 transcriptHash;
        bytes32 openingRecordDigest;
        address[] custodians;
        bytes custodianKeys;
        address[] bidders;
    }

    struct Sealed {
        bool registered;
        bool active;
        bool revealed;
        uint64 nonce;
        uint64 submittedAt;
        bytes32 commitment;
    }

    mapping(address custodian => bytes key) private _custodianKeys;
    mapping(bytes32 keyHash => address owner) private _keyOwners;
    mapping(bytes32 tenderId => Tender) private _tenders;
    mapping(bytes32 tenderId => mapping(uint32 round => mapping(uint8 index => bytes32))) private _dealings;
    mapping(bytes32 tenderId => mapping(uint32 round => mapping(uint8 index => bytes32))) private _complaints;
    mapping(bytes32 tenderId => mapping(address pseudonym => Sealed)) private _sealed;
    mapping(bytes32 tenderId => mapping(address bidder => BidView)) private _revealed;
    mapping(bytes32 tenderId => mapping(uint8 index => bytes32 share)) private _shares;

    /// @param admin Account granted DEFAULT_ADMIN_ROLE.
    /// @param operator Account granted OPERATOR_ROLE.
    constructor(address admin, address operator) EIP712("ChainWitness TenderRegistry", "2") {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(OPERATOR_ROLE, operator);
    }

    // ------------------------------------------------------------------ custodian keys

    /// @inheritdoc ITenderRegistry
    function registerCustodianKey(bytes calldata key) external {
        if (!_isCompressedPoint(key)) revert TenderRegistryBadCustodianKey(key);
        bytes32 keyHash = keccak256(key);
        address owner = _keyOwners[keyHash];
        if (owner != address(0) && owner != _msgSender()) revert TenderRegistryCustodianKeyTaken(key, owner);

        _keyOwners[keyHash] = _msgSender();
        _custodianKeys[_msgSender()] = key;
        emit CustodianKeyRegistered(_msgSender(), key);
    }

    // ------------------------------------------------------------------ key generation

    /// @inheritdoc ITenderRegistry
    function createTender(
        bytes32 tenderId,
        uint64 dealingDeadline,
        uint64 complaintDeadline,
        uint64 bidDeadline,
        uint64 openingTime,
        address[] calldata custodians_,
        uint8 threshold
    ) external onlyRole(OPERATOR_ROLE) {
        Tender storage tender = _tenders[tenderId];
        if (tender.status != Status.None) revert TenderRegistryTenderExists(tenderId);
        _checkSchedule(dealingDeadline, complaintDeadline, bidDeadline, openingTime);
        uint256 n = custodians_.length;
        if (n == 0 || n > MAX_CUSTODIANS) revert TenderRegistryBadCustodianCount(n);
        if (threshold < 2 || 2 * uint256(threshold) - 1 > n) revert TenderRegistryBadThreshold(threshold, n);
        bytes memory keys = _custodianKeysOf(custodians_);

        tender.dealingDeadline = dealingDeadline;
        tender.complaintDeadline = complaintDeadline;
        tender.bidDeadline = bidDeadline;
        tender.openingTime = openingTime;
        tender.round = 1;
        tender.threshold = threshold;
        // n <= MAX_CUSTODIANS, checked above
        // forge-lint: disable-next-line(unsafe-typecast)
        tender.custodianCount = uint8(n);
        tender.status = Status.KeyGeneration;
        tender.custodians = custodians_;
        tender.custodianKeys = keys;
        tender.custodianKeysHash = keccak256(keys);
        emit TenderCreated(
            tenderId, dealingDeadline, complaintDeadline, bidDeadline, openingTime, threshold, custodians_, keys
        );
    }

    /// @inheritdoc ITenderRegistry
    function postDealing(bytes32 tenderId, uint8 dealer, bytes calldata body, bytes calldata signature) external {
        Tender storage tender = _tenderIn(tenderId, Status.KeyGeneration);
        _before(tenderId, tender.dealingDeadline);
        address custodian = _custodianAt(tenderId, tender, dealer);
        _checkBody(body);
        uint32 round = tender.round;
        if (_dealings[tenderId][round][dealer] != 0) {
            revert TenderRegistryAlreadyPosted(tenderId, round, dealer, "dealing");
        }
        bytes32 bodyHash = keccak256(body);
        _requireSignature(
            custodian, keccak256(abi.encode(_DEALING_TYPEHASH, tenderId, round, dealer, bodyHash)), signature
        );

        _dealings[tenderId][round][dealer] = bodyHash;
        emit DealingPosted(tenderId, round, dealer, bodyHash, body, signature);
    }

    /// @inheritdoc ITenderRegistry
    function postComplaints(bytes32 tenderId, uint8 accuser, bytes calldata body, bytes calldata signature) external {
        Tender storage tender = _tenderIn(tenderId, Status.KeyGeneration);
        _notBefore(tenderId, tender.dealingDeadline);
        _before(tenderId, tender.complaintDeadline);
        address custodian = _custodianAt(tenderId, tender, accuser);
        _checkBody(body);
        uint32 round = tender.round;
        if (_complaints[tenderId][round][accuser] != 0) {
            revert TenderRegistryAlreadyPosted(tenderId, round, accuser, "complaints");
        }
        bytes32 dealings = _dealingsHash(tenderId, tender);
        bytes32 bodyHash = keccak256(body);
        _requireSignature(
            custodian,
            keccak256(abi.encode(_COMPLAINTS_TYPEHASH, tenderId, round, accuser, dealings, bodyHash)),
            signature
        );

        _complaints[tenderId][round][accuser] = bodyHash;
        emit ComplaintsPosted(tenderId, round, accuser, dealings, bodyHash, body, signature);
    }

    /// @inheritdoc ITenderRegistry
    function finalizeKey(
        bytes32 tenderId,
        bytes calldata openingPublicKey,
        bytes calldata shareCommitments,
        uint8[] calldata approvers,
        bytes[] calldata signatures
    ) external {
        Tender storage tender = _tenderIn(tenderId, Status.KeyGeneration);
        _notBefore(tenderId, tender.complaintDeadline);
        _before(tenderId, tender.bidDeadline);
        _checkKeyMaterial(tender.threshold, openingPublicKey, shareCommitments);
        if (approvers.length != signatures.length) {
            revert TenderRegistryBadApprovers(approvers.length, signatures.length);
        }
        if (approvers.length < tender.threshold) {
            revert TenderRegistryTooFewApprovals(tenderId, approvers.length, tender.threshold);
        }
        bytes32 transcript = _transcriptHash(tenderId, tender);
        bytes32 structHash = keccak256(
            abi.encode(
                _KEY_APPROVAL_TYPEHASH,
                tenderId,
                tender.round,
                keccak256(openingPublicKey),
                keccak256(shareCommitments),
                transcript
            )
        );
        for (uint256 k = 0; k < approvers.length; ++k) {
            if (k > 0 && approvers[k] <= approvers[k - 1]) {
                revert TenderRegistryBadApprovers(approvers.length, signatures.length);
            }
            _requireSignature(_custodianAt(tenderId, tender, approvers[k]), structHash, signatures[k]);
        }

        tender.openingKeyHash = keccak256(openingPublicKey);
        tender.commitmentsHash = keccak256(shareCommitments);
        tender.transcriptHash = transcript;
        tender.status = Status.Open;
        emit KeyFinalized(tenderId, tender.round, openingPublicKey, shareCommitments, transcript, approvers);
    }

    /// @inheritdoc ITenderRegistry
    function restartKeyGeneration(bytes32 tenderId, uint64 dealingDeadline, uint64 complaintDeadline)
        external
        onlyRole(OPERATOR_ROLE)
    {
        Tender storage tender = _tenderIn(tenderId, Status.KeyGeneration);
        _notBefore(tenderId, tender.complaintDeadline);
        _checkSchedule(dealingDeadline, complaintDeadline, tender.bidDeadline, tender.openingTime);

        ++tender.round;
        tender.dealingDeadline = dealingDeadline;
        tender.complaintDeadline = complaintDeadline;
        emit KeyGenerationRestarted(tenderId, tender.round, dealingDeadline, complaintDeadline);
    }

    // ------------------------------------------------------------------ bids

    /// @inheritdoc ITenderRegistry
    function registerBidder(bytes32 tenderId, address pseudonym) external onlyRole(OPERATOR_ROLE) {
        Tender storage tender = _liveTender(tenderId);
        if (pseudonym == address(0)) revert TenderRegistryZeroBidder(tenderId);
        _before(tenderId, tender.bidDeadline);
        Sealed storage bid = _sealed[tenderId][pseudonym];
        if (bid.registered) revert TenderRegistryAlreadyRegistered(tenderId, pseudonym);

        bid.registered = true;
        emit BidderRegistered(tenderId, pseudonym);
    }

    /// @inheritdoc ITenderRegistry
    function submitBid(bytes32 tenderId, address pseudonym, bytes32 commitment, uint64 nonce, bytes calldata signature)
        external
    {
        Tender storage tender = _tenderIn(tenderId, Status.Open);
        uint64 time = _before(tenderId, tender.bidDeadline);
        Sealed storage bid = _nextNonce(tenderId, pseudonym, nonce);
        if (commitment == 0) revert TenderRegistryZeroDigest(tenderId);
        _requireSignature(
            pseudonym, keccak256(abi.encode(_SEALED_BID_TYPEHASH, tenderId, pseudonym, commitment, nonce)), signature
        );

        bid.active = true;
        bid.nonce = nonce;
        bid.submittedAt = time;
        bid.commitment = commitment;
        emit BidSealed(tenderId, pseudonym, commitment, nonce, time);
    }

    /// @inheritdoc ITenderRegistry
    function withdrawBid(bytes32 tenderId, address pseudonym, uint64 nonce, bytes calldata signature) external {
        Tender storage tender = _tenderIn(tenderId, Status.Open);
        uint64 time = _before(tenderId, tender.bidDeadline);
        Sealed storage bid = _nextNonce(tenderId, pseudonym, nonce);
        if (!bid.active) revert TenderRegistryNoActiveBid(tenderId, pseudonym);
        _requireSignature(pseudonym, keccak256(abi.encode(_WITHDRAWAL_TYPEHASH, tenderId, pseudonym, nonce)), signature);

        bid.active = false;
        bid.nonce = nonce;
        bid.submittedAt = 0;
        bid.commitment = 0;
        emit BidWithdrawn(tenderId, pseudonym, nonce, time);
    }

    /// @inheritdoc ITenderRegistry
    function revealBid(bytes32 tenderId, address pseudonym, BidReveal calldata reveal, bytes calldata bidderSignature)
        external
    {
        Tender storage tender = _tenderIn(tenderId, Status.Open);
        _notBefore(tenderId, tender.bidDeadline);
        uint64 time = _before(tenderId, tender.openingTime);
        Sealed storage bid = _sealed[tenderId][pseudonym];
        if (!bid.active) revert TenderRegistryNoActiveBid(tenderId, pseudonym);
        address bidder = reveal.bidder;
        if (bidder == address(0)) revert TenderRegistryZeroBidder(tenderId);
        if (reveal.ciphertextDigest == 0 || reveal.plaintextCommitment == 0 || reveal.envelopeDigest == 0) {
            revert TenderRegistryZeroDigest(tenderId);
        }
        bytes32 opened = _sealedBidCommitment(tenderId, reveal);
        if (opened != bid.commitment) revert TenderRegistryRevealMismatch(tenderId, pseudonym, bid.commitment, opened);
        BidView storage record = _revealed[tenderId][bidder];
        if (bid.revealed || record.revealedAt != 0) {
            revert TenderRegistryAlreadyRevealed(tenderId, bidder, bid.revealed ? pseudonym : record.pseudonym);
        }
        _requireSignature(bidder, _bidStructHash(tenderId, pseudonym, reveal), bidderSignature);

        bid.revealed = true;
        record.pseudonym = pseudonym;
        record.ciphertextDigest = reveal.ciphertextDigest;
        record.plaintextCommitment = reveal.plaintextCommitment;
        record.envelopeDigest = reveal.envelopeDigest;
        record.submittedAt = bid.submittedAt;
        record.revealedAt = time;
        tender.bidders.push(bidder);
        ++tender.revealedBids;
        emit BidRevealed(
            tenderId,
            bidder,
            pseudonym,
            reveal.ciphertextDigest,
            reveal.plaintextCommitment,
            reveal.envelopeDigest,
            bidderSignature
        );
    }

    // ------------------------------------------------------------------ opening

    /// @inheritdoc ITenderRegistry
    function releaseShare(bytes32 tenderId, uint8 index, bytes32 share) external {
        Tender storage tender = _tenderIn(tenderId, Status.Open);
        address custodian = _custodianAt(tenderId, tender, index);
        if (_msgSender() != custodian) revert TenderRegistryNotCustodian(tenderId, index, custodian, _msgSender());
        _notBefore(tenderId, tender.openingTime);
        // Reveals close at the opening time, so the count is final: such a tender can
        // only fail, and its bids must stay sealed.
        if (tender.revealedBids < MIN_BIDS) {
            revert TenderRegistryTooFewBids(tenderId, tender.revealedBids, MIN_BIDS);
        }
        if (_shares[tenderId][index] != 0) revert TenderRegistryShareAlreadyReleased(tenderId, index);
        if (share == 0 || uint256(share) >= _SECP256K1_ORDER) revert TenderRegistryBadShare(tenderId, index);

        _shares[tenderId][index] = share;
        ++tender.sharesReleased;
        emit ShareReleased(tenderId, index, custodian, share);
    }

    /// @inheritdoc ITenderRegistry
    function recordOpening(bytes32 tenderId, bytes32 openingRecordDigest) external onlyRole(OPERATOR_ROLE) {
        Tender storage tender = _tenderIn(tenderId, Status.Open);
        if (openingRecordDigest == 0) revert TenderRegistryZeroDigest(tenderId);
        if (tender.revealedBids < MIN_BIDS) {
            revert TenderRegistryTooFewBids(tenderId, tender.revealedBids, MIN_BIDS);
        }
        if (tender.sharesReleased < tender.threshold) {
            revert TenderRegistryTooFewShares(tenderId, tender.sharesReleased, tender.threshold);
        }

        tender.status = Status.Opened;
        tender.openingRecordDigest = openingRecordDigest;
        emit TenderOpened(tenderId, openingRecordDigest, tender.revealedBids, tender.sharesReleased);
    }

    /// @inheritdoc ITenderRegistry
    function declareFailed(bytes32 tenderId) external onlyRole(OPERATOR_ROLE) {
        Tender storage tender = _liveTender(tenderId);
        _notBefore(tenderId, tender.openingTime);
        if (tender.revealedBids >= MIN_BIDS) {
            revert TenderRegistryEnoughBids(tenderId, tender.revealedBids, MIN_BIDS);
        }

        tender.status = Status.Failed;
        emit TenderFailed(tenderId, tender.revealedBids);
    }

    /// @inheritdoc ITenderRegistry
    function cancelTender(bytes32 tenderId, bytes32 reasonDigest) external onlyRole(OPERATOR_ROLE) {
        Tender storage tender = _liveTender(tenderId);
        if (reasonDigest == 0) revert TenderRegistryZeroDigest(tenderId);
        _before(tenderId, tender.bidDeadline);
        // Unreachable while time only moves forward (shares come after the bid deadline);
        // stated so the rule does not rest on the clock.
        if (tender.sharesReleased != 0) revert TenderRegistrySharesReleased(tenderId, tender.sharesReleased);

        tender.status = Status.Cancelled;
        emit TenderCancelled(tenderId, reasonDigest);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc ITenderRegistry
    function custodianKey(address custodian) external view returns (bytes memory) {
        return _custodianKeys[custodian];
    }

    /// @inheritdoc ITenderRegistry
    function getTender(bytes32 tenderId) external view returns (TenderView memory) {
        Tender storage t = _tenders[tenderId];
        return TenderView({
            dealingDeadline: t.dealingDeadline,
            complaintDeadline: t.complaintDeadline,
            bidDeadline: t.bidDeadline,
            openingTime: t.openingTime,
            round: t.round,
            threshold: t.threshold,
            custodianCount: t.custodianCount,
            revealedBids: t.revealedBids,
            sharesReleased: t.sharesReleased,
            status: t.status,
            custodianKeysHash: t.custodianKeysHash,
            openingKeyHash: t.openingKeyHash,
            commitmentsHash: t.commitmentsHash,
            transcriptHash: t.transcriptHash,
            openingRecordDigest: t.openingRecordDigest
        });
    }

    /// @inheritdoc ITenderRegistry
    function custodians(bytes32 tenderId) external view returns (address[] memory) {
        return _tenders[tenderId].custodians;
    }

    /// @inheritdoc ITenderRegistry
    function custodianKeys(bytes32 tenderId) external view returns (bytes memory) {
        return _tenders[tenderId].custodianKeys;
    }

    /// @inheritdoc ITenderRegistry
    function dealingHash(bytes32 tenderId, uint32 round, uint8 index) external view returns (bytes32) {
        return _dealings[tenderId][round][index];
    }

    /// @inheritdoc ITenderRegistry
    function complaintsHash(bytes32 tenderId, uint32 round, uint8 index) external view returns (bytes32) {
        return _complaints[tenderId][round][index];
    }

    /// @inheritdoc ITenderRegistry
    function dealingsHash(bytes32 tenderId) external view returns (bytes32) {
        return _dealingsHash(tenderId, _tenders[tenderId]);
    }

    /// @inheritdoc ITenderRegistry
    function transcriptHash(bytes32 tenderId) external view returns (bytes32) {
        return _transcriptHash(tenderId, _tenders[tenderId]);
    }

    /// @inheritdoc ITenderRegistry
    function isRegistered(bytes32 tenderId, address pseudonym) external view returns (bool) {
        return _sealed[tenderId][pseudonym].registered;
    }

    /// @inheritdoc ITenderRegistry
    function getSealedBid(bytes32 tenderId, address pseudonym) external view returns (SealedBidView memory) {
        Sealed storage s = _sealed[tenderId][pseudonym];
        return SealedBidView({
            commitment: s.commitment, nonce: s.nonce, submittedAt: s.submittedAt, active: s.active, revealed: s.revealed
        });
    }

    /// @inheritdoc ITenderRegistry
    function getBid(bytes32 tenderId, address bidder) external view returns (BidView memory) {
        return _revealed[tenderId][bidder];
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
    function sealedBidCommitment(bytes32 tenderId, BidReveal calldata reveal) external pure returns (bytes32) {
        return _sealedBidCommitment(tenderId, reveal);
    }

    /// @inheritdoc ITenderRegistry
    function dealingDigest(bytes32 tenderId, uint32 round, uint8 dealer, bytes32 bodyHash)
        external
        view
        returns (bytes32)
    {
        return _hashTypedDataV4(keccak256(abi.encode(_DEALING_TYPEHASH, tenderId, round, dealer, bodyHash)));
    }

    /// @inheritdoc ITenderRegistry
    function complaintsDigest(bytes32 tenderId, uint32 round, uint8 accuser, bytes32 dealingsHash_, bytes32 bodyHash)
        external
        view
        returns (bytes32)
    {
        return _hashTypedDataV4(
            keccak256(abi.encode(_COMPLAINTS_TYPEHASH, tenderId, round, accuser, dealingsHash_, bodyHash))
        );
    }

    /// @inheritdoc ITenderRegistry
    function keyApprovalDigest(
        bytes32 tenderId,
        uint32 round,
        bytes32 openingKeyHash,
        bytes32 commitmentsHash_,
        bytes32 transcriptHash_
    ) external view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(
                abi.encode(_KEY_APPROVAL_TYPEHASH, tenderId, round, openingKeyHash, commitmentsHash_, transcriptHash_)
            )
        );
    }

    /// @inheritdoc ITenderRegistry
    function sealedBidDigest(bytes32 tenderId, address pseudonym, bytes32 commitment, uint64 nonce)
        external
        view
        returns (bytes32)
    {
        return _hashTypedDataV4(keccak256(abi.encode(_SEALED_BID_TYPEHASH, tenderId, pseudonym, commitment, nonce)));
    }

    /// @inheritdoc ITenderRegistry
    function withdrawalDigest(bytes32 tenderId, address pseudonym, uint64 nonce) external view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(_WITHDRAWAL_TYPEHASH, tenderId, pseudonym, nonce)));
    }

    /// @inheritdoc ITenderRegistry
    function bidDigest(
        bytes32 tenderId,
        address bidder,
        address pseudonym,
        bytes32 ciphertextDigest,
        bytes32 plaintextCommitment,
        bytes32 envelopeDigest
    ) external view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(
                abi.encode(
                    _BID_TYPEHASH, tenderId, bidder, pseudonym, ciphertextDigest, plaintextCommitment, envelopeDigest
                )
            )
        );
    }

    /// @inheritdoc ITenderRegistry
    function DOMAIN_SEPARATOR() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    /// @inheritdoc ITenderRegistry
    function version() external pure returns (string memory) {
        return "TenderRegistry 2";
    }

    // ------------------------------------------------------------------ internals

    /// @dev Clock for every deadline and timestamp; tests and forks may override it.
    /// block.timestamp fits in 64 bits for the next 500 billion years.
    function _time() internal view virtual returns (uint64) {
        return uint64(block.timestamp);
    }

    /// @dev The tender, which must exist and not be in a final state.
    function _liveTender(bytes32 tenderId) private view returns (Tender storage tender) {
        tender = _tenders[tenderId];
        Status status = tender.status;
        if (status == Status.None) revert TenderRegistryNoSuchTender(tenderId);
        if (status != Status.Open && status != Status.KeyGeneration) revert TenderRegistryNotOpen(tenderId, status);
    }

    /// @dev The tender, which must exist and be in `required`.
    function _tenderIn(bytes32 tenderId, Status required) private view returns (Tender storage tender) {
        tender = _tenders[tenderId];
        Status status = tender.status;
        if (status == Status.None) revert TenderRegistryNoSuchTender(tenderId);
        if (status != required) revert TenderRegistryWrongStatus(tenderId, status, required);
    }

    /// @dev Reverts unless `_time() < deadline`; returns the time.
    function _before(bytes32 tenderId, uint64 deadline) private view returns (uint64 time) {
        time = _time();
        if (time >= deadline) revert TenderRegistryDeadlinePassed(tenderId, deadline, time);
    }

    /// @dev Reverts unless `_time() >= notBefore`.
    function _notBefore(bytes32 tenderId, uint64 notBefore) private view {
        uint64 time = _time();
        if (time < notBefore) revert TenderRegistryTooEarly(tenderId, notBefore, time);
    }

    function _checkSchedule(uint64 dealing, uint64 complaint, uint64 bid, uint64 opening) private view {
        uint64 time = _time();
        if (!(time < dealing && dealing < complaint && complaint < bid && bid < opening)) {
            revert TenderRegistryBadSchedule(time, dealing, complaint, bid, opening);
        }
    }

    /// @dev Custodian number `index` (1-based) of the tender.
    function _custodianAt(bytes32 tenderId, Tender storage tender, uint8 index) private view returns (address) {
        if (index == 0 || index > tender.custodianCount) {
            revert TenderRegistryBadIndex(tenderId, index, tender.custodianCount);
        }
        return tender.custodians[index - 1];
    }

    function _checkBody(bytes calldata body) private pure {
        if (body.length == 0 || body.length > MAX_DKG_BODY_BYTES) {
            revert TenderRegistryBadBodyLength(body.length, MAX_DKG_BODY_BYTES);
        }
    }

    /// @dev The pseudonym's record, after checking it is registered and `nonce` is fresh.
    function _nextNonce(bytes32 tenderId, address pseudonym, uint64 nonce) private view returns (Sealed storage bid) {
        bid = _sealed[tenderId][pseudonym];
        if (!bid.registered) revert TenderRegistryNotRegistered(tenderId, pseudonym);
        if (nonce <= bid.nonce) revert TenderRegistryStaleNonce(tenderId, pseudonym, bid.nonce, nonce);
    }

    /// @dev Reverts unless `signature` is `expected`'s over the EIP-712 struct `structHash`.
    /// OZ ECDSA refuses high-s and malformed signatures.
    function _requireSignature(address expected, bytes32 structHash, bytes calldata signature) private view {
        (address signer, ECDSA.RecoverError err,) = ECDSA.tryRecover(_hashTypedDataV4(structHash), signature);
        if (err != ECDSA.RecoverError.NoError || signer != expected) {
            revert TenderRegistryBadSignature(expected, signer);
        }
    }

    function _bidStructHash(bytes32 tenderId, address pseudonym, BidReveal calldata r) private pure returns (bytes32) {
        return keccak256(
            abi.encode(
                _BID_TYPEHASH,
                tenderId,
                r.bidder,
                pseudonym,
                r.ciphertextDigest,
                r.plaintextCommitment,
                r.envelopeDigest
            )
        );
    }

    function _sealedBidCommitment(bytes32 tenderId, BidReveal calldata r) private pure returns (bytes32) {
        return
            keccak256(
                abi.encode(tenderId, r.bidder, r.salt, r.ciphertextDigest, r.plaintextCommitment, r.envelopeDigest)
            );
    }

    function _dealingsHash(bytes32 tenderId, Tender storage tender) private view returns (bytes32) {
        uint32 round = tender.round;
        uint256 n = tender.custodianCount;
        bytes32[] memory words = new bytes32[](n);
        for (uint256 i = 0; i < n; ++i) {
            // forge-lint: disable-next-line(unsafe-typecast)
            words[i] = _dealings[tenderId][round][uint8(i + 1)];
        }
        return keccak256(abi.encodePacked(DEALINGS_TAG, tenderId, uint256(round), words));
    }

    function _transcriptHash(bytes32 tenderId, Tender storage tender) private view returns (bytes32) {
        uint32 round = tender.round;
        uint256 n = tender.custodianCount;
        bytes32[] memory words = new bytes32[](n);
        for (uint256 i = 0; i < n; ++i) {
            // forge-lint: disable-next-line(unsafe-typecast)
            words[i] = _complaints[tenderId][round][uint8(i + 1)];
        }
        return keccak256(
            abi.encodePacked(
                TRANSCRIPT_TAG,
                tenderId,
                uint256(round),
                uint256(tender.threshold),
                n,
                tender.custodianKeysHash,
                _dealingsHash(tenderId, tender),
                words
            )
        );
    }

    /// @dev The custodians' registered keys, concatenated; checks zero and repeated custodians.
    function _custodianKeysOf(address[] calldata list) private view returns (bytes memory keys) {
        for (uint256 i = 0; i < list.length; ++i) {
            address c = list[i];
            if (c == address(0)) revert TenderRegistryBadCustodian(i + 1, c);
            for (uint256 j = 0; j < i; ++j) {
                if (list[j] == c) revert TenderRegistryBadCustodian(i + 1, c);
            }
            bytes storage key = _custodianKeys[c];
            if (key.length == 0) revert TenderRegistryNoCustodianKey(i + 1, c);
            keys = bytes.concat(keys, key);
        }
    }

    /// @dev Shape checks only (length, prefix, A_0 == key).
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

    /// @dev A 33-byte compressed point on secp256k1: prefix 2 or 3, x < p, and x^3 + 7 a
    /// quadratic residue mod p (Euler's criterion through the modexp precompile). x^3 + 7
    /// is never 0 on this curve (it has no point of order 2).
    function _isCompressedPoint(bytes calldata key) private view returns (bool) {
        if (key.length != _POINT_LENGTH || (key[0] != 0x02 && key[0] != 0x03)) return false;
        uint256 x = uint256(bytes32(key[1:]));
        if (x >= _SECP256K1_FIELD) return false;
        uint256 rhs = addmod(mulmod(mulmod(x, x, _SECP256K1_FIELD), x, _SECP256K1_FIELD), 7, _SECP256K1_FIELD);
        (bool ok, bytes memory out) = address(0x05)
            .staticcall(
                abi.encodePacked(
                    uint256(32), uint256(32), uint256(32), rhs, (_SECP256K1_FIELD - 1) / 2, _SECP256K1_FIELD
                )
            );
        return ok && out.length == 32 && uint256(bytes32(out)) == 1;
    }
}
