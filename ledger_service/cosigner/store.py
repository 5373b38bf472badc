"""The cosigner's data directory: its key, its configuration, its state, its evidence.

Layout (all owned by the institution running the cosigner)::

    cosigner.key     PRIVATE+KEY+<name>+<id>+base64(0x04 || seed), mode 0600
    cosigner-sm2.key GM profile only: PRIVATE+KEY+<name>+<id>+base64(SM2 type || d), 0600
    cosigner.json    name, pinned log origins and keys, clock bound
    state.json       per origin: last cosigned size, root and note (atomic rewrite)
    refused.jsonl    one JSON line per refused, validly signed request (append-only)
    cosigner.lock    held by the running server: one process per directory

Every write to ``state.json`` goes to a temporary file that is fsynced and
renamed over the old one, so a crash leaves either the old or the new state.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from ledger_service.core.errors import ConfigurationError, MalformedInput
from ledger_service.core.gm_notes import SM2_COSIGNATURE, Sm2NoteSigner
from ledger_service.core.notes import SIG_TYPE_COSIGNATURE_V1, NoteSigner, VerifierKey
from ledger_service.core.witness_protocol import CosignedHead

__all__ = ["CosignerConfig", "DataDir"]

KEY_FILE = "cosigner.key"
#: GM profile only: the cosigner's SM2 cosignature key (docs/gm-profile.md), mode 0600
SM2_KEY_FILE = "cosigner-sm2.key"
CONFIG_FILE = "cosigner.json"
STATE_FILE = "state.json"
EVIDENCE_FILE = "refused.jsonl"
LOCK_FILE = "cosigner.lock"
_CONFIG_FORMAT = "chainwitness/cosigner-config"
_STATE_FORMAT = "chainwitness/cosigner-state"
#: default bound on a checkpoint's claimed time against the cosigner's clock (seconds)
DEFAULT_MAX_CLOCK_SKEW = 300


@dataclass(frozen=True, slots=True)
class CosignerConfig:
    """Which logs this cosigner follows (origin -> pinned log key) and its clock bound."""

    name: str
    logs: tuple[tuple[str, VerifierKey], ...]
    max_clock_skew: int | None = DEFAULT_MAX_CLOCK_SKEW

    @property
    def log_keys(self) -> dict[str, VerifierKey]:
        return dict(self.logs)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": _CONFIG_FORMAT,
            "version": 1,
            "name": self.name,
            "logs": [{"origin": o, "key": k.to_text()} for o, k in self.logs],
            "max_clock_skew": self.max_clock_skew,
        }

    @classmethod
    def from_json(cls, obj: Any) -> CosignerConfig:
        if not isinstance(obj, dict) or obj.get("format") != _CONFIG_FORMAT:
            raise ConfigurationError(f"{CONFIG_FILE}: expected format {_CONFIG_FORMAT!r}")
        try:
            logs = tuple((e["origin"], VerifierKey.from_text(e["key"])) for e in obj["logs"])
            return cls(obj["name"], logs, obj["max_clock_skew"])
        except (KeyError, TypeError, MalformedInput) as exc:
            raise ConfigurationError(f"{CONFIG_FILE}: {exc}") from None


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_atomically(path: Path, data: bytes, mode: int = 0o644) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    _fsync_dir(path.parent)


@dataclass(frozen=True, slots=True)
class DataDir:
    """The files of one cosigner (see the module docstring)."""

    path: Path

    def init(self, signer: NoteSigner, config: CosignerConfig) -> None:
        """Create the directory, the key (0600) and the config. Never overwrites a key.

        Raises:
            ConfigurationError: a key already exists there.
        """
        self.path.mkdir(parents=True, exist_ok=True)
        key = self.path / KEY_FILE
        if key.exists():
            raise ConfigurationError(f"expected no key in {self.path}, found {key}")
        fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, (signer.to_text() + "\n").encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        self.write_config(config)

    def write_config(self, config: CosignerConfig) -> None:
        _write_atomically(self.path / CONFIG_FILE, _dump(config.to_json()))

    def signer(self) -> NoteSigner:
        """Load the cosigner key. Raises ConfigurationError if missing or not type 0x04."""
        try:
            text = (self.path / KEY_FILE).read_text().strip()
        except OSError as exc:
            raise ConfigurationError(f"expected a key at {self.path / KEY_FILE}: {exc}") from None
        try:
            signer = NoteSigner.from_text(text)
        except MalformedInput as exc:
            raise ConfigurationError(f"{KEY_FILE}: {exc}") from None
        if signer.sig_type != SIG_TYPE_COSIGNATURE_V1:
            raise ConfigurationError(f"{KEY_FILE}: expected a cosignature/v1 key (type 0x04)")
        return signer

    def init_sm2(self, signer: Sm2NoteSigner) -> None:
        """Write the SM2 cosignature key (0600). Raises ConfigurationError if one exists."""
        path = self.path / SM2_KEY_FILE
        if path.exists():
            raise ConfigurationError(f"expected no SM2 key in {self.path}, found {path}")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(signer.to_text() + "\n")

    def sm2_signer(self) -> Sm2NoteSigner | None:
        """The SM2 cosignature key, or None when this cosigner has none (not GM).

        Raises:
            ConfigurationError: the file exists but is not an SM2 cosignature key.
        """
        path = self.path / SM2_KEY_FILE
        if not path.exists():
            return None
        try:
            signer = Sm2NoteSigner.from_text(path.read_text().strip())
        except MalformedInput as exc:
            raise ConfigurationError(f"{SM2_KEY_FILE}: {exc}") from None
        if signer.type_string != SM2_COSIGNATURE:
            raise ConfigurationError(f"{SM2_KEY_FILE}: expected an SM2 cosignature key")
        return signer

    def config(self) -> CosignerConfig:
        return CosignerConfig.from_json(_load(self.path / CONFIG_FILE))

    def heads(self) -> dict[str, CosignedHead]:
        """Per origin, the last cosigned head ({} before the first cosignature)."""
        path = self.path / STATE_FILE
        if not path.exists():
            return {}
        obj = _load(path)
        if not isinstance(obj, dict) or obj.get("format") != _STATE_FORMAT:
            raise ConfigurationError(f"{path}: expected format {_STATE_FORMAT!r}")
        return {
            origin: CosignedHead(h["size"], base64.b64decode(h["root"]), h["note"].encode())
            for origin, h in obj["logs"].items()
        }

    def write_heads(self, heads: Mapping[str, CosignedHead]) -> None:
        """Replace the state atomically (temporary file, fsync, rename, fsync directory)."""
        logs = {
            o: {"size": h.size, "root": base64.b64encode(h.root).decode(), "note": h.note.decode()}
            for o, h in sorted(heads.items())
        }
        _write_atomically(
            self.path / STATE_FILE, _dump({"format": _STATE_FORMAT, "version": 1, "logs": logs})
        )

    def keep_evidence(self, record: Mapping[str, Any]) -> None:
        """Append one JSON line to the evidence file and fsync it."""
        line = json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n"
        fd = os.open(self.path / EVIDENCE_FILE, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            os.write(fd, line.encode())
            os.fsync(fd)
        finally:
            os.close(fd)

    def evidence(self) -> list[dict[str, Any]]:
        """Every kept refusal, oldest first."""
        path = self.path / EVIDENCE_FILE
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines() if line]

    def lock(self) -> IO[bytes]:
        """Take the directory's exclusive lock for the life of the returned file.

        Raises:
            ConfigurationError: another process holds it.
        """
        handle = open(self.path / LOCK_FILE, "ab")  # noqa: SIM115 -- held until process exit
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise ConfigurationError(
                f"expected no other cosigner on {self.path}, found one running"
            ) from None
        return handle


def _dump(obj: Any) -> bytes:
    return (json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode()


def _load(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ConfigurationError(f"expected a JSON file at {path}: {exc}") from None
