// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {ITenderRegistry} from "../src/ITenderRegistry.sol";
import {TenderRegistry} from "../src/TenderRegistry.sol";
import {Test} from "./utils/Test.sol";

/// @notice Cheatcodes the shared Vm subset in utils/Test.sol does not declare; same
/// signatures as forge-std's Vm.sol.
interface VmSigning {
    struct Log {
        bytes32[] topics;
        bytes data;
        address emitter;
    }

    function sign(uint256 privateKey, bytes32 digest) external pure returns (uint8 v, bytes32 r, bytes32 s);
    function chainId(uint256 newChainId) external;
    function cool(address target) external;
    function recordLogs() external;
    function getRecordedLogs() external returns (Log[] memory logs);
}

/// @notice TenderRegistry with a settable clock, to test the `_time()` seam.
contract TenderRegistryWithClock is TenderRegistry {
    uint64 public clock;

    constructor(address admin, address operator) TenderRegistry(admin, operator) {}

    function setClock(uint64 t) external {
        clock = t;
    }

    function _time() internal view override returns (uint64) {
        return clock;
    }
}

/// @notice Shared fixture: custodians with registered keys, signed dealings, approvals,
/// pseudonymous sealed bids and their reveals. Signatures are made before vm.prank and
/// vm.expectRevert, which apply to the next call.
abstract contract TenderRegistryFixture is Test {
    VmSigning internal constant vms = VmSigning(address(uint160(uint256(keccak256("hevm cheat code")))));

    address internal constant ADMIN = address(0xA11CE);
    address internal constant OPERATOR = address(0x0BE7A7);
    address internal constant RELAYER = address(0x7E1A7);
    address internal constant STRANGER = address(0xBAD);
    uint256 internal constant KEY_OPERATOR = 0x0BE7A7;
    uint256 internal constant KEY_MALLORY = 0x3A11;
    /// custodian i's account key is CUSTODIAN_KEY_BASE + i; its encryption key is i·G
    uint256 internal constant CUSTODIAN_KEY_BASE = 0xC0DE00;
    /// bidder i's own key is BIDDER_KEY_BASE + i, its pseudonym's key PSEUDONYM_KEY_BASE + i
    uint256 internal constant BIDDER_KEY_BASE = 0xB1D000;
    uint256 internal constant PSEUDONYM_KEY_BASE = 0x95E000;
    uint64 internal constant START = 1_700_000_000;
    uint64 internal constant DEALING = START + 1 days;
    uint64 internal constant COMPLAINT = START + 2 days;
    uint64 internal constant DEADLINE = START + 7 days;
    uint64 internal constant OPENING = DEADLINE + 1 hours;
    uint8 internal constant T = 2;
    uint8 internal constant N = 3;
    bytes32 internal constant TENDER = keccak256("CW-2025-0001");
    bytes32 internal constant OTHER = keccak256("CW-2025-0002");
    uint256 internal constant ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;
    uint256 internal constant FIELD = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC2F;
    /// k·G compressed for k = 1..32 (coincurve, PrivateKey.from_int(k).public_key.format())
    bytes internal constant POINTS =
        hex"0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f8179802c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee502f9308a019258c31049344f85f89d5229b531c845836f99b08601f113bce036f902e493dbf1c10d80f3581e4904930b1404cc6c13900ee0758474fa94abe8c4cd13022f8bde4d1a07209355b4a7250a5c5128e88b84bddc619ab7cba8d569b240efe403fff97bd5755eeea420453a14355235d382f6472f8568a18b2f057a1460297556025cbdf0646e5db4eaa398f365f2ea7a0e3d419b7e0330e39ce92bddedcac4f9bc022f01e5e15cca351daff3843fb70f3c2f0a1bdd05e5af888a67784ef3e10a2a0103acd484e2f0c7f65309ad178a9f559abde09796974c57e714c35f110dfc27ccbe03a0434d9e47f3c86235477c7b1ae6ae5d3442d49b1943c2b752a68e2a47e247c703774ae7f858a9411e5ef4246b70c65aac5649980be5c17891bbec17895da008cb03d01115d548e7561b15c38f004d734633687cf4419620095bc5b0f47070afe85a03f28773c2d975288bc7d1d205c3748651b075fbc6610e58cddeeddf8f19405aa803499fdf9e895e719cfd64e67f07d38e3226aa7b63678949e6e49b241a60e823e402d7924d4f7d43ea965a465ae3095ff41131e5946f3c85f79e44adbcf8e27e080e03e60fce93b59e9ec53011aabc21c23e97b2a31369b87a5ae9c44ee89e2a6dec0a03defdea4cdb677750a420fee807eacf21eb9898ae79b9768766e4faa04a2d4a34025601570cb47f238d2b0286db4a990fa0f3ba28d1a319f5e7cf55c2a2444da7cc022b4ea0a797a443d293ef5cff444f4979f06acfebd7e86d277475656138385b6c024ce119c96e2fa357200b559b2f7dd5a5f02d5290aff74b03f3e471b273211c9702352bbf4a4cdd12564f93fa332ce333301d9ad40271f8107181340aef25be59d503421f5fc9a21065445c96fdb91c0c1e2f2431741c72713b4b99ddcb316f31e9fc032fa2104d6b38d11b0230010559879124e42ab8dfeff5ff29dc9cdadd4ecacc3f03fe72c435413d33d48ac09c9161ba8b09683215439d62b7940502bda8b202e6ce029248279b09b4d68dab21a9b066edda83263c3d84e09572e269ca0cd7f5453714026687cdb5b650d558f40cbdefc8e40997c03fe1b2abb840885e5cad81710c4c8a03daed4f2be3a8bf278e70132fb0beb7522f570e144bf615c07e996d443dee87290255eb67d7b7238a70a7fa6f64d5dc3c826b31536da6eb344dc39a66f904f9796802c44d12c7065d812e8acf28d7cbb19f9011ecd9e9fdf281b0e6a3b5e87d22e7db036d2b085e9e382ed10b69fc311a03f8641ccfff21574de0927513a49d9a688a00026a245bf6dc698504c89a20cfded60853152b695336c28063b61c65cbd269e6b403d30199d74fb5a22d47b6e054e2f378cedacffcb89904a61d75d0dbd407143e65";

    TenderRegistry internal reg;

    function setUp() public virtual {
        vm.warp(START);
        reg = new TenderRegistry(ADMIN, OPERATOR);
    }

    // ------------------------------------------------------------------ custodians

    function _custodianKey(uint256 i) internal pure returns (uint256) {
        return CUSTODIAN_KEY_BASE + i;
    }

    function _custodian(uint256 i) internal pure returns (address) {
        return vm.addr(CUSTODIAN_KEY_BASE + i);
    }

    function _point(uint256 k) internal pure returns (bytes memory out) {
        out = new bytes(33);
        for (uint256 b = 0; b < 33; ++b) {
            out[b] = POINTS[(k - 1) * 33 + b];
        }
    }

    function _custodians(uint256 n) internal pure returns (address[] memory list) {
        list = new address[](n);
        for (uint256 i = 0; i < n; ++i) {
            list[i] = _custodian(i + 1);
        }
    }

    /// @dev Custodians 1..n register i·G from their own accounts.
    function _registerKeys(TenderRegistry target, uint256 n) internal {
        for (uint256 i = 1; i <= n; ++i) {
            vm.prank(_custodian(i));
            target.registerCustodianKey(_point(i));
        }
    }

    function _create(bytes32 id) internal {
        _createWith(id, N, T);
    }

    function _createWith(bytes32 id, uint256 n, uint8 t) internal {
        _registerKeys(reg, n);
        address[] memory list = _custodians(n);
        vm.prank(OPERATOR);
        reg.createTender(id, DEALING, COMPLAINT, DEADLINE, OPENING, list, t);
    }

    // ------------------------------------------------------------------ signatures

    function _sign(uint256 key, bytes32 digest) internal pure returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vms.sign(key, digest);
        return abi.encodePacked(r, s, v);
    }

    function _body(bytes32 id, uint256 i) internal pure returns (bytes memory) {
        return abi.encodePacked("dealing ", id, " of ", i);
    }

    function _round(bytes32 id) internal view returns (uint32) {
        return reg.getTender(id).round;
    }

    function _dealingSig(bytes32 id, uint256 signer, uint8 dealer, bytes memory body)
        internal
        view
        returns (bytes memory)
    {
        return _sign(signer, reg.dealingDigest(id, _round(id), dealer, keccak256(body)));
    }

    /// @dev Custodian `i` posts its own dealing through the relayer.
    function _deal(bytes32 id, uint8 i) internal {
        bytes memory body = _body(id, i);
        bytes memory sig = _dealingSig(id, _custodianKey(i), i, body);
        vm.prank(RELAYER);
        reg.postDealing(id, i, body, sig);
    }

    function _complaintsSig(bytes32 id, uint256 signer, uint8 accuser, bytes32 dealings, bytes memory body)
        internal
        view
        returns (bytes memory)
    {
        return _sign(signer, reg.complaintsDigest(id, _round(id), accuser, dealings, keccak256(body)));
    }

    function _openingKey() internal pure returns (bytes memory) {
        return _point(7);
    }

    /// @dev A_0 = the opening key, then A_1..A_{t-1} = (8..)·G.
    function _commitments(uint8 t) internal pure returns (bytes memory out) {
        out = _openingKey();
        for (uint256 j = 1; j < t; ++j) {
            out = bytes.concat(out, _point(7 + j));
        }
    }

    function _approval(bytes32 id, uint256 signer, bytes memory key, bytes memory commitments)
        internal
        view
        returns (bytes memory)
    {
        return _sign(
            signer,
            reg.keyApprovalDigest(id, _round(id), keccak256(key), keccak256(commitments), reg.transcriptHash(id))
        );
    }

    /// @dev Approvals by custodians 1..count over the current transcript.
    function _approvals(bytes32 id, uint8 count, bytes memory key, bytes memory commitments)
        internal
        view
        returns (uint8[] memory approvers, bytes[] memory sigs)
    {
        approvers = new uint8[](count);
        sigs = new bytes[](count);
        for (uint8 k = 0; k < count; ++k) {
            approvers[k] = k + 1;
            sigs[k] = _approval(id, _custodianKey(k + 1), key, commitments);
        }
    }

    /// @dev Every custodian deals; at the complaint deadline t of them approve.
    function _keyed(bytes32 id) internal {
        _create(id);
        for (uint8 i = 1; i <= N; ++i) {
            _deal(id, i);
        }
        vm.warp(COMPLAINT);
        _finalize(id, T);
    }

    function _finalize(bytes32 id, uint8 t) internal {
        bytes memory key = _openingKey();
        bytes memory commitments = _commitments(t);
        (uint8[] memory approvers, bytes[] memory sigs) = _approvals(id, t, key, commitments);
        vm.prank(RELAYER);
        reg.finalizeKey(id, key, commitments, approvers, sigs);
    }

    // ------------------------------------------------------------------ bids

    function _bidder(uint256 i) internal pure returns (address) {
        return vm.addr(BIDDER_KEY_BASE + i);
    }

    function _pseudonym(uint256 i) internal pure returns (address) {
        return vm.addr(PSEUDONYM_KEY_BASE + i);
    }

    function _reveal(uint256 i, uint64 nonce) internal pure returns (ITenderRegistry.BidReveal memory) {
        return ITenderRegistry.BidReveal({
            bidder: _bidder(i),
            salt: keccak256(abi.encode("salt", i, nonce)),
            ciphertextDigest: keccak256(abi.encode("ciphertext", i, nonce)),
            plaintextCommitment: keccak256(abi.encode("plaintext", i, nonce)),
            envelopeDigest: keccak256(abi.encode("envelope", i, nonce))
        });
    }

    function _register(bytes32 id, uint256 i) internal {
        vm.prank(OPERATOR);
        reg.registerBidder(id, _pseudonym(i));
    }

    function _sealSig(bytes32 id, uint256 signer, address pseudonym, bytes32 commitment, uint64 nonce)
        internal
        view
        returns (bytes memory)
    {
        return _sign(signer, reg.sealedBidDigest(id, pseudonym, commitment, nonce));
    }

    /// @dev Bidder `i` seals its bid `nonce` under its pseudonym, relayed.
    function _seal(bytes32 id, uint256 i, uint64 nonce) internal {
        bytes32 commitment = reg.sealedBidCommitment(id, _reveal(i, nonce));
        bytes memory sig = _sealSig(id, PSEUDONYM_KEY_BASE + i, _pseudonym(i), commitment, nonce);
        vm.prank(RELAYER);
        reg.submitBid(id, _pseudonym(i), commitment, nonce, sig);
    }

    function _bidSig(bytes32 id, uint256 signer, address pseudonym, ITenderRegistry.BidReveal memory r)
        internal
        view
        returns (bytes memory)
    {
        return _sign(
            signer, reg.bidDigest(id, r.bidder, pseudonym, r.ciphertextDigest, r.plaintextCommitment, r.envelopeDigest)
        );
    }

    /// @dev Bidder `i`'s bid `nonce` is revealed with the bidder's own signature.
    function _open(bytes32 id, uint256 i, uint64 nonce) internal {
        ITenderRegistry.BidReveal memory r = _reveal(i, nonce);
        bytes memory sig = _bidSig(id, BIDDER_KEY_BASE + i, _pseudonym(i), r);
        vm.prank(RELAYER);
        reg.revealBid(id, _pseudonym(i), r, sig);
    }

    /// @dev A keyed tender with bidders 1..3 sealed (nonce 1), at the bid deadline.
    function _sealedThree(bytes32 id) internal {
        _keyed(id);
        for (uint256 i = 1; i <= 3; ++i) {
            _register(id, i);
            _seal(id, i, 1);
        }
        vm.warp(DEADLINE);
    }

    /// @dev As _sealedThree, all three revealed, at the opening time.
    function _revealedThree(bytes32 id) internal {
        _sealedThree(id);
        for (uint256 i = 1; i <= 3; ++i) {
            _open(id, i, 1);
        }
        vm.warp(OPENING);
    }

    function _release(bytes32 id, uint8 index) internal {
        vm.prank(_custodian(index));
        reg.releaseShare(id, index, bytes32(uint256(index) * 1000 + 7));
    }

    // ------------------------------------------------------------------ expectations

    function _expect(bytes memory revertData) internal {
        vm.expectRevert(revertData);
    }

    function _expectStatus(bytes32 id, ITenderRegistry.Status status, ITenderRegistry.Status required) internal {
        vm.expectRevert(
            abi.encodeWithSelector(ITenderRegistry.TenderRegistryWrongStatus.selector, id, status, required)
        );
    }

    function _expectNotOpen(bytes32 id, ITenderRegistry.Status status) internal {
        vm.expectRevert(abi.encodeWithSelector(ITenderRegistry.TenderRegistryNotOpen.selector, id, status));
    }

    function _expectBadSignature(address expected, address signer) internal {
        vm.expectRevert(abi.encodeWithSelector(ITenderRegistry.TenderRegistryBadSignature.selector, expected, signer));
    }

    function _expectPassed(bytes32 id, uint64 deadline, uint64 time) internal {
        vm.expectRevert(
            abi.encodeWithSelector(ITenderRegistry.TenderRegistryDeadlinePassed.selector, id, deadline, time)
        );
    }

    function _expectTooEarly(bytes32 id, uint64 notBefore, uint64 time) internal {
        vm.expectRevert(abi.encodeWithSelector(ITenderRegistry.TenderRegistryTooEarly.selector, id, notBefore, time));
    }

    function _status(bytes32 id) internal view returns (ITenderRegistry.Status) {
        return reg.getTender(id).status;
    }
}
