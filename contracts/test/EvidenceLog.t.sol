// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {EvidenceLog, IEvidenceLog} from "../src/EvidenceLog.sol";
import {console} from "./utils/Test.sol";
import {EvidenceLogFixture, EvidenceLogWithClock} from "./utils/EvidenceLogFixture.sol";
import {RefMerkle} from "./utils/RefMerkle.sol";
import {ConsistencyVectors} from "./vectors/ConsistencyVectors.sol";

/// @notice Behaviour of EvidenceLog: roles, heads, every revert path, events, gas.
/// Proof vectors and fuzzing of the verifier are in EvidenceLogProofs.t.sol.
/// Values are computed before vm.prank/vm.expectRevert: RefMerkle calls the sha256
/// precompile, and forge counts a precompile call as "the next call".
contract EvidenceLogTest is EvidenceLogFixture {
    // ------------------------------------------------------------------ metadata, roles

    function test_Version() public view {
        assertEq(log.version(), "EvidenceLog 1", "version");
    }

    function test_ConstructorGrantsRoles() public view {
        assertEq(log.ANCHORER_ROLE(), keccak256("ANCHORER_ROLE"), "role id");
        assertTrue(log.hasRole(log.DEFAULT_ADMIN_ROLE(), ADMIN), "admin is admin");
        assertTrue(log.hasRole(log.ANCHORER_ROLE(), ANCHORER), "anchorer is anchorer");
        assertFalse(log.hasRole(log.ANCHORER_ROLE(), ADMIN), "admin is not anchorer");
        assertFalse(log.hasRole(log.DEFAULT_ADMIN_ROLE(), ANCHORER), "anchorer is not admin");
        assertEq(log.MAX_PROOF_LENGTH(), 128, "proof bound");
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
            log.anchor(1, root, _noProof());
        }
        assertEq(log.headCount(), 0, "nothing anchored");
    }

    function test_AdminGrantsAndRevokesAnchorer() public {
        bytes32 role = log.ANCHORER_ROLE();
        bytes32 root1 = RefMerkle.root(1);
        bytes32 root2 = RefMerkle.root(2);
        bytes32[] memory proof = RefMerkle.consistencyProof(1, 2);
        vm.prank(ADMIN);
        log.grantRole(role, STRANGER);
        vm.prank(STRANGER);
        log.anchor(1, root1, _noProof());

        vm.prank(ADMIN);
        log.revokeRole(role, STRANGER);
        vm.prank(STRANGER);
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, STRANGER, role)
        );
        log.anchor(2, root2, proof);
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
        vm.expectEmit(true, true, true, true, address(log));
        emit IEvidenceLog.HeadAnchored(0, 5, root, uint64(START_TIME), ANCHORER);
        _anchor(5, root, _noProof());

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
            vm.expectEmit(true, true, true, true, address(log));
            emit IEvidenceLog.HeadAnchored(i, sizes[i], root, uint64(START_TIME + 60 * i), ANCHORER);
            _anchor(sizes[i], root, proof);
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
        _anchor(8, root8, _noProof());
        // Same size, other root: stale, whatever the proof.
        _expectStale(8, 8);
        _anchor(8, keccak256("other"), _noProof());
        // A fork: a 9-leaf tree whose first 8 leaves differ does not extend the head,
        // even with the genuine proof's hashes.
        bytes32 forkRoot = RefMerkle.nodeHash(keccak256("forged subtree"), RefMerkle.leafHash(8));
        _expectBadProof(8, 9);
        _anchor(9, forkRoot, proof);
        // The genuine extension is still accepted, and the old head is untouched.
        _anchor(9, root9, proof);
        (, bytes32 first,,) = log.headAt(0);
        assertEq(first, root8, "head 0 unchanged");
        assertEq(log.rootOf(8), root8, "rootOf(8) unchanged");
    }

    function test_TimeSeamIsOverridable() public {
        EvidenceLogWithClock clocked = new EvidenceLogWithClock(ADMIN, ANCHORER);
        clocked.setClock(42);
        bytes32 root = RefMerkle.root(1);
        vm.expectEmit(true, true, true, true, address(clocked));
        emit IEvidenceLog.HeadAnchored(0, 1, root, 42, ANCHORER);
        vm.prank(ANCHORER);
        clocked.anchor(1, root, _noProof());
        (,, uint64 anchoredAt,) = clocked.headAt(0);
        assertEq(anchoredAt, 42, "anchoredAt from _time()");
    }

    // ------------------------------------------------------------------ revert paths

    function test_RevertWhen_RootIsZero() public {
        bytes32 root1 = RefMerkle.root(1);
        bytes32[] memory proof = RefMerkle.consistencyProof(1, 2);
        vm.expectRevert(IEvidenceLog.EvidenceLogZeroRoot.selector);
        _anchor(1, bytes32(0), _noProof());
        _anchor(1, root1, _noProof());
        vm.expectRevert(IEvidenceLog.EvidenceLogZeroRoot.selector);
        _anchor(2, bytes32(0), proof);
    }

    function test_RevertWhen_SizeIsZeroOnEmptyLog() public {
        _expectStale(0, 0);
        _anchor(0, EMPTY_ROOT, _noProof());
    }

    function test_RevertWhen_HeadIsStale() public {
        bytes32 root10 = RefMerkle.root(10);
        bytes32 root9 = RefMerkle.root(9);
        _anchor(10, root10, _noProof());
        _expectStale(10, 10);
        _anchor(10, root10, _noProof());
        _expectStale(10, 9);
        _anchor(9, root9, _noProof());
        _expectStale(10, 0);
        _anchor(0, EMPTY_ROOT, _noProof());
    }

    function test_RevertWhen_ProofGivenFromEmptyLog() public {
        bytes32 root = RefMerkle.root(2);
        bytes32[] memory one = new bytes32[](1);
        one[0] = RefMerkle.leafHash(0);
        bytes32[] memory many = new bytes32[](200);
        _expectBadLength(0, 1);
        _anchor(2, root, one);
        _expectBadLength(0, 200);
        _anchor(2, root, many);
    }

    function test_RevertWhen_ProofLongerThanBound() public {
        bytes32 root4 = RefMerkle.root(4);
        bytes32[] memory over = new bytes32[](129);
        bytes32[] memory atBound = new bytes32[](128);
        _anchor(3, RefMerkle.root(3), _noProof());
        // 129 hashes: rejected before any hashing.
        _expectBadLength(128, 129);
        _anchor(4, root4, over);
        // 128 hashes: within the bound, so it reaches (and fails) verification.
        _expectBadProof(3, 4);
        _anchor(4, root4, atBound);
    }

    function test_RevertWhen_ProofIsEmpty() public {
        // RFC 9162 §2.1.4.2 step 1, including a power-of-two old size where the
        // verifier supplies the first hash itself.
        bytes32 root8 = RefMerkle.root(8);
        _anchor(4, RefMerkle.root(4), _noProof());
        _expectBadProof(4, 8);
        _anchor(8, root8, _noProof());
    }

    function test_RevertWhen_ProofNotFullyConsumed() public {
        bytes32 root8 = RefMerkle.root(8);
        _anchor(6, RefMerkle.root(6), _noProof());
        bytes32[] memory proof = RefMerkle.consistencyProof(6, 8);
        bytes32[] memory longer = new bytes32[](proof.length + 1);
        for (uint256 i = 0; i < proof.length; ++i) {
            longer[i] = proof[i];
        }
        longer[proof.length] = RefMerkle.leafHash(99);
        _expectBadProof(6, 8);
        _anchor(8, root8, longer);

        bytes32[] memory shorter = _copy(proof);
        assembly ("memory-safe") {
            mstore(shorter, sub(mload(shorter), 1))
        }
        _expectBadProof(6, 8);
        _anchor(8, root8, shorter);

        _anchor(8, root8, proof);
    }

    function test_RevertWhen_ProofIsForAnotherOldRoot() public {
        bytes32 root8 = RefMerkle.root(8);
        bytes32[] memory proof = RefMerkle.consistencyProof(5, 8);
        _anchor(5, keccak256("not the 5-leaf root"), _noProof());
        _expectBadProof(5, 8);
        _anchor(8, root8, proof);
    }

    /// @notice Step 6's "if sn is 0, stop and fail": without it, hashes appended after the
    /// path reaches the top would be folded into both roots. Here the 3 -> 4 proof over
    /// leaves 4..7, followed by MTH(leaves 0..3), would rebuild the 7- and 8-leaf roots.
    function test_RevertWhen_ProofContinuesPastTheTop() public {
        bytes32[] memory proof = new bytes32[](4);
        proof[0] = RefMerkle.mth(6, 1);
        proof[1] = RefMerkle.mth(7, 1);
        proof[2] = RefMerkle.mth(4, 2);
        proof[3] = RefMerkle.mth(0, 4);
        bytes32 root7 = RefMerkle.root(7);
        bytes32 root8 = RefMerkle.root(8);
        _anchor(3, root7, _noProof());
        _expectBadProof(3, 4);
        _anchor(4, root8, proof);
    }

    /// @notice RFC 9162 consistency proofs do not pin the new size by themselves: the
    /// path for 4 -> 8 is also a valid 4 -> 6 path. The anchorer still cannot change any
    /// leaf committed by an earlier head (that would need a SHA-256 second preimage); a
    /// wrong size can only leave later leaves unprovable. Clients should compare
    /// anchored sizes with the log's own heads.
    function test_KnownLimit_ProofDoesNotBindNewSizeAlone() public {
        _anchor(4, RefMerkle.root(4), _noProof());
        _anchor(6, RefMerkle.root(8), RefMerkle.consistencyProof(4, 8));
        assertEq(log.rootOf(6), RefMerkle.root(8), "accepted under a wrong size");
    }

    // ------------------------------------------------------------------ gas

    /// @dev Execution gas of anchor() measured inside the test (excludes the 21,000 base
    /// transaction cost and calldata, which a real transaction adds on top).
    function test_Gas_FirstAnchor() public {
        bytes32 root = RefMerkle.root(1000);
        vm.prank(ANCHORER);
        uint256 before = gasleft();
        log.anchor(1000, root, _noProof());
        uint256 used = before - gasleft();
        console.log("gas: first anchor (no proof), execution only", used);
        assertLt(used, 120_000, "first anchor gas");
    }

    function test_Gas_AnchorWith20HashProof() public {
        ConsistencyVectors.Step[] memory large = ConsistencyVectors.large();
        ConsistencyVectors.Step memory step = large[large.length - 1];
        assertEq(step.proof.length, 20, "vector has a 20-hash proof");
        _anchor(step.size1, step.root1, _noProof());
        vm.prank(ANCHORER);
        uint256 before = gasleft();
        log.anchor(step.size2, step.root2, step.proof);
        uint256 used = before - gasleft();
        console.log("gas: later anchor, 20-hash proof, execution only", used);
        assertLt(used, 120_000, "later anchor gas");
    }
}
