"""The compiled contract artifacts shipped in the package (``chain/artifacts/``).

``artifacts/<Name>.json`` is compiled for the default EVM target (``cancun``) and
``artifacts/<target>/<Name>.json`` for each other one (``paris``); see
:mod:`ledger_service.chain.evm_target`. The ABI is the same for every target.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from ledger_service.chain.evm_target import DEFAULT_TARGET, EVM_TARGETS
from ledger_service.core.errors import ConfigurationError

ARTIFACTS_PACKAGE = "ledger_service.chain.artifacts"


def artifact_file(name: str, evm_version: str = DEFAULT_TARGET) -> str:
    """The artifact's path inside :data:`ARTIFACTS_PACKAGE` for one EVM target.

    Raises:
        ConfigurationError: no artifacts are shipped for ``evm_version``.
    """
    if evm_version not in EVM_TARGETS:
        raise ConfigurationError(
            f"expected an EVM target among {list(EVM_TARGETS)}, found {evm_version!r}"
        )
    return f"{name}.json" if evm_version == DEFAULT_TARGET else f"{evm_version}/{name}.json"


def load_artifact(name: str, evm_version: str = DEFAULT_TARGET) -> dict[str, Any]:
    """Load the artifact ``name`` compiled for ``evm_version`` (default ``cancun``).

    Raises:
        ConfigurationError: unknown target, or the file is missing or lacks ``abi``/``bytecode``.
    """
    path = artifact_file(name, evm_version)
    try:
        text = resources.files(ARTIFACTS_PACKAGE).joinpath(path).read_text("utf-8")
        artifact: dict[str, Any] = json.loads(text)
    except (OSError, ValueError) as exc:
        raise ConfigurationError(
            f"expected a compiled artifact {ARTIFACTS_PACKAGE}/{path}, found: {exc}"
        ) from exc
    missing = {"abi", "bytecode"} - artifact.keys()
    if missing:
        raise ConfigurationError(
            f"expected artifact {path} to hold abi and bytecode, found no {sorted(missing)}"
        )
    return artifact
