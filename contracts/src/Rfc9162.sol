// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @title Rfc9162
/// @notice Verifiers of RFC 9162 §2.1 Merkle proofs over SHA-256, each written step by
/// step after the RFC's text so that it can be read against it.
/// Hashes: leaf = SHA-256(0x00 || data), node = SHA-256(0x01 || left || right).
/// Every verifier takes all of its inputs and returns false on any failure.
library Rfc9162 {
    /// @notice RFC 9162 leaf hash of `data`: SHA-256(0x00 || data).
    function leafHash(bytes calldata data) internal pure returns (bytes32) {
        return sha256(abi.encodePacked(bytes1(0x00), data));
    }

    /// @notice RFC 9162 interior node hash: SHA-256(0x01 || left || right).
    function nodeHash(bytes32 left, bytes32 right) internal pure returns (bytes32) {
        return sha256(abi.encodePacked(bytes1(0x01), left, right));
    }

    /// @notice RFC 9162 §2.1.3.2 "Verifying an Inclusion Proof": whether `leaf` (a leaf
    /// hash) is leaf `index` of the tree of `size` leaves whose root is `root`.
    /// @dev Returns false if index >= size, and for a proof that is too short or too long.
    function verifyInclusion(uint256 index, uint256 size, bytes32 leaf, bytes32[] calldata proof, bytes32 root)
        internal
        pure
        returns (bool)
    {
        // 1. leaf_index must be less than tree_size.
        if (index >= size) return false;
        // 2. fn = leaf_index, sn = tree_size - 1.
        uint256 fn = index;
        uint256 sn = size - 1;
        // 3. r = hash.
        bytes32 r = leaf;
        // 4. For each value p in the inclusion_path:
        for (uint256 i = 0; i < proof.length; ++i) {
            // a. If sn is 0, stop the iteration and fail the proof verification.
            if (sn == 0) return false;
            bytes32 p = proof[i];
            // b. If LSB(fn) is set, or if fn is equal to sn, then:
            if (fn & 1 == 1 || fn == sn) {
                // i. Set r to HASH(0x01 || p || r).
                r = nodeHash(p, r);
                // ii. If LSB(fn) is not set, right-shift both fn and sn equally until
                // either LSB(fn) is set or fn is 0.
                while (fn & 1 == 0 && fn != 0) {
                    fn >>= 1;
                    sn >>= 1;
                }
            } else {
                // Otherwise: set r to HASH(0x01 || r || p).
                r = nodeHash(r, p);
            }
            // c. Finally, right-shift both fn and sn one time.
            fn >>= 1;
            sn >>= 1;
        }
        // 5. Compare sn to 0 and r against the root_hash.
        return sn == 0 && r == root;
    }

    /// @notice RFC 9162 §2.1.4.2 "Verifying Consistency between Two Tree Heads": whether
    /// the tree (size2, root2) extends the tree (size1, root1).
    /// @dev Requires 0 < size1 < size2 (callers check it). Returns false on any failure,
    /// including an empty proof and a proof with hashes left over.
    function verifyConsistency(uint256 size1, uint256 size2, bytes32 root1, bytes32 root2, bytes32[] calldata proof)
        internal
        pure
        returns (bool)
    {
        // 1. An empty consistency_path fails.
        if (proof.length == 0) return false;
        // 2. If size1 is an exact power of 2, the path implicitly starts with root1.
        // 5. fr and sr start as the path's first value.
        bytes32 fr;
        uint256 next;
        if (size1 & (size1 - 1) == 0) {
            fr = root1;
        } else {
            fr = proof[0];
            next = 1;
        }
        bytes32 sr = fr;
        // 3. fn = size1 - 1, sn = size2 - 1.
        uint256 fn = size1 - 1;
        uint256 sn = size2 - 1;
        // 4. Right-shift both until LSB(fn) is clear.
        while (fn & 1 == 1) {
            fn >>= 1;
            sn >>= 1;
        }
        // 6. Fold in each subsequent value c.
        for (; next < proof.length; ++next) {
            if (sn == 0) return false;
            bytes32 c = proof[next];
            if (fn & 1 == 1 || fn == sn) {
                fr = nodeHash(c, fr);
                sr = nodeHash(c, sr);
                while (fn & 1 == 0 && fn != 0) {
                    fn >>= 1;
                    sn >>= 1;
                }
            } else {
                sr = nodeHash(sr, c);
            }
            fn >>= 1;
            sn >>= 1;
        }
        // 7. Both roots must match and the path must have reached the top of tree 2.
        return fr == root1 && sr == root2 && sn == 0;
    }
}
