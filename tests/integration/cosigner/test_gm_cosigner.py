"""``chainwitness cosigner init --gm`` as a separate process: it cosigns in Ed25519 and SM2.

The log (played here) sends a GM checkpoint (SM3 root line, Ed25519 and SM2 log
signatures); the witness answers with two lines, the collector keeps both after
verifying them against the keys ``init`` printed, and the GM checks pass.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from ledger_service.core import merkle
from ledger_service.core.checkpoints import Checkpoint, SignedCheckpoint, sign_checkpoint
from ledger_service.core.gm_notes import (
    SM2_COSIGNATURE,
    SM2_NOTE,
    Sm2NoteSigner,
    Sm2VerifierKey,
    sm2_sign_note,
    verify_gm,
    with_sm3_root,
)
from ledger_service.core.merkle import sm3 as sm3_tree
from ledger_service.core.notes import VerifierKey
from ledger_service.core.sm2 import Sm2PrivateKey
from ledger_service.cosigner.collector import WitnessEndpoint, collect_cosignatures, httpx_post
from tests.integration.cosigner.test_cosigner import LOG, ORIGIN, _cli
from tests.integration.serving import free_port

pytestmark = pytest.mark.integration
LOG_SM2 = Sm2NoteSigner(ORIGIN, Sm2PrivateKey.generate(), SM2_NOTE)
DATA = [f"record {i}".encode() for i in range(5)]


def test_gm_cosigner_answers_with_a_verified_sm2_cosignature(tmp_path: Path) -> None:
    data_dir = tmp_path / "court"
    init = _cli("init", "--data-dir", str(data_dir), "--name", "court.example/witness",
                "--log", LOG.verifier_key.to_text(), "--gm")  # fmt: skip
    assert init.returncode == 0, init.stderr
    ed_text, sm2_text = init.stdout.split()
    key, sm2_key = VerifierKey.from_text(ed_text), Sm2VerifierKey.from_text(sm2_text)
    assert sm2_key.type_string == SM2_COSIGNATURE and sm2_key.name == key.name
    assert (data_dir / "cosigner-sm2.key").stat().st_mode & 0o777 == 0o600
    status = _cli("status", "--data-dir", str(data_dir), "--json")
    assert json.loads(status.stdout)["sm2_verifier_key"] == sm2_text
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "ledger_service.cosigner", "run", "--data-dir", str(data_dir),
         "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ},
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(f"{url}/{'0' * 64}/checkpoint", timeout=1)
                break
            except httpx.TransportError:
                assert proc.poll() is None and time.monotonic() < deadline, "cosigner did not start"
                time.sleep(0.1)
        leaves = [merkle.leaf_hash(d) for d in DATA]
        cp = Checkpoint(ORIGIN, 5, merkle.root_from_leaves(leaves))
        cp = with_sm3_root(cp, sm3_tree.root_from_leaves([sm3_tree.leaf_hash(d) for d in DATA]))
        signed = sign_checkpoint(cp, LOG)
        signed = SignedCheckpoint(sm2_sign_note(signed.note, LOG_SM2))
        with httpx.Client(timeout=10) as client:
            out, answers = collect_cosignatures(
                signed, [WitnessEndpoint(url, key, sm2_key)], lambda a, b: [], httpx_post(client)
            )
        assert answers[0].error is None and answers[0].sm2_line is not None, answers
        gm = verify_gm(out.note, LOG_SM2.verifier_key, [sm2_key], 1, int(time.time()))
        assert [ref for ref, _ in gm.witnesses] == [sm2_key.ref]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
