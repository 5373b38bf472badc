// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {EvidenceLog, IEvidenceLog} from "../src/EvidenceLog.sol";
import {console} from "./utils/Test.sol";
import {EvidenceLogFixture} from "./utils/EvidenceLogFixture.sol";
import {BenchVectors} from "./vectors/BenchVectors.sol";

/// @notice Cheatcode not declared in utils/Test.sol; same signature as forge-std's Vm.sol.
interface VmCooling {
    function cool(address target) external;
}

/// @notice Gas of anchoring a batch of realistic records (BenchVectors: canonical
/// "tender.bid_submitted" records), against the naive design of one transaction per
/// record (bench/NaiveRecordStore.sol: 45,638 gas per record as a transaction on anvil,
/// /work/shared/TOOLCHAIN.md). Reported as a transaction: 21,000 + calldata (EIP-2028:
/// 16 gas per non-zero byte, 4 per zero byte) + execution measured here with cold
/// storage. Run: forge test --match-contract EvidenceLogGas -vv
contract EvidenceLogGasTest is EvidenceLogFixture {
    VmCooling internal constant vmc = VmCooling(address(uint160(uint256(keccak256("hevm cheat code")))));
    uint256 internal constant NAIVE_GAS_PER_RECORD = 45_638;

    function test_Gas_Batch1000() public {
        (BenchVectors.Anchor memory first, BenchVectors.Anchor memory second) = BenchVectors.batch1000();
        uint256 gasFirst = _measure(first, "first head, 1,000 records");
        uint256 gas = _measure(second, "second head, batch of 1,000 records");
        console.log("gas per record, batch of 1,000", gas / 1000);
        console.log("naive / anchored, batch of 1,000", NAIVE_GAS_PER_RECORD * 1000 / gas);
        // Measured: about 1/130 of the naive design. 1/1000 needs batches of about 8,000
        // records or more: the anchor costs ~350k gas whatever the batch (log2 growth).
        assertLt(gas, NAIVE_GAS_PER_RECORD * 1000 / 100, "batch of 1,000 under 1/100 of naive");
        assertLt(gasFirst, 400_000, "first head");
    }

    function test_Gas_Batch100000() public {
        (BenchVectors.Anchor memory first, BenchVectors.Anchor memory second) = BenchVectors.batch100000();
        _measure(first, "first head, 100,000 records");
        uint256 gas = _measure(second, "second head, batch of 100,000 records");
        console.log("gas per record, batch of 100,000 (x100)", gas * 100 / 100_000);
        console.log("naive / anchored, batch of 100,000", NAIVE_GAS_PER_RECORD * 100_000 / gas);
        assertLe(gas * 1000, NAIVE_GAS_PER_RECORD * 100_000, "batch of 100,000 within 1/1000 of naive");
    }

    /// @dev Anchors `a` and returns its transaction gas; logs the parts.
    function _measure(BenchVectors.Anchor memory a, string memory what) internal returns (uint256 total) {
        bytes memory data = abi.encodeCall(EvidenceLog.anchor, (a.size, a.root, a.consistencyProof, a.sizeProof));
        uint256 calldataGas = _calldataGas(data);
        vmc.cool(address(log));
        vm.prank(ANCHORER);
        uint256 before = gasleft();
        log.anchor(a.size, a.root, a.consistencyProof, a.sizeProof);
        uint256 execution = before - gasleft();
        total = 21_000 + calldataGas + execution;
        console.log(what);
        console.log("  calldata bytes", data.length);
        console.log("  execution gas", execution);
        console.log("  transaction gas (21,000 + calldata + execution)", total);
        assertEq(log.rootOf(a.size), a.root, "anchored");
    }

    function _calldataGas(bytes memory data) internal pure returns (uint256 gas) {
        for (uint256 i = 0; i < data.length; ++i) {
            gas += data[i] == 0 ? 4 : 16;
        }
    }
}
