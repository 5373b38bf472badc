// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {NaiveRecordStore} from "../bench/NaiveRecordStore.sol";
import {Test, console} from "./utils/Test.sol";

/// @notice The benchmark baseline works and costs what the benchmark assumes.
contract NaiveRecordStoreTest is Test {
    event Recorded(bytes32 indexed digest, uint256 recordedAt);

    NaiveRecordStore internal store;

    function setUp() public {
        vm.warp(1_700_000_000);
        store = new NaiveRecordStore();
    }

    function test_RecordWritesAndEmits() public {
        bytes32 digest = sha256("record");
        vm.expectEmit(true, true, true, true, address(store));
        emit Recorded(digest, 1_700_000_000);
        store.record(digest);
        assertEq(store.recordedAt(digest), 1_700_000_000, "recordedAt");
        assertEq(store.recordedAt(sha256("other")), 0, "unrecorded");
    }

    /// @dev Execution gas only; a transaction adds 21,000 plus calldata.
    function test_Gas_OneRecord() public {
        bytes32 digest = sha256("record");
        uint256 before = gasleft();
        store.record(digest);
        uint256 used = before - gasleft();
        console.log("gas: naive record, execution only", used);
        assertLt(used, 30_000, "naive record gas");
    }
}
