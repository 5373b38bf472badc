"""Gas for the parties' own accounts on the embedded development chain.

Custodians register their keys and release their shares, and notaries register
certificates, from their own accounts: on the embedded anvil nobody else can give
them ether, so the service tops up every account it has issued a bidder, custodian
or notary token for (the token's name is the account's address) with
``anvil_setBalance`` (``hardhat_setBalance`` on Hardhat Network:
``ChainClient.set_dev_balance``). Development chains only: on a real chain each party gets
gas from the chain's own operators (docs/tenders.md, "Funding accounts").
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterable

from ledger_service.chain.client import ChainClient
from ledger_service.core.errors import EvidenceError

log = logging.getLogger("chainwitness.funding")

#: Below this balance an account is topped up ...
MIN_BALANCE_WEI = 1 * 10**18
#: ... to this one (10 ETH: thousands of share releases at anvil's gas price).
TOP_UP_WEI = 10 * 10**18
_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")


class DevFunder:
    """Tops up the accounts ``addresses()`` names on a development node (anvil, Hardhat)."""

    def __init__(
        self, client: ChainClient, addresses: Callable[[], Iterable[str]], poll_s: float = 2.0
    ) -> None:
        self._client = client
        self._addresses = addresses
        self._poll = poll_s

    def step(self) -> list[str]:
        """One pass: returns the addresses it funded (those below ``MIN_BALANCE_WEI``)."""
        funded = []
        for address in sorted({a.lower() for a in self._addresses() if _ADDRESS.match(a)}):
            raw = self._client.request("eth_getBalance", [address, "latest"])
            balance = raw if isinstance(raw, int) else int(str(raw), 16)
            if balance >= MIN_BALANCE_WEI:
                continue
            self._client.set_dev_balance(address, TOP_UP_WEI)
            funded.append(address)
            log.info("funded %s with %d ETH on the development chain", address,
                     TOP_UP_WEI // 10**18)  # fmt: skip
        return funded

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                self.step()
            except EvidenceError as exc:
                log.warning("funding: %s", exc)
            stop.wait(self._poll)

    def start_thread(self) -> tuple[threading.Thread, threading.Event]:
        stop = threading.Event()
        t = threading.Thread(target=self.run, args=(stop,), name="dev-funder", daemon=True)
        t.start()
        return t, stop
