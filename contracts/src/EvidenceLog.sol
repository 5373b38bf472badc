// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Rfc9162} from "./Rfc9162.sol";

/// @title IEvidenceLog
/// @notice On-chain anchor of an append-only RFC 9162 Merkle log (SHA-256).
/// @dev A head is a (size, root) pair of the off-chain log. The contract checks two things
/// itself, so that no one, the anchorer included, can rewrite anchored history or
/// mis-state how many records a root holds:
/// - the new head extends the previous one: an RFC 9162 §2.1.4.2 consistency proof;
/// - the new root holds exactly `size` leaves: a SizeProof (below). A consistency proof
///   alone does not bind the new size (the 4 -> 8 proof also verifies as 4 -> 6), and
///   neither does an inclusion proof of the last leaf alone, since for the last index
///   RFC 9162's verifier only counts the proof's hashes: it needs the heights of the
///   subtrees beside the last leaf, which only openings down to a leaf can show.
/// Hashes: leaf = sha256(0x00 || data), node = sha256(0x01 || left || right).
/// docs/anchoring.md specifies the SizeProof and argues why it binds the size.
interface IEvidenceLog {
    /// @notice Evidence that a root is the Merkle tree hash of exactly `size` leaves.
    /// Write last = size - 1 and b_0 < b_1 < ... < b_(k-1) for the positions of the bits
    /// set in `last` (k = popcount(last)). The tree's right edge from the root down to
    /// leaf `last` has k left neighbours; the j-th from the bottom, inclusionProof[j], is
    /// the perfect subtree of 2^b_j leaves starting at leaf s_j = last & ~(2^(b_j+1) - 1).
    /// @param lastLeaf The leaf data of leaf size - 1 (the canonical record bytes).
    /// @param inclusionProof RFC 9162 §2.1.3.1 inclusion proof of leaf size - 1 in the
    /// tree of `size` leaves: exactly k hashes.
    /// @param blockLeaves For each j < k, the leaf data of leaf s_j, the first leaf of the
    /// subtree inclusionProof[j].
    /// @param blockPaths For each j < k in turn, the b_j hashes that lead from leaf s_j up
    /// to inclusionProof[j]: the first b_j hashes of leaf s_j's inclusion proof, i.e.
    /// MTH(D[s_j + 2^i : s_j + 2^(i+1)]) for i = 0 .. b_j - 1. In all sum(b_j) hashes.
    struct SizeProof {
        bytes lastLeaf;
        bytes32[] inclusionProof;
        bytes[] blockLeaves;
        bytes32[] blockPaths;
    }

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

    /// @notice A leaf in the size proof has `got` bytes, more than a record may have (`max`).
    error EvidenceLogLeafTooLong(uint256 max, uint256 got);

    /// @notice The size proof's `part` ("inclusionProof", "blockLeaves" or "blockPaths")
    /// has `got` elements where a tree of `size` leaves needs exactly `expected`.
    error EvidenceLogBadSizeProofShape(uint64 size, string part, uint256 expected, uint256 got);

    /// @notice `lastLeaf` with `inclusionProof` is not leaf size - 1 of the tree
    /// (`size`, new root): RFC 9162 §2.1.3.2 inclusion verification failed.
    error EvidenceLogBadInclusionProof(uint64 size);

    /// @notice Subtree inclusionProof[`blockIndex`] is not shown to be a perfect subtree of
    /// the height a tree of `size` leaves has there: `size` is mis-stated or the witness
    /// (blockLeaves[blockIndex] and its blockPaths hashes) is wrong.
    error EvidenceLogBadBlockWitness(uint64 size, uint256 blockIndex);

    /// @notice There is no head at `index`; `count` heads have been anchored.
    error EvidenceLogNoSuchHead(uint256 index, uint256 count);

    /// @notice Appends the head (`newSize`, `newRoot`) after checking that it extends
    /// the latest anchored head and that `newRoot` holds exactly `newSize` leaves.
    /// @dev Requires ANCHORER_ROLE. Reverts with
    /// - EvidenceLogZeroRoot if `newRoot` is bytes32(0);
    /// - EvidenceLogStaleHead if `newSize` is not greater than the latest size;
    /// - EvidenceLogBadProofLength(0, n) if nothing is anchored yet and `proof` is not
    ///   empty (consistency with the empty log is trivial, so the first head needs no proof);
    /// - EvidenceLogBadProofLength(MAX_PROOF_LENGTH, n) if `proof` is longer than that;
    /// - EvidenceLogBadConsistencyProof if `proof` is not a valid RFC 9162 §2.1.4.2
    ///   consistency proof from the latest head to the new one (an empty proof included);
    /// then, checking `sizeProof` (a mis-stated size fails here):
    /// - EvidenceLogBadSizeProofShape if a part has not exactly the length `newSize` needs;
    /// - EvidenceLogLeafTooLong if a leaf has more than MAX_LEAF_BYTES bytes;
    /// - EvidenceLogBadInclusionProof if `lastLeaf` is not leaf newSize - 1 under `newRoot`;
    /// - EvidenceLogBadBlockWitness if a subtree beside the last leaf is not shown to have
    ///   the height `newSize` gives it.
    /// Emits HeadAnchored.
    /// @param newSize Number of leaves in the log at the new head.
    /// @param newRoot RFC 9162 Merkle tree hash of those leaves.
    /// @param proof Consistency proof from the latest head to the new head, as RFC 9162
    /// §2.1.4.1 produces it (for a latest size that is a power of two, without the
    /// latest root as first element).
    /// @param sizeProof Evidence that `newRoot` holds exactly `newSize` leaves.
    function anchor(uint64 newSize, bytes32 newRoot, bytes32[] calldata proof, SizeProof calldata sizeProof) external;

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
    /// @dev A binary search over the heads (their sizes strictly increase): O(log headCount).
    /// @param size Number of leaves.
    function rootOf(uint64 size) external view returns (bytes32);

    /// @notice Returns the contract's name and interface version, "EvidenceLog 2".
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

    /// @notice Longest leaf accepted in a size proof: ledger_service.core.records'
    /// MAX_RECORD_BYTES, the largest canonical record (64 KiB).
    uint256 public constant MAX_LEAF_BYTES = 65_536;

    /// @dev RFC 9162 hash of the empty tree: sha256("").
    bytes32 private constant _EMPTY_ROOT = 0xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855;

    struct Head {
        uint64 size;
        uint64 anchoredAt;
        uint64 blockNumber;
        bytes32 root;
    }

    Head[] private _heads;

    /// @param admin Account granted DEFAULT_ADMIN_ROLE.
    /// @param anchorer Account granted ANCHORER_ROLE.
    constructor(address admin, address anchorer) {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(ANCHORER_ROLE, anchorer);
    }

    /// @inheritdoc IEvidenceLog
    function anchor(uint64 newSize, bytes32 newRoot, bytes32[] calldata proof, SizeProof calldata sizeProof)
        external
        onlyRole(ANCHORER_ROLE)
    {
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
            if (!Rfc9162.verifyConsistency(oldSize, newSize, oldRoot, newRoot, proof)) {
                revert EvidenceLogBadConsistencyProof(oldSize, newSize);
            }
        }
        _requireSize(newSize, newRoot, sizeProof);

        uint64 anchoredAt = _time();
        _heads.push(Head({size: newSize, anchoredAt: anchoredAt, blockNumber: uint64(block.number), root: newRoot}));
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
        // first head whose size is >= `size`
        uint256 lo = 0;
        uint256 hi = _heads.length;
        while (lo < hi) {
            uint256 mid = (lo + hi) / 2;
            if (_heads[mid].size < size) lo = mid + 1;
            else hi = mid;
        }
        if (lo == _heads.length || _heads[lo].size != size) return bytes32(0);
        return _heads[lo].root;
    }

    /// @inheritdoc IEvidenceLog
    function version() external pure returns (string memory) {
        return "EvidenceLog 2";
    }

    /// @dev Clock used for `anchoredAt`; tests and forks may override it.
    /// block.timestamp fits in 64 bits for the next 500 billion years.
    function _time() internal view virtual returns (uint64) {
        return uint64(block.timestamp);
    }

    /// @dev Reverts unless `proof` shows that `root` is the hash of exactly `size` leaves
    /// (requires size > 0). Why this binds the size (docs/anchoring.md): with last =
    /// size - 1, the inclusion proof of leaf `last`, opened down to the leaf's data,
    /// follows the tree's right edge, whose left neighbours are perfect subtrees of
    /// 2^b leaves for each bit b set in `last`, lowest first. Their heights are the only
    /// thing the size changes, and a hash does not show its height, so each one is opened
    /// along its leftmost edge: b hashes up from a leaf's data. A perfect subtree reaches
    /// a leaf after exactly its height, and a leaf hash (0x00) is never a node hash
    /// (0x01), so a wrong height fails unless SHA-256 collides.
    function _requireSize(uint64 size, bytes32 root, SizeProof calldata proof) private pure {
        uint256 last = size - 1;
        (uint256 blocks, uint256 pathHashes) = _edgeShape(last);
        _requireLength(size, "inclusionProof", blocks, proof.inclusionProof.length);
        _requireLength(size, "blockLeaves", blocks, proof.blockLeaves.length);
        _requireLength(size, "blockPaths", pathHashes, proof.blockPaths.length);

        if (!Rfc9162.verifyInclusion(last, size, _leafHash(proof.lastLeaf), proof.inclusionProof, root)) {
            revert EvidenceLogBadInclusionProof(size);
        }
        // For index = size - 1, RFC 9162's verifier hashes every p as HASH(p || r):
        // inclusionProof[j] is the left neighbour at the j-th bit set in `last`.
        uint256 bits = last;
        uint256 height;
        uint256 next;
        for (uint256 j = 0; j < blocks; ++j) {
            while (bits & 1 == 0) {
                bits >>= 1;
                ++height;
            }
            bytes32 r = _leafHash(proof.blockLeaves[j]);
            for (uint256 i = 0; i < height; ++i) {
                r = Rfc9162.nodeHash(r, proof.blockPaths[next++]);
            }
            if (r != proof.inclusionProof[j]) revert EvidenceLogBadBlockWitness(size, j);
            bits >>= 1;
            ++height;
        }
    }

    /// @dev Number of subtrees beside the last leaf `last` (bits set in `last`) and the sum
    /// of their heights (positions of those bits).
    function _edgeShape(uint256 last) private pure returns (uint256 blocks, uint256 heights) {
        for (uint256 b = 0; last >> b != 0; ++b) {
            if ((last >> b) & 1 == 1) {
                ++blocks;
                heights += b;
            }
        }
    }

    function _requireLength(uint64 size, string memory part, uint256 expected, uint256 got) private pure {
        if (got != expected) revert EvidenceLogBadSizeProofShape(size, part, expected, got);
    }

    /// @dev Leaf hash of a record of at most MAX_LEAF_BYTES bytes.
    function _leafHash(bytes calldata data) private pure returns (bytes32) {
        if (data.length > MAX_LEAF_BYTES) revert EvidenceLogLeafTooLong(MAX_LEAF_BYTES, data.length);
        return Rfc9162.leafHash(data);
    }
}
