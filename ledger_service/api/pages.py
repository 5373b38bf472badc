"""The pages and their assets, served from the package (no CDN, works offline).

``/`` leads to the public verification page ``/verify``; ``/static/...`` serves the
built browser assets of :mod:`ledger_service.web` (the verifier library, the pages'
scripts and styles, the pinned swagger-ui of ``/docs``). The pages are public: a
page that needs a token asks the user for it and sends it with its own API calls.
Every check a page shows is made in the browser (``docs/web-crypto.md``); the
server's answers are its input.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from ledger_service.api.deps import ServicesDep
from ledger_service.core.errors import NotFound
from ledger_service.web import STATIC_DIR

router = APIRouter(include_in_schema=False)

#: the pages, each one HTML file of the static directory
PAGES = {
    "verify": "verify.html", "court": "court.html", "regulator": "regulator.html",
    "bidder": "bidder.html", "notary": "notary.html",
}  # fmt: skip
#: content types of the assets (anything else is served as bytes)
MEDIA_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".json": "application/json",
    ".png": "image/png",
    ".txt": "text/plain; charset=utf-8",
    ".map": "application/json",
    ".ttf": "font/ttf",
}
#: the reports' embedded fonts, served to the pages too (/static/fonts/...): a machine
#: without CJK fonts still shows the Chinese text (Droid Sans Fallback, Apache-2.0)
FONTS_DIR = Path(str(files("ledger_service.reports").joinpath("fonts")))
FONTS_PREFIX = "fonts/"
#: where /docs finds swagger-ui (copied from the pinned npm swagger-ui-dist at build time)
SWAGGER_DIR = "swagger"


def static_file(path: str, base: Path = STATIC_DIR) -> Path:
    """The asset ``path`` names under ``base``.

    Raises:
        NotFound: no such file, a hidden file, or a path that leaves ``base``.
    """
    target = (base / path).resolve()
    if (
        not path
        or any(part.startswith(".") for part in Path(path).parts)
        or not target.is_relative_to(base.resolve())
        or not target.is_file()
    ):
        raise NotFound(f"expected a built asset under /static/, found none at {path!r} (make web)")
    return target


def _asset(path: str) -> FileResponse:
    if path.startswith(FONTS_PREFIX):
        target = static_file(path[len(FONTS_PREFIX) :], FONTS_DIR)
    else:
        target = static_file(path)
    media = MEDIA_TYPES.get(target.suffix, "application/octet-stream")
    # revalidated each time: a rebuilt bundle is picked up at once
    return FileResponse(target, media_type=media, headers={"Cache-Control": "no-cache"})


@router.get("/")
def index() -> RedirectResponse:
    return RedirectResponse("/verify", status_code=307)


@router.get("/verify")
def verify_page() -> FileResponse:
    return _asset(PAGES["verify"])


@router.get("/court")
def court_page() -> FileResponse:
    """Search, request and download evidence packages (the page asks for the court's
    token and verifies each package in the browser)."""
    return _asset(PAGES["court"])


@router.get("/regulator")
def regulator_page() -> FileResponse:
    """A tender's lifecycle with every step's proof checked in the browser, alerts and
    the custody audit (the page asks for the regulator's token)."""
    return _asset(PAGES["regulator"])


@router.get("/bidder")
def bidder_page() -> FileResponse:
    """Seal, sign and submit a bid in the browser (the bidder's key never leaves the
    page; the tender key is checked on chain first), list and open one's own bids."""
    return _asset(PAGES["bidder"])


@router.get("/notary")
def notary_page() -> FileResponse:
    """Review notarization requests (each package verified in the browser) and issue,
    reject or revoke with the notary's own key, held in the page (never sent)."""
    return _asset(PAGES["notary"])


@router.get("/static/{path:path}")
def static(path: str) -> FileResponse:
    return _asset(path)


@router.get("/v1/web/config")
def web_config(services: ServicesDep) -> dict[str, Any]:
    """What the pages start from: the operator's chain endpoint, a hint only (a page
    checks the chain it reads against the pinned trust policy, and the user may
    read any other node of the same chain)."""
    chain = services.chain
    return {
        "rpc_url": None if chain is None else chain.rpc_url,
        "chain_id": None if chain is None else chain.chain_id,
        "embedded_chain": None if chain is None else chain.embedded,
    }


@router.get("/docs")
def docs() -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="Chain Witness (链见证) API",
        swagger_js_url=f"/static/{SWAGGER_DIR}/swagger-ui-bundle.js",
        swagger_css_url=f"/static/{SWAGGER_DIR}/swagger-ui.css",
        swagger_favicon_url=f"/static/{SWAGGER_DIR}/favicon-32x32.png",
        oauth2_redirect_url="/docs/oauth2-redirect",
    )


@router.get("/docs/oauth2-redirect")
def docs_oauth2_redirect() -> HTMLResponse:
    return get_swagger_ui_oauth2_redirect_html()


@router.get("/redoc")
def redoc() -> Response:
    # ReDoc would load its script from a CDN: the offline API reference is /docs
    return RedirectResponse("/docs", status_code=307)
