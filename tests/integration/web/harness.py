"""How the browser tests talk to the harness page (``harness.html`` + ``harness.js``)."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page

__all__ = ["call"]


def call(page: Page, name: str, arg: Any = None) -> Any:
    """Run ``harness.<name>(arg)`` in the page; returns its result (JSON values)."""
    return page.evaluate(f"(arg) => window.harness.{name}(arg)", arg)
