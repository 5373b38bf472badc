"""Custodian agents survive the service going down and coming back: they log one line,
back off, and carry on where they were (a dealing not relayed is dealt again)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import pytest
import uvicorn

from ledger_service.api.app import create_app
from ledger_service.chain.tender_messages import tender_id_bytes
from ledger_service.store.tokens import create_token
from ledger_service.tenders.chain_view import read_tender
from ledger_service.tenders.custodian import HttpRelay
from tests.integration.serving import free_port

from .conftest import World
from .helpers import CODE, announce

pytestmark = pytest.mark.integration


class Server:
    """The API on one fixed port, stopped and started again like `serve` restarting."""

    def __init__(self, world: World, port: int) -> None:
        self.world, self.port = world, port
        self._srv: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        app = create_app(self.world.services)
        self._srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port,
                                                  log_level="warning"))  # fmt: skip
        self._thread = threading.Thread(target=self._srv.run, daemon=True)
        self._thread.start()
        while not self._srv.started:
            time.sleep(0.02)

    def stop(self) -> None:
        assert self._srv is not None and self._thread is not None
        self._srv.should_exit = True
        self._thread.join(10)


def _wait(what: str, done: Callable[[], bool], timeout: float = 60) -> None:
    until = time.monotonic() + timeout
    while not done():
        if time.monotonic() > until:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def test_agents_ride_out_a_restart(world: World, caplog: pytest.LogCaptureFixture) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    engine = world.services.log_store.engine
    schedule = announce(world)
    tid = tender_id_bytes(CODE)
    stop = threading.Event()
    threads = []
    for agent in world.agents:
        token = create_token(engine, agent.address, "custodian")[1]
        run = world.agent_run(agent, HttpRelay(url, token, retry_s=0.5))
        t = threading.Thread(target=run.run, args=(stop, 0.2, 1.0), daemon=True)
        t.start()
        threads.append(t)
    server = Server(world, port)

    def on_chain() -> tuple[int, int]:
        tender = read_tender(world.tenders._registry, tid)  # noqa: SLF001
        return len(tender.dealings), len(world.tenders.store.key_approvals(CODE))

    try:
        with caplog.at_level(logging.WARNING):
            time.sleep(3)  # the service is down: every agent fails to relay its dealing
            assert on_chain() == (0, 0) and all(t.is_alive() for t in threads)
            server.start()
            _wait("five dealings", lambda: on_chain()[0] == 5)
            server.stop()  # `serve` restarts while the agents run
            world.advance_to(schedule.complaint_deadline)
            time.sleep(3)
            assert on_chain()[1] == 0 and all(t.is_alive() for t in threads)
            server.start()
            # t approvals relayed: the service finalizes the key the agents computed
            _wait(
                "the opening key", lambda: bool(world.views.public_view(CODE)["opening_public_key"])
            )
            assert read_tender(world.tenders._registry, tid).finalized is not None  # noqa: SLF001
    finally:
        stop.set()
        for t in threads:
            t.join(10)
        server.stop()
    failures = [r for r in caplog.records if r.name == "chainwitness.custodian"
                or r.name.startswith("chainwitness.client")]  # fmt: skip
    assert any("retrying in" in r.getMessage() for r in failures)
    assert all(r.exc_info is None and "\n" not in r.getMessage() for r in caplog.records
               if r.name.startswith("chainwitness"))  # fmt: skip


def test_bidder_client_waits_for_the_service_to_come_back(world: World) -> None:
    """The service is down when the bidder asks; it comes back within the retry window."""
    from ledger_service.tenders.bidder import BidderClient, ChainTrust

    announce(world)
    port = free_port()
    bidder = world.bidders[0]
    assert world.services.client is not None
    trust = ChainTrust(world.rpc_url, world.services.client.chain_id,
                       world.tenders.registry_address)  # fmt: skip
    token = create_token(world.services.log_store.engine, bidder.address, "bidder")[1]
    client = BidderClient(f"http://127.0.0.1:{port}", token, bidder, trust, retry_s=30)
    server = Server(world, port)
    later = threading.Timer(2.0, server.start)
    later.start()
    try:
        assert client.tender(CODE)["code"] == CODE  # retried until the service answered
    finally:
        later.join()
        server.stop()
    quick = BidderClient(f"http://127.0.0.1:{free_port()}", token, bidder, trust, retry_s=1)
    from ledger_service.core.errors import ChainUnavailable

    with pytest.raises(ChainUnavailable, match=r"expected the service to answer GET .*/v1/tenders/"
                       r".*, found after \d attempt\(s\) in 1 s: ConnectError"):  # fmt: skip
        quick.tender(CODE)
