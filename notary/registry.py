"""NotaryRegistry: digital notarization (数字公证) on the chain, typed.

The notary's own chain wrapper: the evidence service deploys the contract by artifact
name only. The admin (the service signer, as
:func:`~ledger_service.chain.deployment.ensure_deployed` deploys it) authorizes
notaries by address, once per address ever, and may remove one. An authorized notary registers each certificate it issues by the certificate's digest,
with the digest of the certified evidence package and the evidence log tree (size,
root) the package was proven against; only that notary may revoke it, also after its
removal. :meth:`NotaryRegistryContract.was_authorized_at` answers whether a notary was
in office at a chain time, e.g. a certificate's ``issued_at``.

Writes are signed by the client's signer, so a notary's writes go through a
:class:`~ledger_service.chain.client.ChainClient` holding the notary's key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from eth_typing import ChecksumAddress
from eth_utils.address import to_checksum_address
from hexbytes import HexBytes
from web3 import Web3
from web3.types import BlockIdentifier

from ledger_service.chain.abi_values import address as _address
from ledger_service.chain.abi_values import bytes32 as _bytes32
from ledger_service.chain.abi_values import uint as _uint
from ledger_service.chain.deployment import NOTARY_REGISTRY
from ledger_service.chain.tx import TxResult
from ledger_service.chain.wrapper import ContractEvent, ContractWrapper
from ledger_service.core.errors import MalformedInput

_UINT64_MAX = 2**64 - 1
_UINT8_MAX = 2**8 - 1
_ZERO_ADDRESS = "0x" + "00" * 20


def _none_if_zero(value: int) -> int | None:
    return None if value == 0 else value


# -- on-chain state and events ------------------------------------------------


@dataclass(frozen=True)
class NotaryInfo:
    """A notary as ``notaryInfo`` returns it; ``authorized_at`` is None for an address
    never authorized, ``removed_at`` None while not removed (chain times, Unix s)."""

    name: str
    authorized_at: int | None
    removed_at: int | None

    @property
    def known(self) -> bool:
        """Ever authorized (then never again: an address is authorized once)."""
        return self.authorized_at is not None

    @property
    def active(self) -> bool:
        """Authorized and not removed: may register certificates now."""
        return self.known and self.removed_at is None


@dataclass(frozen=True)
class CertificateInfo:
    """A certificate as ``certificate`` returns it; ``notary`` is None (and everything
    else zero) for a digest never registered. ``issued_at`` / ``revoked_at`` are None
    when 0; ``reason_code`` is 0 while not revoked."""

    notary: ChecksumAddress | None
    package_digest: bytes
    tree_size: int
    tree_root: bytes
    issued_at: int | None
    revoked_at: int | None
    reason_code: int

    @property
    def exists(self) -> bool:
        return self.notary is not None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


#: One NotaryRegistry log.
NotaryEvent = ContractEvent


_EVENT_NAMES = ("NotaryAuthorized", "NotaryRemoved", "CertificateRegistered", "CertificateRevoked")


# -- the contract ---------------------------------------------------------------


class NotaryRegistryContract(ContractWrapper):
    """Typed access to one deployed ``NotaryRegistry``.

    Each write raises :class:`~ledger_service.chain.tx.ContractReverted` with the
    decoded ``NotaryRegistry...`` (or ``AccessControlUnauthorizedAccount``) error.
    Reads take ``block_identifier`` (default ``"latest"``).
    """

    ARTIFACT = NOTARY_REGISTRY

    # -- writes ----------------------------------------------------------------

    def authorize_notary(
        self, notary: str, name: str, *, on_sent: Callable[[str], None] | None = None
    ) -> TxResult:
        """Authorize ``notary`` under ``name`` (admin; once per address ever)."""
        if not isinstance(name, str) or not name:
            raise MalformedInput(f"expected a non-empty notary name, found {name!r}")
        fn = self.contract.functions.authorizeNotary(_address("notary", notary), name)
        return self._send(fn, on_sent)

    def remove_notary(
        self, notary: str, *, on_sent: Callable[[str], None] | None = None
    ) -> TxResult:
        """Remove ``notary`` from now on (admin; once)."""
        fn = self.contract.functions.removeNotary(_address("notary", notary))
        return self._send(fn, on_sent)

    def register_certificate(
        self,
        cert_digest: bytes,
        package_digest: bytes,
        tree_size: int,
        tree_root: bytes,
        *,
        on_sent: Callable[[str], None] | None = None,
    ) -> TxResult:
        """Register a certificate issued by the signer, who must be an active notary."""
        fn = self.contract.functions.registerCertificate(
            _bytes32("cert_digest", cert_digest),
            _bytes32("package_digest", package_digest),
            _uint("tree_size", tree_size, _UINT64_MAX),
            _bytes32("tree_root", tree_root),
        )
        return self._send(fn, on_sent)

    def revoke_certificate(
        self,
        cert_digest: bytes,
        reason_code: int,
        *,
        on_sent: Callable[[str], None] | None = None,
    ) -> TxResult:
        """Revoke a certificate the signer issued (``reason_code`` 1..255)."""
        fn = self.contract.functions.revokeCertificate(
            _bytes32("cert_digest", cert_digest), _uint("reason_code", reason_code, _UINT8_MAX)
        )
        return self._send(fn, on_sent)

    # -- reads -----------------------------------------------------------------

    def notary_info(self, notary: str, block_identifier: BlockIdentifier = "latest") -> NotaryInfo:
        """The notary; name "" and no times for an address never authorized."""
        fn = self.contract.functions.notaryInfo(_address("notary", notary))
        name, authorized_at, removed_at = self._read(fn, block_identifier)
        return NotaryInfo(str(name), _none_if_zero(authorized_at), _none_if_zero(removed_at))

    def was_authorized_at(
        self, notary: str, time: int, block_identifier: BlockIdentifier = "latest"
    ) -> bool:
        """Whether ``notary`` was in office at chain time ``time`` (Unix s): authorized
        at or before it, and not removed at or before it."""
        fn = self.contract.functions.wasAuthorizedAt(
            _address("notary", notary), _uint("time", time, _UINT64_MAX)
        )
        return bool(self._read(fn, block_identifier))

    def certificate(
        self, cert_digest: bytes, block_identifier: BlockIdentifier = "latest"
    ) -> CertificateInfo:
        """The certificate; ``notary`` None (all zero) for a digest never registered."""
        fn = self.contract.functions.certificate(_bytes32("cert_digest", cert_digest))
        notary, package, size, root, issued, revoked, reason = self._read(fn, block_identifier)
        checksum = to_checksum_address(notary)
        return CertificateInfo(
            notary=None if checksum == _ZERO_ADDRESS else checksum,
            package_digest=bytes(package),
            tree_size=int(size),
            tree_root=bytes(root),
            issued_at=_none_if_zero(issued),
            revoked_at=_none_if_zero(revoked),
            reason_code=int(reason),
        )

    # -- events ----------------------------------------------------------------

    def events(
        self,
        from_block: BlockIdentifier,
        to_block: BlockIdentifier = "latest",
        *,
        notary: str | None = None,
        cert_digest: bytes | None = None,
    ) -> list[NotaryEvent]:
        """Every NotaryRegistry event in ``[from_block, to_block]`` in chain order,
        optionally only those naming ``notary`` and/or ``cert_digest``."""
        who = None if notary is None else _address("notary", notary)
        cert = None if cert_digest is None else _bytes32("cert_digest", cert_digest)
        found: list[NotaryEvent] = []
        for name in _EVENT_NAMES:
            for log in self.client.get_logs(self.contract.events[name](), from_block, to_block):
                args = dict(log["args"])
                if who is not None and to_checksum_address(args["notary"]) != who:
                    continue
                if cert is not None and bytes(args.get("certDigest", b"")) != cert:
                    continue
                found.append(NotaryEvent(
                    name, args, Web3.to_hex(HexBytes(log["transactionHash"])),
                    int(log["blockNumber"]), int(log["logIndex"]),
                ))  # fmt: skip
        return sorted(found, key=lambda e: (e.block_number, e.log_index))
