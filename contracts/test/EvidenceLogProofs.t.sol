// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {EvidenceLog, IEvidenceLog} from "../src/EvidenceLog.sol";
import {EvidenceLogFixture, Rfc9162Harness} from "./utils/EvidenceLogFixture.sol";
import {RefMerkle} from "./utils/RefMerkle.sol";
import {SyntheticTree} from "./utils/SyntheticTree.sol";
import {ConsistencyVectors} from "./vectors/ConsistencyVectors.sol";
import {Rfc6962ConsistencyVectors} from "./vectors/Rfc6962ConsistencyVectors.sol";
import {Rfc6962InclusionVectors} from "./vectors/Rfc6962InclusionVectors.sol";
import {SizeProofVectors} from "./vectors/SizeProofVectors.sol";

/// @notice The on-chain RFC 9162 verifiers, against three sources of proofs: the
/// service's Python log (generated vectors), the published transparency-dev vectors, and
/// RefMerkle (an independent Solidity builder) under fuzzing. Every anchor carries the
/// size proof of its tree (SizeProofVectors, RefMerkle.sizeProof); the size binding
/// itself is tested in EvidenceLogSize.t.sol.
contract EvidenceLogProofsTest is EvidenceLogFixture {
    uint256 internal constant FUZZ_MAX_SIZE = 1024;

    // ------------------------------------------------------------------ Python log vectors

    function test_ChainsFromPythonLog() public {
        for (uint256 c = 0; c < ConsistencyVectors.chainCount(); ++c) {
            log = new EvidenceLog(ADMIN, ANCHORER);
            ConsistencyVectors.Step[] memory steps = ConsistencyVectors.chain(c);
            _anchorPython(steps[0].size1, steps[0].root1, _noProof());
            for (uint256 i = 0; i < steps.length; ++i) {
                _anchorPython(steps[i].size2, steps[i].root2, steps[i].proof);
            }
            assertEq(log.headCount(), steps.length + 1, "one head per step");
            for (uint256 i = 0; i < steps.length; ++i) {
                assertEq(log.rootOf(steps[i].size1), steps[i].root1, "rootOf every anchored size");
                (uint64 size, bytes32 root,,) = log.headAt(i + 1);
                assertEq(size, steps[i].size2, "head size");
                assertEq(root, steps[i].root2, "head root");
            }
            ConsistencyVectors.Step memory last = steps[steps.length - 1];
            _assertLatest(last.size2, last.root2, steps.length);
        }
    }

    function test_PairsAndLargeTreesFromPythonLog() public {
        _anchorEach(ConsistencyVectors.pairs());
        _anchorEach(ConsistencyVectors.large());
    }

    /// @notice The Python log and RefMerkle agree byte for byte, so the fuzz tests below
    /// exercise the same tree the service builds.
    function test_PythonLogMatchesSolidityReference() public pure {
        ConsistencyVectors.Step[] memory pairs = ConsistencyVectors.pairs();
        for (uint256 i = 0; i < pairs.length; ++i) {
            assertEq(pairs[i].root1, RefMerkle.root(pairs[i].size1), "root1");
            assertEq(pairs[i].root2, RefMerkle.root(pairs[i].size2), "root2");
            bytes32[] memory proof = RefMerkle.consistencyProof(pairs[i].size1, pairs[i].size2);
            assertEq(proof.length, pairs[i].proof.length, "proof length");
            for (uint256 j = 0; j < proof.length; ++j) {
                assertEq(proof[j], pairs[i].proof[j], "proof hash");
            }
        }
    }

    /// @notice The Python log's size proofs match RefMerkle's byte for byte, for every
    /// size small enough for RefMerkle to build.
    function test_PythonSizeProofsMatchSolidityReference() public pure {
        uint64[] memory sizes = SizeProofVectors.sizes();
        uint256 compared;
        for (uint256 i = 0; i < sizes.length; ++i) {
            if (sizes[i] > 1024) continue;
            (bytes32 root, IEvidenceLog.SizeProof memory p) = SizeProofVectors.proof(sizes[i]);
            IEvidenceLog.SizeProof memory q = RefMerkle.sizeProof(sizes[i]);
            assertEq(root, RefMerkle.root(sizes[i]), "root");
            assertEq(keccak256(abi.encode(p)), keccak256(abi.encode(q)), "size proof");
            ++compared;
        }
        assertGt(compared, 35, "most sizes compared");
    }

    function _anchorEach(ConsistencyVectors.Step[] memory steps) internal {
        for (uint256 i = 0; i < steps.length; ++i) {
            log = new EvidenceLog(ADMIN, ANCHORER);
            _anchorPython(steps[i].size1, steps[i].root1, _noProof());
            _anchorPython(steps[i].size2, steps[i].root2, steps[i].proof);
            assertEq(log.rootOf(steps[i].size2), steps[i].root2, "anchored");
        }
    }

    /// @dev Anchors (size, root) with the Python log's size proof, which must be for `root`.
    function _anchorPython(uint64 size, bytes32 root, bytes32[] memory proof) internal {
        (bytes32 want, IEvidenceLog.SizeProof memory sizeProof) = SizeProofVectors.proof(size);
        assertEq(want, root, "size proof vector is for this root");
        _anchor(size, root, proof, sizeProof);
    }

    // ------------------------------------------------------------------ published vectors

    /// @notice transparency-dev/merkle testdata/consistency (see the vectors file header):
    /// happy paths anchor, every named mutation reverts with EvidenceLog's error.
    function test_PublishedRfc6962Vectors() public {
        Rfc6962ConsistencyVectors.Case[] memory cases = Rfc6962ConsistencyVectors.cases();
        Rfc9162Harness rfc = new Rfc9162Harness();
        uint256 anchored;
        uint256 verifierOnly;
        for (uint256 i = 0; i < cases.length; ++i) {
            Rfc6962ConsistencyVectors.Case memory c = cases[i];
            if (!c.oldHeadAnchorable) {
                // (size1, root1) is no head of the reference tree: the size proof keeps it
                // off the chain, so the mutation is checked on the verifier alone.
                assertTrue(c.expect == Rfc6962ConsistencyVectors.Expect.BadConsistencyProof, c.name);
                assertFalse(rfc.verifyConsistency(c.size1, c.size2, c.root1, c.root2, c.proof), c.name);
                ++verifierOnly;
                continue;
            }
            log = new EvidenceLog(ADMIN, ANCHORER);
            if (c.size1 != 0) _anchor(c.size1, c.root1, _noProof(), c.sizeProof1);
            if (c.expect == Rfc6962ConsistencyVectors.Expect.StaleHead) {
                _expectStale(c.size1, c.size2);
            } else if (c.expect == Rfc6962ConsistencyVectors.Expect.BadProofLength) {
                _expectBadLength(c.size1 == 0 ? 0 : log.MAX_PROOF_LENGTH(), c.proof.length);
            } else if (c.expect == Rfc6962ConsistencyVectors.Expect.BadConsistencyProof) {
                _expectBadProof(c.size1, c.size2);
            } else {
                ++anchored;
            }
            _anchor(c.size2, c.root2, c.proof, c.sizeProof2);
        }
        assertEq(anchored, 4, "the four happy paths with growth anchor");
        assertEq(verifierOnly, 13, "mutated size1 / swapped roots, on the verifier");
    }

    /// @notice transparency-dev/merkle testdata/inclusion: the RFC 9162 §2.1.3.2 verifier
    /// EvidenceLog runs on the last leaf agrees with every published verdict.
    function test_PublishedRfc6962InclusionVectors() public {
        Rfc6962InclusionVectors.Case[] memory cases = Rfc6962InclusionVectors.cases();
        Rfc9162Harness rfc = new Rfc9162Harness();
        uint256 valid;
        for (uint256 i = 0; i < cases.length; ++i) {
            Rfc6962InclusionVectors.Case memory c = cases[i];
            bool ok = rfc.verifyInclusion(c.index, c.size, c.leafHash, c.proof, c.root);
            assertEq(ok, c.valid, c.name);
            if (ok) ++valid;
        }
        assertGt(valid, 4, "happy paths verify");
        assertGt(cases.length - valid, 40, "mutations fail");
    }

    // ------------------------------------------------------------------ fuzzing

    function _sizes(uint256 a, uint256 b) internal pure returns (uint64 size1, uint64 size2) {
        size1 = uint64(bound(a, 1, FUZZ_MAX_SIZE - 1));
        size2 = uint64(bound(b, size1 + 1, FUZZ_MAX_SIZE));
    }

    function testFuzz_AcceptsEveryValidStep(uint256 a, uint256 b) public {
        (uint64 size1, uint64 size2) = _sizes(a, b);
        _anchorRef(size1, _noProof());
        _anchorRef(size2, RefMerkle.consistencyProof(size1, size2));
        _assertLatest(size2, RefMerkle.root(size2), 1);
    }

    function testFuzz_RejectsBitFlipInProof(uint256 a, uint256 b, uint256 which, uint256 bit) public {
        (uint64 size1, uint64 size2) = _sizes(a, b);
        bytes32[] memory proof = RefMerkle.consistencyProof(size1, size2);
        bytes32 root2 = RefMerkle.root(size2);
        which = bound(which, 0, proof.length - 1);
        proof[which] = _flipBit(proof[which], bit);
        IEvidenceLog.SizeProof memory sizeProof2 = RefMerkle.sizeProof(size2);
        _anchorRef(size1, _noProof());
        _expectBadProof(size1, size2);
        _anchor(size2, root2, proof, sizeProof2);
    }

    /// @notice A wrong new root fails the consistency proof. (A wrong old root cannot be
    /// anchored at all any more: the size proof ties it to its tree.)
    function testFuzz_RejectsBitFlipInNewRoot(uint256 a, uint256 b, uint256 bit) public {
        (uint64 size1, uint64 size2) = _sizes(a, b);
        bytes32 root2 = _flipBit(RefMerkle.root(size2), bit);
        bytes32[] memory proof = RefMerkle.consistencyProof(size1, size2);
        IEvidenceLog.SizeProof memory sizeProof2 = RefMerkle.sizeProof(size2);
        _anchorRef(size1, _noProof());
        _expectBadProof(size1, size2);
        _anchor(size2, root2, proof, sizeProof2);
    }

    /// @notice The consistency proof is checked against the anchored old root: an old head
    /// of another tree of the same size (a synthetic one) does not extend to RefMerkle's.
    function testFuzz_RejectsProofFromAnotherOldTree(uint256 a, uint256 b, bytes32 seed) public {
        (uint64 size1, uint64 size2) = _sizes(a, b);
        (bytes32 other1, IEvidenceLog.SizeProof memory sizeProof1) = SyntheticTree.build(size1, seed);
        bytes32 root2 = RefMerkle.root(size2);
        bytes32[] memory proof = RefMerkle.consistencyProof(size1, size2);
        IEvidenceLog.SizeProof memory sizeProof2 = RefMerkle.sizeProof(size2);
        _anchor(size1, other1, _noProof(), sizeProof1);
        _expectBadProof(size1, size2);
        _anchor(size2, root2, proof, sizeProof2);
    }

    function testFuzz_RejectsTruncatedOrExtendedProof(uint256 a, uint256 b, bytes32 extra, bool extend) public {
        (uint64 size1, uint64 size2) = _sizes(a, b);
        bytes32[] memory proof = RefMerkle.consistencyProof(size1, size2);
        bytes32[] memory bad = new bytes32[](extend ? proof.length + 1 : proof.length - 1);
        for (uint256 i = 0; i < bad.length && i < proof.length; ++i) {
            bad[i] = proof[i];
        }
        if (extend) bad[proof.length] = extra;
        bytes32 root2 = RefMerkle.root(size2);
        IEvidenceLog.SizeProof memory sizeProof2 = RefMerkle.sizeProof(size2);
        _anchorRef(size1, _noProof());
        _expectBadProof(size1, size2);
        _anchor(size2, root2, bad, sizeProof2);
    }

    /// @notice Bit flips in the Python log's proofs, large trees (20-hash proof) included.
    function testFuzz_RejectsBitFlipInPythonVectors(uint256 pick, uint256 which, uint256 bit) public {
        ConsistencyVectors.Step[] memory large = ConsistencyVectors.large();
        ConsistencyVectors.Step[] memory pairs = ConsistencyVectors.pairs();
        pick = bound(pick, 0, large.length + pairs.length - 1);
        ConsistencyVectors.Step memory step = pick < large.length ? large[pick] : pairs[pick - large.length];
        // which == proof.length flips the new root instead of a proof hash.
        which = bound(which, 0, step.proof.length);
        bytes32 root2 = step.root2;
        if (which == step.proof.length) root2 = _flipBit(root2, bit);
        else step.proof[which] = _flipBit(step.proof[which], bit);
        (, IEvidenceLog.SizeProof memory sizeProof2) = SizeProofVectors.proof(step.size2);
        _anchorPython(step.size1, step.root1, _noProof());
        _expectBadProof(step.size1, step.size2);
        _anchor(step.size2, root2, step.proof, sizeProof2);
    }

    function testFuzz_RejectsStaleSizes(uint64 have, uint64 got) public {
        have = uint64(bound(have, 1, type(uint64).max));
        got = uint64(bound(got, 0, have));
        (bytes32 root, IEvidenceLog.SizeProof memory sizeProof) = SyntheticTree.build(have, "head");
        _anchor(have, root, _noProof(), sizeProof);
        _expectStale(have, got);
        _anchor(got, keccak256("next"), _noProof(), _noSizeProof());
    }

    /// @notice Any size up to 2^64 - 1 anchors with a size proof of that size (heights up
    /// to 63: proofs of up to 2,016 path hashes).
    function testFuzz_FirstHeadAnySize(uint64 size, bytes32 seed) public {
        size = uint64(bound(size, 1, type(uint64).max));
        (bytes32 root, IEvidenceLog.SizeProof memory sizeProof) = SyntheticTree.build(size, seed);
        _anchor(size, root, _noProof(), sizeProof);
        _assertLatest(size, root, 0);
        assertEq(log.rootOf(size), root, "rootOf");
    }

    function testFuzz_OnlyAnchorerCanAnchor(address caller) public {
        vm.assume(caller != ANCHORER);
        bytes32 role = log.ANCHORER_ROLE();
        bytes32 root = RefMerkle.root(1);
        IEvidenceLog.SizeProof memory sizeProof = RefMerkle.sizeProof(1);
        vm.prank(caller);
        vm.expectRevert(abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, caller, role));
        log.anchor(1, root, _noProof(), sizeProof);
    }
}
