"""JSON-RPC adapter: one signer bound to one endpoint; reads, transactions, logs.

This is the one place web3, requests and eth-account exceptions enter the
service; they leave as :mod:`ledger_service.core.errors` classes. Connection
failures are retried with exponential backoff; a node that keeps failing
becomes :class:`ChainUnavailable`. Transactions are signed locally (the node
never holds a key) and a contract revert is decoded from the ABI into
:class:`ContractReverted`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, TypedDict, TypeVar

import requests
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from eth_utils.address import to_checksum_address
from hexbytes import HexBytes
from web3 import HTTPProvider, Web3
from web3.contract import Contract
from web3.contract.contract import ContractConstructor, ContractFunction
from web3.exceptions import (
    BadFunctionCallOutput,
    BlockNotFound,
    ContractLogicError,
    MismatchedABI,
    ProviderConnectionError,
    RequestTimedOut,
    TooManyRequests,
    TransactionNotFound,
    Web3Exception,
    Web3RPCError,
    Web3TypeError,
    Web3ValidationError,
)
from web3.types import BlockIdentifier, RPCEndpoint, TxReceipt

from ledger_service.chain.compiled import load_artifact
from ledger_service.chain.evm_target import (
    CONSERVATIVE_TARGET,
    DEFAULT_TARGET,
    EVM_TARGETS,
    PROBE_CANCUN,
)
from ledger_service.chain.tx import ContractReverted, TxResult, decode_revert
from ledger_service.core.errors import (
    ChainUnavailable,
    ConfigurationError,
    MalformedInput,
    NotFound,
)

#: multiplier on eth_estimateGas, for state that changes between estimate and inclusion
GAS_MARGIN = 1.25
DEFAULT_RECEIPT_TIMEOUT = 60.0
# Failures of the transport, worth another attempt. Everything else the node
# says is an answer, and retrying would not change it.
_TRANSIENT: tuple[type[BaseException], ...] = (
    requests.ConnectionError,
    requests.Timeout,
    ProviderConnectionError,
    RequestTimedOut,
    TooManyRequests,
    ConnectionError,
)
# Answers a caller handles itself (not found, revert); passed through untouched.
_ANSWERS: tuple[type[BaseException], ...] = (
    BadFunctionCallOutput,
    ContractLogicError,
    TransactionNotFound,
    BlockNotFound,
)
T = TypeVar("T")
#: JSON-RPC error codes of "this node has no such method": the standard one (anvil, geth,
#: Besu) and Hardhat Network's "method not supported" (EDR answers -32004)
_METHOD_NOT_FOUND = (-32601, -32004)
#: ``web3_clientVersion`` prefix of Hardhat Network (e.g. ``HardhatNetwork/2.29.1/...``)
_HARDHAT_VERSION_PREFIX = "hardhatnetwork/"


class BlockInfo(TypedDict):
    number: int
    hash: str
    timestamp: int
    parentHash: str


# -- signers ---------------------------------------------------------------


# -- the client ------------------------------------------------------------


class ChainClient:
    """A signer bound to one JSON-RPC endpoint and chain.

    ``evm_version`` picks the bytecode :meth:`deploy` sends: ``"cancun"`` or ``"paris"``
    (``chain/evm_target.py``), or ``"auto"`` (the default): ``cancun`` if the node runs
    Cancun's opcodes, else ``paris``, asked of the node once, at the first deployment.

    Raises (from the constructor):
        ChainUnavailable: the endpoint does not answer after ``retries`` retries.
        ConfigurationError: it serves another chain than ``expected_chain_id``, or
            ``evm_version`` is not a shipped target nor ``"auto"``.
    """

    def __init__(
        self,
        rpc_url: str,
        signer: LocalAccount,
        expected_chain_id: int | None,
        *,
        request_timeout: float = 10,
        retries: int = 5,
        backoff: float = 0.2,
        receipt_timeout: float = DEFAULT_RECEIPT_TIMEOUT,
        evm_version: str = "auto",
    ) -> None:
        if evm_version != "auto" and evm_version not in EVM_TARGETS:
            raise ConfigurationError(
                f"expected an EVM version among {['auto', *EVM_TARGETS]}, found {evm_version!r}"
            )
        self._evm_version = None if evm_version == "auto" else evm_version
        self.rpc_url = rpc_url
        self.signer = signer
        self.retries = retries
        self.backoff = backoff
        self.receipt_timeout = receipt_timeout
        # web3's own retry loop is off: ours covers every method and ends in ChainUnavailable
        provider = HTTPProvider(
            rpc_url,
            request_kwargs={"timeout": request_timeout},
            exception_retry_configuration=None,
        )
        self.w3 = Web3(provider)
        self._nonce_lock = threading.Lock()
        #: JSON-RPC calls that failed for good, and retries after transport failures (metrics)
        self.rpc_errors = 0
        self.rpc_retries = 0
        self._names: dict[str, str] = {}
        self._client_version: str | None = None
        self._not_offered: set[str] = set()
        found = self._rpc("eth_chainId", lambda: self.w3.eth.chain_id)
        if expected_chain_id is not None and found != expected_chain_id:
            raise ConfigurationError(
                f"expected chain id {expected_chain_id} at {rpc_url}, found {found}"
            )
        self.chain_id: int = found

    @property
    def address(self) -> ChecksumAddress:
        return self.signer.address

    @property
    def evm_version(self) -> str:
        """The EVM target of the bytecode :meth:`deploy` sends (detected once if ``auto``)."""
        if self._evm_version is None:
            self._evm_version = DEFAULT_TARGET if self.runs_cancun() else CONSERVATIVE_TARGET
        return self._evm_version

    def runs_cancun(self) -> bool:
        """Whether the node executes PUSH0, MCOPY and TSTORE (``eth_call`` of init code).

        A node that answers the probe with an error lacks them; a node that does not
        answer raises ChainUnavailable.
        """
        probe: Any = {"data": "0x" + PROBE_CANCUN.hex()}

        def call() -> bool:
            try:
                self.w3.eth.call(probe)
            except Web3RPCError:  # anvil, geth, Besu: an RPC error ("invalid opcode")
                return False
            except ContractLogicError:
                # Hardhat Network words the same refusal as a revert: "execution reverted:
                # Error: VM Exception while processing transaction: invalid opcode"
                return False
            return True

        return self._rpc("eth_call (EVM version probe)", call)

    # -- transport ---------------------------------------------------------

    def _rpc(self, what: str, call: Callable[[], T]) -> T:
        """Run ``call``, retrying transport failures with exponential backoff."""
        last: BaseException | None = None
        for attempt in range(self.retries + 1):
            try:
                return call()
            except _ANSWERS:
                raise
            except _TRANSIENT as exc:
                last = exc
            except requests.HTTPError as exc:
                status = exc.response.status_code if exc.response is not None else 0
                if status != 429 and status < 500:
                    raise self._unavailable(what, exc, attempt + 1) from exc
                last = exc
            except (Web3ValidationError, MismatchedABI, Web3TypeError) as exc:
                raise MalformedInput(
                    f"expected arguments that fit the ABI for {what}, found: {exc}"
                ) from exc
            except (Web3Exception, ValueError) as exc:
                raise self._unavailable(what, exc, attempt + 1) from exc
            if attempt < self.retries:
                self.rpc_retries += 1
                time.sleep(self.backoff * 2**attempt)
        assert last is not None
        raise self._unavailable(what, last, self.retries + 1) from last

    def _unavailable(self, what: str, exc: BaseException, attempts: int) -> ChainUnavailable:
        self.rpc_errors += 1
        return ChainUnavailable(
            f"expected {self.rpc_url} to answer {what}, found after {attempts} attempt(s): "
            f"{type(exc).__name__}: {exc}"
        )

    def request(self, method: str, params: Sequence[Any]) -> Any:
        """A raw JSON-RPC call (e.g. ``evm_snapshot``), with the same retries."""
        return self._rpc(
            method, lambda: self.w3.manager.request_blocking(RPCEndpoint(method), list(params))
        )

    def request_if_offered(self, method: str, params: Sequence[Any]) -> tuple[bool, Any]:
        """A raw JSON-RPC call of a method not every node has: ``(False, None)`` if the
        node answers that it has no such method (remembered: it is not asked again),
        else ``(True, answer)``.

        Raises:
            ChainUnavailable: any other failure, as :meth:`request`.
        """
        if method in self._not_offered:
            return False, None

        def call() -> tuple[bool, Any]:
            try:
                answer = self.w3.manager.request_blocking(RPCEndpoint(method), list(params))
            except Web3RPCError as exc:
                error = (exc.rpc_response or {}).get("error")
                code = error.get("code") if isinstance(error, dict) else None
                if code not in _METHOD_NOT_FOUND:
                    raise
                self._not_offered.add(method)
                return False, None
            return True, answer

        return self._rpc(method, call)

    # -- reads -------------------------------------------------------------

    def block_number(self) -> int:
        return self._rpc("eth_blockNumber", lambda: self.w3.eth.block_number)

    def block(self, number_or_hash: BlockIdentifier) -> BlockInfo:
        """Header fields of one block. Raises NotFound if the node has no such block."""
        try:
            b = self._rpc("eth_getBlock", lambda: self.w3.eth.get_block(number_or_hash))
        except BlockNotFound as exc:
            raise NotFound(f"expected block {number_or_hash!r}, found none") from exc
        return BlockInfo(
            number=int(b["number"]),
            hash=Web3.to_hex(b["hash"]),
            timestamp=int(b["timestamp"]),
            parentHash=Web3.to_hex(b["parentHash"]),
        )

    def is_canonical(self, block_number: int, block_hash: str) -> bool:
        """True if the chain still has ``block_hash`` at height ``block_number``."""
        try:
            return self.block(block_number)["hash"].lower() == block_hash.lower()
        except NotFound:
            return False

    def code_at(self, address: str, block_identifier: BlockIdentifier = "latest") -> bytes:
        checksum = to_checksum_address(address)
        return bytes(
            self._rpc("eth_getCode", lambda: self.w3.eth.get_code(checksum, block_identifier))
        )

    def receipt(self, tx_hash: str) -> TxResult | None:
        """The mined result of ``tx_hash``, or None if the node does not know it
        (never sent, still pending, or dropped by a reorg)."""
        try:
            r = self._rpc(
                "eth_getTransactionReceipt",
                lambda: self.w3.eth.get_transaction_receipt(HexBytes(tx_hash)),
            )
        except TransactionNotFound:
            return None
        try:
            return self._result(r)
        except NotFound:  # its block went away between the two calls: a reorg
            return None

    def _result(self, r: TxReceipt) -> TxResult:
        block_hash = Web3.to_hex(r["blockHash"])
        return TxResult(
            tx_hash=Web3.to_hex(r["transactionHash"]),
            block_number=int(r["blockNumber"]),
            block_hash=block_hash,
            block_time=self.block(block_hash)["timestamp"],
            gas_used=int(r["gasUsed"]),
            status=int(r["status"]),
        )

    # -- contracts and transactions -----------------------------------------

    def contract(self, artifact_name: str, address: str) -> Contract:
        """A web3 contract object for a deployed artifact; reverts name it in messages."""
        checksum = to_checksum_address(address)
        self._names[checksum] = artifact_name
        return self.w3.eth.contract(address=checksum, abi=load_artifact(artifact_name)["abi"])

    def client_version(self) -> str:
        """The node's ``web3_clientVersion`` (asked once; e.g. ``anvil/v1.7.1``)."""
        if self._client_version is None:
            self._client_version = str(self.request("web3_clientVersion", []))
        return self._client_version

    def set_dev_balance(self, address: str, amount_wei: int) -> None:
        """Set ``address``'s balance on a development node (anvil or Hardhat Network).

        The two nodes name the method differently: Hardhat Network offers only
        ``hardhat_setBalance``; anvil offers ``anvil_setBalance`` (the method asked of
        every other node, so a chain that refuses it is named as not a dev node).

        Raises:
            ConfigurationError: the node offers neither (not a development node).
        """
        hardhat = self.client_version().lower().startswith(_HARDHAT_VERSION_PREFIX)
        method = "hardhat_setBalance" if hardhat else "anvil_setBalance"
        try:
            self.request(method, [to_checksum_address(address), hex(amount_wei)])
        except ChainUnavailable as exc:
            raise ConfigurationError(
                f"expected a development node (anvil, Hardhat) at {self.rpc_url} to fund "
                f"{address}, found it refuses {method} ({exc})"
            ) from exc

    def fund_from_dev_account(self, amount_wei: int) -> None:
        """Top the signer's balance up to at least ``amount_wei`` (development nodes only).

        Raises:
            ConfigurationError: the node offers no way to set a balance (:meth:`set_dev_balance`).
        """
        balance = self._rpc("eth_getBalance", lambda: self.w3.eth.get_balance(self.address))
        if balance >= amount_wei:
            return
        self.set_dev_balance(self.address, amount_wei)

    def deploy(self, artifact_name: str, *args: Any) -> tuple[str, str, int]:
        """Deploy an artifact compiled for :attr:`evm_version`; return
        (address, tx_hash, block_number)."""
        artifact = load_artifact(artifact_name, self.evm_version)
        factory = self.w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
        try:
            result, receipt = self._transact(
                factory.constructor(*args), artifact_name, "deployment"
            )
        except (ChainUnavailable, ContractReverted) as exc:
            # anvil refuses an unknown opcode as an RPC error (ChainUnavailable), Hardhat
            # Network as a revert ("invalid opcode"): either way, ask whether it is the EVM
            if self.evm_version == DEFAULT_TARGET and not self.runs_cancun():
                raise ConfigurationError(
                    f"expected a node that runs {artifact_name}'s {DEFAULT_TARGET} bytecode, "
                    f"found it lacks Cancun's opcodes (PUSH0, MCOPY, TSTORE): set "
                    f"CHAINWITNESS_EVM_VERSION={CONSERVATIVE_TARGET} or auto"
                ) from exc
            raise
        address = receipt["contractAddress"]
        if address is None:
            raise ChainUnavailable(
                f"expected a contract address in the receipt of {result.tx_hash}, found none"
            )
        self._names[to_checksum_address(address)] = artifact_name
        return to_checksum_address(address), result.tx_hash, result.block_number

    def send(
        self,
        contract_fn: ContractFunction,
        *,
        on_sent: Callable[[str], None] | None = None,
        gas: int | None = None,
    ) -> TxResult:
        """Sign ``contract_fn`` locally, send it and wait for its receipt.

        With ``gas`` given no ``eth_estimateGas`` is made: the call's arguments leave
        this process only inside the signed transaction (a custodian's share must not
        travel in an estimate before its owner decided to release it).

        ``on_sent(tx_hash)`` runs once the node accepted the transaction and before
        waiting for the receipt, so a caller can record it (and find it again with
        :meth:`receipt` after a crash or a timeout).

        Raises:
            ContractReverted: gas estimation or execution reverted (decoded error).
            ChainUnavailable: the node failed, or no receipt within ``receipt_timeout``.
        """
        name = self._names.get(contract_fn.address, "contract")
        return self._transact(contract_fn, name, contract_fn.fn_name, on_sent, gas)[0]

    def _transact(
        self,
        fn: ContractFunction | ContractConstructor,
        name: str,
        action: str,
        on_sent: Callable[[str], None] | None = None,
        gas: int | None = None,
    ) -> tuple[TxResult, TxReceipt]:
        limit = int(self._estimate(fn, name, action) * GAS_MARGIN) if gas is None else gas
        with self._nonce_lock:
            nonce = self._rpc(
                "eth_getTransactionCount",
                lambda: self.w3.eth.get_transaction_count(self.address, "pending"),
            )
            params: Any = {
                "from": self.address,
                "nonce": nonce,
                "gas": limit,
                "chainId": self.chain_id,
            }
            tx = self._rpc("fee data", lambda: fn.build_transaction(params))
            signed = self.signer.sign_transaction(tx)  # type: ignore[arg-type]
            tx_hash = self._send_raw(signed.raw_transaction, Web3.to_hex(signed.hash))
        if on_sent is not None:
            on_sent(tx_hash)
        receipt = self._await_receipt(tx_hash)
        result = self._result(receipt)
        if result.status != 1:
            raise self._failed(name, action, tx, result)
        return result, receipt

    def _estimate(self, fn: ContractFunction | ContractConstructor, name: str, action: str) -> int:
        # against "pending": a head sent but not yet mined is what the next one extends
        sender: Any = {"from": self.address}
        try:
            return self._rpc(
                "eth_estimateGas", lambda: fn.estimate_gas(sender, block_identifier="pending")
            )
        except ContractLogicError as exc:
            raise self._reverted(name, action, exc) from None

    def _send_raw(self, raw: bytes, tx_hash: str) -> str:
        try:
            self._rpc("eth_sendRawTransaction", lambda: self.w3.eth.send_raw_transaction(raw))
        except ChainUnavailable:
            # a retry after a lost answer can be refused ("already known", "nonce
            # too low") although the first attempt went through
            if not self._known(tx_hash):
                raise
        return tx_hash

    def _known(self, tx_hash: str) -> bool:
        try:
            self._rpc(
                "eth_getTransactionByHash",
                lambda: self.w3.eth.get_transaction(HexBytes(tx_hash)),
            )
        except (TransactionNotFound, ChainUnavailable):
            return False
        return True

    def _await_receipt(self, tx_hash: str) -> TxReceipt:
        deadline = time.monotonic() + self.receipt_timeout
        while True:
            try:
                return self._rpc(
                    "eth_getTransactionReceipt",
                    lambda: self.w3.eth.get_transaction_receipt(HexBytes(tx_hash)),
                )
            except TransactionNotFound:
                if time.monotonic() > deadline:
                    raise ChainUnavailable(
                        f"expected a receipt for {tx_hash} within {self.receipt_timeout:g} s "
                        f"from {self.rpc_url}, found none"
                    ) from None
                time.sleep(0.1)

    def _failed(self, name: str, action: str, tx: Any, result: TxResult) -> ContractReverted:
        """Explain a transaction mined with status 0 by replaying it on its block's state."""
        call: Any = {k: tx[k] for k in ("from", "to", "data", "value", "gas") if k in tx}
        try:
            self.w3.eth.call(call, result.block_number)
        except ContractLogicError as exc:
            decoded = self._reverted(name, action, exc)
            return ContractReverted(
                name, action, decoded.error_name, decoded.args, decoded.text, result
            )
        except (Web3Exception, OSError, ValueError):
            pass
        text = "status 0, and a replay does not reproduce the reason"
        return ContractReverted(name, action, "", (), text, result)

    def _reverted(self, name: str, action: str, exc: ContractLogicError) -> ContractReverted:
        abi: list[dict[str, Any]] = []
        if name in self._names.values():
            abi = list(load_artifact(name)["abi"])
        return decode_revert(name, action, exc, abi)

    def call(self, fn: ContractFunction, block_identifier: BlockIdentifier = "latest") -> Any:
        """``eth_call`` a view function; a revert becomes :class:`ContractReverted`."""
        name = self._names.get(fn.address, "contract")
        try:
            return self._rpc(
                f"{name}.{fn.fn_name}", lambda: fn.call(block_identifier=block_identifier)
            )
        except ContractLogicError as exc:
            raise self._reverted(name, fn.fn_name, exc) from None
        except BadFunctionCallOutput as exc:
            raise ConfigurationError(
                f"expected {name} code at {fn.address} answering {fn.fn_name}(), found: {exc}"
            ) from exc

    def get_logs(
        self, event: Any, from_block: BlockIdentifier, to_block: BlockIdentifier
    ) -> list[Any]:
        """``eth_getLogs`` for one contract event type, decoded."""
        return self._rpc(
            "eth_getLogs",
            lambda: list(event.get_logs(from_block=from_block, to_block=to_block)),
        )


# -- EvidenceLog -----------------------------------------------------------
