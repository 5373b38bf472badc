"""The one validated Settings object, built once and passed in (no import-time state)."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ledger_service.core.errors import ConfigurationError

#: Largest batch the API and library accept in one append.
MAX_BATCH = 10_000


class Settings(BaseSettings):
    """Service configuration; every field can be set as ``CHAINWITNESS_<NAME>``.

    With no ``rpc_url`` the service runs the embedded default: it starts its own
    anvil on a free loopback port with state persisted in ``data_dir``.
    """

    model_config = SettingsConfigDict(env_prefix="CHAINWITNESS_", extra="forbid")

    data_dir: Path = Field(default=Path("var/chainwitness"), description="state directory")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default: SQLite file in data_dir"
    )
    rpc_url: str | None = Field(
        default=None, description="EVM JSON-RPC URL; default: embedded anvil"
    )
    chain_id: int | None = Field(default=None, description="expected chain id (checked)")
    signer_key: SecretStr | None = Field(default=None, description="hex private key")
    signer_keystore: Path | None = Field(default=None, description="encrypted keystore file")
    signer_keystore_password: SecretStr | None = Field(
        default=None, description="password of SIGNER_KEYSTORE"
    )
    evidence_log_address: str | None = Field(
        default=None, description="EvidenceLog address; default: deployment.json in data_dir"
    )
    tender_registry_address: str | None = Field(
        default=None, description="TenderRegistry address; default: deployment.json in data_dir"
    )
    notary_authority: str | None = Field(
        default=None,
        description="address of the notary authority (司法行政机关): NotaryRegistry's admin, "
        "never the service (embedded chain: a development key in data_dir)",
    )
    notary: str | None = Field(
        default=None,
        description="the notary pinned in trust-policy.json: its own 0x address or its DID",
    )
    workers: int = Field(
        default=1, ge=1, le=64,
        description="HTTP processes of `serve` sharing its port and the database "
        "(the first also anchors, watches tenders and runs the embedded node)",
    )
    anchor_interval_s: float = Field(default=1.0, gt=0, description="seconds between anchors")
    anchor_max_leaves: int = Field(
        default=100_000, gt=0, description="anchor early once this many new leaves wait"
    )
    confirmations: int = Field(default=0, ge=0, description="blocks before an anchor is final")
    anchoring_enabled: bool = Field(
        default=True, description="serve anchors heads (false: records are logged, not anchored)"
    )
    witness_password: SecretStr | None = Field(
        default=None, description="password of the witness CA keys (for signing reports)"
    )
    public_base_url: str | None = Field(
        default=None, description="URL the public reaches the API at (QR codes); default host:port"
    )
    tsa_url: str | None = Field(
        default=None,
        description="RFC 3161 timestamp authority for reports and checkpoints",
    )
    tsa_root: Path | None = Field(
        default=None,
        description="PEM file of the TSA's root certificate(s), pinned in trust-policy.json",
    )
    log_origin: str | None = Field(
        default=None,
        description="the log's C2SP origin; default chainwitness.local/<random id>, fixed at init",
    )
    witnesses: list[str] = Field(
        default_factory=list,
        description="log witnesses, each '<URL> <verifier key>', with crypto_profile gm "
        "'<URL> <verifier key> <SM2 verifier key>' (JSON list in the environment)",
    )
    crypto_profile: Literal["international", "gm"] = Field(
        default="international",
        description="gm (国密): checkpoints also carry an SM3 root and the log's SM2 signature, "
        "witnesses cosign in SM2 too, files get SM3 digests (docs/gm-profile.md)",
    )
    witness_quorum: int | None = Field(
        default=None, ge=1, description="k of n witnesses that make a head witnessed; default n"
    )
    evm_version: Literal["auto", "cancun", "paris"] = Field(
        default="auto",
        description="EVM target of the contracts deployed: cancun, paris (no PUSH0/MCOPY, for "
        "chains before Shanghai), or auto: cancun if the node runs Cancun's opcodes, else paris",
    )
    chain_consensus: Literal["ethereum", "qbft", "ibft2"] = Field(
        default="ethereum",
        description="how the chain hashes block headers, written to trust-policy.json: "
        "ethereum, or qbft / ibft2 (Hyperledger Besu BFT: commit seals outside the hash)",
    )
    chain_validators: list[str] = Field(
        default_factory=list,
        description="the BFT validators' addresses, written to trust-policy.json: verifiers "
        "then require ceil(2n/3) of their commit seals on every block (JSON list)",
    )
    chain_kind: Literal["development", "consortium"] | None = Field(
        default=None,
        description="written to trust-policy.json; default development (the embedded anvil)",
    )
    body_timeout_s: float = Field(
        default=30.0, gt=0, description="seconds a request body may stall before 408"
    )
    supervision_weights: Path | None = Field(
        default=None,
        description="JSON file of supervision scoring weights and thresholds "
        "(docs/supervision.md); default: the documented weights",
    )
    max_anchor_lag_s: float = Field(
        default=60.0, gt=0,
        description="/readyz answers 503 once the oldest record not anchored is this old",
    )  # fmt: skip
    log_format: Literal["text", "json"] = Field(
        default="text", description="log lines as readable text, or JSON lines"
    )
    host: str = Field(default="127.0.0.1", description="address serve binds (serve --host)")
    port: int = Field(default=8700, ge=1, le=65535, description="port serve listens on (--port)")

    @field_validator("data_dir")
    @classmethod
    def _absolute(cls, v: Path) -> Path:
        return v.expanduser().resolve()

    @property
    def effective_database_url(self) -> str:
        """The configured database URL, or the embedded SQLite file in ``data_dir``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'chainwitness.db'}"

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "blobs"

    @property
    def base_url(self) -> str:
        return self.public_base_url or f"http://{self.host}:{self.port}"

    @property
    def quorum(self) -> int:
        """k: the configured quorum, or every witness when unset (0 without witnesses)."""
        return self.witness_quorum or len(self.witnesses)

    @property
    def embedded_chain(self) -> bool:
        return self.rpc_url is None


#: ``CHAINWITNESS_*`` variables read outside :class:`Settings` (client commands, the
#: notary plugin, the cosigner, tests and benchmarks): name -> (default, meaning).
OTHER_VARIABLES: dict[str, tuple[str, str]] = {
    "SERVER": ("", "the API URL client commands talk to (--server)"),
    "TOKEN": ("", "the API token client commands send (--token)"),
    "KEY_PASSWORD": ("", "password of your key file (key, bid, custodian commands); else asked "
                         "on the terminal"),
    "NOTARY_KEY": ("", "the service-hosted notary's hex private key (development chains only)"),
    "NOTARY_NAME": ("Chain Witness Notary", "the hosted notary's display name"),
    "NOTARY_REGISTRY_ADDRESS": ("", "NotaryRegistry address; default: deployment.json in "
                                    "data_dir (notary verify: --registry)"),
    "NOTARY_CA_PASSWORD": ("", "password of the notary CA keys; default: WITNESS_PASSWORD, "
                               "else one generated beside the CA"),
    "COSIGNER_DIR": ("", "a log witness's state directory (cosigner commands)"),
    "TEST_POSTGRES_URL": ("", "tests: PostgreSQL URL (tests that need it are skipped without)"),
    "REQUIRE_POSTGRES": ("", "tests: fail instead of skipping when TEST_POSTGRES_URL is unset"),
    "BENCH_POSTGRES_URL": ("", "benchmarks: PostgreSQL URL"),
}  # fmt: skip


def known_variables() -> dict[str, tuple[str, str]]:
    """Every ``CHAINWITNESS_*`` variable: Settings fields and :data:`OTHER_VARIABLES`,
    by full name -> (default, meaning)."""
    out = {}
    for name, field in Settings.model_fields.items():
        default = field.default_factory() if field.default_factory else field.default  # type: ignore[call-arg]
        shown = "" if default is None else str(default)
        out[f"CHAINWITNESS_{name.upper()}"] = (shown, field.description or "")
    for name, (default, meaning) in OTHER_VARIABLES.items():
        out[f"CHAINWITNESS_{name}"] = (default, meaning)
    return dict(sorted(out.items()))


def check_environment(environ: Mapping[str, str]) -> None:
    """Refuse a ``CHAINWITNESS_*`` variable that nothing reads (a typo is not ignored).

    Raises:
        ConfigurationError: naming the variable and the closest known one.
    """
    known = known_variables()
    for name in sorted(environ):
        if not name.startswith("CHAINWITNESS_") or name in known:
            continue
        prefix = len("CHAINWITNESS_")  # compare what follows: the prefix matches them all
        close = difflib.get_close_matches(name[prefix:], [k[prefix:] for k in known], n=1,
                                          cutoff=0.6)  # fmt: skip
        raise ConfigurationError(
            f"{name}: expected a known setting, found a variable nothing reads"
            + (f" (did you mean CHAINWITNESS_{close[0]}?)" if close else "")
            + "; every setting is in docs/settings.md"
        )
