// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {INotaryRegistry} from "../src/INotaryRegistry.sol";
import {NotaryRegistry} from "../src/NotaryRegistry.sol";
import {Test, console} from "./utils/Test.sol";

/// @notice Cheatcodes the shared Vm subset in utils/Test.sol does not declare; same
/// signatures as forge-std's Vm.sol.
interface VmCooling {
    function cool(address target) external;
}

/// @notice NotaryRegistry with a settable clock, to test the `_time()` seam.
contract NotaryRegistryWithClock is NotaryRegistry {
    uint64 public clock;

    constructor(address admin) NotaryRegistry(admin) {}

    function setClock(uint64 t) external {
        clock = t;
    }

    function _time() internal view override returns (uint64) {
        return clock;
    }
}

/// @notice Behaviour of NotaryRegistry: the admin role, authorization and removal of
/// notaries, wasAuthorizedAt's time boundaries, registration and revocation of
/// certificates, every revert path, events, gas.
contract NotaryRegistryTest is Test {
    VmCooling internal constant vmc = VmCooling(address(uint160(uint256(keccak256("hevm cheat code")))));

    address internal constant ADMIN = address(0xA11CE);
    address internal constant NOTARY = address(0x0707A1);
    address internal constant OTHER = address(0x0707A2);
    address internal constant STRANGER = address(0xBAD);
    uint64 internal constant START = 1_700_000_000;
    string internal constant NAME = unicode"北京市长安公证处";
    string internal constant OTHER_NAME = unicode"北京市方圆公证处";
    address internal constant OPERATOR = address(0x0BE7A7);
    bytes32 internal constant CERT = keccak256("certificate 1");
    bytes32 internal constant CERT2 = keccak256("certificate 2");
    bytes32 internal constant PACKAGE = keccak256("evidence package");
    bytes32 internal constant ROOT = keccak256("tree root");
    uint64 internal constant SIZE = 1024;

    NotaryRegistry internal nr;

    function setUp() public {
        vm.warp(START);
        nr = new NotaryRegistry(ADMIN);
    }

    // ------------------------------------------------------------------ fixtures

    /// @dev Authorizes NOTARY as NAME, any other address as OTHER_NAME.
    function _authorize(address notary) internal {
        vm.prank(ADMIN);
        nr.authorizeNotary(notary, notary == NOTARY ? NAME : OTHER_NAME);
    }

    function _remove(address notary) internal {
        vm.prank(ADMIN);
        nr.removeNotary(notary);
    }

    function _register(address notary, bytes32 cert) internal {
        vm.prank(notary);
        nr.registerCertificate(cert, PACKAGE, SIZE, ROOT);
    }

    function _revoke(address caller, bytes32 cert, uint8 reason) internal {
        vm.prank(caller);
        nr.revokeCertificate(cert, reason);
    }

    function _expect(bytes memory revertData) internal {
        vm.expectRevert(revertData);
    }

    function _assertCertificate(bytes32 cert, address notary, uint64 issuedAt, uint64 revokedAt, uint8 reasonCode)
        internal
        view
    {
        (address n, bytes32 pkg, uint64 size, bytes32 root, uint64 issued, uint64 revoked, uint8 reason) =
            nr.certificate(cert);
        assertEq(n, notary, "notary");
        assertEq(pkg, notary == address(0) ? bytes32(0) : PACKAGE, "packageDigest");
        assertEq(size, notary == address(0) ? 0 : SIZE, "treeSize");
        assertEq(root, notary == address(0) ? bytes32(0) : ROOT, "treeRoot");
        assertEq(issued, issuedAt, "issuedAt");
        assertEq(revoked, revokedAt, "revokedAt");
        assertEq(reason, reasonCode, "reasonCode");
    }

    // ------------------------------------------------------------------ metadata, roles

    function test_Version() public view {
        assertEq(nr.version(), "NotaryRegistry 2", "version");
    }

    function test_ConstructorGrantsAdmin() public view {
        assertTrue(nr.hasRole(nr.DEFAULT_ADMIN_ROLE(), ADMIN), "admin is admin");
        assertFalse(nr.hasRole(nr.DEFAULT_ADMIN_ROLE(), address(this)), "deployer is not admin");
    }

    function test_RevertWhen_CallerLacksAdminRole() public {
        _authorize(NOTARY);
        bytes32 role = nr.DEFAULT_ADMIN_ROLE();
        address[2] memory callers = [NOTARY, STRANGER];
        for (uint256 i = 0; i < callers.length; ++i) {
            _expect(abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, callers[i], role));
            vm.prank(callers[i]);
            nr.authorizeNotary(OTHER, OTHER_NAME);
            _expect(abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, callers[i], role));
            vm.prank(callers[i]);
            nr.removeNotary(NOTARY);
        }
    }

    // ------------------------------------------------------------------ notaries

    function test_AuthorizeNotary() public {
        vm.expectEmit(true, true, true, true, address(nr));
        emit INotaryRegistry.NotaryAuthorized(NOTARY, NAME, START);
        _authorize(NOTARY);
        (string memory name, uint64 authorizedAt, uint64 removedAt) = nr.notaryInfo(NOTARY);
        assertEq(name, NAME, "name");
        assertEq(authorizedAt, START, "authorizedAt");
        assertEq(removedAt, 0, "removedAt");
    }

    function test_UnknownNotaryReadsAsZero() public view {
        (string memory name, uint64 authorizedAt, uint64 removedAt) = nr.notaryInfo(NOTARY);
        assertEq(name, "", "name");
        assertEq(authorizedAt, 0, "authorizedAt");
        assertEq(removedAt, 0, "removedAt");
        assertFalse(nr.wasAuthorizedAt(NOTARY, START), "never authorized");
        assertFalse(nr.wasAuthorizedAt(NOTARY, 0), "never authorized, time 0");
        assertFalse(nr.wasAuthorizedAt(NOTARY, type(uint64).max), "never authorized, far future");
    }

    function test_RevertWhen_AuthorizationIsBad() public {
        vm.startPrank(ADMIN);
        _expect(abi.encodeWithSelector(INotaryRegistry.NotaryRegistryZeroAddress.selector));
        nr.authorizeNotary(address(0), NAME);
        _expect(abi.encodeWithSelector(INotaryRegistry.NotaryRegistryEmptyName.selector, NOTARY));
        nr.authorizeNotary(NOTARY, "");
        nr.authorizeNotary(NOTARY, NAME);
        vm.warp(START + 10);
        _expect(abi.encodeWithSelector(INotaryRegistry.NotaryRegistryAlreadyKnown.selector, NOTARY, START));
        nr.authorizeNotary(NOTARY, "another name");
        // once per address ever: not even after removal
        nr.removeNotary(NOTARY);
        _expect(abi.encodeWithSelector(INotaryRegistry.NotaryRegistryAlreadyKnown.selector, NOTARY, START));
        nr.authorizeNotary(NOTARY, NAME);
        vm.stopPrank();
        (string memory name,,) = nr.notaryInfo(NOTARY);
        assertEq(name, NAME, "name unchanged");
    }

    function test_ConstructorRefusesZeroAuthority() public {
        _expect(abi.encodeWithSelector(INotaryRegistry.NotaryRegistryZeroAuthority.selector));
        new NotaryRegistry(address(0));
    }

    function test_RevertWhen_NameIsTaken() public {
        _authorize(NOTARY);
        _expect(abi.encodeWithSelector(INotaryRegistry.NotaryRegistryNameTaken.selector, NAME, NOTARY));
        vm.prank(ADMIN);
        nr.authorizeNotary(OTHER, NAME);
        assertEq(nr.notaryByName(NAME), NOTARY, "name held by the first address");
        assertEq(nr.notaryByName(OTHER_NAME), address(0), "unknown name");
        // once per name ever: not even after the holder's removal
        _remove(NOTARY);
        _expect(abi.encodeWithSelector(INotaryRegistry.NotaryRegistryNameTaken.selector, NAME, NOTARY));
        vm.prank(ADMIN);
        nr.authorizeNotary(OTHER, NAME);
        // names compare as exact bytes: a different name is a different notary
        _authorize(OTHER);
        assertEq(nr.notaryByName(OTHER_NAME), OTHER, "second name");
        (string memory name,,) = nr.notaryInfo(OTHER);
        assertEq(name, OTHER_NAME, "OTHER's own name");
    }

    /// @notice Attack (issue 10, Why 4): the operator deploys the registry (and holds the
    /// service signer) but the notary authority is another account; the operator cannot
    /// authorize a sock-puppet notary, neither under a new name nor under a real notary's.
    function test_OperatorThatIsNotTheAuthorityCannotAuthorizeASockPuppet() public {
        address puppet = address(0x50C4);
        vm.prank(OPERATOR);
        NotaryRegistry deployed = new NotaryRegistry(ADMIN);
        bytes32 role = deployed.DEFAULT_ADMIN_ROLE();
        assertFalse(deployed.hasRole(role, OPERATOR), "deployer holds no role");
        assertTrue(deployed.hasRole(role, ADMIN), "authority is admin");
        _expect(abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, OPERATOR, role));
        vm.prank(OPERATOR);
        deployed.authorizeNotary(puppet, unicode"某某公证处");
        // nor grant itself the role
        _expect(abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, OPERATOR, role));
        vm.prank(OPERATOR);
        deployed.grantRole(role, OPERATOR);
        // even the authority cannot give a real notary's name to a second address
        vm.prank(ADMIN);
        deployed.authorizeNotary(NOTARY, NAME);
        _expect(abi.encodeWithSelector(INotaryRegistry.NotaryRegistryNameTaken.selector, NAME, NOTARY));
        vm.prank(ADMIN);
        deployed.authorizeNotary(puppet, NAME);
        // so the puppet can register nothing
        _expect(abi.encodeWithSelector(INotaryRegistry.NotaryRegistryNotAuthorized.selector, puppet));
        vm.prank(puppet);
        deployed.registerCertificate(CERT, PACKAGE, SIZE, ROOT);
    }

    function test_RemoveNotary() public {
        _authorize(NOTARY);
        vm.warp(START + 100);
        vm.expectEmit(true, true, true, true, address(nr));
        emit INotaryRegistry.NotaryRemoved(NOTARY, START + 100);
        _remove(NOTARY);
        (string memory name, uint64 authorizedAt, uint64 removedAt) = nr.notaryInfo(NOTARY);
        assertEq(name, NAME, "name kept");
        assertEq(authorizedAt, START, "authorizedAt kept");
        assertEq(removedAt, START + 100, "removedAt");
    }

    function test_RevertWhen_RemovalIsBad() public {
        _expect(abi.encodeWithSelector(INotaryRegistry.NotaryRegistryNotAuthorized.selector, NOTARY));
        _remove(NOTARY);
        _authorize(NOTARY);
        _remove(NOTARY);
        vm.warp(START + 5);
        _expect(abi.encodeWithSelector(INotaryRegistry.NotaryRegistryNotAuthorized.selector, NOTARY));
        _remove(NOTARY);
        (,, uint64 removedAt) = nr.notaryInfo(NOTARY);
        assertEq(removedAt, START, "first removal kept");
    }

    function test_WasAuthorizedAtBoundaries() public {
        _authorize(NOTARY); // at START
        assertFalse(nr.wasAuthorizedAt(NOTARY, START - 1), "before authorization");
        assertTrue(nr.wasAuthorizedAt(NOTARY, START), "at authorization (inclusive)");
        assertTrue(nr.wasAuthorizedAt(NOTARY, type(uint64).max), "open-ended while not removed");
        vm.warp(START + 100);
        _remove(NOTARY);
        assertFalse(nr.wasAuthorizedAt(NOTARY, 0), "time 0");
        assertFalse(nr.wasAuthorizedAt(NOTARY, START - 1), "before authorization, removed");
        assertTrue(nr.wasAuthorizedAt(NOTARY, START), "at authorization, removed");
        assertTrue(nr.wasAuthorizedAt(NOTARY, START + 99), "last second in office");
        assertFalse(nr.wasAuthorizedAt(NOTARY, START + 100), "at removal (exclusive)");
        assertFalse(nr.wasAuthorizedAt(NOTARY, START + 101), "after removal");
        assertFalse(nr.wasAuthorizedAt(OTHER, START + 50), "another address");
    }

    function test_RemovedInTheSameSecondWasNeverAuthorized() public {
        _authorize(NOTARY);
        _remove(NOTARY);
        assertFalse(nr.wasAuthorizedAt(NOTARY, START), "empty interval [START, START)");
    }

    // ------------------------------------------------------------------ certificates

    function test_RegisterCertificate() public {
        _authorize(NOTARY);
        vm.warp(START + 60);
        vm.expectEmit(true, true, true, true, address(nr));
        emit INotaryRegistry.CertificateRegistered(CERT, NOTARY, PACKAGE, SIZE, ROOT, START + 60);
        _register(NOTARY, CERT);
        _assertCertificate(CERT, NOTARY, START + 60, 0, 0);
        assertTrue(nr.wasAuthorizedAt(NOTARY, START + 60), "in office at issuance");
    }

    function test_UnknownCertificateReadsAsZero() public view {
        _assertCertificate(CERT, address(0), 0, 0, 0);
    }

    function test_RevertWhen_RegistrationIsBad() public {
        // never authorized (the admin is no notary either)
        _expect(abi.encodeWithSelector(INotaryRegistry.NotaryRegistryNotAuthorized.selector, STRANGER));
        _register(STRANGER, CERT);
        _expect(abi.encodeWithSelector(INotaryRegistry.NotaryRegistryNotAuthorized.selector, ADMIN));
        _register(ADMIN, CERT);
        _authorize(NOTARY);
        vm.startPrank(NOTARY);
        _expect(abi.encodeWithSelector(INotaryRegistry.NotaryRegistryZeroDigest.selector, bytes32(0)));
        nr.registerCertificate(0, PACKAGE, SIZE, ROOT);
        _expect(abi.encodeWithSelector(INotaryRegistry.NotaryRegistryZeroDigest.selector, CERT));
        nr.registerCertificate(CERT, 0, SIZE, ROOT);
        nr.registerCertificate(CERT, PACKAGE, SIZE, ROOT);
        _expect(abi.encodeWithSelector(INotaryRegistry.NotaryRegistryCertificateExists.selector, CERT, NOTARY));
        nr.registerCertificate(CERT, keccak256("other package"), SIZE + 1, ROOT);
        vm.stopPrank();
        // once per digest, whoever asks
        _authorize(OTHER);
        _expect(abi.encodeWithSelector(INotaryRegistry.NotaryRegistryCertificateExists.selector, CERT, NOTARY));
        _register(OTHER, CERT);
        _assertCertificate(CERT, NOTARY, START, 0, 0);
    }

    function test_RemovedNotaryCannotRegister() public {
        _authorize(NOTARY);
        _register(NOTARY, CERT);
        vm.warp(START + 10);
        _remove(NOTARY);
        _expect(abi.encodeWithSelector(INotaryRegistry.NotaryRegistryNotAuthorized.selector, NOTARY));
        _register(NOTARY, CERT2);
        _assertCertificate(CERT2, address(0), 0, 0, 0);
        // the certificate issued while in office stands
        _assertCertificate(CERT, NOTARY, START, 0, 0);
    }

    function test_RevokeCertificate() public {
        _authorize(NOTARY);
        _register(NOTARY, CERT);
        vm.warp(START + 30);
        vm.expectEmit(true, true, true, true, address(nr));
        emit INotaryRegistry.CertificateRevoked(CERT, NOTARY, 3, START + 30);
        _revoke(NOTARY, CERT, 3);
        _assertCertificate(CERT, NOTARY, START, START + 30, 3);
    }

    function test_RemovedNotaryCanStillRevokeItsOwn() public {
        _authorize(NOTARY);
        _register(NOTARY, CERT);
        vm.warp(START + 10);
        _remove(NOTARY);
        vm.warp(START + 20);
        vm.expectEmit(true, true, true, true, address(nr));
        emit INotaryRegistry.CertificateRevoked(CERT, NOTARY, 1, START + 20);
        _revoke(NOTARY, CERT, 1);
        _assertCertificate(CERT, NOTARY, START, START + 20, 1);
    }

    function test_RevertWhen_RevocationIsBad() public {
        _expect(abi.encodeWithSelector(INotaryRegistry.NotaryRegistryNoSuchCertificate.selector, CERT));
        _revoke(NOTARY, CERT, 1);
        _authorize(NOTARY);
        _authorize(OTHER);
        _register(NOTARY, CERT);
        // another notary, the admin, a stranger: none is the issuer
        address[3] memory callers = [OTHER, ADMIN, STRANGER];
        for (uint256 i = 0; i < callers.length; ++i) {
            _expect(abi.encodeWithSelector(INotaryRegistry.NotaryRegistryNotIssuer.selector, CERT, callers[i], NOTARY));
            _revoke(callers[i], CERT, 1);
        }
        _expect(abi.encodeWithSelector(INotaryRegistry.NotaryRegistryZeroReason.selector, CERT));
        _revoke(NOTARY, CERT, 0);
        _revoke(NOTARY, CERT, 2);
        vm.warp(START + 5);
        _expect(abi.encodeWithSelector(INotaryRegistry.NotaryRegistryAlreadyRevoked.selector, CERT, START));
        _revoke(NOTARY, CERT, 4);
        _assertCertificate(CERT, NOTARY, START, START, 2);
    }

    // ------------------------------------------------------------------ fuzz

    function testFuzz_WasAuthorizedAtMatchesInterval(uint64 authorizedAt, uint64 span, uint64 time) public {
        authorizedAt = uint64(bound(authorizedAt, 1, type(uint64).max - 1));
        span = uint64(bound(span, 0, type(uint64).max - authorizedAt));
        NotaryRegistryWithClock clocked = new NotaryRegistryWithClock(ADMIN);
        clocked.setClock(authorizedAt);
        vm.prank(ADMIN);
        clocked.authorizeNotary(NOTARY, NAME);
        assertEq(clocked.wasAuthorizedAt(NOTARY, time) ? 1 : 0, time >= authorizedAt ? 1 : 0, "open interval");
        clocked.setClock(authorizedAt + span);
        vm.prank(ADMIN);
        clocked.removeNotary(NOTARY);
        bool inside = authorizedAt <= time && time < authorizedAt + span;
        assertEq(clocked.wasAuthorizedAt(NOTARY, time) ? 1 : 0, inside ? 1 : 0, "closed interval");
    }

    // ------------------------------------------------------------------ clock seam

    function test_TimeSeamIsOverridable() public {
        NotaryRegistryWithClock clocked = new NotaryRegistryWithClock(ADMIN);
        clocked.setClock(100);
        vm.prank(ADMIN);
        clocked.authorizeNotary(NOTARY, NAME);
        clocked.setClock(200);
        vm.prank(NOTARY);
        clocked.registerCertificate(CERT, PACKAGE, SIZE, ROOT);
        clocked.setClock(300);
        vm.prank(ADMIN);
        clocked.removeNotary(NOTARY);
        clocked.setClock(400);
        vm.prank(NOTARY);
        clocked.revokeCertificate(CERT, 9);
        (, uint64 authorizedAt, uint64 removedAt) = clocked.notaryInfo(NOTARY);
        assertEq(authorizedAt, 100, "authorizedAt from _time()");
        assertEq(removedAt, 300, "removedAt from _time()");
        (,,,, uint64 issuedAt, uint64 revokedAt,) = clocked.certificate(CERT);
        assertEq(issuedAt, 200, "issuedAt from _time()");
        assertEq(revokedAt, 400, "revokedAt from _time()");
    }

    // ------------------------------------------------------------------ gas

    /// @dev Execution gas measured inside the test (excludes the 21,000 base transaction
    /// cost and calldata). vm.cool makes storage cold again, as in a real transaction.
    function test_Gas_RegisterAndRevoke() public {
        _authorize(NOTARY);
        vmc.cool(address(nr));
        vm.prank(NOTARY);
        uint256 before = gasleft();
        nr.registerCertificate(CERT, PACKAGE, SIZE, ROOT);
        uint256 registered = before - gasleft();
        console.log("gas: registerCertificate, execution only", registered);
        vmc.cool(address(nr));
        vm.prank(NOTARY);
        before = gasleft();
        nr.revokeCertificate(CERT, 1);
        uint256 revoked = before - gasleft();
        console.log("gas: revokeCertificate, execution only", revoked);
        assertLt(registered, 100_000, "registerCertificate gas");
        assertLt(revoked, 40_000, "revokeCertificate gas");
    }
}
