"""Resubmission, another bidder's envelope, and opened bids under their own file names,
downloaded by the evaluation committee (real anvil, the API over HTTP, the CLI)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from ledger_service.api.app import create_app
from ledger_service.chain.tender_messages import tender_id_bytes
from ledger_service.cli.app import build_app
from ledger_service.core.errors import MalformedInput
from ledger_service.store.tokens import create_token
from ledger_service.tenders.bidder import BidderClient, ChainTrust, pseudonym_of
from ledger_service.tenders.lifecycle import State
from ledger_service.tenders.watcher import TenderWatcher
from tests.integration.serving import serving

from .conftest import World
from .helpers import CODE, announce, generate_key, open_for_bids, signed_bid, submit

pytestmark = pytest.mark.integration
cli = build_app()


def _bid_records(world: World) -> int:
    return sum(1 for _, r in world.tenders.records(CODE) if r.kind == "tender.bid_submitted")


def test_resubmit_wrong_envelope_and_download_by_name(world: World, tmp_path: Path) -> None:
    schedule = announce(world)
    generate_key(world)
    open_for_bids(world, 3)
    engine = world.services.log_store.engine
    op = create_token(engine, "centre", "operator")[1]
    assert world.services.client is not None
    trust = ChainTrust(world.rpc_url, world.services.client.chain_id,
                       world.tenders.registry_address)  # fmt: skip
    b0, b1, b2 = world.bidders[:3]
    docs = {b0.address: b"A" * 70_000, b1.address: "乙公司 bid".encode() * 999,
            b2.address: b"no name"}  # fmt: skip
    with serving(create_app(world.services)) as (url, _):
        clients = {b.address: BidderClient(url, create_token(engine, b.address, "bidder")[1], b,
                                           trust) for b in (b0, b1, b2)}  # fmt: skip
        sealed = {}
        for b, name in ((b0, "投标文件-商务标.pdf"), (b1, "乙 technical.docx"), (b2, "plain")):
            src = tmp_path / name
            src.write_bytes(docs[b.address])
            dst = tmp_path / (f"{name}.cwseal" if b is not b2 else "sealed-without-suffix")
            clients[b.address].seal(CODE, src, dst)
            sealed[b.address] = dst

        first = clients[b0.address].submit(CODE, sealed[b0.address])
        records = _bid_records(world)
        again = clients[b0.address].submit(CODE, sealed[b0.address])  # a retry, a second click
        assert again == first and first["nonce"] == 1
        assert _bid_records(world) == records  # nothing recorded again
        tid = tender_id_bytes(CODE)
        pseudonym = pseudonym_of(b0, tid).address
        assert world.tenders._registry.get_sealed_bid(tid, pseudonym).nonce == 1  # noqa: SLF001

        # bidder 1's client refuses bidder 0's envelope, naming both keys
        with pytest.raises(MalformedInput, match=f"found it sealed by {b0.address} for key 0"):
            clients[b1.address].submit(CODE, sealed[b0.address])
        for b in (b1, b2):
            clients[b.address].submit(CODE, sealed[b.address])

        # the evaluation committee cannot list anything before opening
        runner = CliRunner()
        common = ["--tender", CODE, "--server", url, "--token", op]
        r = runner.invoke(cli, ["tender", "bids", "list", *common])
        assert r.exit_code == 1 and "the tender is not open" in r.stderr

        watcher = TenderWatcher(world.tenders)
        world.advance_to(schedule.bid_deadline)
        watcher.step()
        world.advance_to(schedule.opening_time)
        world.step_agents()
        assert watcher.step() == [CODE]
        assert world.tenders.state(CODE) == State.OPENED

        r = runner.invoke(cli, ["tender", "bids", "list", *common])
        assert r.exit_code == 0, r.output
        assert "投标文件-商务标.pdf" in r.stdout and "no file name was sealed" in r.stdout
        out = tmp_path / "evaluation"
        r = runner.invoke(cli, ["tender", "bids", "download", *common, "-o", str(out)])
        assert r.exit_code == 0, r.output
        assert (out / b0.address / "投标文件-商务标.pdf").read_bytes() == docs[b0.address]
        assert (out / b1.address / "乙 technical.docx").read_bytes() == docs[b1.address]
        assert (out / b2.address / f"{b2.address}-1.bin").read_bytes() == docs[b2.address]
        assert "3 opened bids" in r.stdout
        # stored under the original names in the service's opening folder too
        opened = world.tenders.opening_dir(CODE)
        assert (opened / f"{b0.address}-1" / "投标文件-商务标.pdf").read_bytes() == docs[b0.address]
        # a bidder's token does not download others' bids; the header names the file
        bidder_token = create_token(engine, b1.address, "bidder")[1]
        resp = httpx.get(f"{url}/v1/tenders/{CODE}/opened/{b0.address}/1",
                         headers={"Authorization": f"Bearer {bidder_token}"})  # fmt: skip
        assert resp.status_code == 403
        resp = httpx.get(f"{url}/v1/tenders/{CODE}/opened/{b0.address}/1",
                         headers={"Authorization": f"Bearer {op}"})  # fmt: skip
        assert resp.status_code == 200 and resp.content == docs[b0.address]
        assert "filename*=utf-8''" in resp.headers["content-disposition"].lower()


def test_service_refuses_another_bidders_envelope_naming_whose_key(world: World) -> None:
    """Attack: bidder 1 bypasses its client and submits bidder 0's envelope as its own."""
    import io

    from ledger_service.core import sealing
    from ledger_service.tenders.bidder import bidder_public_key

    announce(world)
    generate_key(world)
    open_for_bids(world, 2)
    b0, b1 = world.bidders[:2]
    key = bytes.fromhex(world.views.public_view(CODE)["opening_public_key"])
    dst = io.BytesIO()
    res = sealing.seal_stream(io.BytesIO(b"bid of 0"), dst, tender_id=CODE, bidder=b1.address,
                              tender_public_key=key, bidder_public_key=bidder_public_key(b0),
                              chunk_size=16384)  # fmt: skip
    # the header names bidder 1 but wraps the key to bidder 0's key
    with pytest.raises(MalformedInput, match=(
        f"expected an envelope sealed by bidder {b1.address} for its key "
        f"{bidder_public_key(b1).hex()}, found one sealed by {b1.address} for key "
        f"{bidder_public_key(b0).hex()} \\(registered bidder {b0.address}\\)"
    )):  # fmt: skip
        submit(world, signed_bid(world, b1, res, 1), dst.getvalue())
    assert world.tenders.store.bids(CODE) == []
