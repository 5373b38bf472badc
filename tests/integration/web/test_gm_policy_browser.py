"""The browser cannot verify SM2/SM3: a GM (国密) trust policy is refused by name, never passed.

The same policy minus its GM members parses, with the fingerprint Python computes.
"""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Page

from tests.integration.web.harness import call
from tests.unit.core.packages.test_gm_profile import gm_policy
from tests.unit.core.packages.test_witnessed import policy

pytestmark = [pytest.mark.integration, pytest.mark.node]


def test_a_gm_policy_says_verify_with_the_cli(page: Page) -> None:
    gm = call(page, "parsePolicy", {"text": gm_policy().to_bytes().decode()})
    assert gm["ok"] is False and gm["name"] == "MalformedInput"
    assert gm["message"].startswith("GM profile: verify with the CLI (国密配置")
    plain = policy()
    ok = call(page, "parsePolicy", {"text": json.dumps(plain.to_json())})
    assert ok == {"ok": True, "value": {"fingerprint": plain.fingerprint, "origin": plain.log_origin}}
