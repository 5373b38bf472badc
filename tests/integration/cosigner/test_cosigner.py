"""The cosigner as a separate process, attacked by the log operator.

Each test starts ``python -m ledger_service.cosigner`` with its own data
directory, key and loopback port, then plays the OPERATOR: it holds the log key
and presents rewritten, rewound, forged and backdated checkpoints. The cosigner
must refuse each with the status c2sp.org/tlog-witness requires, keep the
evidence, and cosign honest growth with a cosignature that verifies against
the key it printed at ``init``.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from ledger_service.core import merkle
from ledger_service.core.checkpoints import (
    Checkpoint,
    SignedCheckpoint,
    WitnessQuorum,
    sign_checkpoint,
    verify_witnessed,
)
from ledger_service.core.notes import SIG_TYPE_ED25519, NoteSigner, VerifierKey
from ledger_service.core.witness_protocol import AddCheckpoint
from ledger_service.cosigner.collector import WitnessEndpoint, collect_cosignatures, httpx_post
from tests.integration.serving import free_port

pytestmark = pytest.mark.integration

ORIGIN = "centre.example/chainwitness/log"
LOG = NoteSigner(ORIGIN, hashlib.sha256(b"operator log key").digest(), SIG_TYPE_ED25519)
LEAVES = [merkle.leaf_hash(f"record {i}".encode()) for i in range(16)]


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ledger_service.cosigner", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@dataclass
class RunningCosigner:
    url: str
    key: VerifierKey
    data_dir: Path

    def post(self, body: bytes) -> httpx.Response:
        return httpx.post(f"{self.url}/add-checkpoint", content=body, timeout=10)

    def evidence(self) -> list[dict[str, object]]:
        path = self.data_dir / "refused.jsonl"
        return [json.loads(x) for x in path.read_text().splitlines()] if path.exists() else []


@pytest.fixture
def cosigner(tmp_path: Path) -> Iterator[RunningCosigner]:
    data_dir = tmp_path / "court-cosigner"
    init = _cli(
        "init", "--data-dir", str(data_dir), "--name", "court.example/witness",
        "--log", LOG.verifier_key.to_text(),
    )  # fmt: skip
    assert init.returncode == 0, init.stderr
    key = VerifierKey.from_text(init.stdout.strip())
    assert (data_dir / "cosigner.key").stat().st_mode & 0o777 == 0o600
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "ledger_service.cosigner", "run",
         "--data-dir", str(data_dir), "--port", str(port)],
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
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(
                        f"cosigner did not start: {proc.stderr and proc.stderr.read()!r}"
                    ) from None
                time.sleep(0.1)
        yield RunningCosigner(url, key, data_dir)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def checkpoint(
    leaves: list[bytes], signer: NoteSigner = LOG, ext: tuple[str, ...] = ()
) -> SignedCheckpoint:
    cp = Checkpoint(ORIGIN, len(leaves), merkle.root_from_leaves(leaves), ext)
    return sign_checkpoint(cp, signer)


def request(old: int, leaves: list[bytes], signed: SignedCheckpoint) -> bytes:
    proof = (
        ()
        if old in (0, len(leaves)) or old > len(leaves)
        else tuple(merkle.consistency_proof_from_leaves(old, len(leaves), leaves))
    )
    return AddCheckpoint(old, proof, signed).to_bytes()


def cosign_honestly(c: RunningCosigner, size: int, old: int = 0) -> None:
    r = c.post(request(old, LEAVES[:size], checkpoint(LEAVES[:size])))
    assert r.status_code == 200, r.text


def test_honest_growth_is_cosigned_and_the_cosignature_verifies(cosigner: RunningCosigner) -> None:
    endpoint = WitnessEndpoint(cosigner.url, cosigner.key)
    with httpx.Client(timeout=10) as client:
        post = httpx_post(client)
        for size, known in ((4, 0), (8, 4), (8, 8), (13, 0)):  # 0: learn the size from a 409
            signed = checkpoint(LEAVES[:size])
            out, answers = collect_cosignatures(
                signed,
                [endpoint],
                lambda a, b: merkle.consistency_proof_from_leaves(a, b, LEAVES),
                post,
                {cosigner.url: known},
            )
            assert answers[0].error is None, answers[0].error
            before = int(time.time())
            w = verify_witnessed(
                out, LOG.verifier_key, ORIGIN, WitnessQuorum((cosigner.key,), 1), before
            )
            assert w.checkpoint.size == size and abs(w.time - before) <= 5
    monitored = httpx.get(
        f"{cosigner.url}/{hashlib.sha256(ORIGIN.encode()).hexdigest()}/checkpoint"
    )
    assert SignedCheckpoint.from_bytes(monitored.content).checkpoint.size == 13
    assert cosigner.evidence() == []


def test_rewritten_log_is_refused_422_and_the_evidence_is_kept(cosigner: RunningCosigner) -> None:
    cosign_honestly(cosigner, 4)
    rewritten = [*LEAVES[:2], merkle.leaf_hash(b"a bid that was never made"), *LEAVES[3:8]]
    body = request(4, rewritten, checkpoint(rewritten))  # a valid proof of the *rewritten* tree
    r = cosigner.post(body)
    assert r.status_code == 422
    assert "not consistent with cosigned size 4" in r.text
    [kept] = cosigner.evidence()
    assert kept["status"] == 422 and kept["request"] == body.decode()
    # same size, other root: a fork at the cosigned size itself
    fork = checkpoint(rewritten[:4])
    assert cosigner.post(request(4, rewritten[:4], fork)).status_code == 422
    assert len(cosigner.evidence()) == 2


def test_rewind_to_a_smaller_size_is_refused(cosigner: RunningCosigner) -> None:
    cosign_honestly(cosigner, 8)
    smaller = checkpoint(LEAVES[:6])
    r = cosigner.post(request(8, LEAVES[:6], smaller))
    assert r.status_code == 400 and "old size 8 > checkpoint size 6" in r.text
    r = cosigner.post(request(0, LEAVES[:6], smaller))
    assert r.status_code == 409
    assert r.headers["content-type"] == "text/x.tlog.size" and r.text == "8\n"
    assert [e["status"] for e in cosigner.evidence()] == [400, 409]


def test_checkpoint_signed_by_another_key_is_refused_403(cosigner: RunningCosigner) -> None:
    forger = NoteSigner(
        ORIGIN, hashlib.sha256(b"a key the witness never pinned").digest(), SIG_TYPE_ED25519
    )
    r = cosigner.post(request(0, LEAVES[:4], checkpoint(LEAVES[:4], forger)))
    assert r.status_code == 403
    stranger = NoteSigner("elsewhere.example/log", LOG.seed, SIG_TYPE_ED25519)
    cp = sign_checkpoint(
        Checkpoint("elsewhere.example/log", 4, merkle.root_from_leaves(LEAVES[:4])), stranger
    )
    assert cosigner.post(AddCheckpoint(0, (), cp).to_bytes()).status_code == 404
    assert cosigner.post(b"old 0\nnot a checkpoint\n").status_code == 400
    assert cosigner.evidence() == []  # nothing the log key signed, nothing kept


def test_backdated_checkpoint_is_refused_by_the_witness_clock(cosigner: RunningCosigner) -> None:
    now = int(time.time())
    backdated = checkpoint(LEAVES[:4], ext=(f"chainwitness-time {now - 3600}",))
    r = cosigner.post(request(0, LEAVES[:4], backdated))
    assert r.status_code == 422 and "claims time" in r.text
    assert (
        cosigner.post(
            request(0, LEAVES[:4], checkpoint(LEAVES[:4], ext=(f"chainwitness-time {now}",)))
        ).status_code
        == 200
    )
    status = _cli("status", "--data-dir", str(cosigner.data_dir), "--json")
    report = json.loads(status.stdout)
    assert report["refused"] == 1 and report["logs"][ORIGIN]["cosigned_size"] == 4
