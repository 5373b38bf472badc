// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IEvidenceLog} from "../src/EvidenceLog.sol";
import {EvidenceLogFixture, Rfc9162Harness} from "./utils/EvidenceLogFixture.sol";
import {RefMerkle} from "./utils/RefMerkle.sol";
import {SyntheticTree} from "./utils/SyntheticTree.sol";

/// @notice The size binding of EvidenceLog.anchor, played by a hostile anchorer who knows
/// every node and record of the honest log (issue 10, "Why" 3): a mis-stated size is
/// refused with a named error, whatever proofs it crafts from the genuine tree.
contract EvidenceLogSizeTest is EvidenceLogFixture {
    uint256 internal constant FUZZ_MAX_SIZE = 512;

    Rfc9162Harness internal rfc;

    function setUp() public override {
        super.setUp();
        rfc = new Rfc9162Harness();
    }

    // ------------------------------------------------------------------ the issue's attack

    /// @notice After the honest head (8, root8), the anchorer sends (12, root16) with the
    /// genuine 8 -> 16 consistency proof, which the RFC 9162 verifier accepts as 8 -> 12.
    /// Every size proof it can build from the genuine 16-leaf tree is refused.
    function test_RevertWhen_Anchoring12WithTheRootOf16() public {
        bytes32 root16 = RefMerkle.root(16);
        bytes32[] memory proof = RefMerkle.consistencyProof(8, 16);
        assertTrue(rfc.verifyConsistency(8, 12, RefMerkle.root(8), root16, proof), "consistency accepts 8 -> 12");
        _anchorRef(8, _noProof());

        // 1. The genuine size proof of 16: last = 15 has four bits set, 11 has three.
        IEvidenceLog.SizeProof memory genuine = RefMerkle.sizeProof(16);
        _expectShape(12, "inclusionProof", 3, 4);
        _anchor(12, root16, proof, genuine);

        // 2. The genuine size proof of 12 (right shape, other root).
        IEvidenceLog.SizeProof memory of12 = RefMerkle.sizeProof(12);
        _expectBadInclusion(12);
        _anchor(12, root16, proof, of12);

        // 3. The right shape cut from the 16-leaf tree's right edge: record 15 with the
        // top three of its four neighbours. Folding needs one hash fewer: fails.
        IEvidenceLog.SizeProof memory cut = _cutEdge(genuine, of12);
        _expectBadInclusion(12);
        _anchor(12, root16, proof, cut);

        // Nothing was anchored, and the honest service anchors the true head.
        assertEq(log.headCount(), 1, "only the honest head");
        _anchorRef(16, proof);
        _assertLatest(16, root16, 1);
    }

    /// @notice An interior node passed as the last leaf ("a proof without the record"):
    /// claiming (10, root16), the right edge of 10 leaves is H(root8, H(p, last)), which
    /// H(H(8..11), H(12..15)) fits if the "last leaf" is H(12..15). Its data would be the
    /// two child hashes, but a leaf is hashed with 0x00 and a node with 0x01.
    function test_RevertWhen_InteriorNodeIsPassedAsTheLastLeaf() public {
        bytes32 root16 = RefMerkle.root(16);
        bytes32[] memory proof = RefMerkle.consistencyProof(8, 16);
        assertTrue(rfc.verifyConsistency(8, 10, RefMerkle.root(8), root16, proof), "consistency accepts 8 -> 10");
        IEvidenceLog.SizeProof memory p = RefMerkle.sizeProof(10); // the shape of 10
        p.lastLeaf = abi.encodePacked(RefMerkle.mth(12, 2), RefMerkle.mth(14, 2));
        p.inclusionProof[0] = RefMerkle.mth(8, 4);
        p.inclusionProof[1] = RefMerkle.mth(0, 8);
        assertEq(
            RefMerkle.nodeHash(p.inclusionProof[1], RefMerkle.nodeHash(p.inclusionProof[0], RefMerkle.mth(12, 4))),
            root16,
            "the edge fits with a node hash in the leaf's place"
        );
        _anchorRef(8, _noProof());
        _expectBadInclusion(10);
        _anchor(10, root16, proof, p);
    }

    /// @notice The issue's proposed check alone (consistency + the last leaf's inclusion)
    /// is not enough: after (8, root8), (11, root13) passes both, with record 12 shown
    /// as leaf 10, because for the last index RFC 9162 only counts the proof's hashes
    /// (11 - 1 = 0b1010 and 13 - 1 = 0b1100 both have two bits set). The block witness
    /// refuses it: H(leaves 8..11) is not a subtree of 2 leaves.
    function test_RevertWhen_LastLeafInclusionAloneWouldAccept11For13() public {
        bytes32 root8 = RefMerkle.root(8);
        bytes32 root13 = RefMerkle.root(13);
        bytes32[] memory proof = RefMerkle.consistencyProof(8, 13);
        IEvidenceLog.SizeProof memory genuine = RefMerkle.sizeProof(13);
        assertTrue(rfc.verifyConsistency(8, 11, root8, root13, proof), "consistency accepts 8 -> 11");
        assertTrue(
            rfc.verifyInclusion(10, 11, RefMerkle.leafHash(12), genuine.inclusionProof, root13),
            "record 12 verifies as the last leaf of 11"
        );
        _anchorRef(8, _noProof());

        // Best witnesses from the genuine tree for the claimed heights 1 and 3: the first
        // leaf of each neighbour with the hashes that really sit above it.
        IEvidenceLog.SizeProof memory attack = genuine;
        attack.blockLeaves[0] = RefMerkle.leafBytes(8);
        attack.blockLeaves[1] = RefMerkle.leafBytes(0);
        attack.blockPaths = new bytes32[](4);
        attack.blockPaths[0] = RefMerkle.mth(9, 1); // H(8, 9): one level, not H(8..11)
        attack.blockPaths[1] = RefMerkle.mth(1, 1);
        attack.blockPaths[2] = RefMerkle.mth(2, 2);
        attack.blockPaths[3] = RefMerkle.mth(4, 4);
        _expectBadWitness(11, 0);
        _anchor(11, root13, proof, attack);

        // Two levels for the first neighbour would make it H(8..11), but then the shape
        // of 11 (1 + 3 = 4 path hashes) does not hold five.
        bytes32[] memory five = new bytes32[](5);
        five[0] = RefMerkle.mth(9, 1);
        five[1] = RefMerkle.mth(10, 2);
        (five[2], five[3], five[4]) = (RefMerkle.mth(1, 1), RefMerkle.mth(2, 2), RefMerkle.mth(4, 4));
        attack.blockPaths = five;
        _expectShape(11, "blockPaths", 4, 5);
        _anchor(11, root13, proof, attack);

        _anchorRef(13, proof);
        _assertLatest(13, root13, 1);
    }

    // ------------------------------------------------------------------ revert paths

    function test_RevertWhen_ShapeIsWrong() public {
        bytes32 root = RefMerkle.root(12); // last = 11 = 0b1011: blocks of 1, 2 and 8 leaves
        IEvidenceLog.SizeProof memory p = RefMerkle.sizeProof(12);
        assertEq(p.inclusionProof.length, 3, "three neighbours");
        assertEq(p.blockPaths.length, 0 + 1 + 3, "heights 0, 1, 3");

        IEvidenceLog.SizeProof memory q = _clone(p);
        q.blockLeaves = new bytes[](2);
        _expectShape(12, "blockLeaves", 3, 2);
        _anchor(12, root, _noProof(), q);

        q = _clone(p);
        q.blockPaths = new bytes32[](5);
        _expectShape(12, "blockPaths", 4, 5);
        _anchor(12, root, _noProof(), q);

        _expectShape(12, "inclusionProof", 3, 0);
        _anchor(12, root, _noProof(), _noSizeProof());

        _anchor(12, root, _noProof(), p);
    }

    function test_RevertWhen_LeafIsTooLong() public {
        (bytes32 root, IEvidenceLog.SizeProof memory p) = SyntheticTree.build(3, "long leaves");
        IEvidenceLog.SizeProof memory q = _clone(p);
        q.lastLeaf = new bytes(65_537);
        vm.expectRevert(abi.encodeWithSelector(IEvidenceLog.EvidenceLogLeafTooLong.selector, 65_536, 65_537));
        _anchor(3, root, _noProof(), q);
        q = _clone(p);
        q.blockLeaves[0] = new bytes(65_537);
        vm.expectRevert(abi.encodeWithSelector(IEvidenceLog.EvidenceLogLeafTooLong.selector, 65_536, 65_537));
        _anchor(3, root, _noProof(), q);
        // exactly at the bound: accepted
        (bytes32 root2, IEvidenceLog.SizeProof memory r) = _withLastLeaf(new bytes(65_536));
        _anchor(2, root2, _noProof(), r);
    }

    function test_SizeOneIsTheLeafItself() public {
        IEvidenceLog.SizeProof memory p;
        p.lastLeaf = "the only record";
        bytes32 root = sha256(abi.encodePacked(bytes1(0x00), p.lastLeaf));
        IEvidenceLog.SizeProof memory q = _clone(p);
        q.lastLeaf = "another record";
        _expectBadInclusion(1);
        _anchor(1, root, _noProof(), q);
        _anchor(1, root, _noProof(), p);
        _assertLatest(1, root, 0);
    }

    // ------------------------------------------------------------------ fuzzing

    /// @notice Every genuine size proof anchors, from the empty log and after any head.
    function testFuzz_AcceptsGenuineSizeProofs(uint256 a, uint256 b) public {
        uint64 size1 = uint64(bound(a, 1, FUZZ_MAX_SIZE - 1));
        uint64 size2 = uint64(bound(b, size1 + 1, FUZZ_MAX_SIZE));
        _anchorRef(size1, _noProof());
        _anchorRef(size2, RefMerkle.consistencyProof(size1, size2));
        _assertLatest(size2, RefMerkle.root(size2), 1);
    }

    /// @notice A head of true size n claimed at any other size m (m past the last head):
    /// with the genuine consistency proof and the genuine size proof of n, refused.
    function testFuzz_RejectsGenuineProofsUnderAnotherSize(uint256 a, uint256 b, uint256 c) public {
        uint64 old = uint64(bound(a, 1, FUZZ_MAX_SIZE - 2));
        uint64 n = uint64(bound(b, old + 1, FUZZ_MAX_SIZE));
        uint64 m = uint64(bound(c, old + 1, FUZZ_MAX_SIZE));
        vm.assume(m != n);
        bytes32 root = RefMerkle.root(n);
        bytes32[] memory proof = RefMerkle.consistencyProof(old, n);
        IEvidenceLog.SizeProof memory sizeProof = RefMerkle.sizeProof(n);
        _anchorRef(old, _noProof());
        _expectAnyRefusal(old, m, root, proof, sizeProof);
    }

    /// @notice The strongest case: a claimed size m whose last index has as many bits set
    /// as the true one, so the genuine last-leaf inclusion proof passes as is. The
    /// witnesses, rebuilt from the genuine tree for the heights m claims (the first leaf
    /// of each neighbour and the hashes above it), are refused.
    function testFuzz_RejectsSameBitCountSizes(uint256 b, uint256 c) public {
        uint64 n = uint64(bound(b, 2, FUZZ_MAX_SIZE));
        uint64 m = uint64(bound(c, 2, FUZZ_MAX_SIZE));
        vm.assume(m != n && _popcount(m - 1) == _popcount(n - 1));
        bytes32 root = RefMerkle.root(n);
        IEvidenceLog.SizeProof memory p = RefMerkle.sizeProof(n);
        assertTrue(
            rfc.verifyInclusion(m - 1, m, RefMerkle.leafHash(n - 1), p.inclusionProof, root),
            "the last leaf's inclusion alone passes"
        );
        p.blockPaths = _pathsForClaimedHeights(n, m);
        // refused at the first neighbour whose height differs
        uint256 j = _firstDifferentHeight(n - 1, m - 1);
        _expectBadWitness(m, j);
        _anchor(m, root, _noProof(), p);
    }

    /// @notice Flipping any bit of any part of a genuine size proof is refused.
    function testFuzz_RejectsBitFlipInSizeProof(uint256 sizeSeed, uint256 part, uint256 which, uint256 bit) public {
        uint64 size = uint64(bound(sizeSeed, 2, FUZZ_MAX_SIZE));
        bytes32 root = RefMerkle.root(size);
        IEvidenceLog.SizeProof memory p = RefMerkle.sizeProof(size);
        part = bound(part, 0, p.blockPaths.length == 0 ? 2 : 3);
        if (part == 0) {
            p.lastLeaf[bound(which, 0, p.lastLeaf.length - 1)] ^= bytes1(uint8(1 << (bit % 8)));
            _expectBadInclusion(size);
        } else if (part == 1) {
            which = bound(which, 0, p.inclusionProof.length - 1);
            p.inclusionProof[which] = _flipBit(p.inclusionProof[which], bit);
            _expectBadInclusion(size);
        } else if (part == 2) {
            which = bound(which, 0, p.blockLeaves.length - 1);
            bytes memory leaf = p.blockLeaves[which];
            leaf[bit % leaf.length] ^= bytes1(uint8(1 << (bit % 8)));
            _expectBadWitness(size, which);
        } else {
            which = bound(which, 0, p.blockPaths.length - 1);
            p.blockPaths[which] = _flipBit(p.blockPaths[which], bit);
            _expectBadWitness(size, _blockOfPathHash(size - 1, which));
        }
        _anchor(size, root, _noProof(), p);
    }

    // ------------------------------------------------------------------ helpers

    /// @dev Expects anchor(size, root, proof, sizeProof) to revert with one of the
    /// size-proof errors (or the consistency error: the proof is not for `size` either).
    function _expectAnyRefusal(
        uint64 old,
        uint64 size,
        bytes32 root,
        bytes32[] memory proof,
        IEvidenceLog.SizeProof memory sizeProof
    ) internal {
        vm.prank(ANCHORER);
        try log.anchor(size, root, proof, sizeProof) {
            assertTrue(false, "a mis-stated size was anchored");
        } catch (bytes memory reason) {
            bytes4 selector = bytes4(reason);
            assertTrue(
                selector == IEvidenceLog.EvidenceLogBadSizeProofShape.selector
                    || selector == IEvidenceLog.EvidenceLogBadInclusionProof.selector
                    || selector == IEvidenceLog.EvidenceLogBadBlockWitness.selector
                    || selector == IEvidenceLog.EvidenceLogBadConsistencyProof.selector,
                "refused with a named error"
            );
            if (selector == IEvidenceLog.EvidenceLogBadConsistencyProof.selector) {
                assertEq(keccak256(reason), keccak256(abi.encodeWithSelector(selector, old, size)), "error args");
            }
        }
        assertEq(log.headCount(), 1, "nothing anchored");
    }

    /// @dev Path hashes for the heights a tree of m leaves gives its neighbours, taken
    /// from the genuine tree of n leaves: above the first leaf s of each genuine
    /// neighbour j, the perfect subtrees MTH(D[s + 2^i : s + 2^(i+1)]) for i below the
    /// height m claims for neighbour j (zero where they would run past n).
    function _pathsForClaimedHeights(uint64 n, uint64 m) internal pure returns (bytes32[] memory out) {
        uint256[] memory trueBits = _bits(n - 1);
        uint256[] memory claimed = _bits(m - 1);
        uint256 total;
        for (uint256 j = 0; j < claimed.length; ++j) {
            total += claimed[j];
        }
        out = new bytes32[](total);
        uint256 next;
        for (uint256 j = 0; j < claimed.length; ++j) {
            uint256 start = (n - 1) & ~((uint256(1) << (trueBits[j] + 1)) - 1);
            for (uint256 i = 0; i < claimed[j]; ++i) {
                uint256 from = start + (uint256(1) << i);
                uint256 width = uint256(1) << i;
                out[next++] = from + width <= n ? RefMerkle.mth(from, width) : bytes32(0);
            }
        }
    }

    /// @dev The neighbour whose witness holds path hash number `which`.
    function _blockOfPathHash(uint256 last, uint256 which) internal pure returns (uint256 j) {
        uint256[] memory heights = _bits(last);
        uint256 end = heights[0];
        while (which >= end) end += heights[++j];
    }

    function _firstDifferentHeight(uint256 x, uint256 y) internal pure returns (uint256 j) {
        uint256[] memory bx = _bits(x);
        uint256[] memory by = _bits(y);
        while (bx[j] == by[j]) ++j;
    }

    /// @dev Positions of the bits set in x, lowest first.
    function _bits(uint256 x) internal pure returns (uint256[] memory out) {
        out = new uint256[](_popcount(x));
        uint256 j;
        for (uint256 b = 0; x >> b != 0; ++b) {
            if ((x >> b) & 1 == 1) out[j++] = b;
        }
    }

    function _popcount(uint256 x) internal pure returns (uint256 count) {
        for (; x != 0; x &= x - 1) {
            ++count;
        }
    }

    /// @dev `shape`'s part lengths filled with the top of `genuine`'s right edge: its last
    /// leaf and its upper neighbours (drops the lowest), with `shape`'s witnesses.
    function _cutEdge(IEvidenceLog.SizeProof memory genuine, IEvidenceLog.SizeProof memory shape)
        internal
        pure
        returns (IEvidenceLog.SizeProof memory p)
    {
        p.lastLeaf = genuine.lastLeaf;
        uint256 k = shape.inclusionProof.length;
        p.inclusionProof = new bytes32[](k);
        for (uint256 i = 0; i < k; ++i) {
            p.inclusionProof[i] = genuine.inclusionProof[genuine.inclusionProof.length - k + i];
        }
        p.blockLeaves = shape.blockLeaves;
        p.blockPaths = shape.blockPaths;
    }

    function _clone(IEvidenceLog.SizeProof memory p) internal pure returns (IEvidenceLog.SizeProof memory) {
        return abi.decode(abi.encode(p), (IEvidenceLog.SizeProof));
    }

    /// @dev A 2-leaf tree whose last leaf is `last` and first leaf "first".
    function _withLastLeaf(bytes memory last) internal pure returns (bytes32 root, IEvidenceLog.SizeProof memory p) {
        p.lastLeaf = last;
        p.blockLeaves = new bytes[](1);
        p.blockLeaves[0] = "first";
        p.inclusionProof = new bytes32[](1);
        p.inclusionProof[0] = sha256(abi.encodePacked(bytes1(0x00), p.blockLeaves[0]));
        root = sha256(abi.encodePacked(bytes1(0x01), p.inclusionProof[0], sha256(abi.encodePacked(bytes1(0x00), last))));
    }
}
