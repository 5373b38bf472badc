// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IEvidenceLog} from "../../src/EvidenceLog.sol";

/// @notice Size proofs for trees of any size up to 2^64 leaves, without building them:
/// the opened leaves are short byte strings and every hash the proof does not open is
/// an arbitrary value derived from `seed`. EvidenceLog cannot tell such a tree from a
/// real one (nothing can without the unopened leaves), so these test the size checks on
/// sizes RefMerkle cannot build; they say nothing about whether a tree is genuine.
library SyntheticTree {
    /// @notice Returns a root of a tree of `size` leaves (size >= 1) and its size proof.
    function build(uint64 size, bytes32 seed) internal pure returns (bytes32 root, IEvidenceLog.SizeProof memory p) {
        uint256 last = uint256(size) - 1;
        uint256 blocks;
        uint256 heights;
        for (uint256 b = 0; b < 64; ++b) {
            if ((last >> b) & 1 == 1) {
                ++blocks;
                heights += b;
            }
        }
        p.lastLeaf = abi.encodePacked("last leaf ", seed);
        p.inclusionProof = new bytes32[](blocks);
        p.blockLeaves = new bytes[](blocks);
        p.blockPaths = new bytes32[](heights);
        root = _leafHash(p.lastLeaf);
        uint256 j;
        uint256 next;
        for (uint256 b = 0; b < 64; ++b) {
            if ((last >> b) & 1 == 0) continue;
            p.blockLeaves[j] = abi.encodePacked("first leaf ", seed, b);
            bytes32 r = _leafHash(p.blockLeaves[j]);
            for (uint256 i = 0; i < b; ++i) {
                bytes32 sibling = keccak256(abi.encode(seed, b, i));
                p.blockPaths[next++] = sibling;
                r = _nodeHash(r, sibling);
            }
            p.inclusionProof[j++] = r;
            root = _nodeHash(r, root);
        }
    }

    function _leafHash(bytes memory data) private pure returns (bytes32) {
        return sha256(abi.encodePacked(bytes1(0x00), data));
    }

    function _nodeHash(bytes32 left, bytes32 right) private pure returns (bytes32) {
        return sha256(abi.encodePacked(bytes1(0x01), left, right));
    }
}
