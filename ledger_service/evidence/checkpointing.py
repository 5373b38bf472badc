"""The log's note key, its signed checkpoints, and the cosignatures witnesses add to them.

* :func:`ensure_log_key` keeps the log's Ed25519 note key in the data directory
  (``log.key``, mode 0600, never overwritten). The key's name is the log's origin.
* :class:`CheckpointPublisher` signs a C2SP checkpoint (with our
  ``chainwitness-time`` claim) for each head the anchorer anchors, posts it to
  every configured witness with the consistency proof from the size that witness
  last cosigned, and stores the note with the cosignatures that verified. A head
  counts as witnessed once ``k`` of the pinned witnesses cosigned it
  (``core.checkpoints.verify_witnessed`` decides that for verifiers). With a TSA
  configured it also keeps the TSA's RFC 3161 token over the checkpoint's signed text.

Specification: ``docs/checkpoints.md`` and ``docs/log-witness.md``.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ledger_service.core.checkpoints import (
    TIME_EXTENSION,
    Checkpoint,
    SignedCheckpoint,
    cosignatures_in,
    sign_checkpoint,
)
from ledger_service.core.errors import ChainStateMismatch, ConfigurationError, MalformedInput
from ledger_service.core.gm_notes import (
    SM2_COSIGNATURE,
    SM2_NOTE,
    Sm2NoteSigner,
    Sm2VerifierKey,
    sm2_sign_note,
    with_sm3_root,
)
from ledger_service.core.merkle import sm3 as sm3_tree
from ledger_service.core.notes import SIG_TYPE_ED25519, NoteSigner, VerifierKey
from ledger_service.core.sm2 import Sm2PrivateKey
from ledger_service.cosigner.collector import Post, WitnessAnswer, WitnessEndpoint
from ledger_service.cosigner.collector import collect_cosignatures as collect
from ledger_service.store.checkpoints import CheckpointStore, StoredCheckpoint
from ledger_service.store.log import LogStore

__all__ = [
    "LOG_KEY_FILE",
    "CheckpointPublisher",
    "Published",
    "default_origin",
    "ensure_log_key",
    "ensure_log_sm2_key",
    "parse_witness",
]

log = logging.getLogger("chainwitness.checkpoints")

#: the log's secret note key, in the data directory
LOG_KEY_FILE = "log.key"
#: the log's SM2 note key, GM profile only (docs/gm-profile.md)
LOG_SM2_KEY_FILE = "log-sm2.key"
#: seconds between retries of a head that has not gathered its quorum yet
RETRY_S = 10.0
#: a fresh checkpoint (:meth:`CheckpointPublisher.fresh`) is made at most this often
FRESH_S = 2.0


def default_origin() -> str:
    """``chainwitness.local/<8 hex digits>``: a fresh origin for a data directory's new log."""
    return f"chainwitness.local/{secrets.token_hex(4)}"


def ensure_log_key(data_dir: Path, origin: str | None = None) -> NoteSigner:
    """The log's note key from ``data_dir/log.key``, created (mode 0600) on first use.

    ``origin`` names a new key (default :func:`default_origin`); for an existing key
    it must equal the key's name.

    Raises:
        ConfigurationError: the stored key is unreadable or has another origin.
    """
    path = data_dir / LOG_KEY_FILE
    if path.exists():
        try:
            signer = NoteSigner.from_text(path.read_text().strip())
        except MalformedInput as exc:
            raise ConfigurationError(f"{path}: expected the log's note key, found: {exc}") from None
        if signer.sig_type != SIG_TYPE_ED25519:
            raise ConfigurationError(f"{path}: expected an Ed25519 (type 0x01) note key")
        if origin is not None and origin != signer.name:
            raise ConfigurationError(
                f"log origin: expected {signer.name!r} (the key in {path}), found {origin!r} "
                "in the settings; a new origin needs a new data directory"
            )
        return signer
    signer = NoteSigner(origin or default_origin(), os.urandom(32), SIG_TYPE_ED25519)
    data_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(signer.to_text() + "\n")
    return signer


def ensure_log_sm2_key(data_dir: Path, origin: str) -> Sm2NoteSigner:
    """The log's SM2 note key (GM profile) from ``data_dir/log-sm2.key``, created (mode
    0600) on first use under ``origin`` (the Ed25519 key's name).

    Raises:
        ConfigurationError: the stored key is unreadable or has another name.
    """
    path = data_dir / LOG_SM2_KEY_FILE
    if path.exists():
        try:
            signer = Sm2NoteSigner.from_text(path.read_text().strip())
        except MalformedInput as exc:
            raise ConfigurationError(f"{path}: expected the log's SM2 key, found: {exc}") from None
        if signer.type_string != SM2_NOTE or signer.name != origin:
            raise ConfigurationError(f"{path}: expected an SM2 note key named {origin!r}")
        return signer
    signer = Sm2NoteSigner(origin, Sm2PrivateKey.generate(), SM2_NOTE)
    data_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(signer.to_text() + "\n")
    return signer


def parse_witness(text: str) -> WitnessEndpoint:
    """``"<url> <vkey> [<SM2 vkey>]"`` (a setting's entry) -> WitnessEndpoint.

    Raises:
        MalformedInput: not two or three parts, not a URL, or a key is malformed.
    """
    parts = text.split()
    if len(parts) not in (2, 3) or not parts[0].startswith(("http://", "https://")):
        raise MalformedInput(
            f"witness: expected '<http(s) URL> <verifier key> [<SM2 verifier key>]', "
            f"found {text!r:.120}"
        )
    sm2 = Sm2VerifierKey.from_text(parts[2]) if len(parts) == 3 else None
    if sm2 is not None and sm2.type_string != SM2_COSIGNATURE:
        raise MalformedInput(
            f"witness {parts[0]}: expected an SM2 cosignature key, found {sm2.ref}"
        )
    return WitnessEndpoint(parts[0], VerifierKey.from_text(parts[1]), sm2)


@dataclass(frozen=True)
class Published:
    """A checkpoint as stored, with each witness's answer from this round."""

    stored: StoredCheckpoint
    answers: tuple[WitnessAnswer, ...]


class CheckpointPublisher:
    """Signs checkpoints of anchored heads and collects cosignatures (see module docstring)."""

    def __init__(
        self,
        log_store: LogStore,
        store: CheckpointStore,
        signer: NoteSigner,
        witnesses: Sequence[WitnessEndpoint],
        quorum: int,
        post: Post,
        *,
        clock: Callable[[], float] = time.time,
        timestamper: Callable[[bytes], bytes | None] | None = None,
        sm2_signer: Sm2NoteSigner | None = None,
    ) -> None:
        if witnesses and not 1 <= quorum <= len(witnesses):
            raise ConfigurationError(
                f"witness quorum: expected 1 <= k <= {len(witnesses)}, found {quorum}"
            )
        self._log = log_store
        self._store = store
        self._signer = signer
        self._witnesses = tuple(witnesses)
        self.quorum = quorum if witnesses else 0
        self._post = post
        self._clock = clock
        #: message -> RFC 3161 TimeStampResp (``evidence.timestamping``), or None
        self._timestamper = timestamper
        #: GM profile: the log's SM2 key; checkpoints then carry an SM3 root too
        self._sm2 = sm2_signer
        #: witness URL -> the size it last cosigned, as far as we know
        self._sizes: dict[str, int] = {}
        self._last_try: dict[int, float] = {}
        self._lock = threading.Lock()
        self._fresh_lock = threading.Lock()
        self._fresh: tuple[float, int, SignedCheckpoint] | None = None

    @property
    def origin(self) -> str:
        return self._signer.name

    @property
    def log_key(self) -> VerifierKey:
        return self._signer.verifier_key

    @property
    def log_sm2_key(self) -> Sm2VerifierKey | None:
        """The log's SM2 note key (GM profile), or None."""
        return None if self._sm2 is None else self._sm2.verifier_key

    def _sign(self, size: int, root: bytes, now: int) -> SignedCheckpoint:
        cp = Checkpoint(self.origin, size, root, (f"{TIME_EXTENSION} {now}",))
        if self._sm2 is None:
            return sign_checkpoint(cp, self._signer)
        leaves = [sm3_tree.leaf_hash(c) for c in self._log.canonical_prefix(size)]
        cp = with_sm3_root(cp, sm3_tree.root_from_leaves(leaves))
        return SignedCheckpoint(sm2_sign_note(sign_checkpoint(cp, self._signer).note, self._sm2))

    def publish(self, size: int, root: bytes) -> Published:
        """Sign the checkpoint (``size``, ``root``), collect cosignatures, store it.

        Raises:
            ChainStateMismatch: the log's own root at ``size`` is not ``root``.
        """
        self._check_root(size, root)
        signed, answers, now = self._sign_and_collect(size, root)
        count = self._count(signed)
        previous = self._store.at_size(size)
        stamp = None if self._timestamper is None else self._timestamper(signed.note.text.encode())
        stored = StoredCheckpoint(size, root, signed.to_bytes(), count, now, stamp)
        if previous is None or previous.cosigned <= count:
            self._store.put(stored)
        else:
            stored = previous  # never replace a better-cosigned note of the same head
        self._last_try[size] = self._clock()
        log.info("checkpoint of size %d: %d of %d witnesses cosigned (quorum %d)",
                 size, count, len(self._witnesses), self.quorum)  # fmt: skip
        return Published(stored, answers)

    def _check_root(self, size: int, root: bytes) -> None:
        ours = self._log.root_at(size)
        if ours != root:
            raise ChainStateMismatch(
                f"checkpoint of size {size}: expected the log's root {ours.hex()}, "
                f"found {root.hex()}"
            )

    def _sign_and_collect(
        self, size: int, root: bytes
    ) -> tuple[SignedCheckpoint, tuple[WitnessAnswer, ...], int]:
        with self._lock:
            now = int(self._clock())
            signed = self._sign(size, root, now)
            answers: tuple[WitnessAnswer, ...] = ()
            if self._witnesses:
                signed, answers = collect(
                    signed, self._witnesses, self._log.consistency_proof, self._post, self._sizes
                )
                for a in answers:
                    if a.cosignature is not None:
                        self._sizes[a.witness.url] = size
                    elif a.known_size is not None:
                        self._sizes[a.witness.url] = a.known_size
                    if a.error:
                        log.warning("witness %s on size %d: %s", a.witness.url, size, a.error)
        return signed, answers, now

    def fresh(self, size: int, root: bytes) -> SignedCheckpoint:
        """A checkpoint of the anchored head (``size``, ``root``) signed now and cosigned
        now: its witnessed time is the witnesses' present, by their clocks (a custodian
        agent releases only once that time has reached the opening time).

        It is not stored (the stored checkpoint of a size keeps the time the head was
        first witnessed); one is made at most every FRESH_S seconds, so callers cannot
        turn it into witness traffic.

        Raises:
            ChainStateMismatch: the log's own root at ``size`` is not ``root``.
        """
        self._check_root(size, root)
        with self._fresh_lock:
            last = self._fresh
            if last is not None and last[1] >= size and self._clock() - last[0] < FRESH_S:
                return last[2]
            signed, _, _ = self._sign_and_collect(size, root)
            self._fresh = (self._clock(), size, signed)
            log.info("fresh checkpoint of size %d: %d of %d witnesses cosigned",
                     size, self._count(signed), len(self._witnesses))  # fmt: skip
            return signed

    def _count(self, signed: SignedCheckpoint) -> int:
        keys = [w.key for w in self._witnesses]
        return len({(c.name, c.key_id) for c in cosignatures_in(signed, keys)})

    def ensure(self, size: int, root: bytes) -> Published | None:
        """Publish (``size``, ``root``) unless stored with its quorum or tried within RETRY_S."""
        have = self._store.at_size(size)
        if have is not None and have.root == root and have.cosigned >= self.quorum:
            return None
        if self._clock() - self._last_try.get(size, -RETRY_S) < RETRY_S and have is not None:
            return None
        return self.publish(size, root)
