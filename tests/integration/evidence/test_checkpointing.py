"""The log's note key and the checkpoint publisher, with in-process cosigners.

The cosigners are the real ``cosigner.server.Cosigner`` (own key, data directory,
clock); ``post`` hands the request body straight to one, so these tests need no
sockets. The separate-process versions are in ``tests/integration/attacks``.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import pytest

from ledger_service.core.checkpoints import SignedCheckpoint, WitnessQuorum, verify_witnessed
from ledger_service.core.errors import (
    ChainStateMismatch,
    ConfigurationError,
    MalformedInput,
)
from ledger_service.core.notes import SIG_TYPE_COSIGNATURE_V1, NoteSigner
from ledger_service.core.records import EvidenceRecord
from ledger_service.core.trust_policy import NotaryAuthority, TrustPolicy
from ledger_service.cosigner.collector import WitnessEndpoint, WitnessUnreachable
from ledger_service.cosigner.server import Cosigner
from ledger_service.cosigner.store import CosignerConfig, DataDir
from ledger_service.evidence.checkpointing import (
    CheckpointPublisher,
    default_origin,
    ensure_log_key,
    parse_witness,
)
from ledger_service.evidence.trust_file import build_trust_policy, write_trust_policy
from ledger_service.settings import Settings
from ledger_service.store.checkpoints import CheckpointStore
from ledger_service.store.db import make_engine, migrate
from ledger_service.store.log import LogStore

pytestmark = pytest.mark.integration
ORIGIN = "centre.example/chainwitness/log"


def test_log_key_is_created_once_private_and_pinned_to_its_origin(tmp_path: Path) -> None:
    signer = ensure_log_key(tmp_path, ORIGIN)
    assert (tmp_path / "log.key").stat().st_mode & 0o777 == 0o600
    assert ensure_log_key(tmp_path) == signer == ensure_log_key(tmp_path, ORIGIN)
    with pytest.raises(ConfigurationError, match=f"log origin: expected '{ORIGIN}'"):
        ensure_log_key(tmp_path, "other.example/log")
    fresh = ensure_log_key(tmp_path / "new")
    assert fresh.name.startswith("chainwitness.local/") and len(fresh.name) == 27
    assert default_origin() != default_origin()
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "log.key").write_text("not a key\n")
    with pytest.raises(ConfigurationError, match="expected the log's note key"):
        ensure_log_key(tmp_path / "bad")


def test_witness_setting_is_url_and_key() -> None:
    key = NoteSigner("w.example/witness", b"\x01" * 32, SIG_TYPE_COSIGNATURE_V1).verifier_key
    assert parse_witness(f"http://127.0.0.1:7380 {key.to_text()}") == WitnessEndpoint(
        "http://127.0.0.1:7380", key
    )
    with pytest.raises(MalformedInput, match="expected '<http"):
        parse_witness(key.to_text())


class Fleet:
    """Three cosigners pinning the log key; ``post`` routes by URL; ``down`` fails one."""

    def __init__(self, root: Path, log: NoteSigner, clock_offset: int = 0) -> None:
        self.cosigners: dict[str, Cosigner] = {}
        self.down: set[str] = set()
        for i in range(3):
            signer = NoteSigner(f"w{i}.example/witness", hashlib.sha256(b"%d" % i).digest(),
                                SIG_TYPE_COSIGNATURE_V1)  # fmt: skip
            config = CosignerConfig(signer.name, ((log.name, log.verifier_key),))
            data = DataDir(root / f"w{i}")
            data.init(signer, config)
            self.cosigners[f"http://w{i}"] = Cosigner(
                signer, config, data, clock=lambda: int(time.time()) + clock_offset
            )

    @property
    def endpoints(self) -> list[WitnessEndpoint]:
        return [WitnessEndpoint(u, c.signer.verifier_key) for u, c in self.cosigners.items()]

    def post(self, url: str, body: bytes) -> tuple[int, str, bytes]:
        base = url.removesuffix("/add-checkpoint")
        if base in self.down:
            raise WitnessUnreachable(f"witness {url}: expected an answer, found none")
        return self.cosigners[base].add_checkpoint(body)


@pytest.fixture
def log(tmp_path: Path) -> tuple[LogStore, CheckpointStore]:
    engine = make_engine(f"sqlite:///{tmp_path / 'log.db'}")
    migrate(engine)
    return LogStore(engine), CheckpointStore(engine)


def grow(store: LogStore, n: int) -> None:
    store.append([EvidenceRecord.create(kind="document", subject="tender:T", actor="a:b",
                                        digests={"sha256": "0" * 64}) for _ in range(n)])  # fmt: skip


def test_publisher_collects_quorum_and_follows_growth(
    tmp_path: Path, log: tuple[LogStore, CheckpointStore]
) -> None:
    store, checkpoints = log
    signer = ensure_log_key(tmp_path / "svc", ORIGIN)
    fleet = Fleet(tmp_path, signer)
    publisher = CheckpointPublisher(store, checkpoints, signer, fleet.endpoints, 2, fleet.post)
    quorum = WitnessQuorum(tuple(e.key for e in fleet.endpoints), 2)
    for size in (3, 7, 20):
        grow(store, size - store.head().size)
        published = publisher.publish(size, store.root_at(size))
        assert published.stored.cosigned == 3, published.answers
        w = verify_witnessed(SignedCheckpoint.from_bytes(published.stored.note),
                             signer.verifier_key, ORIGIN, quorum, int(time.time()))  # fmt: skip
        assert w.checkpoint.size == size
    assert checkpoints.latest_cosigned(2) == checkpoints.at_size(20)
    # a head with its quorum is not collected again; a wrong root is refused locally
    assert publisher.ensure(20, store.root_at(20)) is None
    with pytest.raises(ChainStateMismatch, match="checkpoint of size 20: expected the log's root"):
        publisher.publish(20, b"\x00" * 32)


def test_a_new_publisher_learns_each_witness_size_and_survives_one_down(
    tmp_path: Path, log: tuple[LogStore, CheckpointStore]
) -> None:
    store, checkpoints = log
    signer = ensure_log_key(tmp_path / "svc", ORIGIN)
    fleet = Fleet(tmp_path, signer)
    grow(store, 5)
    first = CheckpointPublisher(store, checkpoints, signer, fleet.endpoints, 2, fleet.post)
    assert first.publish(5, store.root_at(5)).stored.cosigned == 3
    grow(store, 4)
    fleet.down.add("http://w2")
    restarted = CheckpointPublisher(store, checkpoints, signer, fleet.endpoints, 2, fleet.post)
    published = restarted.publish(9, store.root_at(9))  # each witness answers 409 with 5 first
    assert published.stored.cosigned == 2
    assert [a.known_size for a in published.answers[:2]] == [5, 5]
    assert "expected an answer" in (published.answers[2].error or "")
    # the better-cosigned note of a head is never replaced by a worse one
    fleet.down = {"http://w0", "http://w1", "http://w2"}
    assert restarted.publish(9, store.root_at(9)).stored.cosigned == 2
    kept = checkpoints.at_size(9)
    assert kept is not None and kept.cosigned == 2


def test_a_quorum_larger_than_the_witnesses_is_a_configuration_error(
    tmp_path: Path, log: tuple[LogStore, CheckpointStore]
) -> None:
    signer = ensure_log_key(tmp_path / "svc", ORIGIN)
    fleet = Fleet(tmp_path, signer)
    with pytest.raises(ConfigurationError, match="witness quorum: expected 1 <= k <= 3, found 4"):
        CheckpointPublisher(log[0], log[1], signer, fleet.endpoints, 4, fleet.post)


def test_trust_policy_from_the_settings(tmp_path: Path) -> None:
    key = NoteSigner("w.example/witness", b"\x01" * 32, SIG_TYPE_COSIGNATURE_V1).verifier_key
    base = {"data_dir": tmp_path, "log_origin": ORIGIN}
    contracts = {"EvidenceLog": "0x" + "5f" * 20, "Unknown": "0x" + "01" * 20}
    assert build_trust_policy(Settings(**base), 31337, contracts) is None  # no witness
    notary = "0x" + "ab" * 20
    s = Settings(**base, witnesses=[f"http://w {key.to_text()}"], notary=notary)
    policy = build_trust_policy(s, 31337, contracts)
    assert policy is not None and policy.chain_kind == "development"
    assert policy.contracts == (("EvidenceLog", TrustPolicy.checksummed("0x" + "5f" * 20)),)
    assert policy.log_key == ensure_log_key(tmp_path).verifier_key
    assert policy.witnesses.k == 1 and policy.notary is not None
    assert policy.notary.address == TrustPolicy.checksummed(notary)
    path = write_trust_policy(policy, tmp_path)
    assert TrustPolicy.from_bytes(path.read_bytes()) == policy
    did = Settings(**base, witnesses=s.witnesses, notary="did:web:notary.example")
    with_did = build_trust_policy(did, 1, contracts)
    assert with_did is not None and with_did.notary == NotaryAuthority(did="did:web:notary.example")
    with pytest.raises(
        ConfigurationError, match="notary authority: expected a 0x address or a DID"
    ):
        build_trust_policy(Settings(**base, witnesses=s.witnesses, notary="0x12"), 1,
                           contracts)  # fmt: skip
