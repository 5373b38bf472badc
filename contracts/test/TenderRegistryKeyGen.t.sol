// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {ITenderRegistry} from "../src/ITenderRegistry.sol";
import {TenderRegistry} from "../src/TenderRegistry.sol";
import {TenderRegistryFixture} from "./TenderRegistryFixture.sol";

/// @notice Custodian keys, tender creation and the authenticated key generation, each
/// attack of issue 9 played by the operator (or a custodian acting for others).
contract TenderRegistryKeyGenTest is TenderRegistryFixture {
    // ------------------------------------------------------------------ custodian keys

    function test_RegisterCustodianKey() public {
        address c1 = _custodian(1);
        vm.expectEmit(true, true, true, true, address(reg));
        emit ITenderRegistry.CustodianKeyRegistered(c1, _point(1));
        vm.prank(c1);
        reg.registerCustodianKey(_point(1));
        assertEq(keccak256(reg.custodianKey(c1)), keccak256(_point(1)), "stored under the sender");
        assertEq(reg.custodianKey(_custodian(2)).length, 0, "nobody else");
        vm.prank(c1); // the same key again, or a rotation, by its owner
        reg.registerCustodianKey(_point(1));
        vm.prank(c1);
        reg.registerCustodianKey(_point(9));
        assertEq(keccak256(reg.custodianKey(c1)), keccak256(_point(9)), "rotated");
    }

    function test_RevertWhen_CustodianKeyIsNotAPoint() public {
        bytes memory notOnCurve = abi.encodePacked(bytes1(0x02), uint256(5)); // 5^3 + 7 is no square
        bytes memory xTooLarge = abi.encodePacked(bytes1(0x02), FIELD);
        bytes memory uncompressedPrefix = bytes.concat(_point(1));
        uncompressedPrefix[0] = 0x04;
        bytes memory short = new bytes(32);
        bytes memory long = bytes.concat(_point(1), hex"00");
        bytes[5] memory bad = [notOnCurve, xTooLarge, uncompressedPrefix, short, long];
        for (uint256 i = 0; i < bad.length; ++i) {
            _expect(abi.encodeWithSelector(ITenderRegistry.TenderRegistryBadCustodianKey.selector, bad[i]));
            vm.prank(_custodian(1));
            reg.registerCustodianKey(bad[i]);
        }
        vm.prank(_custodian(1));
        reg.registerCustodianKey(abi.encodePacked(bytes1(0x03), uint256(1))); // x = 1 lies on the curve
    }

    /// @notice Attack 3 (substituted keys): the operator cannot register a key for a
    /// custodian, nor claim a custodian's key as its own, nor supply keys to createTender.
    function test_Attack_OperatorCannotSubstituteCustodianKeys() public {
        _registerKeys(reg, N);
        _expect(
            abi.encodeWithSelector(ITenderRegistry.TenderRegistryCustodianKeyTaken.selector, _point(2), _custodian(2))
        );
        vm.prank(OPERATOR);
        reg.registerCustodianKey(_point(2));
        // The operator's own key sits under the operator's address, never a custodian's.
        vm.prank(OPERATOR);
        reg.registerCustodianKey(_point(20));
        vm.prank(OPERATOR);
        reg.createTender(TENDER, DEALING, COMPLAINT, DEADLINE, OPENING, _custodians(N), T);
        bytes memory keys = reg.custodianKeys(TENDER);
        assertEq(keccak256(keys), keccak256(bytes.concat(_point(1), _point(2), _point(3))), "the custodians' own");
        assertEq(reg.getTender(TENDER).custodianKeysHash, keccak256(keys), "hash stored");
        // A later rotation does not change a running tender's keys.
        vm.prank(_custodian(2));
        reg.registerCustodianKey(_point(21));
        assertEq(keccak256(reg.custodianKeys(TENDER)), keccak256(keys), "copied at creation");
    }

    // ------------------------------------------------------------------ createTender

    function test_CreateTender() public {
        _registerKeys(reg, N);
        bytes memory keys = bytes.concat(_point(1), _point(2), _point(3));
        vm.expectEmit(true, true, true, true, address(reg));
        emit ITenderRegistry.TenderCreated(TENDER, DEALING, COMPLAINT, DEADLINE, OPENING, T, _custodians(N), keys);
        vm.prank(OPERATOR);
        reg.createTender(TENDER, DEALING, COMPLAINT, DEADLINE, OPENING, _custodians(N), T);
        ITenderRegistry.TenderView memory t = reg.getTender(TENDER);
        assertTrue(t.status == ITenderRegistry.Status.KeyGeneration, "key generation first");
        assertEq(t.round, 1, "round 1");
        assertEq(t.threshold, T, "t");
        assertEq(t.custodianCount, N, "n");
        assertEq(t.openingKeyHash, bytes32(0), "no key yet");
        assertEq(t.dealingDeadline, DEALING, "dealing deadline");
        assertEq(t.complaintDeadline, COMPLAINT, "complaint deadline");
        assertEq(reg.custodians(TENDER)[2], _custodian(3), "custodian 3");
    }

    function test_RevertWhen_CreateIsRefused() public {
        _registerKeys(reg, N);
        address[] memory list = _custodians(N);
        vm.startPrank(OPERATOR);
        reg.createTender(TENDER, DEALING, COMPLAINT, DEADLINE, OPENING, list, T);
        _expect(abi.encodeWithSelector(ITenderRegistry.TenderRegistryTenderExists.selector, TENDER));
        reg.createTender(TENDER, DEALING, COMPLAINT, DEADLINE, OPENING, list, T);
        list[1] = address(0);
        _expect(abi.encodeWithSelector(ITenderRegistry.TenderRegistryBadCustodian.selector, 2, address(0)));
        reg.createTender(OTHER, DEALING, COMPLAINT, DEADLINE, OPENING, list, T);
        list[1] = list[0];
        _expect(abi.encodeWithSelector(ITenderRegistry.TenderRegistryBadCustodian.selector, 2, list[0]));
        reg.createTender(OTHER, DEALING, COMPLAINT, DEADLINE, OPENING, list, T);
        list[1] = STRANGER;
        _expect(abi.encodeWithSelector(ITenderRegistry.TenderRegistryNoCustodianKey.selector, 2, STRANGER));
        reg.createTender(OTHER, DEALING, COMPLAINT, DEADLINE, OPENING, list, T);
        _expect(abi.encodeWithSelector(ITenderRegistry.TenderRegistryBadCustodianCount.selector, 0));
        reg.createTender(OTHER, DEALING, COMPLAINT, DEADLINE, OPENING, new address[](0), T);
        _expect(abi.encodeWithSelector(ITenderRegistry.TenderRegistryBadCustodianCount.selector, 33));
        reg.createTender(OTHER, DEALING, COMPLAINT, DEADLINE, OPENING, new address[](33), T);
        vm.stopPrank();
    }

    /// @notice Attack 5 (weak thresholds): t = 1, 2-of-2, 3-of-4 and 5-of-5 are refused,
    /// exactly as the public verifier refuses them; 3-of-5 and 16-of-32 are accepted.
    function test_Attack_WeakThresholdsAreRefused() public {
        _registerKeys(reg, 32);
        uint8[4] memory ts = [1, 2, 3, 5];
        uint256[4] memory ns = [uint256(5), 2, 4, 5];
        vm.startPrank(OPERATOR);
        for (uint256 k = 0; k < ts.length; ++k) {
            _expect(abi.encodeWithSelector(ITenderRegistry.TenderRegistryBadThreshold.selector, ts[k], ns[k]));
            reg.createTender(OTHER, DEALING, COMPLAINT, DEADLINE, OPENING, _custodians(ns[k]), ts[k]);
        }
        reg.createTender(TENDER, DEALING, COMPLAINT, DEADLINE, OPENING, _custodians(5), 3);
        reg.createTender(OTHER, DEALING, COMPLAINT, DEADLINE, OPENING, _custodians(32), 16);
        vm.stopPrank();
        assertEq(reg.getTender(OTHER).custodianCount, 32, "16-of-32");
    }

    function testFuzz_ThresholdRule(uint8 t, uint8 n) public {
        n = uint8(bound(n, 1, 32));
        _registerKeys(reg, n);
        bool valid = t >= 2 && 2 * uint256(t) - 1 <= n;
        if (!valid) _expect(abi.encodeWithSelector(ITenderRegistry.TenderRegistryBadThreshold.selector, t, n));
        vm.prank(OPERATOR);
        reg.createTender(TENDER, DEALING, COMPLAINT, DEADLINE, OPENING, _custodians(n), t);
        assertEq(uint8(_status(TENDER)), valid ? 5 : 0, "created iff t >= 2 and n >= 2t - 1");
    }

    function testFuzz_ScheduleRule(uint64 d, uint64 c, uint64 b, uint64 o) public {
        _registerKeys(reg, N);
        bool valid = START < d && d < c && c < b && b < o;
        if (!valid) {
            _expect(abi.encodeWithSelector(ITenderRegistry.TenderRegistryBadSchedule.selector, START, d, c, b, o));
        }
        vm.prank(OPERATOR);
        reg.createTender(TENDER, d, c, b, o, _custodians(N), T);
        assertEq(uint8(_status(TENDER)), valid ? 5 : 0, "created iff the schedule is increasing");
    }

    // ------------------------------------------------------------------ dealings

    function test_PostDealing() public {
        _create(TENDER);
        bytes memory body = _body(TENDER, 2);
        bytes memory sig = _dealingSig(TENDER, _custodianKey(2), 2, body);
        vm.expectEmit(true, true, true, true, address(reg));
        emit ITenderRegistry.DealingPosted(TENDER, 1, 2, keccak256(body), body, sig);
        vm.prank(RELAYER); // anyone may relay a signed dealing
        reg.postDealing(TENDER, 2, body, sig);
        assertEq(reg.dealingHash(TENDER, 1, 2), keccak256(body), "stored");
        assertEq(reg.dealingHash(TENDER, 1, 1), bytes32(0), "others untouched");
        _expect(abi.encodeWithSelector(ITenderRegistry.TenderRegistryAlreadyPosted.selector, TENDER, 1, 2, "dealing"));
        vm.prank(_custodian(2)); // write-once: not even its dealer replaces it
        reg.postDealing(TENDER, 2, body, sig);
    }

    /// @notice Attack 2 (impersonated dealings): the operator, or custodian 1, cannot post
    /// the dealing of index 2; nor can a dealing be replayed into another tender or round.
    function test_Attack_ImpersonatedDealingsAreRefused() public {
        _create(TENDER);
        _create(OTHER);
        bytes memory body = _body(TENDER, 2);
        bytes memory byOperator = _dealingSig(TENDER, KEY_OPERATOR, 2, body);
        _expectBadSignature(_custodian(2), vm.addr(KEY_OPERATOR));
        vm.prank(OPERATOR);
        reg.postDealing(TENDER, 2, body, byOperator);
        bytes memory byCustodian1 = _dealingSig(TENDER, _custodianKey(1), 2, body);
        _expectBadSignature(_custodian(2), _custodian(1));
        vm.prank(_custodian(1));
        reg.postDealing(TENDER, 2, body, byCustodian1);
        // custodian 2's real signature, moved to another index, tender or body
        bytes memory real = _dealingSig(TENDER, _custodianKey(2), 2, body);
        vm.startPrank(RELAYER);
        vm.expectRevert(); // recovers to some address that is not custodian 3
        reg.postDealing(TENDER, 3, body, real);
        vm.expectRevert();
        reg.postDealing(OTHER, 2, body, real);
        vm.expectRevert();
        reg.postDealing(TENDER, 2, bytes.concat(body, "x"), real);
        reg.postDealing(TENDER, 2, body, real);
        vm.stopPrank();
        assertEq(reg.dealingHash(OTHER, 1, 2), bytes32(0), "no replay across tenders");
    }

    function test_RevertWhen_DealingIsRefused() public {
        _expect(abi.encodeWithSelector(ITenderRegistry.TenderRegistryNoSuchTender.selector, TENDER));
        reg.postDealing(TENDER, 1, "x", "");
        _create(TENDER);
        bytes4 badIndex = ITenderRegistry.TenderRegistryBadIndex.selector;
        _expect(abi.encodeWithSelector(badIndex, TENDER, 0, N));
        reg.postDealing(TENDER, 0, "x", "");
        _expect(abi.encodeWithSelector(badIndex, TENDER, 4, N));
        reg.postDealing(TENDER, 4, "x", "");
        uint256 max = reg.MAX_DKG_BODY_BYTES();
        bytes4 badLength = ITenderRegistry.TenderRegistryBadBodyLength.selector;
        _expect(abi.encodeWithSelector(badLength, 0, max));
        reg.postDealing(TENDER, 1, "", "");
        _expect(abi.encodeWithSelector(badLength, max + 1, max));
        reg.postDealing(TENDER, 1, new bytes(max + 1), "");
        bytes memory largest = new bytes(max);
        bytes memory sig = _dealingSig(TENDER, _custodianKey(1), 1, largest);
        reg.postDealing(TENDER, 1, largest, sig);
        assertEq(reg.dealingHash(TENDER, 1, 1), keccak256(largest), "the limit itself is accepted");
    }

    function testFuzz_DealingDeadlineEdge(uint64 late) public {
        _create(TENDER);
        bytes memory body = _body(TENDER, 1);
        bytes memory sig = _dealingSig(TENDER, _custodianKey(1), 1, body);
        uint64 time = uint64(bound(late, DEALING, DEADLINE * 2));
        vm.warp(time);
        _expectPassed(TENDER, DEALING, time);
        reg.postDealing(TENDER, 1, body, sig);
        vm.warp(DEALING - 1);
        reg.postDealing(TENDER, 1, body, sig);
        assertEq(reg.dealingHash(TENDER, 1, 1), keccak256(body), "accepted one second before");
    }

    // ------------------------------------------------------------------ complaints

    function test_PostComplaints() public {
        _create(TENDER);
        _deal(TENDER, 1);
        _deal(TENDER, 2);
        bytes memory body = "complaints of 3 against 1";
        vm.warp(DEALING - 1);
        _expectTooEarly(TENDER, DEALING, DEALING - 1);
        reg.postComplaints(TENDER, 3, body, "");
        vm.warp(DEALING);
        bytes32 dealings = reg.dealingsHash(TENDER);
        bytes memory sig = _complaintsSig(TENDER, _custodianKey(3), 3, dealings, body);
        vm.expectEmit(true, true, true, true, address(reg));
        emit ITenderRegistry.ComplaintsPosted(TENDER, 1, 3, dealings, keccak256(body), body, sig);
        vm.prank(RELAYER);
        reg.postComplaints(TENDER, 3, body, sig);
        assertEq(reg.complaintsHash(TENDER, 1, 3), keccak256(body), "stored");
        _expect(
            abi.encodeWithSelector(ITenderRegistry.TenderRegistryAlreadyPosted.selector, TENDER, 1, 3, "complaints")
        );
        reg.postComplaints(TENDER, 3, body, sig);
        vm.warp(COMPLAINT);
        bytes memory late = _complaintsSig(TENDER, _custodianKey(1), 1, dealings, body);
        _expectPassed(TENDER, COMPLAINT, COMPLAINT);
        reg.postComplaints(TENDER, 1, body, late);
    }

    /// @notice A complaint binds the dealings its accuser judged: one signed over another
    /// set (what an operator showing different dealings would collect) is refused, and
    /// the operator cannot post complaints in a custodian's name.
    function test_Attack_ComplaintsBindTheDealingsSeen() public {
        _create(TENDER);
        _deal(TENDER, 1);
        vm.warp(DEALING);
        bytes memory body = "complaint";
        bytes32 forged = keccak256("the dealings the operator showed custodian 2");
        bytes memory sig = _complaintsSig(TENDER, _custodianKey(2), 2, forged, body);
        vm.expectRevert(); // recovers to an unrelated address
        reg.postComplaints(TENDER, 2, body, sig);
        bytes memory byOperator = _complaintsSig(TENDER, KEY_OPERATOR, 2, reg.dealingsHash(TENDER), body);
        _expectBadSignature(_custodian(2), vm.addr(KEY_OPERATOR));
        reg.postComplaints(TENDER, 2, body, byOperator);
    }

    function test_DealingsAndTranscriptHashes() public {
        _create(TENDER);
        _deal(TENDER, 2);
        vm.warp(DEALING);
        bytes memory body = "c";
        bytes memory sig = _complaintsSig(TENDER, _custodianKey(1), 1, reg.dealingsHash(TENDER), body);
        reg.postComplaints(TENDER, 1, body, sig);
        bytes32 d2 = keccak256(_body(TENDER, 2));
        bytes32 dealings =
            keccak256(abi.encodePacked(reg.DEALINGS_TAG(), TENDER, uint256(1), bytes32(0), d2, bytes32(0)));
        assertEq(reg.dealingsHash(TENDER), dealings, "dealings hash by hand");
        bytes32 transcript = keccak256(
            abi.encodePacked(
                reg.TRANSCRIPT_TAG(),
                TENDER,
                uint256(1),
                uint256(T),
                uint256(N),
                keccak256(reg.custodianKeys(TENDER)),
                dealings,
                keccak256(body),
                bytes32(0),
                bytes32(0)
            )
        );
        assertEq(reg.transcriptHash(TENDER), transcript, "transcript hash by hand");
        assertEq(reg.DEALINGS_TAG(), keccak256("ChainWitness DKG dealings v1"), "tag");
    }

    // ------------------------------------------------------------------ finalizeKey

    function test_FinalizeKey() public {
        _create(TENDER);
        for (uint8 i = 1; i <= N; ++i) {
            _deal(TENDER, i);
        }
        vm.warp(COMPLAINT);
        bytes memory key = _openingKey();
        bytes memory commitments = _commitments(T);
        (uint8[] memory approvers, bytes[] memory sigs) = _approvals(TENDER, T, key, commitments);
        approvers[1] = 3; // any t custodians, ascending
        sigs[1] = _approval(TENDER, _custodianKey(3), key, commitments);
        bytes32 transcript = reg.transcriptHash(TENDER);
        vm.expectEmit(true, true, true, true, address(reg));
        emit ITenderRegistry.KeyFinalized(TENDER, 1, key, commitments, transcript, approvers);
        vm.prank(STRANGER); // anyone may relay
        reg.finalizeKey(TENDER, key, commitments, approvers, sigs);
        ITenderRegistry.TenderView memory t = reg.getTender(TENDER);
        assertTrue(t.status == ITenderRegistry.Status.Open, "open");
        assertEq(t.openingKeyHash, keccak256(key), "key");
        assertEq(t.commitmentsHash, keccak256(commitments), "commitments");
        assertEq(t.transcriptHash, transcript, "transcript");
        _expectStatus(TENDER, ITenderRegistry.Status.Open, ITenderRegistry.Status.KeyGeneration);
        reg.finalizeKey(TENDER, key, commitments, approvers, sigs);
    }

    /// @notice Attack 1 and 5 (rogue / operator-chosen key): without t custodian
    /// signatures over this very key and transcript no key is accepted.
    function test_Attack_RogueKeyIsRefused() public {
        _create(TENDER);
        _deal(TENDER, 1);
        _deal(TENDER, 2);
        vm.warp(COMPLAINT);
        bytes memory key = _openingKey();
        bytes memory commitments = _commitments(T);
        // no signatures at all
        _expect(abi.encodeWithSelector(ITenderRegistry.TenderRegistryTooFewApprovals.selector, TENDER, 0, T));
        vm.prank(OPERATOR);
        reg.finalizeKey(TENDER, key, commitments, new uint8[](0), new bytes[](0));
        // t - 1 custodians
        (uint8[] memory one, bytes[] memory oneSig) = _approvals(TENDER, 1, key, commitments);
        _expect(abi.encodeWithSelector(ITenderRegistry.TenderRegistryTooFewApprovals.selector, TENDER, 1, T));
        reg.finalizeKey(TENDER, key, commitments, one, oneSig);
        // the operator signs in custodian 2's place
        (uint8[] memory approvers, bytes[] memory sigs) = _approvals(TENDER, T, key, commitments);
        sigs[1] = _approval(TENDER, KEY_OPERATOR, key, commitments);
        _expectBadSignature(_custodian(2), vm.addr(KEY_OPERATOR));
        reg.finalizeKey(TENDER, key, commitments, approvers, sigs);
        // one custodian's signature counted twice
        (approvers, sigs) = _approvals(TENDER, T, key, commitments);
        approvers[1] = 1;
        sigs[1] = sigs[0];
        _expect(abi.encodeWithSelector(ITenderRegistry.TenderRegistryBadApprovers.selector, 2, 2));
        reg.finalizeKey(TENDER, key, commitments, approvers, sigs);
        // honest approvals of Y, presented with the operator's own key T·G
        (approvers, sigs) = _approvals(TENDER, T, key, commitments);
        bytes memory rogue = _point(30);
        bytes memory rogueCommitments = bytes.concat(rogue, _point(8));
        vm.expectRevert();
        reg.finalizeKey(TENDER, rogue, rogueCommitments, approvers, sigs);
        // honest approvals of Y with other commitments A_1
        vm.expectRevert();
        reg.finalizeKey(TENDER, key, bytes.concat(key, _point(31)), approvers, sigs);
        assertTrue(_status(TENDER) == ITenderRegistry.Status.KeyGeneration, "no key accepted");
        reg.finalizeKey(TENDER, key, commitments, approvers, sigs);
    }

    /// @notice Approvals bind the transcript: signed before custodian 3's dealing was
    /// posted, they no longer match once it is (the operator cannot hide a dealing from
    /// some custodians and collect their approvals of a smaller transcript).
    function test_Attack_ApprovalOfAnotherTranscriptIsRefused() public {
        _create(TENDER);
        _deal(TENDER, 1);
        _deal(TENDER, 2);
        bytes memory key = _openingKey();
        bytes memory commitments = _commitments(T);
        (uint8[] memory approvers, bytes[] memory sigs) = _approvals(TENDER, T, key, commitments);
        _deal(TENDER, 3);
        vm.warp(COMPLAINT);
        vm.expectRevert();
        reg.finalizeKey(TENDER, key, commitments, approvers, sigs);
    }

    function test_RevertWhen_FinalizeIsRefused() public {
        _create(TENDER);
        bytes memory key = _openingKey();
        bytes memory commitments = _commitments(T);
        (uint8[] memory approvers, bytes[] memory sigs) = _approvals(TENDER, T, key, commitments);
        vm.warp(COMPLAINT - 1);
        _expectTooEarly(TENDER, COMPLAINT, COMPLAINT - 1);
        reg.finalizeKey(TENDER, key, commitments, approvers, sigs);
        vm.warp(COMPLAINT);
        _expect(abi.encodeWithSelector(ITenderRegistry.TenderRegistryBadApprovers.selector, 2, 1));
        reg.finalizeKey(TENDER, key, commitments, approvers, new bytes[](1));
        uint8[] memory outOfRange = new uint8[](2);
        (outOfRange[0], outOfRange[1]) = (1, 4);
        _expect(abi.encodeWithSelector(ITenderRegistry.TenderRegistryBadIndex.selector, TENDER, 4, N));
        reg.finalizeKey(TENDER, key, commitments, outOfRange, sigs);
        _expect(abi.encodeWithSelector(ITenderRegistry.TenderRegistryBadOpeningKey.selector, 32, bytes1(0x00)));
        reg.finalizeKey(TENDER, new bytes(32), commitments, approvers, sigs);
        bytes memory key4 = bytes.concat(key);
        key4[0] = 0x04;
        _expect(abi.encodeWithSelector(ITenderRegistry.TenderRegistryBadOpeningKey.selector, 33, bytes1(0x04)));
        reg.finalizeKey(TENDER, key4, commitments, approvers, sigs);
        _expect(abi.encodeWithSelector(ITenderRegistry.TenderRegistryBadCommitmentsLength.selector, 66, 33));
        reg.finalizeKey(TENDER, key, key, approvers, sigs);
        _expect(abi.encodeWithSelector(ITenderRegistry.TenderRegistryBadCommitment.selector, 0));
        reg.finalizeKey(TENDER, key, bytes.concat(_point(8), _point(8)), approvers, sigs);
        bytes memory badA1 = bytes.concat(commitments);
        badA1[33] = 0x05;
        _expect(abi.encodeWithSelector(ITenderRegistry.TenderRegistryBadCommitment.selector, 1));
        reg.finalizeKey(TENDER, key, badA1, approvers, sigs);
        vm.warp(DEADLINE);
        _expectPassed(TENDER, DEADLINE, DEADLINE);
        reg.finalizeKey(TENDER, key, commitments, approvers, sigs);
    }

    // ------------------------------------------------------------------ re-run

    /// @notice Fewer than t qualified: a new round with new deadlines; the old round's
    /// dealings and approvals do not carry over.
    function test_RestartKeyGeneration() public {
        _create(TENDER);
        _deal(TENDER, 1);
        bytes memory key = _openingKey();
        bytes memory commitments = _commitments(T);
        vm.warp(COMPLAINT);
        (uint8[] memory approvers, bytes[] memory sigs) = _approvals(TENDER, T, key, commitments);
        uint64 d2 = COMPLAINT + 1 days;
        uint64 c2 = COMPLAINT + 2 days;
        vm.prank(OPERATOR);
        vm.expectEmit(true, true, true, true, address(reg));
        emit ITenderRegistry.KeyGenerationRestarted(TENDER, 2, d2, c2);
        reg.restartKeyGeneration(TENDER, d2, c2);
        assertEq(_round(TENDER), 2, "round 2");
        assertEq(reg.dealingHash(TENDER, 2, 1), bytes32(0), "round 2 starts empty");
        _deal(TENDER, 1); // dealer 1 deals afresh in round 2
        assertEq(reg.dealingHash(TENDER, 2, 1), keccak256(_body(TENDER, 1)), "stored under round 2");
        vm.warp(c2);
        vm.expectRevert(); // round-1 approvals are not round-2 approvals
        reg.finalizeKey(TENDER, key, commitments, approvers, sigs);
        _finalize(TENDER, T);
        assertTrue(_status(TENDER) == ITenderRegistry.Status.Open, "keyed in round 2");
    }

    function test_RevertWhen_RestartIsRefused() public {
        _create(TENDER);
        vm.startPrank(OPERATOR);
        _expectTooEarly(TENDER, COMPLAINT, START);
        reg.restartKeyGeneration(TENDER, COMPLAINT + 1, COMPLAINT + 2);
        vm.warp(COMPLAINT);
        bytes4 sel = ITenderRegistry.TenderRegistryBadSchedule.selector;
        _expect(abi.encodeWithSelector(sel, COMPLAINT, COMPLAINT + 1, DEADLINE, DEADLINE, OPENING));
        reg.restartKeyGeneration(TENDER, COMPLAINT + 1, DEADLINE);
        vm.stopPrank();
        vm.prank(STRANGER);
        vm.expectRevert(); // AccessControl: operators only
        reg.restartKeyGeneration(TENDER, COMPLAINT + 1, COMPLAINT + 2);
        _finalize(TENDER, T);
        vm.prank(OPERATOR);
        _expectStatus(TENDER, ITenderRegistry.Status.Open, ITenderRegistry.Status.KeyGeneration);
        reg.restartKeyGeneration(TENDER, COMPLAINT + 1, COMPLAINT + 2);
    }

    // ------------------------------------------------------------------ gas

    function test_Gas_KeyGeneration() public {
        _create(TENDER);
        bytes memory body = new bytes(900); // a 3-of-5 dealing is about 1.9 KB of JSON
        bytes memory sig = _dealingSig(TENDER, _custodianKey(1), 1, body);
        vms.cool(address(reg));
        uint256 before = gasleft();
        reg.postDealing(TENDER, 1, body, sig);
        uint256 used = before - gasleft();
        assertLt(used, 80_000, "postDealing gas");
        vm.warp(COMPLAINT);
        bytes memory key = _openingKey();
        bytes memory commitments = _commitments(T);
        (uint8[] memory approvers, bytes[] memory sigs) = _approvals(TENDER, T, key, commitments);
        vms.cool(address(reg));
        before = gasleft();
        reg.finalizeKey(TENDER, key, commitments, approvers, sigs);
        used = before - gasleft();
        assertLt(used, 150_000, "finalizeKey gas");
    }
}
