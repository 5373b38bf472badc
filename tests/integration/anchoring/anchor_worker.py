"""A separate anchorer process for the crash tests (killed with SIGKILL at random points)."""

from __future__ import annotations

import sys
import threading

from ledger_service.chain.client import ChainClient
from ledger_service.chain.evidence_log import EvidenceLogContract
from ledger_service.chain.keys import load_signer
from ledger_service.evidence.anchoring import Anchorer
from ledger_service.store.anchors import AnchorStore
from ledger_service.store.db import make_engine
from ledger_service.store.log import LogStore


def main(db_url: str, rpc_url: str, address: str, key: str) -> None:
    engine = make_engine(db_url)
    client = ChainClient(rpc_url, load_signer(key, None, None), None)
    contract = EvidenceLogContract(client, address)
    anchorer = Anchorer(LogStore(engine), AnchorStore(engine), client, contract, interval_s=0.02)
    anchorer.run(threading.Event(), poll_s=0.01)


if __name__ == "__main__":
    main(*sys.argv[1:5])
