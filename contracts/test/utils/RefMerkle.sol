// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @notice Independent RFC 9162 tree builder for tests: roots (§2.1.1) and consistency
/// proofs (§2.1.4.1, PROOF/SUBPROOF) over the leaves d_i = sha256(uint64_be(i)), the same
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
}
