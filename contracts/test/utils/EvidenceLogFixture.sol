// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {EvidenceLog, IEvidenceLog} from "../../src/EvidenceLog.sol";
import {Rfc9162} from "../../src/Rfc9162.sol";
import {RefMerkle} from "./RefMerkle.sol";
import {Test} from "./Test.sol";

/// @notice External entry points to the Rfc9162 library (its functions take calldata).
contract Rfc9162Harness {
    function verifyInclusion(uint256 index, uint256 size, bytes32 leaf, bytes32[] calldata proof, bytes32 root)
        external
        pure
        returns (bool)
    {
        return Rfc9162.verifyInclusion(index, size, leaf, proof, root);
    }

    function verifyConsistency(uint256 size1, uint256 size2, bytes32 root1, bytes32 root2, bytes32[] calldata proof)
        external
        pure
        returns (bool)
    {
        return Rfc9162.verifyConsistency(size1, size2, root1, root2, proof);
    }
}

/// @notice EvidenceLog with a settable clock, to test the `_time()` seam.
contract EvidenceLogWithClock is EvidenceLog {
    uint64 public clock;

    constructor(address admin, address anchorer) EvidenceLog(admin, anchorer) {}

    function setClock(uint64 t) external {
        clock = t;
    }

    function _time() internal view override returns (uint64) {
        return clock;
    }
}

/// @notice Shared setup and shorthands for EvidenceLog tests.
abstract contract EvidenceLogFixture is Test {
    address internal constant ADMIN = address(0xA11CE);
    address internal constant ANCHORER = address(0xA7C4E5);
    address internal constant STRANGER = address(0xBAD);
    bytes32 internal constant EMPTY_ROOT = 0xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855;
    uint256 internal constant START_TIME = 1_700_000_000;
    uint256 internal constant START_BLOCK = 100;

    EvidenceLog internal log;

    function setUp() public virtual {
        vm.warp(START_TIME);
        vm.roll(START_BLOCK);
        log = new EvidenceLog(ADMIN, ANCHORER);
    }

    function _noProof() internal pure returns (bytes32[] memory) {
        return new bytes32[](0);
    }

    /// @dev An empty size proof, for calls that must revert before it is looked at.
    function _noSizeProof() internal pure returns (IEvidenceLog.SizeProof memory p) {}

    function _anchor(uint64 size, bytes32 root, bytes32[] memory proof, IEvidenceLog.SizeProof memory sizeProof)
        internal
    {
        vm.prank(ANCHORER);
        log.anchor(size, root, proof, sizeProof);
    }

    /// @dev Anchors RefMerkle's tree of `size` leaves with its own size proof. Computes
    /// with the sha256 precompile: never call right after vm.expectRevert/expectEmit.
    function _anchorRef(uint64 size, bytes32[] memory proof) internal {
        bytes32 root = RefMerkle.root(size);
        IEvidenceLog.SizeProof memory sizeProof = RefMerkle.sizeProof(size);
        _anchor(size, root, proof, sizeProof);
    }

    function _expectShape(uint64 size, string memory part, uint256 expected, uint256 got) internal {
        vm.expectRevert(
            abi.encodeWithSelector(IEvidenceLog.EvidenceLogBadSizeProofShape.selector, size, part, expected, got)
        );
    }

    function _expectBadInclusion(uint64 size) internal {
        vm.expectRevert(abi.encodeWithSelector(IEvidenceLog.EvidenceLogBadInclusionProof.selector, size));
    }

    function _expectBadWitness(uint64 size, uint256 blockIndex) internal {
        vm.expectRevert(abi.encodeWithSelector(IEvidenceLog.EvidenceLogBadBlockWitness.selector, size, blockIndex));
    }

    /// @dev Expects the next call to revert with EvidenceLogBadConsistencyProof(from, to).
    function _expectBadProof(uint64 fromSize, uint64 toSize) internal {
        vm.expectRevert(abi.encodeWithSelector(IEvidenceLog.EvidenceLogBadConsistencyProof.selector, fromSize, toSize));
    }

    function _expectStale(uint64 have, uint64 got) internal {
        vm.expectRevert(abi.encodeWithSelector(IEvidenceLog.EvidenceLogStaleHead.selector, have, got));
    }

    function _expectBadLength(uint256 expected, uint256 got) internal {
        vm.expectRevert(abi.encodeWithSelector(IEvidenceLog.EvidenceLogBadProofLength.selector, expected, got));
    }

    function _flipBit(bytes32 value, uint256 bit) internal pure returns (bytes32) {
        return value ^ bytes32(uint256(1) << (bit % 256));
    }

    function _copy(bytes32[] memory a) internal pure returns (bytes32[] memory b) {
        b = new bytes32[](a.length);
        for (uint256 i = 0; i < a.length; ++i) {
            b[i] = a[i];
        }
    }

    function _assertLatest(uint64 size, bytes32 root, uint256 index) internal view {
        (uint64 s, bytes32 r,, uint256 i) = log.latestHead();
        assertEq(s, size, "latest size");
        assertEq(r, root, "latest root");
        assertEq(i, index, "latest index");
    }
}
