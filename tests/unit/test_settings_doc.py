"""docs/settings.md is current; unknown CHAINWITNESS_* variables are refused by name."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from ledger_service.core.errors import ConfigurationError
from ledger_service.settings import OTHER_VARIABLES, Settings, check_environment, known_variables

ROOT = Path(__file__).resolve().parents[2]


def _script():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("settings_table", ROOT / "scripts" /
                                                  "settings_table.py")  # fmt: skip
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_docs_settings_md_is_current() -> None:
    current = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    assert current == _script().render(), "run .venv/bin/python scripts/settings_table.py"
    assert "](docs/settings.md)" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_setting_says_what_it_is() -> None:
    missing = [n for n, f in Settings.model_fields.items() if not f.description]
    assert missing == []
    from notary.api import NotarySettings

    for name in NotarySettings.model_fields:
        assert f"NOTARY_{name.upper()}" in OTHER_VARIABLES, name


def test_unknown_variables_are_refused_with_a_close_match() -> None:
    check_environment({"CHAINWITNESS_DATA_DIR": "x", "PATH": "/bin", **dict.fromkeys(
        known_variables(), "")})  # fmt: skip
    with pytest.raises(ConfigurationError, match=r"^CHAINWITNESS_RCP_URL: expected a known "
                       r"setting, found a variable nothing reads \(did you mean "
                       r"CHAINWITNESS_RPC_URL\?\)"):  # fmt: skip
        check_environment({"CHAINWITNESS_RCP_URL": "http://x"})
    with pytest.raises(ConfigurationError, match=r"CHAINWITNESS_ZZZ: expected a known setting, "
                       r"found a variable nothing reads; every setting"):  # fmt: skip
        check_environment({"CHAINWITNESS_ZZZ": "1"})
