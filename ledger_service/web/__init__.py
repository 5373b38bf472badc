"""The browser side of Chain Witness: static assets the service serves as they are.

``static/chainwitness.js`` is the verifier and sealer library of the pages (sources in
``web/src``, specification in ``docs/web-crypto.md``). It is bundled at build time by
``node scripts/build_web.mjs`` (the Makefile's ``web`` target) from pinned npm
packages and shipped inside the Python package as package data, so running the
service needs no Node. :data:`STATIC_DIR` is where it lives.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["BUNDLE_NAME", "STATIC_DIR"]

#: the directory of the built assets, for the app's static file route
STATIC_DIR = Path(__file__).resolve().parent / "static"
#: the ES module the pages import
BUNDLE_NAME = "chainwitness.js"
