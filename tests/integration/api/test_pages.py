"""The pages and their assets come from the package: nothing from a CDN, works offline.

``/`` leads to ``/verify``; ``/static/`` serves the built assets and nothing outside
them; ``/docs`` loads swagger-ui from ``/static/swagger/`` (the pinned npm
swagger-ui-dist copied by ``scripts/build_web.mjs``), so an intranet without the
internet still gets the API reference.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from ledger_service.api.app import create_app
from ledger_service.runtime import open_services
from ledger_service.settings import Settings
from ledger_service.web import STATIC_DIR

pytestmark = pytest.mark.integration

if not (STATIC_DIR / "verify.html").is_file():
    pytest.skip(f"pages not built in {STATIC_DIR} (make web)", allow_module_level=True)


@pytest.fixture(scope="module")
def http(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    services = open_services(
        Settings(data_dir=tmp_path_factory.mktemp("pages") / "svc"), chain=False
    )
    try:
        with TestClient(create_app(services)) as client:
            yield client
    finally:
        services.close()


def test_root_leads_to_the_verification_page(http: TestClient) -> None:
    r = http.get("/", follow_redirects=False)
    assert r.status_code == 307
    assert r.headers["location"] == "/verify"
    page = http.get("/verify")
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert '<html lang="zh-CN"' in page.text


@pytest.mark.parametrize("page_path", ["/verify", "/court", "/regulator", "/bidder", "/notary"])
def test_the_pages_load_only_the_services_own_assets(http: TestClient, page_path: str) -> None:
    page = http.get(page_path).text
    urls = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert urls, "expected the page to load its script and style"
    for url in urls:
        assert not url.startswith(("http:", "https:", "//")), (
            f"expected no outside asset, found {url}"
        )
        if url.startswith("/static/"):
            assert http.get(url).status_code == 200, url


def test_static_serves_the_bundle_with_its_type(http: TestClient) -> None:
    r = http.get("/static/chainwitness.js")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/javascript; charset=utf-8"
    assert r.content == (STATIC_DIR / "chainwitness.js").read_bytes()


@pytest.mark.parametrize("path", ["missing.js", ".gitignore", "../__init__.py", "%2e%2e/__init__.py",
                                  "swagger/../../__init__.py", ""])  # fmt: skip
def test_static_refuses_what_is_not_a_built_asset(http: TestClient, path: str) -> None:
    r = http.get(f"/static/{path}")
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"
    assert "__all__" not in r.text
    if ".." not in path:  # a path with .. may be normalized away before any route matches
        assert "expected a built asset under /static/" in r.json()["detail"]


def test_docs_use_the_packaged_swagger_ui_not_a_cdn(http: TestClient) -> None:
    html = http.get("/docs").text
    assert "cdn." not in html and "jsdelivr" not in html and "unpkg" not in html
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"):
        assert f"/static/swagger/{asset}" in html
        assert http.get(f"/static/swagger/{asset}").status_code == 200
    assert http.get("/static/swagger/VERSION").text == "swagger-ui-dist 5.35.0 (Apache-2.0)\n"
    assert http.get("/openapi.json").json()["info"]["title"].startswith("Chain Witness")
    r = http.get("/redoc", follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (307, "/docs")


def test_web_config_without_a_chain_names_none(http: TestClient) -> None:
    assert http.get("/v1/web/config").json() == {"rpc_url": None, "chain_id": None,
                                                 "embedded_chain": None}  # fmt: skip


def test_the_pages_font_for_chinese_is_served_from_the_package(http: TestClient) -> None:
    css = http.get("/static/pages.css").text
    assert 'url("/static/fonts/DroidSansFallbackFull.ttf")' in css
    r = http.get("/static/fonts/DroidSansFallbackFull.ttf")
    assert r.status_code == 200
    assert r.headers["content-type"] == "font/ttf"
    assert r.content[:4] == b"\x00\x01\x00\x00"  # a TrueType font
    assert http.get("/static/fonts/../pdf_style.py").status_code == 404
