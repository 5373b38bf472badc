// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {ITenderRegistry} from "../src/ITenderRegistry.sol";
import {TenderRegistry} from "../src/TenderRegistry.sol";
import {TenderRegistryFixture, TenderRegistryWithClock, VmSigning} from "./TenderRegistryFixture.sol";
import {console} from "./utils/Test.sol";

/// @notice Behaviour of TenderRegistry after key generation: roles, EIP-712, pseudonymous
/// sealed bids and their reveal, share releases, outcomes, cancellation, the clock seam,
/// gas. Key generation is in TenderRegistryKeyGen.t.sol.
contract TenderRegistryTest is TenderRegistryFixture {
    bytes32 internal constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");

    function _manualDomain(uint256 chainId, address verifyingContract) internal pure returns (bytes32) {
        return keccak256(
            abi.encode(
                DOMAIN_TYPEHASH, keccak256("ChainWitness TenderRegistry"), keccak256("2"), chainId, verifyingContract
            )
        );
    }

    function _manual(bytes32 structHash) internal view returns (bytes32) {
        return keccak256(abi.encodePacked(hex"1901", _manualDomain(block.chainid, address(reg)), structHash));
    }

    // ------------------------------------------------------------------ metadata, roles, EIP-712

    function test_Version() public view {
        assertEq(reg.version(), "TenderRegistry 2", "version");
        assertEq(reg.MIN_BIDS(), 3, "MIN_BIDS");
        assertEq(reg.MAX_CUSTODIANS(), 32, "MAX_CUSTODIANS");
        assertEq(reg.MAX_DKG_BODY_BYTES(), 24_576, "MAX_DKG_BODY_BYTES");
        assertTrue(reg.hasRole(reg.OPERATOR_ROLE(), OPERATOR), "operator");
        assertFalse(reg.hasRole(reg.DEFAULT_ADMIN_ROLE(), OPERATOR), "operator is not admin");
        assertEq(reg.DOMAIN_SEPARATOR(), _manualDomain(block.chainid, address(reg)), "domain separator");
    }

    /// @notice Every signed type, written out from EIP-712 by hand.
    function test_DigestsAreEip712() public view {
        (bytes32 x, bytes32 y, bytes32 z) = (bytes32(uint256(1)), bytes32(uint256(2)), bytes32(uint256(3)));
        address p = address(0x1111);
        address b = address(0x2222);
        bytes32 h = keccak256(
            abi.encode(
                keccak256("Dealing(bytes32 tenderId,uint32 round,uint8 dealer,bytes32 bodyHash)"),
                TENDER,
                uint32(4),
                uint8(2),
                x
            )
        );
        assertEq(reg.dealingDigest(TENDER, 4, 2, x), _manual(h), "Dealing");
        h = keccak256(
            abi.encode(
                keccak256(
                    "Complaints(bytes32 tenderId,uint32 round,uint8 accuser,bytes32 dealingsHash,bytes32 bodyHash)"
                ),
                TENDER,
                uint32(4),
                uint8(2),
                x,
                y
            )
        );
        assertEq(reg.complaintsDigest(TENDER, 4, 2, x, y), _manual(h), "Complaints");
        h = keccak256(
            abi.encode(
                keccak256(
                    "KeyApproval(bytes32 tenderId,uint32 round,bytes32 openingKeyHash,bytes32 commitmentsHash,bytes32 transcriptHash)"
                ),
                TENDER,
                uint32(4),
                x,
                y,
                z
            )
        );
        assertEq(reg.keyApprovalDigest(TENDER, 4, x, y, z), _manual(h), "KeyApproval");
        h = keccak256(
            abi.encode(
                keccak256("SealedBid(bytes32 tenderId,address pseudonym,bytes32 commitment,uint64 nonce)"),
                TENDER,
                p,
                x,
                uint64(7)
            )
        );
        assertEq(reg.sealedBidDigest(TENDER, p, x, 7), _manual(h), "SealedBid");
        h = keccak256(
            abi.encode(keccak256("Withdrawal(bytes32 tenderId,address pseudonym,uint64 nonce)"), TENDER, p, uint64(7))
        );
        assertEq(reg.withdrawalDigest(TENDER, p, 7), _manual(h), "Withdrawal");
        h = keccak256(
            abi.encode(
                keccak256(
                    "Bid(bytes32 tenderId,address bidder,address pseudonym,bytes32 ciphertextDigest,bytes32 plaintextCommitment,bytes32 envelopeDigest)"
                ),
                TENDER,
                b,
                p,
                x,
                y,
                z
            )
        );
        assertEq(reg.bidDigest(TENDER, b, p, x, y, z), _manual(h), "Bid");
        ITenderRegistry.BidReveal memory r = ITenderRegistry.BidReveal(b, keccak256("salt"), x, y, z);
        assertEq(
            reg.sealedBidCommitment(TENDER, r),
            keccak256(abi.encode(TENDER, b, keccak256("salt"), x, y, z)),
            "commitment"
        );
    }

    function test_RevertWhen_CallerLacksOperatorRole() public {
        _keyed(TENDER);
        bytes32 role = reg.OPERATOR_ROLE();
        address[2] memory callers = [STRANGER, ADMIN];
        for (uint256 i = 0; i < callers.length; ++i) {
            bytes memory denied =
                abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, callers[i], role);
            vm.startPrank(callers[i]);
            _expect(denied);
            reg.createTender(OTHER, DEALING, COMPLAINT, DEADLINE, OPENING, _custodians(N), T);
            _expect(denied);
            reg.registerBidder(TENDER, _pseudonym(1));
            _expect(denied);
            reg.recordOpening(TENDER, keccak256("record"));
            _expect(denied);
            reg.declareFailed(TENDER);
            _expect(denied);
            reg.cancelTender(TENDER, keccak256("reason"));
            vm.stopPrank();
        }
    }

    // ------------------------------------------------------------------ sealed bids

    function test_SealBid() public {
        _keyed(TENDER);
        _register(TENDER, 1);
        ITenderRegistry.BidReveal memory r = _reveal(1, 1);
        bytes32 commitment = reg.sealedBidCommitment(TENDER, r);
        bytes memory sig = _sealSig(TENDER, PSEUDONYM_KEY_BASE + 1, _pseudonym(1), commitment, 1);
        vm.expectEmit(true, true, true, true, address(reg));
        emit ITenderRegistry.BidSealed(TENDER, _pseudonym(1), commitment, 1, COMPLAINT);
        vm.prank(RELAYER);
        reg.submitBid(TENDER, _pseudonym(1), commitment, 1, sig);
        ITenderRegistry.SealedBidView memory s = reg.getSealedBid(TENDER, _pseudonym(1));
        assertEq(s.commitment, commitment, "commitment");
        assertTrue(s.active, "active");
        assertEq(s.nonce, 1, "nonce");
        _seal(TENDER, 1, 2); // a replacement
        assertEq(
            reg.getSealedBid(TENDER, _pseudonym(1)).commitment,
            reg.sealedBidCommitment(TENDER, _reveal(1, 2)),
            "replaced"
        );
    }

    /// @notice Attack 7 (art. 22): before the deadline nothing on chain names a bidder or
    /// counts bids: no bidder address in any log, no bidder list, no counter.
    function test_Attack_BiddersAreNotReadableBeforeTheDeadline() public {
        _keyed(TENDER);
        vms.recordLogs();
        for (uint256 i = 1; i <= 3; ++i) {
            _register(TENDER, i);
            _seal(TENDER, i, 1);
        }
        _seal(TENDER, 2, 2);
        VmSigning.Log[] memory logs = vms.getRecordedLogs();
        assertEq(logs.length, 7, "three registrations, four sealed bids");
        for (uint256 k = 0; k < logs.length; ++k) {
            for (uint256 i = 1; i <= 3; ++i) {
                bytes32 word = bytes32(uint256(uint160(_bidder(i))));
                for (uint256 j = 0; j < logs[k].topics.length; ++j) {
                    assertTrue(logs[k].topics[j] != word, "no bidder address in topics");
                }
                bytes memory data = logs[k].data;
                for (uint256 off = 0; off + 32 <= data.length; off += 32) {
                    bytes32 w;
                    assembly ("memory-safe") {
                        w := mload(add(add(data, 0x20), off))
                    }
                    assertTrue(w != word, "no bidder address in data");
                }
            }
        }
        ITenderRegistry.TenderView memory t = reg.getTender(TENDER);
        assertEq(t.revealedBids, 0, "no count");
        assertEq(reg.bidders(TENDER).length, 0, "no list");
        assertEq(reg.getBid(TENDER, _bidder(1)).revealedAt, 0, "nothing under the bidder's address");
        // and the reveal cannot come early
        ITenderRegistry.BidReveal memory r = _reveal(1, 1);
        bytes memory sig = _bidSig(TENDER, BIDDER_KEY_BASE + 1, _pseudonym(1), r);
        _expectTooEarly(TENDER, DEADLINE, COMPLAINT);
        reg.revealBid(TENDER, _pseudonym(1), r, sig);
    }

    function test_RevertWhen_SealIsRefused() public {
        _create(TENDER);
        _register(TENDER, 1); // registration may happen during key generation
        bytes32 commitment = reg.sealedBidCommitment(TENDER, _reveal(1, 1));
        bytes memory sig = _sealSig(TENDER, PSEUDONYM_KEY_BASE + 1, _pseudonym(1), commitment, 1);
        _expectStatus(TENDER, ITenderRegistry.Status.KeyGeneration, ITenderRegistry.Status.Open);
        reg.submitBid(TENDER, _pseudonym(1), commitment, 1, sig); // no bid before the key
        for (uint8 i = 1; i <= N; ++i) {
            _deal(TENDER, i);
        }
        vm.warp(COMPLAINT);
        _finalize(TENDER, T);
        _expect(abi.encodeWithSelector(ITenderRegistry.TenderRegistryNotRegistered.selector, TENDER, _pseudonym(2)));
        reg.submitBid(TENDER, _pseudonym(2), commitment, 1, sig);
        _expect(abi.encodeWithSelector(ITenderRegistry.TenderRegistryZeroDigest.selector, TENDER));
        reg.submitBid(TENDER, _pseudonym(1), 0, 1, sig);
        bytes memory forged = _sealSig(TENDER, KEY_OPERATOR, _pseudonym(1), commitment, 1);
        _expectBadSignature(_pseudonym(1), vm.addr(KEY_OPERATOR));
        reg.submitBid(TENDER, _pseudonym(1), commitment, 1, forged);
        reg.submitBid(TENDER, _pseudonym(1), commitment, 1, sig);
        _expect(abi.encodeWithSelector(ITenderRegistry.TenderRegistryStaleNonce.selector, TENDER, _pseudonym(1), 1, 1));
        reg.submitBid(TENDER, _pseudonym(1), commitment, 1, sig);
        vm.startPrank(OPERATOR);
        _expect(abi.encodeWithSelector(ITenderRegistry.TenderRegistryAlreadyRegistered.selector, TENDER, _pseudonym(1)));
        reg.registerBidder(TENDER, _pseudonym(1));
        _expect(abi.encodeWithSelector(ITenderRegistry.TenderRegistryZeroBidder.selector, TENDER));
        reg.registerBidder(TENDER, address(0));
        vm.warp(DEADLINE);
        _expectPassed(TENDER, DEADLINE, DEADLINE);
        reg.registerBidder(TENDER, _pseudonym(3));
        vm.stopPrank();
    }

    function testFuzz_BidDeadlineEdge(uint64 late) public {
        _keyed(TENDER);
        _register(TENDER, 1);
        bytes32 commitment = reg.sealedBidCommitment(TENDER, _reveal(1, 1));
        bytes memory sig = _sealSig(TENDER, PSEUDONYM_KEY_BASE + 1, _pseudonym(1), commitment, 1);
        uint64 time = uint64(bound(late, DEADLINE, OPENING * 2));
        vm.warp(time);
        _expectPassed(TENDER, DEADLINE, time);
        reg.submitBid(TENDER, _pseudonym(1), commitment, 1, sig);
        vm.warp(DEADLINE - 1);
        reg.submitBid(TENDER, _pseudonym(1), commitment, 1, sig);
        assertTrue(reg.getSealedBid(TENDER, _pseudonym(1)).active, "accepted one second before");
    }

    function test_WithdrawBid() public {
        _keyed(TENDER);
        _register(TENDER, 1);
        _seal(TENDER, 1, 1);
        bytes memory forged = _sign(KEY_OPERATOR, reg.withdrawalDigest(TENDER, _pseudonym(1), 2));
        _expectBadSignature(_pseudonym(1), vm.addr(KEY_OPERATOR));
        reg.withdrawBid(TENDER, _pseudonym(1), 2, forged);
        bytes memory sig = _sign(PSEUDONYM_KEY_BASE + 1, reg.withdrawalDigest(TENDER, _pseudonym(1), 2));
        vm.expectEmit(true, true, true, true, address(reg));
        emit ITenderRegistry.BidWithdrawn(TENDER, _pseudonym(1), 2, COMPLAINT);
        reg.withdrawBid(TENDER, _pseudonym(1), 2, sig);
        ITenderRegistry.SealedBidView memory s = reg.getSealedBid(TENDER, _pseudonym(1));
        assertFalse(s.active, "withdrawn");
        assertEq(s.commitment, bytes32(0), "cleared");
        sig = _sign(PSEUDONYM_KEY_BASE + 1, reg.withdrawalDigest(TENDER, _pseudonym(1), 3));
        _expect(abi.encodeWithSelector(ITenderRegistry.TenderRegistryNoActiveBid.selector, TENDER, _pseudonym(1)));
        reg.withdrawBid(TENDER, _pseudonym(1), 3, sig);
        vm.warp(DEADLINE);
        _expect(abi.encodeWithSelector(ITenderRegistry.TenderRegistryNoActiveBid.selector, TENDER, _pseudonym(1)));
        reg.revealBid(TENDER, _pseudonym(1), _reveal(1, 1), "");
    }

    // ------------------------------------------------------------------ reveal

    function test_RevealBid() public {
        _sealedThree(TENDER);
        ITenderRegistry.BidReveal memory r = _reveal(2, 1);
        bytes memory sig = _bidSig(TENDER, BIDDER_KEY_BASE + 2, _pseudonym(2), r);
        vm.expectEmit(true, true, true, true, address(reg));
        emit ITenderRegistry.BidRevealed(
            TENDER, r.bidder, _pseudonym(2), r.ciphertextDigest, r.plaintextCommitment, r.envelopeDigest, sig
        );
        vm.prank(_bidder(2)); // the bidder may reveal itself if the service does not
        reg.revealBid(TENDER, _pseudonym(2), r, sig);
        ITenderRegistry.BidView memory bid = reg.getBid(TENDER, r.bidder);
        assertEq(bid.pseudonym, _pseudonym(2), "pseudonym");
        assertEq(bid.ciphertextDigest, r.ciphertextDigest, "ciphertext digest");
        assertEq(bid.revealedAt, DEADLINE, "revealedAt");
        assertEq(bid.submittedAt, COMPLAINT, "submittedAt");
        assertEq(reg.getTender(TENDER).revealedBids, 1, "count");
        assertEq(reg.bidders(TENDER)[0], r.bidder, "listed");
        assertTrue(reg.getSealedBid(TENDER, _pseudonym(2)).revealed, "revealed");
    }

    function test_RevertWhen_RevealIsRefused() public {
        _sealedThree(TENDER);
        ITenderRegistry.BidReveal memory r = _reveal(1, 1);
        bytes memory sig = _bidSig(TENDER, BIDDER_KEY_BASE + 1, _pseudonym(1), r);
        // a wrong salt does not open the commitment
        ITenderRegistry.BidReveal memory wrong = _reveal(1, 1);
        wrong.salt = keccak256("guess");
        bytes32 sealedOne = reg.getSealedBid(TENDER, _pseudonym(1)).commitment;
        _expect(
            abi.encodeWithSelector(
                ITenderRegistry.TenderRegistryRevealMismatch.selector,
                TENDER,
                _pseudonym(1),
                sealedOne,
                reg.sealedBidCommitment(TENDER, wrong)
            )
        );
        reg.revealBid(TENDER, _pseudonym(1), wrong, sig);
        // the operator cannot sign in the bidder's name
        bytes memory forged = _bidSig(TENDER, KEY_OPERATOR, _pseudonym(1), r);
        _expectBadSignature(r.bidder, vm.addr(KEY_OPERATOR));
        reg.revealBid(TENDER, _pseudonym(1), r, forged);
        // a bid that names bidder 1 but sealed under pseudonym 2's commitment does not open
        vm.expectRevert();
        reg.revealBid(TENDER, _pseudonym(2), r, sig);
        reg.revealBid(TENDER, _pseudonym(1), r, sig);
        _expect(
            abi.encodeWithSelector(
                ITenderRegistry.TenderRegistryAlreadyRevealed.selector, TENDER, r.bidder, _pseudonym(1)
            )
        );
        reg.revealBid(TENDER, _pseudonym(1), r, sig);
        ITenderRegistry.BidReveal memory zero = _reveal(1, 1);
        zero.bidder = address(0);
        _expect(abi.encodeWithSelector(ITenderRegistry.TenderRegistryZeroBidder.selector, TENDER));
        reg.revealBid(TENDER, _pseudonym(2), zero, sig);
        vm.warp(OPENING);
        _expectPassed(TENDER, OPENING, OPENING);
        reg.revealBid(TENDER, _pseudonym(2), _reveal(2, 1), "");
    }

    /// @notice One bid per bidder: a bidder holding two pseudonyms reveals only one.
    function test_RevertWhen_BidderRevealsTwice() public {
        _keyed(TENDER);
        _register(TENDER, 1);
        _register(TENDER, 9);
        _seal(TENDER, 1, 1);
        // pseudonym 9 also seals a bid of bidder 1
        ITenderRegistry.BidReveal memory r = _reveal(1, 2);
        bytes32 commitment = reg.sealedBidCommitment(TENDER, r);
        bytes memory sealSig = _sealSig(TENDER, PSEUDONYM_KEY_BASE + 9, _pseudonym(9), commitment, 1);
        reg.submitBid(TENDER, _pseudonym(9), commitment, 1, sealSig);
        vm.warp(DEADLINE);
        _open(TENDER, 1, 1);
        bytes memory sig = _bidSig(TENDER, BIDDER_KEY_BASE + 1, _pseudonym(9), r);
        _expect(
            abi.encodeWithSelector(
                ITenderRegistry.TenderRegistryAlreadyRevealed.selector, TENDER, r.bidder, _pseudonym(1)
            )
        );
        reg.revealBid(TENDER, _pseudonym(9), r, sig);
    }

    // ------------------------------------------------------------------ releaseShare, opening

    function test_ReleaseShareAndOpen() public {
        _revealedThree(TENDER);
        bytes32 share = bytes32(ORDER - 1);
        vm.expectEmit(true, true, true, true, address(reg));
        emit ITenderRegistry.ShareReleased(TENDER, 2, _custodian(2), share);
        vm.prank(_custodian(2));
        reg.releaseShare(TENDER, 2, share);
        assertEq(reg.releasedShare(TENDER, 2), share, "released");
        vm.prank(OPERATOR);
        _expect(abi.encodeWithSelector(ITenderRegistry.TenderRegistryTooFewShares.selector, TENDER, 1, T));
        reg.recordOpening(TENDER, keccak256("record"));
        _release(TENDER, 3);
        vm.expectEmit(true, true, true, true, address(reg));
        emit ITenderRegistry.TenderOpened(TENDER, keccak256("record"), 3, 2);
        vm.prank(OPERATOR);
        reg.recordOpening(TENDER, keccak256("record"));
        assertTrue(_status(TENDER) == ITenderRegistry.Status.Opened, "opened");
        _expectStatus(TENDER, ITenderRegistry.Status.Opened, ITenderRegistry.Status.Open);
        _release(TENDER, 1);
    }

    function test_RevertWhen_ReleaseIsRefused() public {
        _sealedThree(TENDER);
        _open(TENDER, 1, 1);
        _open(TENDER, 2, 1);
        vm.warp(OPENING - 1);
        _expectTooEarly(TENDER, OPENING, OPENING - 1);
        _release(TENDER, 1);
        vm.warp(OPENING);
        // three sealed, two revealed: the tender can only fail, its bids stay sealed
        _expect(abi.encodeWithSelector(ITenderRegistry.TenderRegistryTooFewBids.selector, TENDER, 2, 3));
        _release(TENDER, 1);
        _expect(abi.encodeWithSelector(ITenderRegistry.TenderRegistryBadIndex.selector, TENDER, 4, N));
        reg.releaseShare(TENDER, 4, bytes32(uint256(1)));
        _expect(
            abi.encodeWithSelector(
                ITenderRegistry.TenderRegistryNotCustodian.selector, TENDER, 1, _custodian(1), OPERATOR
            )
        );
        vm.prank(OPERATOR);
        reg.releaseShare(TENDER, 1, bytes32(uint256(1)));
    }

    function test_RevertWhen_ShareIsBad() public {
        _revealedThree(TENDER);
        vm.startPrank(_custodian(1));
        _expect(abi.encodeWithSelector(ITenderRegistry.TenderRegistryBadShare.selector, TENDER, 1));
        reg.releaseShare(TENDER, 1, 0);
        _expect(abi.encodeWithSelector(ITenderRegistry.TenderRegistryBadShare.selector, TENDER, 1));
        reg.releaseShare(TENDER, 1, bytes32(ORDER));
        reg.releaseShare(TENDER, 1, bytes32(uint256(1)));
        _expect(abi.encodeWithSelector(ITenderRegistry.TenderRegistryShareAlreadyReleased.selector, TENDER, 1));
        reg.releaseShare(TENDER, 1, bytes32(uint256(2)));
        vm.stopPrank();
    }

    // ------------------------------------------------------------------ failure, cancellation

    function test_DeclareFailed() public {
        _create(OTHER); // its key generation never ends
        _sealedThree(TENDER);
        _open(TENDER, 1, 1);
        vm.startPrank(OPERATOR);
        _expectTooEarly(TENDER, OPENING, DEADLINE);
        reg.declareFailed(TENDER);
        vm.warp(OPENING);
        vm.expectEmit(true, true, true, true, address(reg));
        emit ITenderRegistry.TenderFailed(TENDER, 1);
        reg.declareFailed(TENDER);
        _expectNotOpen(TENDER, ITenderRegistry.Status.Failed);
        reg.cancelTender(TENDER, keccak256("reason"));
        reg.declareFailed(OTHER);
        vm.stopPrank();
        assertTrue(_status(OTHER) == ITenderRegistry.Status.Failed, "failed without a key");
    }

    function test_RevertWhen_DeclareFailedWithEnoughBids() public {
        _revealedThree(TENDER);
        vm.prank(OPERATOR);
        _expect(abi.encodeWithSelector(ITenderRegistry.TenderRegistryEnoughBids.selector, TENDER, 3, 3));
        reg.declareFailed(TENDER);
    }

    function test_CancelTender() public {
        _create(OTHER);
        vm.prank(OPERATOR);
        _expect(abi.encodeWithSelector(ITenderRegistry.TenderRegistryZeroDigest.selector, OTHER));
        reg.cancelTender(OTHER, 0);
        vm.prank(OPERATOR);
        reg.cancelTender(OTHER, keccak256("reason")); // during key generation
        _keyed(TENDER);
        vm.expectEmit(true, true, true, true, address(reg));
        emit ITenderRegistry.TenderCancelled(TENDER, keccak256("reason"));
        vm.prank(OPERATOR);
        reg.cancelTender(TENDER, keccak256("reason"));
        assertTrue(_status(TENDER) == ITenderRegistry.Status.Cancelled, "cancelled");
        _expectNotOpen(TENDER, ITenderRegistry.Status.Cancelled);
        vm.prank(OPERATOR);
        reg.registerBidder(TENDER, _pseudonym(1));
    }

    /// @notice Attack 7 (read the prices, then re-tender): no cancellation from the bid
    /// deadline on, and none after a share release.
    function testFuzz_Attack_NoCancelAfterTheDeadline(uint64 late) public {
        _revealedThree(TENDER);
        _release(TENDER, 1);
        uint64 time = uint64(bound(late, DEADLINE, OPENING * 2));
        vm.warp(time);
        vm.prank(OPERATOR);
        _expectPassed(TENDER, DEADLINE, time);
        reg.cancelTender(TENDER, keccak256("reason"));
    }

    function test_Attack_NoCancelAfterAShareEvenWithARewoundClock() public {
        TenderRegistryWithClock clocked = new TenderRegistryWithClock(ADMIN, OPERATOR);
        reg = clocked;
        clocked.setClock(START);
        _revealedThreeClocked(clocked);
        _release(TENDER, 1);
        clocked.setClock(START); // an operator that rewinds its own clock
        vm.prank(OPERATOR);
        _expect(abi.encodeWithSelector(ITenderRegistry.TenderRegistrySharesReleased.selector, TENDER, 1));
        reg.cancelTender(TENDER, keccak256("reason"));
    }

    function _revealedThreeClocked(TenderRegistryWithClock clocked) internal {
        _create(TENDER);
        for (uint8 i = 1; i <= N; ++i) {
            _deal(TENDER, i);
        }
        clocked.setClock(COMPLAINT);
        _finalize(TENDER, T);
        for (uint256 i = 1; i <= 3; ++i) {
            _register(TENDER, i);
            _seal(TENDER, i, 1);
        }
        clocked.setClock(DEADLINE);
        for (uint256 i = 1; i <= 3; ++i) {
            _open(TENDER, i, 1);
        }
        clocked.setClock(OPENING);
    }

    // ------------------------------------------------------------------ clock seam, gas

    function test_TimeSeamIsOverridable() public {
        TenderRegistryWithClock clocked = new TenderRegistryWithClock(ADMIN, OPERATOR);
        reg = clocked;
        clocked.setClock(START);
        _revealedThreeClocked(clocked);
        assertEq(reg.getBid(TENDER, _bidder(1)).revealedAt, DEADLINE, "revealedAt from _time()");
        clocked.setClock(OPENING - 1);
        _expectTooEarly(TENDER, OPENING, OPENING - 1);
        _release(TENDER, 1);
    }

    /// @dev Execution gas only; vm.cool makes storage cold as at a transaction's start.
    function test_Gas_Bids() public {
        _keyed(TENDER);
        _register(TENDER, 1);
        bytes32 commitment = reg.sealedBidCommitment(TENDER, _reveal(1, 1));
        bytes memory sig = _sealSig(TENDER, PSEUDONYM_KEY_BASE + 1, _pseudonym(1), commitment, 1);
        vms.cool(address(reg));
        uint256 before = gasleft();
        reg.submitBid(TENDER, _pseudonym(1), commitment, 1, sig);
        uint256 used = before - gasleft();
        console.log("gas: submitBid, execution only", used);
        assertLt(used, 70_000, "submitBid gas");
        vm.warp(DEADLINE);
        ITenderRegistry.BidReveal memory r = _reveal(1, 1);
        bytes memory bidSig = _bidSig(TENDER, BIDDER_KEY_BASE + 1, _pseudonym(1), r);
        vms.cool(address(reg));
        before = gasleft();
        reg.revealBid(TENDER, _pseudonym(1), r, bidSig);
        used = before - gasleft();
        console.log("gas: revealBid, execution only", used);
        assertLt(used, 200_000, "revealBid gas");
    }
}
