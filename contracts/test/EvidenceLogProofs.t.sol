// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {EvidenceLog} from "../src/EvidenceLog.sol";
import {EvidenceLogFixture} from "./utils/EvidenceLogFixture.sol";
import {RefMerkle} from "./utils/RefMerkle.sol";
import {ConsistencyVectors} from "./vectors/ConsistencyVectors.sol";
import {Rfc6962ConsistencyVectors} from "./vectors/Rfc6962ConsistencyVectors.sol";

/// @notice The on-chain RFC 9162 consistency verifier, against three sources of proofs:
/// the service's Python log (generated vectors), the published transparency-dev vectors,
/// and RefMerkle (an independent Solidity builder) under fuzzing.
contract EvidenceLogProofsTest is EvidenceLogFixture {
    uint256 internal constant FUZZ_MAX_SIZE = 1024;

    // ------------------------------------------------------------------ Python log vectors

    function test_ChainsFromPythonLog() public {
        for (uint256 c = 0; c < ConsistencyVectors.chainCount(); ++c) {
            log = new EvidenceLog(ADMIN, ANCHORER);
            ConsistencyVectors.Step[] memory steps = ConsistencyVectors.chain(c);
            _anchor(steps[0].size1, steps[0].root1, _noProof());
            for (uint256 i = 0; i < steps.length; ++i) {
                _anchor(steps[i].size2, steps[i].root2, steps[i].proof);
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

    function _anchorEach(ConsistencyVectors.Step[] memory steps) internal {
        for (uint256 i = 0; i < steps.length; ++i) {
            log = new EvidenceLog(ADMIN, ANCHORER);
            _anchor(steps[i].size1, steps[i].root1, _noProof());
            _anchor(steps[i].size2, steps[i].root2, steps[i].proof);
            assertEq(log.rootOf(steps[i].size2), steps[i].root2, "anchored");
        }
    }

    // ------------------------------------------------------------------ published vectors

    /// @notice transparency-dev/merkle testdata/consistency (see the vectors file header):
    /// happy paths anchor, every named mutation reverts with EvidenceLog's error.
    function test_PublishedRfc6962Vectors() public {
        Rfc6962ConsistencyVectors.Case[] memory cases = Rfc6962ConsistencyVectors.cases();
        uint256 anchored;
        for (uint256 i = 0; i < cases.length; ++i) {
            Rfc6962ConsistencyVectors.Case memory c = cases[i];
            log = new EvidenceLog(ADMIN, ANCHORER);
            if (c.size1 != 0) _anchor(c.size1, c.root1, _noProof());
            if (c.expect == Rfc6962ConsistencyVectors.Expect.StaleHead) {
                _expectStale(c.size1, c.size2);
            } else if (c.expect == Rfc6962ConsistencyVectors.Expect.BadProofLength) {
                _expectBadLength(c.size1 == 0 ? 0 : log.MAX_PROOF_LENGTH(), c.proof.length);
            } else if (c.expect == Rfc6962ConsistencyVectors.Expect.BadConsistencyProof) {
                _expectBadProof(c.size1, c.size2);
            } else {
                ++anchored;
            }
            _anchor(c.size2, c.root2, c.proof);
        }
        assertEq(anchored, 4, "the four happy paths with growth anchor");
    }

    // ------------------------------------------------------------------ fuzzing

    function _sizes(uint256 a, uint256 b) internal pure returns (uint64 size1, uint64 size2) {
        size1 = uint64(bound(a, 1, FUZZ_MAX_SIZE - 1));
        size2 = uint64(bound(b, size1 + 1, FUZZ_MAX_SIZE));
    }

    function testFuzz_AcceptsEveryValidStep(uint256 a, uint256 b) public {
        (uint64 size1, uint64 size2) = _sizes(a, b);
        _anchor(size1, RefMerkle.root(size1), _noProof());
        _anchor(size2, RefMerkle.root(size2), RefMerkle.consistencyProof(size1, size2));
        _assertLatest(size2, RefMerkle.root(size2), 1);
    }

    function testFuzz_RejectsBitFlipInProof(uint256 a, uint256 b, uint256 which, uint256 bit) public {
        (uint64 size1, uint64 size2) = _sizes(a, b);
        bytes32[] memory proof = RefMerkle.consistencyProof(size1, size2);
        bytes32 root2 = RefMerkle.root(size2);
        which = bound(which, 0, proof.length - 1);
        proof[which] = _flipBit(proof[which], bit);
        _anchor(size1, RefMerkle.root(size1), _noProof());
        _expectBadProof(size1, size2);
        _anchor(size2, root2, proof);
    }

    function testFuzz_RejectsBitFlipInEitherRoot(uint256 a, uint256 b, uint256 bit, bool oldRoot) public {
        (uint64 size1, uint64 size2) = _sizes(a, b);
        bytes32 root1 = RefMerkle.root(size1);
        bytes32 root2 = RefMerkle.root(size2);
        if (oldRoot) root1 = _flipBit(root1, bit);
        else root2 = _flipBit(root2, bit);
        vm.assume(root1 != 0 && root2 != 0);
        bytes32[] memory proof = RefMerkle.consistencyProof(size1, size2);
        _anchor(size1, root1, _noProof());
        _expectBadProof(size1, size2);
        _anchor(size2, root2, proof);
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
        _anchor(size1, RefMerkle.root(size1), _noProof());
        _expectBadProof(size1, size2);
        _anchor(size2, root2, bad);
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
        _anchor(step.size1, step.root1, _noProof());
        _expectBadProof(step.size1, step.size2);
        _anchor(step.size2, root2, step.proof);
    }

    function testFuzz_RejectsStaleSizes(uint64 have, uint64 got) public {
        have = uint64(bound(have, 1, type(uint64).max));
        got = uint64(bound(got, 0, have));
        _anchor(have, keccak256("head"), _noProof());
        _expectStale(have, got);
        _anchor(got, keccak256("next"), _noProof());
    }

    function testFuzz_FirstHeadAnySize(uint64 size, bytes32 root) public {
        size = uint64(bound(size, 1, type(uint64).max));
        vm.assume(root != 0);
        _anchor(size, root, _noProof());
        _assertLatest(size, root, 0);
        assertEq(log.rootOf(size), root, "rootOf");
    }

    function testFuzz_OnlyAnchorerCanAnchor(address caller) public {
        vm.assume(caller != ANCHORER);
        bytes32 role = log.ANCHORER_ROLE();
        bytes32 root = RefMerkle.root(1);
        vm.prank(caller);
        vm.expectRevert(abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, caller, role));
        log.anchor(1, root, _noProof());
    }
}
