// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {EvidenceLog, IEvidenceLog} from "../src/EvidenceLog.sol";
import {EvidenceLogFixture, EvidenceLogWithClock, Rfc9162Harness} from "./utils/EvidenceLogFixture.sol";
import {RefMerkle} from "./utils/RefMerkle.sol";
import {SyntheticTree} from "./utils/SyntheticTree.sol";

/// @notice Behaviour of EvidenceLog: roles, heads, every revert path, events, gas.
/// Proof vectors and fuzzing of the verifier are in EvidenceLogProofs.t.sol, the size
/// binding in EvidenceLogSize.t.sol, gas in EvidenceLogGas.t.sol.
/// Values are computed before vm.prank/vm.expectRevert: RefMerkle calls the sha256
/// precompile, and forge counts a precompile call as "the next call".
contract EvidenceLogTest is EvidenceLogFixture {
    // ------------------------------------------------------------------ metadata, roles

    function test_Version() public view {
        assertEq(log.version(), "EvidenceLog 2", "version");
    }

    function test_ConstructorGrantsRoles() public view {
        assertEq(log.ANCHORER_ROLE(), keccak256("ANCHORER_ROLE"), "role id");
        assertTrue(log.hasRole(log.DEFAULT_ADMIN_ROLE(), ADMIN), "admin is admin");
        assertTrue(log.hasRole(log.ANCHORER_ROLE(), ANCHORER), "anchorer is anchorer");
        assertFalse(log.hasRole(log.ANCHORER_ROLE(), ADMIN), "admin is not anchorer");
        assertFalse(log.hasRole(log.DEFAULT_ADMIN_ROLE(), ANCHORER), "anchorer is not admin");
        assertEq(log.MAX_PROOF_LENGTH(), 128, "proof bound");
        assertEq(log.MAX_LEAF_BYTES(), 65_536, "leaf bound");
    }

    function test_RevertWhen_CallerLacksAnchorerRole() public {
        bytes32 role = log.ANCHORER_ROLE();
        bytes32 root = RefMerkle.root(1);
        address[2] memory callers = [STRANGER, ADMIN];
        for (uint256 i = 0; i < callers.length; ++i) {
            vm.prank(callers[i]);
            vm.expectRevert(
                abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, callers[i], role)
            );
            log.anchor(1, root, _noProof(), _noSizeProof());
        }
        assertEq(log.headCount(), 0, "nothing anchored");
    }

    function test_AdminGrantsAndRevokesAnchorer() public {
        bytes32 role = log.ANCHORER_ROLE();
        bytes32 root1 = RefMerkle.root(1);
        bytes32 root2 = RefMerkle.root(2);
        bytes32[] memory proof = RefMerkle.consistencyProof(1, 2);
        IEvidenceLog.SizeProof memory sizeProof1 = RefMerkle.sizeProof(1);
        vm.prank(ADMIN);
        log.grantRole(role, STRANGER);
        vm.prank(STRANGER);
        log.anchor(1, root1, _noProof(), sizeProof1);

        vm.prank(ADMIN);
        log.revokeRole(role, STRANGER);
        vm.prank(STRANGER);
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, STRANGER, role)
        );
        log.anchor(2, root2, proof, _noSizeProof());
    }

    // ------------------------------------------------------------------ heads

    function test_EmptyLogHead() public {
        (uint64 size, bytes32 root, uint64 anchoredAt, uint256 index) = log.latestHead();
        assertEq(size, 0, "size");
        assertEq(root, EMPTY_ROOT, "root is sha256(\"\")");
        assertEq(anchoredAt, 0, "anchoredAt");
        assertEq(index, 0, "index");
        assertEq(log.headCount(), 0, "count");
        assertEq(log.rootOf(0), bytes32(0), "size 0 is never anchored");
        vm.expectRevert(abi.encodeWithSelector(IEvidenceLog.EvidenceLogNoSuchHead.selector, 0, 0));
        log.headAt(0);
    }

    function test_FirstAnchorNeedsNoProof() public {
        bytes32 root = RefMerkle.root(5);
        IEvidenceLog.SizeProof memory sizeProof = RefMerkle.sizeProof(5);
        vm.expectEmit(true, true, true, true, address(log));
        emit IEvidenceLog.HeadAnchored(0, 5, root, uint64(START_TIME), ANCHORER);
        _anchor(5, root, _noProof(), sizeProof);

        (uint64 size, bytes32 r, uint64 anchoredAt, uint64 blockNumber) = log.headAt(0);
        assertEq(size, 5, "size");
        assertEq(r, root, "root");
        assertEq(anchoredAt, START_TIME, "anchoredAt");
        assertEq(blockNumber, START_BLOCK, "blockNumber");
        assertEq(log.headCount(), 1, "count");
        assertEq(log.rootOf(5), root, "rootOf");
        _assertLatest(5, root, 0);
    }

    function test_HeadsAreAppendOnly() public {
        uint64[5] memory sizes = [uint64(1), 3, 4, 9, 40];
        for (uint256 i = 0; i < sizes.length; ++i) {
            vm.warp(START_TIME + 60 * i);
            vm.roll(START_BLOCK + 5 * i);
            bytes32[] memory proof = i == 0 ? _noProof() : RefMerkle.consistencyProof(sizes[i - 1], sizes[i]);
            bytes32 root = RefMerkle.root(sizes[i]);
            IEvidenceLog.SizeProof memory sizeProof = RefMerkle.sizeProof(sizes[i]);
            vm.expectEmit(true, true, true, true, address(log));
            emit IEvidenceLog.HeadAnchored(i, sizes[i], root, uint64(START_TIME + 60 * i), ANCHORER);
            _anchor(sizes[i], root, proof, sizeProof);
        }
        assertEq(log.headCount(), sizes.length, "count");
        for (uint256 i = 0; i < sizes.length; ++i) {
            (uint64 size, bytes32 root, uint64 anchoredAt, uint64 blockNumber) = log.headAt(i);
            assertEq(size, sizes[i], "size");
            assertEq(root, RefMerkle.root(sizes[i]), "root");
            assertEq(anchoredAt, START_TIME + 60 * i, "anchoredAt");
            assertEq(blockNumber, START_BLOCK + 5 * i, "blockNumber");
            assertEq(log.rootOf(sizes[i]), root, "rootOf");
        }
        assertEq(log.rootOf(2), bytes32(0), "unanchored size");
        _assertLatest(40, RefMerkle.root(40), 4);
        vm.expectRevert(abi.encodeWithSelector(IEvidenceLog.EvidenceLogNoSuchHead.selector, 5, 5));
        log.headAt(5);
        vm.expectRevert(abi.encodeWithSelector(IEvidenceLog.EvidenceLogNoSuchHead.selector, type(uint256).max, 5));
        log.headAt(type(uint256).max);
    }

    function test_AnchorerCannotRewriteHistory() public {
        bytes32 root8 = RefMerkle.root(8);
        bytes32 root9 = RefMerkle.root(9);
        bytes32[] memory proof = RefMerkle.consistencyProof(8, 9);
        _anchorRef(8, _noProof());
        // Same size, other root: stale, whatever the proof.
        _expectStale(8, 8);
        _anchor(8, keccak256("other"), _noProof(), _noSizeProof());
        // A fork: a 9-leaf tree whose first 8 leaves differ does not extend the head,
        // even with the genuine proof's hashes.
        bytes32 forkRoot = RefMerkle.nodeHash(keccak256("forged subtree"), RefMerkle.leafHash(8));
        IEvidenceLog.SizeProof memory sizeProof9 = RefMerkle.sizeProof(9);
        _expectBadProof(8, 9);
        _anchor(9, forkRoot, proof, sizeProof9);
        // The genuine extension is still accepted, and the old head is untouched.
        _anchor(9, root9, proof, sizeProof9);
        (, bytes32 first,,) = log.headAt(0);
        assertEq(first, root8, "head 0 unchanged");
        assertEq(log.rootOf(8), root8, "rootOf(8) unchanged");
    }

    function test_TimeSeamIsOverridable() public {
        EvidenceLogWithClock clocked = new EvidenceLogWithClock(ADMIN, ANCHORER);
        clocked.setClock(42);
        bytes32 root = RefMerkle.root(1);
        IEvidenceLog.SizeProof memory sizeProof = RefMerkle.sizeProof(1);
        vm.expectEmit(true, true, true, true, address(clocked));
        emit IEvidenceLog.HeadAnchored(0, 1, root, 42, ANCHORER);
        vm.prank(ANCHORER);
        clocked.anchor(1, root, _noProof(), sizeProof);
        (,, uint64 anchoredAt,) = clocked.headAt(0);
        assertEq(anchoredAt, 42, "anchoredAt from _time()");
    }

    // ------------------------------------------------------------------ revert paths

    function test_RevertWhen_RootIsZero() public {
        bytes32 root1 = RefMerkle.root(1);
        bytes32[] memory proof = RefMerkle.consistencyProof(1, 2);
        IEvidenceLog.SizeProof memory sizeProof1 = RefMerkle.sizeProof(1);
        vm.expectRevert(IEvidenceLog.EvidenceLogZeroRoot.selector);
        _anchor(1, bytes32(0), _noProof(), sizeProof1);
        _anchor(1, root1, _noProof(), sizeProof1);
        vm.expectRevert(IEvidenceLog.EvidenceLogZeroRoot.selector);
        _anchor(2, bytes32(0), proof, _noSizeProof());
    }

    function test_RevertWhen_SizeIsZeroOnEmptyLog() public {
        _expectStale(0, 0);
        _anchor(0, EMPTY_ROOT, _noProof(), _noSizeProof());
    }

    function test_RevertWhen_HeadIsStale() public {
        bytes32 root10 = RefMerkle.root(10);
        bytes32 root9 = RefMerkle.root(9);
        IEvidenceLog.SizeProof memory sizeProof10 = RefMerkle.sizeProof(10);
        IEvidenceLog.SizeProof memory sizeProof9 = RefMerkle.sizeProof(9);
        _anchor(10, root10, _noProof(), sizeProof10);
        _expectStale(10, 10);
        _anchor(10, root10, _noProof(), sizeProof10);
        _expectStale(10, 9);
        _anchor(9, root9, _noProof(), sizeProof9);
        _expectStale(10, 0);
        _anchor(0, EMPTY_ROOT, _noProof(), _noSizeProof());
    }

    function test_RevertWhen_ProofGivenFromEmptyLog() public {
        bytes32 root = RefMerkle.root(2);
        bytes32[] memory one = new bytes32[](1);
        one[0] = RefMerkle.leafHash(0);
        bytes32[] memory many = new bytes32[](200);
        _expectBadLength(0, 1);
        _anchor(2, root, one, _noSizeProof());
        _expectBadLength(0, 200);
        _anchor(2, root, many, _noSizeProof());
    }

    function test_RevertWhen_ProofLongerThanBound() public {
        bytes32 root4 = RefMerkle.root(4);
        bytes32[] memory over = new bytes32[](129);
        bytes32[] memory atBound = new bytes32[](128);
        _anchorRef(3, _noProof());
        // 129 hashes: rejected before any hashing.
        _expectBadLength(128, 129);
        _anchor(4, root4, over, _noSizeProof());
        // 128 hashes: within the bound, so it reaches (and fails) verification.
        _expectBadProof(3, 4);
        _anchor(4, root4, atBound, _noSizeProof());
    }

    function test_RevertWhen_ProofIsEmpty() public {
        // RFC 9162 §2.1.4.2 step 1, including a power-of-two old size where the
        // verifier supplies the first hash itself.
        bytes32 root8 = RefMerkle.root(8);
        _anchorRef(4, _noProof());
        _expectBadProof(4, 8);
        _anchor(8, root8, _noProof(), _noSizeProof());
    }

    function test_RevertWhen_ProofNotFullyConsumed() public {
        bytes32 root8 = RefMerkle.root(8);
        _anchorRef(6, _noProof());
        bytes32[] memory proof = RefMerkle.consistencyProof(6, 8);
        IEvidenceLog.SizeProof memory sizeProof8 = RefMerkle.sizeProof(8);
        bytes32[] memory longer = new bytes32[](proof.length + 1);
        for (uint256 i = 0; i < proof.length; ++i) {
            longer[i] = proof[i];
        }
        longer[proof.length] = RefMerkle.leafHash(99);
        _expectBadProof(6, 8);
        _anchor(8, root8, longer, sizeProof8);

        bytes32[] memory shorter = _copy(proof);
        assembly ("memory-safe") {
            mstore(shorter, sub(mload(shorter), 1))
        }
        _expectBadProof(6, 8);
        _anchor(8, root8, shorter, sizeProof8);

        _anchor(8, root8, proof, sizeProof8);
    }

    function test_RevertWhen_ProofIsForAnotherOldRoot() public {
        bytes32 root8 = RefMerkle.root(8);
        bytes32[] memory proof = RefMerkle.consistencyProof(5, 8);
        IEvidenceLog.SizeProof memory sizeProof8 = RefMerkle.sizeProof(8);
        (bytes32 other5, IEvidenceLog.SizeProof memory sizeProof5) = SyntheticTree.build(5, "not the 5-leaf tree");
        _anchor(5, other5, _noProof(), sizeProof5);
        _expectBadProof(5, 8);
        _anchor(8, root8, proof, sizeProof8);
    }

    /// @notice Step 6's "if sn is 0, stop and fail": without it, hashes appended after the
    /// path reaches the top would be folded into both roots. Here the 3 -> 4 proof over
    /// leaves 4..7, followed by MTH(leaves 0..3), would rebuild the 7- and 8-leaf roots.
    /// Checked on the verifier itself: since heads are size-bound, no head (3, root7)
    /// can be anchored to start from.
    function test_ConsistencyProofContinuingPastTheTopFails() public {
        Rfc9162Harness rfc = new Rfc9162Harness();
        bytes32[] memory proof = new bytes32[](4);
        proof[0] = RefMerkle.mth(6, 1);
        proof[1] = RefMerkle.mth(7, 1);
        proof[2] = RefMerkle.mth(4, 2);
        proof[3] = RefMerkle.mth(0, 4);
        bytes32 root7 = RefMerkle.root(7);
        bytes32 root8 = RefMerkle.root(8);
        assertTrue(rfc.verifyConsistency(7, 8, root7, root8, proof), "it is the genuine 7 -> 8 proof");
        assertFalse(rfc.verifyConsistency(3, 4, root7, root8, proof), "past the top");
    }

    /// @notice RFC 9162 consistency proofs do not pin the new size by themselves: the
    /// path for 4 -> 8 is also a valid 4 -> 6 path. The size proof refuses the head.
    function test_RevertWhen_ConsistencyProofFitsAWrongSize() public {
        Rfc9162Harness rfc = new Rfc9162Harness();
        bytes32 root4 = RefMerkle.root(4);
        bytes32 root8 = RefMerkle.root(8);
        bytes32[] memory proof = RefMerkle.consistencyProof(4, 8);
        IEvidenceLog.SizeProof memory sizeProof8 = RefMerkle.sizeProof(8);
        assertTrue(rfc.verifyConsistency(4, 6, root4, root8, proof), "consistency alone accepts size 6");
        _anchorRef(4, _noProof());
        // size 6: last = 5 = 0b101 has two bits set, the 8-leaf proof has three hashes
        _expectShape(6, "inclusionProof", 2, 3);
        _anchor(6, root8, proof, sizeProof8);
        assertEq(log.rootOf(6), bytes32(0), "nothing anchored under a wrong size");
        _anchor(8, root8, proof, sizeProof8);
        assertEq(log.rootOf(8), root8, "the true size anchors");
    }

    function test_RootOfFindsEveryAnchoredSize() public {
        uint64[6] memory sizes = [uint64(1), 2, 5, 8, 9, 33];
        _anchorRef(sizes[0], _noProof());
        for (uint256 i = 1; i < sizes.length; ++i) {
            _anchorRef(sizes[i], RefMerkle.consistencyProof(sizes[i - 1], sizes[i]));
        }
        for (uint64 n = 0; n <= 40; ++n) {
            bool anchored;
            for (uint256 i = 0; i < sizes.length; ++i) {
                anchored = anchored || sizes[i] == n;
            }
            assertEq(log.rootOf(n), anchored ? RefMerkle.root(n) : bytes32(0), "rootOf");
        }
        assertEq(log.rootOf(type(uint64).max), bytes32(0), "beyond the latest head");
    }
}
