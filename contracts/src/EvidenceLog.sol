// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";

/// @title IEvidenceLog
/// @notice On-chain anchor of an append-only RFC 9162 Merkle log (SHA-256).
/// @dev A head is a (size, root) pair of the off-chain log. Each new head must extend
/// the previous one, which the contract checks itself with an RFC 9162 §2.1.4.2
/// consistency proof, so no one, the anchorer included, can rewrite anchored history.
/// Hashes: leaf = sha256(0x00 || data), node = sha256(0x01 || left || right).
interface IEvidenceLog {
    /// @notice A new head was appended.
    /// @param index 0-based position of the head among all anchored heads.
    /// @param size Number of leaves in the log at this head.
    /// @param root RFC 9162 Merkle tree hash of the first `size` leaves.
    /// @param anchoredAt Time of anchoring, seconds since the Unix epoch (`_time()`).
    /// @param anchorer The account that anchored the head.
    event HeadAnchored(
        uint256 indexed index, uint64 indexed size, bytes32 root, uint64 anchoredAt, address indexed anchorer
    );

    /// @notice The new head does not grow the log: `got` must exceed the latest size `have`.
    error EvidenceLogStaleHead(uint64 have, uint64 got);

    /// @notice The new root is bytes32(0), which is reserved for "never anchored".
    error EvidenceLogZeroRoot();

    /// @notice The proof has `got` hashes where at most (or, from the empty log, exactly)
    /// `expected` are allowed.
    error EvidenceLogBadProofLength(uint256 expected, uint256 got);

    /// @notice The proof does not show that the head of size `toSize` extends the
    /// latest anchored head of size `fromSize`.
    error EvidenceLogBadConsistencyProof(uint64 fromSize, uint64 toSize);

    /// @notice There is no head at `index`; `count` heads have been anchored.
    error EvidenceLogNoSuchHead(uint256 index, uint256 count);

    /// @notice Appends the head (`newSize`, `newRoot`) after checking that it extends
    /// the latest anchored head.
    /// @dev Requires ANCHORER_ROLE. Reverts with
    /// - EvidenceLogZeroRoot if `newRoot` is bytes32(0);
    /// - EvidenceLogStaleHead if `newSize` is not greater than the latest size;
    /// - EvidenceLogBadProofLength(0, n) if nothing is anchored yet and `proof` is not
    ///   empty (consistency with the empty log is trivial, so the first head needs no proof);
    /// - EvidenceLogBadProofLength(MAX_PROOF_LENGTH, n) if `proof` is longer than that;
    /// - EvidenceLogBadConsistencyProof if `proof` is not a valid RFC 9162 §2.1.4.2
    ///   consistency proof from the latest head to the new one (an empty proof included).
    /// Emits HeadAnchored.
    /// @param newSize Number of leaves in the log at the new head.
    /// @param newRoot RFC 9162 Merkle tree hash of those leaves.
    /// @param proof Consistency proof from the latest head to the new head, as RFC 9162
    /// §2.1.4.1 produces it (for a latest size that is a power of two, without the
    /// latest root as first element).
    function anchor(uint64 newSize, bytes32 newRoot, bytes32[] calldata proof) external;

    /// @notice Returns the latest anchored head.
    /// @dev Before the first anchor, returns the empty log's head: size 0,
    /// root sha256("") = 0xe3b0c442...b855, anchoredAt 0, index 0. Once heads exist,
    /// `index` is headCount() - 1; tell the two cases apart by `size` (never 0 once anchored).
    /// @return size Number of leaves at the latest head.
    /// @return root Merkle tree hash at the latest head.
    /// @return anchoredAt Time the head was anchored (0 for the empty log).
    /// @return index 0-based position of the head, for headAt().
    function latestHead() external view returns (uint64 size, bytes32 root, uint64 anchoredAt, uint256 index);

    /// @notice Returns the number of heads anchored so far.
    function headCount() external view returns (uint256);

    /// @notice Returns the anchored head at `index`.
    /// @dev Requires index < headCount(), else reverts EvidenceLogNoSuchHead(index, count).
    /// Heads are in anchoring order, so sizes strictly increase with `index`.
    /// @param index 0-based position of the head.
    /// @return size Number of leaves at that head.
    /// @return root Merkle tree hash at that head.
    /// @return anchoredAt Time the head was anchored.
    /// @return blockNumber Number of the block that anchored it.
    function headAt(uint256 index)
        external
        view
        returns (uint64 size, bytes32 root, uint64 anchoredAt, uint64 blockNumber);

    /// @notice Returns the root anchored at exactly `size` leaves, or bytes32(0) if no
    /// head of that size was anchored (always so for size 0).
    /// @param size Number of leaves.
    function rootOf(uint64 size) external view returns (bytes32);

    /// @notice Returns the contract's name and interface version, "EvidenceLog 1".
    function version() external pure returns (string memory);
}

/// @title EvidenceLog
/// @notice Append-only anchor of an RFC 9162 Merkle log's heads; see IEvidenceLog.
/// @dev Roles: DEFAULT_ADMIN_ROLE manages roles; ANCHORER_ROLE may append heads.
/// Neither can change or remove an anchored head: there is no code path that does.
contract EvidenceLog is IEvidenceLog, AccessControl {
    /// @notice Role allowed to call anchor().
    bytes32 public constant ANCHORER_ROLE = keccak256("ANCHORER_ROLE");

    /// @notice Longest consistency proof accepted (2 * 64 hashes). Real proofs are about
    /// log2(newSize) hashes long; the bound only caps the work one call can demand.
    uint256 public constant MAX_PROOF_LENGTH = 128;

    /// @dev RFC 9162 hash of the empty tree: sha256("").
    bytes32 private constant _EMPTY_ROOT = 0xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855;

    struct Head {
        uint64 size;
        uint64 anchoredAt;
        uint64 blockNumber;
        bytes32 root;
    }

    Head[] private _heads;
    mapping(uint64 size => bytes32 root) private _rootOf;

    /// @param admin Account granted DEFAULT_ADMIN_ROLE.
    /// @param anchorer Account granted ANCHORER_ROLE.
    constructor(address admin, address anchorer) {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(ANCHORER_ROLE, anchorer);
    }

    /// @inheritdoc IEvidenceLog
    function anchor(uint64 newSize, bytes32 newRoot, bytes32[] calldata proof) external onlyRole(ANCHORER_ROLE) {
        if (newRoot == bytes32(0)) revert EvidenceLogZeroRoot();
        uint256 count = _heads.length;
        uint64 oldSize;
        bytes32 oldRoot;
        if (count != 0) {
            Head storage last = _heads[count - 1];
            (oldSize, oldRoot) = (last.size, last.root);
        }
        if (newSize <= oldSize) revert EvidenceLogStaleHead(oldSize, newSize);
        if (oldSize == 0) {
            if (proof.length != 0) revert EvidenceLogBadProofLength(0, proof.length);
        } else {
            if (proof.length > MAX_PROOF_LENGTH) revert EvidenceLogBadProofLength(MAX_PROOF_LENGTH, proof.length);
            if (!_verifyConsistency(oldSize, newSize, oldRoot, newRoot, proof)) {
                revert EvidenceLogBadConsistencyProof(oldSize, newSize);
            }
        }

        uint64 anchoredAt = _time();
        _heads.push(Head({size: newSize, anchoredAt: anchoredAt, blockNumber: uint64(block.number), root: newRoot}));
        _rootOf[newSize] = newRoot;
        emit HeadAnchored(count, newSize, newRoot, anchoredAt, _msgSender());
    }

    /// @inheritdoc IEvidenceLog
    function latestHead() external view returns (uint64 size, bytes32 root, uint64 anchoredAt, uint256 index) {
        uint256 count = _heads.length;
        if (count == 0) return (0, _EMPTY_ROOT, 0, 0);
        Head storage head = _heads[count - 1];
        return (head.size, head.root, head.anchoredAt, count - 1);
    }

    /// @inheritdoc IEvidenceLog
    function headCount() external view returns (uint256) {
        return _heads.length;
    }

    /// @inheritdoc IEvidenceLog
    function headAt(uint256 index)
        external
        view
        returns (uint64 size, bytes32 root, uint64 anchoredAt, uint64 blockNumber)
    {
        uint256 count = _heads.length;
        if (index >= count) revert EvidenceLogNoSuchHead(index, count);
        Head storage head = _heads[index];
        return (head.size, head.root, head.anchoredAt, head.blockNumber);
    }

    /// @inheritdoc IEvidenceLog
    function rootOf(uint64 size) external view returns (bytes32) {
        return _rootOf[size];
    }

    /// @inheritdoc IEvidenceLog
    function version() external pure returns (string memory) {
        return "EvidenceLog 1";
    }

    /// @dev Clock used for `anchoredAt`; tests and forks may override it.
    /// block.timestamp fits in 64 bits for the next 500 billion years.
    function _time() internal view virtual returns (uint64) {
        return uint64(block.timestamp);
    }

    /// @dev RFC 9162 §2.1.4.2 "Verifying Consistency between Two Tree Heads", step by step.
    /// Requires 0 < size1 < size2 (anchor() guarantees it). Returns false on any failure,
    /// including an empty proof and a proof with hashes left over.
    function _verifyConsistency(uint64 size1, uint64 size2, bytes32 root1, bytes32 root2, bytes32[] calldata proof)
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
                fr = _nodeHash(c, fr);
                sr = _nodeHash(c, sr);
                while (fn & 1 == 0 && fn != 0) {
                    fn >>= 1;
                    sn >>= 1;
                }
            } else {
                sr = _nodeHash(sr, c);
            }
            fn >>= 1;
            sn >>= 1;
        }
        // 7. Both roots must match and the path must have reached the top of tree 2.
        return fr == root1 && sr == root2 && sn == 0;
    }

    /// @dev RFC 9162 interior node hash: SHA-256(0x01 || left || right).
    function _nodeHash(bytes32 left, bytes32 right) private pure returns (bytes32) {
        return sha256(abi.encodePacked(bytes1(0x01), left, right));
    }
}
