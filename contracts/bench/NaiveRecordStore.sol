// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @title NaiveRecordStore
/// @notice BENCHMARK BASELINE ONLY, not part of the service: anchors one record per
/// transaction (one storage write plus one event), the cost Merkle batching in
/// EvidenceLog is measured against.
contract NaiveRecordStore {
    mapping(bytes32 digest => uint256 recordedAt) private _recordedAt;

    /// @notice A digest was recorded at `recordedAt` (block timestamp).
    event Recorded(bytes32 indexed digest, uint256 recordedAt);

    /// @notice Records `digest` with the current block timestamp; re-recording overwrites.
    /// @param digest The record's digest.
    function record(bytes32 digest) external {
        _recordedAt[digest] = block.timestamp;
        emit Recorded(digest, block.timestamp);
    }

    /// @notice Returns when `digest` was last recorded, or 0 if never.
    /// @param digest The record's digest.
    function recordedAt(bytes32 digest) external view returns (uint256) {
        return _recordedAt[digest];
    }
}
