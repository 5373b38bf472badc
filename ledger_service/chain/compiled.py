"""The compiled contract artifacts shipped in the package (``chain/artifacts/*.json``)."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from ledger_service.core.errors import ConfigurationError

ARTIFACTS_PACKAGE = "ledger_service.chain.artifacts"


def load_artifact(name: str) -> dict[str, Any]:
    """Load ``ledger_service/chain/artifacts/<name>.json``.

    Raises:
        ConfigurationError: the file is missing or lacks ``abi``/``bytecode``.
    """
    try:
        text = resources.files(ARTIFACTS_PACKAGE).joinpath(f"{name}.json").read_text("utf-8")
        artifact: dict[str, Any] = json.loads(text)
    except (OSError, ValueError) as exc:
        raise ConfigurationError(
            f"expected a compiled artifact {ARTIFACTS_PACKAGE}/{name}.json, found: {exc}"
        ) from exc
    missing = {"abi", "bytecode"} - artifact.keys()
    if missing:
        raise ConfigurationError(
            f"expected artifact {name}.json to hold abi and bytecode, found no {sorted(missing)}"
        )
    return artifact
