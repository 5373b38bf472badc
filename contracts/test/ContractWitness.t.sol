// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IContractWitness} from "../src/IContractWitness.sol";
import {ContractWitness} from "../src/ContractWitness.sol";
import {Test, console} from "./utils/Test.sol";

/// @notice Cheatcodes the shared Vm subset in utils/Test.sol does not declare; same
/// signatures as forge-std's Vm.sol.
interface VmSigning {
    function sign(uint256 privateKey, bytes32 digest) external pure returns (uint8 v, bytes32 r, bytes32 s);
    function chainId(uint256 newChainId) external;
    function cool(address target) external;
}

/// @notice ContractWitness with a settable clock, to test the `_time()` seam.
contract ContractWitnessWithClock is ContractWitness {
    uint64 public clock;

    constructor(address admin, address operator) ContractWitness(admin, operator) {}

    function setClock(uint64 t) external {
        clock = t;
    }

    function _time() internal view override returns (uint64) {
        return clock;
    }
}

/// @notice Behaviour of ContractWitness: roles, registration, relayed signatures,
/// completion, amendments, every revert path, EIP-712 domains, events, gas.
/// Signatures and other external calls are made before vm.prank/vm.expectRevert, which
/// apply to the next call.
contract ContractWitnessTest is Test {
    VmSigning internal constant vms = VmSigning(address(uint160(uint256(keccak256("hevm cheat code")))));

    address internal constant ADMIN = address(0xA11CE);
    address internal constant OPERATOR = address(0x0BE7A7);
    address internal constant RELAYER = address(0x7E1A7);
    address internal constant STRANGER = address(0xBAD);
    uint256 internal constant KEY_A = 0xC0A001;
    uint256 internal constant KEY_B = 0xC0A002;
    uint256 internal constant KEY_C = 0xC0A003;
    uint256 internal constant KEY_MALLORY = 0x3A11;
    uint64 internal constant START = 1_700_000_000;
    uint64 internal constant DATE = 1_735_689_600; // 2025-01-01T00:00:00Z
    uint256 internal constant AMOUNT = 123_456_789; // fen
    bytes32 internal constant DOC = keccak256("document");
    bytes32 internal constant TERMS = keccak256("terms");
    bytes32 internal constant K1 = keccak256("HT-2025-0001");
    bytes32 internal constant K2 = keccak256("HT-2025-0001-A1");
    bytes32 internal constant K3 = keccak256("HT-2025-0001-A2");
    uint256 internal constant ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;
    bytes32 internal constant SIGNATURE_TYPEHASH = keccak256(
        "ContractSignature(bytes32 contractId,bytes32 documentDigest,address[] parties,uint256 amount,uint64 date,bytes32 termsDigest,bytes32 previous)"
    );
    bytes32 internal constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");

    ContractWitness internal cw;
    address internal a;
    address internal b;
    address internal c;

    function setUp() public {
        vm.warp(START);
        cw = new ContractWitness(ADMIN, OPERATOR);
        a = vm.addr(KEY_A);
        b = vm.addr(KEY_B);
        c = vm.addr(KEY_C);
    }

    // ------------------------------------------------------------------ fixtures

    function _pair() internal view returns (address[] memory list) {
        list = new address[](2);
        (list[0], list[1]) = (a, b);
    }

    function _register(bytes32 id, bytes32 previous) internal {
        address[] memory parties = _pair();
        vm.prank(OPERATOR);
        cw.registerContract(id, DOC, parties, AMOUNT, DATE, TERMS, previous);
    }

    function _sign(uint256 key, bytes32 digest) internal pure returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vms.sign(key, digest);
        return abi.encodePacked(r, s, v);
    }

    function _sigFor(ContractWitness target, bytes32 id, uint256 key) internal view returns (bytes memory) {
        return _sign(key, target.signatureDigest(id));
    }

    function _signAs(bytes32 id, address party, bytes memory sig) internal {
        vm.prank(RELAYER);
        cw.sign(id, party, sig);
    }

    /// @dev Registers `id` (parties a, b) and has both sign it.
    function _complete(bytes32 id, bytes32 previous) internal {
        _register(id, previous);
        _signAs(id, a, _sigFor(cw, id, KEY_A));
        _signAs(id, b, _sigFor(cw, id, KEY_B));
    }

    function _expect(bytes memory revertData) internal {
        vm.expectRevert(revertData);
    }

    function _expectBadSignature(address party, address signer) internal {
        vm.expectRevert(abi.encodeWithSelector(IContractWitness.ContractWitnessBadSignature.selector, party, signer));
    }

    function _manualDomain(uint256 chainId, address verifyingContract) internal pure returns (bytes32) {
        return keccak256(
            abi.encode(
                DOMAIN_TYPEHASH, keccak256("ChainWitness ContractWitness"), keccak256("1"), chainId, verifyingContract
            )
        );
    }

    // ------------------------------------------------------------------ metadata, roles, EIP-712

    function test_Version() public view {
        assertEq(cw.version(), "ContractWitness 2", "version");
    }

    function test_ConstructorGrantsRoles() public view {
        assertEq(cw.OPERATOR_ROLE(), keccak256("OPERATOR_ROLE"), "role id");
        assertTrue(cw.hasRole(cw.DEFAULT_ADMIN_ROLE(), ADMIN), "admin is admin");
        assertTrue(cw.hasRole(cw.OPERATOR_ROLE(), OPERATOR), "operator is operator");
        assertFalse(cw.hasRole(cw.OPERATOR_ROLE(), ADMIN), "admin is not operator");
        assertEq(cw.MIN_PARTIES(), 2, "MIN_PARTIES");
        assertEq(cw.MAX_PARTIES(), 8, "MAX_PARTIES");
    }

    function test_Eip712Domain() public view {
        (bytes1 fields, string memory name, string memory ver, uint256 chainId, address verifying,,) = cw.eip712Domain();
        assertEq(uint8(fields), 0x0f, "name, version, chainId, verifyingContract");
        assertEq(name, "ChainWitness ContractWitness", "name");
        assertEq(ver, "1", "version");
        assertEq(chainId, block.chainid, "chainId");
        assertEq(verifying, address(cw), "verifyingContract");
        assertEq(cw.DOMAIN_SEPARATOR(), _manualDomain(block.chainid, address(cw)), "domain separator");
    }

    /// @notice The digest written out from EIP-712 by hand, and a pinned value that the
    /// Python helper (tests/integration/witness/test_contract_witness.py) reproduces.
    function test_SignatureDigestIsEip712() public {
        _register(K1, 0);
        address[] memory parties = _pair();
        bytes32 structHash = keccak256(
            abi.encode(
                SIGNATURE_TYPEHASH, K1, DOC, keccak256(abi.encode(parties[0], parties[1])), AMOUNT, DATE, TERMS, 0
            )
        );
        bytes32 manual = keccak256(abi.encodePacked(hex"1901", _manualDomain(block.chainid, address(cw)), structHash));
        assertEq(cw.signatureDigest(K1), manual, "signatureDigest");
        assertEq(cw.contractDigest(K1, DOC, parties, AMOUNT, DATE, TERMS, 0), manual, "contractDigest");

        address[] memory pinnedParties = new address[](2);
        pinnedParties[0] = 0x1111111111111111111111111111111111111111;
        pinnedParties[1] = 0x2222222222222222222222222222222222222222;
        bytes32 pinned = keccak256(
            abi.encodePacked(
                hex"1901",
                _manualDomain(31337, 0x5FbDB2315678afecb367f032d93F642f64180aa3),
                keccak256(
                    abi.encode(
                        SIGNATURE_TYPEHASH,
                        keccak256("HT-2025-0001"),
                        bytes32(uint256(1)),
                        keccak256(abi.encodePacked(pinnedParties)),
                        uint256(100),
                        uint64(7),
                        bytes32(uint256(2)),
                        bytes32(uint256(3))
                    )
                )
            )
        );
        assertEq(pinned, 0x4a54a08ee1fe6b343d4185bdb7b45e520147a410db9f12b5a6341694d5dafbf3, "pinned vector");
    }

    function test_RevertWhen_CallerLacksOperatorRole() public {
        address[] memory parties = _pair();
        bytes32 role = cw.OPERATOR_ROLE();
        address[3] memory callers = [ADMIN, RELAYER, a];
        for (uint256 i = 0; i < callers.length; ++i) {
            _expect(abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, callers[i], role));
            vm.prank(callers[i]);
            cw.registerContract(K1, DOC, parties, AMOUNT, DATE, TERMS, 0);
        }
    }

    // ------------------------------------------------------------------ registration

    function test_RegisterContract() public {
        address[] memory parties = _pair();
        vm.expectEmit(true, true, true, true, address(cw));
        emit IContractWitness.ContractRegistered(K1, DOC, parties, AMOUNT, DATE, TERMS, 0, START);
        _register(K1, 0);
        IContractWitness.ContractView memory v = cw.getContract(K1);
        assertEq(v.documentDigest, DOC, "document");
        assertEq(v.termsDigest, TERMS, "terms");
        assertEq(v.previous, 0, "previous");
        assertEq(v.amendedBy, 0, "amendedBy");
        assertEq(v.amount, AMOUNT, "amount");
        assertEq(v.date, DATE, "date");
        assertEq(v.registeredAt, START, "registeredAt");
        assertEq(v.completedAt, 0, "completedAt");
        assertEq(v.signatureCount, 0, "signatureCount");
        assertEq(v.parties.length, 2, "parties");
        assertEq(v.parties[0], a, "party 1");
        assertEq(v.parties[1], b, "party 2");
        assertFalse(cw.isComplete(K1), "not complete");
        IContractWitness.PartySignature[] memory sigs = cw.signatures(K1);
        assertEq(sigs.length, 2, "signature slots");
        assertEq(sigs[0].party, a, "slot 1");
        assertEq(sigs[1].signedAt, 0, "unsigned");
    }

    function test_UnknownContractReadsAsZero() public {
        IContractWitness.ContractView memory v = cw.getContract(K1);
        assertEq(v.documentDigest, 0, "document");
        assertEq(v.parties.length, 0, "parties");
        assertEq(cw.signatures(K1).length, 0, "signatures");
        assertFalse(cw.isComplete(K1), "complete");
        _expect(abi.encodeWithSelector(IContractWitness.ContractWitnessNoSuchContract.selector, K1));
        cw.signatureDigest(K1);
    }

    function test_RevertWhen_RegistrationIsBad() public {
        address[] memory parties = _pair();
        vm.startPrank(OPERATOR);
        _expect(abi.encodeWithSelector(IContractWitness.ContractWitnessZeroId.selector));
        cw.registerContract(0, DOC, parties, AMOUNT, DATE, TERMS, 0);
        _expect(abi.encodeWithSelector(IContractWitness.ContractWitnessZeroDigest.selector, K1));
        cw.registerContract(K1, 0, parties, AMOUNT, DATE, TERMS, 0);
        _expect(abi.encodeWithSelector(IContractWitness.ContractWitnessZeroDigest.selector, K1));
        cw.registerContract(K1, DOC, parties, AMOUNT, DATE, 0, 0);
        cw.registerContract(K1, DOC, parties, AMOUNT, DATE, TERMS, 0);
        _expect(abi.encodeWithSelector(IContractWitness.ContractWitnessContractExists.selector, K1));
        cw.registerContract(K1, DOC, parties, AMOUNT, DATE, TERMS, 0);
        vm.stopPrank();
    }

    function test_RevertWhen_PartyCountIsBad() public {
        vm.startPrank(OPERATOR);
        for (uint256 n = 0; n <= 9; ++n) {
            address[] memory parties = new address[](n);
            for (uint256 i = 0; i < n; ++i) {
                parties[i] = address(uint160(0x1000 + i));
            }
            bytes32 id = keccak256(abi.encode("count", n));
            if (n < 2 || n > 8) {
                _expect(abi.encodeWithSelector(IContractWitness.ContractWitnessBadPartyCount.selector, n));
            }
            cw.registerContract(id, DOC, parties, AMOUNT, DATE, TERMS, 0);
        }
        vm.stopPrank();
        assertEq(cw.getContract(keccak256(abi.encode("count", uint256(8)))).parties.length, 8, "8 parties");
    }

    function test_RevertWhen_PartyIsZeroOrDuplicated() public {
        address[] memory parties = new address[](3);
        (parties[0], parties[1], parties[2]) = (a, address(0), b);
        vm.startPrank(OPERATOR);
        _expect(abi.encodeWithSelector(IContractWitness.ContractWitnessZeroParty.selector, 2));
        cw.registerContract(K1, DOC, parties, AMOUNT, DATE, TERMS, 0);
        (parties[0], parties[1], parties[2]) = (a, b, a);
        _expect(abi.encodeWithSelector(IContractWitness.ContractWitnessDuplicateParty.selector, 3, a));
        cw.registerContract(K1, DOC, parties, AMOUNT, DATE, TERMS, 0);
        vm.stopPrank();
        // the refused registrations left nothing behind
        assertEq(cw.getContract(K1).parties.length, 0, "no contract");
    }

    // ------------------------------------------------------------------ signatures

    function test_SignRelayedByAnyoneAndComplete() public {
        _register(K1, 0);
        bytes memory sigA = _sigFor(cw, K1, KEY_A);
        bytes memory sigB = _sigFor(cw, K1, KEY_B);
        vm.warp(START + 60);
        vm.expectEmit(true, true, true, true, address(cw));
        emit IContractWitness.ContractSigned(K1, a, START + 60);
        vm.prank(STRANGER);
        cw.sign(K1, a, sigA);
        assertFalse(cw.isComplete(K1), "one of two");
        vm.warp(START + 120);
        vm.expectEmit(true, true, true, true, address(cw));
        emit IContractWitness.ContractSigned(K1, b, START + 120);
        vm.expectEmit(true, true, true, true, address(cw));
        emit IContractWitness.ContractCompleted(K1, START + 120);
        _signAs(K1, b, sigB);
        assertTrue(cw.isComplete(K1), "complete");
        IContractWitness.ContractView memory v = cw.getContract(K1);
        assertEq(v.signatureCount, 2, "count");
        assertEq(v.completedAt, START + 120, "completedAt");
        IContractWitness.PartySignature[] memory sigs = cw.signatures(K1);
        assertEq(sigs[0].signedAt, START + 60, "a signed");
        assertEq(sigs[1].signedAt, START + 120, "b signed");
    }

    function test_RevertWhen_SignatureIsReplayed() public {
        _register(K1, 0);
        bytes memory sigA = _sigFor(cw, K1, KEY_A);
        _signAs(K1, a, sigA);
        _expect(abi.encodeWithSelector(IContractWitness.ContractWitnessAlreadySigned.selector, K1, a, START));
        _signAs(K1, a, sigA);
        assertEq(cw.getContract(K1).signatureCount, 1, "counted once");
    }

    function test_RevertWhen_SignatureIsForged() public {
        _register(K1, 0);
        // Mallory (or the relayer) signs in a's name.
        bytes memory forged = _sigFor(cw, K1, KEY_MALLORY);
        _expectBadSignature(a, vm.addr(KEY_MALLORY));
        _signAs(K1, a, forged);
        // b's genuine signature does not sign for a.
        bytes memory byB = _sigFor(cw, K1, KEY_B);
        _expectBadSignature(a, b);
        _signAs(K1, a, byB);
        assertEq(cw.getContract(K1).signatureCount, 0, "nothing counted");
    }

    function test_RevertWhen_PartyIsUnknown() public {
        _register(K1, 0);
        bytes memory byC = _sigFor(cw, K1, KEY_C);
        _expect(abi.encodeWithSelector(IContractWitness.ContractWitnessUnknownParty.selector, K1, c));
        _signAs(K1, c, byC);
        _expect(abi.encodeWithSelector(IContractWitness.ContractWitnessNoSuchContract.selector, K2));
        _signAs(K2, a, byC);
    }

    function test_RevertWhen_SignatureIsForAnotherContractId() public {
        _register(K1, 0);
        address[] memory parties = _pair();
        vm.prank(OPERATOR);
        cw.registerContract(K2, DOC, parties, AMOUNT, DATE, TERMS, 0); // same terms, other id
        bytes memory forK1 = _sigFor(cw, K1, KEY_A);
        address recovered = _recover(cw.signatureDigest(K2), forK1);
        _expectBadSignature(a, recovered);
        _signAs(K2, a, forK1);
    }

    function test_RevertWhen_SignatureIsForOtherTerms() public {
        _register(K1, 0);
        address[] memory parties = _pair();
        // a signs a different amount than was registered
        bytes memory sig = _sign(KEY_A, cw.contractDigest(K1, DOC, parties, AMOUNT + 1, DATE, TERMS, 0));
        _expectBadSignature(a, _recover(cw.signatureDigest(K1), sig));
        _signAs(K1, a, sig);
    }

    function test_RevertWhen_SignatureIsForAnotherWitnessContract() public {
        ContractWitness twin = new ContractWitness(ADMIN, OPERATOR);
        address[] memory parties = _pair();
        vm.prank(OPERATOR);
        twin.registerContract(K1, DOC, parties, AMOUNT, DATE, TERMS, 0);
        _register(K1, 0);
        bytes memory forTwin = _sigFor(twin, K1, KEY_A);
        _expectBadSignature(a, _recover(cw.signatureDigest(K1), forTwin));
        _signAs(K1, a, forTwin);
    }

    function test_RevertWhen_SignatureIsForAnotherChain() public {
        _register(K1, 0);
        uint256 home = block.chainid;
        vms.chainId(1);
        bytes32 mainnetDigest = cw.signatureDigest(K1);
        assertEq(cw.DOMAIN_SEPARATOR(), _manualDomain(1, address(cw)), "domain follows the chain id");
        bytes memory forMainnet = _sign(KEY_A, mainnetDigest);
        vms.chainId(home);
        _expectBadSignature(a, _recover(cw.signatureDigest(K1), forMainnet));
        _signAs(K1, a, forMainnet);
        // and on the chain it was signed for, it is good
        vms.chainId(1);
        _signAs(K1, a, forMainnet);
        assertEq(cw.signatures(K1)[0].signedAt, START, "valid on its own chain");
    }

    function test_RevertWhen_SignatureIsMalformed() public {
        _register(K1, 0);
        bytes memory sig = _sigFor(cw, K1, KEY_A);
        (bytes32 r, bytes32 s, uint8 v) = _split(sig);
        bytes memory malleated = abi.encodePacked(r, bytes32(ORDER - uint256(s)), v == 27 ? uint8(28) : uint8(27));
        bytes memory short = abi.encodePacked(r, s);
        bytes memory badV = abi.encodePacked(r, s, uint8(29));
        bytes[4] memory bad = [malleated, short, badV, bytes("")];
        for (uint256 i = 0; i < bad.length; ++i) {
            _expectBadSignature(a, address(0));
            _signAs(K1, a, bad[i]);
        }
        _signAs(K1, a, sig);
    }

    // ------------------------------------------------------------------ amendments

    function test_AmendmentChain() public {
        _complete(K1, 0);
        _register(K2, K1);
        // registered but unsigned: the original is not amended yet
        assertEq(cw.getContract(K1).amendedBy, 0, "K1 not amended by a registration");
        assertEq(cw.getContract(K2).previous, K1, "K2 amends K1");
        // the amendment's signature covers `previous`
        address[] memory parties = _pair();
        assertEq(
            cw.signatureDigest(K2), cw.contractDigest(K2, DOC, parties, AMOUNT, DATE, TERMS, K1), "previous is signed"
        );
        _signAs(K2, a, _sigFor(cw, K2, KEY_A));
        assertEq(cw.getContract(K1).amendedBy, 0, "K1 not amended by one of two signatures");
        bytes memory sigB = _sigFor(cw, K2, KEY_B);
        vm.expectEmit(true, true, true, true, address(cw));
        emit IContractWitness.ContractSigned(K2, b, START);
        vm.expectEmit(true, true, true, true, address(cw));
        emit IContractWitness.ContractCompleted(K2, START);
        vm.expectEmit(true, true, true, true, address(cw));
        emit IContractWitness.ContractAmended(K1, K2);
        _signAs(K2, b, sigB);
        assertEq(cw.getContract(K1).amendedBy, K2, "K1 amended by K2 once complete");
        _complete(K3, K2);
        assertEq(cw.getContract(K2).amendedBy, K3, "K2 amended by K3");
    }

    function test_RevertWhen_AmendmentIsRefused() public {
        // previous unknown
        _expect(abi.encodeWithSelector(IContractWitness.ContractWitnessNoSuchContract.selector, K1));
        _register(K2, K1);
        // previous not fully signed
        _register(K1, 0);
        _signAs(K1, a, _sigFor(cw, K1, KEY_A));
        _expect(abi.encodeWithSelector(IContractWitness.ContractWitnessPreviousIncomplete.selector, K1, 1, 2));
        _register(K2, K1);
        _signAs(K1, b, _sigFor(cw, K1, KEY_B));
        // previous already amended by a complete amendment: no fork of the chain
        _complete(K2, K1);
        _expect(abi.encodeWithSelector(IContractWitness.ContractWitnessPreviousAmended.selector, K1, K2));
        _register(K3, K1);
        // a contract cannot amend itself (it does not exist while being registered)
        _expect(abi.encodeWithSelector(IContractWitness.ContractWitnessNoSuchContract.selector, K3));
        _register(K3, K3);
    }

    /// @notice Every party of the original must be a party of the amendment: the operator
    /// cannot amend a's and b's contract with a contract that b and a third party sign.
    function test_RevertWhen_AmendmentLeavesOutAnOriginalParty() public {
        _complete(K1, 0);
        address[] memory withoutA = new address[](2);
        (withoutA[0], withoutA[1]) = (b, c);
        _expect(abi.encodeWithSelector(IContractWitness.ContractWitnessAmendmentMissesParty.selector, K1, a));
        vm.prank(OPERATOR);
        cw.registerContract(K2, DOC, withoutA, AMOUNT, DATE, TERMS, K1);
        // adding a party is allowed; all three then sign
        address[] memory three = new address[](3);
        (three[0], three[1], three[2]) = (c, b, a);
        vm.prank(OPERATOR);
        cw.registerContract(K2, DOC, three, AMOUNT, DATE, TERMS, K1);
        _signAs(K2, a, _sigFor(cw, K2, KEY_A));
        _signAs(K2, b, _sigFor(cw, K2, KEY_B));
        assertEq(cw.getContract(K1).amendedBy, 0, "not amended before the new party signs");
        _signAs(K2, c, _sigFor(cw, K2, KEY_C));
        assertEq(cw.getContract(K1).amendedBy, K2, "amended with all three signatures");
    }

    /// @notice Attack (issue 10, Why 5): the operator registers an amendment nobody signs.
    /// It marks nothing, and the parties' real amendment still goes through.
    function test_OperatorUnsignedAmendmentNeitherAmendsNorBlocks() public {
        bytes32 fake = keccak256("operator's amendment");
        _complete(K1, 0);
        vm.prank(OPERATOR);
        cw.registerContract(fake, keccak256("other document"), _pair(), 1, DATE, TERMS, K1);
        assertEq(cw.getContract(K1).amendedBy, 0, "unsigned registration marks nothing");
        assertFalse(cw.isComplete(fake), "operator's amendment incomplete");
        // the operator cannot sign for a party
        bytes memory forged = _sigFor(cw, fake, KEY_MALLORY);
        _expectBadSignature(a, vm.addr(KEY_MALLORY));
        _signAs(fake, a, forged);
        // the parties' own amendment completes and is the one recorded
        _complete(K2, K1);
        assertEq(cw.getContract(K1).amendedBy, K2, "the parties' amendment is recorded");
        // the operator's pending amendment can no longer complete, even if one party signs
        _signAs(fake, a, _sigFor(cw, fake, KEY_A));
        bytes memory sigB = _sigFor(cw, fake, KEY_B);
        _expect(abi.encodeWithSelector(IContractWitness.ContractWitnessPreviousAmended.selector, K1, K2));
        _signAs(fake, b, sigB);
        assertEq(cw.getContract(K1).amendedBy, K2, "amendedBy unchanged");
    }

    /// @notice Two amendments pending at once: the first to complete is the amendment.
    function test_FirstCompletedAmendmentWins() public {
        _complete(K1, 0);
        _register(K2, K1);
        _register(K3, K1);
        _signAs(K3, a, _sigFor(cw, K3, KEY_A));
        _signAs(K2, a, _sigFor(cw, K2, KEY_A));
        _signAs(K3, b, _sigFor(cw, K3, KEY_B));
        assertEq(cw.getContract(K1).amendedBy, K3, "K3 completed first");
        bytes memory sigB = _sigFor(cw, K2, KEY_B);
        _expect(abi.encodeWithSelector(IContractWitness.ContractWitnessPreviousAmended.selector, K1, K3));
        _signAs(K2, b, sigB);
        assertFalse(cw.isComplete(K2), "K2 stays incomplete");
    }

    // ------------------------------------------------------------------ fuzz

    function testFuzz_OnlyTheOwnKeySigns(uint256 key, uint256 amount, uint64 date) public {
        key = bound(key, 1, ORDER - 1);
        address signer = vm.addr(key);
        vm.assume(signer != a);
        address[] memory parties = _pair();
        vm.prank(OPERATOR);
        cw.registerContract(K1, DOC, parties, amount, date, TERMS, 0);
        bytes memory sig = _sigFor(cw, K1, key);
        _expectBadSignature(a, signer);
        _signAs(K1, a, sig);
        _signAs(K1, a, _sigFor(cw, K1, KEY_A));
    }

    // ------------------------------------------------------------------ clock seam

    function test_TimeSeamIsOverridable() public {
        ContractWitnessWithClock clocked = new ContractWitnessWithClock(ADMIN, OPERATOR);
        clocked.setClock(100);
        address[] memory parties = _pair();
        vm.prank(OPERATOR);
        clocked.registerContract(K1, DOC, parties, AMOUNT, DATE, TERMS, 0);
        clocked.setClock(200);
        clocked.sign(K1, a, _sign(KEY_A, clocked.signatureDigest(K1)));
        clocked.setClock(300);
        clocked.sign(K1, b, _sign(KEY_B, clocked.signatureDigest(K1)));
        IContractWitness.ContractView memory v = clocked.getContract(K1);
        assertEq(v.registeredAt, 100, "registeredAt from _time()");
        assertEq(v.completedAt, 300, "completedAt from _time()");
        assertEq(clocked.signatures(K1)[0].signedAt, 200, "signedAt from _time()");
    }

    // ------------------------------------------------------------------ gas

    /// @dev Execution gas measured inside the test (excludes the 21,000 base transaction
    /// cost and calldata). vm.cool makes storage cold again, as in a real transaction.
    function test_Gas_Sign() public {
        _register(K1, 0);
        bytes memory sigA = _sigFor(cw, K1, KEY_A);
        bytes memory sigB = _sigFor(cw, K1, KEY_B);
        vms.cool(address(cw));
        vm.prank(RELAYER);
        uint256 before = gasleft();
        cw.sign(K1, a, sigA);
        uint256 first = before - gasleft();
        console.log("gas: sign, first party, execution only", first);
        vms.cool(address(cw));
        vm.prank(RELAYER);
        before = gasleft();
        cw.sign(K1, b, sigB);
        uint256 last = before - gasleft();
        console.log("gas: sign, last party (completes), execution only", last);
        assertLt(first, 50_000, "first signature gas");
        assertLt(last, 50_000, "completing signature gas");
    }

    // ------------------------------------------------------------------ helpers

    function _split(bytes memory sig) internal pure returns (bytes32 r, bytes32 s, uint8 v) {
        assembly ("memory-safe") {
            r := mload(add(sig, 0x20))
            s := mload(add(sig, 0x40))
            v := byte(0, mload(add(sig, 0x60)))
        }
    }

    function _recover(bytes32 digest, bytes memory sig) internal pure returns (address) {
        (bytes32 r, bytes32 s, uint8 v) = _split(sig);
        return ecrecover(digest, v, r, s);
    }
}
