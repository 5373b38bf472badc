"""How the browser tests talk to the harness page (``harness.html`` + ``harness.js``)."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page

__all__ = ["call", "reflows_at_200_percent"]


def call(page: Page, name: str, arg: Any = None) -> Any:
    """Run ``harness.<name>(arg)`` in the page; returns its result (JSON values)."""
    return page.evaluate(f"(arg) => window.harness.{name}(arg)", arg)


def reflows_at_200_percent(page: Page) -> None:
    """200% zoom: the page in half the CSS width reflows without horizontal scrolling."""
    page.set_viewport_size({"width": 600, "height": 900})
    wide = page.evaluate("""() => [...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
        .map(e => e.tagName + '#' + e.id + '.' + e.className).slice(0, 5)""")
    assert wide == [], f"expected nothing wider than the window at 200% zoom, found {wide}"
    page.set_viewport_size({"width": 1200, "height": 900})
