// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IEvidenceLog} from "../../src/EvidenceLog.sol";

/// @notice Independent RFC 9162 tree builder for tests: roots (§2.1.1), inclusion proofs
/// (§2.1.3.1, PATH), consistency proofs (§2.1.4.1, PROOF/SUBPROOF) and EvidenceLog size
/// proofs over the leaves d_i = sha256(uint64_be(i)), the same
/// leaves scripts/gen_forge_vectors.py uses. Written from the RFC's recursive definitions,
/// not from EvidenceLog's verifier, so fuzz tests compare two implementations.
/// Cost is linear in the tree size: keep sizes to a few thousand leaves.
library RefMerkle {
    bytes32 internal constant EMPTY_ROOT = 0xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855;

    function leafData(uint256 i) internal pure returns (bytes32) {
        return sha256(abi.encodePacked(uint64(i)));
    }

    function leafHash(uint256 i) internal pure returns (bytes32) {
        return sha256(abi.encodePacked(bytes1(0x00), leafData(i)));
    }

    function nodeHash(bytes32 left, bytes32 right) internal pure returns (bytes32) {
        return sha256(abi.encodePacked(bytes1(0x01), left, right));
    }

    /// @dev RFC 9162's k: the largest power of two strictly less than n (requires n > 1).
    function split(uint256 n) internal pure returns (uint256 k) {
        k = 1;
        while (k << 1 < n) k <<= 1;
    }

    /// @dev MTH(D[start:start+n]); requires n >= 1.
    function mth(uint256 start, uint256 n) internal pure returns (bytes32) {
        if (n == 1) return leafHash(start);
        uint256 k = split(n);
        return nodeHash(mth(start, k), mth(start + k, n - k));
    }

    /// @notice MTH of the first n leaves; sha256("") for n = 0.
    function root(uint256 n) internal pure returns (bytes32) {
        return n == 0 ? EMPTY_ROOT : mth(0, n);
    }

    /// @notice PROOF(m, D[n]); requires 0 < m <= n.
    function consistencyProof(uint256 m, uint256 n) internal pure returns (bytes32[] memory proof) {
        proof = new bytes32[](128);
        uint256 len = _subproof(m, 0, n, true, proof, 0);
        assembly ("memory-safe") {
            mstore(proof, len) // shrink to the used length
        }
    }

    /// @dev SUBPROOF(m, D[start:start+n], b), appended to out[len..]; returns the new length.
    function _subproof(uint256 m, uint256 start, uint256 n, bool b, bytes32[] memory out, uint256 len)
        private
        pure
        returns (uint256)
    {
        if (m == n) {
            if (!b) out[len++] = mth(start, n);
            return len;
        }
        uint256 k = split(n);
        if (m <= k) {
            len = _subproof(m, start, k, b, out, len);
            out[len++] = mth(start + k, n - k);
        } else {
            len = _subproof(m - k, start + k, n - k, false, out, len);
            out[len++] = mth(start, k);
        }
        return len;
    }

    /// @notice Leaf i's data as bytes (what a size proof carries): the 32 bytes of d_i.
    function leafBytes(uint256 i) internal pure returns (bytes memory) {
        return abi.encodePacked(leafData(i));
    }

    /// @notice PATH(m, D[n]); requires 0 <= m < n.
    function inclusionProof(uint256 m, uint256 n) internal pure returns (bytes32[] memory proof) {
        proof = new bytes32[](64);
        uint256 len = _path(m, 0, n, proof);
        assembly ("memory-safe") {
            mstore(proof, len)
        }
    }

    /// @dev PATH(m, D[start:start+n]) written into out[0..]; returns its length. The RFC
    /// appends the sibling after the sub-path, so the recursion fills from the leaf up.
    function _path(uint256 m, uint256 start, uint256 n, bytes32[] memory out) private pure returns (uint256 len) {
        if (n == 1) return 0;
        uint256 k = split(n);
        if (m < k) {
            len = _path(m, start, k, out);
            out[len++] = mth(start + k, n - k);
        } else {
            len = _path(m - k, start + k, n - k, out);
            out[len++] = mth(start, k);
        }
    }

    /// @notice EvidenceLog size proof for the first n leaves (requires n >= 1), built from
    /// IEvidenceLog.SizeProof's definition: the last leaf with PATH(n-1, D[n]), and for
    /// each bit b set in n-1 the first leaf s of that subtree with MTH(D[s+2^i : s+2^(i+1)]).
    function sizeProof(uint256 n) internal pure returns (IEvidenceLog.SizeProof memory proof) {
        uint256 last = n - 1;
        proof.lastLeaf = leafBytes(last);
        proof.inclusionProof = inclusionProof(last, n);
        uint256 blocks = proof.inclusionProof.length;
        proof.blockLeaves = new bytes[](blocks);
        proof.blockPaths = new bytes32[](64 * 64);
        uint256 j;
        uint256 next;
        for (uint256 b = 0; b < 64; ++b) {
            if ((last >> b) & 1 == 0) continue;
            uint256 s = last & ~((uint256(1) << (b + 1)) - 1);
            proof.blockLeaves[j++] = leafBytes(s);
            for (uint256 i = 0; i < b; ++i) {
                proof.blockPaths[next++] = mth(s + (uint256(1) << i), uint256(1) << i);
            }
        }
        bytes32[] memory paths = proof.blockPaths;
        assembly ("memory-safe") {
            mstore(paths, next)
        }
    }
}
